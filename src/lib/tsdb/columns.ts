/**
 * Runs of rollup buckets (RollupColumns): one typed array per partial field, the one list
 * of those fields, reading and writing one bucket's partial, aggregate columns, slicing and
 * splicing for the store's block reads and writes, and a transferable packed form for query
 * results. Columns are never mutated by slice/concat/splice/merge: they return new arrays.
 */
import type { Aggregate, PackedColumns, TierName } from '$lib/types';
import { ByteSink, type ByteCursor } from './codec/bits';
import { Aggregators, mergePartialInto, type BucketPartial } from './partial';
import { QuantileSketch } from './sketch';

/**
 * A run of buckets of one series and tier, one array per field, ascending `start`: the
 * packed form's fields with the sketches as objects.
 */
export type RollupColumns = Omit<PackedColumns, 'sketches'> & { sketches: QuantileSketch[] };

/** The numeric fields of a run of buckets: the one list (block codec, slicing, packing). */
export const ColumnFields = [
  'start',
  'count',
  'sum',
  'min',
  'max',
  'sumSq',
  'first',
  'firstT',
  'last',
  'lastT'
] as const;
export type ColumnField = (typeof ColumnFields)[number];

/** A run of `capacity` zeroed buckets (no sketches yet); capacity 0 is an empty run. */
export function createColumns(tier: TierName, capacity: number): RollupColumns {
  const cols = { tier, sketches: [] as QuantileSketch[] } as unknown as RollupColumns;
  for (const f of ColumnFields) cols[f] = new Float64Array(capacity);
  return cols;
}

/** A run of zero buckets. */
export function createEmptyColumns(tier: TierName): RollupColumns {
  return createColumns(tier, 0);
}

/** Cuts every numeric column to its first `length` buckets (in place; returns `cols`). */
export function trimColumns(cols: RollupColumns, length: number): RollupColumns {
  if (cols.start.length === length) return cols;
  for (const f of ColumnFields) cols[f] = cols[f].slice(0, length);
  return cols;
}

/**
 * Number of buckets in `cols` (0 for an empty run). O(1).
 *
 * @example
 * countBuckets(rollupPoints({ t, v, tier: '1m', timeZone: 'UTC' })); // e.g. 60
 */
export function countBuckets(cols: RollupColumns): number {
  return cols.start.length;
}

/**
 * The partial of bucket i as an object (the sketch is shared, not copied). O(1).
 *
 * @example
 * getPartial(rollupPoints({ t, v, tier: '1m', timeZone: 'UTC' }), 0).max;
 */
export function getPartial(cols: RollupColumns, i: number): BucketPartial & { start: number } {
  return {
    start: cols.start[i],
    count: cols.count[i],
    sum: cols.sum[i],
    min: cols.min[i],
    max: cols.max[i],
    sumSq: cols.sumSq[i],
    first: cols.first[i],
    firstT: cols.firstT[i],
    last: cols.last[i],
    lastT: cols.lastT[i],
    sketch: cols.sketches[i]
  };
}

/** Writes partial `p` into bucket i (not its start; the sketch is stored, not copied). */
export function setPartial(cols: RollupColumns, i: number, p: BucketPartial): void {
  cols.count[i] = p.count;
  cols.sum[i] = p.sum;
  cols.min[i] = p.min;
  cols.max[i] = p.max;
  cols.sumSq[i] = p.sumSq;
  cols.first[i] = p.first;
  cols.firstT[i] = p.firstT;
  cols.last[i] = p.last;
  cols.lastT[i] = p.lastT;
  cols.sketches[i] = p.sketch;
}

/**
 * Aggregate columns for many buckets at once (what a QueryResult carries).
 * Zero buckets → empty arrays. O(buckets · aggregates).
 *
 * @example
 * aggregateColumns(cols, ['avg', 'p99']).avg; // Float64Array, one value per bucket
 */
export function aggregateColumns(
  cols: RollupColumns,
  aggregates: Aggregate[]
): Partial<Record<Aggregate, Float64Array>> {
  const n = countBuckets(cols);
  const out: Partial<Record<Aggregate, Float64Array>> = {};
  for (const a of aggregates) {
    const col = new Float64Array(n);
    const f = Aggregators[a];
    for (let i = 0; i < n; i++) col[i] = f(getPartial(cols, i));
    out[a] = col;
  }
  return out;
}

/**
 * The transferable form of a run: its numeric columns (shared, not copied) and the sketches
 * serialised back to back into one byte array. O(buckets · sketch bins).
 *
 * @example
 * const packed = packColumns(cols); // postMessage(packed, packedBuffers(packed))
 */
export function packColumns(cols: RollupColumns): PackedColumns {
  const n = countBuckets(cols);
  const sink = new ByteSink(16 + n * 8);
  for (let i = 0; i < n; i++) cols.sketches[i].writeTo(sink);
  const out = { tier: cols.tier, sketches: sink.finish() } as PackedColumns;
  for (const f of ColumnFields) out[f] = cols[f];
  return out;
}

/**
 * Inverse of packColumns (the numeric columns are shared, not copied). O(bytes).
 *
 * @example
 * unpackColumns(packColumns(cols)).sketches[0].quantile(0.95);
 */
export function unpackColumns(packed: PackedColumns): RollupColumns {
  const cols = createColumns(packed.tier, 0);
  for (const f of ColumnFields) cols[f] = packed[f];
  const bytes = packed.sketches.byteOffset % 4 === 0 ? packed.sketches : packed.sketches.slice();
  const c: ByteCursor = { bytes, pos: 0 };
  for (let i = 0; i < countBuckets(cols); i++) cols.sketches.push(QuantileSketch.readFrom(c));
  return cols;
}

/** The buffers of a packed run, for a transfer list. */
export function packedBuffers(packed: PackedColumns): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>([packed.sketches.buffer as ArrayBuffer]);
  for (const f of ColumnFields) out.add(packed[f].buffer as ArrayBuffer);
  return [...out];
}

/** Buckets i in [lo, hi). O(hi − lo). */
export function sliceColumns(cols: RollupColumns, lo: number, hi: number): RollupColumns {
  const out = createEmptyColumns(cols.tier);
  for (const f of ColumnFields) out[f] = cols[f].slice(lo, hi);
  out.sketches = cols.sketches.slice(lo, hi);
  return out;
}

/** Concatenates runs in the order given (callers pass ascending, non-overlapping runs). */
export function concatColumns(tier: TierName, runs: RollupColumns[]): RollupColumns {
  const out = createEmptyColumns(tier);
  let n = 0;
  for (const r of runs) n += countBuckets(r);
  for (const f of ColumnFields) {
    const col = new Float64Array(n);
    let o = 0;
    for (const r of runs) {
      col.set(r[f], o);
      o += r[f].length;
    }
    out[f] = col;
  }
  out.sketches = runs.flatMap((r) => r.sketches);
  return out;
}

/** Index of the first bucket whose start is ≥ t (binary search). */
export function lowerBound(cols: RollupColumns, t: number): number {
  let lo = 0;
  let hi = countBuckets(cols);
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cols.start[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Replaces every bucket of `base` whose start lies in [from, to] by the buckets of
 * `replacement` (which must lie in that range), keeping the rest. Idempotent: splicing the
 * same replacement twice gives the same run. O(n).
 */
export function spliceColumns(options: {
  base: RollupColumns;
  replacement: RollupColumns;
  from: number;
  to: number;
}): RollupColumns {
  const { base, replacement, from, to } = options;
  const lo = lowerBound(base, from);
  let end = lo;
  while (end < countBuckets(base) && base.start[end] <= to) end++;
  return concatColumns(base.tier, [
    sliceColumns(base, 0, lo),
    replacement,
    sliceColumns(base, end, countBuckets(base))
  ]);
}

/**
 * Adds the partials of `extra` into `base` bucket by bucket (same start → merged; new
 * start → inserted in order). For points that were never counted before (late arrivals).
 * O(n + m).
 */
export function mergeColumns(base: RollupColumns, extra: RollupColumns): RollupColumns {
  let i = 0;
  const nb = countBuckets(base);
  const out = createEmptyColumns(base.tier);
  const starts: number[] = [];
  const parts: ReturnType<typeof getPartial>[] = [];
  let j = 0;
  const ne = countBuckets(extra);
  while (i < nb || j < ne) {
    if (j >= ne || (i < nb && base.start[i] < extra.start[j])) {
      parts.push(getPartial(base, i));
      starts.push(base.start[i++]);
    } else if (i >= nb || extra.start[j] < base.start[i]) {
      const p = getPartial(extra, j++);
      parts.push({ ...p, sketch: p.sketch.clone() });
      starts.push(p.start);
    } else {
      const p = getPartial(base, i++);
      const target = { ...p, sketch: p.sketch.clone() };
      mergePartialInto(target, getPartial(extra, j++));
      parts.push(target);
      starts.push(p.start);
    }
  }
  const n = parts.length;
  for (const f of ColumnFields) out[f] = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    out.start[k] = starts[k];
    setPartial(out, k, parts[k]);
  }
  return out;
}
