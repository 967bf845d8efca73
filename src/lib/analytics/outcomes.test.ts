/**
 * Live, Events and Insights read success and latency by one definition
 * (`summariseOutcomes`): statuses compared case-insensitively, null durations left out.
 * Issue 23: Live said 0 % success where Events said 70 % on the same events.
 */
import { describe, expect, it } from 'vitest';
import type { ResultEvent } from '$lib/types';
import { computeSignalsHealth } from './health';
import { ResultLogViews } from './resultlog';
import { summariseOutcomes } from './resultlog-common';
import { computeOverallHealth } from './resultlog-queries';
import { computeQuantileSorted } from './stats';

const NOW = Date.UTC(2026, 11, 7, 12);
const statuses = ['SUCCESS', 'Success', 'success', 'FAILURE', 'success', 'Timeout', 'SUCCESS'];
const durations: (number | null)[] = [100, null, 300, 50, null, 900, 200, 400, null, 700];
// Ten events, the 7 statuses cycled: failures at 3 (FAILURE) and 5 (Timeout) → 8 of 10.
const fixture: ResultEvent[] = durations.map((d, i) => ({
  t: NOW - (10 - i) * 60_000,
  actionType: i % 2 ? 'build' : 'deploy',
  status: statuses[i % statuses.length],
  durationMs: d as number,
  triggerId: `trigger-${i % 3}`
}));

describe('one definition of success and latency', () => {
  it('summariseOutcomes: mixed-case successes count, null durations are gaps', () => {
    const o = summariseOutcomes(fixture);
    expect(o.events).toBe(10);
    expect(o.successes).toBe(8);
    expect(o.successRate).toBeCloseTo(0.8, 12);
    expect(o.timed).toBe(7);
    // p95 of 50, 100, 200, 300, 400, 700, 900: h = 6 × 0.95 = 5.7 → 700 + 0.7 × 200.
    expect(o.p95Ms).toBeCloseTo(840, 10);
  });

  it('Live and Events agree on the fixture', () => {
    const live = computeSignalsHealth({ events: fixture, slaMs: 1000 });
    const views = new ResultLogViews({ timeZone: 'UTC' });
    views.apply(fixture, { now: NOW });
    const rows = views.readTriggers();
    const executions = rows.reduce((s, r) => s + r.executions, 0);
    const successes = rows.reduce((s, r) => s + r.successCount, 0);
    const events = computeOverallHealth(fixture, { now: NOW, slaMs: 1000 });

    const liveRate = live.health.breakdown.find((b) => b.kpi === 'successRate')!.value;
    expect(liveRate).toBeCloseTo(successes / executions, 12);
    expect(liveRate).toBeCloseTo(events.successRate, 12);
    // Latency: the same p95, and the same score from it.
    const liveLatency = live.health.breakdown.find((b) => b.kpi === 'latency')!.value;
    expect(liveLatency * 1000).toBeCloseTo(events.p95Ms, 10);
    const timed = durations.filter((d): d is number => d !== null).sort((a, b) => a - b);
    expect(events.p95Ms).toBeCloseTo(computeQuantileSorted(timed, 0.95), 10);
    expect(live.health.score).toBeCloseTo(events.health.score, 10);
    // Per hour (the Events page's hourly view) the counts add up the same way.
    const hourly = views.readHourly();
    expect(hourly.reduce((s, r) => s + r.successCount, 0)).toBe(8);
  });

  it('a CPU at 99 % pulls the score down even without events', () => {
    const series = [
      { name: 'cpu_usage_percent', labels: { cpu: 'total' }, lastV: 99.5 },
      { name: 'cpu_usage_percent', labels: { cpu: '0' }, lastV: 10 },
      { name: 'memory_used_bytes', lastV: 2 },
      { name: 'memory_total_bytes', lastV: 10 }
    ];
    const h = computeSignalsHealth({ series }).health;
    const cpu = h.breakdown.find((b) => b.kpi === 'cpuBusy')!;
    expect(cpu.value).toBeCloseTo(0.995, 12);
    expect(cpu.subScore).toBe(0);
    // Memory (80 % free) scores 100; weights .15 and .15 → 50.
    expect(h.score).toBeCloseTo(50, 10);
    expect(h.status).not.toBe('healthy');
  });

  it('frame budget from counted frames', () => {
    const h = computeSignalsHealth({ frames: { frames: 600, overBudget: 60 } }).health;
    expect(h.breakdown[0]).toMatchObject({ kpi: 'frameBudgetCompliance', value: 0.9 });
  });
});
