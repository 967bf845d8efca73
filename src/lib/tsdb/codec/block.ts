/**
 * The stored form of a run of rollup buckets: a compact, lossless columnar block.
 */
import { TierNames } from '$lib/types';
import { ByteSink, type ByteCursor } from './bits';
import { decodeColumn, encodeColumn } from './chunk';
import { ColumnFields, countBuckets, createColumns, type RollupColumns } from '../columns';
import { QuantileSketch } from '../sketch';

/** Bump when the block layout changes. */
export const RollupBlockVersion = 1;

/**
 * Encodes a run of buckets as one compact block: a 8-byte header (version, tier, flags,
 * bucket count), ten codec columns (firstT/lastT relative to start when that round-trips
 * exactly), then the sketches back to back. Lossless. O(buckets · bins).
 *
 * @example
 * const bytes = encodeRollupBlock(rollupPoints({ t, v, tier: '1m', timeZone: 'UTC' }));
 */
export function encodeRollupBlock(cols: RollupColumns): Uint8Array {
  const n = countBuckets(cols);
  const sink = new ByteSink(64 + n * 16);
  const relFirst = cols.firstT.map((x, i) => x - cols.start[i]);
  const relLast = cols.lastT.map((x, i) => x - cols.start[i]);
  const exact = (rel: Float64Array, abs: Float64Array) =>
    rel.every((r, i) => Object.is(r + cols.start[i], abs[i]));
  const firstRel = exact(relFirst, cols.firstT);
  const lastRel = exact(relLast, cols.lastT);
  sink.writeU8(RollupBlockVersion);
  sink.writeU8(TierNames.indexOf(cols.tier));
  sink.writeU8((firstRel ? 1 : 0) | (lastRel ? 2 : 0));
  sink.writeU8(0);
  sink.writeU32(n);
  for (const f of ColumnFields) {
    let col = cols[f];
    if (f === 'firstT' && firstRel) col = relFirst;
    if (f === 'lastT' && lastRel) col = relLast;
    encodeColumn(sink, col);
  }
  for (let i = 0; i < n; i++) cols.sketches[i].writeTo(sink);
  return sink.finish();
}

/**
 * Inverse of encodeRollupBlock. Throws RangeError on an unknown version or tier.
 * With `sketches: false` the quantile sketches are not read (every bucket gets the same
 * empty sketch): for reads that need no percentiles. O(bytes).
 *
 * @example
 * decodeRollupBlock(encodeRollupBlock(cols)).sum; // equals cols.sum
 */
export function decodeRollupBlock(
  bytes: Uint8Array,
  options: { sketches?: boolean } = {}
): RollupColumns {
  const b = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  if (b.length < 8 || b[0] !== RollupBlockVersion) {
    throw new RangeError(`decodeRollupBlock: unknown block version ${b[0]}`);
  }
  const tier = TierNames[b[1]];
  if (!tier) throw new RangeError(`decodeRollupBlock: unknown tier ${b[1]}`);
  const flags = b[2];
  const n = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(4, true);
  // Each bucket's sketch takes at least a byte: a larger n is corruption.
  if (n > b.length) throw new RangeError(`decodeRollupBlock: corrupt bucket count ${n}`);
  const c: ByteCursor = { bytes: b, pos: 8 };
  const cols = createColumns(tier, 0);
  for (const f of ColumnFields) cols[f] = decodeColumn(c, n);
  if (flags & 1) for (let i = 0; i < n; i++) cols.firstT[i] += cols.start[i];
  if (flags & 2) for (let i = 0; i < n; i++) cols.lastT[i] += cols.start[i];
  if (options.sketches === false) {
    // Queries without percentiles skip the sketches (most of a block's decode time); one
    // shared empty sketch stands in, which merging clones before it adds to it.
    const empty = new QuantileSketch();
    for (let i = 0; i < n; i++) cols.sketches.push(empty);
    return cols;
  }
  for (let i = 0; i < n; i++) cols.sketches.push(QuantileSketch.readFrom(c));
  return cols;
}
