/**
 * Bucket partials: the mergeable summary each tier bucket keeps, how two merge (never
 * averaging averages), and the registry of functions that answer every `Aggregate` from one.
 *
 * `sumSq` is the sum of squared deviations from the bucket mean (Welford's M2), not the
 * raw Σx²: raw sums of squares cancel catastrophically for large, steady values (memory
 * bytes ~8·10^9 with a variance of a few KiB²). Partials combine with Chan, Golub & LeVeque's
 * pairwise update (the formula simple-statistics' combine_variances uses).
 * NaN values are gaps: not counted anywhere. ±Infinity values are counted; they make sum
 * and stddev non-finite for their bucket and are left out of the quantile sketch.
 */
import type { Aggregate } from '$lib/types';
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

/**
 * The q-quantile of a partial: the sketch's lower quantile (≤ 1% relative error) clamped to
 * the exact [min, max]. Empty partial → NaN. O(sketch bins).
 *
 * @example
 * quantileOfPartial(p, 0.9);
 */
export function quantileOfPartial(p: BucketPartial, q: number): number {
  if (p.count === 0) return NaN;
  const x = p.sketch.quantile(q);
  // Exact min/max tighten the sketch's 1% at the tails (and cover ±Infinity buckets).
  if (Number.isNaN(x)) return q >= 0.5 ? p.max : p.min;
  return Math.min(p.max, Math.max(p.min, x));
}

/** Aggregators that read the sketch (see quantileAggregator). */
const sketchReaders = new WeakSet<(p: BucketPartial) => number>();

/** The aggregator of the q-quantile; marked as one that needs the bucket sketches. */
function quantileAggregator(q: number): (p: BucketPartial) => number {
  const f = (p: BucketPartial) => quantileOfPartial(p, q);
  sketchReaders.add(f);
  return f;
}

/**
 * One function per Aggregate, sharing a signature (a registry, as VictoriaMetrics'
 * rollupFuncs): adding an aggregate is one line here plus its name in `Aggregates`.
 * stddev is the population standard deviation sqrt(M2 / count); percentiles come from
 * quantileOfPartial.
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
  p50: quantileAggregator(0.5),
  p95: quantileAggregator(0.95),
  p99: quantileAggregator(0.99)
};

/**
 * Whether an aggregate reads the quantile sketches (reads without one skip decoding them).
 *
 * @example
 * needsSketch('p95'); // true
 * needsSketch('avg'); // false
 */
export function needsSketch(aggregate: Aggregate): boolean {
  return sketchReaders.has(Aggregators[aggregate]);
}

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
