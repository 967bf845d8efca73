import { describe, expect, it } from 'vitest';
import type { ResultEvent } from '$lib/types';
import { createInsightId, generateInsights, hashText, type InsightSeries } from './insights';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 23, 12);

function noise(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

function hourly(key: string, category: string, f: (i: number) => number, n = 48): InsightSeries {
  return {
    key,
    category,
    t: Float64Array.from({ length: n }, (_, i) => NOW - (n - 1 - i) * HOUR),
    v: Float64Array.from({ length: n }, (_, i) => f(i))
  };
}

describe('generateInsights', () => {
  const rnd = noise(11);
  const leak = {
    ...hourly('browser.heap_used', 'ux', (i) => 200e6 + i * 12e6 + rnd() * 2e6),
    unit: 'bytes'
  };
  const flat = hourly('cpu.load', 'system', () => 1 + rnd() * 0.1);

  it('a growing heap yields a memory-leak insight with a concrete recommendation', () => {
    const [i] = generateInsights({
      now: NOW,
      window: 2 * DAY,
      series: [leak, flat],
      events: [],
      previous: []
    });
    expect(i.type).toBe('memory_leak');
    expect(i.subject).toBe('browser.heap_used');
    expect(i.category).toBe('ux');
    expect(i.timeRange).toEqual({ start: NOW - 2 * DAY, end: NOW });
    expect(i.findings['browser.heap_used']).toMatchObject({
      trend: 'up',
      pattern: 'memory_leak_suspected'
    });
    expect(i.findings['browser.heap_used'].significance).toBeGreaterThan(0.999);
    expect(i.recommendations[0].priority).toBe('high');
    expect(i.recommendations[0].description).toMatch(/grows 12\.\d MB\/h \(p<0\.001/);
    expect(i.confidence).toBeGreaterThan(0.9);
    expect(i.privacyLevel).toBe('aggregate');
  });

  it('stable series produce nothing; empty input produces nothing', () => {
    expect(
      generateInsights({ now: NOW, window: DAY, series: [flat], events: [], previous: [] })
    ).toEqual([]);
    expect(
      generateInsights({ now: NOW, window: DAY, series: [], events: [], previous: [] })
    ).toEqual([]);
  });

  it('de-duplicates against previous insights in the same time bucket, not across buckets', () => {
    const first = generateInsights({
      now: NOW,
      window: 2 * DAY,
      series: [leak],
      events: [],
      previous: []
    });
    expect(first).toHaveLength(1);
    const again = generateInsights({
      now: NOW + HOUR,
      window: 2 * DAY,
      series: [leak],
      events: [],
      previous: first
    });
    expect(again).toEqual([]);
    const nextDay = generateInsights({
      now: NOW + DAY,
      window: 3 * DAY,
      series: [leak],
      events: [],
      previous: first
    });
    expect(nextDay).toHaveLength(1);
    expect(nextDay[0].insightId).not.toBe(first[0].insightId);
  });

  it('latency step change and degradation get their own types', () => {
    const step = {
      ...hourly('model.latency_ms', 'model', (i) => (i < 30 ? 200 : 400) + rnd() * 20),
      unit: 'ms'
    };
    const drift = hourly('model.ttft_ms', 'model', (i) => 100 + i * 3 + rnd() * 10);
    const out = generateInsights({
      now: NOW,
      window: 2 * DAY,
      series: [step, drift],
      events: [],
      previous: []
    });
    expect(out.map((i) => i.type)).toEqual(['step_change', 'degradation']);
    expect(out[0].findings['model.latency_ms'].trend).toBe('up');
    expect(out[0].recommendations[0].priority).toBe('high');
    const m = /shifted from ([\d.]+) ms to ([\d.]+) ms/.exec(
      out[0].recommendations[0].description
    )!;
    expect(Math.abs(Number(m[1]) - 200)).toBeLessThan(10);
    expect(Math.abs(Number(m[2]) - 400)).toBeLessThan(10);
  });

  it('a series with capacity gets a capacity forecast', () => {
    const disk = {
      ...hourly('disk.used', 'system', (i) => 100e9 + i * 1e9 + rnd() * 1e7),
      unit: 'bytes',
      capacity: 100e9 + 47e9 + 120e9
    };
    const out = generateInsights({
      now: NOW,
      window: 2 * DAY,
      series: [disk],
      events: [],
      previous: []
    });
    const cap = out.find((i) => i.type === 'capacity')!;
    expect(cap.recommendations[0].description).toMatch(
      /^disk\.used reaches capacity in 5\.\d days/
    );
    expect(cap.recommendations[0].priority).toBe('high');
  });

  it('a significant rise of an action type’s failure rate, naming the top error', () => {
    const events: ResultEvent[] = [];
    for (let i = 0; i < 200; i++) {
      const t = NOW - DAY + i * (DAY / 200);
      const late = i >= 100;
      const fail = late ? i % 3 === 0 : i % 25 === 0;
      events.push({
        t,
        actionType: 'webhook',
        status: fail ? 'failure' : 'success',
        durationMs: 50,
        errorMessage: fail ? `Timeout after ${1000 + i} ms` : undefined
      });
      events.push({ t, actionType: 'email', status: 'success', durationMs: 10 });
    }
    const out = generateInsights({ now: NOW, window: DAY, series: [], events, previous: [] });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      type: 'failure_rate',
      subject: 'webhook',
      category: 'events',
      privacyLevel: 'pseudonymous'
    });
    expect(out[0].recommendations[0].description).toMatch(
      /rose from 4\.0% to 33\.0% \(p<0\.001\); most common error: "Timeout after <num> ms"/
    );
  });

  it('ids are stable and depend on type, subject and bucket', () => {
    expect(hashText('abc')).toBe('1a47e90b');
    const id = createInsightId({ type: 'memory_leak', subject: 'x', t: NOW, bucketMs: DAY });
    expect(
      createInsightId({ type: 'memory_leak', subject: 'x', t: NOW + HOUR, bucketMs: DAY })
    ).toBe(id);
    expect(createInsightId({ type: 'memory_leak', subject: 'y', t: NOW, bucketMs: DAY })).not.toBe(
      id
    );
    expect(createInsightId({ type: 'degradation', subject: 'x', t: NOW, bucketMs: DAY })).not.toBe(
      id
    );
  });
});

describe('insights that respect the daily cycle', () => {
  const MIN = 60_000;
  /** Minute points over the `days` before NOW of a daily cycle (CPU-like), plus `extra(t)`. */
  function cycle(days: number, extra: (t: number) => number = () => 0, seed = 5): InsightSeries {
    const rnd = noise(seed);
    const n = days * 24 * 60;
    const t = Float64Array.from({ length: n }, (_, i) => NOW - (n - 1 - i) * MIN);
    const v = t.map(
      (x) => 40 + 25 * Math.sin((2 * Math.PI * (x % DAY)) / DAY) + rnd() * 4 + extra(x)
    );
    return { key: 'cpu_usage_percent{cpu="total"}', category: 'system', t, v, unit: '%' };
  }

  it.each([
    // Compared with the same hours of the two previous days, nothing is left of the cycle.
    ['with previous days as history', 3],
    // The window's half-day rise is one swing of minute points that are far from
    // independent: corrected for autocorrelation it is no evidence of a trend.
    ['seen for one day only', 1]
  ])('a purely daily cycle %s reports no degradation', (_, days) => {
    const out = generateInsights({
      now: NOW,
      window: DAY,
      series: [cycle(days)],
      events: [],
      previous: []
    });
    expect(out.filter((i) => i.type === 'degradation' || i.type === 'trend')).toEqual([]);
  });

  it('a real rise on top of the cycle is found against the same hours of previous days', () => {
    // +30 over the last day, on top of the cycle: the seasonal baseline removes the cycle.
    const rising = cycle(3, (x) => (x > NOW - DAY ? (30 * (x - (NOW - DAY))) / DAY : 0));
    const [i] = generateInsights({
      now: NOW,
      window: DAY,
      series: [rising],
      events: [],
      previous: []
    });
    expect(i.type).toBe('degradation');
    expect(i.evidence!.seasonalBaseline).toBe(true);
    // The first point is 3 days less a minute before NOW; the window starts a day before it.
    expect(i.evidence!.historyMs).toBe(2 * DAY - MIN);
    expect(i.evidence!.effectivePoints).toBeLessThan(i.evidence!.points);
    expect(i.confidence).toBeGreaterThan(0);
    expect(i.confidence).toBeLessThanOrEqual(1);
  });

  it('no capacity forecast from one day of data', () => {
    const rnd = noise(3);
    const mem = {
      ...hourly('memory_used_bytes', 'system', (k) => 4e9 + k * 5e7 + rnd() * 1e6, 24),
      unit: 'bytes',
      capacity: 16e9
    };
    const out = generateInsights({
      now: NOW,
      window: DAY,
      series: [mem],
      events: [],
      previous: []
    });
    expect(out.filter((i) => i.type === 'capacity')).toEqual([]);
  });
});
