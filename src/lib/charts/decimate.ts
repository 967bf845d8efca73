/**
 * Min/max ("M4"-style) decimation from typed arrays into a reused pool of `{x, y}` objects.
 *
 * Chart.js with `parsing: false` wants `{x, y}` objects in chart order; building a million
 * of them costs 300–600 ms (issue 8). Decimating straight from the columnar arrays to at
 * most two points per pixel column keeps the visual envelope (every spike survives, unlike
 * averaging) and hands Chart.js a few thousand objects that are recycled between frames.
 */

/** One point as Chart.js reads it with parsing off. */
export interface ChartPoint {
  x: number;
  y: number;
}

/** Where decimation writes its points. */
export interface PointSink {
  set(i: number, x: number, y: number): void;
}

/** A growable pool of point objects: `take(n)` returns the first n, reusing old objects. */
export class PointPool implements PointSink {
  readonly points: ChartPoint[] = [];

  /** Writes point `i` (growing the pool when needed). */
  set(i: number, x: number, y: number): void {
    const p = this.points[i];
    if (p) {
      p.x = x;
      p.y = y;
    } else this.points[i] = { x, y };
  }

  /** Truncates the visible array to `n` points (the objects beyond stay for reuse). */
  view(n: number, out: ChartPoint[]): ChartPoint[] {
    out.length = n;
    for (let i = 0; i < n; i++) out[i] = this.points[i];
    return out;
  }
}

export interface DecimateOptions {
  t: Float64Array;
  v: Float64Array;
  /** Number of columns (usually the chart's width in CSS pixels). */
  buckets: number;
  /** Range to cover; defaults to the data's own. Points outside are skipped. */
  from?: number;
  to?: number;
  /** Two consecutive points further apart than this are not joined (a NaN is inserted). */
  gapMs?: number;
}

/** Index of the first element ≥ x in an ascending array (binary search, O(log n)). */
export function findFirstAtOrAfter(t: Float64Array, x: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Decimates sorted columnar points to at most two points (min and max, in time order) per
 * column of `(to - from) / buckets` ms, writing into `pool`; returns how many were written.
 * A NaN value is kept as a gap (Chart.js `spanGaps: false` breaks the line there).
 * When there are no more points than 2 × buckets, every point is kept as is.
 *
 * Empty input → 0. O(points in range).
 * @example decimateMinMax(pool, { t, v, buckets: 600 }) // ≤ 1200 points in pool.points
 */
export function decimateMinMax(pool: PointSink, options: DecimateOptions): number {
  const { t, v } = options;
  const n = t.length;
  if (n === 0) return 0;
  const from = options.from ?? t[0];
  const to = options.to ?? t[n - 1];
  const gapMs = options.gapMs ?? Infinity;
  const start = findFirstAtOrAfter(t, from);
  let end = findFirstAtOrAfter(t, to);
  while (end < n && t[end] <= to) end++;
  const buckets = Math.max(1, Math.floor(options.buckets));
  let out = 0;
  let lastX = NaN;
  const emit = (x: number, y: number) => {
    if (x - lastX > gapMs) pool.set(out++, (x + lastX) / 2, NaN);
    pool.set(out++, x, y);
    lastX = x;
  };
  if (end - start <= 2 * buckets) {
    for (let i = start; i < end; i++) emit(t[i], v[i]);
    return out;
  }
  const width = Math.max(1e-9, (to - from) / buckets);
  let i = start;
  while (i < end) {
    const column = Math.floor((t[i] - from) / width);
    const columnEnd = from + (column + 1) * width;
    let minI = -1;
    let maxI = -1;
    let gap = -1;
    for (; i < end && t[i] < columnEnd; i++) {
      const y = v[i];
      if (Number.isNaN(y)) {
        if (gap < 0) gap = i;
        continue;
      }
      if (minI < 0 || y < v[minI]) minI = i;
      if (maxI < 0 || y > v[maxI]) maxI = i;
    }
    if (minI < 0) {
      if (gap >= 0) emit(t[gap], NaN);
      continue;
    }
    const first = Math.min(minI, maxI);
    const second = Math.max(minI, maxI);
    // The gap goes where it happened, so the line breaks at the right place.
    if (gap >= 0 && gap < first) emit(t[gap], NaN);
    emit(t[first], v[first]);
    if (gap > first && gap < second) emit(t[gap], NaN);
    if (second !== first) emit(t[second], v[second]);
    if (gap > second) emit(t[gap], NaN);
  }
  return out;
}
