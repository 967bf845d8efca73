/**
 * Quantiles from Prometheus cumulative histograms, the way PromQL's `histogram_quantile`
 * computes them (prometheus/promql/quantile.go `bucketQuantile`): find the bucket whose
 * cumulative count reaches rank q·n and interpolate linearly inside it, assuming the
 * observations are spread evenly; a rank in the +Inf bucket answers the highest finite bound.
 */

export interface Bucket {
  /** Upper bound (`le`), +Infinity for the last bucket. */
  le: number;
  /** Cumulative count of observations ≤ le. */
  count: number;
}

/**
 * Per-bucket difference between two scrapes of one histogram (observations made between
 * them). A bucket that went down means the server restarted, so the newer counts are taken
 * whole. Buckets are matched by bound; returns buckets sorted by bound. O(b log b).
 * @example diffBuckets([{ le: 1, count: 2 }], [{ le: 1, count: 5 }]) // [{ le: 1, count: 3 }]
 */
export function diffBuckets(before: Bucket[] | undefined, after: Bucket[]): Bucket[] {
  const sorted = [...after].sort((a, b) => a.le - b.le);
  if (!before) return sorted;
  const prev = new Map(before.map((b) => [b.le, b.count]));
  const reset = sorted.some((b) => b.count < (prev.get(b.le) ?? 0));
  if (reset) return sorted;
  return sorted.map((b) => ({ le: b.le, count: b.count - (prev.get(b.le) ?? 0) }));
}

/**
 * The q-quantile (0..1) of a cumulative histogram. No observations, no buckets, or no +Inf
 * bucket → NaN (as PromQL). O(b).
 * @example computeHistogramQuantile(0.5, [{ le: 1, count: 0 }, { le: 2, count: 10 }, { le: Infinity, count: 10 }]) // 1.5
 */
export function computeHistogramQuantile(q: number, buckets: Bucket[]): number {
  if (buckets.length < 2 || buckets[buckets.length - 1].le !== Infinity) return NaN;
  const total = buckets[buckets.length - 1].count;
  if (!(total > 0)) return NaN;
  const rank = q * total;
  let i = 0;
  while (i < buckets.length - 1 && buckets[i].count < rank) i++;
  if (i === buckets.length - 1) return buckets[buckets.length - 2].le;
  const upper = buckets[i].le;
  const lower = i === 0 ? Math.min(0, upper) : buckets[i - 1].le;
  const below = i === 0 ? 0 : buckets[i - 1].count;
  const inBucket = buckets[i].count - below;
  if (inBucket <= 0) return upper;
  return lower + (upper - lower) * ((rank - below) / inBucket);
}
