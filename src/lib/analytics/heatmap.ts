/**
 * A latency heatmap: time buckets across, latency buckets up, a count in every cell. Filled
 * either from single observations (event durations) or from a Prometheus histogram family's
 * per-step bucket increases (cumulative `le` counts, de-cumulated per time bucket). Pure.
 */

/**
 * Upper bounds (ms) of the latency rows for event durations: 1-2-5 steps from 1 ms to 5 min,
 * then the rest. Wide enough for model calls and web requests alike; empty rows are trimmed
 * when drawn.
 */
export const DurationBoundsMs: readonly number[] = [
  1,
  2,
  5,
  10,
  20,
  50,
  100,
  200,
  500,
  1_000,
  2_000,
  5_000,
  10_000,
  20_000,
  60_000,
  300_000,
  Infinity
];

export const HeatmapDefaults = {
  /** Time buckets across a widget. */
  columns: 48
};

export interface Heatmap {
  from: number;
  to: number;
  /** Width of a time bucket (ms): column x covers [from + x·stepMs, from + (x+1)·stepMs). */
  stepMs: number;
  columns: number;
  /** Upper bound of each row (ascending; the last may be Infinity). Row 0 is (−∞ or 0, bounds[0]]. */
  bounds: number[];
  /** Counts, row-major: counts[row * columns + column]. */
  counts: Float64Array;
  total: number;
  /** The largest cell (for the colour scale). */
  max: number;
}

/**
 * An empty heatmap over [from, to) with `columns` time buckets and `bounds` rows.
 * O(columns × rows). A range of zero or less still has one column of 1 ms.
 */
export function createHeatmap(options: {
  from: number;
  to: number;
  columns: number;
  bounds: readonly number[];
}): Heatmap {
  const columns = Math.max(1, Math.floor(options.columns));
  const stepMs = Math.max(1, Math.ceil((options.to - options.from) / columns));
  const bounds = [...options.bounds].sort((a, b) => a - b);
  return {
    from: options.from,
    to: options.from + stepMs * columns,
    stepMs,
    columns,
    bounds,
    counts: new Float64Array(columns * bounds.length),
    total: 0,
    max: 0
  };
}

/** The row a value falls in: the first bound at or above it; -1 when above every bound or NaN. O(log rows). */
export function heatmapRow(bounds: readonly number[], value: number): number {
  if (Number.isNaN(value)) return -1;
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (bounds[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo < bounds.length ? lo : -1;
}

function addCell(h: Heatmap, column: number, row: number, count: number): void {
  if (!(count > 0) || column < 0 || column >= h.columns || row < 0) return;
  const k = row * h.columns + column;
  h.counts[k] += count;
  h.total += count;
  if (h.counts[k] > h.max) h.max = h.counts[k];
}

/**
 * Adds observations (time `t[i]`, latency `v[i]`) in place; those outside [from, to), above
 * the last bound or NaN are left out. O(n log rows).
 * @example
 * const h = createHeatmap({ from: 0, to: 100, columns: 2, bounds: [10, Infinity] });
 * addObservations(h, [5, 60], [3, 40]); // counts: row 0 [1, 0], row 1 [0, 1]
 */
export function addObservations(h: Heatmap, t: ArrayLike<number>, v: ArrayLike<number>): void {
  for (let i = 0; i < t.length; i++) {
    if (!(t[i] >= h.from && t[i] < h.to)) continue;
    addCell(h, Math.floor((t[i] - h.from) / h.stepMs), heatmapRow(h.bounds, v[i]), 1);
  }
}

/**
 * Adds a histogram family: per bucket series (bound `le`), how many observations at or below
 * `le` each time bucket gained (`t[i]`, `v[i]`: the cumulative count's increase). At every
 * time the buckets are sorted by bound and de-cumulated (bucket i holds its count minus
 * bucket i−1's, never below 0, as a scrape racing an observation can leave a lower bucket
 * ahead); the heatmap's `bounds` must be the family's bounds. O(T · B log B).
 */
export function addHistogramIncreases(
  h: Heatmap,
  buckets: readonly { le: number; t: ArrayLike<number>; v: ArrayLike<number> }[]
): void {
  const byTime = new Map<number, { le: number; count: number }[]>();
  for (const b of buckets)
    for (let i = 0; i < b.t.length; i++) {
      if (!Number.isFinite(b.v[i])) continue;
      let list = byTime.get(b.t[i]);
      if (!list) byTime.set(b.t[i], (list = []));
      list.push({ le: b.le, count: b.v[i] });
    }
  for (const [t, list] of byTime) {
    if (!(t >= h.from && t < h.to)) continue;
    const column = Math.floor((t - h.from) / h.stepMs);
    list.sort((a, b) => a.le - b.le);
    let below = 0;
    for (const b of list) {
      const cumulative = Math.max(below, b.count);
      addCell(h, column, heatmapRow(h.bounds, b.le), cumulative - below);
      below = cumulative;
    }
  }
}

/** The rows from the first to the last holding a count ([lo, hi], inclusive), or null when all are empty. O(cells). */
export function heatmapUsedRows(h: Heatmap): [number, number] | null {
  let lo = -1;
  let hi = -1;
  for (let r = 0; r < h.bounds.length; r++) {
    let any = false;
    for (let c = 0; c < h.columns && !any; c++) any = h.counts[r * h.columns + c] > 0;
    if (any) {
      if (lo < 0) lo = r;
      hi = r;
    }
  }
  return lo < 0 ? null : [lo, hi];
}
