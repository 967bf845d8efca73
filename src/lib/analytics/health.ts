/**
 * Health score 0–100 from weighted KPIs. Each KPI maps to a sub-score 0–100 by a piecewise
 * linear rule (thresholds in `HealthScoring`), the score is the weighted mean of the KPIs
 * present, and the breakdown says how many points each KPI cost, so a page can say what
 * pulled the score down rather than just show a number.
 */
import type { ResultEvent } from '$lib/types';
import { summariseOutcomes, type EventOutcomes } from './resultlog-common';

export type HealthKpi =
  | 'successRate'
  | 'latency'
  | 'errorRate'
  | 'resourceHeadroom'
  | 'cpuBusy'
  | 'frameBudgetCompliance'
  | 'anomalyRate';

/** KPI values; any may be missing (undefined, null or NaN) and is then dropped. */
export interface HealthInput {
  /** Share of successful operations, 0..1. */
  successRate?: number | null;
  /** Observed latency (e.g. p95) in ms; scored against `slaMs`. */
  latencyMs?: number | null;
  /** The latency the SLA allows, ms; without it the latency KPI is dropped. */
  slaMs?: number | null;
  /** Share of failed operations, 0..1. */
  errorRate?: number | null;
  /** Free share of the tightest resource (memory, disk, quota), 0..1. */
  resourceHeadroom?: number | null;
  /** Busy share of the CPU (all cores), 0..1: saturation. */
  cpuBusy?: number | null;
  /** Share of frames within budget, 0..1. */
  frameBudgetCompliance?: number | null;
  /** Share of points flagged anomalous, 0..1. */
  anomalyRate?: number | null;
}

export const DefaultHealthWeights: Readonly<Record<HealthKpi, number>> = {
  successRate: 0.25,
  latency: 0.2,
  errorRate: 0.2,
  resourceHeadroom: 0.15,
  cpuBusy: 0.15,
  frameBudgetCompliance: 0.1,
  anomalyRate: 0.1
};

/** Where each KPI's sub-score reaches 100 (`good`) and 0 (`bad`); linear between. */
export const HealthScoring: Readonly<Record<HealthKpi, { good: number; bad: number }>> = {
  successRate: { good: 0.99, bad: 0.8 },
  /** Latency as a multiple of the SLA. */
  latency: { good: 1, bad: 2 },
  errorRate: { good: 0.01, bad: 0.2 },
  resourceHeadroom: { good: 0.3, bad: 0.02 },
  /** A host busy 70 % of the time has room; at 98 % work queues. */
  cpuBusy: { good: 0.7, bad: 0.98 },
  frameBudgetCompliance: { good: 0.95, bad: 0.5 },
  anomalyRate: { good: 0.001, bad: 0.05 }
};

/** Score bands for a one-word label. */
export const HealthBands = { healthy: 80, degraded: 50 } as const;

export interface HealthBreakdownItem {
  kpi: HealthKpi;
  /** The KPI's raw value (latency: multiple of the SLA). */
  value: number;
  subScore: number;
  /** Weight after renormalising over the KPIs present, 0..1. */
  weight: number;
  /** (100 − subScore) × weight: points this KPI took off the score. */
  lostPoints: number;
}

export interface HealthScore {
  /** 0..100; NaN when no KPI is present. */
  score: number;
  status: 'healthy' | 'degraded' | 'critical' | 'unknown';
  /** KPIs present, largest loss first. */
  breakdown: HealthBreakdownItem[];
  /** KPIs that were missing and whose weight went to the others. */
  dropped: HealthKpi[];
}

/**
 * Sub-score 0..100 of a value by linear interpolation from `bad` (0) to `good` (100);
 * works for both directions (good > bad or good < bad). NaN → NaN. O(1).
 * @example scoreLinearly(0.9, { good: 1, bad: 0.8 }) // 50
 */
export function scoreLinearly(value: number, rule: { good: number; bad: number }): number {
  if (Number.isNaN(value)) return NaN;
  const x = (value - rule.bad) / (rule.good - rule.bad);
  return 100 * Math.max(0, Math.min(1, x));
}

const readKpi = (x: number | null | undefined): number =>
  typeof x === 'number' && !Number.isNaN(x) ? x : NaN;

/**
 * Computes the health score. Missing KPIs are dropped and the remaining weights are
 * renormalised to sum to 1; with no KPI present the score is NaN and status 'unknown'.
 * Negative or non-finite weights count as 0. O(number of KPIs).
 * @example
 * computeHealthScore({ successRate: 0.995, errorRate: 0.005 }).score // 100
 */
export function computeHealthScore(
  input: HealthInput,
  weights: Partial<Record<HealthKpi, number>> = DefaultHealthWeights
): HealthScore {
  const sla = readKpi(input.slaMs);
  const values: Record<HealthKpi, number> = {
    successRate: readKpi(input.successRate),
    latency: sla > 0 ? readKpi(input.latencyMs) / sla : NaN,
    errorRate: readKpi(input.errorRate),
    resourceHeadroom: readKpi(input.resourceHeadroom),
    cpuBusy: readKpi(input.cpuBusy),
    frameBudgetCompliance: readKpi(input.frameBudgetCompliance),
    anomalyRate: readKpi(input.anomalyRate)
  };
  const present: HealthKpi[] = [];
  const dropped: HealthKpi[] = [];
  let totalWeight = 0;
  for (const kpi of Object.keys(values) as HealthKpi[]) {
    const w = weights[kpi] ?? DefaultHealthWeights[kpi];
    const usable = Number.isFinite(w) && w > 0;
    if (Number.isNaN(values[kpi]) || !usable) {
      dropped.push(kpi);
      continue;
    }
    present.push(kpi);
    totalWeight += w;
  }
  if (present.length === 0 || totalWeight === 0) {
    return { score: NaN, status: 'unknown', breakdown: [], dropped };
  }
  const breakdown = present.map((kpi) => {
    const weight = (weights[kpi] ?? DefaultHealthWeights[kpi]) / totalWeight;
    const subScore = scoreLinearly(values[kpi], HealthScoring[kpi]);
    return { kpi, value: values[kpi], subScore, weight, lostPoints: (100 - subScore) * weight };
  });
  const score = breakdown.reduce((s, b) => s + b.subScore * b.weight, 0);
  breakdown.sort((a, b) => b.lostPoints - a.lostPoints);
  const status =
    score >= HealthBands.healthy
      ? 'healthy'
      : score >= HealthBands.degraded
        ? 'degraded'
        : 'critical';
  return { score, status, breakdown, dropped };
}

/** The signals a health score can be built from; each is optional. */
export interface HealthSignals {
  /** Result-log events: success and error rate, and p95 latency against `slaMs`. */
  events?: readonly ResultEvent[];
  slaMs?: number;
  /** Latest value of each series (name, labels, last value): memory and CPU are read here. */
  series?: readonly { name: string; labels?: Record<string, string>; lastV?: number }[];
  /** Frames drawn and frames over budget in the window (counted frames, not averages). */
  frames?: { frames: number; overBudget: number };
  /** Share of analysed points flagged anomalous, 0..1. */
  anomalyRate?: number;
}

/** Where the host figures come from: the agent's series names. */
export const HostSeries = {
  memoryUsed: 'memory_used_bytes',
  memoryTotal: 'memory_total_bytes',
  cpu: 'cpu_usage_percent'
} as const;

/**
 * CPU busy share (0..1) from the latest CPU series: the `cpu="total"` series when there is
 * one, else the mean of the per-core ones; NaN without any. O(n).
 */
export function readCpuBusy(series: NonNullable<HealthSignals['series']>): number {
  let sum = 0;
  let n = 0;
  for (const s of series) {
    if (s.name !== HostSeries.cpu || typeof s.lastV !== 'number' || !Number.isFinite(s.lastV)) {
      continue;
    }
    if (s.labels?.cpu === 'total') return Math.min(1, Math.max(0, s.lastV / 100));
    sum += s.lastV;
    n++;
  }
  return n === 0 ? NaN : Math.min(1, Math.max(0, sum / n / 100));
}

/**
 * The health score from every signal present — success and error rate and p95 latency
 * of the events (by the shared definition, `summariseOutcomes`), memory headroom and CPU
 * saturation from the host series, frame-budget compliance from counted frames, and the
 * anomaly rate — so Live and Insights score the same data the same way. O(n log n).
 * @example computeSignalsHealth({ events, slaMs: 2000, series }).health.score
 */
export function computeSignalsHealth(
  signals: HealthSignals,
  weights?: Partial<Record<HealthKpi, number>>
): { health: HealthScore; outcomes: EventOutcomes; input: HealthInput } {
  const outcomes = summariseOutcomes(signals.events ?? []);
  const series = signals.series ?? [];
  const last = (name: string) => series.find((s) => s.name === name)?.lastV;
  const used = last(HostSeries.memoryUsed);
  const total = last(HostSeries.memoryTotal);
  const frames = signals.frames;
  const input: HealthInput = {
    successRate: outcomes.successRate,
    errorRate: outcomes.errorRate,
    latencyMs: outcomes.p95Ms,
    slaMs: signals.slaMs,
    resourceHeadroom:
      used !== undefined && total !== undefined && total > 0 ? 1 - used / total : NaN,
    cpuBusy: readCpuBusy(series),
    frameBudgetCompliance:
      frames && frames.frames > 0 ? 1 - frames.overBudget / frames.frames : NaN,
    anomalyRate: signals.anomalyRate
  };
  return { health: computeHealthScore(input, weights), outcomes, input };
}
