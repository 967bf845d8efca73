import type { SummaryFigure } from '$lib/types/dashboard';
import type { DistributionRow, HourlyMetricRow, TriggerSummaryRow } from './resultlog';
import type { OverallHealth } from './resultlog-queries';

/** What the dashboards' event figures are computed from: the Events page's own views. */
export interface SummaryInput {
  distribution: readonly DistributionRow[];
  triggers: readonly TriggerSummaryRow[];
  hourly: readonly HourlyMetricRow[];
  recentFailureCount: number;
  /** Over the dashboard's range. */
  health: OverallHealth;
  organisations: number;
  rangeMs: number;
}

export interface SummaryValue {
  value: number;
  unit: string;
  /** Per hour, oldest first, for a sparkline; empty when the figure has none. */
  spark: number[];
}

/**
 * One figure of the event summary. `events` is the Events page's "Action types, last 30
 * days" total and `failures` its recent-failure count, so the two pages agree to the event;
 * success rate, p95 and health are `computeOverallHealth` over the dashboard's range.
 * NaN where there are no events. O(rows).
 */
export function computeSummaryFigure(figure: SummaryFigure, input: SummaryInput): SummaryValue {
  const hours = new Map<number, { count: number; ok: number }>();
  for (const r of input.hourly) {
    const h = hours.get(r.hourStart) ?? { count: 0, ok: 0 };
    h.count += r.count;
    h.ok += r.successCount;
    hours.set(r.hourStart, h);
  }
  const perHour = [...hours].sort((a, b) => a[0] - b[0]).map(([, h]) => h);
  const counts = perHour.map((h) => h.count);
  const { health } = input;
  switch (figure) {
    case 'events':
      return {
        value: input.distribution.reduce((s, r) => s + r.count, 0),
        unit: 'count',
        spark: counts
      };
    case 'failures':
      return {
        value: input.recentFailureCount,
        unit: 'count',
        spark: perHour.map((h) => h.count - h.ok)
      };
    case 'successRate':
      return {
        value: health.events ? health.successRate : NaN,
        unit: 'ratio',
        spark: perHour.map((h) => (h.count ? h.ok / h.count : NaN))
      };
    case 'throughputPerHour':
      return {
        value: input.rangeMs > 0 ? health.events / (input.rangeMs / 3_600_000) : NaN,
        unit: 'events/h',
        spark: counts
      };
    case 'activeTriggers':
      return { value: input.triggers.length, unit: 'count', spark: [] };
    case 'activeOrganisations':
      return { value: input.organisations, unit: 'count', spark: [] };
    case 'p95Ms':
      return { value: health.p95Ms, unit: 'ms', spark: [] };
    case 'health':
      // A score out of 100 reads as a whole number; its decimals are noise.
      return { value: Math.round(health.health.score), unit: '', spark: [] };
  }
}
