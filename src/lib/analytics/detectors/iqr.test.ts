import { describe, expect, it } from 'vitest';
import { createIqrDetector, IQR_THRESHOLD } from './iqr';

/** Warm-up on 1..16: q1 4.75, median 8.5, q3 12.25, IQR 7.5, fences −6.5 and 23.5 (reach 15). */
function warmed() {
  const d = createIqrDetector();
  for (let i = 1; i <= 16; i++) expect(d.push(i, i)).toBe(0);
  return d;
}

describe('IQR detector', () => {
  it.each([
    [23.5, 0.5],
    [38.5, 2 / 3],
    [-21.5, 2 / 3],
    [8.5, 0],
    [16, 0.5 / 1.5]
  ])('value %f scores %f', (v, s) => {
    expect(warmed().push(17, v)).toBeCloseTo(s, 12);
  });

  it('fires outside the fences only', () => {
    expect(warmed().push(17, 23.4)).toBeLessThan(IQR_THRESHOLD);
    expect(warmed().push(17, 24)).toBeGreaterThan(IQR_THRESHOLD);
  });

  it('flat history scores a different value 1', () => {
    const d = createIqrDetector();
    for (let i = 0; i < 20; i++) d.push(i, 3);
    expect(d.push(20, 3)).toBe(0);
    expect(d.push(21, 4)).toBe(1);
  });

  it.each([NaN, Infinity, -Infinity])('%f scores 0 and is not learned', (bad) => {
    const d = warmed();
    expect(d.push(17, bad)).toBe(0);
    expect(d.push(18, 23.5)).toBeCloseTo(0.5, 12);
  });
});
