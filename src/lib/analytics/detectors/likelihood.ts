/**
 * Numenta's anomaly likelihood (Ahmad et al. 2017; nupic `algorithms/anomaly_likelihood.py`,
 * the post-processing behind NAB's Numenta HTM results), ported as a stage any raw detector
 * can feed: it keeps the last `historicWindowSize` (value, raw score) pairs, fits a normal
 * distribution to the 10-point moving average of the raw scores every `reestimationPeriod`
 * points, and returns 1 − tail probability of the current moving average (0.5 during its
 * probation), with Numenta's red/yellow filter. `computeLogLikelihood` is NAB's reported score.
 * Parameters are nupic's defaults; NAB sets learningPeriod = ⌊probation / 2⌋ and
 * estimationSamples = probation − learningPeriod.
 */
import { computeNormalTail } from './common';

export const LikelihoodDefaults = {
  learningPeriod: 288,
  estimationSamples: 100,
  historicWindowSize: 8640,
  reestimationPeriod: 100,
  averagingWindow: 10,
  /**
   * With `compact`, the window is kept as mergeable partials of this many points each
   * (8640 / 144 = 60 blocks, about 5 KB of JSON) instead of 2 × 8640 numbers (~300 KB).
   */
  compactBlock: 144
} as const;

const RED = 1.0 - 0.99999;
const YELLOW = 1.0 - 0.999;

export interface LikelihoodOptions {
  learningPeriod?: number;
  estimationSamples?: number;
  historicWindowSize?: number;
  reestimationPeriod?: number;
  /**
   * Keep the window as per-block partials (count, mean and M2 of the moving averages and of
   * the values, Chan et al.'s merge) instead of the points: state ≤ 8 KB instead of ~300 KB.
   * Not Numenta's exact computation — the window ends at the last whole block and spans
   * `historicWindowSize` to `historicWindowSize + compactBlock` points, and the moving
   * average runs on across the window's start instead of restarting there; the faithfulness
   * test says how close it stays to the published scores.
   */
  compact?: boolean;
  state?: LikelihoodState;
}

/** Count, mean and sum of squared deviations of a set of numbers: mergeable (Chan et al.). */
type Moments = [n: number, mean: number, m2: number];

function addMoment(m: Moments, x: number): void {
  m[0]++;
  const d = x - m[1];
  m[1] += d / m[0];
  m[2] += d * (x - m[1]);
}

function mergeMoments(a: Moments, b: Moments): Moments {
  const n = a[0] + b[0];
  if (n === 0) return [0, 0, 0];
  const d = b[1] - a[1];
  return [n, a[1] + (d * b[0]) / n, a[2] + b[2] + (d * d * a[0] * b[0]) / n];
}

/** The compact window: per block, the moments of the moving averages and of the values. */
interface CompactWindow {
  /** Closed blocks, oldest first: [n, meanA, m2A, meanV, m2V] (n shared). */
  blocks: number[][];
  open: number[];
  /** The last `averagingWindow` moving averages (for the likelihoods after an estimate). */
  recent: number[];
}

interface Distribution {
  mean: number;
  stdev: number;
}

export interface LikelihoodState {
  learningPeriod: number;
  probationaryPeriod: number;
  historicWindowSize: number;
  reestimationPeriod: number;
  iteration: number;
  /** The last historicWindowSize values and raw scores, oldest first. */
  values: number[];
  scores: number[];
  distribution: Distribution | null;
  averageWindow: number[];
  averageTotal: number;
  historicalLikelihoods: number[];
  /** Set in compact mode (then `values` and `scores` stay empty). */
  compact?: CompactWindow;
}

/**
 * NAB's reported score: log(1.0000000001 − likelihood) / log(1e-10), in [0, 1].
 * O(1).
 * @example computeLogLikelihood(0.5) // ≈ 0.0301
 */
export function computeLogLikelihood(likelihood: number): number {
  return Math.log(1.0000000001 - likelihood) / -23.02585084720009;
}

/**
 * P(X > x) under the fitted normal: nupic's `normalProbability` of 2016, which NAB's
 * published Numenta results were computed with (a lower-than-usual average gives a
 * likelihood below 0.5). Later nupic mirrors x below the mean instead.
 */
function computeTail(x: number, d: Distribution): number {
  return computeNormalTail((x - d.mean) / d.stdev);
}

function estimateNormal(data: ArrayLike<number>, from: number, lowerBound: boolean) {
  const n = data.length - from;
  let mean = 0;
  for (let i = from; i < data.length; i++) mean += data[i];
  mean /= n;
  let variance = 0;
  for (let i = from; i < data.length; i++) variance += (data[i] - mean) ** 2;
  variance /= n;
  if (lowerBound) {
    if (mean < 0.03) mean = 0.03;
    if (variance < 0.0003) variance = 0.0003;
  }
  return { mean, variance, stdev: variance > 0 ? Math.sqrt(variance) : 0 };
}

const NULL_DISTRIBUTION: Distribution = { mean: 0.5, stdev: 1e3 };

/**
 * Creates the likelihood stage. `update(value, raw)` returns the likelihood of this point
 * (0.5 during probation, i.e. the first learningPeriod + estimationSamples points). Raw scores
 * should lie in [0, 1]. O(1) per point except every reestimationPeriod points, which cost
 * O(historicWindowSize); memory O(historicWindowSize).
 * @example
 * const l = createAnomalyLikelihood({ learningPeriod: 10, estimationSamples: 10 });
 * l.update(5, 0.1); // 0.5
 */
export function createAnomalyLikelihood(options: LikelihoodOptions = {}) {
  const D = LikelihoodDefaults;
  const s = options.state;
  const learningPeriod = s?.learningPeriod ?? options.learningPeriod ?? D.learningPeriod;
  const probationaryPeriod =
    s?.probationaryPeriod ?? learningPeriod + (options.estimationSamples ?? D.estimationSamples);
  const windowSize = s?.historicWindowSize ?? options.historicWindowSize ?? D.historicWindowSize;
  const reestimationPeriod =
    s?.reestimationPeriod ?? options.reestimationPeriod ?? D.reestimationPeriod;
  let iteration = s?.iteration ?? 0;
  const values: number[] = s ? s.values.slice() : [];
  const scores: number[] = s ? s.scores.slice() : [];
  let distribution: Distribution | null = s?.distribution ? { ...s.distribution } : null;
  let averageWindow: number[] = s ? s.averageWindow.slice() : [];
  let averageTotal = s?.averageTotal ?? 0;
  let historicalLikelihoods: number[] = s ? s.historicalLikelihoods.slice() : [];
  const compact: CompactWindow | undefined = s
    ? s.compact && {
        blocks: s.compact.blocks.map((b) => b.slice()),
        open: s.compact.open.slice(),
        recent: s.compact.recent.slice()
      }
    : options.compact
      ? { blocks: [], open: [0, 0, 0, 0, 0], recent: [] }
      : undefined;
  const maxBlocks = Math.ceil(windowSize / D.compactBlock);

  const average = (x: number): number => {
    if (averageWindow.length === D.averagingWindow) averageTotal -= averageWindow.shift()!;
    averageWindow.push(x);
    averageTotal += x;
    return averageTotal / averageWindow.length;
  };

  /** The compact window's estimate: the same fit, from merged block moments. */
  const estimateCompact = (w: CompactWindow): void => {
    let a: Moments = [0, 0, 0];
    let v: Moments = [0, 0, 0];
    for (const b of [...w.blocks, w.open]) {
      a = mergeMoments(a, [b[0], b[1], b[2]]);
      v = mergeMoments(v, [b[0], b[3], b[4]]);
    }
    let d: Distribution = NULL_DISTRIBUTION;
    if (a[0] > 0) {
      let mean = a[1];
      let variance = a[2] / a[0];
      if (mean < 0.03) mean = 0.03;
      if (variance < 0.0003) variance = 0.0003;
      d = { mean, stdev: Math.sqrt(variance) };
      if (v[2] / v[0] < 1.5e-5) d = NULL_DISTRIBUTION;
    }
    distribution = d;
    historicalLikelihoods = w.recent.map((x) => computeTail(x, d));
  };

  /** Adds a point to the compact window (after the learning period), closing full blocks. */
  const addCompact = (w: CompactWindow, value: number, averaged: number): void => {
    w.recent.push(averaged);
    if (w.recent.length > D.averagingWindow) w.recent.shift();
    if (iteration < learningPeriod) return;
    const o = w.open;
    const a: Moments = [o[0], o[1], o[2]];
    const v: Moments = [o[0], o[3], o[4]];
    addMoment(a, averaged);
    addMoment(v, value);
    w.open = [a[0], a[1], a[2], v[1], v[2]];
    if (w.open[0] === D.compactBlock) {
      w.blocks.push(w.open);
      if (w.blocks.length > maxBlocks) w.blocks.shift();
      w.open = [0, 0, 0, 0, 0];
    }
  };

  const estimate = (): void => {
    if (compact) return estimateCompact(compact);
    const shifted = Math.max(0, iteration - windowSize);
    const skip = Math.min(iteration, Math.max(0, learningPeriod - shifted));
    averageWindow = [];
    averageTotal = 0;
    const averaged = scores.map(average);
    let d: Distribution = NULL_DISTRIBUTION;
    if (averaged.length > skip) {
      d = estimateNormal(averaged, skip, true);
      if (estimateNormal(values, skip, false).variance < 1.5e-5) d = NULL_DISTRIBUTION;
    }
    distribution = d;
    historicalLikelihoods = averaged
      .slice(-Math.min(D.averagingWindow, averaged.length))
      .map((a) => computeTail(a, d));
  };

  return {
    update(value: number, raw: number): number {
      let likelihood = 0.5;
      // Compact: the moving average runs on over every point; exact: each estimate restarts
      // it over the window, and it is taken below after the probation only.
      const averaged = compact ? average(raw) : NaN;
      if (iteration >= probationaryPeriod) {
        if (distribution === null || iteration % reestimationPeriod === 0) estimate();
        const tail = computeTail(compact ? averaged : average(raw), distribution!);
        const prev = historicalLikelihoods[historicalLikelihoods.length - 1];
        const filtered = tail <= RED && !(prev > RED) ? YELLOW : tail;
        historicalLikelihoods.push(tail);
        if (historicalLikelihoods.length > D.averagingWindow) historicalLikelihoods.shift();
        likelihood = 1 - filtered;
      }
      if (compact) addCompact(compact, value, averaged);
      else {
        values.push(value);
        scores.push(raw);
        if (values.length > windowSize) {
          values.shift();
          scores.shift();
        }
      }
      iteration++;
      return likelihood;
    },
    state: (): LikelihoodState => ({
      learningPeriod,
      probationaryPeriod,
      historicWindowSize: windowSize,
      reestimationPeriod,
      iteration,
      values: values.slice(),
      scores: scores.slice(),
      distribution: distribution && { ...distribution },
      averageWindow: averageWindow.slice(),
      averageTotal,
      historicalLikelihoods: historicalLikelihoods.slice(),
      ...(compact
        ? {
            compact: {
              blocks: compact.blocks.map((b) => b.slice()),
              open: compact.open.slice(),
              recent: compact.recent.slice()
            }
          }
        : {})
    })
  };
}
