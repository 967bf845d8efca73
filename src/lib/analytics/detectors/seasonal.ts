import { FLAT_EPSILON, computeTwoSidedScore, type OnlineDetector } from './common';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** Mean absolute deviation of a normal is σ·√(2/π); this turns an MAE into a σ. */
const MAE_TO_SIGMA = Math.sqrt(Math.PI / 2);

/**
 * Seasonal residuals: daily and weekly profiles keyed by time slot (UTC; the caller shifts
 * `t` by its zone offset if local hours matter), each slot an exponential mean learned
 * online. `slotRate` is how fast a slot forgets old days; `memory` sets the error scale's.
 * Slots are 5 minutes so 5-minute data gets one slot per point: with 15-minute slots the
 * NAB score swung between 72.4 and 79.8 depending only on where the clock's quarter hours
 * fell relative to the samples; at 5 minutes it is 74.1 at every phase.
 */
export const SeasonalDefaults = {
  slotMs: 5 * 60_000,
  slotRate: 0.5,
  levelRate: 0.05,
  memory: 300,
  clip: 0,
  /** Errors a profile must have made before its MAE is trusted to pick it (and scale z). */
  minModelErrors: 30,
  sigmas: 3,
  minPoints: 10
} as const;

/** Score at which the seasonal detector fires: P(|Z| < 3). */
export const SEASONAL_THRESHOLD = computeTwoSidedScore(SeasonalDefaults.sigmas);

export type SeasonalModel = 'level' | 'daily' | 'weekly';

export interface SeasonalState {
  slotMs: number;
  slotRate: number;
  levelRate: number;
  memory: number;
  clip: number;
  minModelErrors: number;
  n: number;
  level: number;
  daily: number[];
  dailyCount: number[];
  weekly: number[];
  weeklyCount: number[];
  /** Mean absolute error of each model: level, daily, weekly. */
  mae: number[];
  maeCount: number[];
  model: SeasonalModel;
  z: number;
}

export interface SeasonalOptions {
  slotMs?: number;
  slotRate?: number;
  levelRate?: number;
  memory?: number;
  /**
   * Largest residual, in σ, a profile slot learns from one point; 0 (default) learns all.
   * Clipping stops a spike echoing a day later, but on NAB it cost 6–8 points because real
   * level changes then take days to absorb, so it is opt-in.
   */
  clip?: number;
  minModelErrors?: number;
  state?: SeasonalState;
}

/**
 * Seasonal-residual detector. Three predictors run side by side: the recent level, the daily
 * profile's slot and the weekly profile's slot; the one with the lowest running mean absolute
 * error (among those that have seen this slot) predicts, and the residual in units of that
 * model's error scale is the z. So a series without a cycle falls back to the level and a
 * weekly pattern is used once it beats the daily one. Non-finite t or v score 0 and are not
 * learned. O(1) per point; O(slots per week) memory (2,304 numbers at 5-minute slots).
 * @example
 * const d = createSeasonalDetector();
 * // feed 5 days of a daily cycle, then a value off the cycle at its usual time scores ≈ 1
 */
export function createSeasonalDetector(
  options: SeasonalOptions = {}
): OnlineDetector<SeasonalState> & {
  assess(t: number, v: number): number;
  learn(t: number, v: number, clipSigmas?: number): void;
  model(): SeasonalModel;
  predict(t: number): number;
  /** The prediction and σ the last `assess` compared with (undefined while learning). */
  expectation(): { centre: number; sigma: number } | undefined;
} {
  const s = options.state;
  const slotMs = s?.slotMs ?? options.slotMs ?? SeasonalDefaults.slotMs;
  const slotRate = s?.slotRate ?? options.slotRate ?? SeasonalDefaults.slotRate;
  const levelRate = s?.levelRate ?? options.levelRate ?? SeasonalDefaults.levelRate;
  const memory = s?.memory ?? options.memory ?? SeasonalDefaults.memory;
  const clip = s?.clip ?? options.clip ?? SeasonalDefaults.clip;
  const minModelErrors =
    s?.minModelErrors ?? options.minModelErrors ?? SeasonalDefaults.minModelErrors;
  const daySlots = Math.max(1, Math.round(DAY_MS / slotMs));
  const weekSlots = daySlots * 7;
  const daily = new Float64Array(daySlots);
  const dailyCount = new Float64Array(daySlots);
  const weekly = new Float64Array(weekSlots);
  const weeklyCount = new Float64Array(weekSlots);
  if (s) {
    daily.set(s.daily);
    dailyCount.set(s.dailyCount);
    weekly.set(s.weekly);
    weeklyCount.set(s.weeklyCount);
  }
  let n = s?.n ?? 0;
  let level = s?.level ?? 0;
  const mae = new Float64Array(s?.mae ?? [0, 0, 0]);
  const maeCount = new Float64Array(s?.maeCount ?? [0, 0, 0]);
  let model: SeasonalModel = s?.model ?? 'level';
  let z = s?.z ?? 0;
  const models: SeasonalModel[] = ['level', 'daily', 'weekly'];

  const weekSlotOf = (t: number): number => {
    let w = t % WEEK_MS;
    if (w < 0) w += WEEK_MS;
    return Math.min(weekSlots - 1, Math.floor(w / slotMs));
  };

  const choose = (di: number, wi: number): number => {
    let best = 0;
    if (dailyCount[di] > 0 && maeCount[1] >= minModelErrors && mae[1] < mae[best]) best = 1;
    if (weeklyCount[wi] > 0 && maeCount[2] > daySlots && mae[2] < mae[best]) best = 2;
    return best;
  };

  let pointClip = clip;
  const clipResidual = (r: number, err: number, count: number): number => {
    if (pointClip <= 0 || count < SeasonalDefaults.minPoints || !(err > 0)) return r;
    const limit = pointClip * err * MAE_TO_SIGMA;
    return r > limit ? limit : r < -limit ? -limit : r;
  };

  let pending = false;
  let pendingWi = 0;
  const predictions = new Float64Array(3);
  let lastCentre = NaN;
  let lastSigma = NaN;
  const has = new Uint8Array(3);

  const detector = {
    name: 'seasonal' as const,
    push(t: number, v: number): number {
      return computeTwoSidedScore(detector.observe(t, v));
    },
    observe(t: number, v: number): number {
      const evidence = detector.assess(t, v);
      detector.learn(t, v);
      return evidence;
    },
    /**
     * First half of `observe`: the evidence for (t, v) without learning it. Follow it with
     * `learn(t, v)` for the same point (or with nothing, to leave the point out of the model).
     */
    assess(t: number, v: number): number {
      z = 0;
      pending = false;
      lastCentre = NaN;
      if (!Number.isFinite(v) || !Number.isFinite(t)) return 0;
      const wi = weekSlotOf(t);
      const di = wi % daySlots;
      pendingWi = wi;
      pending = true;
      predictions[0] = level;
      predictions[1] = daily[di];
      predictions[2] = weekly[wi];
      if (n >= SeasonalDefaults.minPoints) {
        const best = choose(di, wi);
        model = models[best];
        // Same as computeDeviation(computeCleanSpread(...)), inlined: this is the hot path and
        // bundlers may route imported calls through live-binding getters.
        const centre = predictions[best];
        const spread = mae[best] * MAE_TO_SIGMA;
        lastCentre = centre;
        lastSigma = spread;
        const d = Math.abs(v - centre);
        z = spread > FLAT_EPSILON * (1 + Math.abs(centre)) ? d / spread : d === 0 ? 0 : Infinity;
      }
      return z;
    },
    /**
     * Second half of `observe`: learns the point last passed to `assess`. `clipSigmas`
     * overrides the profile clip for this point only (the ensemble passes a small one for a
     * point that raised an alarm, so the anomaly does not echo at the same time tomorrow).
     */
    learn(_t: number, v: number, clipSigmas?: number): void {
      if (!pending) return;
      pending = false;
      pointClip = clip;
      // Hold an alarm point back only if the level model finds it surprising too: a spike is,
      // but an echo of an earlier spike (a normal value against a polluted slot) is not, and
      // must be learnt in full so the slot recovers.
      if (clipSigmas !== undefined && Math.abs(v - level) > clipSigmas * mae[0] * MAE_TO_SIGMA) {
        pointClip = clipSigmas;
      }
      const wi = pendingWi;
      const di = wi % daySlots;
      // Each model's error counts only where it had a prediction to make.
      has[0] = n > 0 ? 1 : 0;
      has[1] = dailyCount[di] > 0 ? 1 : 0;
      has[2] = weeklyCount[wi] > 0 ? 1 : 0;
      // A profile learns an outlier only up to `clip` σ of its own error, so one anomaly does
      // not come back as a false alarm at the same time tomorrow or next week.
      dailyCount[di]++;
      daily[di] +=
        Math.max(1 / dailyCount[di], slotRate) * clipResidual(v - daily[di], mae[1], maeCount[1]);
      weeklyCount[wi]++;
      weekly[wi] +=
        Math.max(1 / weeklyCount[wi], slotRate) * clipResidual(v - weekly[wi], mae[2], maeCount[2]);
      for (let m = 0; m < 3; m++) {
        if (!has[m]) continue;
        maeCount[m]++;
        const a = Math.max(1 / maeCount[m], 1 / memory);
        mae[m] += a * (Math.abs(v - predictions[m]) - mae[m]);
      }
      n++;
      level = n === 1 ? v : level + levelRate * (v - level);
    },
    evidence: () => z,
    model: () => model,
    expectation: () =>
      Number.isNaN(lastCentre) ? undefined : { centre: lastCentre, sigma: lastSigma },
    predict(t: number): number {
      const wi = weekSlotOf(t);
      const di = wi % daySlots;
      predictions[0] = level;
      predictions[1] = daily[di];
      predictions[2] = weekly[wi];
      return predictions[choose(di, wi)];
    },
    state: () => ({
      slotMs,
      slotRate,
      levelRate,
      memory,
      clip,
      minModelErrors,
      n,
      level,
      daily: Array.from(daily),
      dailyCount: Array.from(dailyCount),
      weekly: Array.from(weekly),
      weeklyCount: Array.from(weeklyCount),
      mae: [mae[0], mae[1], mae[2]],
      maeCount: [maeCount[0], maeCount[1], maeCount[2]],
      model,
      z
    })
  };
  return detector;
}
