import { describe, expect, it } from 'vitest';
import { createQuantileState, interpolateSorted, updateQuantiles } from './streaming-quantile';

describe('interpolateSorted (type 7)', () => {
  it.each([
    [[1, 2, 3, 4], 0.5, 2.5],
    [[1, 2, 3, 4], 0.25, 1.75],
    [[5], 0.9, 5],
    [[1, 3], 1, 3]
  ])('%j at %f = %f', (xs, p, q) => expect(interpolateSorted(xs, p)).toBeCloseTo(q, 12));
  it('is NaN when empty', () => expect(interpolateSorted([], 0.5)).toBeNaN());
});

describe('streaming quantiles', () => {
  it('is exact at the end of warm-up', () => {
    const s = createQuantileState({ probs: [0.25, 0.5, 0.75] });
    for (let i = 16; i >= 1; i--) updateQuantiles(s, i);
    expect(s.ready).toBe(true);
    expect(s.q).toEqual([4.75, 8.5, 12.25]);
    expect(s.absDev).toBe(4); // mean |i − 8.5| over 1..16
  });

  it('takes a step of rate·scale·(τ − [x < q]) afterwards', () => {
    const s = createQuantileState({ probs: [0.25, 0.5, 0.75] });
    for (let i = 1; i <= 16; i++) updateQuantiles(s, i);
    updateQuantiles(s, 100);
    // |100 − 8.5| = 91.5 clipped to 4·max(IQR 7.5, absDev 4) = 30;
    // absDev ← 4 + 0.05·(30 − 4) = 5.3; scale = max(7.5, 5.3); step = 0.375
    expect(s.absDev).toBeCloseTo(5.3, 12);
    expect(s.q[0]).toBeCloseTo(4.75 + 0.375 * 0.25, 12);
    expect(s.q[1]).toBeCloseTo(8.5 + 0.375 * 0.5, 12);
    expect(s.q[2]).toBeCloseTo(12.25 + 0.375 * 0.75, 12);
  });

  it('moves down for values below: τ − 1', () => {
    const s = createQuantileState({ probs: [0.5] });
    for (let i = 1; i <= 16; i++) updateQuantiles(s, i);
    updateQuantiles(s, 0);
    // |0 − 8.5| = 8.5 < 4·4; absDev ← 4 + 0.05·4.5 = 4.225; step 0.21125; q ← 8.5 − 0.5·step
    expect(s.q[0]).toBeCloseTo(8.5 - 0.5 * 0.21125, 12);
  });

  it('follows a level shift', () => {
    const s = createQuantileState({ probs: [0.5] });
    for (let i = 0; i < 16; i++) updateQuantiles(s, 0);
    for (let i = 0; i < 2000; i++) updateQuantiles(s, 10 + (i % 2));
    expect(s.q[0]).toBeGreaterThan(9.5);
    expect(s.q[0]).toBeLessThan(11.5);
  });
});
