/**
 * Sets of series ids as sorted, inclusive ranges in one flat array `[lo0, hi0, lo1, hi1, …]`.
 * Change notices name the series a write touched this way: series ids are given out in
 * order (an auto-increment key), so the 10,000 series of an agent delivery are a few ranges
 * instead of 10,000 numbers cloned to every listener of every tab each second (issue 28).
 * And because ids only grow, "this write touched a series I have not seen" is one
 * comparison: `maxIdInRanges(ranges) > the largest id I know`.
 */
export type IdRanges = number[];

/**
 * Packs ids (any order, repeats allowed) into ranges. O(n log n); empty input gives [].
 * @example packIdRanges([5, 1, 2, 3, 9, 2]) // [1, 3, 5, 5, 9, 9]
 */
export function packIdRanges(ids: Iterable<number>): IdRanges {
  const sorted = Float64Array.from(ids).sort();
  const out: IdRanges = [];
  for (let k = 0; k < sorted.length; k++) {
    const id = sorted[k];
    const last = out.length - 1;
    if (last > 0 && id <= out[last] + 1) out[last] = Math.max(out[last], id);
    else out.push(id, id);
  }
  return out;
}

/** Whether `id` is in `ranges`, by binary search: O(log ranges). */
export function idRangesHas(ranges: IdRanges, id: number): boolean {
  let lo = 0;
  let hi = ranges.length / 2;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[2 * mid + 1] < id) lo = mid + 1;
    else hi = mid;
  }
  return lo < ranges.length / 2 && ranges[2 * lo] <= id;
}

/** The largest id in `ranges`, or -Infinity when empty. O(1). */
export function maxIdInRanges(ranges: IdRanges): number {
  return ranges.length ? ranges[ranges.length - 1] : -Infinity;
}

/** Every id in `ranges`, ascending (for small sets; a range of n ids gives n numbers). */
export function unpackIdRanges(ranges: IdRanges): number[] {
  const out: number[] = [];
  for (let k = 0; k < ranges.length; k += 2)
    for (let id = ranges[k]; id <= ranges[k + 1]; id++) out.push(id);
  return out;
}
