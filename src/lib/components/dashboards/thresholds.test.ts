import { describe, expect, it } from 'vitest';
import { levelOf } from './thresholds';

describe('levelOf', () => {
  it.each([
    [50, 'ok'],
    [70, 'warn'],
    [89.9, 'warn'],
    [90, 'bad'],
    [NaN, 'none']
  ])('higher is worse: %d is %s', (v, level) => {
    expect(levelOf(v, { warn: 70, bad: 90 })).toBe(level);
  });

  it.each([
    [0.99, 'ok'],
    [0.95, 'warn'],
    [0.9, 'bad']
  ])('lower is worse: %d is %s', (v, level) => {
    expect(levelOf(v, { warn: 0.95, bad: 0.9, lowerIsWorse: true })).toBe(level);
  });

  it('has no level without thresholds', () => {
    expect(levelOf(5, undefined)).toBe('none');
  });
});
