/**
 * The analyst questions on 1,000,000 result-log events (issue 23: p95 ≤ 10 ms).
 *
 * All figures are CPU time (see `time`).
 *
 * - analytics.question_ms.<name>: p95 of one answer from `ResultLogIndex` (incremental
 *   state), the engine's default parameters, unscoped; `p50` beside it. Between rounds 200
 *   new events are folded in, so every answer is computed afresh from the state as it
 *   grows, never read from a cache. Baseline: the full re-scan (`resultlog-queries`) of
 *   the same question over the same events in the same run (p95 of its runs; `baselineP50`).
 * - analytics.question_org_ms.<name>: the same for one organisation's scope.
 * - analytics.question_range_ms.slowestTriggers: a dashboard's last-24-hours range, which
 *   re-scans only the range's events (found by the time index). Baseline: filtering every
 *   event for the range, then the same re-scan (what the engine did before).
 * - analytics.index_build_ms: folding the 1M events into views + index, against the views
 *   alone (the state the questions add).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { DAY_MS } from '../src/lib/types';
import { ResultLogViews } from '../src/lib/analytics/resultlog';
import {
  ResultLogIndex,
  createRescanAnswers,
  type ResultLogAnswers
} from '../src/lib/analytics/resultlog-index';
import { cpuMs, emit, median, percentile } from './lib';
import { makeResultEvents } from './resultlog-events';

const N = 1_000_000;
const STEP = 3_000;
const START = Date.UTC(2026, 9, 1);
const ZONE = 'Europe/London';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const RESCAN_RUNS = Number(process.env.BENCH_RESCAN_RUNS ?? 3);

// A full collection after each fold (and before each re-scan), so an answer is not charged
// for the garbage the fold left (the heap holds a million events; a major GC costs tens of
// ms). Garbage the answers make themselves is collected while they are timed.
v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;

type Ask = (a: ResultLogAnswers, now: number, org?: string) => unknown;

/** Each question as the engine asks it by default (engine/analytics.ts `Queries`). */
const Questions: Record<string, Ask> = {
  successRateOverTime: (a, _now, org) =>
    a.computeSuccessRateOverTime({ organisationId: org, interval: 'hour', timeZone: ZONE }),
  slowestTriggers: (a, _now, org) => a.findSlowestTriggers({ organisationId: org }),
  latencyHistogram: (a, _now, org) => a.computeLatencyHistogram({ organisationId: org }),
  slaViolations: (a, _now, org) =>
    a.findSlaViolations({ organisationId: org, thresholdsMs: {}, defaultThresholdMs: 1_000 }),
  errorsByTrigger: (a, _now, org) => a.computeErrorsByTrigger({ organisationId: org }),
  topErrorMessages: (a, _now, org) => a.findTopErrorMessages({ organisationId: org }),
  failureRateByActionType: (a, _now, org) =>
    a.computeFailureRateByActionType({ organisationId: org }),
  lowSuccessTriggers: (a, _now, org) => a.findLowSuccessTriggers({ organisationId: org }),
  mostActiveTriggers: (a, _now, org) => a.findMostActiveTriggers({ organisationId: org }),
  idleTriggers: (a, now, org) => a.findIdleTriggers({ organisationId: org, now }),
  highRetryTriggers: (a, _now, org) => a.findHighRetryTriggers({ organisationId: org }),
  hourlyThroughput: (a, _now, org) =>
    a.computeHourlyThroughput({ organisationId: org, timeZone: ZONE }),
  peakHours: (a, _now, org) => a.findPeakHours({ organisationId: org, timeZone: ZONE }),
  weekOverWeekGrowth: (a, now, org) => a.computeWeekOverWeekGrowth({ organisationId: org, now }),
  organisationUsage: (a, _now, org) => a.computeOrganisationUsage({ organisationId: org }),
  overallHealth: (a, now, org) => a.computeOverallHealth({ organisationId: org, now })
};

/**
 * CPU time (user + system) of one call, ms: the bench machine is shared (load averages of
 * 20+ on two cores were seen), and wall time there measures the neighbours as much as this
 * code. GC done during the call, on any thread, is included.
 */
function time(fn: () => void): number {
  const t0 = cpuMs();
  fn();
  return cpuMs() - t0;
}

function main() {
  const base = makeResultEvents(N, 7, START, STEP);
  const more = makeResultEvents(ROUNDS * 200, 8, START + N * STEP, STEP);
  let now = START + N * STEP;

  const viewsOnly = time(() => new ResultLogViews({ timeZone: ZONE }).apply(base, { now }));
  const index = new ResultLogIndex({ timeZone: ZONE });
  const build = time(() => index.apply(base, { now }));
  emit({
    name: 'analytics.index_build_ms',
    value: build,
    unit: 'ms',
    baseline: viewsOnly,
    events: N
  });

  for (const scope of [undefined, 'org-3']) {
    const answered = new Map<string, number[]>(Object.keys(Questions).map((k) => [k, []]));
    for (let r = 0; r < ROUNDS; r++) {
      index.apply(more.slice(r * 200, (r + 1) * 200), { now: (now += 200 * STEP) });
      collect();
      for (const [name, ask] of Object.entries(Questions)) {
        answered.get(name)!.push(time(() => ask(index, now, scope)));
      }
    }
    const rescan = createRescanAnswers(index.events);
    for (const [name, ask] of Object.entries(Questions)) {
      const baseline: number[] = [];
      for (let r = 0; r < RESCAN_RUNS; r++) {
        collect();
        baseline.push(time(() => ask(rescan, now, scope)));
      }
      const times = answered.get(name)!;
      emit({
        name: `analytics.${scope ? 'question_org_ms' : 'question_ms'}.${name}`,
        value: percentile(times, 95),
        unit: 'ms',
        baseline: percentile(baseline, 95),
        p50: median(times),
        baselineP50: median(baseline),
        target: 10,
        events: index.events.length,
        runs: times.length,
        baselineRuns: baseline.length
      });
    }
  }

  // A dashboard's last-24-hours range: only the range is re-scanned.
  const ranged: number[] = [];
  const filtered: number[] = [];
  const range = { from: now - DAY_MS, to: now };
  for (let r = 0; r < 10; r++) {
    ranged.push(time(() => createRescanAnswers(index.select(range)).findSlowestTriggers({})));
    filtered.push(
      time(() =>
        createRescanAnswers(
          index.events.filter((e) => e.t >= range.from && e.t <= range.to)
        ).findSlowestTriggers({})
      )
    );
  }
  emit({
    name: 'analytics.question_range_ms.slowestTriggers',
    value: percentile(ranged, 95),
    unit: 'ms',
    baseline: percentile(filtered, 95),
    p50: median(ranged),
    baselineP50: median(filtered),
    target: 10,
    rangeEvents: index.select(range).length,
    events: index.events.length
  });
}

main();
