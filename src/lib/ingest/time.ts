import type { TimePrecision } from './types';

/**
 * Upper bounds (exclusive) of |epoch| per precision when guessing from magnitude: a date
 * between 1973 and 5138 has 10–11 digits in seconds, 12–14 in ms, 15–17 in µs, 18+ in ns.
 */
export const EpochMagnitude = { s: 1e11, ms: 1e14, us: 1e17 } as const;

const DigitsToMs: Record<TimePrecision, number> = { s: 3, ms: 0, us: -3, ns: -6 };
const NUMERIC = /^[+-]?(\d+)(\.\d*)?$/;

/**
 * Guesses the precision of an epoch timestamp from its magnitude.
 *
 * Empty input: NaN and 0 give 's'. Complexity O(1).
 * @example
 * detectEpochPrecision(1795357557310) // 'ms'
 */
export function detectEpochPrecision(value: number): TimePrecision {
  const a = Math.abs(value);
  if (!(a >= EpochMagnitude.s)) return 's';
  if (a < EpochMagnitude.ms) return 'ms';
  if (a < EpochMagnitude.us) return 'us';
  return 'ns';
}

/**
 * Moves the decimal point of a plain decimal string by `shift` digits and parses it once,
 * so `1795357559304000000` ns becomes exactly 1795357559304 ms (Number(ns) / 1e6 would
 * round twice and lose the last digits).
 *
 * Empty input: NaN. Complexity O(length).
 * @example
 * shiftDecimal('1234.567', 3) // 1234567
 */
export function shiftDecimal(text: string, shift: number): number {
  const m = NUMERIC.exec(text);
  if (m === null) return NaN;
  const sign = text.charCodeAt(0) === 45 ? '-' : '';
  let int = m[1];
  let frac = m[2] === undefined ? '' : m[2].slice(1);
  if (shift > 0) {
    int += frac.slice(0, shift).padEnd(shift, '0');
    frac = frac.slice(shift);
  } else if (shift < 0) {
    const k = -shift;
    if (int.length <= k) int = int.padStart(k + 1, '0');
    frac = int.slice(int.length - k) + frac;
    int = int.slice(0, int.length - k);
  }
  return Number(frac.length > 0 ? `${sign}${int}.${frac}` : `${sign}${int}`);
}

/**
 * Parses an epoch timestamp string in the given precision into epoch milliseconds.
 *
 * Empty or non-numeric input: NaN. Complexity O(length).
 * @example
 * parseEpoch('1795357559304000000', 'ns') // 1795357559304
 */
export function parseEpoch(text: string, precision: TimePrecision): number {
  return shiftDecimal(text, DigitsToMs[precision]);
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/;

const HALF_DAY_MS = 43_200_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit'
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * Offset of `timeZone` from UTC at the instant `utcMs`, in ms (positive east of Greenwich).
 * Throws a RangeError for an unknown zone; callers validate the zone once up front.
 *
 * Empty input: not applicable. Complexity O(1) (one Intl format).
 * @example
 * zoneOffsetMs(Date.UTC(2024, 6, 1), 'Europe/Paris') // 7200000
 */
export function zoneOffsetMs(utcMs: number, timeZone: string): number {
  if (timeZone === 'UTC') return 0;
  const parts = formatterFor(timeZone).formatToParts(utcMs);
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second')
  );
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/**
 * Checks an IANA zone name without reading any clock.
 *
 * Empty input: false. Complexity O(1).
 * @example
 * isValidTimeZone('Europe/Paris') // true
 */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * Converts a wall-clock time in `timeZone` to epoch ms. In a DST gap the earlier offset
 * wins; in a fold (the repeated hour) the first occurrence wins, as most loggers do.
 *
 * Empty input: not applicable. Complexity O(1) (two zone lookups).
 * @example
 * localToUtc(Date.UTC(2024, 0, 1, 12), 'Europe/Paris') // Date.UTC(2024, 0, 1, 11)
 */
export function localToUtc(localAsUtcMs: number, timeZone: string): number {
  if (timeZone === 'UTC') return localAsUtcMs;
  const before = zoneOffsetMs(localAsUtcMs - HALF_DAY_MS, timeZone);
  const after = zoneOffsetMs(localAsUtcMs + HALF_DAY_MS, timeZone);
  const a = localAsUtcMs - before;
  const b = localAsUtcMs - after;
  const aValid = zoneOffsetMs(a, timeZone) === before;
  const bValid = zoneOffsetMs(b, timeZone) === after;
  if (aValid && bValid) return Math.min(a, b);
  if (bValid) return b;
  return a;
}

/**
 * Parses RFC 3339 (any number of fraction digits) or `YYYY-MM-DD HH:MM:SS` (optionally with a
 * trailing `UTC`/`GMT`/offset). Zone-less values are read in `timeZone`.
 *
 * Empty or unrecognised input: NaN. Complexity O(length).
 * @example
 * parseDateTime('2026-11-22T14:25:57.31Z', 'UTC') // Date.UTC(2026, 10, 22, 14, 25, 57, 310)
 */
export function parseDateTime(text: string, timeZone: string): number {
  const m = DATE_TIME.exec(text);
  if (m === null) return NaN;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return NaN;
  let ms = Date.UTC(Number(y), month - 1, day, hour, minute, second);
  if (frac !== undefined) ms += shiftDecimal(`0.${frac}`, 3);
  if (zone === undefined) return localToUtc(ms, timeZone);
  if (zone === 'Z' || zone === 'z' || zone === 'UTC' || zone === 'GMT') return ms;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
  return ms - sign * offMin * 60_000;
}
