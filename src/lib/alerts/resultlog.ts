/**
 * Alert rules over the result log (issue 23): success rate, error rate and latency
 * percentiles per action type, trigger or organisation, and the health of the result-log
 * views (staleness, refresh time, failed refreshes), written in the ordinary rule language
 * against virtual series that the engine builds from the stored events and the views'
 * refresh status instead of reading stored points:
 *
 * | series                      | one point per …                      | e.g.                         |
 * | --------------------------- | ------------------------------------ | ---------------------------- |
 * | `resultlog:success`         | event: 1 succeeded, 0 not            | `avg(…)` = success rate      |
 * | `resultlog:error`           | event: 1 failed, 0 not               | `avg(…)` = error rate        |
 * | `resultlog:duration_ms`     | event with a usable duration         | `p95(…)` = p95 latency       |
 * | `resultlog:view_age_ms`     | view: ms since its last refresh      | `last(…) > 300000`           |
 * | `resultlog:view_refresh_ms` | view: how long its last refresh took | `last(…) > 5000`             |
 * | `resultlog:view_failed`     | view: 1 when its last refresh failed | `last(…) > 0`                |
 *
 * Event series carry a `scope` label — `all`, `actionType` (with `actionType`), `trigger`
 * (with `triggerId`) or `organisation` (with `organisationId`) — so
 * `p95(resultlog:duration_ms{scope="actionType"})` is one alert instance per action type.
 * View series carry `view`. Success and latency follow the shared definition
 * (`summariseOutcomes`: status case-insensitive, durations without a value left out).
 * Pure: events and view statuses come in as arguments.
 */
import { checkSuccess, readActionType, readDuration } from '$lib/analytics/resultlog-common';
import type { ResultEvent } from '$lib/types';
import { seriesKey } from '$lib/types/series-key';
import { matchSelector, type SeriesInfo } from './match';
import type { AlertCondition, AlertInput, SeriesSelector } from './types';
import { computeWindowAggregate, computeWindowQuantile } from './window';

export const ResultLogSeries = {
  success: 'resultlog:success',
  error: 'resultlog:error',
  duration: 'resultlog:duration_ms',
  viewAge: 'resultlog:view_age_ms',
  viewRefresh: 'resultlog:view_refresh_ms',
  viewFailed: 'resultlog:view_failed'
} as const;

const EventSeriesNames: readonly string[] = [
  ResultLogSeries.success,
  ResultLogSeries.error,
  ResultLogSeries.duration
];
const ViewSeriesNames: readonly string[] = [
  ResultLogSeries.viewAge,
  ResultLogSeries.viewRefresh,
  ResultLogSeries.viewFailed
];

/** What the view series read of one result-log view. */
export interface ViewHealth {
  view: string;
  /** ms since the view last refreshed (NaN: never). */
  ageMs: number;
  /** How long its last refresh took, ms. */
  durationMs: number;
  failed: boolean;
}

/** True for a selector over the result log's virtual series. */
export function isResultLogSelector(selector: SeriesSelector): boolean {
  return selector.name.startsWith('resultlog:');
}

/** True when the selector reads events (so the engine must hand them over). */
export function readsResultLogEvents(selector: SeriesSelector): boolean {
  return EventSeriesNames.includes(selector.name);
}

/** The groups an event belongs to: every event is in `all`, and in its action type, trigger, organisation. */
function eventGroups(e: ResultEvent): Record<string, string>[] {
  const groups: Record<string, string>[] = [
    { scope: 'all' },
    { scope: 'actionType', actionType: readActionType(e) }
  ];
  if (typeof e.triggerId === 'string' && e.triggerId !== '') {
    groups.push({ scope: 'trigger', triggerId: e.triggerId });
  }
  if (typeof e.organisationId === 'string' && e.organisationId !== '') {
    groups.push({ scope: 'organisation', organisationId: e.organisationId });
  }
  return groups;
}

function eventValue(name: string, e: ResultEvent): number {
  if (name === ResultLogSeries.duration) return readDuration(e);
  const ok = checkSuccess(e);
  return name === ResultLogSeries.success ? (ok ? 1 : 0) : ok ? 0 : 1;
}

function viewValue(name: string, v: ViewHealth): number {
  if (name === ResultLogSeries.viewAge) return v.ageMs;
  if (name === ResultLogSeries.viewRefresh) return v.durationMs;
  return v.failed ? 1 : 0;
}

/**
 * The virtual series present for these events and views, for matching and for the
 * editor's "matches nothing" warning. O(events).
 */
export function listResultLogSeries(
  events: readonly ResultEvent[],
  views: readonly ViewHealth[]
): SeriesInfo[] {
  const seen = new Map<string, SeriesInfo>();
  for (const e of events) {
    for (const labels of eventGroups(e)) {
      for (const name of EventSeriesNames) {
        const key = seriesKey(name, labels);
        if (!seen.has(key)) seen.set(key, { key, name, labels, kind: 'gauge' });
      }
    }
  }
  for (const v of views) {
    for (const name of ViewSeriesNames) {
      const labels = { view: v.view };
      const key = seriesKey(name, labels);
      seen.set(key, { key, name, labels, kind: 'gauge' });
    }
  }
  return [...seen.values()];
}

/**
 * The value of a threshold or percentile rule on each matching virtual series: event
 * series over the events with now − window ≤ t ≤ now (the caller may pass more; they are
 * filtered here), view series from the views' current status. Other condition kinds
 * (rate, anomaly, absent) have no meaning here and give no inputs. O(events × 4 groups).
 *
 * @example
 * computeResultLogInputs(parseRule('avg(resultlog:success{scope="all"}) over 15m < 0.9').spec.condition,
 *   { events, views: [], now })[0].value // the success rate of the last 15 minutes
 */
export function computeResultLogInputs(
  condition: AlertCondition,
  source: { events: readonly ResultEvent[]; views: readonly ViewHealth[]; now: number }
): AlertInput[] {
  if (condition.kind !== 'threshold' && condition.kind !== 'percentile') return [];
  const { selector } = condition;
  const valueOf = (v: number[]) => {
    const w = { tier: 'raw' as const, t: new Float64Array(v.length), v: Float64Array.from(v) };
    return condition.kind === 'percentile'
      ? computeWindowQuantile(condition.quantile, w)
      : computeWindowAggregate(condition.aggregate, w);
  };
  if (ViewSeriesNames.includes(selector.name)) {
    const out: AlertInput[] = [];
    for (const v of source.views) {
      const labels = { view: v.view };
      const info = { key: seriesKey(selector.name, labels), name: selector.name, labels };
      if (matchSelector(selector, info)) {
        out.push({ seriesKey: info.key, value: valueOf([viewValue(selector.name, v)]) });
      }
    }
    return out;
  }
  if (!EventSeriesNames.includes(selector.name)) return [];
  const from = source.now - condition.windowMs;
  // Per group key: whether the selector matches it (asked once), and its values.
  const groups = new Map<string, { match: boolean; values: number[] }>();
  for (const e of source.events) {
    if (!(e.t >= from && e.t <= source.now)) continue;
    const x = eventValue(selector.name, e);
    for (const labels of eventGroups(e)) {
      const key = seriesKey(selector.name, labels);
      let g = groups.get(key);
      if (!g) {
        g = { match: matchSelector(selector, { key, name: selector.name, labels }), values: [] };
        groups.set(key, g);
      }
      if (g.match && !Number.isNaN(x)) g.values.push(x);
    }
  }
  const out: AlertInput[] = [];
  for (const [key, g] of groups)
    if (g.match) out.push({ seriesKey: key, value: valueOf(g.values) });
  // A group with no events in the window gives no input: the evaluator reads that as no
  // data (a pending alert is cancelled, a firing one stays firing).
  return out.sort((a, b) => (a.seriesKey < b.seriesKey ? -1 : 1));
}

/** The five alerts the result-log specification recommends, as one-click templates. */
export const ResultLogAlertTemplates = [
  {
    id: 'low-success-rate',
    label: 'Success rate below 90 %',
    text: 'alert "Result log: success rate below 90 %"\n  when avg(resultlog:success{scope="all"}) over 15m < 0.9\n  for 5m\n  clear >= 0.95\n  severity critical'
  },
  {
    id: 'slow-p95',
    label: 'p95 latency above 1 s, per action type',
    text: 'alert "Result log: p95 latency above 1 s"\n  when p95(resultlog:duration_ms{scope="actionType"}) over 15m > 1000\n  for 5m\n  severity warning'
  },
  {
    id: 'stale-view',
    label: 'A view not refreshed for 15 minutes',
    text: 'alert "Result log: view stale"\n  when last(resultlog:view_age_ms) over 1m > 900000\n  severity warning'
  },
  {
    id: 'failed-refresh',
    label: 'A view refresh failed',
    text: 'alert "Result log: view refresh failed"\n  when last(resultlog:view_failed) over 1m > 0\n  severity critical'
  },
  {
    id: 'slow-refresh',
    label: 'A view refresh slower than 5 s',
    text: 'alert "Result log: slow view refresh"\n  when last(resultlog:view_refresh_ms) over 1m > 5000\n  severity warning'
  }
] as const;
