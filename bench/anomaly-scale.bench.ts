/**
 * Anomaly scoring at scale (issue 28), Node with fake-indexeddb: SCALE_SERIES series (default
 * 10,000) with SCALE_MINUTES one-minute points each, rolled up, then detection passes until
 * every series is caught up. Reports the passes needed, each pass's time, the slowest
 * series' lag after each pass, how many series ever got a stored detector, and the heap
 * growth (fake-indexeddb keeps the database in the same heap), then the steady state: one
 * more minute for every series and one pass. fake-indexeddb is much slower than Chromium's
 * IndexedDB: the times are upper bounds.
 * Run: npx tsx bench/anomaly-scale.bench.ts
 */
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { openDatabase } from '../src/lib/db/database';
import type { PointBatch } from '../src/lib/types';
import { createEngineApi } from '../src/lib/workers/engine/api';
import { emit } from './lib';

const SERIES = Number(process.env.SCALE_SERIES ?? 10_000);
const MINUTES = Number(process.env.SCALE_MINUTES ?? 40);
const MIN = 60_000;
const BASE = Date.UTC(2026, 10, 20);

async function main(): Promise<void> {
  const name = 'bench-anomaly-scale';
  await Dexie.delete(name);
  const api = createEngineApi({
    openDb: (cb) => openDatabase(cb, { name }),
    now: () => BASE + MINUTES * MIN + 3_600_000,
    timeZone: 'UTC'
  });
  // SCALE_LIVE sets maxLiveDetectors (how many stay live; the rest are cold).
  if (process.env.SCALE_LIVE)
    api.configureAnomalies({ maxLiveDetectors: Number(process.env.SCALE_LIVE) });
  const t = Float64Array.from({ length: MINUTES }, (_, i) => BASE + i * MIN + 30_000);
  const batches: PointBatch[] = Array.from({ length: SERIES }, (_, k) => ({
    series: {
      name: 'rps',
      labels: { host: `h${k}` },
      unit: '1/s',
      kind: 'gauge',
      source: 'api',
      category: 'app'
    },
    t,
    v: Float64Array.from(t, (_, i) => 100 + 10 * Math.sin((i + k) / 7) + (i === 36 ? 400 : 0))
  }));
  for (let i = 0; i < batches.length; i += 1000) await api.ingest(batches.slice(i, i + 1000));
  for (let i = 0; i < 50; i++) {
    const r = (await api.rollupPass()) as { pending?: number } | undefined;
    if (!r || !r.pending) break;
  }
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const passes: { ms: number; lagMin: number; series: number; pending: number }[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const s = await api.runAnomalyPass();
    passes.push({
      ms: Math.round(performance.now() - t0),
      lagMin: s.lagMs / MIN,
      series: s.lastPassSeries,
      pending: s.pending
    });
    if (s.pending === 0) break;
  }
  // Steady state: one more minute for every series, then one pass.
  const next = Float64Array.of(BASE + MINUTES * MIN + 30_000);
  const more = batches.map((b) => ({ ...b, t: next, v: Float64Array.of(100) }));
  for (let i = 0; i < more.length; i += 1000) await api.ingest(more.slice(i, i + 1000));
  for (let i = 0; i < 50; i++) {
    const r = (await api.rollupPass()) as { pending?: number } | undefined;
    if (!r || !r.pending) break;
  }
  const t1 = performance.now();
  const steady = await api.runAnomalyPass();
  const steadyMs = Math.round(performance.now() - t1);
  global.gc?.();
  const heap1 = process.memoryUsage().heapUsed;
  const db = await openDatabase(() => {}, { name });
  const stored = await db.detectors.where('key').startsWith('anomaly:rps').count();
  const anomalies = await db.anomalies.count();
  db.close();
  emit({
    name: 'anomaly.scale.passes_to_catch_up',
    value: passes.length,
    unit: 'passes',
    series: SERIES,
    minutes: MINUTES,
    passes,
    storedDetectors: stored,
    anomalies,
    heapGrowthMb: Math.round((heap1 - heap0) / 1e5) / 10
  });
  emit({
    name: 'anomaly.scale.steady_pass_ms',
    value: steadyMs,
    unit: 'ms',
    series: SERIES,
    seriesFed: steady.lastPassSeries,
    pending: steady.pending,
    lagMin: steady.lagMs / MIN,
    maxLiveDetectors: (await api.anomalyStats()).limits.maxLiveDetectors
  });
  await Dexie.delete(name);
}

await main();
