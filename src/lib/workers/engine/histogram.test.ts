import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '$lib/db/database';
import type { SeriesDescriptor } from '$lib/types';
import { createEngineApi } from '$lib/workers/engine/api';

const now = Date.UTC(2026, 10, 23, 12);
const names: string[] = [];
let k = 0;
function engine() {
  const name = `histogram-test-${k++}`;
  names.push(name);
  return createEngineApi({ openDb: (cb) => openDatabase(cb, { name }), now: () => now });
}
afterEach(async () => {
  for (const name of names.splice(0)) await Dexie.delete(name);
});

const bucket = (le: string): SeriesDescriptor => ({
  name: 'rpc_duration_seconds_bucket',
  labels: { le, job: 'api' },
  unit: 's',
  kind: 'histogram_bucket',
  source: 'import',
  category: 'app'
});

/** Every stored bucket's quantiles over the last minute, as Explore asks. */
async function quantiles(api: ReturnType<typeof engine>, asked: (0.5 | 0.95 | 0.99)[]) {
  const series = await api.listSeries();
  return api.queryHistogram({
    buckets: series.map((s) => ({ seriesId: s.id, le: s.labels.le })),
    from: now - 60_000,
    to: now,
    maxPoints: 1000,
    quantiles: asked
  });
}

describe('engine queryHistogram', () => {
  it('answers p50/p95/p99 of the buckets’ per-second rates at raw resolution', async () => {
    const api = engine();
    const t = Float64Array.of(now - 20_000, now - 10_000, now);
    // Cumulative counters scraped every 10 s (the pure test's hand-worked case).
    await api.ingest([
      { series: bucket('1'), t, v: Float64Array.of(0, 10, 30) },
      { series: bucket('2'), t, v: Float64Array.of(0, 20, 40) },
      { series: bucket('+Inf'), t, v: Float64Array.of(0, 20, 50) }
    ]);
    const answer = await quantiles(api, [0.5, 0.95, 0.99]);
    expect(answer.rates).toBe(true);
    expect(answer.result.tier).toBe('raw');
    expect(Array.from(answer.result.t)).toEqual([now - 10_000, now]);
    // Rates [1, 2, 2]/s then [2, 2, 3]/s: p50 = 1 then 0.75; p95 rank 1.9 of 2 in (1, 2]
    // holding 1 → 1.9, then rank 2.85 in +Inf → 2.
    expect(Array.from(answer.result.columns.p50!)).toEqual([1, 0.75]);
    expect(answer.result.columns.p95![0]).toBeCloseTo(1.9, 12);
    expect(answer.result.columns.p95![1]).toBe(2);
  });

  it('takes one scrape’s stored counts when no bucket has a rate', async () => {
    const api = engine();
    const t = Float64Array.of(now);
    await api.ingest([
      { series: bucket('0.1'), t, v: Float64Array.of(10) },
      { series: bucket('0.5'), t, v: Float64Array.of(30) },
      { series: bucket('1'), t, v: Float64Array.of(45) },
      { series: bucket('+Inf'), t, v: Float64Array.of(50) }
    ]);
    const answer = await quantiles(api, [0.5]);
    expect(answer.rates).toBe(false);
    expect(answer.result.columns.p50![0]).toBeCloseTo(0.4, 12);
  });
});

describe('engine queryHeatmap', () => {
  it('bins event durations by time and latency', async () => {
    const api = engine();
    const e = (t: number, durationMs: number) => ({
      t,
      durationMs,
      actionType: 'call',
      status: 'success'
    });
    await api.ingestEvents([
      e(now - 50_000, 3),
      e(now - 45_000, 40),
      e(now - 5_000, 40),
      e(now - 4_000, 45),
      e(now - 120_000, 40)
    ]);
    const h = await api.queryHeatmap({
      from: now - 60_000,
      to: now,
      columns: 2,
      source: { kind: 'durations' }
    });
    const row = (ms: number) => h.bounds.findIndex((b) => b >= ms);
    expect(h.total).toBe(4);
    expect(h.counts[row(3) * 2]).toBe(1);
    expect(h.counts[row(40) * 2]).toBe(1);
    expect(h.counts[row(40) * 2 + 1]).toBe(2);
  });

  it('bins a histogram family’s bucket increases', async () => {
    const api = engine();
    const t = Float64Array.of(now - 20_000, now - 10_000, now - 1);
    await api.ingest([
      { series: bucket('1'), t, v: Float64Array.of(0, 10, 30) },
      { series: bucket('2'), t, v: Float64Array.of(0, 20, 40) },
      { series: bucket('+Inf'), t, v: Float64Array.of(0, 20, 50) }
    ]);
    const series = await api.listSeries();
    const h = await api.queryHeatmap({
      from: now - 60_000,
      to: now,
      columns: 60,
      source: {
        kind: 'histogram',
        buckets: series.map((s) => ({ seriesId: s.id, le: s.labels.le }))
      }
    });
    expect(h.bounds).toEqual([1, 2, Infinity]);
    // Increases over the two 10 s steps: le=1 +10 then +20, le=2 +20 then +20, +Inf +20 then +30.
    expect(h.total).toBeCloseTo(50, 6);
    const col = (t: number) => Math.floor((t - h.from) / h.stepMs);
    const at = (r: number, c: number) => h.counts[r * h.columns + c];
    expect(at(0, col(now - 10_000))).toBeCloseTo(10, 6);
    expect(at(1, col(now - 10_000))).toBeCloseTo(10, 6);
    expect(at(2, col(now - 10_000))).toBeCloseTo(0, 6);
    expect(at(0, col(now - 1))).toBeCloseTo(20, 6);
    expect(at(2, col(now - 1))).toBeCloseTo(10, 6);
  });
});
