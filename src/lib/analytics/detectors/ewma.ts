import {
  computeCleanSpread,
  computeDeviation,
  computeTwoSidedScore,
  type OnlineDetector
} from './common';

/**
 * EWMA control chart (Roberts 1959; Montgomery's λ = 0.2, L = 3). The in-control mean and
 * σ are themselves learned online with a slow exponential rate (1/n until 1/`memory`).
 */
export const EwmaDefaults = { lambda: 0.2, sigmas: 3, memory: 500, minPoints: 10 } as const;

/** Score at which the EWMA chart fires: P(|Z| < 3). */
export const EWMA_THRESHOLD = computeTwoSidedScore(EwmaDefaults.sigmas);

export interface EwmaState {
  lambda: number;
  memory: number;
  minPoints: number;
  n: number;
  mean: number;
  variance: number;
  statistic: number;
  z: number;
}

/**
 * EWMA control-chart detector: statistic e ← λx + (1 − λ)e, compared with the learned mean μ
 * in units of its asymptotic σ_e = σ·√(λ / (2 − λ)); score = P(|Z| < |e − μ| / σ_e).
 * Slow drifts and small sustained shifts accumulate where a plain z-score misses them.
 * Non-finite values score 0 and are not learned; the first `minPoints` points score 0.
 * O(1) per point and memory.
 * @example
 * const d = createEwmaDetector();
 * for (let i = 0; i < 100; i++) d.push(i, i % 2);
 * for (let i = 0; i < 5; i++) d.push(100 + i, 3); // rises towards 1
 */
export function createEwmaDetector(
  options: { lambda?: number; memory?: number; state?: EwmaState } = {}
): OnlineDetector<EwmaState> {
  const s = options.state;
  const lambda = s?.lambda ?? options.lambda ?? EwmaDefaults.lambda;
  const memory = s?.memory ?? options.memory ?? EwmaDefaults.memory;
  const minPoints = s?.minPoints ?? EwmaDefaults.minPoints;
  const factor = Math.sqrt(lambda / (2 - lambda));
  let n = s?.n ?? 0;
  let mean = s?.mean ?? 0;
  let variance = s?.variance ?? 0;
  let statistic = s?.statistic ?? 0;
  let z = s?.z ?? 0;
  const detector = {
    name: 'ewma' as const,
    push(t: number, v: number): number {
      return computeTwoSidedScore(detector.observe(t, v));
    },
    observe(_t: number, v: number): number {
      z = 0;
      if (!Number.isFinite(v)) return 0;
      statistic = n === 0 ? v : lambda * v + (1 - lambda) * statistic;
      if (n >= minPoints) {
        const sd = computeCleanSpread(Math.sqrt(variance), mean) * factor;
        z = computeDeviation({ v: statistic, centre: mean, spread: sd });
      }
      n++;
      const alpha = Math.max(1 / n, 1 / memory);
      const delta = v - mean;
      mean += alpha * delta;
      variance = (1 - alpha) * (variance + alpha * delta * delta);
      return z;
    },
    evidence: () => z,
    state: () => ({ lambda, memory, minPoints, n, mean, variance, statistic, z })
  };
  return detector;
}
