import type { PointBatch } from '../types';

/** Key of a series for merging: name and labels in sorted order. */
function keyOf(b: PointBatch): string {
  const labels = Object.keys(b.series.labels)
    .sort()
    .map((k) => [k, b.series.labels[k]]);
  return JSON.stringify([b.series.name, labels]);
}

/**
 * Concatenates batches of the same series (first descriptor wins), keeping first-seen order
 * of series and input order of points.
 *
 * Empty input: []. Complexity O(points).
 * @example
 * mergeBatches([a1, b, a2]) // [a1+a2, b]
 */
export function mergeBatches(batches: PointBatch[]): PointBatch[] {
  const groups = new Map<string, PointBatch[]>();
  for (const b of batches) {
    const k = keyOf(b);
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [b]);
    else g.push(b);
  }
  const out: PointBatch[] = [];
  for (const g of groups.values()) {
    if (g.length === 1) {
      out.push(g[0]);
      continue;
    }
    const n = g.reduce((s, b) => s + b.t.length, 0);
    const t = new Float64Array(n);
    const v = new Float64Array(n);
    let o = 0;
    for (const b of g) {
      t.set(b.t, o);
      v.set(b.v, o);
      o += b.t.length;
    }
    out.push({ series: g[0].series, t, v });
  }
  return out;
}
