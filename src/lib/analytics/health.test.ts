import { describe, expect, it } from 'vitest';
import { DefaultHealthWeights, computeHealthScore, scoreLinearly } from './health';

describe('computeHealthScore', () => {
  it('all KPIs at their good thresholds score 100', () => {
    const h = computeHealthScore({
      successRate: 1,
      latencyMs: 100,
      slaMs: 200,
      errorRate: 0,
      resourceHeadroom: 0.5,
      cpuBusy: 0.4,
      frameBudgetCompliance: 1,
      anomalyRate: 0
    });
    expect(h.score).toBe(100);
    expect(h.status).toBe('healthy');
    expect(h.dropped).toEqual([]);
  });

  it('hand-computed weighted score and breakdown', () => {
    // successRate 0.895 → (0.895 − 0.8)/(0.99 − 0.8) = 50; errorRate 0.105 → 50.
    // Only these two present: weights .25 and .2 renormalise to 5/9 and 4/9 → score 50.
    const h = computeHealthScore({ successRate: 0.895, errorRate: 0.105 });
    expect(h.score).toBeCloseTo(50, 10);
    expect(h.status).toBe('degraded');
    expect(h.breakdown.map((b) => b.kpi)).toEqual(['successRate', 'errorRate']);
    expect(h.breakdown[0].weight).toBeCloseTo(5 / 9, 12);
    expect(h.breakdown[0].lostPoints).toBeCloseTo(50 * (5 / 9), 10);
    expect(h.dropped).toContain('latency');
  });

  it('the breakdown names what pulled the score down, largest loss first', () => {
    const h = computeHealthScore({
      successRate: 1,
      latencyMs: 450,
      slaMs: 300,
      resourceHeadroom: 0.5
    });
    expect(h.breakdown[0].kpi).toBe('latency');
    expect(h.breakdown[0].subScore).toBeCloseTo(50, 10);
  });

  it.each([
    ['nothing', {}],
    ['only NaN and null', { successRate: NaN, errorRate: null }],
    ['latency without SLA', { latencyMs: 100 }]
  ])('%s → NaN, unknown', (_, input) => {
    const h = computeHealthScore(input);
    expect(h.score).toBeNaN();
    expect(h.status).toBe('unknown');
  });

  it('custom weights: a zero weight drops the KPI', () => {
    const h = computeHealthScore(
      { successRate: 0.8, errorRate: 0 },
      { ...DefaultHealthWeights, successRate: 0 }
    );
    expect(h.score).toBe(100);
    expect(h.dropped).toContain('successRate');
  });

  it('scoreLinearly clamps and supports both directions', () => {
    expect(scoreLinearly(0.5, { good: 1, bad: 0 })).toBe(50);
    expect(scoreLinearly(2, { good: 1, bad: 0 })).toBe(100);
    expect(scoreLinearly(0.15, { good: 0.1, bad: 0.2 })).toBeCloseTo(50, 10);
    expect(scoreLinearly(NaN, { good: 1, bad: 0 })).toBeNaN();
  });
});
