import { formatShare } from '$lib/state/analytics.svelte';
import { formatDuration, formatTime } from './format';

const plain = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const TimeKey = /^(t|start|hourStart|firstSeen|lastSeen)$|\.(t|start)$/;
const DurationKey = /Ms$/;
const ShareKey = /(Rate|share)$/;

/**
 * One cell of an analytics answer (an analyst question's or a result-log view's row), read
 * by its column name: times, durations (`…Ms`) and shares (`…Rate`) in their formats.
 */
export function formatAnswerCell(key: string, value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') {
    if (TimeKey.test(key)) return formatTime(value);
    if (DurationKey.test(key)) return formatDuration(value);
    if (ShareKey.test(key)) return formatShare(value);
    return Number.isFinite(value) ? plain.format(value) : '—';
  }
  return String(value);
}

/** The columns of a list of answer rows: the first row's keys, numeric where it has a number. */
export function answerColumns(rows: readonly Record<string, unknown>[]) {
  return rows.length
    ? Object.entries(rows[0]).map(([label, v]) => ({ label, numeric: typeof v === 'number' }))
    : [];
}
