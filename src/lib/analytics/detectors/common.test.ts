import { describe, expect, it } from 'vitest';
import {
  computeCleanSpread,
  computeDeviation,
  computeNormalTail,
  computeTwoSidedScore
} from './common';

describe('normal tail', () => {
  // Reference values of Q(z) from standard normal tables.
  it.each([
    [0, 0.5],
    [1, 0.158655254],
    [1.959963985, 0.025],
    [3, 0.001349898],
    [-1, 0.841344746],
    [5, 2.866515719e-7]
  ])('Q(%f) = %f', (z, q) => {
    expect(computeNormalTail(z)).toBeCloseTo(q, 7);
  });
  it('is NaN for NaN', () => expect(computeNormalTail(NaN)).toBeNaN());
});

describe('two-sided score', () => {
  it.each([
    [0, 0],
    [2, 0.954499736],
    [-2, 0.954499736],
    [3, 0.997300204],
    [Infinity, 1],
    [-Infinity, 1],
    [NaN, 0]
  ])('score(%f) = %f', (z, s) => expect(computeTwoSidedScore(z)).toBeCloseTo(s, 7));
});

describe('deviation', () => {
  it.each([
    [3, 1, 1, 2],
    [-1, 1, 0.5, 4],
    [1, 1, 0, 0],
    [2, 1, 0, Infinity]
  ])('|%f − %f| / %f = %f', (v, centre, spread, d) => {
    expect(computeDeviation({ v, centre, spread })).toBe(d);
  });
  it('treats float dust as flat', () => {
    expect(computeCleanSpread(1e-20, 5)).toBe(0);
    expect(computeCleanSpread(1e-3, 5)).toBe(1e-3);
  });
});
