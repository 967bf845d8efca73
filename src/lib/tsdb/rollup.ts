/**
 * Rollup partials: the mergeable summary each tier bucket keeps, how points become
 * partials, how finer partials merge into coarser tiers (never averaging averages), how a
 * partial answers every `Aggregate`, and a compact columnar block format for storage.
 *
 * `sumSq` is the sum of squared deviations from the bucket mean (Welford's M2), not the
 * raw Σx²: raw sums of squares cancel catastrophically for large, steady values (memory
 * bytes ~8·10^9 with a variance of a few KiB²). Partials combine with Chan, Golub & LeVeque's
 * pairwise update (the formula simple-statistics' combine_variances uses).
 * NaN values are gaps: not counted anywhere. ±Infinity values are counted; they make sum
 * and stddev non-finite for their bucket and are left out of the quantile sketch.
 */
import { TierNames, type Aggregate, type TierName } from '$lib/types';
import { ByteSink, type ByteCursor } from './codec/bits';
import { decodeColumn, encodeColumn } from './codec/chunk';
import { createBucketer, MinBucketMs } from './calendar';
import { QuantileSketch } from './sketch';

export interface BucketPartial {
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Σ(x - mean)² over the bucket (M2), see module doc. */
  sumSq: number;
  first: number;
  firstT: number;
  last: number;
  lastT: number;
  sketch: QuantileSketch;
}

/** A run of buckets of one series and tier, one array per field, ascending `start`. */
export interface RollupColumns {
  tier: TierName;
  start: Float64Array;
  count: Float64Array;
  sum: Float64Array;
  min: Float64Array;
  max: Float64Array;
  sumSq: Float64Array;
  first: Float64Array;
  firstT: Float64Array;
  last: Float64Array;
  lastT: Float64Array;
  sketches: QuantileSketch[];
}

/** Which tier each tier is rolled up from: weeks do not nest in months, so 1M comes from 1d. */
export const RollupSource: Record<TierName, TierName | 'raw'> = {
  '1s': 'raw',
  '10s': '1s',
  '1m': '10s',
  '5m': '1m',
  '15m': '5m',
  '1h': '15m',
  '1d': '1h',
  '1w': '1d',
  '1M': '1d'
};

const NumericFields = [
  'start',
  'count',
  'sum',
  'min',
  'max',
  'sumSq',
  'first',
  'firstT',
  'last',
  'lastT'
] as const;
type NumericField = (typeof NumericFields)[number];

/**
 * An empty partial: the identity of mergePartials.
 *
 * @example
 * createEmptyPartial().count; // 0
 */
export function createEmptyPartial(): BucketPartial {
  return {
    count: 0,
    sum: 0,
    min: Infinity,
    max: -Infinity,
    sumSq: 0,
    first: NaN,
    firstT: Infinity,
    last: NaN,
    lastT: -Infinity,
    sketch: new QuantileSketch()
  };
}

/** Chan et al. pairwise M2 combine; `a`/`b` are (count, sum, M2). */
function combineM2(options: {
  na: number;
  sa: number;
  ma: number;
  nb: number;
  sb: number;
  mb: number;
}): number {
  const { na, sa, ma, nb, sb, mb } = options;
  if (na === 0) return mb;
  if (nb === 0) return ma;
  const delta = sb / nb - sa / na;
  return ma + mb + (delta * delta * na * nb) / (na + nb);
}

/**
 * Merges two partials into a new one (inputs unchanged). Associative and commutative for
 * every field except first/last, which follow time: first is the value with the smaller
 * firstT (ties: `a`), last the value with the larger lastT (ties: `b`).
 * Merging with an empty partial returns an equal copy. O(sketch bins).
 *
 * @example
 * mergePartials(partialOf([1, 2]), partialOf([3])).count; // 3
 */
export function mergePartials(a: BucketPartial, b: BucketPartial): BucketPartial {
  const target = { ...a, sketch: a.sketch.clone() };
  mergePartialInto(target, b);
  return target;
}

/**
 * In-place form of mergePartials: folds `b` into `target` (its sketch too). O(sketch bins).
 *
 * @example
 * mergePartialInto(acc, next);
 */
export function mergePartialInto(target: BucketPartial, b: BucketPartial): void {
  if (b.count === 0) return;
  const a = target;
  const aFirst = a.count > 0 && a.firstT <= b.firstT;
  const bLast = a.count === 0 || b.lastT >= a.lastT;
  a.sumSq = combineM2({ na: a.count, sa: a.sum, ma: a.sumSq, nb: b.count, sb: b.sum, mb: b.sumSq });
  a.count += b.count;
  a.sum += b.sum;
  a.min = Math.min(a.min, b.min);
  a.max = Math.max(a.max, b.max);
  if (!aFirst) {
    a.first = b.first;
    a.firstT = b.firstT;
  }
  if (bLast) {
    a.last = b.last;
    a.lastT = b.lastT;
  }
  a.sketch.merge(b.sketch);
}

function createColumns(tier: TierName, capacity: number): RollupColumns {
  const cols = { tier, sketches: [] as QuantileSketch[] } as unknown as RollupColumns;
  for (const f of NumericFields) cols[f] = new Float64Array(capacity);
  return cols;
}

function trimColumns(cols: RollupColumns, length: number): RollupColumns {
  if (cols.start.length === length) return cols;
  for (const f of NumericFields) cols[f] = cols[f].slice(0, length);
  return cols;
}

/**
 * Number of buckets in `cols` (0 for an empty run). O(1).
 *
 * @example
 * countBuckets(rollupPoints({ t, v, tier: '1m', timeZone: 'UTC' })); // e.g. 60
 */
export function countBuckets(cols: RollupColumns): number {
  return cols.start.length;
}

/**
 * The partial of bucket i as an object (the sketch is shared, not copied). O(1).
 *
 * @example
 * getPartial(rollupPoints({ t, v, tier: '1m', timeZone: 'UTC' }), 0).max;
 */
export function getPartial(cols: RollupColumns, i: number): BucketPartial & { start: number } {
  return {
    start: cols.start[i],
    count: cols.count[i],
    sum: cols.sum[i],
    min: cols.min[i],
    max: cols.max[i],
    sumSq: cols.sumSq[i],
    first: cols.first[i],
    firstT: cols.firstT[i],
    last: cols.last[i],
    lastT: cols.lastT[i],
    sketch: cols.sketches[i]
  };
}

/** Stable ascending order of t (NaN last), or null when already sorted. */
function sortOrder(t: Float64Array): Uint32Array | null {
  let sorted = true;
  for (let i = 1; i < t.length; i++) {
    if (!(t[i] >= t[i - 1])) {
      sorted = false;
      break;
    }
  }
  if (sorted) return null;
  const idx = Uint32Array.from(t, (_, i) => i);
  const key = (x: number) => (Number.isNaN(x) ? Infinity : x);
  return Uint32Array.from(Array.from(idx).sort((a, b) => key(t[a]) - key(t[b]) || a - b || 0));
}

/**
 * Rolls raw points up into partials of one tier. Points need not be sorted (they are
 * visited in stable time order); points with a non-finite t or a NaN value are skipped;
 * buckets with no counted point are not emitted.
 * Empty input → zero buckets. O(n) for sorted input (O(n log n) otherwise); calendar
 * boundaries are computed once per bucket, not per point.
 *
 * @example
 * const r = rollupPoints({ t: new Float64Array([0, 500, 1500]), v: new Float64Array([1, 3, 5]),
 *   tier: '1s', timeZone: 'UTC' });
 * Array.from(r.start); // [0, 1000]
 * Array.from(r.sum); // [4, 5]
 */
export function rollupPoints(input: {
  t: Float64Array;
  v: Float64Array;
  tier: TierName;
  timeZone: string;
}): RollupColumns {
  const { t, v, tier, timeZone } = input;
  const n = t.length;
  const order = sortOrder(t);
  let capacity = n;
  if (n > 0 && order === null && Number.isFinite(t[n - 1] - t[0])) {
    capacity = Math.min(n, Math.ceil((t[n - 1] - t[0]) / MinBucketMs[tier]) + 2);
  }
  const cols = createColumns(tier, capacity);
  const sketches = cols.sketches;
  const bucketer = createBucketer({ tier, timeZone });
  let len = 0;
  let curStart = NaN;
  let curEnd = NaN;
  let count = 0;
  let sum = 0;
  let mean = 0;
  let m2 = 0;
  let min = Infinity;
  let max = -Infinity;
  let first = NaN;
  let firstT = NaN;
  let last = NaN;
  let lastT = NaN;
  let sketch: QuantileSketch | null = null;
  const { start: S, count: C, sum: SU, min: MI, max: MA, sumSq: M2 } = cols;
  const { first: F, firstT: FT, last: L, lastT: LT } = cols;
  const flush = () => {
    if (count === 0) return;
    S[len] = curStart;
    C[len] = count;
    SU[len] = sum;
    MI[len] = min;
    MA[len] = max;
    M2[len] = m2;
    F[len] = first;
    FT[len] = firstT;
    L[len] = last;
    LT[len] = lastT;
    sketches.push(sketch!);
    len++;
  };
  for (let k = 0; k < n; k++) {
    const i = order === null ? k : order[k];
    const x = v[i];
    const ti = t[i];
    if (x !== x || !Number.isFinite(ti)) continue;
    if (!(ti >= curStart && ti < curEnd)) {
      flush();
      curStart = bucketer.start(ti);
      curEnd = bucketer.next(ti);
      count = 0;
      sum = 0;
      mean = 0;
      m2 = 0;
      min = Infinity;
      max = -Infinity;
      first = x;
      firstT = ti;
      sketch = new QuantileSketch();
    }
    count++;
    sum += x;
    const delta = x - mean;
    mean += delta / count;
    m2 += delta * (x - mean);
    if (x < min) min = x;
    if (x > max) max = x;
    last = x;
    lastT = ti;
    sketch!.add(x);
  }
  flush();
  cols.sketches = sketches;
  return trimColumns(cols, len);
}

/**
 * Merges a run of finer buckets (ascending start) into buckets of a coarser tier. Each
 * finer bucket must nest in one coarser bucket: see RollupSource (1w → 1M is refused).
 * Empty input → zero buckets. O(buckets · sketch bins).
 *
 * @example
 * const minutes = rollupPartials({ columns: seconds, tier: '1m', timeZone: 'UTC' });
 */
export function rollupPartials(input: {
  columns: RollupColumns;
  tier: TierName;
  timeZone: string;
}): RollupColumns {
  const { columns: src, tier, timeZone } = input;
  const fromRank = TierNames.indexOf(src.tier);
  const toRank = TierNames.indexOf(tier);
  if (toRank < fromRank || (src.tier === '1w' && tier === '1M')) {
    throw new RangeError(`rollupPartials: ${src.tier} buckets do not nest in ${tier}`);
  }
  const n = countBuckets(src);
  const out = createColumns(tier, n);
  const bucketer = createBucketer({ tier, timeZone });
  let len = -1;
  let curEnd = NaN;
  for (let i = 0; i < n; i++) {
    const s = src.start[i];
    if (src.count[i] === 0) continue;
    if (len >= 0 && s >= out.start[len] && s < curEnd) {
      const target = getPartial(out, len);
      mergePartialInto(target, getPartial(src, i));
      setPartial(out, len, target);
      continue;
    }
    len++;
    out.start[len] = bucketer.start(s);
    curEnd = bucketer.next(s);
    const p = getPartial(src, i);
    setPartial(out, len, { ...p, sketch: p.sketch.clone() });
  }
  return trimColumns(out, len + 1);
}

function setPartial(cols: RollupColumns, i: number, p: BucketPartial): void {
  cols.count[i] = p.count;
  cols.sum[i] = p.sum;
  cols.min[i] = p.min;
  cols.max[i] = p.max;
  cols.sumSq[i] = p.sumSq;
  cols.first[i] = p.first;
  cols.firstT[i] = p.firstT;
  cols.last[i] = p.last;
  cols.lastT[i] = p.lastT;
  cols.sketches[i] = p.sketch;
}

function quantileOf(p: BucketPartial, q: number): number {
  if (p.count === 0) return NaN;
  const x = p.sketch.quantile(q);
  // Exact min/max tighten the sketch's 1% at the tails (and cover ±Infinity buckets).
  if (Number.isNaN(x)) return q >= 0.5 ? p.max : p.min;
  return Math.min(p.max, Math.max(p.min, x));
}

/**
 * One function per Aggregate, sharing a signature (a registry, as VictoriaMetrics'
 * rollupFuncs): adding an aggregate is one line. stddev is the population standard
 * deviation sqrt(M2 / count); p50/p95/p99 are sketch lower quantiles (≤ 1% relative error)
 * clamped to the exact [min, max].
 */
export const Aggregators: Record<Aggregate, (p: BucketPartial) => number> = {
  avg: (p) => (p.count > 0 ? p.sum / p.count : NaN),
  min: (p) => (p.count > 0 ? p.min : NaN),
  max: (p) => (p.count > 0 ? p.max : NaN),
  sum: (p) => p.sum,
  count: (p) => p.count,
  first: (p) => (p.count > 0 ? p.first : NaN),
  last: (p) => (p.count > 0 ? p.last : NaN),
  stddev: (p) => (p.count > 0 ? Math.sqrt(Math.max(0, p.sumSq) / p.count) : NaN),
  p50: (p) => quantileOf(p, 0.5),
  p95: (p) => quantileOf(p, 0.95),
  p99: (p) => quantileOf(p, 0.99)
};

/**
 * Value of one aggregate for a partial. Empty partial: count 0, sum 0, everything else NaN.
 * O(1), or O(sketch bins) for percentiles.
 *
 * @example
 * aggregatePartial(getPartial(cols, 0), 'p95');
 */
export function aggregatePartial(p: BucketPartial, aggregate: Aggregate): number {
  return Aggregators[aggregate](p);
}

/**
 * Aggregate columns for many buckets at once (what a QueryResult carries).
 * Zero buckets → empty arrays. O(buckets · aggregates).
 *
 * @example
 * aggregateColumns(cols, ['avg', 'p99']).avg; // Float64Array, one value per bucket
 */
export function aggregateColumns(
  cols: RollupColumns,
  aggregates: Aggregate[]
): Partial<Record<Aggregate, Float64Array>> {
  const n = countBuckets(cols);
  const out: Partial<Record<Aggregate, Float64Array>> = {};
  for (const a of aggregates) {
    const col = new Float64Array(n);
    const f = Aggregators[a];
    for (let i = 0; i < n; i++) col[i] = f(getPartial(cols, i));
    out[a] = col;
  }
  return out;
}

/** Bump when the block layout changes. */
export const RollupBlockVersion = 1;

/**
 * Encodes a run of buckets as one compact block: a 8-byte header (version, tier, flags,
 * bucket count), ten codec columns (firstT/lastT relative to start when that round-trips
 * exactly), then the sketches back to back. Lossless. O(buckets · bins).
 *
 * @example
 * const bytes = encodeRollupBlock(rollupPoints({ t, v, tier: '1m', timeZone: 'UTC' }));
 */
export function encodeRollupBlock(cols: RollupColumns): Uint8Array {
  const n = countBuckets(cols);
  const sink = new ByteSink(64 + n * 16);
  const relFirst = cols.firstT.map((x, i) => x - cols.start[i]);
  const relLast = cols.lastT.map((x, i) => x - cols.start[i]);
  const exact = (rel: Float64Array, abs: Float64Array) =>
    rel.every((r, i) => Object.is(r + cols.start[i], abs[i]));
  const firstRel = exact(relFirst, cols.firstT);
  const lastRel = exact(relLast, cols.lastT);
  sink.writeU8(RollupBlockVersion);
  sink.writeU8(TierNames.indexOf(cols.tier));
  sink.writeU8((firstRel ? 1 : 0) | (lastRel ? 2 : 0));
  sink.writeU8(0);
  sink.writeU32(n);
  for (const f of NumericFields) {
    let col = cols[f];
    if (f === 'firstT' && firstRel) col = relFirst;
    if (f === 'lastT' && lastRel) col = relLast;
    encodeColumn(sink, col);
  }
  for (let i = 0; i < n; i++) cols.sketches[i].writeTo(sink);
  return sink.finish();
}

/**
 * Inverse of encodeRollupBlock. Throws RangeError on an unknown version or tier.
 * With `sketches: false` the quantile sketches are not read (every bucket gets the same
 * empty sketch): for reads that need no percentiles. O(bytes).
 *
 * @example
 * decodeRollupBlock(encodeRollupBlock(cols)).sum; // equals cols.sum
 */
export function decodeRollupBlock(
  bytes: Uint8Array,
  options: { sketches?: boolean } = {}
): RollupColumns {
  const b = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  if (b.length < 8 || b[0] !== RollupBlockVersion) {
    throw new RangeError(`decodeRollupBlock: unknown block version ${b[0]}`);
  }
  const tier = TierNames[b[1]];
  if (!tier) throw new RangeError(`decodeRollupBlock: unknown tier ${b[1]}`);
  const flags = b[2];
  const n = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(4, true);
  // Each bucket's sketch takes at least a byte: a larger n is corruption.
  if (n > b.length) throw new RangeError(`decodeRollupBlock: corrupt bucket count ${n}`);
  const c: ByteCursor = { bytes: b, pos: 8 };
  const cols = createColumns(tier, 0);
  for (const f of NumericFields) cols[f as NumericField] = decodeColumn(c, n);
  if (flags & 1) for (let i = 0; i < n; i++) cols.firstT[i] += cols.start[i];
  if (flags & 2) for (let i = 0; i < n; i++) cols.lastT[i] += cols.start[i];
  if (options.sketches === false) {
    // Queries without percentiles skip the sketches (most of a block's decode time); one
    // shared empty sketch stands in, which merging clones before it adds to it.
    const empty = new QuantileSketch();
    for (let i = 0; i < n; i++) cols.sketches.push(empty);
    return cols;
  }
  for (let i = 0; i < n; i++) cols.sketches.push(QuantileSketch.readFrom(c));
  return cols;
}
