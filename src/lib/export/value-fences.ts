import { createSketch, type QuantileSketch } from '../tsdb/sketch';
import type { Columnar } from '../types';
import { computeFences, suppressOutliers, type Fences, type PrivacyRemoval } from './privacy';

/**
 * Outlier suppression over the values of an export. The fences need the whole range first:
 * every slice of every output goes to `measure` in a first pass (a quantile sketch per
 * output key), then to `filter` in the second; the Tukey far-out fences are fixed at the
 * first `filter`. An output never measured is passed through untouched.
 *
 * Empty input: nothing removed, no removal line. Complexity O(points) per pass.
 * @example
 * const fences = createValueFences();
 * fences.measure('cpu', slice.v);          // every slice, first pass
 * write(fences.filter('cpu', slice));      // every slice, second pass
 * fences.removal();                         // { field: 'values', action: 'suppressed', … } or null
 */
export function createValueFences(): {
  measure(key: string, values: Float64Array): void;
  filter(key: string, c: Columnar): Columnar;
  /** Values left out so far. */
  removed(): number;
  /** The preview's line for the values left out, or null when none were. */
  removal(): PrivacyRemoval | null;
} {
  const sketches = new Map<string, QuantileSketch>();
  let fences: Map<string, Fences> | null = null;
  let removed = 0;
  return {
    measure(key, values) {
      let sk = sketches.get(key);
      if (!sk) sketches.set(key, (sk = createSketch()));
      for (const x of values) sk.add(x);
    },
    filter(key, c) {
      fences ??= new Map(
        [...sketches].map(([k, sk]) => [
          k,
          computeFences({ q1: sk.quantile(0.25), q3: sk.quantile(0.75) })
        ])
      );
      const f = fences.get(key);
      if (!f) return c;
      const r = suppressOutliers(c, f);
      removed += r.removed;
      return r;
    },
    removed: () => removed,
    removal: () =>
      removed === 0
        ? null
        : {
            field: 'values',
            action: 'suppressed',
            count: removed,
            detail: 'outlying values left out (Tukey far-out fences: Q1 − 3·IQR, Q3 + 3·IQR)'
          }
  };
}
