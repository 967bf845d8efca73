import { expose } from 'comlink';
import { openDatabase } from '$lib/db/database';
import { normalisePoints, splitIntoChunks } from '$lib/db/metric-store';
import { NaivePointDb } from '$lib/db/naive-store';
import type { Aggregate, SeriesDescriptor, TierName } from '$lib/types';
import { createEngineApi } from './engine/api';

/**
 * Store benchmarks, run in a worker of a real Chromium (bench/store.bench.ts drives them).
 * Every figure has a baseline measured in the same run: the naive one-record-per-point
 * layout. Only plain data comes back.
 */

const SERIES = 20;
const descriptors: SeriesDescriptor[] = Array.from({ length: SERIES }, (_, i) => ({
  name: ['cpu_usage_percent', 'memory_used_bytes', 'temperature_celsius', 'load_average'][i % 4],
  labels: { host: `bench-${Math.floor(i / 4)}` },
  unit: '',
  kind: 'gauge',
  source: 'api',
  category: 'system'
}));

/** Realistic 1-second gauges: CPU % (1 decimal), memory bytes, temperature (1 decimal), load (2 decimals). */
function gaugeValue(series: number, i: number, state: Float64Array): number {
  const r = Math.sin(i * 12.9898 + series * 78.233) * 43758.5453;
  const noise = r - Math.floor(r) - 0.5;
  switch (series % 4) {
    case 0:
      state[series] = Math.min(100, Math.max(0, state[series] * 0.98 + 0.6 + noise * 6));
      return Math.round(state[series] * 10) / 10;
    case 1:
      state[series] += Math.round(noise * 4096) * 1024;
      return 8e9 + state[series];
    case 2:
      return Math.round((45 + 10 * Math.sin(i / 3600) + noise) * 10) / 10;
    default:
      return Math.round((1.5 + Math.sin(i / 900) + noise * 0.2) * 100) / 100;
  }
}

function makeBatch(from: number, seconds: number, startIndex: number, state: Float64Array) {
  return descriptors.map((series, s) => {
    const t = new Float64Array(seconds);
    const v = new Float64Array(seconds);
    for (let k = 0; k < seconds; k++) {
      t[k] = from + k * 1000;
      v[k] = gaugeValue(s, startIndex + k, state);
    }
    return { series, t, v };
  });
}

async function storageUsage(): Promise<number> {
  const e = await navigator.storage.estimate();
  return e.usage ?? 0;
}

function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)];
}

const api = {
  /** Naive baseline: one record per point, for `seconds` of wall time. */
  async naive(options: { seconds: number; batchRows: number }) {
    const db = new NaivePointDb();
    await db.delete();
    await db.open();
    const before = await storageUsage();
    const state = new Float64Array(SERIES);
    const end = Date.now();
    const t0 = performance.now();
    let rows = 0;
    let i = 0;
    while (performance.now() - t0 < options.seconds * 1000) {
      const batch: { series: number; t: number; v: number }[] = [];
      const secs = Math.ceil(options.batchRows / SERIES);
      for (let k = 0; k < secs; k++) {
        for (let s = 0; s < SERIES; s++) {
          batch.push({
            series: s,
            t: end - 30 * 86_400_000 + (i + k) * 1000,
            v: gaugeValue(s, i + k, state)
          });
        }
      }
      i += secs;
      await db.append(batch);
      rows += batch.length;
    }
    const elapsed = (performance.now() - t0) / 1000;
    const bytes = (await storageUsage()) - before;
    // 1 hour of one series.
    const times: number[] = [];
    const from = end - 30 * 86_400_000;
    for (let k = 0; k < 20; k++) {
      const q0 = performance.now();
      await db.readRange(0, from, from + 3_600_000);
      times.push(performance.now() - q0);
    }
    db.close();
    await db.delete();
    return {
      rows,
      pointsPerS: rows / elapsed,
      bytesPerPoint: bytes / rows,
      hourQueryP95Ms: p95(times)
    };
  },

  /**
   * Tidemark's store: `days` of 20 one-second series ingested through the engine's queue
   * while another worker (the page's background engine) rolls up.
   */
  async ingest(options: { days: number; sliceSeconds: number }) {
    const name = 'tidemark-bench';
    const engine = createEngineApi({
      openDb: (cb) => openDatabase(cb, { name }),
      timeZone: 'UTC'
    });
    await engine.init();
    await engine.clearAll();
    // What the CPU work alone allows: generating the same kind of batches and encoding them
    // into chunks, without IndexedDB. The gap to the real figure is the storage cost.
    const cpuState = new Float64Array(SERIES);
    const cpuSeconds = Math.min(86_400, options.days * 86_400);
    const c0 = performance.now();
    let cpuBytes = 0;
    for (let i = 0; i < cpuSeconds; i += options.sliceSeconds) {
      const secs = Math.min(options.sliceSeconds, cpuSeconds - i);
      for (const b of makeBatch(Date.UTC(2026, 0, 1) + i * 1000, secs, i, cpuState)) {
        for (const c of splitIntoChunks(0, normalisePoints(b))) cpuBytes += c.data.byteLength;
      }
    }
    const cpuOnlyPointsPerS = (cpuSeconds * SERIES) / ((performance.now() - c0) / 1000);
    const before = await storageUsage();
    const state = new Float64Array(SERIES);
    const totalSeconds = options.days * 86_400;
    const end = Math.floor(Date.now() / 1000) * 1000;
    const start = end - totalSeconds * 1000;
    const t0 = performance.now();
    let points = 0;
    // A producer that keeps one batch in flight while it builds the next, as a streaming
    // source does: building (CPU, this worker) overlaps the previous write (the browser's
    // storage process). Every batch is still acknowledged only after its transaction completes.
    let inFlight: Promise<unknown> = Promise.resolve();
    for (let i = 0; i < totalSeconds; i += options.sliceSeconds) {
      const secs = Math.min(options.sliceSeconds, totalSeconds - i);
      const batch = makeBatch(start + i * 1000, secs, i, state);
      await inFlight;
      inFlight = engine.ingest(batch);
      points += secs * SERIES;
    }
    await inFlight;
    await engine.flush();
    const elapsed = (performance.now() - t0) / 1000;
    const counts = await engine.counts();
    const usage = (await storageUsage()) - before;
    return {
      points,
      seconds: elapsed,
      pointsPerS: points / elapsed,
      encodedBytesPerPoint: counts.bytes / counts.points,
      diskBytesPerPoint: usage / points,
      cpuOnlyPointsPerS,
      cpuOnlyBytes: cpuBytes,
      start,
      end
    };
  },

  /**
   * Live-rate ingest for `seconds` of wall time: one point per series each second, stamped
   * from `start` on (right after the bulk ingest), as a running monitor sends them.
   */
  async steady(options: { seconds: number; start: number }) {
    const engine = createEngineApi({
      openDb: (cb) => openDatabase(cb, { name: 'tidemark-bench' }),
      timeZone: 'UTC'
    });
    await engine.init();
    const state = new Float64Array(SERIES);
    let points = 0;
    const t0 = performance.now();
    for (let i = 0; i < options.seconds; i++) {
      await engine.ingest(makeBatch(options.start + i * 1000, 1, 1_000_000 + i, state));
      points += SERIES;
      const wait = t0 + (i + 1) * 1000 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    return { points };
  },

  /** Query latencies against the store filled by `ingest` (after rollups caught up). */
  async queries(options: { start: number; end: number; runs: number }) {
    const engine = createEngineApi({
      openDb: (cb) => openDatabase(cb, { name: 'tidemark-bench' }),
      timeZone: 'UTC'
    });
    await engine.init();
    const series = await engine.listSeries();
    const run = async (make: (i: number) => Parameters<typeof engine.query>[0]) => {
      const times: number[] = [];
      let tier: TierName | 'raw' = 'raw';
      let n = 0;
      // Ten untimed runs first (at other offsets, so other blocks) so JIT warm-up of the
      // query path is not counted as latency.
      for (let i = 0; i < 10; i++) await engine.query(make(options.runs + 1 + i));
      for (let i = 0; i < options.runs; i++) {
        const q0 = performance.now();
        const r = await engine.query(make(i));
        times.push(performance.now() - q0);
        tier = r.tier;
        n = r.t.length;
      }
      const sorted = [...times].sort((a, b) => a - b);
      return { p95: p95(times), p50: sorted[sorted.length >> 1], tier, points: n };
    };
    const day = 86_400_000;
    const pick = (i: number) => series[i % series.length].id;
    const hour = await run((i) => {
      const days = Math.max(1, Math.floor((options.end - options.start) / day));
      const from = options.start + ((i * 7919) % days) * day + ((i * 31) % 20) * 3_600_000;
      return {
        seriesId: pick(i),
        from,
        to: from + 3_600_000 - 1,
        maxPoints: 4000,
        aggregates: ['avg'] as Aggregate[]
      };
    });
    const month = await run((i) => ({
      seriesId: pick(i),
      from: options.start,
      to: options.end,
      maxPoints: 1000,
      aggregates: ['avg', 'min', 'max'] as Aggregate[]
    }));
    const dayP95 = await run((i) => ({
      seriesId: pick(i),
      from: options.end - day,
      to: options.end,
      maxPoints: 1440,
      aggregates: ['p95'] as Aggregate[],
      tier: '1m' as const
    }));
    // Sketch error, like with like: each 1-minute bucket's p50/p95/p99 from its sketch
    // against the exact lower quantile x[floor(q·(n-1))] (the sketch's rank definition) of
    // exactly the raw points that bucket holds — read over the bucket's whole span, and
    // only for buckets whose stored count equals the raw count (a bucket cut by the query
    // range or by retention would compare different data).
    let maxRelError = 0;
    let compared = 0;
    let countMismatches = 0;
    for (const s of series.slice(0, 4)) {
      const lo = Math.floor((options.end - 6 * 3_600_000) / 60_000) * 60_000;
      const raw = await engine.readRaw(s.id, lo, options.end);
      const fromSketch = await engine.query({
        seriesId: s.id,
        from: lo,
        to: options.end,
        maxPoints: 1e6,
        aggregates: ['p50', 'p95', 'p99', 'count'],
        tier: '1m'
      });
      let k = 0;
      for (let b = 0; b < fromSketch.t.length; b++) {
        const b0 = fromSketch.t[b];
        const xs: number[] = [];
        while (k < raw.t.length && raw.t[k] < b0) k++;
        while (k < raw.t.length && raw.t[k] < b0 + 60_000) {
          if (Number.isFinite(raw.v[k])) xs.push(raw.v[k]);
          k++;
        }
        if (xs.length === 0) continue;
        if (xs.length !== fromSketch.columns.count![b]) {
          countMismatches++;
          continue;
        }
        xs.sort((a, c) => a - c);
        for (const [q, col] of [
          [0.5, fromSketch.columns.p50!],
          [0.95, fromSketch.columns.p95!],
          [0.99, fromSketch.columns.p99!]
        ] as const) {
          const exact = xs[Math.floor(q * (xs.length - 1))];
          compared++;
          if (exact !== 0)
            maxRelError = Math.max(maxRelError, Math.abs(col[b] - exact) / Math.abs(exact));
        }
      }
    }
    return { hour, month, day: dayP95, maxRelError, compared, countMismatches };
  }
};

expose(api);
export type BenchApi = typeof api;
