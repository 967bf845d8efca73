/**
 * Engine wiring benchmarks (Node, fake-indexeddb): what the anomaly and analytics modules
 * cost on top of the pure code they run. Each figure's baseline is the pure computation on
 * the same data in the same run, so value ÷ baseline is the storage and plumbing overhead.
 * CPU time of this process (user + system), since the bench machine is shared.
 *
 * - wiring.anomaly_pass_ms: one detection pass over the demo day after its rollup (every
 *   series' closed 1-minute buckets plus the event p95/failure series). Baseline:
 *   detectAnomalies over the same bucket values.
 * - wiring.resultlog_sync_ms: folding the ~8,700 events another tab stored into the engine's
 *   views when 50,000 are stored (read back by id, then applied). Baseline:
 *   ResultLogViews.apply of the same events on pure views holding the same 50,000.
 * - wiring.insights_overview_ms: insightsOverview over the demo day. Baseline:
 *   generateInsights over the same series and events.
 *
 * fake-indexeddb is much slower than Chromium's IndexedDB, so the overheads here are upper
 * bounds of what the browser pays.
 * Run: npx tsx bench/wiring.bench.ts
 */
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { detectAnomalies } from '../src/lib/analytics/anomaly';
import { generateInsights } from '../src/lib/analytics/insights';
import { ResultLogViews } from '../src/lib/analytics/resultlog';
import { checkSuccess } from '../src/lib/analytics/resultlog-common';
import { computeQuantileSorted } from '../src/lib/analytics/stats';
import { openDatabase } from '../src/lib/db/database';
import { generateDemoData } from '../src/lib/demo/generate';
import type { ResultEvent } from '../src/lib/types';
import { createEngineApi } from '../src/lib/workers/engine/api';
import { updateLevel } from '../src/lib/workers/engine/anomaly-events';
import { emit } from './lib';

const NOW = Date.UTC(2026, 10, 23, 12);
const MIN = 60_000;

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function measure<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = cpuMs();
  const value = await fn();
  return { ms: cpuMs() - t0, value };
}

function engine(name: string) {
  return createEngineApi({
    openDb: (cb) => openDatabase(cb, { name }),
    now: () => NOW,
    timeZone: 'UTC'
  });
}

/** Per-minute p95 and failure rate per action type, as the engine derives them. */
function deriveEventSeries(events: readonly ResultEvent[], closedEnd: number) {
  const groups = new Map<string, Map<number, { d: number[]; n: number; bad: number }>>();
  for (const e of events) {
    const m = Math.floor(e.t / MIN) * MIN;
    if (m >= closedEnd) continue;
    let byMinute = groups.get(e.actionType);
    if (!byMinute) groups.set(e.actionType, (byMinute = new Map()));
    let g = byMinute.get(m);
    if (!g) byMinute.set(m, (g = { d: [], n: 0, bad: 0 }));
    g.n++;
    if (!checkSuccess(e)) g.bad++;
    g.d.push(e.durationMs);
  }
  const out: { t: Float64Array; v: Float64Array; oneSided?: boolean }[] = [];
  for (const byMinute of groups.values()) {
    const minutes = [...byMinute.keys()].sort((a, b) => a - b);
    const t = Float64Array.from(minutes);
    out.push({
      t,
      oneSided: true,
      v: Float64Array.from(minutes, (m) => {
        const d = byMinute.get(m)!.d.sort((a, b) => a - b);
        return computeQuantileSorted(d, 0.95);
      })
    });
    out.push({
      t,
      oneSided: true,
      v: Float64Array.from(minutes, (m) => byMinute.get(m)!.bad / byMinute.get(m)!.n)
    });
  }
  return out;
}

async function benchAnomalyPass(): Promise<void> {
  const name = 'bench-wiring-anomaly';
  await Dexie.delete(name);
  const api = engine(name);
  await api.loadDemo();
  await api.rollupPass();
  const pass = await measure(() => api.runAnomalyPass());
  // The same buckets, read back through the query path, scored by the pure detector.
  const series = await api.listSeries();
  const inputs: { t: Float64Array; v: Float64Array; oneSided?: boolean }[] = [];
  for (const s of series) {
    const closedEnd = Math.floor(s.rolledUntil! / MIN) * MIN;
    const r = await api.query({
      seriesId: s.id,
      from: 0,
      to: closedEnd - 1,
      maxPoints: 1e6,
      aggregates: ['avg'],
      tier: '1m'
    });
    inputs.push({ t: r.t, v: r.columns.avg! });
  }
  const events = generateDemoData({ end: NOW }).events;
  const newest = Math.max(...events.map((e) => e.t));
  inputs.push(...deriveEventSeries(events, Math.floor(newest / MIN) * MIN));
  const buckets = inputs.reduce((s, x) => s + x.t.length, 0);
  const base = await measure(() => {
    let found = 0;
    for (const x of inputs) {
      const hits = detectAnomalies(x).anomalies;
      if (!x.oneSided) {
        found += hits.length;
        continue;
      }
      // Event series report only above their running level, as the engine does.
      let level = NaN;
      const above = Array.from(x.v, (v) => {
        const ok = !(v <= level);
        level = updateLevel(level, v);
        return ok;
      });
      found += hits.filter((i) => above[i]).length;
    }
    return found;
  });
  const stats = await api.anomalyStats();
  emit({
    name: 'wiring.anomaly_pass_ms',
    value: pass.ms,
    unit: 'ms',
    baseline: base.ms,
    buckets,
    fed: pass.value.buckets,
    pending: pass.value.pending,
    anomalies: stats.total,
    baselineAnomalies: base.value,
    bucketsPerSecond: Math.round((pass.value.buckets / pass.ms) * 1000)
  });
  await Dexie.delete(name);
}

async function benchResultLogSync(): Promise<void> {
  const name = 'bench-wiring-resultlog';
  await Dexie.delete(name);
  const api = engine(name);
  const all = generateDemoData({ end: NOW, eventsPerHour: 60_000 / 24 }).events;
  const stored = all.slice(0, 50_000);
  const fresh = all.slice(50_000, 60_000);
  await api.ingestEvents(stored);
  await api.resultLogViews();
  // Another tab stores the new events; this engine folds them in on its next refresh.
  await engine(name).ingestEvents(fresh);
  const sync = await measure(() => api.refreshAnalytics());
  const status = sync.value;
  const pure = new ResultLogViews({ timeZone: 'UTC' });
  pure.apply(stored, { now: NOW });
  const base = await measure(() => pure.apply(fresh, { now: NOW }));
  // In this tab: storing 10,000 more and folding them in (the after-events hook), end to end.
  const more = generateDemoData({ end: NOW + 86_400_000, eventsPerHour: 10_000 / 24 }).events;
  const endToEnd = await measure(() => api.ingestEvents(more.slice(0, 10_000)));
  emit({
    name: 'wiring.resultlog_sync_ms',
    value: sync.ms,
    unit: 'ms',
    baseline: base.ms,
    events: fresh.length,
    storedBefore: stored.length,
    increments: status.increments,
    rebuilds: status.rebuilds,
    ingestAndFoldMs: endToEnd.ms
  });
  await Dexie.delete(name);
}

async function benchInsights(): Promise<void> {
  const name = 'bench-wiring-insights';
  await Dexie.delete(name);
  const api = engine(name);
  await api.loadDemo();
  await api.rollupPass();
  const first = await measure(() => api.insightsOverview());
  const series = await api.listSeries();
  const inputs = [];
  for (const s of series) {
    const r = await api.query({
      seriesId: s.id,
      from: NOW - 86_400_000,
      to: NOW,
      maxPoints: 5_000,
      aggregates: ['avg'],
      tier: '1m'
    });
    inputs.push({ key: s.key, category: s.category, unit: s.unit, t: r.t, v: r.columns.avg! });
  }
  const events = generateDemoData({ end: NOW }).events;
  const base = await measure(() =>
    generateInsights({ now: NOW, window: 86_400_000, series: inputs, events, previous: [] })
  );
  emit({
    name: 'wiring.insights_overview_ms',
    value: first.ms,
    unit: 'ms',
    baseline: base.ms,
    series: series.length,
    events: events.length,
    insights: first.value.insights.length,
    baselineInsights: base.value.length
  });
  await Dexie.delete(name);
}

await benchAnomalyPass();
await benchResultLogSync();
await benchInsights();
