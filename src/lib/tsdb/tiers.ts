/**
 * Which resolution to read for a time range, and how to stitch tiers so that recent data
 * not yet rolled up comes from finer tiers (or raw points) without gaps or double counting.
 */
import { TierNames, TierWidthMs, type TierName } from '$lib/types';
import { bucketStart, nextBucketStart } from './calendar';

/** A readable resolution: raw points or a rollup tier. */
export type ReadTier = TierName | 'raw';

/** Finest to coarsest. */
export const ReadTiers: readonly ReadTier[] = ['raw', ...TierNames];

/** Buckets of `tier` in a span, at the tier's nominal width (a month is 30 days). */
function nominalBucketsIn(spanMs: number, tier: TierName): number {
  return Math.ceil(Math.max(0, spanMs) / TierWidthMs[tier]);
}

/**
 * The finest resolution whose point count over [from, to) fits `maxPoints` and that still
 * holds data at `from` (the one tier chooser: queries use it):
 * - 'raw' when it is available, kept at `from` (its horizon is not after `from`) and
 *   `rawPointsEstimate` (known from chunk headers) ≤ maxPoints; without an estimate raw is
 *   chosen only if it is the sole available tier;
 * - else among the available tiers whose nominal bucket count ceil(span / width) fits
 *   (a range off the bucket boundaries, a short month or a DST day may add a bucket or two:
 *   maxPoints is a display budget, not a hard cap) the finest whose horizon is not after
 *   `from`, or, when retention emptied every one of them at `from`, the one that reaches
 *   back furthest;
 * - else the coarsest available tier (the caller then gets more than maxPoints).
 * `horizons`: the oldest time each tier still holds (absent: everything kept).
 * Empty `available` → 'raw'. O(tiers).
 *
 * @example
 * chooseTier({ from: 0, to: 86_400_000, maxPoints: 1500 }); // '1m' (1440 buckets)
 * chooseTier({ from: 0, to: 3_600_000, maxPoints: 1500, rawPointsEstimate: 900 }); // 'raw'
 * chooseTier({ from: 0, to: 3_600_000, maxPoints: 1000, horizons: { '10s': 10 } }); // '1m'
 */
export function chooseTier(options: {
  from: number;
  to: number;
  maxPoints: number;
  rawPointsEstimate?: number;
  available?: readonly ReadTier[];
  horizons?: Partial<Record<ReadTier, number>>;
}): ReadTier {
  const { from, to, maxPoints, rawPointsEstimate } = options;
  const horizon = (t: ReadTier) => options.horizons?.[t] ?? -Infinity;
  const available = ReadTiers.filter((t) => (options.available ?? ReadTiers).includes(t));
  if (available.length === 0) return 'raw';
  const hasRaw = available.includes('raw');
  const rawFits = (rawPointsEstimate ?? Infinity) <= maxPoints && horizon('raw') <= from;
  if (hasRaw && (available.length === 1 || rawFits)) return 'raw';
  const rollups = available.filter((t): t is TierName => t !== 'raw');
  const fitting = rollups.filter((t) => nominalBucketsIn(to - from, t) <= maxPoints);
  if (fitting.length === 0) return rollups[rollups.length - 1];
  return (
    fitting.find((t) => horizon(t) <= from) ??
    fitting.reduce((best, t) => (horizon(t) < horizon(best) ? t : best))
  );
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
