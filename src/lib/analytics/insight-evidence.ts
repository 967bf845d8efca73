/**
 * What an insight card draws as its sparkline: the evidence behind the finding, small. A
 * series insight (leak, trend, step, capacity…) shows its series over the window; a
 * failure-rate insight on an action type shows that action's failure share per hour.
 * Pure: data in, data out.
 */
import type { Columnar, ResultEvent } from '$lib/types';
import { checkSuccess, readActionType } from './resultlog-common';

export interface InsightEvidence extends Columnar {
  /** The unit of `v`: the series' unit, or '%' for a failure share. */
  unit: string;
  /** What the line is, in words ("failures per hour, %"). */
  label: string;
}

export const InsightEvidenceDefaults = {
  /** Points per sparkline: a card is about 240 px wide. */
  points: 120,
  hourMs: 3_600_000
};

/**
 * The mean of each of `points` equal slices of [from, to) (NaN where a slice has no point),
 * stamped at the slice's start: a series of any length becomes a sparkline's worth.
 * Empty input or points < 1 → empty output. O(n + points).
 *
 * @example
 * downsampleMeans({ t: [0, 1, 2, 3], v: [1, 3, 5, 7] }, { from: 0, to: 4, points: 2 });
 * // { t: [0, 2], v: [2, 6] }
 */
export function downsampleMeans(
  series: Columnar,
  options: { from: number; to: number; points: number }
): Columnar {
  const { from, to } = options;
  const n = Math.floor(options.points);
  if (n < 1 || !(to > from) || series.t.length === 0)
    return { t: new Float64Array(0), v: new Float64Array(0) };
  const width = (to - from) / n;
  const sum = new Float64Array(n);
  const count = new Float64Array(n);
  for (let i = 0; i < series.t.length; i++) {
    const x = series.v[i];
    const k = Math.floor((series.t[i] - from) / width);
    if (k < 0 || k >= n || !Number.isFinite(x)) continue;
    sum[k] += x;
    count[k]++;
  }
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    t[k] = from + k * width;
    v[k] = count[k] > 0 ? sum[k] / count[k] : NaN;
  }
  return { t, v };
}

/**
 * The evidence of each insight, by subject: `series` (by key) for series insights,
 * the action type's hourly failure share (0–100 %) from `events` otherwise. Subjects with
 * neither are left out. O(series points + events + insights × points).
 *
 * @example
 * computeInsightEvidence({ subjects: [{ subject: 'heap', type: 'memory_leak' }],
 *   series: [{ key: 'heap', unit: 'B', t, v }], events: [], window: { start, end } });
 * // { heap: { t, v, unit: 'B', label: 'heap' } }
 */
export function computeInsightEvidence(options: {
  subjects: { subject: string; type: string }[];
  series: (Columnar & { key: string; unit: string })[];
  events: ResultEvent[];
  window: { start: number; end: number };
  points?: number;
}): Record<string, InsightEvidence> {
  const { start, end } = options.window;
  const points = options.points ?? InsightEvidenceDefaults.points;
  const out: Record<string, InsightEvidence> = {};
  for (const { subject, type } of options.subjects) {
    if (out[subject]) continue;
    const s = options.series.find((x) => x.key === subject);
    if (s) {
      const d = downsampleMeans(s, { from: start, to: end, points });
      out[subject] = { ...d, unit: s.unit, label: subject };
    } else if (type === 'failure_rate') {
      out[subject] = hourlyFailureShare(options.events, subject, options.window);
    }
  }
  return out;
}

/** The share of `actionType`'s events that failed, per hour of the window, in %. */
function hourlyFailureShare(
  events: ResultEvent[],
  actionType: string,
  window: { start: number; end: number }
): InsightEvidence {
  const { hourMs } = InsightEvidenceDefaults;
  const hours = Math.max(1, Math.ceil((window.end - window.start) / hourMs));
  const total = new Float64Array(hours);
  const failed = new Float64Array(hours);
  for (const e of events) {
    if (readActionType(e) !== actionType) continue;
    const k = Math.floor((e.t - window.start) / hourMs);
    if (k < 0 || k >= hours) continue;
    total[k]++;
    if (!checkSuccess(e)) failed[k]++;
  }
  const t = new Float64Array(hours);
  const v = new Float64Array(hours);
  for (let k = 0; k < hours; k++) {
    t[k] = window.start + k * hourMs;
    v[k] = total[k] > 0 ? (100 * failed[k]) / total[k] : NaN;
  }
  return { t, v, unit: '%', label: `${actionType}: failed share per hour` };
}
