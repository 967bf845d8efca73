/**
 * What bounding CAD-OSE's context memory does to its state and to its faithfulness: for
 * each cap, the largest serialised (JSON) state over the run, and the correlation and
 * largest difference against NAB's published contextOSE scores, given NAB's range and
 * probation as the faithfulness test does (five local files that run unbounded in seconds).
 * Baseline, same run: the unbounded detector (the published algorithm).
 *
 * Run: npx tsx bench/cadose-bound.bench.ts   (CADOSE_CAPS=5000,1000,250,60)
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCadOseDetector } from '../src/lib/analytics/detectors/cadose';
import { emit, skip } from './lib';
import { loadNabCorpus, resolveNabFolder } from './nab/load';
import { compareScores, loadPublished } from './nab/published';
import { computeProbationLength } from './nab/scorer';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FILES = [
  'artificialWithAnomaly/art_daily_flatmiddle.csv',
  'artificialWithAnomaly/art_load_balancer_spikes.csv',
  'realKnownCause/ec2_request_latency_system_failure.csv',
  'realKnownCause/rogue_agent_key_hold.csv',
  'realKnownCause/ambient_temperature_system_failure.csv'
];
const CAPS = (process.env.CADOSE_CAPS ?? '5000,1000,250,60').split(',').map(Number);
/** States are sampled every this many points (serialising every point would dominate). */
const SAMPLE_EVERY = 250;

const folder = resolveNabFolder(repoRoot);
if (!folder) skip('anomaly.cadose_bound', 'NAB fixtures not found');
else {
  const corpus = loadNabCorpus(folder).filter((f) => FILES.includes(f.name));
  const runCap = (cap: number) => {
    let worstCorrelation = 1;
    let worstDiff = 0;
    let maxBytes = 0;
    for (const f of corpus) {
      let min = Infinity;
      let max = -Infinity;
      for (const x of f.v) {
        min = Math.min(min, x);
        max = Math.max(max, x);
      }
      const d = createCadOseDetector({
        range: { min, max },
        probation: computeProbationLength(f.v.length),
        maxContexts: cap
      });
      const ours = Array.from(f.v, (v, i) => {
        const s = d.push(f.t[i], v);
        if (i % SAMPLE_EVERY === 0 || i === f.v.length - 1)
          maxBytes = Math.max(maxBytes, JSON.stringify(d.state()).length);
        return s;
      });
      const c = compareScores(ours, loadPublished('contextOSE', f.name)!.score);
      worstCorrelation = Math.min(worstCorrelation, c.correlation);
      worstDiff = Math.max(worstDiff, c.maxDiff);
    }
    return { worstCorrelation, worstDiff, maxBytes };
  };
  const unbounded = runCap(Infinity);
  for (const cap of CAPS) {
    const r = runCap(cap);
    emit({
      name: `anomaly.cadose_bound.${cap}`,
      value: r.maxBytes,
      unit: 'bytes (largest JSON state)',
      baseline: unbounded.maxBytes,
      baselineKind: 'unbounded (published) context memory',
      worstCorrelation: r.worstCorrelation,
      worstMaxDiff: r.worstDiff,
      unboundedWorstCorrelation: unbounded.worstCorrelation,
      unboundedWorstMaxDiff: unbounded.worstDiff,
      files: corpus.length
    });
  }
}
