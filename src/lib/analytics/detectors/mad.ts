import {
  computeCleanSpread,
  computeDeviation,
  computeTwoSidedScore,
  type OnlineDetector
} from './common';
import {
  createQuantileState,
  updateQuantiles,
  type StreamingQuantileState
} from './streaming-quantile';

/**
 * Robust z = 0.6745·|x − median| / MAD (Iglewicz & Hoaglin), firing at 3.5.
 * 0.6745 makes MAD a consistent σ estimate for normal data.
 */
export const MadDefaults = {
  sigmas: 3.5,
  consistency: 0.6745,
  meanAdConsistency: 1.253314
} as const;

/** Score at which the MAD detector fires: P(|Z| < 3.5). */
export const MAD_THRESHOLD = computeTwoSidedScore(MadDefaults.sigmas);

export interface MadState {
  median: StreamingQuantileState;
  deviation: StreamingQuantileState;
  z: number;
  /**
   * With the fallback on: the running mean of |x − median| and how many points it holds.
   * When MAD is 0 (more than half the values so far are equal) the modified z-score uses
   * σ = 1.253314 · MeanAD instead (the rule IBM SPSS documents), so a mostly-constant series
   * does not fire on every other value. The streaming MAD is never exactly 0 on tied data
   * (the stochastic tracker jitters just above it), so the larger of the two σ estimates is
   * used: on normal data they agree, on tied data MeanAD's wins. Absent: no fallback.
   */
  meanAd?: { sum: number; n: number };
}

/**
 * Robust median/MAD detector: a streaming median of the values and a streaming median of
 * |x − median| (both O(1), see streaming-quantile.ts). Score = P(|Z| < robust z). Zero MAD
 * (flat history) scores any different value 1; non-finite values score 0 and are not learned;
 * warm-up points score 0. O(1) per point and memory.
 * @example
 * const d = createMadDetector();
 * for (let i = 0; i < 60; i++) d.push(i, i % 3);
 * d.push(60, 50); // ≈ 1
 */
export function createMadDetector(
  options: { state?: MadState; meanAdFallback?: boolean } = {}
): OnlineDetector<MadState> & { band(): { low: number; high: number } | undefined } {
  const median = options.state
    ? structuredClone(options.state.median)
    : createQuantileState({ probs: [0.5] });
  const deviation = options.state
    ? structuredClone(options.state.deviation)
    : createQuantileState({ probs: [0.5] });
  let z = options.state?.z ?? 0;
  const meanAd = options.state
    ? options.state.meanAd && { ...options.state.meanAd }
    : options.meanAdFallback
      ? { sum: 0, n: 0 }
      : undefined;
  // The median and MAD the last point was judged against (not persisted: explanation only).
  let judged: { median: number; mad: number } | undefined;
  const detector = {
    name: 'mad' as const,
    push(t: number, v: number): number {
      return computeTwoSidedScore(detector.observe(t, v));
    },
    observe(_t: number, v: number): number {
      z = 0;
      judged = undefined;
      if (!Number.isFinite(v)) return 0;
      if (median.ready && deviation.ready) {
        const m = median.q[0];
        let mad = computeCleanSpread(deviation.q[0], m);
        if (meanAd && meanAd.n > 0) {
          // In MAD units: σ = 1.253314 · MeanAD, i.e. MAD-equivalent σ · 0.6745.
          const fallback = MadDefaults.meanAdConsistency * (meanAd.sum / meanAd.n);
          mad = Math.max(mad, computeCleanSpread(fallback, m) * MadDefaults.consistency);
        }
        judged = { median: m, mad };
        z = MadDefaults.consistency * computeDeviation({ v, centre: m, spread: mad });
      }
      if (median.ready) {
        updateQuantiles(deviation, Math.abs(v - median.q[0]));
        if (meanAd) {
          meanAd.sum += Math.abs(v - median.q[0]);
          meanAd.n++;
        }
      }
      updateQuantiles(median, v);
      return z;
    },
    evidence: () => z,
    /** Where the last point would not have fired: median ± 3.5 σ (σ = MAD / 0.6745). */
    band(): { low: number; high: number } | undefined {
      if (!judged) return undefined;
      const half = (MadDefaults.sigmas * judged.mad) / MadDefaults.consistency;
      return { low: judged.median - half, high: judged.median + half };
    },
    state: () => ({
      median: structuredClone(median),
      deviation: structuredClone(deviation),
      z,
      ...(meanAd ? { meanAd: { ...meanAd } } : {})
    })
  };
  return detector;
}
