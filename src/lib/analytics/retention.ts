/**
 * Retention planning: which stored data is past its keep-for window, and when the next
 * scheduled cleanup runs. Pure: `now`, policy and time zone come in as arguments.
 */
import { DAY_MS, HOUR_MS, TierNames, type RetentionKey, type TierName } from '$lib/types';
import { bucketStart, getZoneOffset, zonedTimeToInstant } from './calendar';

export interface RetentionStep {
  tier: RetentionKey;
  /** now - retention: data at or after this instant must be kept (-Infinity: keep all). */
  cutoff: number;
  /**
   * Delete records strictly before this instant. Rollup tiers: buckets whose start is
   * earlier, i.e. bucketStart(cutoff) — such buckets end at or before the cutoff, so a
   * bucket straddling the cutoff is kept whole. Raw chunks / events / insights: records
   * whose newest time is earlier than the cutoff.
   */
  deleteBefore: number;
  /** True when the tier's oldest record is older than deleteBefore. */
  delete: boolean;
}

function isTier(key: RetentionKey): key is TierName {
  return (TierNames as readonly string[]).includes(key);
}

/**
 * Plans one cleanup pass. A tier without a retention entry, or with a non-finite or
 * negative one, is kept forever. A tier with no data (oldestT NaN/undefined) is not deleted.
 * Empty `tiers` → empty plan. O(tiers).
 *
 * @example
 * planRetention({ now: 10 * 86_400_000, retention: DefaultRetention,
 *   tiers: [{ tier: '1m', oldestT: 0 }] });
 * // [{ tier: '1m', cutoff: 9 * 86_400_000, deleteBefore: 9 * 86_400_000, delete: true }]
 */
export function planRetention(options: {
  now: number;
  retention: Partial<Record<RetentionKey, number>>;
  tiers: { tier: RetentionKey; oldestT?: number }[];
  /** Zone of the calendar tiers (1d, 1w, 1M, and local hours); default 'UTC'. */
  timeZone?: string;
}): RetentionStep[] {
  const { now, retention, tiers } = options;
  const timeZone = options.timeZone ?? 'UTC';
  return tiers.map(({ tier, oldestT }) => {
    const keep = retention[tier];
    if (keep === undefined || !Number.isFinite(keep) || keep < 0 || !Number.isFinite(now)) {
      return { tier, cutoff: -Infinity, deleteBefore: -Infinity, delete: false };
    }
    const cutoff = now - keep;
    const deleteBefore = isTier(tier) ? bucketStart(cutoff, { tier, timeZone }) : cutoff;
    const old = oldestT !== undefined && oldestT < deleteBefore;
    return { tier, cutoff, deleteBefore, delete: old };
  });
}

export const CleanupDefaults = {
  /** Local hour of the daily cleanup: quiet time on most machines. */
  hour: 2
} as const;

/**
 * The next instant strictly after `now` when the local clock in `timeZone` reads `hour`:00
 * (hour may be fractional, e.g. 2.5 = 02:30). When that time does not exist that day
 * (a DST gap), the first valid instant after the gap; when it occurs twice (a fold), the
 * first occurrence. Non-finite now → NaN. O(1) (a few Intl calls).
 *
 * @example
 * nextCleanupTime({ now: Date.UTC(2026, 2, 8, 5), timeZone: 'America/New_York' });
 * // Date.UTC(2026, 2, 8, 7): 02:00 does not exist that night, 03:00 EDT is the next instant
 */
export function nextCleanupTime(options: { now: number; timeZone: string; hour?: number }): number {
  const { now, timeZone } = options;
  const hour = options.hour ?? CleanupDefaults.hour;
  if (!Number.isFinite(now)) return NaN;
  const wall = now + getZoneOffset(now, timeZone);
  const day = Math.floor(wall / DAY_MS) * DAY_MS;
  for (let k = 0; k < 3; k++) {
    const at = zonedTimeToInstant(day + k * DAY_MS + hour * HOUR_MS, timeZone);
    if (at > now) return at;
  }
  return NaN;
}
