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

/** Units the retention settings are edited in; a month is 30 days, a year 365. */
export type RetentionUnit = 'hours' | 'days' | 'months' | 'years';

export const RetentionUnitMs: Record<RetentionUnit, number> = {
  hours: HOUR_MS,
  days: DAY_MS,
  months: 30 * DAY_MS,
  years: 365 * DAY_MS
};

/** Finest to coarsest: each must be kept at least as long as the one before it. */
export const RetentionLadder = ['raw', ...TierNames] as const;

/** Bounds of an editable retention: at least an hour, at most a century. */
export const RetentionLimits = { minMs: HOUR_MS, maxMs: 100 * 365 * DAY_MS } as const;

const LadderLabels: Record<(typeof RetentionLadder)[number], string> = {
  raw: 'Raw points',
  '1s': '1 s buckets',
  '10s': '10 s buckets',
  '1m': '1 min buckets',
  '5m': '5 min buckets',
  '15m': '15 min buckets',
  '1h': '1 h buckets',
  '1d': '1 day buckets',
  '1w': '1 week buckets',
  '1M': '1 month buckets'
};

/** A human label for each retention key, as the settings show it. */
export const RetentionLabels: Record<RetentionKey, string> = {
  ...LadderLabels,
  events: 'Events',
  insights: 'Insights'
};

/**
 * Expresses a duration in the largest unit that holds it exactly (hours when none does),
 * for editing. Non-finite or negative input → { amount: NaN, unit: 'hours' }. O(1).
 *
 * @example
 * splitRetention(2 * 365 * 86_400_000); // { amount: 2, unit: 'years' }
 * splitRetention(36 * 3_600_000); // { amount: 36, unit: 'hours' }
 */
export function splitRetention(ms: number): { amount: number; unit: RetentionUnit } {
  if (!Number.isFinite(ms) || ms < 0) return { amount: NaN, unit: 'hours' };
  for (const unit of ['years', 'months', 'days'] as const) {
    const amount = ms / RetentionUnitMs[unit];
    if (ms > 0 && Number.isInteger(amount)) return { amount, unit };
  }
  return { amount: ms / HOUR_MS, unit: 'hours' };
}

/**
 * Checks a full retention policy and says what is wrong with each key, in words a user can
 * act on: every value a number of at least an hour and at most a century, and along the
 * ladder raw → 1 s → … → 1 month no coarser tier kept shorter than a finer one (its buckets
 * are built from the finer tier, and a query falls back to coarser tiers for older data).
 * Events and insights only need to be within the bounds. Returns {} when valid. O(keys).
 *
 * @example
 * validateRetention({ ...DefaultRetention, '5m': 3_600_000 });
 * // { '5m': '5 min buckets must be kept at least as long as 1 min buckets (1 day).' }
 */
export function validateRetention(
  values: Record<RetentionKey, number>
): Partial<Record<RetentionKey, string>> {
  const errors: Partial<Record<RetentionKey, string>> = {};
  for (const key of Object.keys(RetentionLabels) as RetentionKey[]) {
    const ms = values[key];
    if (typeof ms !== 'number' || !Number.isFinite(ms)) {
      errors[key] = `${RetentionLabels[key]}: enter a number.`;
    } else if (ms < RetentionLimits.minMs) {
      errors[key] = `${RetentionLabels[key]} must be kept for at least 1 hour.`;
    } else if (ms > RetentionLimits.maxMs) {
      errors[key] = `${RetentionLabels[key]} can be kept for at most 100 years.`;
    }
  }
  for (let i = 1; i < RetentionLadder.length; i++) {
    const finer = RetentionLadder[i - 1];
    const key = RetentionLadder[i];
    if (errors[key] || errors[finer]) continue;
    if (values[key] < values[finer]) {
      errors[key] =
        `${RetentionLabels[key]} must be kept at least as long as ` +
        `${RetentionLabels[finer].toLowerCase()} (${describeRetention(values[finer])}).`;
    }
  }
  return errors;
}

/** "1 day", "36 hours", "2 years": a duration as the settings show it. */
export function describeRetention(ms: number): string {
  const { amount, unit } = splitRetention(ms);
  const n = Math.round(amount * 100) / 100;
  return `${n} ${n === 1 ? unit.slice(0, -1) : unit}`;
}
