/**
 * Anomaly detection: one registry of online detectors (one module each under ./detectors),
 * a streaming form the engine feeds as buckets close (`createDetector`), and the batch form
 * other code calls (`detectAnomalies`), which is a loop over the streaming form so both give
 * identical scores. Every score uses only the points before and at its index.
 */
import type { OnlineDetector, DetectorName } from './detectors/common';
import {
  createEnsembleDetector,
  EnsembleDefaults,
  type EnsembleExplanation,
  type EnsembleOptions
} from './detectors/ensemble';
import { createARTimeDetector, ARTIME_THRESHOLD } from './detectors/artime';
import { createCadOseDetector, CADOSE_THRESHOLD } from './detectors/cadose';
import { createEwmaDetector, EWMA_THRESHOLD } from './detectors/ewma';
import { createIqrDetector, IQR_THRESHOLD } from './detectors/iqr';
import { createMadDetector, MAD_THRESHOLD } from './detectors/mad';
import { createSeasonalDetector, SEASONAL_THRESHOLD } from './detectors/seasonal';
import { createZScoreDetector, Z_SCORE_THRESHOLD } from './detectors/zscore';
import { createWarmupDetector, WARMUP_THRESHOLD, type WarmupExplanation } from './detectors/warmup';

export type { DetectorName } from './detectors/common';

/**
 * The default detector: ARTime with its published parameters and threshold (the best
 * published NAB detector, not tuned to our files), with the EWMA chart scoring ARTime's
 * 750-point probation (see detectors/warmup.ts). The ensemble, tuned to the local NAB files,
 * stays available by name.
 */
export const DEFAULT_DETECTOR: DetectorName = 'artime-warmup';

/** Score at or above which the default detector reports an anomaly. */
export const DEFAULT_ANOMALY_THRESHOLD = WARMUP_THRESHOLD;

interface RegistryEntry {
  threshold: number;
  create(state?: unknown, ensemble?: EnsembleOptions): OnlineDetector & Partial<Explaining>;
}

interface Explaining {
  explain(): EnsembleExplanation | WarmupExplanation;
  /** What the detector expected at the last point, for detectors that model a band. */
  explainLast(): {
    level: number;
    expected: { low: number; high: number } | undefined;
    since: number;
  };
}

/**
 * Every detector behind one signature, with the score at which it fires. Adding a detector
 * is one line here plus its module. States are each module's own plain-data state.
 */
export const DetectorRegistry: Record<DetectorName, RegistryEntry> = {
  zscore: {
    threshold: Z_SCORE_THRESHOLD,
    create: (s) => createZScoreDetector({ state: s as never })
  },
  iqr: { threshold: IQR_THRESHOLD, create: (s) => createIqrDetector({ state: s as never }) },
  mad: { threshold: MAD_THRESHOLD, create: (s) => createMadDetector({ state: s as never }) },
  ewma: { threshold: EWMA_THRESHOLD, create: (s) => createEwmaDetector({ state: s as never }) },
  seasonal: {
    threshold: SEASONAL_THRESHOLD,
    create: (s) => createSeasonalDetector({ state: s as never })
  },
  ensemble: {
    threshold: EnsembleDefaults.threshold,
    create: (s, ensemble) => createEnsembleDetector({ ...ensemble, state: s as never })
  },
  artime: {
    threshold: ARTIME_THRESHOLD,
    create: (s) => createARTimeDetector({ state: s as never })
  },
  cadose: {
    threshold: CADOSE_THRESHOLD,
    create: (s) => createCadOseDetector({ state: s as never })
  },
  'artime-warmup': {
    threshold: WARMUP_THRESHOLD,
    create: (s) => createWarmupDetector({ state: s as never })
  }
};

export interface AnomalyOptions {
  /** Which detector scores; default DEFAULT_DETECTOR (ARTime with a warm-up). */
  detector?: DetectorName;
  /** Score at or above which a point is an anomaly; default the detector's own threshold. */
  threshold?: number;
  /** Tuning for the ensemble (ignored by the others); defaults are EnsembleDefaults. */
  ensemble?: Omit<EnsembleOptions, 'state'>;
  /** A state returned by `state()` of a previous detector: resume from it. */
  state?: AnomalyDetectorState;
}

export interface AnomalyExplanation {
  detector: DetectorName;
  model?: 'level' | 'daily' | 'weekly';
  evidence: number;
  /** The band the detector expected the (downsampled) value in, in the series' units. */
  expected?: { low: number; high: number };
  /** The value the detector judged, and its signed distance from the expected band. */
  observed?: number;
  departure?: number;
  /** Epoch ms of the first point the judged value summarises (ARTime: its window). */
  since?: number;
}

/** Serialisable (structured-clone and JSON safe) snapshot of a streaming detector. */
export interface AnomalyDetectorState {
  detector: DetectorName;
  inner: unknown;
}

export interface StreamingAnomalyDetector {
  readonly detector: DetectorName;
  readonly threshold: number;
  /** Scores (t, v) from everything pushed before, then learns it. Score in [0, 1]. */
  push(t: number, v: number): number;
  /** Which detector explains the last point best: the ensemble's leading member, or itself. */
  contributor(): DetectorName;
  /** The contributor plus, for the seasonal member, which profile predicted, and the evidence in σ. */
  explain(): AnomalyExplanation;
  state(): AnomalyDetectorState;
}

/**
 * Signed distance of x from the band [low, high]: 0 inside, x − high above, x − low below.
 * O(1).
 * @example computeBandDeparture(12, { low: 0, high: 10 }) // 2
 */
export function computeBandDeparture(x: number, band: { low: number; high: number }): number {
  if (x > band.high) return x - band.high;
  if (x < band.low) return x - band.low;
  return 0;
}

/**
 * Creates a streaming detector for the engine to feed point by point (e.g. as 1-minute
 * buckets close); `state()` can be persisted and passed back as `options.state` to resume
 * exactly where it stopped. Non-finite values score 0 and are not learned. O(1) per point.
 * @example
 * const d = createDetector();
 * const score = d.push(Date.UTC(2024, 0, 1), 12.5);
 * const saved = d.state(); // store it; createDetector({ state: saved }) continues
 */
export function createDetector(options: AnomalyOptions = {}): StreamingAnomalyDetector {
  const name = options.state?.detector ?? options.detector ?? DEFAULT_DETECTOR;
  const entry = DetectorRegistry[name];
  if (!entry) throw new Error(`unknown anomaly detector "${name}"`);
  const resumed = (options.state?.inner as { config?: { threshold?: number } } | undefined)?.config;
  const threshold =
    options.threshold ?? options.ensemble?.threshold ?? resumed?.threshold ?? entry.threshold;
  // The ensemble's refractory period keys off the same threshold the caller reports at.
  const inner = entry.create(options.state?.inner, { ...options.ensemble, threshold });
  const explain = (): AnomalyExplanation => {
    if (inner.explainLast) {
      const e = inner.explainLast();
      const out: AnomalyExplanation = { detector: name, evidence: inner.evidence() };
      if (e.expected) {
        out.expected = { ...e.expected };
        out.observed = e.level;
        out.departure = computeBandDeparture(e.level, e.expected);
      }
      if (Number.isFinite(e.since)) out.since = e.since;
      return out;
    }
    if (!inner.explain) return { detector: name, evidence: inner.evidence() };
    const e = inner.explain();
    const out: AnomalyExplanation =
      'model' in e && e.model
        ? { detector: e.member, model: e.model, evidence: e.evidence }
        : { detector: e.member, evidence: e.evidence };
    if (e.expected && e.observed !== undefined) {
      out.expected = e.expected;
      out.observed = e.observed;
      out.departure = computeBandDeparture(e.observed, e.expected);
    }
    if (e.since !== undefined) out.since = e.since;
    return out;
  };
  return {
    detector: name,
    threshold,
    push: (t, v) => inner.push(t, v),
    contributor: () => (inner.explain ? inner.explain().member : name),
    explain,
    state: () => ({ detector: name, inner: inner.state() })
  };
}

/**
 * Scores every point of a series online (score[i] uses points 0..i only) and lists the
 * indices whose score reaches the threshold, each with the detector that contributed most.
 * `t` is epoch ms, ascending with ties allowed (a backward step does not throw). NaN and
 * ±Infinity values score 0 and do not affect later scores. Empty input gives empty output.
 * O(n) time, O(1) detector memory besides the output.
 * @example
 * const t = Float64Array.from({ length: 500 }, (_, i) => i * 60_000);
 * const v = Float64Array.from(t, (_, i) => (i === 400 ? 50 : Math.sin(i / 10)));
 * detectAnomalies({ t, v }).anomalies; // [400]
 */
export function detectAnomalies(
  series: { t: Float64Array; v: Float64Array },
  options: AnomalyOptions = {}
): { score: Float64Array; anomalies: number[]; contributors: DetectorName[] } {
  const n = Math.min(series.t.length, series.v.length);
  const detector = createDetector(options);
  const score = new Float64Array(n);
  const anomalies: number[] = [];
  const contributors: DetectorName[] = [];
  for (let i = 0; i < n; i++) {
    const s = detector.push(series.t[i], series.v[i]);
    score[i] = s;
    if (s >= detector.threshold) {
      anomalies.push(i);
      contributors.push(detector.contributor());
    }
  }
  return { score, anomalies, contributors };
}
