/**
 * Statistics over columnar series, registered in one table in the manner of
 * VictoriaMetrics' `rollupFuncs`: every statistic has the same signature, so adding
 * one is one line in `Statistics`.
 *
 * Conventions shared by every function here:
 * - input `{ t, v }` is never mutated;
 * - NaN in `v` (or in `t` for the time-aware statistics) is a gap and is skipped;
 * - no finite point → NaN.
 */
import type { Columnar } from '$lib/types';

/** Every statistic: one series, optionally a second aligned column (correlation, energy). */
export type StatFn = (series: Columnar, other?: Columnar) => number;

/** Frame budget at 60 Hz, as browsers schedule frames (1000 / 60 ms). */
export const FrameBudgetMs = 1000 / 60;
/** A frame is "within budget" up to this many ms; 16.67 as the task and web.dev state it. */
export const FrameBudgetDefaults = { budgetMs: 16.67 } as const;

/**
 * Quantile of an ascending array with linear interpolation between closest ranks
 * (Hyndman & Fan type 7, numpy's default): h = (n − 1)·q.
 *
 * Empty input → NaN. O(1).
 * @example computeQuantileSorted(Float64Array.of(1, 2, 3, 4), 0.5) // 2.5
 */
export function computeQuantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0 || !(q >= 0 && q <= 1)) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const frac = h - lo;
  if (frac === 0 || lo + 1 >= n) return sorted[lo];
  return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

/**
 * Several exact type-7 quantiles by quickselect (Hoare partition, median-of-three) on a
 * scratch array that the function reorders — pass a copy if the order matters.
 * Cheaper than sorting when a few quantiles of millions of values are needed.
 *
 * Empty input → NaN for each q. Expected O(n · k) for k quantiles.
 * @example selectQuantiles(Float64Array.of(4, 1, 3, 2), [0.5]) // [2.5]
 */
export function selectQuantiles(scratch: Float64Array, qs: readonly number[]): number[] {
  const n = scratch.length;
  if (n === 0) return qs.map(() => NaN);
  const order = qs.map((q, i) => ({ q, i })).sort((a, b) => a.q - b.q);
  const out = new Array<number>(qs.length).fill(NaN);
  let lo = 0;
  for (const { q, i } of order) {
    if (!(q >= 0 && q <= 1)) continue;
    const h = (n - 1) * q;
    const k = Math.floor(h);
    // Earlier selections left everything ≥ position `lo` on the right, so search there only.
    quickselect(scratch, k, lo, n - 1);
    lo = k;
    const frac = h - k;
    let value = scratch[k];
    if (frac > 0 && k + 1 < n) {
      let next = Infinity;
      for (let j = k + 1; j < n; j++) if (scratch[j] < next) next = scratch[j];
      value = value + frac * (next - value);
    }
    out[i] = value;
  }
  return out;
}

function quickselect(a: Float64Array, k: number, left: number, right: number): void {
  let lo = left;
  let hi = right;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three keeps sorted and reverse-sorted inputs linear.
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const x = a[i];
  a[i] = a[j];
  a[j] = x;
}

/**
 * Finite values of a column, copied into a new Float64Array (gaps dropped).
 * Empty input → empty array. O(n).
 * @example collectFinite(Float64Array.of(1, NaN, 2)) // Float64Array [1, 2]
 */
export function collectFinite(v: Float64Array): Float64Array {
  let m = 0;
  for (let i = 0; i < v.length; i++) if (!Number.isNaN(v[i])) m++;
  if (m === v.length) return v.slice();
  const out = new Float64Array(m);
  let j = 0;
  for (let i = 0; i < v.length; i++) if (!Number.isNaN(v[i])) out[j++] = v[i];
  return out;
}

/**
 * Quantile of a column's non-gap values (type 7). Empty → NaN. Expected O(n).
 * @example computeQuantile(Float64Array.of(1, 2, 3, 4, 5), 0.95) // 4.8
 */
export function computeQuantile(v: Float64Array, q: number): number {
  return selectQuantiles(collectFinite(v), [q])[0];
}

/** Running moments of the non-gap values (Welford, numerically stable). */
interface Moments {
  n: number;
  mean: number;
  m2: number;
}

function computeMoments(v: Float64Array): Moments {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (Number.isNaN(x)) continue;
    n++;
    const d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
  }
  return { n, mean, m2 };
}

/**
 * Sample variance (n − 1 denominator) of non-gap values. Empty → NaN; one value → 0
 * (a single observation has no spread; callers shown "0" read better than NaN). O(n).
 * @example computeVariance(Float64Array.of(2, 4, 4, 4, 5, 5, 7, 9)) // 4.571428…
 */
export function computeVariance(v: Float64Array): number {
  const { n, m2 } = computeMoments(v);
  if (n === 0) return NaN;
  if (n === 1) return 0;
  return m2 / (n - 1);
}

/**
 * Least-squares slope of v over t, in v-units per t-unit (per ms for epoch ms).
 * Points where either t or v is NaN are skipped. Fewer than two points, or all t equal → NaN.
 * O(n), two passes with centred sums for precision on epoch-ms abscissae.
 * @example computeSlope({ t: Float64Array.of(0, 1, 2), v: Float64Array.of(1, 3, 5) }) // 2
 */
export function computeSlope(series: Columnar): number {
  const { t, v } = series;
  let n = 0;
  let st = 0;
  let sv = 0;
  for (let i = 0; i < v.length; i++) {
    if (Number.isNaN(v[i]) || Number.isNaN(t[i])) continue;
    n++;
    st += t[i];
    sv += v[i];
  }
  if (n < 2) return NaN;
  const mt = st / n;
  const mv = sv / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < v.length; i++) {
    if (Number.isNaN(v[i]) || Number.isNaN(t[i])) continue;
    const dx = t[i] - mt;
    sxx += dx * dx;
    sxy += dx * (v[i] - mv);
  }
  return sxx === 0 ? NaN : sxy / sxx;
}

/**
 * Pearson correlation of two aligned columns (index i of one pairs with index i of the
 * other); pairs with a NaN on either side are skipped. Fewer than two pairs or zero
 * variance on a side → NaN. O(n).
 * @example computeCorrelation(Float64Array.of(1, 2, 3), Float64Array.of(2, 4, 7)) // 0.9934…
 */
export function computeCorrelation(a: Float64Array, b: Float64Array): number {
  const len = Math.min(a.length, b.length);
  let n = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < len; i++) {
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) continue;
    n++;
    sa += a[i];
    sb += b[i];
  }
  if (n < 2) return NaN;
  const ma = sa / n;
  const mb = sb / n;
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  for (let i = 0; i < len; i++) {
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) continue;
    const da = a[i] - ma;
    const db = b[i] - mb;
    saa += da * da;
    sbb += db * db;
    sab += da * db;
  }
  if (saa === 0 || sbb === 0) return NaN;
  return Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb)));
}

function reduceFinite(v: Float64Array, init: number, f: (acc: number, x: number) => number) {
  let acc = init;
  let seen = false;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (Number.isNaN(x)) continue;
    acc = f(acc, x);
    seen = true;
  }
  return seen ? acc : NaN;
}

/**
 * Share (0..1) of frame durations (ms) at or under the budget. Empty → NaN. O(n).
 * @example computeFrameBudgetCompliance(Float64Array.of(10, 16.67, 20, 33)) // 0.5
 */
export function computeFrameBudgetCompliance(
  frameMs: Float64Array,
  budgetMs: number = FrameBudgetDefaults.budgetMs
): number {
  let n = 0;
  let ok = 0;
  for (let i = 0; i < frameMs.length; i++) {
    const x = frameMs[i];
    if (Number.isNaN(x)) continue;
    n++;
    if (x <= budgetMs) ok++;
  }
  return n === 0 ? NaN : ok / n;
}

/**
 * Tokens per joule: Σ tokens / Σ joules over pairs where both are present. Empty, or
 * zero joules → NaN (efficiency is undefined without energy). O(n).
 * @example computeEnergyEfficiency(Float64Array.of(100, 50), Float64Array.of(10, 5)) // 10
 */
export function computeEnergyEfficiency(tokens: Float64Array, joules: Float64Array): number {
  const len = Math.min(tokens.length, joules.length);
  let st = 0;
  let sj = 0;
  let n = 0;
  for (let i = 0; i < len; i++) {
    if (Number.isNaN(tokens[i]) || Number.isNaN(joules[i])) continue;
    st += tokens[i];
    sj += joules[i];
    n++;
  }
  return n === 0 || sj === 0 ? NaN : st / sj;
}

/**
 * The registry. Single-series statistics read `series.v`; `correlation` pairs `series.v`
 * with `other.v`; `energy_efficiency` reads tokens from `series.v` and joules from
 * `other.v`. A missing `other` → NaN.
 */
export const Statistics = {
  min: (s) => reduceFinite(s.v, Infinity, (a, x) => (x < a ? x : a)),
  max: (s) => reduceFinite(s.v, -Infinity, (a, x) => (x > a ? x : a)),
  sum: (s) => reduceFinite(s.v, 0, (a, x) => a + x),
  count: (s) => reduceFinite(s.v, 0, (a) => a + 1) || 0,
  avg: (s) => {
    const m = computeMoments(s.v);
    return m.n === 0 ? NaN : m.mean;
  },
  p50: (s) => computeQuantile(s.v, 0.5),
  p95: (s) => computeQuantile(s.v, 0.95),
  p99: (s) => computeQuantile(s.v, 0.99),
  variance: (s) => computeVariance(s.v),
  stddev: (s) => Math.sqrt(computeVariance(s.v)),
  slope: (s) => computeSlope(s),
  correlation: (s, o) => (o ? computeCorrelation(s.v, o.v) : NaN),
  frame_budget_compliance: (s) => computeFrameBudgetCompliance(s.v),
  energy_efficiency: (s, o) => (o ? computeEnergyEfficiency(s.v, o.v) : NaN)
} satisfies Record<string, StatFn>;

export type StatName = keyof typeof Statistics;

/**
 * Runs one registered statistic. Empty input → NaN (count → 0). Complexity per statistic,
 * at most expected O(n).
 * @example computeStatistic('p95', { t, v })
 */
export function computeStatistic(name: StatName, series: Columnar, other?: Columnar): number {
  return Statistics[name](series, other);
}

/**
 * Runs several statistics and returns them keyed by name. O(n · names).
 * @example computeStatistics(['min', 'max'], { t, v }) // { min: …, max: … }
 */
export function computeStatistics<N extends StatName>(
  names: readonly N[],
  series: Columnar,
  other?: Columnar
): Record<N, number> {
  const out = {} as Record<N, number>;
  for (const name of names) out[name] = Statistics[name](series, other);
  return out;
}
