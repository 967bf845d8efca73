/**
 * Store core benchmarks: chunk codec size and speed, sketch accuracy, rollup throughput.
 * Run: npx tsx bench/store-core.bench.ts
 */
import { emit, median, timeCpuRuns as timeRuns } from './lib';
import { BitWriter, writeXor } from '../src/lib/tsdb/codec/bits';
import { decodeChunk, encodeChunk } from '../src/lib/tsdb/codec/chunk';
import { encodeRollupBlock } from '../src/lib/tsdb/codec/block';
import { rollupPoints } from '../src/lib/tsdb/rollup';
import { createSketch } from '../src/lib/tsdb/sketch';

const CHUNK = 4096;
const DAY_POINTS = 86_400;
const T0 = Date.UTC(2026, 0, 5);

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

type Kind = 'cpu2' | 'cpu1' | 'mem' | 'temp' | 'load' | 'counter' | 'net';

/** One day of 1 s points of a realistic host metric. */
function makeSeries(kind: Kind, seed: number): { t: Float64Array; v: Float64Array } {
  const r = rng(seed);
  const t = new Float64Array(DAY_POINTS);
  const v = new Float64Array(DAY_POINTS);
  let x = 0;
  for (let i = 0; i < DAY_POINTS; i++) {
    // Agents sample on a timer: mostly exact seconds, sometimes a few ms late.
    t[i] = T0 + i * 1000 + (r() < 0.02 ? Math.floor(r() * 5) : 0);
    const daily = Math.sin((2 * Math.PI * i) / DAY_POINTS);
    switch (kind) {
      case 'cpu2':
        v[i] =
          Math.round(Math.max(0, Math.min(100, 30 + 20 * daily + 5 * gaussian(r))) * 100) / 100;
        break;
      case 'cpu1':
        v[i] = Math.round(Math.max(0, 8 + 4 * daily + 2 * gaussian(r)) * 10) / 10;
        break;
      case 'mem':
        if (i === 0) x = 8_000_000_000 + Math.floor(r() * 1000) * 4096;
        else if (r() < 0.3) x += Math.round(gaussian(r) * 32) * 4096;
        v[i] = x;
        break;
      case 'temp':
        v[i] = Math.round((50 + 8 * daily + 0.6 * gaussian(r)) * 10) / 10;
        break;
      case 'load':
        x = i === 0 ? 1.2 : Math.max(0, 0.98 * x + 0.02 * (1.5 + daily) + 0.03 * gaussian(r));
        v[i] = Math.round(x * 100) / 100;
        break;
      case 'counter':
        x += Math.floor(Math.max(0, 1200 + 800 * daily + 300 * gaussian(r)));
        v[i] = x;
        break;
      case 'net':
        x += Math.floor(Math.exp(8 + 2 * r())) * (r() < 0.9 ? 1 : 0);
        v[i] = x;
        break;
    }
  }
  return { t, v };
}

const kinds: Kind[] = ['cpu2', 'cpu1', 'mem', 'temp', 'load', 'counter', 'net'];
const series = Array.from({ length: 20 }, (_, i) => makeSeries(kinds[i % kinds.length], i + 1));
const chunks: { t: Float64Array; v: Float64Array }[] = [];
for (const s of series) {
  for (let lo = 0; lo < DAY_POINTS; lo += CHUNK) {
    chunks.push({ t: s.t.subarray(lo, lo + CHUNK), v: s.v.subarray(lo, lo + CHUNK) });
  }
}
const totalPoints = chunks.reduce((a, c) => a + c.t.length, 0);

// --- codec size -----------------------------------------------------------------------
let encodedBytes = 0;
const encoded = chunks.map((c) => encodeChunk(c.t, c.v));
for (const e of encoded) encodedBytes += e.length;
// Plain Gorilla baseline: XOR-coded values (with the same timestamp column cost).
let gorillaBytes = 0;
for (let k = 0; k < chunks.length; k++) {
  const c = chunks[k];
  const bw = new BitWriter(c.v.length * 2);
  writeXor(bw, new Uint32Array(c.v.buffer, c.v.byteOffset, c.v.length * 2));
  const timeOnly = encodeChunk(c.t, new Float64Array(c.t.length)).length;
  gorillaBytes += bw.wordCount * 4 + timeOnly;
}
emit({
  name: 'codec.bytes_per_point',
  value: encodedBytes / totalPoints,
  unit: 'B/pt',
  baseline: gorillaBytes / totalPoints,
  raw_float64_pair: 16,
  series: series.length,
  points: totalPoints
});
for (const kind of kinds) {
  const s = makeSeries(kind, 99);
  let bytes = 0;
  for (let lo = 0; lo < DAY_POINTS; lo += CHUNK) {
    bytes += encodeChunk(s.t.subarray(lo, lo + CHUNK), s.v.subarray(lo, lo + CHUNK)).length;
  }
  emit({ name: `codec.bytes_per_point.${kind}`, value: bytes / DAY_POINTS, unit: 'B/pt' });
}

// --- codec speed ----------------------------------------------------------------------
const encTimes = timeRuns(
  () => {
    for (const c of chunks) encodeChunk(c.t, c.v);
  },
  { minMs: 2000, minRuns: 3 }
);
const copyTimes = timeRuns(
  () => {
    for (const c of chunks) {
      const t = new Float64Array(c.t.length);
      const v = new Float64Array(c.v.length);
      t.set(c.t);
      v.set(c.v);
    }
  },
  { minMs: 1000, minRuns: 3 }
);
const copyRate = totalPoints / (median(copyTimes) / 1000);
emit({
  name: 'codec.encode_points_per_s',
  value: totalPoints / (median(encTimes) / 1000),
  unit: 'pt/s',
  baseline: copyRate
});
const decTimes = timeRuns(
  () => {
    for (const e of encoded) decodeChunk(e);
  },
  { minMs: 2000, minRuns: 3 }
);
emit({
  name: 'codec.decode_points_per_s',
  value: totalPoints / (median(decTimes) / 1000),
  unit: 'pt/s',
  baseline: copyRate
});

// --- sketch accuracy ------------------------------------------------------------------
const dists: Record<string, (r: () => number) => number> = {
  uniform: (r) => r() * 1000,
  lognormal: (r) => Math.exp(2 + 1.5 * gaussian(r)),
  bimodal: (r) => (r() < 0.8 ? 20 + 2 * gaussian(r) : 300 + 30 * gaussian(r)),
  pareto: (r) => 1 / Math.pow(1 - r(), 1 / 1.5),
  negative: (r) => -Math.exp(1 + gaussian(r)),
  latency_ms: (r) => 5 + Math.exp(1 + 0.8 * gaussian(r)) + (r() < 0.01 ? 500 * r() : 0)
};
const qs = [0.5, 0.9, 0.95, 0.99, 0.999];
let maxRel = 0;
let sketchMs = 0;
let sortMs = 0;
let sketchPoints = 0;
for (const [name, gen] of Object.entries(dists)) {
  const r = rng(name.length * 17);
  const xs = Float64Array.from({ length: 200_000 }, () => gen(r));
  sketchPoints += xs.length;
  let sk = createSketch();
  sketchMs += median(timeRuns(() => (sk = createSketch(xs)), { minMs: 200, minRuns: 3 }));
  let sorted = xs;
  sortMs += median(timeRuns(() => (sorted = xs.slice().sort()), { minMs: 200, minRuns: 3 }));
  for (const q of qs) {
    const exact = sorted[Math.floor(q * (sorted.length - 1))];
    maxRel = Math.max(maxRel, Math.abs(sk.quantile(q) - exact) / Math.abs(exact));
  }
}
emit({
  name: 'sketch.max_rel_error',
  value: maxRel,
  unit: 'ratio',
  bound: 0.01,
  quantiles: qs,
  distributions: Object.keys(dists)
});
emit({
  name: 'sketch.add_points_per_s',
  value: sketchPoints / (sketchMs / 1000),
  unit: 'pt/s',
  baseline: sketchPoints / (sortMs / 1000),
  baseline_is: 'sorting a Float64Array for exact quantiles'
});

// --- rollup throughput ----------------------------------------------------------------
const rollSeries = series.slice(0, 4);
const rollPoints = rollSeries.length * DAY_POINTS;
const rollTimes = timeRuns(
  () => {
    for (const s of rollSeries) {
      rollupPoints({ t: s.t, v: s.v, tier: '1s', timeZone: 'Europe/London' });
      rollupPoints({ t: s.t, v: s.v, tier: '1m', timeZone: 'Europe/London' });
    }
  },
  { minMs: 2000, minRuns: 3 }
);
const plainTimes = timeRuns(
  () => {
    for (const s of rollSeries) {
      for (const w of [1000, 60_000]) {
        const n = Math.ceil(DAY_POINTS / (w / 1000)) + 1;
        const cnt = new Float64Array(n);
        const sum = new Float64Array(n);
        const min = new Float64Array(n).fill(Infinity);
        const max = new Float64Array(n).fill(-Infinity);
        for (let i = 0; i < s.t.length; i++) {
          const b = Math.floor((s.t[i] - T0) / w);
          const x = s.v[i];
          cnt[b]++;
          sum[b] += x;
          if (x < min[b]) min[b] = x;
          if (x > max[b]) max[b] = x;
        }
      }
    }
  },
  { minMs: 1000, minRuns: 3 }
);
emit({
  name: 'rollup.points_per_s',
  value: rollPoints / (median(rollTimes) / 1000),
  unit: 'pt/s',
  baseline: rollPoints / (median(plainTimes) / 1000),
  tiers: ['1s', '1m'],
  note: 'each point rolled into both tiers, with sketches and Welford M2'
});

// Block size last: its garbage would otherwise tax the throughput run's GC.
for (const tier of ['1s', '1m'] as const) {
  let bytes = 0;
  let buckets = 0;
  let plainBytes = 0;
  for (const s of rollSeries) {
    const cols = rollupPoints({ t: s.t, v: s.v, tier, timeZone: 'Europe/London' });
    // Blocks of 1024 buckets, as the store would keep them per record.
    for (let lo = 0; lo < cols.start.length; lo += 1024) {
      const part = { ...cols, sketches: cols.sketches.slice(lo, lo + 1024) };
      for (const f of ['start', 'count', 'sum', 'min', 'max', 'sumSq'] as const) {
        part[f] = cols[f].subarray(lo, lo + 1024);
      }
      for (const f of ['first', 'firstT', 'last', 'lastT'] as const) {
        part[f] = cols[f].subarray(lo, lo + 1024);
      }
      bytes += encodeRollupBlock(part).length;
    }
    buckets += cols.start.length;
    for (const sk of cols.sketches) plainBytes += sk.serialize().length;
  }
  plainBytes += buckets * 10 * 8;
  emit({
    name: `rollup.block_bytes_per_bucket.${tier}`,
    value: bytes / buckets,
    unit: 'B/bucket',
    baseline: plainBytes / buckets,
    baseline_is: 'ten plain float64 fields plus the same serialised sketches'
  });
}
