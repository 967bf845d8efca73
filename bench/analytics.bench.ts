/**
 * Analytics benchmarks on deterministic generated data (mulberry32 PRNG).
 *
 * - analytics.usage_ms: computeUsageAnalytics over 1,000,000 executions, comprehensive,
 *   everything included. Baseline: a naive version of the same figures (boxed-number
 *   Array.sort per percentile, one filter pass per figure, Intl per execution for days).
 * - analytics.resultlog_full_ms: the four result-log views over 1,000,000 events.
 *   Baseline: the same views with naive per-bucket Array.sort and string keys.
 * - analytics.resultlog_incremental_ms: adding 10,000 events to those views and reading
 *   all four. Baseline: a full recompute over 1,010,000 events.
 */
import type { ResultEvent } from '../src/lib/types';
import { DAY_MS, HOUR_MS } from '../src/lib/types';
import { ResultLogViews } from '../src/lib/analytics/resultlog';
import { computeUsageAnalytics, type Execution } from '../src/lib/analytics/usage';
import { emit, median, timeRuns } from './lib';
import { makeResultEvents as makeEvents, mulberry32 } from './resultlog-events';

const START = Date.UTC(2026, 9, 1);
const N = 1_000_000;
const clock = () => performance.now();

function makeExecutions(n: number): Execution[] {
  const rnd = mulberry32(42);
  const span = 90 * DAY_MS;
  const out: Execution[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = rnd();
    out[i] = {
      t: START + Math.floor((i / n) * span),
      success: r > 0.07,
      durationMs: Math.round(-Math.log(1 - rnd()) * 200 * 10) / 10,
      qualityScore: rnd(),
      contextType: 'ctx' + (i % 12),
      agent: 'agent' + (i % 5),
      project: 'project' + (i % 40),
      fileType: ['ts', 'py', 'md', 'json'][i % 4],
      timedOut: r < 0.01,
      qualityGateFailed: r > 0.98,
      userId: 'u' + Math.floor(rnd() * 2000)
    };
  }
  return out;
}

/**
 * The obvious implementation. Its day key is the UTC date from `toISOString` — cheaper
 * than the zone-aware days of the real code (an `Intl` call per execution took over 20 s
 * under load), so the baseline errs in its own favour.
 */
function naiveUsage(execs: Execution[], from: number, to: number) {
  const w = execs.filter((e) => e.t >= from && e.t < to);
  const success = w.filter((e) => e.success).length;
  const timeouts = w.filter((e) => e.timedOut).length;
  const gates = w.filter((e) => e.qualityGateFailed).length;
  const d = w.map((e) => e.durationMs).filter((x) => Number.isFinite(x));
  const pct = (q: number) => {
    const s = [...d].sort((a, b) => a - b);
    return s[Math.floor((s.length - 1) * q)];
  };
  const byDay = new Map<string, number>();
  for (const e of w) {
    const k = new Date(e.t).toISOString().slice(0, 10);
    byDay.set(k, (byDay.get(k) ?? 0) + 1);
  }
  const dist = (f: (e: Execution) => string | undefined) => {
    const keys = [...new Set(w.map(f))];
    return keys.map((k) => [k, w.filter((e) => f(e) === k).length]);
  };
  return [
    success,
    timeouts,
    gates,
    pct(0.5),
    pct(0.95),
    pct(0.99),
    d.reduce((a, b) => (b < a ? b : a), Infinity),
    byDay.size,
    new Set(w.map((e) => e.userId)).size,
    dist((e) => e.contextType),
    dist((e) => e.agent),
    dist((e) => e.project),
    dist((e) => e.fileType)
  ];
}

function benchUsage() {
  const execs = makeExecutions(N);
  const windowStart = START;
  const windowEnd = START + 90 * DAY_MS;
  const run = () =>
    computeUsageAnalytics({
      entityId: 'bench',
      windowStart,
      windowEnd,
      windowType: 'quarterly',
      granularity: 'comprehensive',
      include: { trends: true, performance: true, distribution: true, predictions: true },
      executions: execs,
      timeZone: 'Europe/London',
      clock
    });
  run();
  const times = timeRuns(run, { minMs: 1500, minRuns: 3 });
  const baseline = median(
    timeRuns(() => naiveUsage(execs, windowStart, windowEnd), {
      minMs: 0,
      minRuns: 1
    })
  );
  emit({
    name: 'analytics.usage_ms',
    value: median(times),
    unit: 'ms',
    baseline,
    target: 500,
    executions: N,
    runs: times.length
  });
}

function readAll(v: ResultLogViews, now: number) {
  return (
    v.readHourly().length +
    v.readTriggers().length +
    v.readRecentFailures({ now }).length +
    v.readDistribution({ now }).length
  );
}

/** Same four views, the obvious way: string keys, boxed arrays, Array.sort per read. */
function naiveViews(events: ResultEvent[], now: number) {
  const hourly = new Map<string, number[]>();
  const triggers = new Map<string, number[]>();
  for (const e of events) {
    const h = Math.floor(e.t / HOUR_MS) * HOUR_MS + '|' + e.actionType;
    (hourly.get(h) ?? hourly.set(h, []).get(h)!).push(e.durationMs);
    const k = (e.organisationId ?? '') + '|' + e.triggerId;
    (triggers.get(k) ?? triggers.set(k, []).get(k)!).push(e.durationMs);
  }
  const pcts = (d: number[]) => {
    const s = [...d].sort((a, b) => a - b);
    return [0.5, 0.95, 0.99].map((q) => s[Math.floor((s.length - 1) * q)]);
  };
  let rows = 0;
  for (const d of hourly.values()) rows += pcts(d).length;
  for (const d of triggers.values()) rows += pcts(d).length;
  const failures = events.filter((e) => e.status !== 'success' && e.t >= now - DAY_MS).slice(-1000);
  const dist = new Map<string, number>();
  for (const e of events.filter((x) => x.t >= now - 30 * DAY_MS)) {
    dist.set(e.actionType, (dist.get(e.actionType) ?? 0) + 1);
  }
  return rows + failures.length + dist.size;
}

function benchResultLog() {
  // 1M events over ~35 days, then 10k more continuing the same stream.
  const step = 3_000;
  const base = makeEvents(N, 7, START, step);
  const more = makeEvents(10_000, 8, START + N * step, step);
  const nowBase = START + N * step;
  const nowMore = nowBase + 10_000 * step;

  // Each round builds the views of 1M events (the full figure) and then adds 10k more
  // (the incremental figure), so the million-event build is not paid twice.
  const full: number[] = [];
  const incremental: number[] = [];
  // Warm-up on a small log so the incremental paths are compiled before they are timed.
  for (let w = 0; w < 3; w++) {
    const v = new ResultLogViews({ clock });
    v.apply(base.slice(0, 50_000), { now: START + 50_000 * step });
    readAll(v, START + 50_000 * step);
    v.apply(base.slice(50_000, 51_000), { now: START + 51_000 * step });
    readAll(v, START + 51_000 * step);
  }
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    const v = new ResultLogViews({ clock });
    v.apply(base, { now: nowBase });
    readAll(v, nowBase);
    const t1 = performance.now();
    v.apply(more, { now: nowMore });
    readAll(v, nowMore);
    const t2 = performance.now();
    full.push(t1 - t0);
    incremental.push(t2 - t1);
    if (v.size !== N + 10_000) throw new Error('incremental apply lost events');
  }
  const naiveFull = timeRuns(() => naiveViews(base, nowBase), { minMs: 0, minRuns: 1 });
  emit({
    name: 'analytics.resultlog_full_ms',
    value: median(full),
    unit: 'ms',
    baseline: median(naiveFull),
    target: 1000,
    events: N
  });

  const all = base.concat(more);
  const recompute = timeRuns(
    () => {
      const v = new ResultLogViews({ clock });
      v.apply(all, { now: nowMore });
      readAll(v, nowMore);
    },
    { minMs: 0, minRuns: 1 }
  );
  emit({
    name: 'analytics.resultlog_incremental_ms',
    value: median(incremental),
    unit: 'ms',
    baseline: median(recompute),
    target: 20,
    added: 10_000,
    existing: N
  });
}

benchUsage();
benchResultLog();
