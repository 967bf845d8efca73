/**
 * Quantiles from Prometheus-style histograms: a family of cumulative bucket series
 * `x_bucket{le="0.1"}`, `x_bucket{le="0.5"}`, …, `x_bucket{le="+Inf"}`, each counting the
 * observations at or below its bound. This is PromQL's `histogram_quantile` (promql/
 * quantile.go `bucketQuantile`): find the bucket the rank falls in and interpolate linearly
 * inside it, so the answer is an estimate whose error is bounded by the bucket's width.
 * Pure: data in, data out.
 */
import type { Columnar } from '$lib/types';

export interface HistogramBucket {
  /** Upper bound (`le`), Infinity for the `+Inf` bucket. */
  le: number;
  /** Cumulative count (or its rate): observations at or below `le`. */
  count: number;
}

/**
 * Reads an `le` label: "+Inf" (and "Inf") is Infinity, numbers as Prometheus writes them
 * ("0.005", "1.6384e+06"). NaN when unreadable.
 */
export function parseBucketBound(le: string | undefined): number {
  if (le === undefined) return NaN;
  const s = le.trim();
  if (/^\+?inf$/i.test(s)) return Infinity;
  if (s === '') return NaN;
  const n = Number(s);
  return Number.isNaN(n) ? NaN : n;
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of one histogram sample, as Prometheus computes it:
 * buckets sorted by bound, equal bounds merged, counts made monotonic (a scrape racing an
 * observation can leave a lower bucket ahead); the rank q × total falls in bucket b and the
 * result is linear between b's lower and upper bound. A rank in the `+Inf` bucket answers
 * the highest finite bound; a first bucket with a bound ≤ 0 answers that bound (its lower
 * end is unknown, 0 is assumed otherwise).
 *
 * Edges: q < 0 → -Infinity, q > 1 → Infinity; no `+Inf` bucket, fewer than two buckets, a
 * total of 0 or NaN counts → NaN. O(b log b) for b buckets.
 *
 * @example
 * histogramQuantile(0.5, [{ le: 1, count: 2 }, { le: 2, count: 8 }, { le: Infinity, count: 10 }]);
 * // rank 5 falls in (1, 2] holding 6: 1 + (5 - 2) / 6 = 1.5
 */
export function histogramQuantile(q: number, buckets: readonly HistogramBucket[]): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const sorted = buckets.filter((b) => !Number.isNaN(b.le)).sort((a, b) => a.le - b.le);
  if (sorted.length === 0 || sorted[sorted.length - 1].le !== Infinity) return NaN;
  // Equal bounds (the same bucket twice) add up, as Prometheus' coalesceBuckets does.
  const merged: HistogramBucket[] = [];
  for (const b of sorted) {
    if (Number.isNaN(b.count)) return NaN;
    const last = merged[merged.length - 1];
    if (last && last.le === b.le) last.count += b.count;
    else merged.push({ le: b.le, count: b.count });
  }
  if (merged.length < 2) return NaN;
  for (let i = 1; i < merged.length; i++)
    merged[i].count = Math.max(merged[i].count, merged[i - 1].count);
  const total = merged[merged.length - 1].count;
  if (!(total > 0)) return NaN;
  let rank = q * total;
  let b = 0;
  while (b < merged.length - 1 && merged[b].count < rank) b++;
  if (b === merged.length - 1) return merged[merged.length - 2].le;
  if (b === 0 && merged[0].le <= 0) return merged[0].le;
  let start = 0;
  let count = merged[b].count;
  if (b > 0) {
    start = merged[b - 1].le;
    count -= merged[b - 1].count;
    rank -= merged[b - 1].count;
  }
  return start + (merged[b].le - start) * (rank / count);
}

/** One bucket series of a histogram family over time: its bound and its points. */
export interface BucketSeries extends Columnar {
  le: number;
}

/**
 * Quantiles over time from a histogram family's bucket series, each already turned into
 * what the quantile is taken of (per-second rates of the cumulative counts, as
 * `histogram_quantile(q, rate(x_bucket[…]))`, or the stored counts for one scrape).
 * Points are matched by timestamp; at a time where the `+Inf` bucket has no finite value
 * the quantiles are NaN (a gap), and other missing buckets are left out of that sample.
 *
 * Empty input → empty output. O(T · (B log B + Q)) for T distinct times, B buckets, Q quantiles.
 *
 * @example
 * computeHistogramQuantiles({
 *   buckets: [{ le: 1, t: [0], v: [2] }, { le: Infinity, t: [0], v: [4] }],
 *   quantiles: [0.5]
 * }); // { t: [0], values: [[1]] } — rank 2 reaches the first bucket's bound
 */
export function computeHistogramQuantiles(options: {
  buckets: readonly BucketSeries[];
  quantiles: readonly number[];
}): { t: Float64Array; values: Float64Array[] } {
  const byTime = new Map<number, HistogramBucket[]>();
  for (const s of options.buckets) {
    for (let i = 0; i < s.t.length; i++) {
      const v = s.v[i];
      if (!Number.isFinite(v)) continue;
      let sample = byTime.get(s.t[i]);
      if (!sample) byTime.set(s.t[i], (sample = []));
      sample.push({ le: s.le, count: v });
    }
  }
  const t = Float64Array.from([...byTime.keys()].sort((a, b) => a - b));
  const values = options.quantiles.map(() => new Float64Array(t.length));
  for (let i = 0; i < t.length; i++) {
    const sample = byTime.get(t[i])!;
    options.quantiles.forEach((q, k) => (values[k][i] = histogramQuantile(q, sample)));
  }
  return { t, values };
}

/**
 * The histogram family a bucket series belongs to — its name and its labels without `le` —
 * or null when it is not a bucket series (a `histogram_bucket` kind, or a `_bucket` name
 * with an `le` label, as Prometheus names them).
 *
 * @example
 * histogramFamily({ name: 'rpc_seconds_bucket', labels: { le: '0.1', job: 'a' }, kind: 'histogram_bucket' });
 * // { name: 'rpc_seconds_bucket', labels: { job: 'a' } }
 */
export function histogramFamily(series: {
  name: string;
  labels: Record<string, string>;
  kind: string;
}): { name: string; labels: Record<string, string> } | null {
  if (!('le' in series.labels)) return null;
  if (series.kind !== 'histogram_bucket' && !series.name.endsWith('_bucket')) return null;
  const { le: _le, ...labels } = series.labels;
  return { name: series.name, labels };
}
