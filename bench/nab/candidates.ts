/**
 * The candidates for the default anomaly detector, compared on the NAB subset without tuning
 * to it: each candidate's parameters are fixed (published or the module's defaults), its
 * threshold is the only thing chosen, and leave-one-category-out shows how a choice made on
 * two categories holds on the third. Also scores the published detectors' own outputs
 * (bench/nab/results) with the same scorer, and measures the default detector's state size.
 */
import {
  createDetector,
  DEFAULT_DETECTOR,
  DetectorRegistry,
  type DetectorName
} from '../../src/lib/analytics/anomaly';
import { createARTimeDetector } from '../../src/lib/analytics/detectors/artime';
import { createCadOseDetector } from '../../src/lib/analytics/detectors/cadose';
import {
  computeLogLikelihood,
  createAnomalyLikelihood
} from '../../src/lib/analytics/detectors/likelihood';
import { emit } from '../lib';
import type { NabFile } from './load';
import { loadPublished, type PublishedDetector } from './published';
import {
  computeProbationLength,
  NabProfiles,
  normaliseScore,
  scoreFile,
  sweepThreshold
} from './scorer';

type Scorer = (file: NabFile) => Float64Array;

const run = (file: NabFile, push: (t: number, v: number) => number): Float64Array => {
  const out = new Float64Array(file.v.length);
  for (let i = 0; i < file.v.length; i++) out[i] = push(file.t[i], file.v[i]);
  return out;
};

const rangeOf = (v: Float64Array) => {
  let min = Infinity;
  let max = -Infinity;
  for (const x of v) {
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  return { min, max };
};

/** CAD-OSE's context memory in the bench: unbounded, art_noisy alone takes minutes. */
const BENCH_CADOSE_CONTEXTS = 5000;

/** CAD-OSE's raw score through Numenta's likelihood stage, as NAB's Numenta detector does. */
function scoreCadOseLikelihood(f: NabFile, compact: boolean): Float64Array {
  const d = createCadOseDetector({ maxContexts: BENCH_CADOSE_CONTEXTS });
  const l = createAnomalyLikelihood({ learningPeriod: 375, estimationSamples: 375, compact });
  return run(f, (t, v) => {
    d.push(t, v);
    return computeLogLikelihood(l.update(v, d.rawScore()));
  });
}

/**
 * Candidates. `online: false` marks the NAB-mode references, which read the file's range
 * and length as NAB hands them to detectors: not usable in the engine, shown for fidelity.
 */
export const Candidates: Record<string, { online: boolean; score: Scorer }> = {
  // The default (ARTime, MAD during its probation): its parameters and threshold are published.
  [DEFAULT_DETECTOR]: {
    online: true,
    score: (f) => run(f, createDetector().push)
  },
  ensemble: {
    online: true,
    score: (f) => {
      const d = createDetector({ detector: 'ensemble' });
      return run(f, d.push);
    }
  },
  artime: {
    online: true,
    score: (f) => {
      const d = createDetector({ detector: 'artime' });
      return run(f, d.push);
    }
  },
  'artime-margin0': {
    online: true,
    score: (f) => run(f, createARTimeDetector({ margin: 0 }).push)
  },
  'artime-margin0.5': {
    online: true,
    score: (f) => run(f, createARTimeDetector({ margin: 0.5 }).push)
  },
  'artime-uncapped': {
    online: true,
    score: (f) => run(f, createARTimeDetector({ maxCategories: 1e6 }).push)
  },
  // Online, but reads the file's length (as NAB hands it), which a stream does not have.
  'artime-filelength': {
    online: false,
    score: (f) => run(f, createARTimeDetector({ length: f.v.length, maxCategories: 1e6 }).push)
  },
  'cadose-capped': {
    online: true,
    score: (f) => run(f, createCadOseDetector({ maxContexts: BENCH_CADOSE_CONTEXTS }).push)
  },
  'cadose-likelihood': { online: true, score: (f) => scoreCadOseLikelihood(f, false) },
  // The likelihood stage with its window as block moments (state ≤ 6 KB instead of ~130 KB).
  'cadose-likelihood-compact': { online: true, score: (f) => scoreCadOseLikelihood(f, true) },
  'artime-nab': {
    online: false,
    score: (f) =>
      run(
        f,
        createARTimeDetector({ range: rangeOf(f.v), length: f.v.length, maxCategories: 1e6 }).push
      )
  },
  'cadose-nab-capped': {
    online: false,
    score: (f) =>
      run(
        f,
        createCadOseDetector({
          range: rangeOf(f.v),
          probation: computeProbationLength(f.v.length),
          maxContexts: BENCH_CADOSE_CONTEXTS
        }).push
      )
  }
};

const categoryOf = (f: NabFile) => f.name.split('/')[0];

/** Score of `files` at a fixed threshold: normalised when they have windows, else raw. */
function scoreAt(
  files: { scores: Float64Array; windows: NabFile['windows'] }[],
  threshold: number
): number {
  const profile = NabProfiles.standard;
  let raw = 0;
  let windows = 0;
  for (const file of files) {
    raw += scoreFile({ file, profile, threshold }).score;
    windows += file.windows.length;
  }
  return windows > 0 ? normaliseScore({ raw, windowCount: windows, profile }) : raw;
}

function sweep(files: { scores: Float64Array; windows: NabFile['windows'] }[]) {
  return sweepThreshold({ files, profile: NabProfiles.standard });
}

/**
 * Every candidate's standard-profile score per category (at its own 18-file threshold),
 * then leave-one-category-out: on the two categories kept, pick the online candidate and
 * threshold that score best, and score the third with them. artificialNoAnomaly has no
 * windows, so its figure is the raw score (0 is perfect: no false positives).
 */
export function benchCandidates(corpus: NabFile[], only?: string[]): void {
  const categories = [...new Set(corpus.map(categoryOf))];
  const scored = new Map<string, { scores: Float64Array; windows: NabFile['windows'] }[]>();
  const candidates = Object.entries(Candidates).filter(([name]) => !only || only.includes(name));
  for (const [name, c] of candidates) {
    const t0 = performance.now();
    const files = corpus.map((f) => ({ scores: c.score(f), windows: f.windows, name: f.name }));
    scored.set(name, files);
    const all = sweep(files);
    const perCategory: Record<string, number> = {};
    for (const cat of categories) {
      perCategory[cat] = scoreAt(
        files.filter((f) => f.name.startsWith(`${cat}/`)),
        all.threshold
      );
    }
    emit({
      name: `anomaly.candidate.${name}`,
      value: all.normalised,
      unit: 'score',
      threshold: all.threshold,
      online: c.online,
      perCategory,
      ms: Math.round(performance.now() - t0)
    });
  }
  for (const held of categories) {
    let best = { name: '', threshold: 1.1, score: -Infinity };
    for (const [name, c] of candidates) {
      if (!c.online) continue;
      const files = scored.get(name)!;
      const train = files.filter((_, i) => categoryOf(corpus[i]) !== held);
      const r = sweep(train);
      if (r.normalised > best.score) best = { name, threshold: r.threshold, score: r.normalised };
    }
    const test = scored.get(best.name)!.filter((_, i) => categoryOf(corpus[i]) === held);
    const perCandidate: Record<string, number> = {};
    for (const [name, c] of candidates) {
      if (!c.online) continue;
      const files = scored.get(name)!;
      const r = sweep(files.filter((_, i) => categoryOf(corpus[i]) !== held));
      perCandidate[name] = scoreAt(
        files.filter((_, i) => categoryOf(corpus[i]) === held),
        r.threshold
      );
    }
    emit({
      name: `anomaly.loco.${held}`,
      value: scoreAt(test, best.threshold),
      unit: held === 'artificialNoAnomaly' ? 'raw score' : 'score',
      chosen: best.name,
      threshold: best.threshold,
      trainScore: best.score,
      perCandidate
    });
  }
  const ours = scored.get(DEFAULT_DETECTOR);
  if (!ours) return;
  // The default needs no fold: its threshold is ARTime's published one, chosen on none of
  // these files, so each category's score at it is already a held-out figure.
  const fixed = DetectorRegistry[DEFAULT_DETECTOR].threshold;
  const perCategory: Record<string, number> = {};
  for (const cat of categories) {
    perCategory[cat] = scoreAt(
      ours.filter((_, i) => categoryOf(corpus[i]) === cat),
      fixed
    );
  }
  emit({
    name: 'anomaly.default.published_threshold',
    value: scoreAt(ours, fixed),
    unit: 'score',
    detector: DEFAULT_DETECTOR,
    threshold: fixed,
    perCategory
  });
}

/** NAB scores, on these files and this scorer, of the published detectors' own outputs. */
export function benchPublished(corpus: NabFile[]): void {
  for (const detector of ['ARTime', 'contextOSE', 'numenta'] as PublishedDetector[]) {
    const files = corpus.map((f) => ({
      scores: loadPublished(detector, f.name)?.score ?? new Float64Array(f.v.length),
      windows: f.windows
    }));
    emit({
      name: `anomaly.published.${detector}`,
      value: sweep(files).normalised,
      unit: 'score',
      threshold: sweep(files).threshold
    });
  }
}

/**
 * Largest serialised (JSON) state of the default detector and of ARTime, sampled through
 * every file; for the default also the largest during its warm-up (MAD's state included).
 */
export function benchStateSize(corpus: NabFile[]): void {
  for (const detector of [DEFAULT_DETECTOR, 'artime'] as const) {
    const { max, end, warmup } = measureState(corpus, detector);
    const name =
      detector === DEFAULT_DETECTOR ? 'anomaly.state_bytes' : `anomaly.state_bytes.${detector}`;
    emit({ name, value: max, unit: 'bytes', atEnd: end, duringWarmup: warmup, detector });
  }
}

function measureState(
  corpus: NabFile[],
  detector: DetectorName
): { max: number; end: number; warmup: number } {
  let max = 0;
  let end = 0;
  let warmup = 0;
  for (const f of corpus) {
    const d = createDetector({ detector });
    for (let i = 0; i < f.v.length; i++) {
      d.push(f.t[i], f.v[i]);
      if (i % 97 !== 0 && i !== 749) continue;
      const state = d.state();
      const size = JSON.stringify(state).length;
      if ((state.inner as { mad?: unknown }).mad) warmup = Math.max(warmup, size);
      else max = Math.max(max, size);
    }
    const size = JSON.stringify(d.state()).length;
    max = Math.max(max, size);
    end = Math.max(end, size);
  }
  return { max, end, warmup };
}
