/**
 * The default detector: ARTime with its published parameters, plus a warm-up. ARTime learns
 * its first 750 points as a batch and scores them 0; at 1-minute buckets that is 12.5 h in
 * which a new series would have no detection at all. During that time the median/MAD
 * detector scores instead; once ARTime has learnt its probation, ARTime alone scores and the
 * MAD state is dropped.
 *
 * Why MAD (chosen on its properties, not on a NAB score): the modified z-score of Iglewicz &
 * Hoaglin (1993), |x − median| / (MAD / 0.6745) ≥ 3.5, is the textbook robust outlier rule;
 * it judges each point on its own, so the slow swings and daily shapes that monitoring data is
 * full of do not fire it, and a spike does not widen its own yardstick. The 2σ rolling z-score
 * fires on ~4.6 % of normal points (dozens of alarms per warm-up) and its σ is inflated by the
 * very spikes it should catch; the EWMA chart assumes independent points, and on
 * autocorrelated data (a slow sine) it fires on every swing. MAD's known weakness: when more
 * than half the values so far are equal (a counter that is mostly 0) its spread is 0 and any
 * other value fires; the warm-up uses the documented remedy (σ from 1.253314 · MeanAD when
 * MAD is 0, see mad.ts). Still, no detector without a season can know a daily shape before
 * its first day: on a series flat all night the first morning fires (measured in the bench).
 */
import { ARTIME_THRESHOLD, createARTimeDetector, type ARTimeState } from './artime';
import { computeTwoSidedScore, type DetectorName, type OnlineDetector } from './common';
import { createMadDetector, MadDefaults, MAD_THRESHOLD, type MadState } from './mad';

/** Score at which the default fires: ARTime's published threshold (MAD's is mapped onto it). */
export const WARMUP_THRESHOLD = ARTIME_THRESHOLD;

export interface WarmupState {
  v: 1;
  artime: ARTimeState;
  /** MAD during ARTime's probation; absent once ARTime scores alone. */
  mad?: MadState;
  /** Epoch ms of the first point of MAD's current run outside its band, else null. */
  runStart?: number | null;
}

/** Why the last point scored: which detector scored it and the band it judged against. */
export interface WarmupExplanation {
  member: DetectorName;
  evidence: number;
  expected?: { low: number; high: number };
  observed?: number;
  since?: number;
}

/**
 * Maps MAD's score onto ARTime's scale, monotonically and within [0, 1], so that MAD's own
 * threshold lands on ARTime's: one threshold for the whole life of a series. O(1).
 * @example mapWarmupScore(MAD_THRESHOLD) // ARTIME_THRESHOLD
 */
export function mapWarmupScore(score: number): number {
  if (score < MAD_THRESHOLD) return (score / MAD_THRESHOLD) * WARMUP_THRESHOLD;
  return (
    WARMUP_THRESHOLD + ((score - MAD_THRESHOLD) / (1 - MAD_THRESHOLD)) * (1 - WARMUP_THRESHOLD)
  );
}

/**
 * Creates the default detector: ARTime, with MAD scoring ARTime's probation. Both learn every
 * point during the probation; afterwards only ARTime runs. O(1) per point besides ARTime's own
 * cost; state ARTime's (≤ ~5 KB) plus ~1 KB for MAD during the warm-up, ARTime's alone after.
 * @example
 * const d = createWarmupDetector();
 * for (let i = 0; i < 100; i++) d.push(i * 60_000, i % 3);
 * d.push(100 * 60_000, 40); // fires: MAD scores while ARTime still learns
 */
export function createWarmupDetector(
  options: { state?: WarmupState } = {}
): OnlineDetector<WarmupState> & {
  explain(): WarmupExplanation;
  /** True while MAD scores (ARTime is still in its probation). */
  warming(): boolean;
} {
  const s = options.state;
  const artime = createARTimeDetector({ state: s?.artime });
  let mad = s && !s.mad ? null : createMadDetector({ state: s?.mad, meanAdFallback: true });
  let runStart: number | null = s?.runStart ?? null;
  let lastValue = NaN;
  const detector = {
    name: 'artime-warmup' as const,
    push(t: number, v: number): number {
      const score = artime.push(t, v);
      if (!mad) return score;
      const z = mad.observe(t, v);
      if (Number.isFinite(v)) {
        runStart = z >= MadDefaults.sigmas ? (runStart ?? t) : null;
        lastValue = v;
      }
      if (artime.learning()) return mapWarmupScore(computeTwoSidedScore(z));
      // ARTime has learnt its probation: it scores this point and, alone, every later one.
      mad = null;
      runStart = null;
      return score;
    },
    observe(t: number, v: number): number {
      return detector.push(t, v);
    },
    evidence: () => (mad ? mad.evidence() : artime.evidence()),
    warming: () => mad !== null,
    explain(): WarmupExplanation {
      if (mad) {
        const out: WarmupExplanation = { member: 'mad', evidence: mad.evidence() };
        const band = mad.band();
        if (band) {
          out.expected = band;
          out.observed = lastValue;
        }
        if (runStart !== null) out.since = runStart;
        return out;
      }
      const e = artime.explainLast();
      const out: WarmupExplanation = { member: 'artime', evidence: artime.evidence() };
      if (e.expected) {
        out.expected = { ...e.expected };
        out.observed = e.level;
      }
      if (Number.isFinite(e.since)) out.since = e.since;
      return out;
    },
    state: (): WarmupState =>
      mad
        ? { v: 1, artime: artime.state(), mad: mad.state(), runStart }
        : { v: 1, artime: artime.state() }
  };
  return detector;
}
