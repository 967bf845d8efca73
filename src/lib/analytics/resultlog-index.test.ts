import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ResultEvent } from '$lib/types';
import { ResultLogIndex } from './resultlog-index';
import * as Q from './resultlog-queries';

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** A Sunday; the stream spans the DST change of 2026-10-25 in Europe/London. */
const T0 = Date.UTC(2026, 9, 11, 0, 0, 0);
const ZONE = 'Europe/London';

const arbEvent: fc.Arbitrary<ResultEvent> = fc.record(
  {
    // Three weeks, on whole hours and minutes often (bucket and week edges), sometimes not finite.
    t: fc.oneof(
      { weight: 20, arbitrary: fc.integer({ min: 0, max: 21 * 24 }).map((h) => T0 + h * HOUR) },
      {
        weight: 20,
        arbitrary: fc.integer({ min: 0, max: 21 * DAY }).map((ms) => T0 + ms)
      },
      { weight: 1, arbitrary: fc.constant(Number.NaN) }
    ),
    actionType: fc.constantFrom('email', 'sms', 'http', '', undefined as unknown as string),
    status: fc.constantFrom(
      'success',
      'SUCCESS',
      'failure',
      'timeout',
      '',
      undefined as unknown as string
    ),
    durationMs: fc.oneof(
      fc.integer({ min: 0, max: 3_000 }),
      fc.constantFrom(0, 100, 100, 2_000, null as unknown as number, -1, Number.NaN)
    ),
    triggerId: fc.constantFrom('a', 'b', 'c', 'd', '', undefined),
    organisationId: fc.constantFrom('o1', 'o2', '', undefined),
    retries: fc.constantFrom(0, 0, 1, 3, -1, undefined),
    errorMessage: fc.constantFrom(
      undefined,
      '',
      'Timeout after 3000 ms',
      'Timeout after 12 ms',
      'boom "job-7"',
      'boom "job-8"'
    )
  },
  { requiredKeys: ['t'] }
) as fc.Arbitrary<ResultEvent>;

/** Splits `events` at the given cut points (batches of any size, some empty). */
function split<T>(events: T[], cuts: number[]): T[][] {
  const at = [...new Set(cuts.map((c) => Math.floor(c * events.length)))].sort((a, b) => a - b);
  const out: T[][] = [];
  let from = 0;
  for (const c of at) {
    out.push(events.slice(from, c));
    from = c;
  }
  out.push(events.slice(from));
  return out;
}

/** Every question, asked of the index and re-scanned over the same events. */
function compareAll(index: ResultLogIndex, events: ResultEvent[], p: Params) {
  const scope = { organisationId: p.org };
  const zoned = { ...scope, timeZone: p.zone };
  const pairs: [string, unknown, unknown][] = [
    [
      'successRateOverTime',
      index.computeSuccessRateOverTime({ ...zoned, interval: p.interval, actionType: p.action }),
      Q.computeSuccessRateOverTime(events, { ...zoned, interval: p.interval, actionType: p.action })
    ],
    [
      'slowestTriggers',
      index.findSlowestTriggers({ ...scope, limit: p.limit, minExecutions: p.minExecutions }),
      Q.findSlowestTriggers(events, { ...scope, limit: p.limit, minExecutions: p.minExecutions })
    ],
    [
      'latencyHistogram',
      index.computeLatencyHistogram({ ...scope, bucketsMs: p.bounds }),
      Q.computeLatencyHistogram(events, { ...scope, bucketsMs: p.bounds })
    ],
    [
      'slaViolations',
      index.findSlaViolations({ ...scope, ...p.sla, limit: p.limit }),
      Q.findSlaViolations(events, { ...scope, ...p.sla, limit: p.limit })
    ],
    [
      'errorsByTrigger',
      index.computeErrorsByTrigger({ ...scope, limit: p.limit }),
      Q.computeErrorsByTrigger(events, { ...scope, limit: p.limit })
    ],
    [
      'topErrorMessages',
      index.findTopErrorMessages({ ...scope, limit: p.limit }),
      Q.findTopErrorMessages(events, { ...scope, limit: p.limit })
    ],
    [
      'failureRateByActionType',
      index.computeFailureRateByActionType(scope),
      Q.computeFailureRateByActionType(events, scope)
    ],
    [
      'lowSuccessTriggers',
      index.findLowSuccessTriggers({ ...scope, threshold: 0.7, minExecutions: p.minExecutions }),
      Q.findLowSuccessTriggers(events, { ...scope, threshold: 0.7, minExecutions: p.minExecutions })
    ],
    [
      'mostActiveTriggers',
      index.findMostActiveTriggers({ ...scope, limit: p.limit }),
      Q.findMostActiveTriggers(events, { ...scope, limit: p.limit })
    ],
    [
      'idleTriggers',
      index.findIdleTriggers({ ...scope, now: p.now, idleDays: 2, knownTriggerIds: ['zz'] }),
      Q.findIdleTriggers(events, { ...scope, now: p.now, idleDays: 2, knownTriggerIds: ['zz'] })
    ],
    [
      'highRetryTriggers',
      index.findHighRetryTriggers({ ...scope, minAvgRetries: 0.3 }),
      Q.findHighRetryTriggers(events, { ...scope, minAvgRetries: 0.3 })
    ],
    [
      'hourlyThroughput',
      index.computeHourlyThroughput(zoned),
      Q.computeHourlyThroughput(events, zoned)
    ],
    [
      'peakHours',
      index.findPeakHours({ ...zoned, limit: p.limit }),
      Q.findPeakHours(events, { ...zoned, limit: p.limit })
    ],
    [
      'weekOverWeekGrowth',
      index.computeWeekOverWeekGrowth({ ...scope, now: p.now }),
      Q.computeWeekOverWeekGrowth(events, { ...scope, now: p.now })
    ],
    [
      'organisationUsage',
      index.computeOrganisationUsage({ ...scope, limit: p.limit }),
      Q.computeOrganisationUsage(events, { ...scope, limit: p.limit })
    ],
    [
      'overallHealth',
      index.computeOverallHealth({ ...scope, now: p.now, windowMs: p.windowMs, slaMs: 500 }),
      Q.computeOverallHealth(events, { ...scope, now: p.now, windowMs: p.windowMs, slaMs: 500 })
    ]
  ];
  for (const [name, got, want] of pairs) expect({ name, got }).toEqual({ name, got: want });
  // A time range: the index's selection is the filter, in the same (arrival) order.
  const inRange = events.filter(
    (e) =>
      Number.isFinite(e.t) &&
      e.t >= p.from &&
      e.t <= p.to &&
      (p.org === undefined || e.organisationId === p.org)
  );
  expect(index.select({ organisationId: p.org, from: p.from, to: p.to })).toEqual(inRange);
}

interface Params {
  org: string | undefined;
  zone: string;
  interval: 'hour' | 'day';
  action: string | undefined;
  limit: number | undefined;
  minExecutions: number | undefined;
  bounds: number[] | undefined;
  sla: { thresholdsMs: Record<string, number>; defaultThresholdMs?: number };
  now: number;
  windowMs: number | undefined;
  from: number;
  to: number;
}

const arbParams: fc.Arbitrary<Params> = fc.record({
  org: fc.constantFrom(undefined, 'o1', 'o2', '', 'nobody'),
  // The index's zone, or another (then zoned questions are re-scanned).
  zone: fc.constantFrom(ZONE, ZONE, 'America/New_York'),
  interval: fc.constantFrom('hour' as const, 'day' as const),
  action: fc.constantFrom(undefined, 'email', 'unknown'),
  limit: fc.constantFrom(undefined, 0, 1, 2, 50, 500),
  minExecutions: fc.constantFrom(undefined, 1, 3),
  bounds: fc.constantFrom(
    undefined,
    [100, 1_000],
    [2_000, 50, Number.NaN],
    [...Q.QueryDefaults.latencyBucketsMs]
  ),
  sla: fc.constantFrom<Params['sla']>(
    { thresholdsMs: {} },
    { thresholdsMs: { email: 100 } },
    { thresholdsMs: { sms: 0 }, defaultThresholdMs: 1_000 }
  ),
  // Before, inside and after the stream (idle re-scans when events lie after now).
  now: fc.integer({ min: -2 * DAY, max: 30 * DAY }).map((ms) => T0 + ms),
  windowMs: fc.constantFrom(undefined, HOUR, 7 * DAY),
  from: fc.integer({ min: -DAY, max: 22 * DAY }).map((ms) => T0 + ms),
  to: fc.integer({ min: 0, max: 23 * DAY }).map((ms) => T0 + ms)
});

describe('ResultLogIndex: incremental answers equal the re-scan', () => {
  it('property: any stream, any batching, any parameters', () => {
    fc.assert(
      fc.property(
        fc.array(arbEvent, { maxLength: 250 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }),
        fc.array(arbParams, { minLength: 1, maxLength: 3 }),
        (events, cuts, params) => {
          const index = new ResultLogIndex({ timeZone: ZONE, slowestKept: 5 });
          const batches = split(events, cuts);
          for (const [i, batch] of batches.entries()) {
            index.apply(batch, { now: T0 + 21 * DAY });
            // Answers in between batches stay exact too (the state is read, then grows).
            if (i === 0) compareAll(index, batches[0], params[0]);
          }
          expect(index.events).toEqual(events);
          for (const p of params) compareAll(index, events, p);
        }
      ),
      { numRuns: 150 }
    );
  });

  it('retention: a rebuild from the events kept answers as the re-scan of those', () => {
    // The engine rebuilds the index when events are deleted (retention, clear): the
    // rebuilt index must answer for the survivors only.
    fc.assert(
      fc.property(
        fc.array(arbEvent, { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 0, max: 21 * DAY }),
        arbParams,
        (events, cutMs, p) => {
          const index = new ResultLogIndex({ timeZone: ZONE });
          index.apply(events, { now: T0 + 21 * DAY });
          const kept = events.filter((e) => !(e.t < T0 + cutMs));
          const rebuilt = new ResultLogIndex({ timeZone: ZONE });
          rebuilt.apply(kept, { now: T0 + 21 * DAY });
          compareAll(rebuilt, kept, p);
        }
      ),
      { numRuns: 40 }
    );
  });
});

describe('ResultLogIndex: hand fixtures', () => {
  const ev = (over: Partial<ResultEvent> & { t: number }): ResultEvent => ({
    actionType: 'email',
    status: 'success',
    durationMs: 100,
    ...over
  });

  it('SLA worst events: slowest first, equal durations in arrival order, limit honoured', () => {
    const index = new ResultLogIndex({ slowestKept: 3 });
    const events = [
      ev({ t: T0, durationMs: 500, errorMessage: 'first 500' }),
      ev({ t: T0 + 1, durationMs: 900 }),
      ev({ t: T0 + 2, durationMs: 500, errorMessage: 'second 500' }),
      ev({ t: T0 + 3, durationMs: 50 }),
      ev({ t: T0 + 4, durationMs: 500, errorMessage: 'third 500' })
    ];
    index.apply(events, { now: T0 + HOUR });
    const [row] = index.findSlaViolations({ thresholdsMs: { email: 400 }, limit: 3 });
    expect(row).toMatchObject({ total: 5, violations: 4, violationRate: 0.8, worstMs: 900 });
    expect(row.worst.map((e) => e.durationMs)).toEqual([900, 500, 500]);
    expect(row.worst.map((e) => e.errorMessage)).toEqual([undefined, 'first 500', 'second 500']);
    // More worst events than are kept: re-scanned, still exact.
    const [all] = index.findSlaViolations({ thresholdsMs: { email: 400 }, limit: 10 });
    expect(all.worst.map((e) => e.errorMessage)).toEqual([
      undefined,
      'first 500',
      'second 500',
      'third 500'
    ]);
  });

  it('week-over-week growth counts to the millisecond at the week edges', () => {
    const now = T0 + 14 * DAY + 30 * 60_000; // half past midnight: edges inside hours
    const week = 7 * DAY;
    const index = new ResultLogIndex();
    index.apply(
      [
        ev({ t: now - 2 * week - 1 }), // too old
        ev({ t: now - 2 * week }), // last week's first millisecond
        ev({ t: now - week - 1 }), // last week
        ev({ t: now - week, actionType: 'sms' }), // this week
        ev({ t: now - 1 }), // this week
        ev({ t: now }) // age 0: not counted
      ],
      { now }
    );
    expect(index.computeWeekOverWeekGrowth({ now })).toEqual([
      { actionType: '*', thisWeek: 2, lastWeek: 2, growthPercent: 0 },
      { actionType: 'email', thisWeek: 1, lastWeek: 2, growthPercent: -50 },
      { actionType: 'sms', thisWeek: 1, lastWeek: 0, growthPercent: NaN }
    ]);
  });

  it('a trigger run under two organisations merges both bags when unscoped', () => {
    const index = new ResultLogIndex();
    index.apply(
      [
        ev({ t: T0, triggerId: 'x', organisationId: 'o1', durationMs: 10 }),
        ev({ t: T0 + 1, triggerId: 'x', organisationId: 'o2', durationMs: 30 }),
        ev({ t: T0 + 2, triggerId: 'x', durationMs: 20 })
      ],
      { now: T0 + HOUR }
    );
    expect(index.findSlowestTriggers({ minExecutions: 1 })).toEqual([
      { triggerId: 'x', executions: 3, p50Ms: 20, p95Ms: 29, p99Ms: 29.8, avgMs: 20 }
    ]);
    expect(index.findSlowestTriggers({ organisationId: 'o2', minExecutions: 1 })).toEqual([
      { triggerId: 'x', executions: 1, p50Ms: 30, p95Ms: 30, p99Ms: 30, avgMs: 30 }
    ]);
  });
});
