import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ResultEvent } from '$lib/types';
import { ResultLogViewNames, ResultLogViews, ViewSizeCosts, applyEvents } from './resultlog';
import { createZoneCalendar } from './resultlog-time';
import { sortRange } from './resultlog-common';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 20, 0, 0, 0);

const ev = (over: Partial<ResultEvent> & { t: number }): ResultEvent => ({
  actionType: 'email',
  status: 'success',
  durationMs: 100,
  ...over
});

function oracle(values: number[], q: number) {
  const s = [...values].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  return lo + 1 < s.length ? s[lo] + (h - lo) * (s[lo + 1] - s[lo]) : s[lo];
}

describe('ResultLogViews: hourly', () => {
  it('hand fixture: counts, statuses, success rate, exact percentiles', () => {
    const v = new ResultLogViews();
    v.apply(
      [
        ev({ t: T0 + 1, durationMs: 10 }),
        ev({ t: T0 + 2, durationMs: 20, status: 'failure' }),
        ev({ t: T0 + 3, durationMs: 30, status: 'timeout' }),
        ev({ t: T0 + 4, durationMs: 40 }),
        ev({ t: T0 + HOUR, actionType: 'sms', durationMs: 5 })
      ],
      { now: T0 + 2 * HOUR }
    );
    const rows = v.readHourly();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      hourStart: T0,
      actionType: 'email',
      count: 4,
      successCount: 2,
      successRate: 0.5,
      statusCounts: { success: 2, failure: 1, timeout: 1 },
      avgDurationMs: 25,
      p50DurationMs: 25,
      // type 7: h = 3·0.95 = 2.85 → 30 + 0.85·10.
      p95DurationMs: 38.5
    });
    expect(rows[0].p99DurationMs).toBeCloseTo(39.7, 12);
    expect(rows[0]).toMatchObject({
      failureCount: 2,
      errorRate: 0.5,
      minDurationMs: 10,
      maxDurationMs: 40,
      uniqueUsers: 1
    });
    expect(Object.keys(rows[0])).toHaveLength(15);
    expect(rows[1]).toMatchObject({
      hourStart: T0 + HOUR,
      actionType: 'sms',
      count: 1,
      p99DurationMs: 5
    });
  });

  it('empty views and empty batches', () => {
    const v = new ResultLogViews();
    v.apply([], { now: T0 });
    expect(v.readHourly()).toEqual([]);
    expect(v.readTriggers()).toEqual([]);
    expect(v.readRecentFailures()).toEqual([]);
    expect(v.readDistribution()).toEqual([]);
    expect(v.readStatus('hourly', T0 + 5000)).toMatchObject({
      lastRefresh: T0,
      rows: 0,
      ageMs: 5000
    });
  });

  it('null/missing fields: unknown labels, NaN duration is a gap, bad t ignored', () => {
    const v = new ResultLogViews();
    v.apply(
      [
        { t: T0, actionType: null, status: undefined, durationMs: null } as unknown as ResultEvent,
        ev({ t: T0 + 1, durationMs: NaN }),
        ev({ t: NaN }),
        ev({ t: T0 + 2, durationMs: -5 })
      ],
      { now: T0 + HOUR }
    );
    expect(v.size).toBe(3);
    const rows = v.readHourly();
    const unknown = rows.find((r) => r.actionType === 'unknown')!;
    expect(unknown.statusCounts).toEqual({ unknown: 1 });
    expect(unknown.successRate).toBe(0);
    expect(unknown.avgDurationMs).toBeNaN();
    const email = rows.find((r) => r.actionType === 'email')!;
    expect(email.count).toBe(2);
    expect(email.p50DurationMs).toBeNaN();
  });

  it('local hours across the London DST change: 25 distinct hours on 25 Oct 2026', () => {
    // Clocks go back at 01:00 UTC on 2026-10-25; local 01:00 happens twice.
    const start = Date.UTC(2026, 9, 24, 23); // local midnight (BST = UTC+1)
    const events = Array.from({ length: 25 }, (_, i) => ev({ t: start + i * HOUR + 60_000 }));
    const v = new ResultLogViews({ timeZone: 'Europe/London' });
    v.apply(events, { now: start + 25 * HOUR });
    const rows = v.readHourly();
    expect(rows).toHaveLength(25);
    expect(rows.every((r) => r.count === 1)).toBe(true);
    const cal = createZoneCalendar('Europe/London');
    expect(rows.map((r) => cal.hourOfDay(r.hourStart)).filter((h) => h === 1)).toHaveLength(2);
  });
});

describe('ResultLogViews: new columns (hand-computed)', () => {
  it('hourly: failures, error rate, min/max over timed events only, unique users', () => {
    const v = new ResultLogViews();
    v.apply(
      [
        ev({ t: T0 + 1, durationMs: 70, userId: 'ann' }),
        ev({ t: T0 + 2, durationMs: null as unknown as number, userId: 'bob', status: 'FAILURE' }),
        ev({ t: T0 + 3, durationMs: 30, context: { userId: 'ann' }, status: 'timeout' }),
        ev({ t: T0 + 4, durationMs: 50, organisationId: 'o9' }),
        ev({ t: T0 + 5, durationMs: -1 })
      ],
      { now: T0 + HOUR }
    );
    const [row] = v.readHourly();
    // Users: ann (twice), bob, o9 (organisation stands in), (anonymous) → 4.
    // Timed: 70, 30, 50 (null and −1 are gaps) → min 30, max 70, avg 50.
    expect(row).toMatchObject({
      count: 5,
      successCount: 3,
      failureCount: 2,
      successRate: 0.6,
      errorRate: 0.4,
      minDurationMs: 30,
      maxDurationMs: 70,
      avgDurationMs: 50,
      uniqueUsers: 4
    });
  });

  it('refresh status: estimated bytes per view, grow with what the view holds', () => {
    const v = new ResultLogViews();
    v.apply([], { now: T0 });
    const empty = ResultLogViewNames.map((n) => v.readStatus(n, T0).bytes);
    expect(empty).toEqual([0, 0, 0, 0]);
    v.apply(
      Array.from({ length: 200 }, (_, i) =>
        ev({ t: T0 + i, triggerId: 't' + (i % 3), status: i % 4 ? 'success' : 'failure' })
      ),
      { now: T0 + HOUR }
    );
    const sizes = ResultLogViewNames.map((n) => v.readStatus(n, T0 + HOUR).bytes);
    // Hourly keeps 200 durations (1 600 bytes of doubles at least), triggers the same.
    expect(sizes[0]).toBeGreaterThanOrEqual(200 * 8);
    expect(sizes[1]).toBeGreaterThanOrEqual(200 * 8);
    // 50 failures kept, each charged ViewSizeCosts.failureEvent plus its reference.
    expect(sizes[2]).toBe(50 * (ViewSizeCosts.failureEvent + 8));
    // One cached distribution row.
    expect(sizes[3]).toBe(ViewSizeCosts.row);
  });
});

describe('ResultLogViews: triggers, failures, distribution', () => {
  const events: ResultEvent[] = [
    ev({ t: T0, triggerId: 'a', organisationId: 'o1', durationMs: 100, retries: 2 }),
    ev({
      t: T0 + 10,
      triggerId: 'a',
      organisationId: 'o1',
      durationMs: 300,
      status: 'failure',
      errorMessage: 'boom'
    }),
    ev({ t: T0 + 20, triggerId: 'a', organisationId: 'o1', durationMs: 200 }),
    ev({
      t: T0 + 30,
      triggerId: 'b',
      organisationId: 'o2',
      durationMs: 50,
      status: 'timeout',
      context: { id: 1 }
    }),
    ev({
      t: T0 - 2 * DAY,
      triggerId: 'b',
      organisationId: 'o2',
      actionType: 'sms',
      status: 'failure'
    }),
    ev({ t: T0 - 40 * DAY, actionType: 'old' })
  ];
  const now = T0 + HOUR;

  it('per-trigger summary (hand-computed)', () => {
    const v = applyEvents(new ResultLogViews(), events, { now });
    const [a, b] = v.readTriggers();
    expect(a).toMatchObject({
      triggerId: 'a',
      organisationId: 'o1',
      executions: 3,
      successCount: 2,
      p50Ms: 200,
      avgMs: 200,
      minMs: 100,
      maxMs: 300,
      totalRetries: 2,
      retriedExecutions: 1,
      firstSeen: T0,
      lastSeen: T0 + 20
    });
    expect(a.successRate).toBeCloseTo(2 / 3, 12);
    expect(Object.keys(a)).toHaveLength(16);
    expect(b).toMatchObject({
      triggerId: 'b',
      executions: 2,
      successRate: 0,
      minMs: 50,
      maxMs: 100,
      firstSeen: T0 - 2 * DAY
    });
  });

  it('recent failures: only the last 24 h, with error and context', () => {
    const v = applyEvents(new ResultLogViews(), events, { now });
    const f = v.readRecentFailures();
    expect(f.map((r) => r.t)).toEqual([T0 + 10, T0 + 30]);
    expect(f[0].errorMessage).toBe('boom');
    expect(f[1]).toMatchObject({ status: 'timeout', context: { id: 1 }, errorMessage: '' });
  });

  it('recent failures are bounded to the newest `limit`', () => {
    const v = new ResultLogViews({ recentFailureLimit: 3 });
    v.apply(
      Array.from({ length: 5000 }, (_, i) => ev({ t: T0 + i, status: 'failure' })),
      { now: T0 + 10_000 }
    );
    expect(v.readRecentFailures().map((r) => r.t)).toEqual([T0 + 4997, T0 + 4998, T0 + 4999]);
  });

  it('distribution: last 30 days, percentages', () => {
    const v = applyEvents(new ResultLogViews(), events, { now });
    const d = v.readDistribution();
    // email: 100 ok, 300 failure, 200 ok, 50 timeout; sms: one failure of 100 ms two days
    // ago; 'old' is 40 days back, outside the 30-day window.
    expect(d).toEqual([
      {
        actionType: 'email',
        count: 4,
        percent: 80,
        successCount: 2,
        failureCount: 2,
        successRate: 0.5,
        avgDurationMs: 162.5,
        lastSeen: T0 + 30
      },
      {
        actionType: 'sms',
        count: 1,
        percent: 20,
        successCount: 0,
        failureCount: 1,
        successRate: 0,
        avgDurationMs: 100,
        lastSeen: T0 - 2 * DAY
      }
    ]);
    expect(Object.keys(d[0])).toHaveLength(8);
  });

  it('organisation scoping never shows another organisation’s rows', () => {
    const v = applyEvents(new ResultLogViews(), events, { now });
    expect(v.readTriggers({ organisationId: 'o1' }).map((r) => r.triggerId)).toEqual(['a']);
    expect(
      v.readRecentFailures({ organisationId: 'o1' }).every((r) => r.organisationId === 'o1')
    ).toBe(true);
    expect(v.readHourly({ organisationId: 'o2' }).reduce((s, r) => s + r.count, 0)).toBe(2);
    expect(v.readDistribution({ organisationId: 'o1' })).toEqual([
      {
        actionType: 'email',
        count: 3,
        percent: 100,
        successCount: 2,
        failureCount: 1,
        successRate: 2 / 3,
        avgDurationMs: 200,
        lastSeen: T0 + 20
      }
    ]);
    expect(v.readHourly({ organisationId: 'nobody' })).toEqual([]);
  });

  it('refresh status reports rows and the injected clock', () => {
    let t = 0;
    const v = new ResultLogViews({ clock: () => (t += 5) });
    v.apply(events, { now });
    const s = v.readStatus('triggers', now + 1000);
    expect(s).toMatchObject({ view: 'triggers', lastRefresh: now, rows: 2, ageMs: 1000 });
    expect(s.durationMs).toBeGreaterThan(0);
  });
});

describe('incremental equals full recompute', () => {
  const arbEvent = fc.record({
    t: fc.integer({ min: T0, max: T0 + 3 * DAY }),
    actionType: fc.constantFrom('email', 'sms', 'http'),
    status: fc.constantFrom('success', 'failure', 'timeout', 'SUCCESS'),
    durationMs: fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.constant(NaN)),
    triggerId: fc.constantFrom('t1', 't2', 't3', undefined),
    organisationId: fc.constantFrom('o1', 'o2', undefined),
    retries: fc.integer({ min: 0, max: 3 })
  });

  it('property: any split into batches gives the same views as one batch', () => {
    fc.assert(
      fc.property(
        fc.array(arbEvent, { maxLength: 120 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (events, cuts) => {
          const now = T0 + 3 * DAY;
          const whole = new ResultLogViews({ timeZone: 'America/New_York' });
          whole.apply(events as ResultEvent[], { now });
          const parts = new ResultLogViews({ timeZone: 'America/New_York' });
          const idx = [...new Set(cuts.map((c) => c % (events.length + 1)))].sort((a, b) => a - b);
          let prev = 0;
          for (const i of [...idx, events.length]) {
            parts.apply(events.slice(prev, i) as ResultEvent[], { now });
            prev = i;
          }
          expect(parts.readHourly()).toEqual(whole.readHourly());
          expect(parts.readTriggers()).toEqual(whole.readTriggers());
          expect(parts.readRecentFailures()).toEqual(whole.readRecentFailures());
          expect(parts.readDistribution()).toEqual(whole.readDistribution());
          for (const org of ['o1', 'o2']) {
            expect(parts.readHourly({ organisationId: org })).toEqual(
              whole.readHourly({ organisationId: org })
            );
          }
        }
      ),
      { numRuns: 60 }
    );
  });

  it('percentiles match the sorting oracle after many batches', () => {
    const v = new ResultLogViews();
    const all: number[] = [];
    let seed = 1;
    for (let b = 0; b < 20; b++) {
      const batch = Array.from({ length: 97 }, () => {
        seed = (seed * 48271) % 2147483647;
        const d = seed % 10_000;
        all.push(d);
        return ev({ t: T0 + 1000, durationMs: d, triggerId: 'x' });
      });
      v.apply(batch, { now: T0 + HOUR });
    }
    const row = v.readHourly()[0];
    expect(row.count).toBe(all.length);
    for (const [q, got] of [
      [0.5, row.p50DurationMs],
      [0.95, row.p95DurationMs],
      [0.99, row.p99DurationMs]
    ] as const) {
      expect(got).toBeCloseTo(oracle(all, q), 9);
    }
    expect(v.readTriggers()[0].p95Ms).toBeCloseTo(oracle(all, 0.95), 9);
  });
});

describe('sortRange', () => {
  it('property: sorts any sub-range in place and leaves the rest alone', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 300 }),
        fc.nat(),
        fc.nat(),
        (values, x, y) => {
          const a = Float64Array.from(values);
          const lo = values.length ? x % values.length : 0;
          const hi = values.length ? lo + (y % (values.length - lo + 1)) : 0;
          sortRange(a, lo, hi);
          const expected = [
            ...values.slice(0, lo),
            ...values.slice(lo, hi).sort((p, q) => p - q),
            ...values.slice(hi)
          ];
          expect(Array.from(a)).toEqual(expected);
        }
      )
    );
  });
});

describe('ResultLogViews: refresh status per view', () => {
  it('a view whose fold fails is marked failed; the other views keep refreshing', () => {
    let now = 0;
    const v = new ResultLogViews({ clock: () => (now += 1) });
    v.apply([ev({ t: T0, triggerId: 'a' })], { now: T0 });
    // The trigger view breaks (as a bug or a corrupt bucket would make it).
    (v as unknown as { addTrigger: () => void }).addTrigger = () => {
      throw new Error('boom');
    };
    v.apply(
      [ev({ t: T0 + 1, triggerId: 'a' }), ev({ t: T0 + 2, triggerId: 'b', status: 'failure' })],
      { now: T0 + 10 }
    );
    const s = (view: Parameters<typeof v.readStatus>[0]) => v.readStatus(view, T0 + 20);
    expect(s('triggers')).toMatchObject({ error: 'boom', lastRefresh: T0, events: 1, rows: 1 });
    expect(s('hourly')).toMatchObject({ error: null, lastRefresh: T0 + 10, events: 3 });
    expect(s('recentFailures')).toMatchObject({ error: null, events: 1, rows: 1 });
    expect(s('distribution').error).toBeNull();
    expect(v.readHourly()[0].count).toBe(3);
    // Each view's own refresh time is its own; the shared fold is reported apart.
    expect(s('hourly').durationMs).toBe(1);
    expect(s('hourly').foldMs).toBeGreaterThan(0);
  });
});
