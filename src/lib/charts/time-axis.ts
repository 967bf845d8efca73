/**
 * A time axis without a date library: the x scale is linear in epoch ms, and these pure
 * functions choose tick positions on round time steps and format them for the span shown.
 */
import { dateTimeFormat } from '$lib/time/zone';

const SECOND = 1_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Round tick steps, finest first; day and longer steps align to local midnight. */
export const TimeTickSteps = [
  SECOND,
  2 * SECOND,
  5 * SECOND,
  10 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  30 * DAY,
  91 * DAY,
  182 * DAY,
  365 * DAY
];

/** Default number of ticks to aim for on a chart's x axis. */
export const DefaultMaxTicks = 6;

/**
 * Tick positions on the smallest round step that gives at most `maxTicks` ticks in
 * [min, max]. `offsetMs` is the local zone's offset east of UTC (e.g. +3,600,000 for
 * UTC+1) so hour and day ticks land on local boundaries.
 * Empty or inverted range → []. O(ticks).
 * @example computeTimeTicks({ min: 0, max: 300_000, maxTicks: 6 }) // every minute
 */
export function computeTimeTicks(options: {
  min: number;
  max: number;
  maxTicks?: number;
  offsetMs?: number;
}): number[] {
  const { min, max } = options;
  if (!(max > min) || !Number.isFinite(min) || !Number.isFinite(max)) return [];
  const maxTicks = Math.max(2, options.maxTicks ?? DefaultMaxTicks);
  const offset = options.offsetMs ?? 0;
  const span = max - min;
  const step =
    TimeTickSteps.find((s) => span / s <= maxTicks) ??
    Math.ceil(span / maxTicks / (365 * DAY)) * 365 * DAY;
  const ticks: number[] = [];
  let t = Math.ceil((min + offset) / step) * step - offset;
  for (; t <= max; t += step) ticks.push(t);
  return ticks;
}

/** Which parts of a time a tick label shows, from the span of the axis. */
export type TimeLabelStyle = 'seconds' | 'minutes' | 'days' | 'months' | 'years';

/** The label style for an axis spanning `spanMs`. */
export function chooseTimeLabelStyle(spanMs: number): TimeLabelStyle {
  if (spanMs <= 10 * MINUTE) return 'seconds';
  if (spanMs <= 2 * DAY) return 'minutes';
  if (spanMs <= 120 * DAY) return 'days';
  if (spanMs <= 3 * 365 * DAY) return 'months';
  return 'years';
}

/** Formats a tick in the given style (Intl, the user's locale and zone unless one is given). */
export function formatTimeTick(t: number, style: TimeLabelStyle, timeZone?: string): string {
  const options: Intl.DateTimeFormatOptions =
    style === 'seconds'
      ? { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }
      : style === 'minutes'
        ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }
        : style === 'days'
          ? { month: 'short', day: 'numeric' }
          : style === 'months'
            ? { month: 'short', year: 'numeric' }
            : { year: 'numeric' };
  return dateTimeFormat({ ...options, timeZone }).format(t);
}
