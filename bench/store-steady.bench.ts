/**
 * Rollup cost in steady state, as CPU time of this process (not wall time: the bench machine
 * is shared, and wall time there measures the neighbours' load as much as this code).
 * 20 series of 1 s gauges with a day of history, then live data: every 5 s (the leader's
 * rollup interval) 5 points per series are ingested and one rollup pass runs. Baseline, in
 * the same run: the CPU time of ingesting those same points. Uses fake-indexeddb, whose own
 * CPU cost counts against both, so the share is an upper bound for Chromium.
 * Run: npx tsx bench/store-steady.bench.ts   (STEADY_PASSES sets the number of passes)
 */
import 'fake-indexeddb/auto';
import { emit } from './lib';
import { openDatabase } from '../src/lib/db/database';
import { createEngineApi } from '../src/lib/workers/engine/api';
import type { PointBatch, SeriesDescriptor } from '../src/lib/types';

const SERIES = 20;
const INTERVAL_S = 5;
const passes = Number(process.env.STEADY_PASSES ?? 60);
const descriptors: SeriesDescriptor[] = Array.from({ length: SERIES }, (_, i) => ({
  name: 'bench_gauge',
  labels: { n: String(i) },
  unit: '',
  kind: 'gauge',
  source: 'api',
  category: 'system'
}));

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function batches(from: number, seconds: number): PointBatch[] {
  return descriptors.map((series, s) => {
    const t = new Float64Array(seconds);
    const v = new Float64Array(seconds);
    for (let k = 0; k < seconds; k++) {
      t[k] = from + k * 1000;
      const i = from / 1000 + k;
      v[k] = Math.round((50 + 20 * Math.sin(i / 600 + s) + ((i * 7919) % 13) / 4) * 10) / 10;
    }
    return { series, t, v };
  });
}

const history = 86_400;
const start = Date.UTC(2026, 0, 5);
let clock = start + history * 1000;
const engine = createEngineApi({
  openDb: (cb) => openDatabase(cb, { name: 'steady-bench' }),
  now: () => clock,
  timeZone: 'UTC',
  setInterval: () => null,
  clearInterval: () => {}
});
await engine.init();
for (let i = 0; i < history; i += 3600) await engine.ingest(batches(start + i * 1000, 3600));
for (;;) if ((await engine.rollupPass()).points === 0) break;

let ingestCpu = 0;
let rollupCpu = 0;
for (let p = 0; p < passes; p++) {
  const c0 = cpuMs();
  await engine.ingest(batches(clock, INTERVAL_S));
  const c1 = cpuMs();
  clock += INTERVAL_S * 1000;
  await engine.rollupPass();
  const c2 = cpuMs();
  ingestCpu += c1 - c0;
  rollupCpu += c2 - c1;
}
const wallMs = passes * INTERVAL_S * 1000;
emit({
  name: 'store.rollup_cpu_share.steady_node',
  value: rollupCpu / wallMs,
  unit: 'share of one core',
  baseline: ingestCpu / wallMs,
  baseline_is: 'CPU share of ingesting the same live points',
  bound: 0.1,
  passes,
  series: SERIES,
  cpu_ms_per_pass: rollupCpu / passes
});
