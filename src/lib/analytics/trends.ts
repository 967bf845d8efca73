/**
 * Trend significance and pattern labels for a series over a window.
 *
 * Two tests, because they fail differently: the least-squares slope t-test is powerful
 * for linear drift with normal noise; Mann–Kendall is rank-based, so one spike cannot fake
 * or hide a monotone trend. The distributions (normal, Student t via the regularised
 * incomplete beta) are implemented here to double precision rather than by table lookup.
 */
import type { Columnar } from '$lib/types';
import { DAY_MS, HOUR_MS } from '$lib/types';

export const TrendDefaults = {
  /** Significance level for "significant". */
  alpha: 0.05,
  /** Memory growth must clear this Mann–Kendall p-value to be called a leak. */
  leakAlpha: 0.001,
  /** Fewer finite points than this → 'insufficient_data'. */
  minPoints: 8,
  /** Mann–Kendall is O(n²); longer series are block-averaged down to this many points. */
  maxMannKendallPoints: 2_000,
  /** A step model must leave at most this share of the linear model's squared error. */
  stepSseRatio: 0.5,
  /** …and shift the mean by at least this many within-segment standard deviations. */
  stepEffectSize: 1,
  /** Autocorrelation at a daily/weekly lag at or above this → seasonal. */
  seasonalAcf: 0.5,
  /** |change| under this percent with no significant test → stable. */
  stableChangePercent: 5,
  seasonalPeriodsMs: [DAY_MS, 7 * DAY_MS]
} as const;

export type TrendPattern =
  | 'insufficient_data'
  | 'stable'
  | 'step_change'
  | 'seasonal'
  | 'memory_leak_suspected'
  | 'gradual_degradation'
  | 'gradual_improvement'
  | 'gradual_increase'
  | 'gradual_decrease';

/** Which direction is good for the metric; 'neutral' yields increase/decrease labels. */
export type TrendPolarity = 'higher_is_better' | 'lower_is_better' | 'neutral';

const LanczosG = 7;
const LanczosCoefficients = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7
];

/**
 * ln Γ(x) by the Lanczos approximation (g = 7, n = 9), ~15 significant digits; reflection
 * for x < 0.5. O(1).
 * @example computeLogGamma(5) // ln 24 = 3.178053830347945…
 */
export function computeLogGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - computeLogGamma(1 - x);
  const z = x - 1;
  let a = LanczosCoefficients[0];
  const t = z + LanczosG + 0.5;
  for (let i = 1; i < 9; i++) a += LanczosCoefficients[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

function continuedFractionBeta(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return h;
}

/**
 * Regularised incomplete beta I_x(a, b) by Lentz's continued fraction (Numerical Recipes
 * §6.4). x outside [0, 1] is clamped. O(1) (≤ 500 iterations).
 * @example computeIncompleteBeta(0.5, 2, 2) // 0.5
 */
export function computeIncompleteBeta(x: number, a: number, b: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront =
    computeLogGamma(a + b) -
    computeLogGamma(a) -
    computeLogGamma(b) +
    a * Math.log(x) +
    b * Math.log1p(-x);
  const front = Math.exp(lnFront);
  if (x < (a + 1) / (a + b + 2)) return (front * continuedFractionBeta(a, b, x)) / a;
  return 1 - (front * continuedFractionBeta(b, a, 1 - x)) / b;
}

/**
 * Standard normal CDF Φ(x), Hart's double-precision algorithm 5666 as given by West
 * (2005), absolute error < 1e-14 including the tails. NaN → NaN. O(1).
 * @example computeNormalCdf(1.96) // 0.9750021048517795
 */
export function computeNormalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  let c: number;
  if (ax > 37) c = 0;
  else {
    const e = Math.exp((-ax * ax) / 2);
    if (ax < 7.07106781186547) {
      let b = 3.52624965998911e-2 * ax + 0.700383064443688;
      b = b * ax + 6.37396220353165;
      b = b * ax + 33.912866078383;
      b = b * ax + 112.079291497871;
      b = b * ax + 221.213596169931;
      b = b * ax + 220.206867912376;
      c = e * b;
      b = 8.83883476483184e-2 * ax + 1.75566716318264;
      b = b * ax + 16.064177579207;
      b = b * ax + 86.7807322029461;
      b = b * ax + 296.564248779674;
      b = b * ax + 637.333633378831;
      b = b * ax + 793.826512519948;
      b = b * ax + 440.413735824752;
      c = c / b;
    } else {
      // Far tail: Laplace's continued fraction, with more terms than West's five so the
      // result keeps ~14 significant digits (not just absolute accuracy) out to 37σ.
      let b = ax;
      for (let k = 60; k >= 1; k--) b = ax + k / b;
      c = e / b / Math.sqrt(2 * Math.PI);
    }
  }
  return x > 0 ? 1 - c : c;
}

/**
 * Student-t CDF with `df` degrees of freedom (df > 0, may be fractional, as Welch's test
 * needs): 1 − ½·I_{df/(df+t²)}(df/2, ½) for t > 0, symmetric below. O(1).
 * @example computeStudentTCdf(1, 1) // 0.75 (Cauchy)
 */
export function computeStudentTCdf(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const t2 = t * t;
  if (t2 < df) {
    // Near zero, df/(df+t²) rounds to 1; the complementary form keeps the precision.
    const half = 0.5 * computeIncompleteBeta(t2 / (df + t2), 0.5, df / 2);
    return t > 0 ? 0.5 + half : 0.5 - half;
  }
  const tail = 0.5 * computeIncompleteBeta(df / (df + t2), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

/**
 * Two-sided p-value of a t statistic: I_{df/(df+t²)}(df/2, ½), computed directly so tiny
 * p-values keep their precision. NaN → NaN. O(1).
 * @example computeStudentTTwoSidedP(2.228138852, 10) // ≈ 0.05
 */
export function computeStudentTTwoSidedP(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (!Number.isFinite(t)) return 0;
  return computeIncompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/**
 * Inverse Student-t CDF by bisection on `computeStudentTCdf` (monotone), to ~1e-12.
 * p outside (0, 1) → ∓Infinity / NaN. O(1) (≤ 200 CDF evaluations).
 * @example computeStudentTQuantile(0.975, 10) // 2.2281388519649…
 */
export function computeStudentTQuantile(p: number, df: number): number {
  if (Number.isNaN(p) || !(df > 0) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  let lo = -1;
  let hi = 1;
  while (computeStudentTCdf(lo, df) > p) lo *= 2;
  while (computeStudentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, Math.abs(lo)); i++) {
    const mid = (lo + hi) / 2;
    if (computeStudentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

interface Pairs {
  t: number[];
  v: number[];
}

function collectPairs(series: Columnar): Pairs {
  const t: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < series.v.length; i++) {
    if (Number.isFinite(series.v[i]) && Number.isFinite(series.t[i])) {
      t.push(series.t[i]);
      v.push(series.v[i]);
    }
  }
  return { t, v };
}

export interface LinearTrend {
  n: number;
  /** v-units per t-unit (per ms for epoch ms). */
  slope: number;
  /** Value of the fit at t = 0 of the centred axis: fit(t) = intercept + slope·(t − tMean). */
  intercept: number;
  tMean: number;
  /** Standard error of the slope. */
  slopeStdErr: number;
  /** Residual standard deviation (n − 2 dof). */
  residualStd: number;
  sxx: number;
  tStat: number;
  /** Two-sided p-value of slope ≠ 0 (Student t, n − 2 dof). */
  pValue: number;
  r2: number;
}

/**
 * Ordinary least squares of v on t with the slope's t-test. Non-finite points are
 * skipped. Fewer than 3 points or constant t → NaN fields (n still set). A perfect fit
 * has p = 0. O(n).
 * @example testLinearTrend({ t: Float64Array.of(0, 1, 2, 3), v: Float64Array.of(0, 2, 4, 6) }).slope // 2
 */
export function testLinearTrend(series: Columnar): LinearTrend {
  return fitPairs(collectPairs(series));
}

function fitPairs({ t, v }: Pairs): LinearTrend {
  const n = v.length;
  const empty: LinearTrend = {
    n,
    slope: NaN,
    intercept: NaN,
    tMean: NaN,
    slopeStdErr: NaN,
    residualStd: NaN,
    sxx: NaN,
    tStat: NaN,
    pValue: NaN,
    r2: NaN
  };
  if (n < 3) return empty;
  let st = 0;
  let sv = 0;
  for (let i = 0; i < n; i++) {
    st += t[i];
    sv += v[i];
  }
  const tMean = st / n;
  const vMean = sv / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = t[i] - tMean;
    const dy = v[i] - vMean;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) return { ...empty, tMean };
  const slope = sxy / sxx;
  const sse = Math.max(0, syy - slope * sxy);
  const residualStd = Math.sqrt(sse / (n - 2));
  const slopeStdErr = residualStd / Math.sqrt(sxx);
  const tStat =
    slopeStdErr === 0 ? (slope === 0 ? 0 : Math.sign(slope) * Infinity) : slope / slopeStdErr;
  const pValue = slopeStdErr === 0 ? (slope === 0 ? 1 : 0) : computeStudentTTwoSidedP(tStat, n - 2);
  return {
    n,
    slope,
    intercept: vMean,
    tMean,
    slopeStdErr,
    residualStd,
    sxx,
    tStat,
    pValue,
    r2: syy === 0 ? 1 : 1 - sse / syy
  };
}

export interface MannKendall {
  n: number;
  s: number;
  variance: number;
  /** Normal score with continuity correction. */
  z: number;
  /** Two-sided p-value of "no monotone trend". */
  pValue: number;
  /** Kendall's tau-a = S / (n(n−1)/2). */
  tau: number;
  /** Whether the input was block-averaged to `maxMannKendallPoints`. */
  downsampled: boolean;
}

/**
 * Mann–Kendall trend test on values in time order, tie-corrected variance
 * (n(n−1)(2n+5) − Σ t(t−1)(2t+5)) / 18, continuity-corrected z, normal p-value.
 * NaN values are skipped. Fewer than 3 values → p = NaN. O(n²) after block-averaging
 * to at most `maxPoints` (default 2,000).
 * @example testMannKendall(Float64Array.of(1, 2, 3, 4, 5)).s // 10
 */
export function testMannKendall(
  values: ArrayLike<number>,
  maxPoints: number = TrendDefaults.maxMannKendallPoints
): MannKendall {
  let x: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) x.push(values[i]);
  let downsampled = false;
  if (x.length > maxPoints) {
    x = blockAverage(x, maxPoints);
    downsampled = true;
  }
  const n = x.length;
  if (n < 3) return { n, s: 0, variance: NaN, z: NaN, pValue: NaN, tau: NaN, downsampled };
  let s = 0;
  for (let i = 0; i < n - 1; i++) {
    const xi = x[i];
    for (let j = i + 1; j < n; j++) s += x[j] > xi ? 1 : x[j] < xi ? -1 : 0;
  }
  const ties = new Map<number, number>();
  for (const xi of x) ties.set(xi, (ties.get(xi) ?? 0) + 1);
  let tieTerm = 0;
  for (const c of ties.values()) if (c > 1) tieTerm += c * (c - 1) * (2 * c + 5);
  const variance = (n * (n - 1) * (2 * n + 5) - tieTerm) / 18;
  const z =
    variance <= 0
      ? 0
      : s > 0
        ? (s - 1) / Math.sqrt(variance)
        : s < 0
          ? (s + 1) / Math.sqrt(variance)
          : 0;
  const pValue = variance <= 0 ? 1 : 2 * computeNormalCdf(-Math.abs(z));
  return { n, s, variance, z, pValue, tau: s / ((n * (n - 1)) / 2), downsampled };
}

function blockAverage(x: number[], target: number): number[] {
  const out: number[] = [];
  const size = x.length / target;
  for (let b = 0; b < target; b++) {
    const from = Math.floor(b * size);
    const to = Math.floor((b + 1) * size);
    let sum = 0;
    for (let i = from; i < to; i++) sum += x[i];
    out.push(sum / (to - from));
  }
  return out;
}

export interface StepChange {
  /** First index (into the finite points) of the new level. */
  index: number;
  t: number;
  before: number;
  after: number;
  /** (after − before) / |before| × 100; NaN when before is 0. */
  changePercent: number;
  /** Welch two-sample t-test p-value of the two segments. */
  pValue: number;
  /** |after − before| / pooled within-segment standard deviation. */
  effectSize: number;
  /** Step model SSE / linear model SSE (small → a step explains the data better). */
  sseRatio: number;
}

/**
 * Best single change point by CUSUM (the split that maximises |Σ (v − mean)|, i.e. the
 * least-squares two-mean split), with a Welch t-test of the two segments. Returns null
 * when there are fewer than 4 points or no split is possible. O(n).
 * @example detectStepChange({ t, v })?.index
 */
export function detectStepChange(series: Columnar): StepChange | null {
  const p = collectPairs(series);
  const n = p.v.length;
  if (n < 4) return null;
  let total = 0;
  for (const x of p.v) total += x;
  const mean = total / n;
  // Two-mean SSE = SST − k(n−k)/n·(m1 − m2)², maximised where the CUSUM of deviations
  // peaks relative to the split sizes; scanning k with prefix sums gives it exactly.
  let best = -1;
  let bestGain = -Infinity;
  let prefix = 0;
  for (let k = 1; k < n - 1; k++) {
    prefix += p.v[k - 1];
    if (k < 2) continue;
    const m1 = prefix / k;
    const m2 = (total - prefix) / (n - k);
    const gain = ((k * (n - k)) / n) * (m1 - m2) * (m1 - m2);
    if (gain > bestGain) {
      bestGain = gain;
      best = k;
    }
  }
  if (best < 2 || n - best < 2) return null;
  const a = p.v.slice(0, best);
  const b = p.v.slice(best);
  const [ma, va] = meanVar(a);
  const [mb, vb] = meanVar(b);
  let sst = 0;
  for (const x of p.v) sst += (x - mean) * (x - mean);
  const sseStep = Math.max(0, sst - bestGain);
  const lin = fitPairs(p);
  const sseLin = Number.isNaN(lin.residualStd) ? sst : lin.residualStd ** 2 * (n - 2);
  const se = Math.sqrt(va / a.length + vb / b.length);
  let pValue: number;
  if (se === 0) pValue = ma === mb ? 1 : 0;
  else {
    const t = (mb - ma) / se;
    const df =
      (va / a.length + vb / b.length) ** 2 /
      ((va / a.length) ** 2 / (a.length - 1) + (vb / b.length) ** 2 / (b.length - 1));
    pValue = computeStudentTTwoSidedP(t, df);
  }
  const pooled = Math.sqrt(((a.length - 1) * va + (b.length - 1) * vb) / (n - 2));
  return {
    index: best,
    t: p.t[best],
    before: ma,
    after: mb,
    changePercent: ma === 0 ? NaN : ((mb - ma) / Math.abs(ma)) * 100,
    pValue,
    effectSize: pooled === 0 ? (ma === mb ? 0 : Infinity) : Math.abs(mb - ma) / pooled,
    sseRatio: sseLin === 0 ? (sseStep === 0 ? 1 : Infinity) : sseStep / sseLin
  };
}

function meanVar(x: number[]): [number, number] {
  let m = 0;
  for (const v of x) m += v;
  m /= x.length;
  let s = 0;
  for (const v of x) s += (v - m) * (v - m);
  return [m, x.length > 1 ? s / (x.length - 1) : 0];
}

/**
 * Sample autocorrelation at `lag` (biased estimator, as in Box–Jenkins). NaN when the
 * lag leaves fewer than 2 pairs or the series is constant. O(n).
 * @example computeAutocorrelation([1, -1, 1, -1], 2) // 0.5
 */
export function computeAutocorrelation(values: ArrayLike<number>, lag: number): number {
  const n = values.length;
  if (lag < 1 || n - lag < 2) return NaN;
  let m = 0;
  for (let i = 0; i < n; i++) m += values[i];
  m /= n;
  let den = 0;
  for (let i = 0; i < n; i++) den += (values[i] - m) ** 2;
  if (den === 0) return NaN;
  let num = 0;
  for (let i = 0; i + lag < n; i++) num += (values[i] - m) * (values[i + lag] - m);
  return num / den;
}

export interface Seasonality {
  periodMs: number;
  lag: number;
  acf: number;
}

/**
 * Strongest seasonality among candidate periods (default daily, weekly): the linear trend
 * is removed, the lag is the period over the median sampling step, and at least two full
 * periods are required. Returns the period with the highest autocorrelation, or null when
 * none is possible. O(n · periods).
 * @example detectSeasonality({ t, v })?.periodMs // 86400000
 */
export function detectSeasonality(
  series: Columnar,
  periodsMs: readonly number[] = TrendDefaults.seasonalPeriodsMs
): Seasonality | null {
  const p = collectPairs(series);
  const n = p.v.length;
  if (n < 4) return null;
  const steps: number[] = [];
  for (let i = 1; i < n; i++) if (p.t[i] > p.t[i - 1]) steps.push(p.t[i] - p.t[i - 1]);
  if (steps.length === 0) return null;
  steps.sort((a, b) => a - b);
  const step = steps[steps.length >> 1];
  const fit = fitPairs(p);
  const resid = p.v.map((v, i) =>
    Number.isNaN(fit.slope) ? v : v - (fit.intercept + fit.slope * (p.t[i] - fit.tMean))
  );
  let best: Seasonality | null = null;
  for (const periodMs of periodsMs) {
    const lag = Math.round(periodMs / step);
    if (lag < 2 || n < 2 * lag) continue;
    const acf = computeAutocorrelation(resid, lag);
    if (Number.isNaN(acf)) continue;
    if (!best || acf > best.acf) best = { periodMs, lag, acf };
  }
  return best;
}

export interface TrendFinding {
  n: number;
  /** Mean of the second half minus mean of the first half, over |first half mean|, × 100. */
  changePercent: number;
  /** Least-squares slope in v-units per hour. */
  slopePerHour: number;
  direction: 'up' | 'down' | 'flat';
  linear: LinearTrend;
  mannKendall: MannKendall;
  /** The smaller of the two trend p-values (both tests must agree for a trend label). */
  pValue: number;
  /** 1 − pValue for trend labels and stable, 1 − step p for a step, the ACF for seasonal; 0..1. */
  significance: number;
  pattern: TrendPattern;
  step: StepChange | null;
  seasonality: Seasonality | null;
}

export interface TrendOptions {
  polarity?: TrendPolarity;
  /** Treat the series as memory-like: monotone growth is labelled a suspected leak. */
  memoryLike?: boolean;
  alpha?: number;
  /** Only points with start ≤ t ≤ end are analysed. */
  window?: { start: number; end: number };
}

/**
 * The points of a series with start ≤ t ≤ end, as views (no copy) when t is ascending,
 * else as filtered copies. O(log n) ascending, O(n) otherwise.
 * @example sliceSeries({ t, v }, { start: now - 86_400_000, end: now })
 */
export function sliceSeries(series: Columnar, window: { start: number; end: number }): Columnar {
  const { t, v } = series;
  let ascending = true;
  for (let i = 1; i < t.length && ascending; i++) if (t[i] < t[i - 1]) ascending = false;
  if (!ascending) {
    const keep: number[] = [];
    for (let i = 0; i < t.length; i++) if (t[i] >= window.start && t[i] <= window.end) keep.push(i);
    return { t: Float64Array.from(keep, (i) => t[i]), v: Float64Array.from(keep, (i) => v[i]) };
  }
  const lower = (x: number, strict: boolean) => {
    let lo = 0;
    let hi = t.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (strict ? t[mid] <= x : t[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const from = lower(window.start, false);
  const to = lower(window.end, true);
  return { t: t.subarray(from, Math.max(from, to)), v: v.subarray(from, Math.max(from, to)) };
}

/**
 * Change, significance and a pattern label for a series (epoch-ms `t`). Labels, first
 * match wins: insufficient_data (< 8 points); step_change (a two-mean split explains the
 * data far better than a line, Welch p < α, effect ≥ 1 sd); seasonal (detrended ACF at a
 * daily/weekly lag ≥ 0.5); memory_leak_suspected (memory-like, increasing, Mann–Kendall
 * p < 0.001 and slope p < α); gradual_degradation / gradual_improvement (or
 * gradual_increase / gradual_decrease when neutral) when both tests give p < α; stable.
 * Empty → insufficient_data with NaN figures. O(n) + O(min(n, 2000)²).
 * @example analyzeTrend({ t, v }, { polarity: 'lower_is_better' }).pattern
 */
export function analyzeTrend(input: Columnar, options: TrendOptions = {}): TrendFinding {
  const series = options.window ? sliceSeries(input, options.window) : input;
  const alpha = options.alpha ?? TrendDefaults.alpha;
  const polarity = options.polarity ?? 'neutral';
  const pairs = collectPairs(series);
  const n = pairs.v.length;
  const linear = fitPairs(pairs);
  const mannKendall = testMannKendall(pairs.v);
  const half = n >> 1;
  let first = 0;
  let second = 0;
  for (let i = 0; i < n; i++) {
    if (i < half) first += pairs.v[i];
    else if (i >= n - half) second += pairs.v[i];
  }
  const m1 = first / half;
  const m2 = second / half;
  const changePercent = half === 0 || m1 === 0 ? NaN : ((m2 - m1) / Math.abs(m1)) * 100;
  const slopePerHour = linear.slope * HOUR_MS;
  const pValue = Math.max(linear.pValue, mannKendall.pValue);
  const significantTrend = pValue < alpha;
  const direction: TrendFinding['direction'] =
    !significantTrend || linear.slope === 0 ? 'flat' : linear.slope > 0 ? 'up' : 'down';
  const base = { n, changePercent, slopePerHour, direction, linear, mannKendall, pValue };
  if (n < TrendDefaults.minPoints) {
    return {
      ...base,
      significance: 0,
      pattern: 'insufficient_data',
      step: null,
      seasonality: null
    };
  }
  const step = detectStepChange(series);
  const seasonality = detectSeasonality(series);
  const result = (pattern: TrendPattern, significance: number): TrendFinding => ({
    ...base,
    significance: Math.max(0, Math.min(1, significance)),
    pattern,
    step,
    seasonality
  });
  if (
    step &&
    step.sseRatio <= TrendDefaults.stepSseRatio &&
    step.pValue < alpha &&
    step.effectSize >= TrendDefaults.stepEffectSize
  ) {
    return result('step_change', 1 - step.pValue);
  }
  if (seasonality && seasonality.acf >= TrendDefaults.seasonalAcf) {
    return result('seasonal', seasonality.acf);
  }
  if (significantTrend) {
    const up = linear.slope > 0;
    if (options.memoryLike && up && mannKendall.pValue < TrendDefaults.leakAlpha) {
      return result('memory_leak_suspected', 1 - pValue);
    }
    if (polarity === 'neutral')
      return result(up ? 'gradual_increase' : 'gradual_decrease', 1 - pValue);
    const worse = polarity === 'lower_is_better' ? up : !up;
    return result(worse ? 'gradual_degradation' : 'gradual_improvement', 1 - pValue);
  }
  return result('stable', 1 - pValue);
}
