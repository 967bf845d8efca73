import { describe, expect, it } from 'vitest';
import type { ResultEvent } from '$lib/types';
import {
  computeErrorsByTrigger,
  computeFailureRateByActionType,
  computeHourlyThroughput,
  computeLatencyHistogram,
  computeOrganisationUsage,
  computeOverallHealth,
  computeSuccessRateOverTime,
  computeWeekOverWeekGrowth,
  findHighRetryTriggers,
  findIdleTriggers,
  findLowSuccessTriggers,
  findMostActiveTriggers,
  findPeakHours,
  findSlaViolations,
  findSlowestTriggers,
  findTopErrorMessages,
  normaliseErrorMessage
} from './resultlog-queries';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 16, 12);

const ev = (over: Partial<ResultEvent> & { t: number }): ResultEvent => ({
  actionType: 'email',
  status: 'success',
  durationMs: 100,
  ...over
});

describe('normaliseErrorMessage', () => {
  it.each([
    ['Timeout after 3000 ms', 'Timeout after <num> ms'],
    ['Timeout after 12 ms', 'Timeout after <num> ms'],
    ['User 550e8400-e29b-41d4-a716-446655440000 not found', 'User <uuid> not found'],
    ['Failed at 2026-11-16T12:00:00.123Z', 'Failed at <time>'],
    ['Failed at 2026-11-16 12:00:00', 'Failed at <time>'],
    ['Key "abc" missing', 'Key <str> missing'],
    ["Key 'xyz-9' missing", 'Key <str> missing'],
    ['Bad object 0xdeadbeef', 'Bad object <hex>'],
    ['commit 9f86d081884c7d65 failed', 'commit <hex> failed'],
    ['request req_8812 rejected', 'request <id> rejected'],
    ['order ord-77a rejected', 'order <id> rejected'],
    ['  spaces   collapse  ', 'spaces collapse'],
    ['', '(no message)'],
    ['   ', '(no message)']
  ])('%j → %j', (raw, expected) => {
    expect(normaliseErrorMessage(raw)).toBe(expected);
  });

  it('null/undefined → (no message); plain words are untouched', () => {
    expect(normaliseErrorMessage(null)).toBe('(no message)');
    expect(normaliseErrorMessage(undefined)).toBe('(no message)');
    expect(normaliseErrorMessage('Connection refused')).toBe('Connection refused');
    expect(normaliseErrorMessage('deface added')).toBe('deface added');
  });
});

describe('queries on a hand fixture', () => {
  const events: ResultEvent[] = [
    ev({ t: T0, triggerId: 'a', organisationId: 'o1', durationMs: 100 }),
    ev({
      t: T0 + 1,
      triggerId: 'a',
      organisationId: 'o1',
      durationMs: 200,
      status: 'failure',
      errorMessage: 'Timeout after 30 ms',
      retries: 2
    }),
    ev({
      t: T0 + 2,
      triggerId: 'a',
      organisationId: 'o1',
      durationMs: 300,
      status: 'failure',
      errorMessage: 'Timeout after 45 ms',
      retries: 1
    }),
    ev({ t: T0 + 3, triggerId: 'b', organisationId: 'o2', durationMs: 5000, actionType: 'sms' }),
    ev({
      t: T0 + 4,
      triggerId: 'b',
      organisationId: 'o2',
      durationMs: 7000,
      actionType: 'sms',
      status: 'timeout'
    }),
    ev({ t: T0 - 10 * DAY, triggerId: 'c', organisationId: 'o1', durationMs: 1 })
  ];

  it('slowest triggers by exact p95', () => {
    const r = findSlowestTriggers(events, { minExecutions: 2 });
    expect(r.map((x) => x.triggerId)).toEqual(['b', 'a']);
    // b: [5000, 7000] → p95 = 5000 + 0.95·2000.
    expect(r[0].p95Ms).toBe(6900);
    expect(r[1].p50Ms).toBe(200);
  });

  it('latency histogram buckets', () => {
    const h = computeLatencyHistogram(events, { bucketsMs: [150, 1000] });
    const email = h.find((x) => x.actionType === 'email')!;
    expect(email.buckets).toEqual([
      { leMs: 150, count: 2 },
      { leMs: 1000, count: 2 },
      { leMs: Infinity, count: 0 }
    ]);
    expect(h.find((x) => x.actionType === 'sms')!.buckets[2].count).toBe(2);
  });

  it('SLA violations per action type with a default', () => {
    const r = findSlaViolations(events, { thresholdsMs: { sms: 6000 }, defaultThresholdMs: 150 });
    expect(r.find((x) => x.actionType === 'sms')).toMatchObject({
      total: 2,
      violations: 1,
      violationRate: 0.5,
      worstMs: 7000
    });
    expect(r.find((x) => x.actionType === 'email')).toMatchObject({
      total: 4,
      violations: 2,
      violationRate: 0.5,
      worstMs: 300
    });
    expect(findSlaViolations(events, { thresholdsMs: {} })).toEqual([]);
  });

  it('errors by trigger, failure rates, low success, high retry, most active', () => {
    expect(computeErrorsByTrigger(events).map((r) => [r.triggerId, r.failures])).toEqual([
      ['a', 2],
      ['b', 1]
    ]);
    const fr = computeFailureRateByActionType(events);
    // Equal rates (0.5) are ordered by name.
    expect(fr[0]).toMatchObject({
      actionType: 'email',
      total: 4,
      failures: 2,
      failureRate: 0.5,
      byStatus: { failure: 2 }
    });
    expect(fr[1]).toMatchObject({ actionType: 'sms', failureRate: 0.5, byStatus: { timeout: 1 } });
    expect(findLowSuccessTriggers(events, { minExecutions: 2 }).map((r) => r.triggerId)).toEqual([
      'a',
      'b'
    ]);
    expect(findHighRetryTriggers(events).map((r) => [r.triggerId, r.avgRetries])).toEqual([
      ['a', 1]
    ]);
    expect(findMostActiveTriggers(events, { limit: 1 })[0]).toMatchObject({
      triggerId: 'a',
      executions: 3
    });
  });

  it('top error messages group variable parts', () => {
    const r = findTopErrorMessages(events);
    expect(r[0]).toMatchObject({
      signature: 'Timeout after <num> ms',
      count: 2,
      example: 'Timeout after 45 ms',
      triggerIds: ['a'],
      share: 2 / 3
    });
    expect(r[1]).toMatchObject({ signature: '(no message)', count: 1 });
  });

  it('idle triggers, including known ones never run', () => {
    const r = findIdleTriggers(events, { now: T0 + HOUR, idleDays: 7, knownTriggerIds: ['never'] });
    expect(r.map((x) => x.triggerId)).toEqual(['never', 'c']);
    expect(r[1].idleDays).toBeCloseTo(10 + 1 / 24, 10);
  });

  it('organisation usage', () => {
    const r = computeOrganisationUsage(events);
    expect(r).toEqual([
      {
        organisationId: 'o1',
        events: 4,
        share: 4 / 6,
        successRate: 0.5,
        triggers: 2,
        actionTypes: 1,
        lastSeen: T0 + 2
      },
      {
        organisationId: 'o2',
        events: 2,
        share: 2 / 6,
        successRate: 0.5,
        triggers: 1,
        actionTypes: 1,
        lastSeen: T0 + 4
      }
    ]);
  });

  it('overall health over the last day', () => {
    const r = computeOverallHealth(events, { now: T0 + HOUR, slaMs: 1000 });
    expect(r.events).toBe(5);
    expect(r.successRate).toBeCloseTo(0.4, 12);
    expect(r.health.score).toBeLessThan(50);
    expect(r.health.breakdown[0].lostPoints).toBeGreaterThan(0);
  });

  // Every query, scoped to o1, must not see o2's events; compare with the query run on
  // o1's events alone (the oracle), and check no o2 trigger or action leaks.
  const queries: [string, (e: readonly ResultEvent[], org?: string) => unknown][] = [
    [
      'successRateOverTime',
      (e, o) => computeSuccessRateOverTime(e, { interval: 'hour', organisationId: o })
    ],
    ['slowestTriggers', (e, o) => findSlowestTriggers(e, { organisationId: o, minExecutions: 1 })],
    ['latencyHistogram', (e, o) => computeLatencyHistogram(e, { organisationId: o })],
    [
      'slaViolations',
      (e, o) =>
        findSlaViolations(e, { organisationId: o, thresholdsMs: {}, defaultThresholdMs: 150 })
    ],
    ['errorsByTrigger', (e, o) => computeErrorsByTrigger(e, { organisationId: o })],
    ['topErrors', (e, o) => findTopErrorMessages(e, { organisationId: o })],
    ['failureRate', (e, o) => computeFailureRateByActionType(e, { organisationId: o })],
    ['lowSuccess', (e, o) => findLowSuccessTriggers(e, { organisationId: o, minExecutions: 1 })],
    ['mostActive', (e, o) => findMostActiveTriggers(e, { organisationId: o })],
    ['idle', (e, o) => findIdleTriggers(e, { organisationId: o, now: T0 + HOUR })],
    ['highRetry', (e, o) => findHighRetryTriggers(e, { organisationId: o, minAvgRetries: 0 })],
    ['throughput', (e, o) => computeHourlyThroughput(e, { organisationId: o })],
    ['peakHours', (e, o) => findPeakHours(e, { organisationId: o })],
    ['weekOverWeek', (e, o) => computeWeekOverWeekGrowth(e, { organisationId: o, now: T0 + HOUR })],
    ['organisationUsage', (e, o) => computeOrganisationUsage(e, { organisationId: o })],
    [
      'overallHealth',
      (e, o) => computeOverallHealth(e, { organisationId: o, now: T0 + HOUR, slaMs: 500 })
    ]
  ];
  it.each(queries)('%s scoped to an organisation sees only its events', (_, run) => {
    const own = events.filter((e) => e.organisationId === 'o1');
    expect(run(events, 'o1')).toEqual(run(own, undefined));
    const text = JSON.stringify(run(events, 'o1'));
    expect(text).not.toContain('"b"');
    expect(text).not.toContain('o2');
    expect(text).not.toContain('sms');
  });

  it.each(queries)('%s handles no events', (_, run) => {
    expect(() => run([], undefined)).not.toThrow();
    expect(JSON.stringify(run([], 'o1'))).not.toContain('Infinity');
  });
});

describe('time-zone aware buckets', () => {
  it('daily success rate in America/New_York across the DST change (1 Nov 2026 has 25 h)', () => {
    // Local midnight 1 Nov = 04:00Z (EDT); local midnight 2 Nov = 05:00Z (EST).
    const day1 = Date.UTC(2026, 10, 1, 4);
    const day2 = Date.UTC(2026, 10, 2, 5);
    const events = [
      ev({ t: day1 }),
      ev({ t: day1 + 24 * HOUR, status: 'failure' }), // 04:00Z on 2 Nov is still 1 Nov 23:00 EST
      ev({ t: day2 }),
      ev({ t: day2 + 23 * HOUR, status: 'failure' })
    ];
    const r = computeSuccessRateOverTime(events, { interval: 'day', timeZone: 'America/New_York' });
    expect(r.map((x) => [x.label, x.start, x.total, x.successRate])).toEqual([
      ['2026-11-01', day1, 2, 0.5],
      ['2026-11-02', day2, 2, 0.5]
    ]);
  });

  it('hourly throughput in Europe/London spring forward: 01:00 local does not exist', () => {
    // 2026-03-29 01:00Z is 02:00 BST; the hour before is 00:00 GMT.
    const events = [
      ev({ t: Date.UTC(2026, 2, 29, 0, 30) }),
      ev({ t: Date.UTC(2026, 2, 29, 1, 30) })
    ];
    const r = computeHourlyThroughput(events, { timeZone: 'Europe/London' });
    expect(r.map((x) => x.label)).toEqual(['2026-03-29 00:00', '2026-03-29 02:00']);
    expect(r[0].perSecond).toBeCloseTo(1 / 3600, 12);
  });

  it('peak hours by local hour', () => {
    const events = [
      ev({ t: Date.UTC(2026, 6, 1, 8) }), // 09:00 BST
      ev({ t: Date.UTC(2026, 6, 2, 8) }),
      ev({ t: Date.UTC(2026, 0, 2, 9) }) // 09:00 GMT
    ];
    expect(findPeakHours(events, { timeZone: 'Europe/London' })).toEqual([
      { hour: 9, count: 3, share: 1 }
    ]);
  });

  it('week-over-week growth, overall and per action type', () => {
    const now = T0;
    const events = [
      ev({ t: now - 1 * DAY }),
      ev({ t: now - 2 * DAY }),
      ev({ t: now - 3 * DAY, actionType: 'sms' }),
      ev({ t: now - 8 * DAY }),
      ev({ t: now - 20 * DAY })
    ];
    const r = computeWeekOverWeekGrowth(events, { now });
    expect(r[0]).toEqual({ actionType: '*', thisWeek: 3, lastWeek: 1, growthPercent: 200 });
    expect(r.find((x) => x.actionType === 'email')).toEqual({
      actionType: 'email',
      thisWeek: 2,
      lastWeek: 1,
      growthPercent: 100
    });
    expect(r.find((x) => x.actionType === 'sms')!.growthPercent).toBeNaN();
  });
});
