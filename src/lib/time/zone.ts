/**
 * Time-zone arithmetic on IANA zone names, without a date library and without a clock:
 * offsets come from `Intl.DateTimeFormat` (one formatter per zone and options, cached).
 * Times in and out are epoch ms; a "wall time" is local clock time expressed as the epoch
 * ms of the same calendar reading in UTC (so `Date.UTC(y, m, d, h)` is 'h o'clock local').
 * tsdb/calendar.ts (rollup buckets), analytics/resultlog-time.ts (per-zone calendars) and
 * charts/time-axis.ts (tick labels) all build on this module.
 */
import { DAY_MS } from '$lib/types';

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * A cached `Intl.DateTimeFormat` for `locale` and `options` (same arguments, same object).
 * Throws RangeError for an unknown `options.timeZone`, as Intl does.
 *
 * @example
 * dateTimeFormat({ year: 'numeric', timeZone: 'UTC' }, 'en-US').format(0); // '1970'
 */
export function dateTimeFormat(
  options: Intl.DateTimeFormatOptions,
  locale?: string
): Intl.DateTimeFormat {
  const key = `${locale ?? ''}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, options);
    formatters.set(key, f);
  }
  return f;
}

/** The parts `wallClock` reads: a numeric 24-hour calendar reading. */
const PartsOptions: Intl.DateTimeFormatOptions = {
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric'
};

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

/** The numeric-parts formatter of `timeZone` (looked up by zone alone: this is the hot path). */
function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = partsFormatters.get(timeZone);
  if (!f) {
    f = dateTimeFormat({ ...PartsOptions, timeZone }, 'en-US');
    partsFormatters.set(timeZone, f);
  }
  return f;
}

/** True for the names of UTC itself, where no Intl call is needed. */
export function isUtcZone(timeZone: string): boolean {
  return timeZone === 'UTC' || timeZone === 'Etc/UTC' || timeZone === 'GMT';
}

/**
 * Throws RangeError unless `timeZone` is a zone Intl knows (builds and caches its formatter).
 *
 * @example
 * assertTimeZone('Mars/Olympus'); // throws RangeError
 */
export function assertTimeZone(timeZone: string): void {
  if (!isUtcZone(timeZone)) partsFormatter(timeZone);
}

/**
 * Local wall time of instant t in `timeZone`, truncated to whole seconds. O(1), one Intl call.
 *
 * @example
 * wallClock(Date.UTC(2026, 6, 1, 12), 'Europe/London'); // Date.UTC(2026, 6, 1, 13)
 */
export function wallClock(t: number, timeZone: string): number {
  const sec = Math.floor(t / 1000) * 1000;
  if (isUtcZone(timeZone)) return sec;
  let y = 0;
  let mo = 0;
  let d = 0;
  let h = 0;
  let mi = 0;
  let s = 0;
  for (const p of partsFormatter(timeZone).formatToParts(sec)) {
    switch (p.type) {
      case 'year':
        y = Number(p.value);
        break;
      case 'month':
        mo = Number(p.value);
        break;
      case 'day':
        d = Number(p.value);
        break;
      case 'hour':
        h = Number(p.value);
        break;
      case 'minute':
        mi = Number(p.value);
        break;
      case 'second':
        s = Number(p.value);
        break;
    }
  }
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

/**
 * Offset of `timeZone` from UTC at instant t, in ms (local = UTC + offset).
 * Throws RangeError for an unknown zone. O(1) (one Intl call).
 *
 * @example
 * getZoneOffset(Date.UTC(2026, 6, 1), 'Europe/London'); // 3_600_000
 */
export function getZoneOffset(t: number, timeZone: string): number {
  if (isUtcZone(timeZone)) return 0;
  return wallClock(t, timeZone) - Math.floor(t / 1000) * 1000;
}

/**
 * The first whole second in (a, b] whose offset differs from the offset at a; the offset at
 * b must differ. Binary search, O(log((b − a) / 1 s)) Intl calls.
 *
 * @example
 * // New York springs forward at 07:00 UTC on 2026-03-08.
 * findOffsetChange(Date.UTC(2026, 2, 8), Date.UTC(2026, 2, 9), 'America/New_York'); // Date.UTC(2026, 2, 8, 7)
 */
export function findOffsetChange(a: number, b: number, timeZone: string): number {
  const oA = getZoneOffset(a, timeZone);
  let lo = Math.floor(a / 1000);
  let hi = Math.ceil(b / 1000);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (getZoneOffset(mid * 1000, timeZone) === oA) lo = mid;
    else hi = mid;
  }
  return hi * 1000;
}

/**
 * The first instant whose local wall time is ≥ `local`. Ambiguous times (DST fold) give the
 * earlier instant; times inside a DST gap give the instant the gap ends (the transition).
 *
 * @example
 * // 2026-03-08 02:00 does not exist in New York: the next valid instant is 07:00 UTC (03:00 EDT).
 * zonedTimeToInstant(Date.UTC(2026, 2, 8, 2), 'America/New_York'); // Date.UTC(2026, 2, 8, 7)
 */
export function zonedTimeToInstant(local: number, timeZone: string): number {
  if (isUtcZone(timeZone)) return local;
  const oBefore = getZoneOffset(local - DAY_MS, timeZone);
  const oAfter = getZoneOffset(local + DAY_MS, timeZone);
  let best = Infinity;
  for (const o of [oBefore, oAfter]) {
    const c = local - o;
    if (getZoneOffset(c, timeZone) === o && c < best) best = c;
  }
  if (best !== Infinity) return best;
  // In a gap: the transition lies between the two readings of `local`.
  const lo = Math.min(local - oBefore, local - oAfter);
  const hi = Math.max(local - oBefore, local - oAfter);
  return findOffsetChange(lo, hi, timeZone);
}
