/**
 * What every online detector shares: one signature (push a point, get a score in [0, 1]),
 * a serialisable state to persist and resume from, and the normal-tail helpers that turn
 * a z-like statistic into a score.
 */

export type DetectorName =
  | 'zscore'
  | 'iqr'
  | 'mad'
  | 'ewma'
  | 'seasonal'
  | 'ensemble'
  | 'artime'
  | 'cadose'
  | 'artime-warmup';

/**
 * An online detector. `push` scores point (t, v) from the points pushed before it and then
 * learns it; `evidence` is the last point's unsigned z-like statistic (0 when it had none),
 * which the ensemble reads; `state` is plain JSON-safe data that `create*Detector` accepts back.
 */
export interface OnlineDetector<S = unknown> {
  readonly name: DetectorName;
  push(t: number, v: number): number;
  /** Like `push` but returns the evidence instead of the score (skips the score mapping). */
  observe(t: number, v: number): number;
  evidence(): number;
  state(): S;
}

/**
 * Upper tail of the standard normal, Q(z) = P(Z > z), via the Chebyshev fit of erfc
 * (Numerical Recipes `erfcc`, relative error < 1.2e-7). O(1); NaN gives NaN.
 * @example computeNormalTail(0) // 0.5
 */
export function computeNormalTail(z: number): number {
  const x = z / Math.SQRT2;
  const a = Math.abs(x);
  const k = 1 / (1 + 0.5 * a);
  const erfcA =
    k *
    Math.exp(
      -a * a -
        1.26551223 +
        k *
          (1.00002368 +
            k *
              (0.37409196 +
                k *
                  (0.09678418 +
                    k *
                      (-0.18628806 +
                        k *
                          (0.27886807 +
                            k *
                              (-1.13520398 +
                                k * (1.48851587 + k * (-0.82215223 + k * 0.17087277))))))))
    );
  return 0.5 * (x >= 0 ? erfcA : 2 - erfcA);
}

/**
 * Two-sided score of a z statistic: P(|Z| < |z|) = 1 − 2Q(|z|), in [0, 1].
 * O(1); ±Infinity gives 1, NaN gives 0.
 * @example computeTwoSidedScore(2) // ≈ 0.9545
 */
export function computeTwoSidedScore(z: number): number {
  if (Number.isNaN(z)) return 0;
  const a = Math.abs(z);
  if (a === Infinity) return 1;
  return Math.min(1, Math.max(0, 1 - 2 * computeNormalTail(a)));
}

/**
 * |v − centre| / spread, where a zero spread means "flat so far": equal values are not
 * surprising (0) and any other value is infinitely so. O(1).
 * @example computeDeviation({ v: 3, centre: 1, spread: 1 }) // 2
 */
export function computeDeviation(options: { v: number; centre: number; spread: number }): number {
  const d = Math.abs(options.v - options.centre);
  if (options.spread > 0) return d / options.spread;
  return d === 0 ? 0 : Infinity;
}

/** Relative tolerance under which a spread counts as zero (flat line, float noise). */
export const FLAT_EPSILON = 1e-12;

/**
 * A spread with float dust removed: tiny compared to the level means exactly flat, so a
 * constant series stays "flat" despite rounding in running sums. O(1); NaN gives 0.
 * @example computeCleanSpread(1e-20, 5) // 0
 */
export function computeCleanSpread(spread: number, level: number): number {
  return spread > FLAT_EPSILON * (1 + Math.abs(level)) ? spread : 0;
}
