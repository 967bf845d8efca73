import { computeNormalTail, type OnlineDetector } from './common';
import { createEwmaDetector, type EwmaState } from './ewma';
import { createMadDetector, type MadState } from './mad';
import {
  createSeasonalDetector,
  type SeasonalModel,
  type SeasonalOptions,
  type SeasonalState
} from './seasonal';

/**
 * The default detector. Each member turns a point into evidence (an unsigned z of its
 * prediction error); the ensemble turns each member's evidence into an anomaly likelihood the
 * way Numenta's HTM detector does (Ahmad et al. 2017, "Unsupervised real-time anomaly
 * detection for streaming data"): the mean of the last `shortWindow` raw errors is compared
 * with the distribution of that mean over the last ~`longWindow` points, likelihood =
 * 1 − tail probability. That calibrates every series to its own history, so one threshold
 * fits all. The reported score is Numenta's log-likelihood, −log10(1 − L) / 10, which spreads
 * the interesting region near L = 1 over [0, 1]. A second, one-point channel (see `spike`)
 * catches isolated spikes immediately. After a fire the score is held at 0 for
 * `refractory` points: an alarm that is already raised says nothing new.
 */
export const EnsembleDefaults = {
  shortWindow: 10,
  longWindow: 8640,
  learning: 150,
  evidenceCap: 5,
  minSigma: 0.02,
  refractory: 150,
  threshold: 0.5,
  /**
   * Weight of the one-point channel: log(1 + evidence) of this point alone against its own
   * history, so a huge isolated spike fires at once instead of waiting for the 10-point mean
   * (which caps evidence at `evidenceCap` σ). 0 disables it; < 1 keeps ordinary heavy tails quiet.
   */
  spike: 0.75,
  /**
   * A point that raised an alarm is learnt into the seasonal profiles only up to this many σ,
   * so a spike does not echo at the same time tomorrow; clipping rather than skipping lets a
   * profile that an earlier spike did pollute still recover. 0 learns it in full.
   */
  alarmClip: 2,
  /**
   * Members whose likelihood competes for the score. The seasonal member (itself a choice
   * between level, daily and weekly predictors) measured best alone on the NAB subset (74.1);
   * adding the raw-value EWMA member gave 72.4 and MAD 60.3 (its MAD is 0 on mostly-zero
   * series such as rogue_agent_key_*, so every non-zero value looks infinitely surprising),
   * so they are opt-in.
   */
  members: ['seasonal'] as readonly EnsembleMember[]
} as const;

export type EnsembleMember = 'seasonal' | 'ewma' | 'mad';

const MEMBERS: readonly EnsembleMember[] = ['seasonal', 'ewma', 'mad'];
const LOG_DENOMINATOR = Math.log(1e-10);

export interface EnsembleOptions {
  shortWindow?: number;
  longWindow?: number;
  learning?: number;
  evidenceCap?: number;
  minSigma?: number;
  refractory?: number;
  threshold?: number;
  spike?: number;
  alarmClip?: number;
  members?: EnsembleMember[];
  /** Options of the seasonal member (slot width, rates); kept in its own state on resume. */
  seasonal?: Omit<SeasonalOptions, 'state'>;
  state?: EnsembleState;
}

interface Likelihood {
  ring: number[];
  head: number;
  sum: number;
  count: number;
  n: number;
  mean: number;
  variance: number;
  spikeMean: number;
  spikeVariance: number;
}

/** Why the last point scored what it did: the leading member, its model and its evidence (σ). */
export interface EnsembleExplanation {
  member: EnsembleMember;
  model?: SeasonalModel;
  evidence: number;
  /** The seasonal member's band (prediction ± 3σ) and the value it judged. */
  expected?: { low: number; high: number };
  observed?: number;
  /** Epoch ms of the first point of the current run of points outside that band. */
  since?: number;
}

/** Half-width of the band an explanation reports, in σ of the seasonal prediction. */
const BAND_SIGMAS = 3;

export interface EnsembleState {
  config: Required<Omit<EnsembleOptions, 'state' | 'seasonal'>>;
  seasonal: SeasonalState;
  ewma: EwmaState;
  mad: MadState;
  likelihoods: Likelihood[];
  cooldown: number;
  leader: EnsembleMember;
  /** Start of the current run of points outside the seasonal band (absent: none). */
  outsideSince?: number;
}

/**
 * Creates the ensemble detector (see EnsembleDefaults). `leader()` names the member whose
 * likelihood was highest at the last point — the detector that fired. Non-finite values score
 * 0 and are not learned. O(members) per point; O(slots per week + shortWindow) memory.
 * @example
 * const d = createEnsembleDetector();
 * const score = d.push(Date.UTC(2024, 0, 1), 42); // 0 during the learning period
 */
export function createEnsembleDetector(
  options: EnsembleOptions = {}
): OnlineDetector<EnsembleState> & {
  leader(): EnsembleMember;
  explain(): EnsembleExplanation;
} {
  const s = options.state;
  const config: Required<Omit<EnsembleOptions, 'state' | 'seasonal'>> = s
    ? { ...s.config }
    : {
        shortWindow: options.shortWindow ?? EnsembleDefaults.shortWindow,
        longWindow: options.longWindow ?? EnsembleDefaults.longWindow,
        learning: options.learning ?? EnsembleDefaults.learning,
        evidenceCap: options.evidenceCap ?? EnsembleDefaults.evidenceCap,
        minSigma: options.minSigma ?? EnsembleDefaults.minSigma,
        refractory: options.refractory ?? EnsembleDefaults.refractory,
        threshold: options.threshold ?? EnsembleDefaults.threshold,
        spike: options.spike ?? EnsembleDefaults.spike,
        alarmClip: options.alarmClip ?? EnsembleDefaults.alarmClip,
        members: (options.members ?? EnsembleDefaults.members).slice()
      };
  const seasonal = createSeasonalDetector({ ...options.seasonal, state: s?.seasonal });
  const members: OnlineDetector[] = [
    seasonal,
    createEwmaDetector({ state: s?.ewma }),
    createMadDetector({ state: s?.mad })
  ];
  const likelihoods: Likelihood[] = s
    ? structuredClone(s.likelihoods)
    : MEMBERS.map(() => ({
        ring: new Array<number>(config.shortWindow).fill(0),
        head: 0,
        sum: 0,
        count: 0,
        n: 0,
        mean: 0,
        variance: 0,
        spikeMean: 0,
        spikeVariance: 0
      }));
  let cooldown = s?.cooldown ?? 0;
  let leader: EnsembleMember = s?.leader ?? 'seasonal';
  let outsideSince = s?.outsideSince ?? NaN;
  let lastValue = NaN;
  let lastEvidence = 0;
  let lastZ = 0;

  const memberOn = MEMBERS.map((m) => config.members.includes(m));

  /**
   * Feeds one member's capped evidence into its short/long windows and returns its
   * standardised short-window mean (−Infinity while learning). The likelihood 1 − Q(z) is
   * monotone in z, so only the winning member's tail is computed.
   */
  const standardise = (m: number, raw: number, rawEvidence: number): number => {
    const lk = likelihoods[m];
    if (lk.count === config.shortWindow) lk.sum -= lk.ring[lk.head];
    else lk.count++;
    lk.ring[lk.head] = raw;
    lk.sum += raw;
    lk.head = lk.head + 1 === config.shortWindow ? 0 : lk.head + 1;
    const avg = lk.sum / lk.count;
    let z = -Infinity;
    if (lk.n >= config.learning) {
      z = (avg - lk.mean) / Math.max(Math.sqrt(lk.variance), config.minSigma);
    }
    lk.n++;
    const a = Math.max(1 / lk.n, 1 / config.longWindow);
    const d = avg - lk.mean;
    lk.mean += a * d;
    lk.variance = (1 - a) * (lk.variance + a * d * d);
    if (config.spike > 0) {
      const x = Math.log1p(rawEvidence);
      if (lk.n > config.learning) {
        const zs =
          (config.spike * (x - lk.spikeMean)) /
          Math.max(Math.sqrt(lk.spikeVariance), config.minSigma);
        if (zs > z) z = zs;
      }
      if (Number.isFinite(x)) {
        const ds = x - lk.spikeMean;
        lk.spikeMean += a * ds;
        lk.spikeVariance = (1 - a) * (lk.spikeVariance + a * ds * ds);
      }
    }
    return z;
  };

  const detector = {
    name: 'ensemble' as const,
    push(t: number, v: number): number {
      lastEvidence = 0;
      lastZ = 0;
      lastValue = v;
      if (!Number.isFinite(v)) return 0;
      let bestZ = -Infinity;
      for (let m = 0; m < members.length; m++) {
        if (!memberOn[m]) continue;
        // The seasonal member learns the point only once we know it did not raise an alarm.
        const e = m === 0 ? seasonal.assess(t, v) : members[m].observe(t, v);
        if (m === 0) {
          if (e <= BAND_SIGMAS) outsideSince = NaN;
          else if (Number.isNaN(outsideSince)) outsideSince = t;
        }
        const z = standardise(m, Math.min(e, config.evidenceCap) / config.evidenceCap, e);
        if (z > bestZ) {
          bestZ = z;
          leader = MEMBERS[m];
          lastEvidence = e;
        }
      }
      lastZ = Math.max(0, bestZ);
      // Errors no larger than usual (z ≤ 0) are not evidence at all: score exactly 0.
      const best = bestZ > 0 ? 1 - computeNormalTail(bestZ) : 0;
      let score = Math.min(1, Math.max(0, Math.log(1.0000000001 - best) / LOG_DENOMINATOR));
      let fired = false;
      if (cooldown > 0) {
        cooldown--;
        score = 0;
      } else if (score >= config.threshold) {
        cooldown = config.refractory;
        fired = true;
      }
      if (memberOn[0]) seasonal.learn(t, v, fired ? config.alarmClip : undefined);
      return score;
    },
    observe(t: number, v: number): number {
      detector.push(t, v);
      return lastZ;
    },
    evidence: () => lastEvidence,
    leader: () => leader,
    explain: (): EnsembleExplanation => {
      if (leader !== 'seasonal') return { member: leader, evidence: lastEvidence };
      const out: EnsembleExplanation = {
        member: leader,
        model: seasonal.model(),
        evidence: lastEvidence
      };
      const x = seasonal.expectation();
      if (x && Number.isFinite(lastValue)) {
        out.expected = {
          low: x.centre - BAND_SIGMAS * x.sigma,
          high: x.centre + BAND_SIGMAS * x.sigma
        };
        out.observed = lastValue;
        if (!Number.isNaN(outsideSince)) out.since = outsideSince;
      }
      return out;
    },
    state: () => ({
      config: { ...config },
      seasonal: members[0].state() as SeasonalState,
      ewma: members[1].state() as EwmaState,
      mad: members[2].state() as MadState,
      likelihoods: structuredClone(likelihoods),
      cooldown,
      leader,
      ...(Number.isNaN(outsideSince) ? {} : { outsideSince })
    })
  };
  return detector;
}
