/**
 * Streaming quantiles in O(1) per point and O(1) memory after a short exact warm-up:
 * stochastic approximation q ← q + step·(τ − [x < q]), the "frugal" estimator, with a step
 * proportional to the data's own spread so it works at any scale and follows drift.
 * Used by the IQR and MAD detectors, which need quartiles/medians of an unbounded stream.
 */

/** Warm-up length (exact quantiles by sorting once) and the adaptation rate per point. */
export const StreamingQuantileDefaults = { warmup: 16, rate: 0.05 } as const;

/** Deviations beyond this many current scales count as this many when learning the scale. */
const DEVIATION_CLIP = 4;

export interface StreamingQuantileState {
  probs: number[];
  warmup: number;
  rate: number;
  buffer: number[];
  q: number[];
  absDev: number;
  ready: boolean;
}

/**
 * A fresh tracker for the given probabilities (ascending). O(probs) memory.
 * @example createQuantileState({ probs: [0.25, 0.5, 0.75] }).ready // false
 */
export function createQuantileState(options: {
  probs: number[];
  warmup?: number;
  rate?: number;
}): StreamingQuantileState {
  return {
    probs: options.probs.slice(),
    warmup: options.warmup ?? StreamingQuantileDefaults.warmup,
    rate: options.rate ?? StreamingQuantileDefaults.rate,
    buffer: [],
    q: options.probs.map(() => 0),
    absDev: 0,
    ready: false
  };
}

/**
 * Learns x (finite values only; callers filter). During warm-up values are buffered and the
 * quantiles set exactly (nearest-rank with linear interpolation) when the buffer fills;
 * afterwards each quantile moves by rate·scale·(τ − [x < q]), scale = max(spread between the
 * outer quantiles, mean absolute deviation from the middle one), so a flat stream that starts
 * moving still adapts. Mutates and returns `s`. O(1) amortised (one sort of `warmup` values).
 * @example updateQuantiles(createQuantileState({ probs: [0.5] }), 3)
 */
export function updateQuantiles(s: StreamingQuantileState, x: number): StreamingQuantileState {
  if (!s.ready) {
    s.buffer.push(x);
    if (s.buffer.length >= s.warmup) {
      const sorted = s.buffer.slice().sort((a, b) => a - b);
      for (let j = 0; j < s.probs.length; j++) s.q[j] = interpolateSorted(sorted, s.probs[j]);
      const mid = s.q[s.q.length >> 1];
      s.absDev = sorted.reduce((acc, y) => acc + Math.abs(y - mid), 0) / sorted.length;
      s.buffer = [];
      s.ready = true;
    }
    return s;
  }
  const mid = s.q[s.q.length >> 1];
  const before = Math.max(s.q[s.q.length - 1] - s.q[0], s.absDev);
  // Clip the deviation so one huge outlier cannot inflate the step (and drag the quantiles);
  // a flat history (scale 0) is not clipped, so it can still start to move.
  const dev = Math.abs(x - mid);
  s.absDev += s.rate * ((before > 0 ? Math.min(dev, DEVIATION_CLIP * before) : dev) - s.absDev);
  const scale = Math.max(s.q[s.q.length - 1] - s.q[0], s.absDev);
  const step = s.rate * scale;
  for (let j = 0; j < s.q.length; j++) s.q[j] += step * (s.probs[j] - (x < s.q[j] ? 1 : 0));
  // Keep the estimates ordered; independent steps can cross by a hair.
  for (let j = 1; j < s.q.length; j++) if (s.q[j] < s.q[j - 1]) s.q[j] = s.q[j - 1];
  return s;
}

/**
 * Quantile p of an ascending array by linear interpolation between closest ranks (type 7).
 * O(1); NaN for an empty array.
 * @example interpolateSorted([1, 2, 3, 4], 0.5) // 2.5
 */
export function interpolateSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
