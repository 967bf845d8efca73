/**
 * Insights: findings over series and result events in a window, each with a concrete
 * recommendation and a confidence, de-duplicated against earlier insights by a stable id
 * (type + subject + time bucket) so a periodic run does not repeat itself.
 */
import type { ResultEvent } from '$lib/types';
import { DAY_MS } from '$lib/types';
import { forecastExhaustion } from './forecast';
import { normaliseErrorMessage } from './resultlog-queries';
import { checkSuccess, readActionType } from './resultlog-common';
import {
  analyzeTrend,
  sliceSeries,
  computeAutocorrelation,
  computeNormalCdf,
  computeStudentTTwoSidedP,
  testLinearTrend,
  type TrendFinding,
  type TrendPattern,
  type TrendPolarity
} from './trends';

export type InsightType =
  | 'memory_leak'
  | 'degradation'
  | 'improvement'
  | 'step_change'
  | 'seasonality'
  | 'trend'
  | 'capacity'
  | 'failure_rate';

export type InsightPriority = 'low' | 'medium' | 'high' | 'critical';

/** 'aggregate': figures only; 'pseudonymous': names an action type or error signature. */
export type PrivacyLevel = 'aggregate' | 'pseudonymous';

export interface InsightFinding {
  trend: 'up' | 'down' | 'flat';
  changePercent: number;
  /** 0..1 (1 − p-value of the test behind the pattern). */
  significance: number;
  pattern: TrendPattern | 'failure_rate_increase' | 'capacity_exhaustion';
}

export interface Insight {
  insightId: string;
  type: InsightType;
  /** What the insight is about: a series key or an action type. */
  subject: string;
  generatedAt: number;
  timeRange: { start: number; end: number };
  category: string;
  findings: Record<string, InsightFinding>;
  recommendations: { action: string; priority: InsightPriority; description: string }[];
  /**
   * 0..1: significance (corrected for autocorrelation) × data coverage × how well the
   * history rules out a daily cycle; `evidence` says what it rests on.
   */
  confidence: number;
  /** What the confidence rests on (absent on insights stored before it was recorded). */
  evidence?: InsightEvidence;
  privacyLevel: PrivacyLevel;
}

export interface InsightEvidence {
  /** Points analysed in the window. */
  points: number;
  /**
   * Independent points they are worth: n·(1 − r₁)/(1 + r₁) with r₁ the lag-1
   * autocorrelation of the residuals (one busy hour sampled every minute is not 60 facts).
   */
  effectivePoints: number;
  /** p-value of the finding with the effective points (NaN when not a test). */
  pValue: number;
  /** Data before the window that served as the seasonal baseline, ms (0: none). */
  historyMs: number;
  /** The window was compared with the same hour of previous days (daily cycle removed). */
  seasonalBaseline: boolean;
}

export interface InsightSeries {
  key: string;
  category: string;
  t: Float64Array;
  v: Float64Array;
  /** 'bytes' makes rates print as MB/h; anything else prints as given. */
  unit?: string;
  /** Default guessed from the key (latency/error/memory/cpu → lower is better, …). */
  polarity?: TrendPolarity;
  /** Default: the key mentions memory, heap or rss. */
  memoryLike?: boolean;
  /** When given, a capacity-exhaustion forecast is attempted. */
  capacity?: number;
  /*
   * Points before the window are history: the seasonal baseline (the same hour of the
   * previous days) and the span a forecast may stand on.
   */
}

export interface InsightInput {
  now: number;
  /** Window as [start, end] or a length in ms ending at `now`. */
  window: { start: number; end: number } | number;
  series: readonly InsightSeries[];
  events: readonly ResultEvent[];
  previous: readonly Insight[];
  /** Width of the de-duplication time bucket (default one day). */
  bucketMs?: number;
}

export const InsightDefaults = {
  bucketMs: DAY_MS,
  /** Points for full coverage in the confidence. */
  fullCoveragePoints: 30,
  /** Failure-rate rises under this many percentage points are not reported. */
  minFailureRateDelta: 0.05,
  minEventsPerHalf: 20,
  alpha: 0.05,
  /** The daily cycle the window is compared against, and its bins. */
  seasonMs: DAY_MS,
  seasonBinMs: 3_600_000,
  /** Previous days of history needed before the window to remove the daily cycle… */
  minBaselinePeriods: 2,
  /** …read at most this far back. */
  baselineLookbackMs: 7 * DAY_MS,
  /** A capacity forecast needs at least this much data (two daily periods)… */
  minForecastHistoryMs: 2 * DAY_MS,
  /** …and reaches at most this many times the history it stands on. */
  maxForecastHorizonFactor: 7
} as const;

/**
 * The window with the daily cycle removed: each point minus the mean of its hour of day
 * over the history before the window, plus the baseline's overall mean (so the level and
 * percent changes stay readable). Null when the history does not cover
 * `minBaselinePeriods` days or some hour of the window has no baseline. O(n).
 */
export function removeDailyCycle(
  window: { t: Float64Array; v: Float64Array },
  history: { t: Float64Array; v: Float64Array }
): { t: Float64Array; v: Float64Array } | null {
  const { seasonMs, seasonBinMs, minBaselinePeriods } = InsightDefaults;
  if (history.t.length === 0 || window.t.length === 0) return null;
  if (window.t[0] - history.t[0] < minBaselinePeriods * seasonMs - seasonBinMs) return null;
  const bins = Math.round(seasonMs / seasonBinMs);
  const sum = new Float64Array(bins);
  const count = new Float64Array(bins);
  const binOf = (t: number) => Math.floor((((t % seasonMs) + seasonMs) % seasonMs) / seasonBinMs);
  for (let i = 0; i < history.t.length; i++) {
    if (!Number.isFinite(history.v[i])) continue;
    sum[binOf(history.t[i])] += history.v[i];
    count[binOf(history.t[i])]++;
  }
  let total = 0;
  let filled = 0;
  for (let b = 0; b < bins; b++) {
    if (count[b] > 0) {
      total += sum[b] / count[b];
      filled++;
    }
  }
  if (filled === 0) return null;
  const level = total / filled;
  const v = new Float64Array(window.v.length);
  for (let i = 0; i < v.length; i++) {
    const b = binOf(window.t[i]);
    if (count[b] === 0) return null;
    v[i] = window.v[i] - sum[b] / count[b] + level;
  }
  return { t: window.t, v };
}

/**
 * The p-value of a linear trend with the points it is really worth: the residuals' lag-1
 * autocorrelation r shrinks n to n·(1 − r)/(1 + r) (Bartlett; Santer et al. 2000), and the
 * slope's t statistic and degrees of freedom shrink with it. O(n).
 */
export function testTrendWithAutocorrelation(series: { t: Float64Array; v: Float64Array }): {
  effectivePoints: number;
  pValue: number;
} {
  const f = testLinearTrend(series);
  if (f.n < 4 || Number.isNaN(f.slope)) return { effectivePoints: f.n, pValue: NaN };
  const resid: number[] = [];
  for (let i = 0; i < series.v.length; i++) {
    if (Number.isFinite(series.v[i]) && Number.isFinite(series.t[i])) {
      resid.push(series.v[i] - (f.intercept + f.slope * (series.t[i] - f.tMean)));
    }
  }
  const r = computeAutocorrelation(resid, 1);
  const r1 = Number.isFinite(r) ? Math.max(0, r) : 0;
  const nEff = Math.max(2, Math.min(f.n, (f.n * (1 - r1)) / (1 + r1)));
  if (nEff <= 3) return { effectivePoints: nEff, pValue: 1 };
  const t = f.tStat * Math.sqrt((nEff - 2) / (f.n - 2));
  return { effectivePoints: nEff, pValue: computeStudentTTwoSidedP(t, nEff - 2) };
}

/** Patterns that claim a trend, and so must survive the autocorrelation correction. */
const TrendClaims = new Set<TrendPattern>([
  'memory_leak_suspected',
  'gradual_degradation',
  'gradual_improvement',
  'gradual_increase',
  'gradual_decrease'
]);

const LowerIsBetter =
  /latency|duration|_ms\b|error|fail|memory|heap|rss|cpu|load|swap|temp|ttft|lcp|inp|cls/i;
const HigherIsBetter = /throughput|tokens|fps|success|compliance|hit_rate|free|headroom/i;
const MemoryLike = /mem|heap|rss/i;

/**
 * FNV-1a 32-bit hash as 8 hex digits; stable across runs and platforms. O(length).
 * @example hashText('abc') // '1a47e90b'
 */
export function hashText(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * Stable insight id from type, subject and the time bucket containing `t`. O(length).
 * @example createInsightId({ type: 'memory_leak', subject: 'heap', t: now, bucketMs: 86_400_000 })
 */
export function createInsightId(options: {
  type: InsightType;
  subject: string;
  t: number;
  bucketMs: number;
}): string {
  const bucket = Math.floor(options.t / options.bucketMs);
  return `${options.type}-${hashText(`${options.type}\u0000${options.subject}\u0000${bucket}`)}`;
}

const formatP = (p: number) => (p < 0.001 ? 'p<0.001' : `p=${p.toFixed(3)}`);
const formatPercent = (x: number) =>
  Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(1)}%` : 'n/a';

function formatRate(perHour: number, unit: string | undefined): string {
  if (unit === 'bytes') return `${(perHour / 1e6).toFixed(1)} MB/h`;
  const digits = Math.abs(perHour) >= 10 ? 1 : 3;
  return `${perHour.toFixed(digits)}${unit ? ' ' + unit : ''}/h`;
}

function formatValue(v: number, unit: string | undefined): string {
  if (unit === 'bytes') return `${(v / 1e6).toFixed(1)} MB`;
  return `${Number(v.toPrecision(4))}${unit ? ' ' + unit : ''}`;
}

function describeSeries(
  s: InsightSeries,
  f: TrendFinding
): { type: InsightType; priority: InsightPriority; action: string; description: string } | null {
  const rate = formatRate(f.slopePerHour, s.unit);
  const p = formatP(f.pValue);
  switch (f.pattern) {
    case 'memory_leak_suspected':
      return {
        type: 'memory_leak',
        priority: 'high',
        action: 'investigate_memory_leak',
        description:
          `Memory of ${s.key} grows ${rate} (${p}, Mann–Kendall τ=${f.mannKendall.tau.toFixed(2)}): ` +
          `suspect a leak; check unbounded caches, event listeners and retained buffers, and ` +
          `compare two heap snapshots taken an hour apart.`
      };
    case 'step_change': {
      const st = f.step!;
      const worse =
        (s.polarity ?? guessPolarity(s.key)) === 'lower_is_better'
          ? st.after > st.before
          : st.after < st.before;
      return {
        type: 'step_change',
        priority: worse ? 'high' : 'low',
        action: 'review_changes_at_step',
        description:
          `${s.key} shifted from ${formatValue(st.before, s.unit)} to ${formatValue(st.after, s.unit)} ` +
          `(${formatPercent(st.changePercent)}, ${formatP(st.pValue)}) at ` +
          `${new Date(st.t).toISOString()}: check deploys, configuration or model changes around then.`
      };
    }
    case 'seasonal': {
      const period = f.seasonality!.periodMs >= 7 * DAY_MS ? 'weekly' : 'daily';
      return {
        type: 'seasonality',
        priority: 'low',
        action: 'use_seasonal_thresholds',
        description:
          `${s.key} follows a ${period} cycle (autocorrelation ${f.seasonality!.acf.toFixed(2)}): ` +
          `use seasonal alert thresholds and schedule heavy jobs off-peak.`
      };
    }
    case 'gradual_degradation': {
      const big = Math.abs(f.changePercent) >= 50;
      return {
        type: 'degradation',
        priority: big ? 'high' : 'medium',
        action: 'investigate_degradation',
        description:
          `${s.key} is degrading: ${formatPercent(f.changePercent)} over the window, ${rate} (${p}); ` +
          `look for growing load, data volume or contention, and set an alert before it breaches its SLA.`
      };
    }
    case 'gradual_improvement':
      return {
        type: 'improvement',
        priority: 'low',
        action: 'record_improvement',
        description:
          `${s.key} improved ${formatPercent(f.changePercent)} over the window (${p}); ` +
          `note what changed so the gain is kept, and tighten its alert threshold.`
      };
    case 'gradual_increase':
    case 'gradual_decrease':
      return {
        type: 'trend',
        priority: 'low',
        action: 'review_trend',
        description:
          `${s.key} ${f.pattern === 'gradual_increase' ? 'rises' : 'falls'} ${rate} ` +
          `(${formatPercent(f.changePercent)}, ${p}); check whether this is expected.`
      };
    default:
      return null;
  }
}

function guessPolarity(key: string): TrendPolarity {
  if (HigherIsBetter.test(key)) return 'higher_is_better';
  if (LowerIsBetter.test(key)) return 'lower_is_better';
  return 'neutral';
}

/**
 * Generates insights for the window: one per series whose pattern is not stable (memory
 * leak, degradation, improvement, step change, seasonality, trend), one per series with a
 * `capacity` it is heading towards, and one per action type whose failure rate rose
 * significantly between the window's halves (two-proportion z-test). Insights whose id is
 * in `previous` are skipped. Empty series and events → []. O(Σ series length + events)
 * plus Mann–Kendall's O(min(n, 2000)²) per series.
 * @example generateInsights({ now, window: 86_400_000, series, events, previous: [] })
 */
export function generateInsights(input: InsightInput): Insight[] {
  const { now } = input;
  const range =
    typeof input.window === 'number' ? { start: now - input.window, end: now } : input.window;
  const bucketMs = input.bucketMs ?? InsightDefaults.bucketMs;
  const seen = new Set(input.previous.map((i) => i.insightId));
  const out: Insight[] = [];
  const push = (insight: Omit<Insight, 'insightId' | 'generatedAt' | 'timeRange'>) => {
    const insightId = createInsightId({
      type: insight.type,
      subject: insight.subject,
      t: now,
      bucketMs
    });
    if (seen.has(insightId)) return;
    seen.add(insightId);
    out.push({ insightId, generatedAt: now, timeRange: { ...range }, ...insight });
  };

  for (const s of input.series) {
    const raw = sliceSeries(s, range);
    const history = sliceSeries(s, {
      start: range.start - InsightDefaults.baselineLookbackMs,
      end: range.start - 1
    });
    const historyMs = history.t.length ? range.start - history.t[0] : 0;
    // Compare with the same hour of previous days: a daily cycle is not a trend.
    const deseasonalised = removeDailyCycle(raw, history);
    const w = deseasonalised ?? raw;
    const polarity = s.polarity ?? guessPolarity(s.key);
    const finding = analyzeTrend(w, {
      polarity,
      memoryLike: s.memoryLike ?? MemoryLike.test(s.key)
    });
    const coverage = Math.min(1, finding.n / InsightDefaults.fullCoveragePoints);
    // Without a baseline, a window shorter than two days cannot tell a trend from the
    // daily cycle: the confidence says so by the share of those two days it covers.
    // The time n samples stand for: their spread plus one sampling step.
    const n = raw.t.length;
    const span = n > 1 ? ((raw.t[n - 1] - raw.t[0]) * n) / (n - 1) : 0;
    const cycleCover = deseasonalised
      ? 1
      : Math.min(1, (span + historyMs) / (InsightDefaults.minBaselinePeriods * DAY_MS));
    const corrected = testTrendWithAutocorrelation(w);
    if (TrendClaims.has(finding.pattern)) {
      // Minute points of a slow swing are not independent: a trend must survive that.
      if (!(corrected.pValue < InsightDefaults.alpha)) continue;
      finding.significance = 1 - Math.max(corrected.pValue, finding.mannKendall.pValue);
    }
    const evidence: InsightEvidence = {
      points: finding.n,
      effectivePoints: corrected.effectivePoints,
      pValue: TrendClaims.has(finding.pattern) ? corrected.pValue : finding.pValue,
      historyMs,
      seasonalBaseline: deseasonalised !== null
    };
    let d = describeSeries({ ...s, polarity }, { ...finding, pValue: evidence.pValue });
    if (d && cycleCover < 1 && TrendClaims.has(finding.pattern)) {
      // Less than two days and no earlier days to compare with: a rise across the window
      // may be the daily cycle itself, so it is no degradation, only a low-priority trend
      // whose confidence is cut by the share of two days the data covers (issue 23).
      const hours = Math.max(1, Math.round((span + historyMs) / 3_600_000));
      d = {
        type: 'trend',
        priority: 'low',
        action: 'review_trend',
        description:
          `${s.key} ${finding.linear.slope > 0 ? 'rises' : 'falls'} ` +
          `${formatRate(finding.slopePerHour, s.unit)} (${formatPercent(finding.changePercent)}, ` +
          `${formatP(evidence.pValue)}), but only ${hours} h of data and no earlier days to ` +
          `compare with: this may be the daily cycle. It is checked against the same hours of ` +
          `previous days once two days are stored.`
      };
    }
    if (d) {
      push({
        type: d.type,
        subject: s.key,
        category: s.category,
        findings: {
          [s.key]: {
            // A level shift can leave both trend tests non-significant; its own direction counts.
            trend:
              finding.step && finding.pattern === 'step_change'
                ? finding.step.after > finding.step.before
                  ? 'up'
                  : 'down'
                : finding.direction,
            changePercent: finding.changePercent,
            significance: finding.significance,
            pattern: finding.pattern
          }
        },
        recommendations: [{ action: d.action, priority: d.priority, description: d.description }],
        confidence: finding.significance * coverage * cycleCover,
        evidence,
        privacyLevel: 'aggregate'
      });
    }
    // A forecast stands on at least two daily periods and reaches at most a few times them.
    const dataMs = span + historyMs;
    if (s.capacity !== undefined && dataMs >= InsightDefaults.minForecastHistoryMs) {
      const ex = forecastExhaustion({
        series: w,
        capacity: s.capacity,
        now,
        label: `${s.key} reaches capacity`
      });
      if (ex && ex.daysUntil * DAY_MS <= dataMs * InsightDefaults.maxForecastHorizonFactor) {
        const days = ex.daysUntil;
        push({
          type: 'capacity',
          subject: s.key,
          category: s.category,
          findings: {
            [s.key]: {
              trend: 'up',
              changePercent: finding.changePercent,
              significance: Number.isNaN(ex.pValue) ? finding.significance : 1 - ex.pValue,
              pattern: 'capacity_exhaustion'
            }
          },
          recommendations: [
            {
              action: 'plan_capacity',
              priority: days < 1 ? 'critical' : days < 7 ? 'high' : days < 30 ? 'medium' : 'low',
              description: `${ex.message}: free space, raise the limit or shorten retention before then.`
            }
          ],
          confidence: (Number.isNaN(ex.pValue) ? 0.5 : 1 - ex.pValue) * coverage,
          evidence: { ...evidence, pValue: ex.pValue },
          privacyLevel: 'aggregate'
        });
      }
    }
  }

  for (const insight of findFailureRateRises(input.events, range)) push(insight);
  return out;
}

function findFailureRateRises(
  events: readonly ResultEvent[],
  range: { start: number; end: number }
): Omit<Insight, 'insightId' | 'generatedAt' | 'timeRange'>[] {
  const mid = range.start + (range.end - range.start) / 2;
  const groups = new Map<
    string,
    { n1: number; f1: number; n2: number; f2: number; errors: Map<string, number> }
  >();
  for (const e of events) {
    if (!e || !(e.t >= range.start && e.t <= range.end)) continue;
    const a = readActionType(e);
    let g = groups.get(a);
    if (!g) groups.set(a, (g = { n1: 0, f1: 0, n2: 0, f2: 0, errors: new Map() }));
    const failed = !checkSuccess(e);
    if (e.t < mid) {
      g.n1++;
      if (failed) g.f1++;
    } else {
      g.n2++;
      if (failed) {
        g.f2++;
        const sig = normaliseErrorMessage(e.errorMessage);
        g.errors.set(sig, (g.errors.get(sig) ?? 0) + 1);
      }
    }
  }
  const out: Omit<Insight, 'insightId' | 'generatedAt' | 'timeRange'>[] = [];
  for (const [actionType, g] of groups) {
    if (g.n1 < InsightDefaults.minEventsPerHalf || g.n2 < InsightDefaults.minEventsPerHalf)
      continue;
    const r1 = g.f1 / g.n1;
    const r2 = g.f2 / g.n2;
    if (r2 - r1 < InsightDefaults.minFailureRateDelta) continue;
    const pooled = (g.f1 + g.f2) / (g.n1 + g.n2);
    const se = Math.sqrt(pooled * (1 - pooled) * (1 / g.n1 + 1 / g.n2));
    const z = se === 0 ? Infinity : (r2 - r1) / se;
    const p = 2 * computeNormalCdf(-Math.abs(z));
    if (!(p < InsightDefaults.alpha)) continue;
    const top = [...g.errors].sort((a, b) => b[1] - a[1])[0];
    const coverage = Math.min(1, (g.n1 + g.n2) / (2 * InsightDefaults.fullCoveragePoints));
    out.push({
      type: 'failure_rate',
      subject: actionType,
      category: 'events',
      findings: {
        [`${actionType}.failure_rate`]: {
          trend: 'up',
          changePercent: r1 === 0 ? NaN : ((r2 - r1) / r1) * 100,
          significance: 1 - p,
          pattern: 'failure_rate_increase'
        }
      },
      recommendations: [
        {
          action: 'investigate_failures',
          priority: r2 >= 0.25 ? 'critical' : r2 >= 0.1 ? 'high' : 'medium',
          description:
            `Failures of ${actionType} rose from ${(r1 * 100).toFixed(1)}% to ${(r2 * 100).toFixed(1)}% ` +
            `(${formatP(p)})` +
            (top ? `; most common error: "${top[0]}" (${top[1]}×) — start there.` : '.')
        }
      ],
      confidence: (1 - p) * coverage,
      privacyLevel: 'pseudonymous'
    });
  }
  return out.sort((a, b) => a.subject.localeCompare(b.subject));
}
