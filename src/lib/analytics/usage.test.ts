import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareUsage, computeUsageAnalytics, type Execution, type UsageInput } from './usage';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const START = Date.UTC(2026, 10, 2); // a Monday
const END = START + 14 * DAY;

const input = (executions: Execution[], over: Partial<UsageInput> = {}): UsageInput => ({
  entityId: 'tool',
  windowStart: START,
  windowEnd: END,
  windowType: 'weekly',
  granularity: 'comprehensive',
  executions,
  ...over
});

const ex = (over: Partial<Execution> & { t: number }): Execution => ({
  success: true,
  durationMs: 100,
  ...over
});

function oracle(values: number[], q: number) {
  const s = [...values].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  return lo + 1 < s.length ? s[lo] + (h - lo) * (s[lo + 1] - s[lo]) : s[lo];
}

describe('computeUsageAnalytics', () => {
  const fixture: Execution[] = [
    ex({
      t: START + HOUR,
      durationMs: 10,
      contextType: 'chat',
      agent: 'a1',
      project: 'p',
      fileType: 'ts',
      userId: 'u1',
      qualityScore: 0.5
    }),
    ex({
      t: START + 2 * HOUR,
      durationMs: 20,
      success: false,
      timedOut: true,
      contextType: 'chat',
      userId: 'u1',
      qualityScore: 1
    }),
    ex({
      t: START + 3 * HOUR,
      durationMs: 30,
      success: false,
      qualityGateFailed: true,
      contextType: 'edit',
      userId: 'u2'
    }),
    ex({ t: START + 8 * DAY, durationMs: 40, userId: 'u1', agent: 'a2' }),
    ex({ t: START + 8 * DAY + HOUR, durationMs: NaN, userId: 'u3' }),
    ex({ t: START - 1, durationMs: 9999 }), // before the window
    ex({ t: END, durationMs: 9999 }) // windowEnd is exclusive
  ];

  it('usage and success on a hand fixture', () => {
    const r = computeUsageAnalytics(input(fixture, { now: END }));
    expect(r.usage).toEqual({
      total: 5,
      perDay: 5 / 14,
      perWeek: (5 / 14) * 7,
      perMonth: (5 / 14) * 30,
      uniqueContexts: 2,
      uniqueUsers: 3,
      peakDaily: 3,
      hoursSinceLastUse: (END - (START + 8 * DAY + HOUR)) / HOUR
    });
    expect(r.success).toEqual({
      successCount: 3,
      failureCount: 2,
      successRate: 0.6,
      errorRate: 0.4,
      timeoutCount: 1,
      qualityGateFailures: 1,
      avgQualityScore: 0.75
    });
    expect(r.dataPoints).toBe(5);
    // min(1, 5/100) × 4 valid durations / 5.
    expect(r.qualityScore).toBeCloseTo(0.05 * 0.8, 12);
    expect(r.computationMs).toBe(0);
  });

  it('performance: exact percentiles over valid durations', () => {
    const p = computeUsageAnalytics(input(fixture)).performance!;
    expect(p).toMatchObject({
      minMs: 10,
      maxMs: 40,
      totalMs: 100,
      avgMs: 25,
      p50Ms: 25,
      p95Ms: 38.5
    });
    expect(p.p99Ms).toBeCloseTo(39.7, 12);
    // sample sd of 10,20,30,40 = √(500/3).
    expect(p.stddevMs).toBeCloseTo(Math.sqrt(500 / 3), 12);
  });

  it('distribution by dimension, hour of day and day of week', () => {
    const d = computeUsageAnalytics(input(fixture)).distribution!;
    expect(d.byContextType).toEqual({ chat: 2, edit: 1, unknown: 2 });
    expect(d.byAgent).toEqual({ a1: 1, a2: 1, unknown: 3 });
    expect(d.byFileType).toEqual({ ts: 1, unknown: 4 });
    // 01:00, 02:00, 03:00 on day 0; 00:00 and 01:00 on day 8 (UTC).
    expect(d.byHourOfDay.slice(0, 4)).toEqual([1, 2, 1, 1]);
    expect(d.byDayOfWeek[1]).toBe(3); // Monday 2 Nov
    expect(d.byDayOfWeek[2]).toBe(2); // Tuesday 10 Nov
    expect(d.byHourOfDay.reduce((a, b) => a + b, 0)).toBe(5);
  });

  it('adoption, retention and churn from users per half', () => {
    // Midpoint = START + 7 d. First half users: u1, u2; u1 returns → retention 1/2.
    // u3 first appears in the second half → adoption 1/3.
    const t = computeUsageAnalytics(input(fixture)).trend!;
    expect(t.retentionRate).toBe(0.5);
    expect(t.churnRate).toBe(0.5);
    expect(t.adoptionRate).toBeCloseTo(1 / 3, 12);
    expect(t.growthPercent).toBeCloseTo(((2 - 3) / 3) * 100, 10);
  });

  it('granularity decides the optional parts; include overrides', () => {
    const s = computeUsageAnalytics(input(fixture, { granularity: 'summary' }));
    expect(s.performance).not.toBeNull();
    expect(s.trend).toBeNull();
    expect(s.distribution).toBeNull();
    const d = computeUsageAnalytics(input(fixture, { granularity: 'detailed' }));
    expect(d.trend!.projectedNext7Days).toBeNull();
    const c = computeUsageAnalytics(
      input(fixture, { granularity: 'comprehensive', include: { performance: false } })
    );
    expect(c.performance).toBeNull();
    expect(c.trend!.projectedNext7Days).not.toBeNull();
  });

  it('empty input', () => {
    const r = computeUsageAnalytics(input([]));
    expect(r.usage.total).toBe(0);
    expect(r.usage.hoursSinceLastUse).toBeNull();
    expect(r.success.successRate).toBe(0);
    expect(r.success.avgQualityScore).toBeNull();
    expect(r.performance!.p95Ms).toBeNaN();
    expect(r.trend!.type).toBe('stable');
    expect(r.trend!.confidence).toBe(0);
    expect(r.qualityScore).toBe(0);
  });

  it('one execution and all failures', () => {
    const r = computeUsageAnalytics(
      input([ex({ t: START + 5 * DAY, success: false, durationMs: 7 })])
    );
    expect(r.performance).toMatchObject({ p50Ms: 7, p99Ms: 7, stddevMs: 0 });
    expect(r.success).toMatchObject({ successRate: 0, errorRate: 1, failureCount: 1 });
  });

  it.each([
    [
      'growing',
      Array.from({ length: 14 }, (_, d) =>
        Array.from({ length: 5 + d * 5 }, (_, k) => START + d * DAY + k * 60_000)
      ).flat()
    ],
    [
      'declining',
      Array.from({ length: 12 }, (_, d) =>
        Array.from({ length: 80 - d * 6 }, (_, k) => START + d * DAY + k * 60_000)
      ).flat()
    ],
    ['abandoned', Array.from({ length: 50 }, (_, k) => START + k * HOUR)],
    ['emerging', Array.from({ length: 50 }, (_, k) => START + 9 * DAY + k * HOUR)],
    ['stable', Array.from({ length: 14 * 24 }, (_, k) => START + k * HOUR)]
  ])('trend type %s', (type, times) => {
    const r = computeUsageAnalytics(input(times.map((t) => ex({ t }))));
    expect(r.trend!.type).toBe(type);
    expect(r.trend!.confidence).toBeGreaterThan(0);
    expect(r.trend!.confidence).toBeLessThanOrEqual(1);
  });

  it('velocity is the slope of daily counts', () => {
    // Day d has 10 + 2d executions → velocity 2/day.
    const times = Array.from({ length: 14 }, (_, d) =>
      Array.from({ length: 10 + 2 * d }, (_, k) => START + d * DAY + k * 1000)
    ).flat();
    const t = computeUsageAnalytics(input(times.map((x) => ex({ t: x })))).trend!;
    expect(t.velocity).toBeCloseTo(2, 10);
    expect(t.acceleration).toBeCloseTo(0, 10);
  });

  it('days and hours follow the time zone across DST (Europe/London, 25 Oct 2026)', () => {
    // 23:30Z on 24 Oct is 00:30 BST on 25 Oct; 23:30Z on 25 Oct is 23:30 GMT on 25 Oct.
    const r = computeUsageAnalytics(
      input([ex({ t: Date.UTC(2026, 9, 24, 23, 30) }), ex({ t: Date.UTC(2026, 9, 25, 23, 30) })], {
        windowStart: Date.UTC(2026, 9, 20),
        windowEnd: Date.UTC(2026, 9, 30),
        timeZone: 'Europe/London'
      })
    );
    expect(r.usage.peakDaily).toBe(2);
    expect(r.distribution!.byHourOfDay[0]).toBe(1);
    expect(r.distribution!.byHourOfDay[23]).toBe(1);
    expect(r.distribution!.byDayOfWeek[0]).toBe(2); // both on Sunday 25 Oct
  });

  it('all_time ignores the window bounds', () => {
    const r = computeUsageAnalytics(input(fixture, { windowType: 'all_time' }));
    expect(r.usage.total).toBe(7);
  });

  it('computationMs comes from the injected clock', () => {
    let now = 100;
    const r = computeUsageAnalytics(input(fixture, { clock: () => (now += 7) }));
    expect(r.computationMs).toBe(7);
  });

  it('property: percentiles equal the sorting oracle', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 200 }),
        (ds) => {
          const r = computeUsageAnalytics(
            input(ds.map((d, i) => ex({ t: START + i * 1000, durationMs: d })))
          );
          expect(r.performance!.p50Ms).toBeCloseTo(oracle(ds, 0.5), 9);
          expect(r.performance!.p95Ms).toBeCloseTo(oracle(ds, 0.95), 9);
          expect(r.performance!.p99Ms).toBeCloseTo(oracle(ds, 0.99), 9);
        }
      ),
      { numRuns: 100 }
    );
  });
});

describe('compareUsage', () => {
  it('ranks and deltas', () => {
    const a = input(
      Array.from({ length: 10 }, (_, i) => ex({ t: START + i * HOUR, durationMs: 100 })),
      { entityId: 'a' }
    );
    const b = input(
      Array.from({ length: 30 }, (_, i) =>
        ex({ t: START + i * HOUR, durationMs: 300, success: i % 2 === 0 })
      ),
      { entityId: 'b' }
    );
    const [ra, rb] = compareUsage([a, b]);
    expect(ra.ranks).toMatchObject({ total: 2, successRate: 1, p95Ms: 1 });
    expect(rb.ranks).toMatchObject({ total: 1, successRate: 2, p95Ms: 2 });
    expect(ra.deltas.total).toBe(-10);
    expect(rb.deltas.p95Ms).toBe(100);
    expect(ra.share).toBe(0.25);
    expect(compareUsage([])).toEqual([]);
  });
});

describe('all_time abandonment', () => {
  it('judges silence against now, not the last execution', () => {
    const times = Array.from({ length: 50 }, (_, k) => START + k * HOUR);
    const r = computeUsageAnalytics(
      input(
        times.map((t) => ex({ t })),
        { windowType: 'all_time', now: START + 60 * DAY }
      )
    );
    expect(r.trend!.type).toBe('abandoned');
    expect(r.usage.hoursSinceLastUse).toBeCloseTo((60 * DAY - 49 * HOUR) / HOUR, 10);
  });
});
