/**
 * Which resolution to read for a time range, and how to stitch tiers so that recent data
 * not yet rolled up comes from finer tiers (or raw points) without gaps or double counting.
 */
import { TierNames, type TierName } from '$lib/types';
import { bucketStart, MinBucketMs, nextBucketStart } from './calendar';

/** A readable resolution: raw points or a rollup tier. */
export type ReadTier = TierName | 'raw';

/** Finest to coarsest. */
export const ReadTiers: readonly ReadTier[] = ['raw', ...TierNames];

/**
 * Upper bound on the buckets of `tier` that overlap a half-open range of `spanMs`:
 * ceil(span / shortest bucket) + 1 (the +1 for a range that does not start on a boundary).
 */
function maxBucketsIn(spanMs: number, tier: TierName): number {
  return Math.ceil(Math.max(0, spanMs) / MinBucketMs[tier]) + 1;
}

/**
 * The finest resolution whose point count over [from, to) fits `maxPoints`:
 * - 'raw' when it is available and `rawPointsEstimate` (known from chunk headers) ≤ maxPoints;
 *   without an estimate raw is chosen only if it is the sole available tier;
 * - else the finest available tier whose bucket count is guaranteed ≤ maxPoints (bound
 *   ceil(span / shortest bucket) + 1, so DST days and short months never overflow);
 * - else the coarsest available tier (the caller then gets more than maxPoints).
 * Empty `available` → 'raw'. O(tiers).
 *
 * @example
 * chooseTier({ from: 0, to: 86_400_000, maxPoints: 1500 }); // '1m' (1441 buckets)
 * chooseTier({ from: 0, to: 3_600_000, maxPoints: 1500, rawPointsEstimate: 900 }); // 'raw'
 */
export function chooseTier(options: {
  from: number;
  to: number;
  maxPoints: number;
  rawPointsEstimate?: number;
  available?: readonly ReadTier[];
}): ReadTier {
  const { from, to, maxPoints, rawPointsEstimate } = options;
  const available = ReadTiers.filter((t) => (options.available ?? ReadTiers).includes(t));
  if (available.length === 0) return 'raw';
  const hasRaw = available.includes('raw');
  if (hasRaw && (available.length === 1 || (rawPointsEstimate ?? Infinity) <= maxPoints)) {
    return 'raw';
  }
  const rollups = available.filter((t): t is TierName => t !== 'raw');
  for (const tier of rollups) {
    if (maxBucketsIn(to - from, tier) <= maxPoints) return tier;
  }
  return rollups[rollups.length - 1];
}

/**
 * What one tier holds: data for [from, until). For a rollup tier `until` is its watermark
 * (every bucket ending at or before it is complete and final; a bucket boundary) and `from`
 * the start of its oldest kept bucket. For raw, `until` is usually Infinity.
 */
export interface TierCoverage {
  from: number;
  until: number;
}

/** One read: buckets (or raw points) whose start time lies in [from, to). */
export interface TierSegment {
  tier: ReadTier;
  from: number;
  to: number;
}

/**
 * Plans the reads that answer [from, to) at `tier`, stitched without gaps or overlaps:
 * 1. older than the tier's oldest bucket (retention already pruned it): the nearest coarser
 *    tier that has data there, read up to the first coarser boundary at or after the
 *    tier's `from`, where the main read then resumes (buckets nest, so the boundary is
 *    one of the tier's too: nothing counted twice);
 * 2. the tier itself up to its watermark;
 * 3. the newest part not rolled up yet: the next finer tiers in turn, down to raw.
 * Ranges no tier covers are returned in `missing`. Segments are ascending and disjoint.
 * from ≥ to → no segments. O(tiers) plus a few calendar lookups.
 *
 * @example
 * planTierReads({ from: 0, to: 7_200_000, tier: '1m', coverage: {
 *   raw: { from: 0, until: Infinity }, '1s': { from: 0, until: 7_190_000 },
 *   '10s': { from: 0, until: 7_180_000 }, '1m': { from: 0, until: 7_140_000 } } });
 * // segments: 1m [0, 7_140_000), 10s [7_140_000, 7_180_000), 1s […, 7_190_000), raw […, 7_200_000)
 */
export function planTierReads(options: {
  from: number;
  to: number;
  tier: ReadTier;
  coverage: Partial<Record<ReadTier, TierCoverage>>;
  timeZone?: string;
}): { segments: TierSegment[]; missing: { from: number; to: number }[] } {
  const { from, to, tier, coverage } = options;
  const timeZone = options.timeZone ?? 'UTC';
  const segments: TierSegment[] = [];
  const missing: { from: number; to: number }[] = [];
  if (!(from < to)) return { segments, missing };
  const rank = ReadTiers.indexOf(tier);
  const main = coverage[tier];
  let cursor = from;
  const push = (t: ReadTier, a: number, b: number) => {
    if (!(b > a)) return;
    if (a > cursor) missing.push({ from: cursor, to: a });
    segments.push({ tier: t, from: a, to: b });
    cursor = b;
  };

  const mainFrom = main ? main.from : Infinity;
  if (cursor < mainFrom) {
    // 1. Head from the nearest coarser tier holding data before the main tier's start.
    for (let r = rank + 1; r < ReadTiers.length; r++) {
      const c = coverage[ReadTiers[r]];
      const coarse = ReadTiers[r] as TierName;
      if (!c || c.until <= cursor || c.from >= Math.min(to, mainFrom)) continue;
      const limit = Math.min(to, mainFrom);
      const spec = { tier: coarse, timeZone };
      const boundary = bucketStart(limit, spec) === limit ? limit : nextBucketStart(limit, spec);
      const end = Math.min(to, c.until, main ? boundary : Infinity);
      push(coarse, Math.max(cursor, c.from), end);
      break;
    }
  }
  // 2. The tier itself.
  if (main && cursor < to && main.until > cursor) {
    push(tier, Math.max(cursor, main.from), Math.min(to, main.until));
  }
  // 3. The tail from finer tiers, nearest first, down to raw.
  for (let r = rank - 1; r >= 0 && cursor < to; r--) {
    const c = coverage[ReadTiers[r]];
    if (!c || c.until <= cursor || c.from > cursor) continue;
    push(ReadTiers[r], cursor, Math.min(to, c.until));
  }
  if (cursor < to) missing.push({ from: cursor, to });
  return { segments, missing };
}
