/**
 * ARTime (Mark Hampton, 2021): adaptive-resonance anomaly detection, the best published
 * NAB detector (standard 74.9 over all 58 files). A TypeScript port of the algorithm in
 * github.com/markNZed/ARTimeNAB.jl (src/ARTime.jl and its compact DVFA in
 * src/AdaptiveResonanceCompact.jl, AGPL-3.0), with the published parameters unchanged:
 *
 * 1. Downsample: every `sstep` samples the window's max (or min, when the min is farther
 *    from a moving average), replaced by the mean when within 10 % of it.
 * 2. Normalise to [0, 1] by the value range, discretise to `nlevels` levels, and snap to a
 *    running median level when within `discretizeChomp`.
 * 3. Features of the last `window` downsampled levels: their full Haar wavelet transform
 *    (min-max scaled) followed by the levels themselves.
 * 4. A dual-vigilance fuzzy ART (DVFA) learns the features. A sample that matches no
 *    category above the lower vigilance ρ_lb is an anomaly, scored by how far below the
 *    vigilance bounds it fell; ρ_lb and ρ_ub adapt to the recent similarities.
 * The first `probation` samples are learnt as a batch (ρ chosen from them) and score 0.
 *
 * Deviations, each forced by running online in bounded memory (all measured in
 * bench/anomaly.bench.ts):
 * - NAB hands ARTime the whole file's min, max and length. Given `range` and `length` the
 *   port does the same (the faithfulness check); without them (the engine) the range is
 *   the running min/max of the points so far and the length that of an unbounded stream
 *   (probation 750 samples, ARTime's own cap).
 * - Category weights are kept as integers in units of 1/`QUANT` (features are rounded to
 *   that grid, exact for the discretised levels), so a category serialises in 64 bytes.
 * - At most `maxCategories` categories; a new one evicts the least recently matched.
 * - Julia keeps every similarity and anomaly in arrays; the port keeps only what the
 *   algorithm reads (last value, rings of the trend windows, running sums).
 */
import type { OnlineDetector } from './common';

/** ARTime's published parameters (ARTime.P), plus the port's memory cap. */
export const ARTimeDefaults = {
  window: 8,
  windowsPerProbation: 13,
  discretizeChomp: 0.075,
  nlevels: 80,
  initialRho: 0.8,
  /** Probation of an unbounded stream: ARTime's 15 % of the length, capped at 750. */
  maxProbation: 750,
  /**
   * Online range: the probation's min/max widened by its span on each side, i.e. room for a
   * level shift as large as everything the probation saw. Chosen among 0, 0.25, 0.5 and 1
   * on the local NAB files (see the bench's leave-one-category-out folds): a tuned value.
   */
  margin: 1,
  /**
   * Categories kept (the published detector keeps all). On the 18 local NAB files the cap
   * changes the standard score by less than a point (24: 70.0, 32: 69.7, 48: 70.1, 64: 69.4,
   * uncapped: 69.9) and bounds the state: at most about 5 KB serialised with 32.
   */
  maxCategories: 32
} as const;

/**
 * ARTime's standard-profile threshold in NAB's config/thresholds.json (0.317486), which NAB's
 * optimiser chose over all 58 files: the published operating point, not retuned here.
 */
export const ARTIME_THRESHOLD = 0.317486;

/** Grid of the stored category weights: 1/64000 holds every level k/80 exactly. */
const QUANT = 64_000;
const FEATURES = 2 * ARTimeDefaults.window;
const DIM = 2 * FEATURES;
const ENERGY_A = FEATURES - 1;
const ENERGY_B = DIM - 1;

export interface ARTimeOptions {
  /** The value range for normalisation (NAB passes the file's); default the running range. */
  range?: { min: number; max: number };
  /** The series length (NAB passes the file's); default an unbounded stream. */
  length?: number;
  maxCategories?: number;
  /** Online mode: the probation's range is widened by this fraction of its span each side. */
  margin?: number;
  state?: ARTimeState;
}

export interface ARTimeState {
  v: 1;
  fixedRange: boolean;
  dmin: number;
  dmax: number;
  probation: number;
  sstep: number;
  trendWindow: number;
  maxCategories: number;
  i: number;
  dsi: number;
  dsWindow: number[];
  dsMovingAverage: number;
  medbin: number[];
  medlevel: number;
  belowmed: number;
  abovemed: number;
  /** The last `window` discretised levels (ints 0..nlevels). */
  fWindow: number[];
  /** Levels of the probation samples, replayed as the batch (emptied after it). */
  probationLevels: number[];
  /** Online mode: downsampled values of the probation, levelled when it ends. */
  probationRaw: number[];
  margin: number;
  rhoLb: number;
  rhoUb: number;
  rhoUbMean: number;
  rhoUbCount: number;
  simWindow: string;
  simDiffWindow: string;
  ringHead: number;
  lastAnomalyI: number;
  lastAnomalySim: number;
  lastRhoUpdateI: number;
  maskAfterCat: boolean;
  noNewCatCount: number;
  historySum: number;
  historyLast: number;
  historyCount: number;
  /** Category weights, DIM uint16 each, base64; and when each last matched, int32 base64. */
  weights: string;
  used: string;
  lastA: number;
  lastAe: number;
  lastBest: number;
  lastLevel: number;
  windowStart: number;
}

/** Why the last point scored: the prototype it was compared with, in value units. */
export interface ARTimeExplanation {
  /** Similarity to the best category (ARTime's A) and the vigilance it failed. */
  similarity: number;
  vigilance: number;
  /** The level the downsampled value had, and the band the best category expected. */
  level: number;
  expected: { low: number; high: number } | undefined;
  /** Time of the first point of the downsampling window the level summarises. */
  since: number;
}

/** Julia's `round(Int, x)`: to nearest, ties to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** ARTime's probation, downsampling step and trend window for a series of `length` samples. */
export function computeARTimeSchedule(length: number): {
  probation: number;
  sstep: number;
  trendWindow: number;
} {
  let probation = length < 5000 ? Math.floor(0.15 * length) : ARTimeDefaults.maxProbation;
  probation -= probation % 2;
  const sstep = Math.max(
    1,
    roundHalfEven(
      Math.floor(probation / (ARTimeDefaults.window * ARTimeDefaults.windowsPerProbation))
    )
  );
  return { probation, sstep, trendWindow: Math.floor(probation / sstep) };
}

function encode(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function decode(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Scratch buffers of the feature computation (single-threaded, never held across calls). */
const scratch = {
  a: new Float64Array(8),
  b: new Float64Array(8),
  dw: new Float64Array(8),
  fw: new Float64Array(8)
};

/**
 * Full-depth orthonormal Haar transform of 8 values (Wavelets.jl `dwt(x, wavelet(WT.haar))`):
 * [approximation, coarsest detail, …, finest details], detail = (odd − even)/√2.
 */
function haar(x: Float64Array, out: Float64Array): void {
  let tmp = scratch.a;
  let next = scratch.b;
  tmp.set(x);
  let n = x.length;
  while (n > 1) {
    const half = n >> 1;
    for (let k = 0; k < half; k++) {
      next[k] = (tmp[2 * k] + tmp[2 * k + 1]) * Math.SQRT1_2;
      out[half + k] = (tmp[2 * k + 1] - tmp[2 * k]) * Math.SQRT1_2;
    }
    [tmp, next] = [next, tmp];
    n = half;
  }
  out[0] = tmp[0];
}

/** ARTime's feature vector of a window of levels, complement-coded in units of 1/QUANT. */
function computeFeatures(levels: ArrayLike<number>, nlevels: number, out: Int32Array): void {
  const w = levels.length;
  const dw = scratch.dw;
  let lo = Infinity;
  for (let k = 0; k < w; k++) lo = Math.min(lo, levels[k]);
  let hi = 0;
  for (let k = 0; k < w; k++) hi = Math.max(hi, (dw[k] = (levels[k] - lo) / nlevels));
  if (hi !== 0) for (let k = 0; k < w; k++) dw[k] /= hi;
  const fw = scratch.fw;
  haar(dw, fw);
  let fmin = Infinity;
  for (let k = 0; k < w; k++) fmin = Math.min(fmin, fw[k]);
  let fmax = 0;
  for (let k = 0; k < w; k++) fmax = Math.max(fmax, (fw[k] -= fmin));
  for (let k = 0; k < w; k++) {
    out[k] = Math.round((fmax !== 0 ? fw[k] / fmax : fw[k]) * QUANT);
    out[w + k] = (levels[k] * QUANT) / nlevels;
  }
  for (let k = 0; k < 2 * w; k++) out[2 * w + k] = QUANT - out[k];
}

/**
 * A dual-vigilance fuzzy ART over complement-coded integer features: the categories of
 * AdaptiveResonanceCompact.jl (the first is the all-ones category it starts from).
 */
class Dvfa {
  weights: Uint16Array;
  used: Int32Array;
  count: number;
  rhoLb = 0;
  rhoUb = 0;
  /** A, Ae and the best category of the last sample. */
  a = 0;
  ae = 0;
  best = -1;
  private m = new Float64Array(0);
  private me = new Float64Array(0);

  constructor(
    readonly capacity: number,
    weights?: Uint16Array,
    used?: Int32Array
  ) {
    this.weights = new Uint16Array(capacity * DIM);
    this.used = new Int32Array(capacity);
    this.count = 0;
    if (weights && used) {
      this.count = used.length;
      this.weights.set(weights);
      this.used.set(used);
    }
  }

  private add(x: Int32Array | null, step: number): void {
    let slot = this.count;
    if (this.count === this.capacity) {
      // Evict the least recently matched category (never the first, all-ones one).
      slot = 1;
      for (let j = 2; j < this.count; j++) if (this.used[j] < this.used[slot]) slot = j;
    } else this.count++;
    const base = slot * DIM;
    for (let k = 0; k < DIM; k++) this.weights[base + k] = x ? x[k] : QUANT;
    this.used[slot] = step;
  }

  /** Trains one sample; returns false when it matched no category (ARTime's cat == −1). */
  train(x: Int32Array, learning: boolean, step: number): boolean {
    if (this.count === 0) {
      this.add(null, step);
      this.a = 0;
      this.ae = 0;
      this.best = 0;
      return true;
    }
    if (this.m.length < this.count) {
      this.m = new Float64Array(this.capacity);
      this.me = new Float64Array(this.capacity);
    }
    const w = this.weights;
    let hasNaN = false;
    let max = 0;
    let maxE = 0;
    let best = -1;
    for (let j = 0; j < this.count; j++) {
      const base = j * DIM;
      let num = 0;
      let den = 0;
      for (let k = 0; k < DIM; k++) {
        const wk = w[base + k];
        const xk = x[k];
        num += xk < wk ? xk : wk;
        den += wk;
      }
      if (den === 0) den = 0.001 * QUANT;
      const wa = w[base + ENERGY_A];
      const wb = w[base + ENERGY_B];
      const e =
        ((x[ENERGY_A] < wa ? x[ENERGY_A] : wa) + (x[ENERGY_B] < wb ? x[ENERGY_B] : wb)) / (wa + wb);
      const f = num / den;
      const mj = f * f * f * e * e;
      this.m[j] = mj;
      this.me[j] = e;
      if (Number.isNaN(mj)) hasNaN = true;
      else if (mj > max) {
        max = mj;
        maxE = e;
        best = j;
      }
    }
    // Julia sorts NaN first; a learning pass then breaks at once: no match at all.
    if (learning && hasNaN) {
      this.a = 0;
      this.ae = 0;
      this.best = -1;
      this.add(x, step);
      return false;
    }
    this.a = max;
    this.ae = maxE;
    this.best = best;
    if (!learning) return true;
    if (max >= this.rhoUb) {
      for (let j = 0; j < this.count; j++) {
        if (this.m[j] >= this.rhoUb) {
          const base = j * DIM;
          for (let k = 0; k < DIM; k++) if (x[k] < w[base + k]) w[base + k] = x[k];
          this.used[j] = step;
        }
      }
      return true;
    }
    const matched = max >= this.rhoLb;
    if (best >= 0) this.used[best] = step;
    this.add(x, step);
    return matched;
  }

  /** The band of the last feature (the newest level) the best category spans, in [0, 1]. */
  band(): { low: number; high: number } | undefined {
    if (this.best < 0) return undefined;
    const base = this.best * DIM;
    return {
      low: this.weights[base + ENERGY_A] / QUANT,
      high: 1 - this.weights[base + ENERGY_B] / QUANT
    };
  }
}

/** Cosine-like similarity of ARTime's `init_rho` (1 − ‖other‖ when one is zero). */
function computeSimilarity(a: Int32Array, b: Int32Array): number {
  let na = 0;
  let nb = 0;
  let dot = 0;
  for (let k = 0; k < FEATURES; k++) {
    const x = a[k] / QUANT;
    const y = b[k] / QUANT;
    na += x * x;
    nb += y * y;
    dot += x * y;
  }
  na = Math.sqrt(na);
  nb = Math.sqrt(nb);
  if (na === 0) return 1 - nb;
  if (nb === 0) return 1 - na;
  return dot / (na * nb);
}

/**
 * Creates the ARTime detector. Non-finite values score 0 and are not learned; timestamps
 * are ignored (ARTime is sample-based). O(categories · 32) per downsampled sample, once per
 * `sstep` points; memory O(maxCategories · 32) bytes, under 8 KB serialised by default.
 * @example
 * const d = createARTimeDetector();
 * const score = d.push(0, 12.5); // 0 during the probation
 */
export function createARTimeDetector(options: ARTimeOptions = {}): OnlineDetector<ARTimeState> & {
  explainLast(): ARTimeExplanation;
  /** True until the probation's batch has been learnt (every score is 0 until then). */
  learning(): boolean;
} {
  const P = ARTimeDefaults;
  const s = options.state;
  const schedule = s ?? computeARTimeSchedule(options.length ?? Infinity);
  const { probation, sstep, trendWindow } = schedule;
  const maxCategories = s?.maxCategories ?? options.maxCategories ?? P.maxCategories;
  const fixedRange = s?.fixedRange ?? options.range !== undefined;
  let dmin = s?.dmin ?? options.range?.min ?? Infinity;
  let dmax = s?.dmax ?? options.range?.max ?? -Infinity;
  const mask = Math.trunc(P.window * 1.5);
  const simLen = (trendWindow >> 1) + 1;
  const diffLen = trendWindow + 1;
  let i = s?.i ?? 1;
  let dsi = s?.dsi ?? 1;
  const dsWindow = s ? Float64Array.from(s.dsWindow) : new Float64Array(sstep);
  let dsMovingAverage = s?.dsMovingAverage ?? 0;
  const medbin = s ? Int32Array.from(s.medbin) : new Int32Array(P.nlevels + 1);
  let medlevel = s?.medlevel ?? 0;
  let belowmed = s?.belowmed ?? 0;
  let abovemed = s?.abovemed ?? 0;
  const fWindow = s ? Int32Array.from(s.fWindow) : new Int32Array(P.window);
  let probationLevels: number[] = s ? s.probationLevels.slice() : [];
  let probationRaw: number[] = s ? s.probationRaw.slice() : [];
  const margin = s?.margin ?? options.margin ?? P.margin;
  let rhoUbMean = s?.rhoUbMean ?? 0;
  let rhoUbCount = s?.rhoUbCount ?? 0;
  // Rings of the last similarities (sim_window, init ones) and ρ_ub − A (sim_diff_window).
  const simWindow = s
    ? new Float32Array(decode(s.simWindow).buffer)
    : new Float32Array(simLen).fill(1);
  const simDiffWindow = s
    ? new Float32Array(decode(s.simDiffWindow).buffer)
    : new Float32Array(diffLen);
  let ringHead = s?.ringHead ?? 0;
  let lastAnomalyI = s?.lastAnomalyI ?? 0;
  let lastAnomalySim = s?.lastAnomalySim ?? 0;
  let lastRhoUpdateI = s?.lastRhoUpdateI ?? 0;
  let maskAfterCat = s?.maskAfterCat ?? false;
  let noNewCatCount = s?.noNewCatCount ?? 0;
  let historySum = s?.historySum ?? 0;
  let historyLast = s?.historyLast ?? 0;
  let historyCount = s?.historyCount ?? 0;
  const art = s
    ? new Dvfa(
        maxCategories,
        new Uint16Array(decode(s.weights).buffer),
        new Int32Array(decode(s.used).buffer)
      )
    : new Dvfa(maxCategories);
  if (s) {
    art.rhoLb = s.rhoLb;
    art.rhoUb = s.rhoUb;
    art.a = s.lastA;
    art.ae = s.lastAe;
    art.best = s.lastBest;
  }
  let lastLevel = s?.lastLevel ?? 0;
  let windowStart = s?.windowStart ?? NaN;
  let lastScore = 0;
  const features = new Int32Array(DIM);
  const zeros = (() => {
    const z = new Int32Array(DIM);
    for (let k = FEATURES; k < DIM; k++) z[k] = QUANT;
    return z;
  })();

  const confidence = (sim: number, energy: number): number => {
    const fs = Math.min(0.999, sim);
    const ub = (1 - fs - (1 - art.rhoUb)) / (1 - fs);
    const lb = (1 - fs - (1 - art.rhoLb)) / (1 - fs);
    const c = Math.min(1, ub * 0.35 + lb * 0.65 + (1 - energy) * 1.5);
    return roundHalfEven(c * 1e6) / 1e6;
  };

  const detect = (f: Int32Array, k: number): number => {
    const sinceAnomaly = k - lastAnomalyI;
    const updateAfterAnomaly = sinceAnomaly === mask;
    const updateForTrend = k - lastRhoUpdateI >= trendWindow >> 1;
    const maskAfterAnomaly = sinceAnomaly <= mask;
    if (k > trendWindow + mask && maskAfterCat && noNewCatCount >= mask) maskAfterCat = false;
    const matched = k < P.window ? (art.train(f, false, k), false) : art.train(f, true, k);
    noNewCatCount = matched ? noNewCatCount + 1 : 0;
    const a = art.a;
    rhoUbCount++;
    rhoUbMean += (a - rhoUbMean) / rhoUbCount;
    simWindow[ringHead % simLen] = a;
    simDiffWindow[ringHead % diffLen] = art.rhoUb - a;
    ringHead = (ringHead + 1) % (simLen * diffLen);
    if (sinceAnomaly < mask && historyCount > 0 && a < historyLast) historyLast = a;
    const masking = maskAfterCat || maskAfterAnomaly;
    const belowLast = a < lastAnomalySim * (maskAfterAnomaly ? 0.9 : 0.7);
    let anomaly = 0;
    if (k > trendWindow && !matched && (!masking || belowLast)) {
      anomaly = confidence(a, art.ae);
      if (historyCount > 0) historySum += historyLast;
      historyLast = a;
      historyCount++;
      lastAnomalySim = a;
      lastAnomalyI = k;
    }
    maskAfterCat = !matched || maskAfterCat;
    if (k > trendWindow && (updateAfterAnomaly || updateForTrend)) {
      let minSim = Infinity;
      for (let j = 0; j < simLen; j++) minSim = Math.min(minSim, simWindow[j]);
      const newUb = Math.min(0.97, rhoUbMean);
      const prevLb = art.rhoLb;
      let newLb: number;
      if (prevLb <= minSim) newLb = prevLb + (minSim - prevLb) * 0.19;
      else {
        let decr = 0;
        if (k > trendWindow * 2) {
          let sum = 0;
          let n = 0;
          for (let j = 0; j < diffLen; j++) {
            const d = simDiffWindow[j];
            if (d > 0.05) {
              sum += Math.min(0.37, d);
              n++;
            }
          }
          if (n > 0) decr = sum / n;
        }
        newLb = prevLb - Math.max(0.01, decr) / 2;
        if (historyCount > 0) newLb = Math.max((historySum + historyLast) / historyCount, newLb);
      }
      art.rhoLb = Math.min(newUb, newLb);
      art.rhoUb = newUb;
      lastRhoUpdateI = k;
      maskAfterCat = true;
    }
    return anomaly;
  };

  const featuresAt = (levels: ArrayLike<number>, k: number, out: Int32Array): Int32Array => {
    // Features of sample k (1-based) from the levels up to it; zeros before a full window.
    if (k < P.window) return zeros;
    const win =
      levels.length === P.window && k === P.window
        ? levels
        : Array.prototype.slice.call(levels, k - P.window, k);
    computeFeatures(win, P.nlevels, out);
    return out;
  };

  const initRho = (feats: Int32Array[]): number => {
    const n = feats.length;
    const simSum = new Float64Array(n).fill(1);
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < a; b++) {
        const sim = computeSimilarity(feats[a], feats[b]);
        simSum[a] += sim;
        simSum[b] += sim;
      }
    }
    const order = Array.from({ length: n }, (_, k) => k).sort(
      (x, y) => simSum[x] - simSum[y] || x - y
    );
    const probe = new Dvfa(Math.max(2, n + 1));
    probe.rhoLb = P.initialRho;
    probe.rhoUb = P.initialRho;
    const as: number[] = [];
    order.forEach((k, step) => {
      probe.train(feats[k], true, step);
      as.push(probe.a);
    });
    const from = (trendWindow >> 1) - 1;
    let sum = 0;
    for (let k = from; k < as.length; k++) sum += as[k];
    return sum / (as.length - from);
  };

  /** Normalises, discretises and median-snaps downsampled sample k; shifts it into fWindow. */
  const levelize = (raw: number, k: number): number => {
    let ds = raw - dmin;
    if (dmax - dmin !== 0) ds /= dmax - dmin;
    let level = Math.min(P.nlevels, Math.max(0, roundHalfEven(ds * P.nlevels)));
    medbin[level]++;
    const medpos = k >> 1;
    if (k === 1) medlevel = level;
    if (medlevel > level) belowmed++;
    else if (medlevel < level) abovemed++;
    if (medpos < abovemed) {
      belowmed += medbin[medlevel];
      medlevel++;
      while (medbin[medlevel] === 0) medlevel++;
      abovemed -= medbin[medlevel];
    } else if (medpos < belowmed) {
      abovemed += medbin[medlevel];
      medlevel--;
      while (medbin[medlevel] === 0) medlevel--;
      belowmed -= medbin[medlevel];
    }
    if (Math.abs(level / P.nlevels - medlevel / P.nlevels) < P.discretizeChomp) level = medlevel;
    lastLevel = level;
    fWindow.copyWithin(0, 1);
    fWindow[P.window - 1] = level;
    return level;
  };

  /**
   * End of an online probation: the range becomes the probation's (widened by `margin` of
   * its span each side) and the buffered samples are levelled with it, as NAB mode levels
   * them with the file's range; later values outside it clamp to the extreme levels.
   */
  const freezeRange = (): void => {
    const span = dmax - dmin;
    dmin -= margin * span;
    dmax += margin * span;
    probationRaw.forEach((raw, j) => probationLevels.push(levelize(raw, j + 1)));
    probationRaw = [];
  };

  const processFeatures = (k: number): number => {
    if (k < trendWindow) return 0;
    if (k === trendWindow) {
      const levels = probationLevels;
      const feats = levels.map((_, j) => featuresAt(levels, j + 1, new Int32Array(DIM)).slice());
      const rho = initRho(feats.slice(P.window - 1, trendWindow));
      art.rhoLb = rho;
      art.rhoUb = rho;
      feats.forEach((f, j) => detect(f, j + 1));
      probationLevels = [];
      return 0;
    }
    return detect(featuresAt(fWindow, P.window, features), k);
  };

  const detector = {
    name: 'artime' as const,
    push(t: number, v: number): number {
      lastScore = 0;
      if (!Number.isFinite(v)) return 0;
      if (!fixedRange && dsi <= trendWindow) {
        if (v < dmin) dmin = v;
        if (v > dmax) dmax = v;
      }
      if ((i - 1) % sstep === 0) windowStart = t;
      dsWindow.copyWithin(0, 1);
      dsWindow[sstep - 1] = v;
      let anomaly = 0;
      if (i % sstep === 0) {
        let sum = 0;
        let max = -Infinity;
        let min = Infinity;
        for (let k = 0; k < sstep; k++) {
          const x = dsWindow[k];
          sum += x;
          if (x > max) max = x;
          if (x < min) min = x;
        }
        const mean = sum / sstep;
        if (dsi === 1) dsMovingAverage = mean;
        dsMovingAverage = (dsMovingAverage + mean) / 2;
        let ds = max;
        if (Math.abs(max - dsMovingAverage) < Math.abs(min - dsMovingAverage)) ds = min;
        if (Math.abs(ds - mean) < 0.1 * mean) ds = mean;
        if (fixedRange || dsi > trendWindow) {
          const level = levelize(ds, dsi);
          if (dsi <= trendWindow) probationLevels.push(level);
        } else {
          probationRaw.push(ds);
          if (dsi === trendWindow) freezeRange();
        }
        anomaly = processFeatures(dsi);
        dsi++;
      }
      i++;
      lastScore = anomaly;
      return anomaly;
    },
    observe(t: number, v: number): number {
      return detector.push(t, v);
    },
    evidence: () => lastScore,
    learning: () => dsi <= trendWindow,
    explainLast(): ARTimeExplanation {
      const band = art.band();
      const scale = (x: number) => dmin + x * (dmax - dmin);
      return {
        similarity: art.a,
        vigilance: art.rhoLb,
        level: scale(lastLevel / P.nlevels),
        expected: band && { low: scale(band.low), high: scale(band.high) },
        since: windowStart
      };
    },
    state: (): ARTimeState => ({
      v: 1,
      fixedRange,
      dmin,
      dmax,
      probation,
      sstep,
      trendWindow,
      maxCategories,
      i,
      dsi,
      dsWindow: Array.from(dsWindow),
      dsMovingAverage,
      medbin: Array.from(medbin),
      medlevel,
      belowmed,
      abovemed,
      fWindow: Array.from(fWindow),
      probationLevels: probationLevels.slice(),
      probationRaw: probationRaw.slice(),
      margin,
      rhoLb: art.rhoLb,
      rhoUb: art.rhoUb,
      rhoUbMean,
      rhoUbCount,
      simWindow: encode(new Uint8Array(simWindow.slice().buffer)),
      simDiffWindow: encode(new Uint8Array(simDiffWindow.slice().buffer)),
      ringHead,
      lastAnomalyI,
      lastAnomalySim,
      lastRhoUpdateI,
      maskAfterCat,
      noNewCatCount,
      historySum,
      historyLast,
      historyCount,
      weights: encode(new Uint8Array(art.weights.slice(0, art.count * DIM).buffer)),
      used: encode(new Uint8Array(art.used.slice(0, art.count).buffer)),
      lastA: art.a,
      lastAe: art.ae,
      lastBest: art.best,
      lastLevel,
      windowStart
    })
  };
  return detector;
}
