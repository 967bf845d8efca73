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

  it('growth, adoption, retention and churn against the previous period', () => {
    // The previous period is [START − 14 d, START): one execution (START − 1), no user.
    // In the window: u1, u2, u3, all new → 3 new users over 2 weeks = 1.5 a week.
    const t = computeUsageAnalytics(input(fixture)).trend!;
    expect(t.previousTotal).toBe(1);
    expect(t.growthPercent).toBe(400); // (5 − 1) / 1
    expect(t.adoptionRate).toBe(1.5);
    expect(t.retentionRate).toBe(0);
    expect(t.churnRate).toBe(0);
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
    expect(r.flags).toEqual([]);
  });

  it('one execution and all failures', () => {
    const r = computeUsageAnalytics(
      input([ex({ t: START + 5 * DAY, success: false, durationMs: 7 })])
    );
    expect(r.performance).toMatchObject({ p50Ms: 7, p99Ms: 7, stddevMs: 0 });
    expect(r.success).toMatchObject({ successRate: 0, errorRate: 1, failureCount: 1 });
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

  it('all_time ignores the window bounds and has no previous period', () => {
    const r = computeUsageAnalytics(input(fixture, { windowType: 'all_time' }));
    expect(r.usage.total).toBe(7);
    expect(r.trend!.previousTotal).toBe(0);
    expect(r.trend!.growthPercent).toBeNaN();
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

describe('all_time silence', () => {
  it('judges silence against now, not the last execution', () => {
    // 24, 24, 2 executions on days 0–2, then nothing until day 60: the recent days are
    // empty but the velocity (−0.078/day per day) is far from −2, so by the specification
    // this is not ABANDONED; the silence shows as the "unused" flag instead.
    const times = Array.from({ length: 50 }, (_, k) => START + k * HOUR);
    const r = computeUsageAnalytics(
      input(
        times.map((t) => ex({ t })),
        { windowType: 'all_time', now: START + 60 * DAY }
      )
    );
    expect(r.usage.hoursSinceLastUse).toBeCloseTo((60 * DAY - 49 * HOUR) / HOUR, 10);
    expect(r.trend!.evidence.days).toBe(61);
    expect(r.trend!.recentExecutions).toBe(0);
    expect(r.trend!.velocity).toBeCloseTo(-1472 / 18910, 10);
    expect(r.trend!.type).toBe('stable');
    expect(r.flags.map((f) => f.kind)).toEqual(['unused']);
  });
});

/** Executions with `perDay[d]` on local day d of a window starting at START. */
const daily = (perDay: number[], over: Partial<Execution> = {}) =>
  perDay.flatMap((n, d) =>
    Array.from({ length: n }, (_, k) => ex({ t: START + d * DAY + k * 60_000, ...over }))
  );
const classify = (perDay: number[], over: Partial<UsageInput> = {}) =>
  computeUsageAnalytics(input(daily(perDay), { windowEnd: START + perDay.length * DAY, ...over }))
    .trend!;

describe('trend classification at the thresholds (UsageTrendThresholds)', () => {
  // Five days: x − x̄ = −2, −1, 0, 1, 2 and Σ(x − x̄)² = 10, so velocity = Σ(x − x̄)·count / 10.
  it.each([
    // Σ = −20 − 10 + 0 + 11 + 24 = 5 → 0.5: exactly the threshold is still stable.
    ['stable', [10, 10, 10, 11, 12], 0.5],
    // Σ = −20 − 10 + 0 + 10 + 26 = 6 → 0.6.
    ['growing', [10, 10, 10, 10, 13], 0.6],
    // Σ = −24 − 11 + 0 + 10 + 20 = −5 → −0.5.
    ['stable', [12, 11, 10, 10, 10], -0.5],
    // Σ = −26 − 10 + 0 + 10 + 20 = −6 → −0.6.
    ['declining', [13, 10, 10, 10, 10], -0.6],
    // Σ = −20 → −2 with nothing in the 2 recent days: −2 is not below −2, so declining.
    ['declining', [10, 0, 0, 0, 0], -2],
    // Σ = −21 → −2.1 and 0 recent executions (< 5).
    ['abandoned', [10, 1, 0, 0, 0], -2.1],
    // Σ = −30 − 6 + 0 + 5 + 0 = −31 → −3.1, but the 2 recent days hold 5 executions (not
    // fewer than 5), so declining.
    ['declining', [15, 6, 0, 5, 0], -3.1],
    // Same with 4 recent: Σ = −30 − 6 + 0 + 4 + 0 = −32 → −3.2, abandoned.
    ['abandoned', [15, 6, 0, 4, 0], -3.2],
    // 9 executions (< 10) → emerging: Σ = −2 − 1 + 0 + 2 + 6 = 5 → 0.5.
    ['emerging', [1, 1, 2, 2, 3], 0.5],
    // 10 executions is no longer emerging: Σ = −2 − 2 + 0 + 1 + 8 = 5 → 0.5, stable.
    ['stable', [1, 2, 2, 1, 4], 0.5]
  ])('%s for daily counts %j (velocity %d)', (type, perDay, velocity) => {
    const t = classify(perDay);
    expect(t.velocity).toBeCloseTo(velocity, 12);
    expect(t.type).toBe(type);
    expect(t.confidence).toBeGreaterThan(0);
    expect(t.confidence).toBeLessThanOrEqual(1);
  });

  it('a busy entity rising 100 → 108 a day over two weeks is growing, with confidence', () => {
    const perDay = Array.from({ length: 14 }, (_, d) => 100 + Math.floor((d * 8) / 13));
    const t = classify(perDay);
    expect(t.type).toBe('growing');
    expect(t.velocity).toBeGreaterThan(0.5);
    expect(t.confidence).toBeGreaterThan(0.5);
  });

  it('8 executions spread over two weeks are emerging', () => {
    // One on days 0, 2, 4, …, 12 and one on day 13.
    const perDay = Array.from({ length: 14 }, (_, d): number => (d % 2 === 0 || d === 13 ? 1 : 0));
    expect(perDay.reduce((a, b) => a + b, 0)).toBe(8);
    const t = classify(perDay);
    expect(t.type).toBe('emerging');
    expect(t.confidence).toBe(1);
  });

  it('confidence is the probability that the slope is past the threshold', () => {
    // [10, 10, 10, 10, 13]: slope 0.6, residuals from the fit v = 10.6 + 0.6·(x − 2):
    // −0.4·… SSE = Σ(v − fit)²; se = √(SSE/3) / √10; P(β > 0.5) = 1 − T₃((0.5 − 0.6)/se).
    const perDay = [10, 10, 10, 10, 13];
    const fit = perDay.map((_, x) => 10.6 + 0.6 * (x - 2));
    const sse = perDay.reduce((s, v, x) => s + (v - fit[x]) ** 2, 0);
    const se = Math.sqrt(sse / 3) / Math.sqrt(10);
    const t = classify(perDay);
    expect(t.evidence.slopeStdErr).toBeCloseTo(se, 10);
    expect(t.evidence.days).toBe(5);
    // T₃ CDF in closed form: ½ + (θ + sinθ·cosθ)/π with θ = atan(t/√3).
    const tq = (0.5 - 0.6) / se;
    const th = Math.atan(tq / Math.sqrt(3));
    const cdf = 0.5 + (th + Math.sin(th) * Math.cos(th)) / Math.PI;
    expect(t.confidence).toBeCloseTo(1 - cdf, 8);
  });

  it('a perfectly flat series is stable with confidence 1; fewer than 3 days give 0', () => {
    expect(classify([20, 20, 20, 20]).confidence).toBe(1);
    const two = classify([20, 20]);
    expect(two.type).toBe('stable');
    expect(two.confidence).toBe(0);
  });

  it('thresholds are settings: a caller may move them', () => {
    const perDay = [10, 10, 10, 10, 13]; // velocity 0.6
    expect(classify(perDay, { thresholds: { growingVelocity: 1 } }).type).toBe('stable');
    expect(classify(perDay, { thresholds: { emergingMaxExecutions: 100 } }).type).toBe('emerging');
  });

  it('a window with no use after a previous period with use is abandoned', () => {
    const prev = daily([5, 5, 5]).map((e) => ({ ...e, t: e.t - 3 * DAY }));
    const r = computeUsageAnalytics(input(prev, { windowEnd: START + 3 * DAY }));
    expect(r.usage.total).toBe(0);
    expect(r.trend!.type).toBe('abandoned');
    expect(r.trend!.growthPercent).toBe(-100);
  });
});

describe('growth against the previous period', () => {
  it('70 last week → 140 this week is +100 %; the previous week counts nowhere else', () => {
    const WEEK = 7 * DAY;
    const last = Array.from({ length: 70 }, (_, k) =>
      ex({
        t: START - WEEK + k * 2 * HOUR,
        success: false,
        durationMs: 99_999,
        userId: `old${k % 4}`
      })
    );
    const now = Array.from({ length: 140 }, (_, k) =>
      ex({ t: START + k * HOUR, userId: k % 2 === 0 ? 'old0' : 'new1' })
    );
    // Older than the previous period: ignored altogether.
    const ancient = [ex({ t: START - 2 * WEEK - 1, userId: 'ancient' })];
    const r = computeUsageAnalytics(
      input([...ancient, ...last, ...now], { windowEnd: START + WEEK })
    );
    expect(r.usage.total).toBe(140);
    expect(r.success.successRate).toBe(1);
    expect(r.performance!.maxMs).toBe(100);
    expect(r.usage.uniqueUsers).toBe(2);
    const t = r.trend!;
    expect(t.previousTotal).toBe(70);
    expect(t.growthPercent).toBe(100);
    // new1 is new (1 user in one week); old0 of old0..old3 came back.
    expect(t.adoptionRate).toBe(1);
    expect(t.retentionRate).toBe(0.25);
    expect(t.churnRate).toBe(0.75);
  });
});

describe('health-check and quality-gate flags', () => {
  it('flags each crossed threshold and nothing when all pass', () => {
    const bad = [
      ex({ t: START + HOUR, success: false, durationMs: 10, qualityScore: 0.2 }),
      ex({ t: START + 2 * HOUR, durationMs: 10, qualityScore: 0.4 }),
      ex({ t: START + 3 * HOUR, durationMs: 5000 })
    ];
    const r = computeUsageAnalytics(input(bad, { now: END }));
    const kinds = r.flags.map((f) => f.kind).sort();
    expect(kinds).toEqual([
      'high_p95',
      'high_variance',
      'low_quality_score',
      'low_success_rate',
      'unused'
    ]);
    expect(r.flags.find((f) => f.kind === 'low_success_rate')!.value).toBeCloseTo(2 / 3, 12);
    expect(r.flags.find((f) => f.kind === 'low_quality_score')!.value).toBeCloseTo(0.3, 12);
    const good = Array.from({ length: 10 }, (_, k) =>
      ex({ t: END - (k + 1) * HOUR, durationMs: 100 + k, qualityScore: 0.9 })
    );
    expect(computeUsageAnalytics(input(good)).flags).toEqual([]);
  });
});
