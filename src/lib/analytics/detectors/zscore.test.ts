import { describe, expect, it } from 'vitest';
import { computeTwoSidedScore } from './common';
import { createZScoreDetector, Z_SCORE_THRESHOLD, ZScoreDefaults } from './zscore';

function feed(values: number[], options = {}) {
  const d = createZScoreDetector(options);
  return { d, scores: values.map((v, i) => d.push(i, v)) };
}

describe('z-score detector', () => {
  it('fires at 2σ by default', () => {
    expect(ZScoreDefaults.sigmas).toBe(2);
    expect(Z_SCORE_THRESHOLD).toBeCloseTo(0.9545, 4);
  });

  it('scores against the previous window: mean 2, σ 1', () => {
    // 1,3 alternating: mean 2, population σ 1. 4 is 2σ away, 5 is 3σ.
    const base = [1, 3, 1, 3, 1, 3, 1, 3, 1, 3];
    expect(feed([...base, 4]).scores[10]).toBeCloseTo(computeTwoSidedScore(2), 9);
    expect(feed([...base, 5]).d.evidence()).toBeCloseTo(3, 9);
    expect(feed([...base, 2]).scores[10]).toBe(0);
  });

  it('scores nothing before minPoints', () => {
    expect(feed([1, 100, 1, 100, 1, 100, 1, 100, 1, 100]).scores.every((s) => s === 0)).toBe(true);
  });

  it('forgets points older than the window', () => {
    // window 4: after 0,0,0,0,10,10,12,8 the window holds 10,10,12,8 (mean 10, σ √2).
    const { d } = feed([0, 0, 0, 0, 10, 10, 12, 8], { window: 4, minPoints: 4 });
    d.push(8, 10 + 2 * Math.SQRT2);
    expect(d.evidence()).toBeCloseTo(2, 9);
  });

  it('flat history: the same value is 0, any other value is 1', () => {
    const flat = Array(20).fill(7);
    expect(feed([...flat, 7]).scores[20]).toBe(0);
    expect(feed([...flat, 7.5]).scores[20]).toBe(1);
  });

  it.each([NaN, Infinity, -Infinity])('%f scores 0 and is not learned', (bad) => {
    const base = [1, 3, 1, 3, 1, 3, 1, 3, 1, 3];
    const { d, scores } = feed([...base, bad, 4]);
    expect(scores[10]).toBe(0);
    expect(scores[11]).toBeCloseTo(computeTwoSidedScore(2), 9);
    expect(d.state().count).toBe(11);
  });

  it('stays accurate on large offsets over many rebuilds', () => {
    const { d } = feed(Array.from({ length: 1000 }, (_, i) => 1e9 + (i % 2 ? 1 : -1)));
    d.push(0, 1e9 + 2);
    expect(d.evidence()).toBeCloseTo(2, 6);
  });

  it('resumes from its state', () => {
    const values = Array.from({ length: 300 }, (_, i) => Math.sin(i) * 10);
    const a = feed(values).scores;
    const first = feed(values.slice(0, 150));
    const resumed = createZScoreDetector({ state: JSON.parse(JSON.stringify(first.d.state())) });
    const b = [...first.scores, ...values.slice(150).map((v, i) => resumed.push(i, v))];
    expect(b).toEqual(a);
  });
});
