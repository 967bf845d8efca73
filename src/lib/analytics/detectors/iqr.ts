import { computeCleanSpread, type OnlineDetector } from './common';
import {
  createQuantileState,
  updateQuantiles,
  type StreamingQuantileState
} from './streaming-quantile';

/** Tukey fences at k·IQR beyond the quartiles; k = 1.5 is Tukey's "outlier". */
export const IqrDefaults = { k: 1.5 } as const;

/** Score at a fence: score = d / (1 + d) with d = 1 exactly on the fence. */
export const IQR_THRESHOLD = 0.5;

/** A normal's Tukey fence sits at 0.6745 + 1.5·1.349 ≈ 2.698 σ; used to express d as a z. */
const FENCE_SIGMAS = 2.698;

export interface IqrState {
  k: number;
  quantiles: StreamingQuantileState;
  d: number;
}

/**
 * IQR-fence detector over streaming quartiles (q25, q50, q75; see streaming-quantile.ts).
 * d = distance from the median relative to the distance from the median to the fence on
 * that side; score = d / (1 + d), so 0.5 on a fence and → 1 far beyond it. A flat history
 * scores any different value 1. Non-finite values score 0 and are not learned; the first
 * warm-up points score 0. O(1) per point and memory.
 * @example
 * const d = createIqrDetector();
 * for (let i = 0; i < 40; i++) d.push(i, i % 4);
 * d.push(40, 100); // > 0.9
 */
export function createIqrDetector(
  options: { k?: number; state?: IqrState } = {}
): OnlineDetector<IqrState> {
  const k = options.state?.k ?? options.k ?? IqrDefaults.k;
  const quantiles: StreamingQuantileState = options.state
    ? structuredClone(options.state.quantiles)
    : createQuantileState({ probs: [0.25, 0.5, 0.75] });
  let d = options.state?.d ?? 0;
  const detector = {
    name: 'iqr' as const,
    push(t: number, v: number): number {
      detector.observe(t, v);
      return d === Infinity ? 1 : d / (1 + d);
    },
    observe(_t: number, v: number): number {
      d = 0;
      if (!Number.isFinite(v)) return 0;
      if (quantiles.ready) {
        const [q1, q2, q3] = quantiles.q;
        const iqr = computeCleanSpread(q3 - q1, q2);
        const fence = v >= q2 ? q3 + k * iqr : q1 - k * iqr;
        const reach = Math.abs(fence - q2);
        const dist = Math.abs(v - q2);
        d = reach > 0 ? dist / reach : dist === 0 ? 0 : Infinity;
      }
      updateQuantiles(quantiles, v);
      return d * FENCE_SIGMAS;
    },
    evidence: () => d * FENCE_SIGMAS,
    state: () => ({ k, quantiles: structuredClone(quantiles), d })
  };
  return detector;
}
