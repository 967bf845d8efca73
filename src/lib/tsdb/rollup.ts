/**
 * Rolling up: raw points into bucket partials of one tier, and finer partials into coarser
 * tiers (never averaging averages; see partial.ts for the partial and its merge).
 */
import { TierNames, type TierName } from '$lib/types';
import { createBucketer, MinBucketMs } from './calendar';
import {
  countBuckets,
  createColumns,
  getPartial,
  setPartial,
  trimColumns,
  type RollupColumns
} from './columns';
import { mergePartialInto } from './partial';
import { QuantileSketch } from './sketch';

/** Which tier each tier is rolled up from: weeks do not nest in months, so 1M comes from 1d. */
export const RollupSource: Record<TierName, TierName | 'raw'> = {
  '1s': 'raw',
  '10s': '1s',
  '1m': '10s',
  '5m': '1m',
  '15m': '5m',
  '1h': '15m',
  '1d': '1h',
  '1w': '1d',
  '1M': '1d'
};

/** Stable ascending order of t (NaN last), or null when already sorted. */
function sortOrder(t: Float64Array): Uint32Array | null {
  let sorted = true;
  for (let i = 1; i < t.length; i++) {
    if (!(t[i] >= t[i - 1])) {
      sorted = false;
      break;
    }
  }
  if (sorted) return null;
  const idx = Uint32Array.from(t, (_, i) => i);
  const key = (x: number) => (Number.isNaN(x) ? Infinity : x);
  return Uint32Array.from(Array.from(idx).sort((a, b) => key(t[a]) - key(t[b]) || a - b || 0));
}

/**
 * Rolls raw points up into partials of one tier. Points need not be sorted (they are
 * visited in stable time order); points with a non-finite t or a NaN value are skipped;
 * buckets with no counted point are not emitted.
 * Empty input → zero buckets. O(n) for sorted input (O(n log n) otherwise); calendar
 * boundaries are computed once per bucket, not per point.
 *
 * @example
 * const r = rollupPoints({ t: new Float64Array([0, 500, 1500]), v: new Float64Array([1, 3, 5]),
 *   tier: '1s', timeZone: 'UTC' });
 * Array.from(r.start); // [0, 1000]
 * Array.from(r.sum); // [4, 5]
 */
export function rollupPoints(input: {
  t: Float64Array;
  v: Float64Array;
  tier: TierName;
  timeZone: string;
}): RollupColumns {
  const { t, v, tier, timeZone } = input;
  const n = t.length;
  const order = sortOrder(t);
  let capacity = n;
  if (n > 0 && order === null && Number.isFinite(t[n - 1] - t[0])) {
    capacity = Math.min(n, Math.ceil((t[n - 1] - t[0]) / MinBucketMs[tier]) + 2);
  }
  const cols = createColumns(tier, capacity);
  const sketches = cols.sketches;
  const bucketer = createBucketer({ tier, timeZone });
  let len = 0;
  let curStart = NaN;
  let curEnd = NaN;
  let count = 0;
  let sum = 0;
  let mean = 0;
  let m2 = 0;
  let min = Infinity;
  let max = -Infinity;
  let first = NaN;
  let firstT = NaN;
  let last = NaN;
  let lastT = NaN;
  let sketch: QuantileSketch | null = null;
  const { start: S, count: C, sum: SU, min: MI, max: MA, sumSq: M2 } = cols;
  const { first: F, firstT: FT, last: L, lastT: LT } = cols;
  const flush = () => {
    if (count === 0) return;
    S[len] = curStart;
    C[len] = count;
    SU[len] = sum;
    MI[len] = min;
    MA[len] = max;
    M2[len] = m2;
    F[len] = first;
    FT[len] = firstT;
    L[len] = last;
    LT[len] = lastT;
    sketches.push(sketch!);
    len++;
  };
  for (let k = 0; k < n; k++) {
    const i = order === null ? k : order[k];
    const x = v[i];
    const ti = t[i];
    if (x !== x || !Number.isFinite(ti)) continue;
    if (!(ti >= curStart && ti < curEnd)) {
      flush();
      curStart = bucketer.start(ti);
      curEnd = bucketer.next(ti);
      count = 0;
      sum = 0;
      mean = 0;
      m2 = 0;
      min = Infinity;
      max = -Infinity;
      first = x;
      firstT = ti;
      sketch = new QuantileSketch();
    }
    count++;
    sum += x;
    const delta = x - mean;
    mean += delta / count;
    m2 += delta * (x - mean);
    if (x < min) min = x;
    if (x > max) max = x;
    last = x;
    lastT = ti;
    sketch!.add(x);
  }
  flush();
  cols.sketches = sketches;
  return trimColumns(cols, len);
}

/**
 * Merges a run of finer buckets (ascending start) into buckets of a coarser tier. Each
 * finer bucket must nest in one coarser bucket: see RollupSource (1w → 1M is refused).
 * Empty input → zero buckets. O(buckets · sketch bins).
 *
 * @example
 * const minutes = rollupPartials({ columns: seconds, tier: '1m', timeZone: 'UTC' });
 */
export function rollupPartials(input: {
  columns: RollupColumns;
  tier: TierName;
  timeZone: string;
}): RollupColumns {
  const { columns: src, tier, timeZone } = input;
  const fromRank = TierNames.indexOf(src.tier);
  const toRank = TierNames.indexOf(tier);
  if (toRank < fromRank || (src.tier === '1w' && tier === '1M')) {
    throw new RangeError(`rollupPartials: ${src.tier} buckets do not nest in ${tier}`);
  }
  const n = countBuckets(src);
  const out = createColumns(tier, n);
  const bucketer = createBucketer({ tier, timeZone });
  let len = -1;
  let curEnd = NaN;
  for (let i = 0; i < n; i++) {
    const s = src.start[i];
    if (src.count[i] === 0) continue;
    if (len >= 0 && s >= out.start[len] && s < curEnd) {
      const target = getPartial(out, len);
      mergePartialInto(target, getPartial(src, i));
      setPartial(out, len, target);
      continue;
    }
    len++;
    out.start[len] = bucketer.start(s);
    curEnd = bucketer.next(s);
    const p = getPartial(src, i);
    setPartial(out, len, { ...p, sketch: p.sketch.clone() });
  }
  return trimColumns(out, len + 1);
}
