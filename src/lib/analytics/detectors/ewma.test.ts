import { describe, expect, it } from 'vitest';
import { computeTwoSidedScore } from './common';
import { createEwmaDetector, EWMA_THRESHOLD } from './ewma';

describe('EWMA control chart', () => {
  it('matches a hand-computed chart', () => {
    // 0,2 ×5: learned mean 1, σ 1; EWMA statistic (λ 0.2) ends at 0.991806464.
    const d = createEwmaDetector();
    for (let i = 0; i < 10; i++) expect(d.push(i, i % 2 ? 2 : 0)).toBe(0);
    expect(d.state().statistic).toBeCloseTo(0.991806464, 9);
    expect(d.state().mean).toBeCloseTo(1, 12);
    expect(d.state().variance).toBeCloseTo(1, 12);
    // e = 0.2·3 + 0.8·0.991806464 = 1.3934451712; σ_e = √(0.2/1.8) = 1/3; z = 1.1803355136
    const s = d.push(10, 3);
    expect(d.evidence()).toBeCloseTo(1.1803355136, 9);
    expect(s).toBeCloseTo(computeTwoSidedScore(1.1803355136), 9);
  });

  it('accumulates a small sustained shift until it fires', () => {
    const d = createEwmaDetector();
    for (let i = 0; i < 200; i++) d.push(i, i % 2 ? 1 : -1);
    const scores = Array.from({ length: 10 }, (_, i) => d.push(200 + i, 1.5));
    expect(scores[0]).toBeLessThan(EWMA_THRESHOLD);
    expect(scores[9]).toBeGreaterThanOrEqual(EWMA_THRESHOLD);
    for (let i = 1; i < 10; i++) expect(scores[i]).toBeGreaterThanOrEqual(scores[i - 1]);
  });

  it.each([NaN, Infinity, -Infinity])('%f scores 0 and is not learned', (bad) => {
    const d = createEwmaDetector();
    for (let i = 0; i < 20; i++) d.push(i, i % 3);
    const { z: _z, ...before } = d.state();
    expect(d.push(20, bad)).toBe(0);
    const { z: _z2, ...after } = d.state();
    expect(after).toEqual(before);
  });
});
