/**
 * A scorer in the manner of the Numenta Anomaly Benchmark, implemented from
 * /work/shared/fixtures/nab/SCORING.md: scaled-sigmoid row weights, probation,
 * earliest-detection-per-window credit, every FP row counted, one threshold for the
 * whole corpus chosen by the exhaustive sweep, normalised between the null detector
 * (−fnWeight per window) and the perfect one (tpWeight per window).
 */

export type NabProfileName = 'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate';

export interface CostMatrix {
  tpWeight: number;
  fnWeight: number;
  fpWeight: number;
}

/** NAB's application profiles (config/profiles.json); tnWeight is never read by the scorer. */
export const NabProfiles: Record<NabProfileName, CostMatrix> = {
  standard: { tpWeight: 1.0, fnWeight: 1.0, fpWeight: 0.11 },
  reward_low_FP_rate: { tpWeight: 1.0, fnWeight: 1.0, fpWeight: 0.22 },
  reward_low_FN_rate: { tpWeight: 1.0, fnWeight: 2.0, fpWeight: 0.11 }
};

/** Probation is 15 % of the file, capped at 15 % of 5000 rows (NAB's `probationPercent`). */
export const NabProbation = { fraction: 0.15, maxRowsBasis: 5000 } as const;

/** Beyond y = 3 the scaled sigmoid is exactly −1 (NAB `sigmoid` clamp). */
const SIGMOID_CLAMP = 3.0;

/** A window as inclusive row indices [L, R]. */
export type RowWindow = readonly [number, number];

/** One file to score: its per-row anomaly scores (file order) and its windows as row ranges. */
export interface ScoredFile {
  scores: ArrayLike<number>;
  windows: readonly RowWindow[];
}

/**
 * NAB's scaled sigmoid S(y) = 2σ(−5y) − 1, and exactly −1 when y > 3.
 * O(1).
 * @example computeScaledSigmoid(-1) // 0.98661429815143
 */
export function computeScaledSigmoid(y: number): number {
  if (y > SIGMOID_CLAMP) return -1.0;
  return 2 / (1 + Math.exp(5 * y)) - 1;
}

/** S(−1): the score of a window's left edge before normalisation. */
export const MAX_TP = computeScaledSigmoid(-1);

/**
 * Rows dropped from scoring at the start of a file with n rows.
 * O(1); 0 for an empty file.
 * @example computeProbationLength(1000) // 150
 */
export function computeProbationLength(n: number): number {
  return Math.min(
    Math.floor(NabProbation.fraction * n),
    NabProbation.fraction * NabProbation.maxRowsBasis
  );
}

/**
 * Per-row weights w(i) and window ids (−1 outside every window) for a file of n rows.
 * Windows must be chronological and non-overlapping, as in NAB. O(n); empty arrays for n = 0.
 * @example computeRowWeights({ n: 1000, windows: [[500, 599]], profile: NabProfiles.standard }).weight[500] // 1
 */
export function computeRowWeights(options: {
  n: number;
  windows: readonly RowWindow[];
  profile: CostMatrix;
}): { weight: Float64Array; windowId: Int32Array } {
  const { n, windows, profile } = options;
  const weight = new Float64Array(n);
  const windowId = new Int32Array(n).fill(-1);
  let next = 0; // index of the next window not yet passed
  let prev = -1; // most recent window whose right edge is before i
  for (let i = 0; i < n; i++) {
    while (next < windows.length && windows[next][1] < i) prev = next++;
    const win = next < windows.length ? windows[next] : undefined;
    if (win && win[0] <= i && i <= win[1]) {
      const width = win[1] - win[0] + 1;
      const y = -(win[1] - i + 1) / width;
      weight[i] = (computeScaledSigmoid(y) * profile.tpWeight) / MAX_TP;
      windowId[i] = next;
    } else if (prev < 0) {
      weight[i] = -1.0 * profile.fpWeight;
    } else {
      const [lp, rp] = windows[prev];
      const y = (i - rp) / (rp - lp + 1 - 1);
      weight[i] = computeScaledSigmoid(y) * profile.fpWeight;
    }
  }
  return { weight, windowId };
}

/**
 * One file's raw NAB score at threshold θ (rows with score ≥ θ after probation detect).
 * O(n). A file with no rows and no windows scores 0.
 * @example scoreFile({ file: { scores, windows: [[500, 599]] }, profile: NabProfiles.standard, threshold: 0.5 })
 */
export function scoreFile(options: { file: ScoredFile; profile: CostMatrix; threshold: number }): {
  score: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
} {
  const { file, profile, threshold } = options;
  const n = file.scores.length;
  const probation = computeProbationLength(n);
  const { weight, windowId } = computeRowWeights({ n, windows: file.windows, profile });
  const best = new Float64Array(file.windows.length).fill(-Infinity);
  const scorable = new Uint8Array(file.windows.length);
  let fpSum = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = probation; i < n; i++) {
    const id = windowId[i];
    const detected = file.scores[i] >= threshold;
    if (id >= 0) {
      scorable[id] = 1;
      if (detected) {
        tp++;
        if (weight[i] > best[id]) best[id] = weight[i];
      } else fn++;
    } else if (detected) {
      fp++;
      fpSum += weight[i];
    } else tn++;
  }
  let score = fpSum;
  for (let k = 0; k < file.windows.length; k++) {
    if (!scorable[k]) continue;
    score += best[k] === -Infinity ? -profile.fnWeight : best[k];
  }
  return { score, tp, fp, fn, tn };
}

/**
 * Normalises a raw corpus score to NAB's 0–100 scale for a corpus with `windowCount` windows.
 * O(1).
 * @example normaliseScore({ raw: 0, windowCount: 25, profile: NabProfiles.standard }) // 50
 */
export function normaliseScore(options: {
  raw: number;
  windowCount: number;
  profile: CostMatrix;
}): number {
  const { raw, windowCount, profile } = options;
  const perfect = profile.tpWeight * windowCount;
  const nul = -profile.fnWeight * windowCount;
  return (100 * (raw - nul)) / (perfect - nul);
}

/**
 * NAB's exhaustive threshold sweep: one θ for the whole corpus, candidates 1.1 and every
 * distinct score, highest tied threshold wins. O(N log N) in the number of scorable rows.
 * An empty corpus returns θ = 1.1 and raw 0.
 * @example sweepThreshold({ files, profile: NabProfiles.standard }) // { threshold, raw, normalised }
 */
export function sweepThreshold(options: { files: readonly ScoredFile[]; profile: CostMatrix }): {
  threshold: number;
  raw: number;
  normalised: number;
} {
  const { files, profile } = options;
  const rowScore: number[] = [];
  const rowWeight: number[] = [];
  const rowWindow: number[] = [];
  let windowCount = 0;
  let windowBase = 0;
  let scorableWindows = 0;
  for (const file of files) {
    const n = file.scores.length;
    const probation = computeProbationLength(n);
    const { weight, windowId } = computeRowWeights({ n, windows: file.windows, profile });
    const seen = new Uint8Array(file.windows.length);
    for (let i = probation; i < n; i++) {
      rowScore.push(file.scores[i]);
      rowWeight.push(weight[i]);
      const id = windowId[i];
      rowWindow.push(id >= 0 ? windowBase + id : -1);
      if (id >= 0 && !seen[id]) {
        seen[id] = 1;
        scorableWindows++;
      }
    }
    windowBase += file.windows.length;
    windowCount += file.windows.length;
  }
  const order = Array.from(rowScore.keys()).sort((a, b) => rowScore[b] - rowScore[a] || a - b);
  const term = new Float64Array(windowBase).fill(-profile.fnWeight);
  let windowSum = -profile.fnWeight * scorableWindows;
  let fpSum = 0;
  let bestRaw = windowSum;
  let bestThreshold = 1.1;
  for (let k = 0; k < order.length; k++) {
    const r = order[k];
    const id = rowWindow[r];
    if (id < 0) fpSum += rowWeight[r];
    else if (rowWeight[r] > term[id]) {
      windowSum += rowWeight[r] - term[id];
      term[id] = rowWeight[r];
    }
    const groupEnds = k + 1 === order.length || rowScore[order[k + 1]] !== rowScore[r];
    if (groupEnds && windowSum + fpSum > bestRaw) {
      bestRaw = windowSum + fpSum;
      bestThreshold = rowScore[r];
    }
  }
  return {
    threshold: bestThreshold,
    raw: bestRaw,
    normalised: normaliseScore({ raw: bestRaw, windowCount, profile })
  };
}
