import { describe, expect, it } from 'vitest';
import { computeTwoSidedScore } from './common';
import { createMadDetector, MAD_THRESHOLD, MadDefaults } from './mad';

/**
 * 32 points alternating 0, 2. Median warm-up (16 points) gives 1; then the streaming median
 * steps 1 → 0.975 → 1 (step 0.05·absDev 1 · ±0.5) while deviations 1, 1.025 alternate;
 * the deviation warm-up over those 16 gives MAD = 1.0125, and the median ends at 1.
 */
function warmed() {
  const d = createMadDetector();
  for (let i = 0; i < 32; i++) expect(d.push(i, i % 2 ? 2 : 0)).toBe(0);
  return d;
}

describe('MAD detector', () => {
  it('fires at robust z = 3.5', () => {
    expect(MAD_THRESHOLD).toBeCloseTo(computeTwoSidedScore(3.5), 12);
    const d = warmed();
    // The steps are not exactly ±0.025 because absDev also learns, hence 3 decimals here.
    const m = d.state().median.q[0];
    const mad = d.state().deviation.q[0];
    expect(m).toBeCloseTo(1, 3);
    expect(mad).toBeCloseTo(1.0125, 3);
    const v = m + (3.5 / MadDefaults.consistency) * mad;
    expect(d.push(32, v)).toBeCloseTo(MAD_THRESHOLD, 9);
    expect(d.evidence()).toBeCloseTo(3.5, 9);
  });

  it('is robust: one huge outlier barely moves the median', () => {
    const d = warmed();
    d.push(32, 1e6);
    expect(d.state().median.q[0]).toBeLessThan(1.1);
  });

  it('flat history scores a different value 1', () => {
    const d = createMadDetector();
    for (let i = 0; i < 40; i++) d.push(i, 5);
    expect(d.push(40, 5)).toBe(0);
    expect(d.push(41, 5.1)).toBe(1);
  });

  it.each([NaN, Infinity, -Infinity])('%f scores 0 and is not learned', (bad) => {
    const d = warmed();
    const { median, deviation } = d.state();
    expect(d.push(32, bad)).toBe(0);
    expect(d.state().median).toEqual(median);
    expect(d.state().deviation).toEqual(deviation);
  });
});

describe('MAD with the MeanAD fallback', () => {
  it('judges a mostly-constant series by its mean absolute deviation, not as flat', () => {
    // A 0/1 counter, 70 % zeros: MAD is 0, so plain MAD fires on every 1.
    const values = Array.from({ length: 400 }, (_, i) => (i % 10 < 7 ? 0 : 1));
    const plain = createMadDetector();
    const fallback = createMadDetector({ meanAdFallback: true });
    let plainFires = 0;
    let fallbackFires = 0;
    values.forEach((v, i) => {
      if (plain.push(i, v) >= MAD_THRESHOLD) plainFires++;
      if (fallback.push(i, v) >= MAD_THRESHOLD) fallbackFires++;
    });
    expect(plainFires).toBeGreaterThan(50);
    expect(fallbackFires).toBe(0);
    expect(fallback.push(400, 50)).toBeGreaterThanOrEqual(MAD_THRESHOLD);
    // The fallback is part of the state and survives a resume.
    const resumed = createMadDetector({ state: JSON.parse(JSON.stringify(fallback.state())) });
    expect(resumed.state().meanAd).toEqual(fallback.state().meanAd);
    expect(resumed.push(401, 2)).toBe(fallback.push(401, 2));
    expect(plain.state().meanAd).toBeUndefined();
  });
});
