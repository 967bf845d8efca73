/**
 * Slicing and splicing runs of rollup buckets (RollupColumns), for the store's block
 * reads and writes. Columns are never mutated: every function returns new arrays.
 */
import type { TierName } from '$lib/types';
import { countBuckets, getPartial, mergePartialInto, type RollupColumns } from './rollup';

const Fields = [
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

/** A run of zero buckets. */
export function createEmptyColumns(tier: TierName): RollupColumns {
  const e = () => new Float64Array(0);
  return {
    tier,
    start: e(),
    count: e(),
    sum: e(),
    min: e(),
    max: e(),
    sumSq: e(),
    first: e(),
    firstT: e(),
    last: e(),
    lastT: e(),
    sketches: []
  };
}

/** Buckets i in [lo, hi). O(hi − lo). */
export function sliceColumns(cols: RollupColumns, lo: number, hi: number): RollupColumns {
  const out = createEmptyColumns(cols.tier);
  for (const f of Fields) out[f] = cols[f].slice(lo, hi);
  out.sketches = cols.sketches.slice(lo, hi);
  return out;
}

/** Concatenates runs in the order given (callers pass ascending, non-overlapping runs). */
export function concatColumns(tier: TierName, runs: RollupColumns[]): RollupColumns {
  const out = createEmptyColumns(tier);
  let n = 0;
  for (const r of runs) n += countBuckets(r);
  for (const f of Fields) {
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
  for (const f of Fields) out[f] = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const p = parts[k];
    out.start[k] = starts[k];
    out.count[k] = p.count;
    out.sum[k] = p.sum;
    out.min[k] = p.min;
    out.max[k] = p.max;
    out.sumSq[k] = p.sumSq;
    out.first[k] = p.first;
    out.firstT[k] = p.firstT;
    out.last[k] = p.last;
    out.lastT[k] = p.lastT;
  }
  out.sketches = parts.map((p) => p.sketch);
  return out;
}
