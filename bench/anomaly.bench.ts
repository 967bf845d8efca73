/**
 * Anomaly detection on the labelled NAB subset (../shared/fixtures/nab or TIDEMARK_FIXTURES):
 * NAB scores of the default detector per profile (threshold by the exhaustive sweep), with
 * the plain z-score detector's scores as the baseline; every candidate's score per category
 * and the leave-one-category-out folds (see ./nab/candidates); the published detectors'
 * own outputs scored the same way; throughput in points per second against a plain rolling
 * z-score loop measured in the same run; and the default detector's serialised state size.
 * Run: npx tsx bench/anomaly.bench.ts (BENCH_CANDIDATES=0 skips the candidate comparison,
 * BENCH_CANDIDATES=artime-warmup,artime,ensemble compares only those;
 * ANOMALY_DETECTOR=artime scores that registry entry instead of the default in the NAB figures)
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDetector, DEFAULT_DETECTOR, type DetectorName } from '../src/lib/analytics/anomaly';
import { emit, median, skip, timeRuns } from './lib';
import { loadNabCorpus, resolveNabFolder, type NabFile } from './nab/load';
import { NabProfiles, sweepThreshold, type NabProfileName } from './nab/scorer';
import { benchCandidates, benchPublished, benchStateSize } from './nab/candidates';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const FIGURES: Record<NabProfileName, string> = {
  standard: 'anomaly.nab_standard',
  reward_low_FP_rate: 'anomaly.nab_low_fp',
  reward_low_FN_rate: 'anomaly.nab_low_fn'
};

/** Window of the plain rolling z-score used as the throughput baseline. */
const BASELINE_WINDOW = 100;

function scoreCorpus(corpus: NabFile[], detector: DetectorName): Float64Array[] {
  return corpus.map((file) => {
    const d = createDetector({ detector });
    const out = new Float64Array(file.v.length);
    for (let i = 0; i < file.v.length; i++) out[i] = d.push(file.t[i], file.v[i]);
    return out;
  });
}

/** The naive job for comparison: a rolling mean/σ over a ring buffer, |z| as the score. */
function runPlainZScore(t: Float64Array, v: Float64Array, out: Float64Array): void {
  const ring = new Float64Array(BASELINE_WINDOW);
  let head = 0;
  let count = 0;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    const mean = count ? sum / count : 0;
    const sd = count ? Math.sqrt(Math.max(0, sumSq / count - mean * mean)) : 0;
    out[i] = sd > 0 ? Math.abs(x - mean) / sd : 0;
    if (count === BASELINE_WINDOW) {
      sum -= ring[head];
      sumSq -= ring[head] * ring[head];
    } else count++;
    ring[head] = x;
    sum += x;
    sumSq += x * x;
    head = (head + 1) % BASELINE_WINDOW;
  }
  void t;
}

function makeSyntheticCorpus(): NabFile[] {
  // Used for throughput only when the fixtures are absent: 5-minute points, a daily cycle,
  // deterministic noise.
  const n = 100_000;
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  let seed = 12345;
  for (let i = 0; i < n; i++) {
    seed = (seed * 16807) % 2147483647;
    t[i] = Date.UTC(2024, 0, 1) + i * 300_000;
    v[i] = 50 + 10 * Math.sin((2 * Math.PI * i) / 288) + (seed / 2147483647 - 0.5) * 4;
  }
  return [{ name: 'synthetic', t, v, windows: [] }];
}

function benchNab(corpus: NabFile[]): void {
  const detector = (process.env.ANOMALY_DETECTOR as DetectorName | undefined) ?? DEFAULT_DETECTOR;
  const ours = scoreCorpus(corpus, detector);
  const baseline = scoreCorpus(corpus, 'zscore');
  for (const profileName of Object.keys(FIGURES) as NabProfileName[]) {
    const profile = NabProfiles[profileName];
    const a = sweepThreshold({
      files: corpus.map((f, i) => ({ scores: ours[i], windows: f.windows })),
      profile
    });
    const b = sweepThreshold({
      files: corpus.map((f, i) => ({ scores: baseline[i], windows: f.windows })),
      profile
    });
    emit({
      name: FIGURES[profileName],
      value: a.normalised,
      unit: 'score',
      baseline: b.normalised,
      detector,
      threshold: a.threshold,
      baselineThreshold: b.threshold,
      files: corpus.length,
      windows: corpus.reduce((s, f) => s + f.windows.length, 0)
    });
  }
}

function benchThroughput(corpus: NabFile[]): void {
  const points = corpus.reduce((s, f) => s + f.v.length, 0);
  const sink = corpus.map((f) => new Float64Array(f.v.length));
  const plain = timeRuns(() => corpus.forEach((f, k) => runPlainZScore(f.t, f.v, sink[k])), {
    minMs: 1000,
    minRuns: 5
  });
  // The default detector (ARTime with a MAD warm-up) and the plain ARTime port.
  const figures: [string, DetectorName][] = [
    ['anomaly.points_per_s', DEFAULT_DETECTOR],
    ['anomaly.points_per_s.artime', 'artime']
  ];
  for (const [name, detector] of figures) {
    const runs = timeRuns(
      () => {
        corpus.forEach((f, k) => {
          const d = createDetector({ detector });
          const out = sink[k];
          for (let i = 0; i < f.v.length; i++) out[i] = d.push(f.t[i], f.v[i]);
        });
      },
      { minMs: 1500, minRuns: 5 }
    );
    emit({
      name,
      value: points / (median(runs) / 1000),
      unit: 'points/s',
      baseline: points / (median(plain) / 1000),
      points
    });
  }
}

const folder = resolveNabFolder(repoRoot);
if (folder) {
  const corpus = loadNabCorpus(folder);
  benchNab(corpus);
  benchThroughput(corpus);
  benchStateSize(corpus);
  benchPublished(corpus);
  const only = process.env.BENCH_CANDIDATES;
  if (only !== '0') benchCandidates(corpus, only && only !== '1' ? only.split(',') : undefined);
} else {
  const reason = 'NAB fixtures not found (../shared/fixtures/nab or TIDEMARK_FIXTURES)';
  for (const name of Object.values(FIGURES)) skip(name, reason);
  benchThroughput(makeSyntheticCorpus());
}
