/**
 * Forecasting for capacity planning: least-squares lines with exact prediction intervals,
 * and additive Holt–Winters for seasonal series with (α, β, γ) chosen by a grid search on
 * one-step-ahead SSE.
 */
import type { Columnar } from '$lib/types';
import { DAY_MS } from '$lib/types';
import {
  computeNormalCdf,
  computeStudentTQuantile,
  testLinearTrend,
  type LinearTrend
} from './trends';

export const ForecastDefaults = {
  confidence: 0.95,
  /** Grid for each of α, β, γ; 6³ = 216 fits, each O(n). */
  holtWintersGrid: [0.05, 0.1, 0.2, 0.4, 0.6, 0.8],
  /** Only trends with a slope p-value below this count as heading towards capacity. */
  trendAlpha: 0.05,
  /** Exhaustion further away than this is reported as null (not trending towards it). */
  maxHorizonMs: 5 * 365 * DAY_MS,
  /** Holt–Winters forecasts step at most this many samples ahead. */
  maxHoltWintersSteps: 20_000
} as const;

export interface ForecastPoint {
  t: number;
  value: number;
  lower: number;
  upper: number;
}

export interface LinearForecast {
  fit: LinearTrend;
  points: ForecastPoint[];
}

/**
 * Linear regression forecast at the given times with the prediction interval
 * ŷ ± t(1−(1−c)/2; n−2) · s · √(1 + 1/n + (t − t̄)²/Sxx). Fewer than 3 finite points →
 * NaN values. O(n + |at|).
 * @example forecastLinear({ t, v }, { at: [now + 86_400_000] }).points[0].upper
 */
export function forecastLinear(
  series: Columnar,
  options: { at: readonly number[]; confidence?: number }
): LinearForecast {
  const fit = testLinearTrend(series);
  const confidence = options.confidence ?? ForecastDefaults.confidence;
  const q = fit.n > 2 ? computeStudentTQuantile(1 - (1 - confidence) / 2, fit.n - 2) : NaN;
  return { fit, points: options.at.map((t) => predictLinear(fit, t, q)) };
}

function predictLinear(fit: LinearTrend, t: number, q: number): ForecastPoint {
  const value = fit.intercept + fit.slope * (t - fit.tMean);
  const half =
    q * fit.residualStd * Math.sqrt(1 + 1 / fit.n + ((t - fit.tMean) * (t - fit.tMean)) / fit.sxx);
  return { t, value, lower: value - half, upper: value + half };
}

export interface HoltWintersFit {
  alpha: number;
  beta: number;
  gamma: number;
  period: number;
  /** One-step-ahead sum of squared errors after the first period. */
  sse: number;
  /** Residual standard deviation of the one-step errors. */
  sigma: number;
  level: number;
  trend: number;
  /** Seasonal terms for the next `period` steps, in order. */
  season: number[];
}

function runHoltWinters(x: ArrayLike<number>, period: number, a: number, b: number, g: number) {
  const n = x.length;
  // Initial state from the first two periods: trend from the difference of their means,
  // seasonal terms with that trend removed (otherwise the within-period slope leaks into
  // the seasonal indices and takes many periods to wash out), level at the end of period 1.
  let first = 0;
  let second = 0;
  for (let i = 0; i < period; i++) {
    first += x[i];
    second += x[i + period];
  }
  first /= period;
  second /= period;
  let trend = (second - first) / period;
  const centre = (period - 1) / 2;
  let level = first + trend * centre;
  const season = new Float64Array(period);
  for (let i = 0; i < period; i++) {
    const d = trend * (i - centre);
    season[i] = (x[i] - first - d + (x[i + period] - second - d)) / 2;
  }
  let sse = 0;
  for (let i = period; i < n; i++) {
    const s = season[i % period];
    const err = x[i] - (level + trend + s);
    sse += err * err;
    const prevLevel = level;
    level = a * (x[i] - s) + (1 - a) * (level + trend);
    trend = b * (level - prevLevel) + (1 - b) * trend;
    season[i % period] = g * (x[i] - level) + (1 - g) * s;
  }
  return { level, trend, season, sse };
}

/**
 * Additive Holt–Winters fitted by grid search over α, β, γ minimising one-step SSE.
 * Needs at least two full periods of evenly spaced values (no NaN); otherwise null.
 * Initial level/trend/season from the first two periods. O(n · grid³).
 * @example fitHoltWinters(hourlyValues, { period: 24 })?.alpha
 */
export function fitHoltWinters(
  values: ArrayLike<number>,
  options: { period: number; grid?: readonly number[] }
): HoltWintersFit | null {
  const period = Math.floor(options.period);
  const n = values.length;
  if (period < 2 || n < 2 * period) return null;
  for (let i = 0; i < n; i++) if (!Number.isFinite(values[i])) return null;
  const grid = options.grid ?? ForecastDefaults.holtWintersGrid;
  let best: HoltWintersFit | null = null;
  for (const alpha of grid) {
    for (const beta of grid) {
      for (const gamma of grid) {
        const r = runHoltWinters(values, period, alpha, beta, gamma);
        if (best && r.sse >= best.sse) continue;
        const steps = n - period;
        const start = n % period;
        const season: number[] = [];
        for (let h = 0; h < period; h++) season.push(r.season[(start + h) % period]);
        best = {
          alpha,
          beta,
          gamma,
          period,
          sse: r.sse,
          sigma: Math.sqrt(r.sse / Math.max(1, steps - 3)),
          level: r.level,
          trend: r.trend,
          season
        };
      }
    }
  }
  return best;
}

/**
 * Forecast `horizon` steps ahead from a fitted Holt–Winters model, with intervals from
 * the ETS(A,A,A) variance σ²·(1 + Σ_{j<h} (α(1 + jβ) + γ·[j mod m = 0])²) — an
 * approximation, since the classic recursions here differ slightly from ETS's.
 * O(horizon).
 * @example forecastHoltWinters(fit, { horizon: 48 })[0].value
 */
export function forecastHoltWinters(
  fit: HoltWintersFit,
  options: { horizon: number; confidence?: number }
): { value: number; lower: number; upper: number }[] {
  const z = computeNormalQuantile(
    1 - (1 - (options.confidence ?? ForecastDefaults.confidence)) / 2
  );
  const out: { value: number; lower: number; upper: number }[] = [];
  let varSum = 1;
  for (let h = 1; h <= options.horizon; h++) {
    if (h > 1) {
      const j = h - 1;
      const c = fit.alpha * (1 + j * fit.beta) + (j % fit.period === 0 ? fit.gamma : 0);
      varSum += c * c;
    }
    const value = fit.level + h * fit.trend + fit.season[(h - 1) % fit.period];
    const half = z * fit.sigma * Math.sqrt(varSum);
    out.push({ value, lower: value - half, upper: value + half });
  }
  return out;
}

/**
 * Inverse standard normal CDF by bisection on `computeNormalCdf`, to ~1e-12.
 * p outside (0, 1) → ∓Infinity / NaN. O(1).
 * @example computeNormalQuantile(0.975) // 1.959963984540…
 */
export function computeNormalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 200 && hi - lo > 1e-13; i++) {
    const mid = (lo + hi) / 2;
    if (computeNormalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface Exhaustion {
  method: 'linear' | 'holt_winters' | 'already_exhausted';
  /** Expected time (epoch ms) the series reaches capacity. */
  exhaustAt: number;
  daysUntil: number;
  /** Earliest plausible time (upper bound of the interval crosses capacity). */
  earliest: number;
  /** Latest plausible time (lower bound crosses); Infinity when it never does. */
  latest: number;
  confidence: number;
  /** Growth in series units per day (trend at the end of the series). */
  slopePerDay: number;
  /** Slope p-value (linear method), NaN for Holt–Winters. */
  pValue: number;
  message: string;
}

export interface ExhaustionInput {
  series: Columnar;
  capacity: number;
  now: number;
  confidence?: number;
  /** Seasonal period in ms (e.g. a day); with two full periods of data, Holt–Winters is used. */
  periodMs?: number;
  /** Start of the sentence, e.g. "Disk full", "Storage quota reached". */
  label?: string;
  maxHorizonMs?: number;
}

const formatDate = (t: number) =>
  Number.isFinite(t) ? new Date(t).toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : 'never';
const formatDays = (ms: number) => (Number.isFinite(ms) ? (ms / DAY_MS).toFixed(1) : '∞');

/**
 * When does a growing series reach `capacity`? Linear least squares (or additive
 * Holt–Winters when `periodMs` is given and two periods of evenly spaced data exist) with
 * a prediction interval. Returns null when the series is not trending towards capacity:
 * fewer than 3 points, a non-positive or non-significant slope (p ≥ 0.05), or a crossing
 * beyond `maxHorizonMs` (5 years). The last value at or above capacity →
 * 'already_exhausted' at `now`. O(n) (linear), O(n · 216) (Holt–Winters).
 * @example forecastExhaustion({ series: diskUsed, capacity: 512e9, now, label: 'Disk full' })?.message
 */
export function forecastExhaustion(input: ExhaustionInput): Exhaustion | null {
  const { series, capacity, now } = input;
  const confidence = input.confidence ?? ForecastDefaults.confidence;
  const label = input.label ?? 'Capacity reached';
  const horizon = input.maxHorizonMs ?? ForecastDefaults.maxHorizonMs;
  let lastT = -Infinity;
  let lastV = NaN;
  for (let i = 0; i < series.v.length; i++) {
    if (Number.isFinite(series.v[i]) && series.t[i] >= lastT) {
      lastT = series.t[i];
      lastV = series.v[i];
    }
  }
  const fit = testLinearTrend(series);
  if (fit.n < 3 || !Number.isFinite(capacity)) return null;
  if (lastV >= capacity) {
    return {
      method: 'already_exhausted',
      exhaustAt: now,
      daysUntil: 0,
      earliest: now,
      latest: now,
      confidence,
      slopePerDay: fit.slope * DAY_MS,
      pValue: fit.pValue,
      message: `${label} now (last value ${lastV} ≥ capacity ${capacity})`
    };
  }
  const seasonal = input.periodMs ? forecastExhaustionSeasonal(input, confidence, horizon) : null;
  if (seasonal) return { ...seasonal, message: describe(label, seasonal, now, confidence) };
  if (!(fit.slope > 0) || !(fit.pValue < ForecastDefaults.trendAlpha)) return null;
  const q = computeStudentTQuantile(1 - (1 - confidence) / 2, fit.n - 2);
  const exhaustAt = fit.tMean + (capacity - fit.intercept) / fit.slope;
  if (exhaustAt - now > horizon) return null;
  const end = now + horizon;
  const crossing = (bound: 'lower' | 'upper') =>
    findCrossing((t) => predictLinear(fit, t, q)[bound] - capacity, Math.min(now, exhaustAt), end);
  const result = {
    method: 'linear' as const,
    exhaustAt: Math.max(now, exhaustAt),
    daysUntil: Math.max(0, exhaustAt - now) / DAY_MS,
    earliest: Math.max(now, crossing('upper')),
    latest: crossing('lower'),
    confidence,
    slopePerDay: fit.slope * DAY_MS,
    pValue: fit.pValue
  };
  return { ...result, message: describe(label, result, now, confidence) };
}

function describe(
  label: string,
  r: { exhaustAt: number; earliest: number; latest: number },
  now: number,
  confidence: number
): string {
  return (
    `${label} in ${formatDays(r.exhaustAt - now)} days (on ${formatDate(r.exhaustAt)}; ` +
    `${Math.round(confidence * 100)}% interval ${formatDays(r.earliest - now)}–` +
    `${formatDays(r.latest - now)} days)`
  );
}

/** First t in [from, to] where f(t) ≥ 0, assuming f crosses once upwards; Infinity if never. */
function findCrossing(f: (t: number) => number, from: number, to: number): number {
  if (f(from) >= 0) return from;
  if (!(f(to) >= 0)) return Infinity;
  let lo = from;
  let hi = to;
  for (let i = 0; i < 100 && hi - lo > 1000; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) >= 0) hi = mid;
    else lo = mid;
  }
  return hi;
}

function forecastExhaustionSeasonal(
  input: ExhaustionInput,
  confidence: number,
  horizon: number
): Omit<Exhaustion, 'message'> | null {
  const { series, capacity, now } = input;
  const t: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < series.v.length; i++) {
    if (Number.isFinite(series.v[i]) && Number.isFinite(series.t[i])) {
      t.push(series.t[i]);
      v.push(series.v[i]);
    }
  }
  if (t.length < 4) return null;
  const steps = t
    .slice(1)
    .map((x, i) => x - t[i])
    .sort((a, b) => a - b);
  const step = steps[steps.length >> 1];
  if (!(step > 0)) return null;
  const period = Math.round(input.periodMs! / step);
  const fit = fitHoltWinters(v, { period });
  if (!fit || !(fit.trend > 0)) return null;
  const maxSteps = Math.min(ForecastDefaults.maxHoltWintersSteps, Math.ceil(horizon / step));
  const path = forecastHoltWinters(fit, { horizon: maxSteps, confidence });
  const last = t[t.length - 1];
  const timeOf = (h: number) => last + (h + 1) * step;
  const first = (pick: (p: (typeof path)[number]) => number) => {
    const h = path.findIndex((p) => pick(p) >= capacity);
    return h < 0 ? Infinity : timeOf(h);
  };
  const exhaustAt = first((p) => p.value);
  if (!Number.isFinite(exhaustAt)) return null;
  return {
    method: 'holt_winters',
    exhaustAt: Math.max(now, exhaustAt),
    daysUntil: Math.max(0, exhaustAt - now) / DAY_MS,
    earliest: Math.max(
      now,
      first((p) => p.upper)
    ),
    latest: first((p) => p.lower),
    confidence,
    slopePerDay: (fit.trend / step) * DAY_MS,
    pValue: NaN
  };
}
