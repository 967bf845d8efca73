import {
  computeCleanSpread,
  computeDeviation,
  computeTwoSidedScore,
  type OnlineDetector
} from './common';

/** Rolling z-score over the last `window` finite points; fires at `sigmas` σ (2.0 as first designed). */
export const ZScoreDefaults = { window: 100, sigmas: 2.0, minPoints: 10 } as const;

/** Score at which the z-score detector fires: P(|Z| < 2) ≈ 0.9545. */
export const Z_SCORE_THRESHOLD = computeTwoSidedScore(ZScoreDefaults.sigmas);

export interface ZScoreOptions {
  window?: number;
  minPoints?: number;
  state?: ZScoreState;
}

export interface ZScoreState {
  window: number;
  minPoints: number;
  values: number[];
  head: number;
  count: number;
  shift: number;
  sum: number;
  sumSq: number;
  sinceRebuild: number;
  z: number;
}

/**
 * Rolling z-score detector: point i is scored against the mean and standard deviation of the
 * previous `window` finite points (running sums over a ring buffer, rebuilt every `window`
 * points so float drift cannot accumulate). Score = P(|Z| < |z|); NaN/±Infinity score 0 and
 * are not learned; fewer than `minPoints` points score 0.
 * O(1) amortised per point, O(window) memory.
 * @example
 * const d = createZScoreDetector();
 * for (const v of [1, 2, 1, 2, 1, 2, 1, 2, 1, 2]) d.push(0, v);
 * d.push(0, 10); // ≈ 1
 */
export function createZScoreDetector(options: ZScoreOptions = {}): OnlineDetector<ZScoreState> {
  const s = options.state;
  const window = s?.window ?? options.window ?? ZScoreDefaults.window;
  const minPoints = s?.minPoints ?? options.minPoints ?? ZScoreDefaults.minPoints;
  const values = new Float64Array(window);
  if (s) values.set(s.values);
  let head = s?.head ?? 0;
  let count = s?.count ?? 0;
  let shift = s?.shift ?? 0;
  let sum = s?.sum ?? 0;
  let sumSq = s?.sumSq ?? 0;
  let sinceRebuild = s?.sinceRebuild ?? 0;
  let z = s?.z ?? 0;

  const rebuild = (): void => {
    // Re-centre on the current mean so sums of squares stay small relative to the spread.
    let raw = 0;
    for (let k = 0; k < count; k++) raw += values[(head - count + k + window) % window];
    shift = count > 0 ? raw / count : 0;
    sum = 0;
    sumSq = 0;
    for (let k = 0; k < count; k++) {
      const d = values[(head - count + k + window) % window] - shift;
      sum += d;
      sumSq += d * d;
    }
    sinceRebuild = 0;
  };

  const detector = {
    name: 'zscore' as const,
    push(t: number, v: number): number {
      return computeTwoSidedScore(detector.observe(t, v));
    },
    observe(_t: number, v: number): number {
      z = 0;
      if (!Number.isFinite(v)) return 0;
      if (count >= minPoints) {
        const mean = sum / count;
        const variance = Math.max(0, sumSq / count - mean * mean);
        const sd = computeCleanSpread(Math.sqrt(variance), mean + shift);
        z = computeDeviation({ v, centre: mean + shift, spread: sd });
      }
      if (count === 0) {
        // Centre the running sums on the first value so large offsets do not cancel badly.
        shift = v;
        sum = 0;
        sumSq = 0;
      }
      if (count === window) {
        const old = values[head] - shift;
        sum -= old;
        sumSq -= old * old;
      } else count++;
      values[head] = v;
      head = (head + 1) % window;
      const d = v - shift;
      sum += d;
      sumSq += d * d;
      if (++sinceRebuild >= window) rebuild();
      return z;
    },
    evidence: () => z,
    state: () => ({
      window,
      minPoints,
      values: Array.from(values),
      head,
      count,
      shift,
      sum,
      sumSq,
      sinceRebuild,
      z
    })
  };
  return detector;
}
