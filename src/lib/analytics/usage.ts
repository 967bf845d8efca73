/**
 * Per-entity usage analytics (frequency, success, performance, trend, distribution) in
 * one pass over the executions plus an exact quickselect for the percentiles. Days, hours
 * of day and days of week are local to `timeZone` (default UTC).
 */
import { DAY_MS, HOUR_MS } from '$lib/types';
import { createZoneCalendar } from './resultlog-time';
import { selectQuantiles } from './stats';
import { computeStudentTCdf, testLinearTrend } from './trends';

export type UsageWindowType =
  'hourly' | 'daily' | 'weekly' | 'monthly' | 'quarterly' | 'yearly' | 'all_time';
export type UsageGranularity = 'summary' | 'detailed' | 'comprehensive';
export type UsageTrendType = 'growing' | 'stable' | 'declining' | 'emerging' | 'abandoned';

export interface Execution {
  /** Epoch ms. */
  t: number;
  success: boolean;
  durationMs: number;
  /** 0..1 (or any scale the caller uses consistently); averaged as given. */
  qualityScore?: number;
  contextType?: string;
  agent?: string;
  project?: string;
  fileType?: string;
  timedOut?: boolean;
  qualityGateFailed?: boolean;
  userId?: string;
}

export interface UsageInclude {
  trends?: boolean;
  performance?: boolean;
  distribution?: boolean;
  /** Adds `trend.projectedNext7Days` (needs trends). */
  predictions?: boolean;
}

export interface UsageInput {
  entityId: string;
  /** Epoch ms, inclusive. Ignored for `all_time`. */
  windowStart: number;
  /** Epoch ms, exclusive. Ignored for `all_time`. */
  windowEnd: number;
  windowType: UsageWindowType;
  granularity: UsageGranularity;
  include?: UsageInclude;
  executions: readonly Execution[];
  /** Reference time for `hoursSinceLastUse`; default `windowEnd` (or last execution for all_time). */
  now?: number;
  timeZone?: string;
  /** Measures `computationMs`; absent → 0 (pure code reads no clock). */
  clock?: () => number;
  /** Trend thresholds (defaults: `UsageTrendThresholds`); the user can change them in Usage. */
  thresholds?: Partial<UsageTrendThresholds>;
  /** Health-check and quality-gate thresholds (defaults: `UsageFlagThresholds`). */
  flagThresholds?: Partial<UsageFlagThresholds>;
}

/**
 * The usage specification's trend classification, in the order it is applied: ABANDONED
 * (velocity < `abandonedVelocity` with fewer than `abandonedMaxRecent` executions in the
 * recent days, or no use at all in a window whose previous period had some), EMERGING
 * (fewer than `emergingMaxExecutions` executions), GROWING (velocity > `growingVelocity`),
 * DECLINING (velocity < `decliningVelocity`), else STABLE — a velocity of exactly ±0.5 is
 * stable. Velocity is executions per day, per day (least-squares slope of daily counts).
 */
export const UsageTrendThresholds = {
  growingVelocity: 0.5,
  decliningVelocity: -0.5,
  emergingMaxExecutions: 10,
  abandonedVelocity: -2,
  abandonedMaxRecent: 5,
  /** "Recent" = the last this many local days of the window, at most half of it. */
  recentDays: 7
};
export type UsageTrendThresholds = typeof UsageTrendThresholds;

/** The specification's health checks and quality gates, flagged in Usage when crossed. */
export const UsageFlagThresholds = {
  /** Success rate below this → "low success rate". */
  minSuccessRate: 0.9,
  /** p95 above this → "high p95". */
  maxP95Ms: 1000,
  /** No use for this long → "unused". */
  unusedMs: 7 * DAY_MS,
  /** Coefficient of variation of durations (sd ÷ mean) above this → "high variance". */
  maxDurationCv: 1,
  /** Mean execution quality score below this → "low quality score". */
  minQualityScore: 0.7
};
export type UsageFlagThresholds = typeof UsageFlagThresholds;

export type UsageFlagKind =
  'low_success_rate' | 'high_p95' | 'unused' | 'high_variance' | 'low_quality_score';

export interface UsageFlag {
  kind: UsageFlagKind;
  /** The figure that crossed the threshold (a share, ms, ms of silence, a ratio, a score). */
  value: number;
  threshold: number;
}

export interface UsageResult {
  usage: {
    /** Executions in the window. */
    total: number;
    /** total / window length in days (all_time: local days from first to last use). */
    perDay: number;
    perWeek: number;
    /** perDay × 30. */
    perMonth: number;
    /** Distinct non-empty `contextType` values (a literal 'unknown' is not counted). */
    uniqueContexts: number;
    /** Distinct `userId` values. */
    uniqueUsers: number;
    /** Most executions on one local calendar day. */
    peakDaily: number;
    /** (now − last execution) / 1 h; null with no executions. */
    hoursSinceLastUse: number | null;
  };
  success: {
    successCount: number;
    failureCount: number;
    /** successCount / total; 0 with no executions. */
    successRate: number;
    /** failureCount / total. */
    errorRate: number;
    /** Executions with `timedOut` true. */
    timeoutCount: number;
    /** Executions with `qualityGateFailed` true. */
    qualityGateFailures: number;
    /** Mean of finite `qualityScore` values; null when none carries one. */
    avgQualityScore: number | null;
  };
  /** Over executions with a finite duration ≥ 0; exact type-7 percentiles; NaN when none. */
  performance: {
    avgMs: number;
    p50Ms: number;
    p95Ms: number;
    p99Ms: number;
    minMs: number;
    maxMs: number;
    /** Sample standard deviation. */
    stddevMs: number;
    totalMs: number;
  } | null;
  trend: {
    type: UsageTrendType;
    /** Least-squares slope of daily counts: executions/day per day. */
    velocity: number;
    /** Slope of the second half minus slope of the first half, per half-window in days. */
    acceleration: number;
    /**
     * New users per week: users active in the window and not in the previous period, ÷
     * the window's length in weeks.
     */
    adoptionRate: number;
    /** Share of the previous period's users also active in the window (0 with none). */
    retentionRate: number;
    /** 1 − retentionRate when the previous period had users, else 0. */
    churnRate: number;
    /**
     * (executions in the window − executions in the previous period) ÷ previous × 100;
     * NaN when the previous period had none (or for all_time, which has none).
     */
    growthPercent: number;
    /** Executions in the previous period (the window's length just before it). */
    previousTotal: number;
    /** Executions in the recent days the ABANDONED rule counts. */
    recentExecutions: number;
    /**
     * 0..1, from the evidence: for growing / declining / stable / abandoned the probability
     * (Student t on the slope, n − 2 dof) that the true velocity is on the classified side
     * of the threshold(s); emerging is a count, so 1; 0 with fewer than 3 days.
     */
    confidence: number;
    /** What the confidence rests on. */
    evidence: { days: number; slopeStdErr: number; tStat: number; pValue: number };
    /** Linear projection of executions over the next 7 days (include.predictions). */
    projectedNext7Days: number | null;
  } | null;
  /** Counts per value (missing values under 'unknown'); hours 0..23 and days 0 = Sunday. */
  distribution: {
    byContextType: Record<string, number>;
    byAgent: Record<string, number>;
    byProject: Record<string, number>;
    byFileType: Record<string, number>;
    byHourOfDay: number[];
    byDayOfWeek: number[];
  } | null;
  /** Health checks and quality gates crossed (see `UsageFlagThresholds`). */
  flags: UsageFlag[];
  /** Executions in the window (same as usage.total). */
  dataPoints: number;
  /** 0..1 data quality: min(1, dataPoints / 100) × share with a valid duration. */
  qualityScore: number;
  computationMs: number;
}

export const UsageDefaults = {
  include: {
    summary: { trends: false, performance: true, distribution: false, predictions: false },
    detailed: { trends: true, performance: true, distribution: true, predictions: false },
    comprehensive: { trends: true, performance: true, distribution: true, predictions: true }
  } satisfies Record<UsageGranularity, Required<UsageInclude>>,
  /** Data points for full data quality. */
  fullQualityPoints: 100
} as const;

const UnknownKey = 'unknown';

// Maps, not object records: string-keyed counting on plain objects falls into V8's
// dictionary mode and costs ~2× at a million executions.
const bump = (m: Map<string, { n: number }>, key: unknown) => {
  const k = typeof key === 'string' && key !== '' ? key : UnknownKey;
  const c = m.get(k);
  if (c) c.n++;
  else m.set(k, { n: 1 });
};

const toRecord = (m: Map<string, { n: number }>) => {
  const out: Record<string, number> = {};
  for (const [k, c] of m) out[k] = c.n;
  return out;
};

/** Largest window whose day counts use a flat array rather than a Map. */
const MaxFlatDays = 100_000;

/**
 * Usage analytics of one entity over a window. Executions in the previous period
 * [windowStart − (windowEnd − windowStart), windowStart) feed only the growth, adoption,
 * retention and churn figures (and the "stopped" case of ABANDONED); every other figure
 * counts the window only. Executions outside both (any time for `all_time`, which has no
 * previous period) or without a finite `t` are ignored. Optional parts
 * are null unless included (defaults by granularity: summary → performance; detailed →
 * + trends, distribution; comprehensive → + predictions). No executions → zero counts,
 * rates 0, NaN latency figures, trend 'stable' with confidence 0.
 * O(n) plus expected O(n) quickselect; local days in a Map.
 * @example
 * computeUsageAnalytics({ entityId: 'tool-a', windowStart, windowEnd, windowType: 'monthly',
 *   granularity: 'detailed', executions }).success.successRate
 */
export function computeUsageAnalytics(input: UsageInput): UsageResult {
  const clock = input.clock ?? (() => 0);
  const started = clock();
  const include = { ...UsageDefaults.include[input.granularity], ...input.include };
  const allTime = input.windowType === 'all_time';
  const from = allTime ? -Infinity : input.windowStart;
  const to = allTime ? Infinity : input.windowEnd;
  const prevFrom = allTime ? Infinity : input.windowStart - (input.windowEnd - input.windowStart);
  let prevTotal = 0;
  const prevUsers = new Set<string>();
  const cal = createZoneCalendar(input.timeZone ?? 'UTC');
  const wantDist = include.distribution;

  const execs = input.executions;
  const durations = new Float64Array(execs.length);
  let nd = 0;
  let total = 0;
  let successCount = 0;
  let timeoutCount = 0;
  let gateFailures = 0;
  let qualitySum = 0;
  let qualityN = 0;
  let firstT = Infinity;
  let lastT = -Infinity;
  /** Per user: first and last use, enough for adoption and retention without a second pass. */
  const users = new Map<string, { first: number; last: number }>();
  const days = new Map<number, number>();
  const flatFrom = Number.isFinite(from) ? Math.floor((from + cal.offsetAt(from)) / DAY_MS) : 0;
  const flatLength = Number.isFinite(to)
    ? Math.floor((to + cal.offsetAt(to)) / DAY_MS) - flatFrom + 1
    : 0;
  const flatDays =
    flatLength > 0 && flatLength <= MaxFlatDays ? new Float64Array(flatLength) : null;
  const byContextType = new Map<string, { n: number }>();
  const byAgent = new Map<string, { n: number }>();
  const byProject = new Map<string, { n: number }>();
  const byFileType = new Map<string, { n: number }>();
  const byHourOfDay = new Array<number>(24).fill(0);
  const byDayOfWeek = new Array<number>(7).fill(0);

  for (let i = 0; i < execs.length; i++) {
    const e = execs[i];
    const t = e?.t;
    if (typeof t !== 'number' || !Number.isFinite(t)) continue;
    if (!(t >= from && t < to)) {
      if (t >= prevFrom && t < from) {
        prevTotal++;
        if (typeof e.userId === 'string' && e.userId !== '') prevUsers.add(e.userId);
      }
      continue;
    }
    total++;
    if (e.success === true) successCount++;
    if (e.timedOut === true) timeoutCount++;
    if (e.qualityGateFailed === true) gateFailures++;
    const q = e.qualityScore;
    if (typeof q === 'number' && Number.isFinite(q)) {
      qualitySum += q;
      qualityN++;
    }
    const d = e.durationMs;
    if (typeof d === 'number' && d >= 0 && d < Infinity) durations[nd++] = d;
    if (t < firstT) firstT = t;
    if (t > lastT) lastT = t;
    bump(byContextType, e.contextType);
    if (typeof e.userId === 'string' && e.userId !== '') {
      const u = users.get(e.userId);
      if (u === undefined) users.set(e.userId, { first: t, last: t });
      else if (t < u.first) u.first = t;
      else if (t > u.last) u.last = t;
    }
    const local = t + cal.offsetAt(t);
    const day = Math.floor(local / DAY_MS);
    const slot = day - flatFrom;
    if (flatDays && slot >= 0 && slot < flatLength) flatDays[slot]++;
    else days.set(day, (days.get(day) ?? 0) + 1);
    if (wantDist) {
      bump(byAgent, e.agent);
      bump(byProject, e.project);
      bump(byFileType, e.fileType);
      byHourOfDay[Math.floor((local - day * DAY_MS) / HOUR_MS)]++;
      byDayOfWeek[(((day + 4) % 7) + 7) % 7]++;
    }
  }

  if (flatDays) {
    for (let i = 0; i < flatLength; i++) {
      if (flatDays[i] > 0) days.set(flatFrom + i, (days.get(flatFrom + i) ?? 0) + flatDays[i]);
    }
  }
  const now = input.now ?? (allTime ? lastT : input.windowEnd);
  let peakDaily = 0;
  for (const c of days.values()) if (c > peakDaily) peakDaily = c;
  const windowDays = allTime
    ? total === 0
      ? 1
      : Math.max(...days.keys()) - Math.min(...days.keys()) + 1
    : Math.max(input.windowEnd - input.windowStart, 0) / DAY_MS;
  const perDay = windowDays > 0 ? total / windowDays : 0;
  const rate = (x: number) => (total === 0 ? 0 : x / total);
  const spanStart = allTime ? firstT : input.windowStart;
  // all_time runs to now, so the silence since the last use is part of the trend.
  const spanEnd = allTime ? Math.max(lastT, now) + 1 : input.windowEnd;

  const performance = include.performance ? summarisePerformance(durations.subarray(0, nd)) : null;
  const result: UsageResult = {
    usage: {
      total,
      perDay,
      perWeek: perDay * 7,
      perMonth: perDay * 30,
      uniqueContexts: byContextType.size - (byContextType.has(UnknownKey) ? 1 : 0),
      uniqueUsers: users.size,
      peakDaily,
      hoursSinceLastUse: total === 0 ? null : (now - lastT) / HOUR_MS
    },
    success: {
      successCount,
      failureCount: total - successCount,
      successRate: rate(successCount),
      errorRate: rate(total - successCount),
      timeoutCount,
      qualityGateFailures: gateFailures,
      avgQualityScore: qualityN === 0 ? null : qualitySum / qualityN
    },
    performance,
    trend: include.trends
      ? computeUsageTrend({
          days,
          users,
          prevUsers,
          prevTotal,
          hasPrevious: !allTime,
          spanStart,
          spanEnd,
          total,
          offsetAt: cal.offsetAt,
          predictions: include.predictions,
          thresholds: { ...UsageTrendThresholds, ...input.thresholds }
        })
      : null,
    distribution: wantDist
      ? {
          byContextType: toRecord(byContextType),
          byAgent: toRecord(byAgent),
          byProject: toRecord(byProject),
          byFileType: toRecord(byFileType),
          byHourOfDay,
          byDayOfWeek
        }
      : null,
    flags: [],
    dataPoints: total,
    qualityScore:
      total === 0 ? 0 : Math.min(1, total / UsageDefaults.fullQualityPoints) * (nd / total),
    computationMs: 0
  };
  result.flags = checkUsageFlags(result, { ...UsageFlagThresholds, ...input.flagThresholds });
  result.computationMs = Math.max(0, clock() - started);
  return result;
}

/**
 * The health checks and quality gates a result crosses. A figure that is not there (no
 * executions, performance not computed, no quality scores) raises no flag; "unused" needs
 * a use to measure the silence from. O(1).
 */
export function checkUsageFlags(r: UsageResult, th: UsageFlagThresholds): UsageFlag[] {
  const flags: UsageFlag[] = [];
  const add = (kind: UsageFlagKind, value: number, threshold: number) =>
    flags.push({ kind, value, threshold });
  if (r.usage.total > 0 && r.success.successRate < th.minSuccessRate) {
    add('low_success_rate', r.success.successRate, th.minSuccessRate);
  }
  const p = r.performance;
  if (p && p.p95Ms > th.maxP95Ms) add('high_p95', p.p95Ms, th.maxP95Ms);
  const silentMs = r.usage.hoursSinceLastUse === null ? NaN : r.usage.hoursSinceLastUse * HOUR_MS;
  if (silentMs >= th.unusedMs) add('unused', silentMs, th.unusedMs);
  if (p && p.avgMs > 0 && p.stddevMs / p.avgMs > th.maxDurationCv) {
    add('high_variance', p.stddevMs / p.avgMs, th.maxDurationCv);
  }
  const q = r.success.avgQualityScore;
  if (q !== null && q < th.minQualityScore) add('low_quality_score', q, th.minQualityScore);
  return flags;
}

function summarisePerformance(d: Float64Array): NonNullable<UsageResult['performance']> {
  const n = d.length;
  if (n === 0) {
    return {
      avgMs: NaN,
      p50Ms: NaN,
      p95Ms: NaN,
      p99Ms: NaN,
      minMs: NaN,
      maxMs: NaN,
      stddevMs: NaN,
      totalMs: 0
    };
  }
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = d[i];
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (d[i] - mean) * (d[i] - mean);
  const [p50, p95, p99] = selectQuantiles(d, [0.5, 0.95, 0.99]);
  return {
    avgMs: mean,
    p50Ms: p50,
    p95Ms: p95,
    p99Ms: p99,
    minMs: min,
    maxMs: max,
    stddevMs: n > 1 ? Math.sqrt(ss / (n - 1)) : 0,
    totalMs: sum
  };
}

interface TrendContext {
  days: Map<number, number>;
  users: Map<string, { first: number; last: number }>;
  prevUsers: Set<string>;
  prevTotal: number;
  /** False for all_time: growth has nothing to compare with. */
  hasPrevious: boolean;
  spanStart: number;
  spanEnd: number;
  total: number;
  offsetAt: (t: number) => number;
  predictions: boolean;
  thresholds: UsageTrendThresholds;
}

/** P(true slope < x) under the fit's Student t (n − 2 dof); a perfect fit is a step. */
function probabilityBelow(x: number, slope: number, se: number, df: number): number {
  if (!(df > 0) || Number.isNaN(se) || Number.isNaN(slope)) return NaN;
  if (se === 0) return x > slope ? 1 : x < slope ? 0 : 0.5;
  return computeStudentTCdf((x - slope) / se, df);
}

function computeUsageTrend(c: TrendContext): NonNullable<UsageResult['trend']> {
  const th = c.thresholds;
  const growthPercent =
    c.hasPrevious && c.prevTotal > 0 ? ((c.total - c.prevTotal) / c.prevTotal) * 100 : NaN;
  let newUsers = 0;
  for (const u of c.users.keys()) if (!c.prevUsers.has(u)) newUsers++;
  let retained = 0;
  for (const u of c.prevUsers) if (c.users.has(u)) retained++;
  const retentionRate = c.prevUsers.size === 0 ? 0 : retained / c.prevUsers.size;
  const churnRate = c.prevUsers.size === 0 ? 0 : 1 - retentionRate;
  const weeks = Math.max(c.spanEnd - c.spanStart, DAY_MS) / (7 * DAY_MS);
  const adoptionRate = c.users.size === 0 ? 0 : newUsers / weeks;
  const noEvidence = { days: 0, slopeStdErr: NaN, tStat: NaN, pValue: NaN };
  if (c.total === 0) {
    // Usage stopped outright: a previous period with use and none now is abandonment.
    const stopped = c.prevTotal > 0;
    return {
      type: stopped ? 'abandoned' : 'stable',
      velocity: 0,
      acceleration: 0,
      adoptionRate,
      retentionRate,
      churnRate,
      growthPercent,
      previousTotal: c.prevTotal,
      recentExecutions: 0,
      confidence: stopped ? 1 : 0,
      evidence: noEvidence,
      projectedNext7Days: c.predictions ? 0 : null
    };
  }
  const dayOf = (t: number) => Math.floor((t + c.offsetAt(t)) / DAY_MS);
  const firstDay = dayOf(c.spanStart);
  const lastDay = dayOf(Math.max(c.spanStart, c.spanEnd - 1));
  const nDays = lastDay - firstDay + 1;
  const counts = new Float64Array(nDays);
  const t = new Float64Array(nDays);
  // Day indexes, not epoch ms, on the x axis: the slope is then exactly executions/day per
  // day, and a velocity on a threshold (0.5) stays on it instead of rounding either side.
  for (let i = 0; i < nDays; i++) {
    t[i] = i;
    counts[i] = c.days.get(firstDay + i) ?? 0;
  }
  const fit = testLinearTrend({ t, v: counts });
  const velocity = Number.isNaN(fit.slope) ? 0 : fit.slope;
  const se = fit.slopeStdErr;
  const df = nDays - 2;
  const half = nDays >> 1;
  const slopeOf = (a: number, b: number) => {
    const f = testLinearTrend({ t: t.subarray(a, b), v: counts.subarray(a, b) });
    return Number.isNaN(f.slope) ? 0 : f.slope;
  };
  const acceleration = half >= 3 ? (slopeOf(half, nDays) - slopeOf(0, half)) / (nDays / 2) : 0;
  const recentDays = Math.max(1, Math.min(th.recentDays, half));
  let recentExecutions = 0;
  for (let i = nDays - recentDays; i < nDays; i++) recentExecutions += counts[i];

  const below = (x: number) => probabilityBelow(x, velocity, se, df);
  let type: UsageTrendType;
  let confidence: number;
  if (velocity < th.abandonedVelocity && recentExecutions < th.abandonedMaxRecent) {
    type = 'abandoned';
    confidence = below(th.abandonedVelocity);
  } else if (c.total < th.emergingMaxExecutions) {
    type = 'emerging';
    confidence = 1;
  } else if (velocity > th.growingVelocity) {
    type = 'growing';
    confidence = 1 - below(th.growingVelocity);
  } else if (velocity < th.decliningVelocity) {
    type = 'declining';
    confidence = below(th.decliningVelocity);
  } else {
    type = 'stable';
    confidence = below(th.growingVelocity) - below(th.decliningVelocity);
  }
  let projectedNext7Days: number | null = null;
  if (c.predictions) {
    let sum = 0;
    for (let k = 1; k <= 7; k++) {
      const day = nDays - 1 + k;
      const v = Number.isNaN(fit.slope)
        ? c.total / nDays
        : fit.intercept + fit.slope * (day - fit.tMean);
      sum += Math.max(0, v);
    }
    projectedNext7Days = sum;
  }
  return {
    type,
    velocity,
    acceleration,
    adoptionRate,
    retentionRate,
    churnRate,
    growthPercent,
    previousTotal: c.prevTotal,
    recentExecutions,
    confidence: Number.isNaN(confidence) ? 0 : Math.min(1, Math.max(0, confidence)),
    evidence: { days: nDays, slopeStdErr: se, tStat: fit.tStat, pValue: fit.pValue },
    projectedNext7Days
  };
}

export interface UsageComparisonRow {
  entityId: string;
  result: UsageResult;
  /** 1 = best. Ties share the better rank. */
  ranks: { total: number; successRate: number; p95Ms: number; growthPercent: number };
  /** Differences from the mean of all entities (same units as the figure). */
  deltas: { total: number; successRate: number; p95Ms: number };
  /** Share of all executions across the compared entities, 0..1. */
  share: number;
}

/**
 * Usage analytics for several entities with ranks (total and success rate: higher is
 * better; p95: lower is better; NaN ranks last) and deltas from the mean. Empty → [].
 * O(Σ nᵢ + k log k).
 * @example compareUsage([inputA, inputB]).map((r) => r.ranks.total)
 */
export function compareUsage(inputs: readonly UsageInput[]): UsageComparisonRow[] {
  const results = inputs.map((input) => ({
    entityId: input.entityId,
    result: computeUsageAnalytics(input)
  }));
  if (results.length === 0) return [];
  const pick = {
    total: (r: UsageResult) => r.usage.total,
    successRate: (r: UsageResult) => r.success.successRate,
    p95Ms: (r: UsageResult) => r.performance?.p95Ms ?? NaN,
    growthPercent: (r: UsageResult) => r.trend?.growthPercent ?? NaN
  };
  const rankBy = (f: (r: UsageResult) => number, higherBetter: boolean) => {
    const vals = results.map((r) => f(r.result));
    return vals.map((v) => {
      if (Number.isNaN(v)) return vals.filter((x) => !Number.isNaN(x)).length + 1;
      return 1 + vals.filter((x) => !Number.isNaN(x) && (higherBetter ? x > v : x < v)).length;
    });
  };
  const mean = (f: (r: UsageResult) => number) => {
    const vals = results.map((r) => f(r.result)).filter((x) => !Number.isNaN(x));
    return vals.length === 0 ? NaN : vals.reduce((a, b) => a + b, 0) / vals.length;
  };
  const ranks = {
    total: rankBy(pick.total, true),
    successRate: rankBy(pick.successRate, true),
    p95Ms: rankBy(pick.p95Ms, false),
    growthPercent: rankBy(pick.growthPercent, true)
  };
  const means = {
    total: mean(pick.total),
    successRate: mean(pick.successRate),
    p95Ms: mean(pick.p95Ms)
  };
  const all = results.reduce((s, r) => s + r.result.usage.total, 0);
  return results.map((r, i) => ({
    entityId: r.entityId,
    result: r.result,
    ranks: {
      total: ranks.total[i],
      successRate: ranks.successRate[i],
      p95Ms: ranks.p95Ms[i],
      growthPercent: ranks.growthPercent[i]
    },
    deltas: {
      total: pick.total(r.result) - means.total,
      successRate: pick.successRate(r.result) - means.successRate,
      p95Ms: pick.p95Ms(r.result) - means.p95Ms
    },
    share: all === 0 ? 0 : r.result.usage.total / all
  }));
}
