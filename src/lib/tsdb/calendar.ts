/**
 * Bucket boundaries of the rollup tiers.
 *
 * - 1s, 10s, 1m, 5m, 15m: UTC epoch arithmetic, floor(t / width) · width. Every zone in
 *   use today has an offset that is a multiple of 15 minutes, so these are also local
 *   boundaries everywhere.
 * - 1h: local hours. In whole-hour zones that is UTC arithmetic; in zones with 30/45-minute
 *   offsets (Asia/Kolkata, Asia/Kathmandu, Australia/Adelaide…) buckets start at local
 *   hh:00, i.e. UTC floor shifted by (offset mod 1 h). Where a transition changes the
 *   offset modulo 1 h (Australia/Lord_Howe's 30-minute DST) the bucket is cut at the
 *   transition instant, so one bucket is 30 or 90 minutes long: buckets always partition
 *   time and always nest inside local days.
 * - 1d: local midnight to local midnight; 1w: local Monday 00:00 (ISO weeks); 1M: the 1st
 *   at 00:00 local. When local midnight does not exist (a DST gap at 00:00, e.g.
 *   America/Santiago), the day starts at the first instant after the gap.
 *
 * Offsets come from $lib/time/zone (Intl.DateTimeFormat, cached per zone). Boundaries are memoised per
 * (tier, zone) for the last bucket seen, so rolling up sorted points calls Intl only when
 * a point crosses into a new day/week/month/hour bucket.
 */
import {
  findOffsetChange,
  getZoneOffset,
  isUtcZone,
  wallClock,
  zonedTimeToInstant
} from '$lib/time/zone';
import { DAY_MS, HOUR_MS, TierWidthMs, type TierName } from '$lib/types';

// The zone arithmetic lives in $lib/time/zone; these two stay importable from here.
export { getZoneOffset, zonedTimeToInstant };

/** Which tier and zone a boundary is computed for. Reuse one object across calls. */
export interface BucketSpec {
  tier: TierName;
  /** IANA zone name, e.g. 'Europe/London'; 'UTC' skips Intl entirely. */
  timeZone: string;
}

const HOUR_MOD = (o: number): number => ((o % HOUR_MS) + HOUR_MS) % HOUR_MS;

function startOfLocalHour(t: number, timeZone: string): number {
  const m = HOUR_MOD(getZoneOffset(t, timeZone));
  const s = Math.floor((t + m) / HOUR_MS) * HOUR_MS - m;
  if (HOUR_MOD(getZoneOffset(s, timeZone)) === m) return s;
  return findOffsetChange(s, t, timeZone);
}

function nextLocalHour(t: number, timeZone: string): number {
  const m = HOUR_MOD(getZoneOffset(t, timeZone));
  const c = Math.floor((t + m) / HOUR_MS) * HOUR_MS - m + HOUR_MS;
  if (HOUR_MOD(getZoneOffset(c, timeZone)) === m) return c;
  return findOffsetChange(t, c, timeZone);
}

/** Local calendar-day start (as UTC-calendar ms) of the day `t` falls in, plus day shifts. */
function localDay(t: number, timeZone: string): number {
  return Math.floor(wallClock(t, timeZone) / DAY_MS) * DAY_MS;
}

function calendarStart(t: number, tier: '1d' | '1w' | '1M', timeZone: string, next: boolean) {
  const day = localDay(t, timeZone);
  let local: number;
  if (tier === '1d') {
    local = day + (next ? DAY_MS : 0);
  } else if (tier === '1w') {
    // Day 0 (1970-01-01) was a Thursday; ISO weeks start on Monday.
    const sinceMonday = (((day / DAY_MS + 3) % 7) + 7) % 7;
    local = day - sinceMonday * DAY_MS + (next ? 7 * DAY_MS : 0);
  } else {
    const d = new Date(day);
    local = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + (next ? 1 : 0), 1);
  }
  return zonedTimeToInstant(local, timeZone);
}

function computeStart(t: number, spec: BucketSpec): number {
  const { tier, timeZone } = spec;
  if (tier === '1d' || tier === '1w' || tier === '1M')
    return calendarStart(t, tier, timeZone, false);
  if (tier === '1h' && !isUtcZone(timeZone)) return startOfLocalHour(t, timeZone);
  const w = TierWidthMs[tier];
  return Math.floor(t / w) * w;
}

function computeNext(t: number, spec: BucketSpec): number {
  const { tier, timeZone } = spec;
  if (tier === '1d' || tier === '1w' || tier === '1M')
    return calendarStart(t, tier, timeZone, true);
  if (tier === '1h' && !isUtcZone(timeZone)) return nextLocalHour(t, timeZone);
  const w = TierWidthMs[tier];
  return Math.floor(t / w) * w + w;
}

/** Memoised boundaries for one tier and zone: O(1) while t stays in the last bucket seen. */
export interface Bucketer {
  /** Start of the bucket holding t. */
  start(t: number): number;
  /** Start of the bucket after the one holding t (= its exclusive end). */
  next(t: number): number;
}

/**
 * Creates a memoising bucketer for one tier and zone. Non-finite t gives NaN.
 *
 * @example
 * const b = createBucketer({ tier: '1d', timeZone: 'Europe/London' });
 * b.start(Date.UTC(2026, 6, 1, 12)); // Date.UTC(2026, 5, 30, 23) — midnight BST
 */
export function createBucketer(spec: BucketSpec): Bucketer {
  const s = { tier: spec.tier, timeZone: spec.timeZone };
  let lo = NaN;
  let hi = NaN;
  const fill = (t: number) => {
    lo = computeStart(t, s);
    hi = computeNext(t, s);
  };
  return {
    start(t) {
      if (!Number.isFinite(t)) return NaN;
      if (!(t >= lo && t < hi)) fill(t);
      return lo;
    },
    next(t) {
      if (!Number.isFinite(t)) return NaN;
      if (!(t >= lo && t < hi)) fill(t);
      return hi;
    }
  };
}

const bucketers = new Map<string, Bucketer>();

function bucketerFor(spec: BucketSpec): Bucketer {
  const key = `${spec.tier} ${spec.timeZone}`;
  let b = bucketers.get(key);
  if (!b) {
    b = createBucketer(spec);
    bucketers.set(key, b);
  }
  return b;
}

/**
 * Start (epoch ms) of the `spec.tier` bucket that contains instant t, in `spec.timeZone`.
 * Non-finite t → NaN. O(1) amortised for sorted input (memoised per tier and zone).
 *
 * @example
 * bucketStart(Date.UTC(2026, 0, 7, 15, 4, 59), { tier: '5m', timeZone: 'UTC' }); // …15:00:00
 * bucketStart(Date.UTC(2026, 0, 7, 15), { tier: '1w', timeZone: 'UTC' }); // Mon 2026-01-05
 */
export function bucketStart(t: number, spec: BucketSpec): number {
  return bucketerFor(spec).start(t);
}

/**
 * Start of the bucket after the one containing t (its exclusive end). Non-finite t → NaN.
 * O(1) amortised.
 *
 * @example
 * nextBucketStart(Date.UTC(2026, 2, 29, 12), { tier: '1d', timeZone: 'Europe/London' });
 * // Date.UTC(2026, 2, 29, 23): the day after the spring change starts at BST midnight
 */
export function nextBucketStart(t: number, spec: BucketSpec): number {
  return bucketerFor(spec).next(t);
}

/** Shortest length a bucket of the tier can have (DST days are 23 h, February 28 d). */
export const MinBucketMs: Record<TierName, number> = {
  ...TierWidthMs,
  '1h': HOUR_MS / 2,
  '1d': 23 * HOUR_MS,
  '1w': 7 * DAY_MS - HOUR_MS,
  '1M': 28 * DAY_MS - HOUR_MS
};
