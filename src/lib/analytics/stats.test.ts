import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Statistics,
  computeCorrelation,
  computeEnergyEfficiency,
  computeFrameBudgetCompliance,
  computeQuantileSorted,
  computeStatistic,
  computeStatistics,
  computeSlope,
  selectQuantiles,
  type StatName
} from './stats';

const col = (...v: number[]) => ({
  t: Float64Array.from(v.map((_, i) => i * 1000)),
  v: Float64Array.from(v)
});

/** Exact oracle: sort then type-7 interpolation. */
function oracleQuantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  return lo + 1 < s.length ? s[lo] + (h - lo) * (s[lo + 1] - s[lo]) : s[lo];
}

describe('statistics registry', () => {
  // Hand-computed on [2, 4, 4, 4, 5, 5, 7, 9]: sum 40, mean 5, Σ(x−5)² = 32.
  it.each<[StatName, number]>([
    ['min', 2],
    ['max', 9],
    ['sum', 40],
    ['count', 8],
    ['avg', 5],
    ['p50', 4.5],
    ['p95', 8.3],
    ['p99', 8.86],
    ['variance', 32 / 7],
    ['stddev', Math.sqrt(32 / 7)]
  ])('%s of the fixture is %d', (name, expected) => {
    expect(computeStatistic(name, col(2, 4, 4, 4, 5, 5, 7, 9))).toBeCloseTo(expected, 10);
  });

  it.each(Object.keys(Statistics).filter((k) => k !== 'count') as StatName[])(
    '%s of an empty series is NaN',
    (name) => {
      const empty = { t: new Float64Array(0), v: new Float64Array(0) };
      expect(computeStatistic(name, empty, empty)).toBeNaN();
    }
  );

  it('count of an empty series is 0', () => {
    expect(computeStatistic('count', col())).toBe(0);
  });

  it('skips NaN gaps everywhere', () => {
    const s = col(1, NaN, 3, NaN, 5);
    expect(computeStatistics(['min', 'max', 'avg', 'count', 'p50', 'sum'], s)).toEqual({
      min: 1,
      max: 5,
      avg: 3,
      count: 3,
      p50: 3,
      sum: 9
    });
  });

  it('one point: variance 0, percentiles the point', () => {
    expect(computeStatistics(['variance', 'p99', 'p50', 'slope'], col(7))).toEqual({
      variance: 0,
      p99: 7,
      p50: 7,
      slope: NaN
    });
  });

  it('handles ±Infinity as values', () => {
    expect(computeStatistic('max', col(1, Infinity))).toBe(Infinity);
    expect(computeStatistic('min', col(-Infinity, 1))).toBe(-Infinity);
  });

  it('does not mutate the input', () => {
    const s = col(5, 1, 4, 2, 3);
    const copy = s.v.slice();
    computeStatistics(['p50', 'p95', 'p99'], s);
    expect(s.v).toEqual(copy);
  });

  it('slope is least squares over t (per ms), duplicate timestamps allowed', () => {
    expect(computeSlope({ t: Float64Array.of(0, 1, 2), v: Float64Array.of(1, 3, 5) })).toBe(2);
    // Points (0,0),(0,2),(1,2),(1,4): t̄=.5 v̄=2, Sxy = 2, Sxx = 1 → 2.
    expect(computeSlope({ t: Float64Array.of(0, 0, 1, 1), v: Float64Array.of(0, 2, 2, 4) })).toBe(
      2
    );
    expect(computeSlope({ t: Float64Array.of(5, 5), v: Float64Array.of(1, 2) })).toBeNaN();
  });

  it('slope stays exact on epoch-millisecond abscissae', () => {
    const t0 = 1.79e12;
    const t = Float64Array.from({ length: 100 }, (_, i) => t0 + i * 60_000);
    const v = Float64Array.from(t, (x) => 3 + (x - t0) * 2e-6);
    expect(computeSlope({ t, v })).toBeCloseTo(2e-6, 15);
  });

  it('correlation: hand fixture, perfect, and constant side', () => {
    // x = 1,2,3; y = 2,4,7: Sxy = 5, Sxx = 2, Syy = 12.667 → 5/√25.333.
    expect(computeCorrelation(Float64Array.of(1, 2, 3), Float64Array.of(2, 4, 7))).toBeCloseTo(
      5 / Math.sqrt(2 * (38 / 3)),
      12
    );
    expect(computeCorrelation(Float64Array.of(1, 2, 3), Float64Array.of(6, 4, 2))).toBe(-1);
    expect(computeCorrelation(Float64Array.of(1, 2, 3), Float64Array.of(1, 1, 1))).toBeNaN();
    expect(computeStatistic('correlation', col(1, 2, 3))).toBeNaN();
  });

  it.each([
    [[10, 16.67, 20, 33], 0.5],
    [[16.68], 0],
    [[1, NaN, 2], 1]
  ])('frame budget compliance of %j is %d', (frames, share) => {
    expect(computeFrameBudgetCompliance(Float64Array.from(frames))).toBe(share);
  });

  it('energy efficiency is Σtokens / Σjoules over complete pairs', () => {
    expect(computeEnergyEfficiency(Float64Array.of(100, 50, NaN), Float64Array.of(10, 5, 3))).toBe(
      10
    );
    expect(computeEnergyEfficiency(Float64Array.of(1), Float64Array.of(0))).toBeNaN();
  });
});

describe('quantiles against the sorting oracle', () => {
  it.each([1, 2, 3, 10, 101, 1000])('n = %i', (n) => {
    let seed = n;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 1000;
    const values = Array.from({ length: n }, rnd);
    const qs = [0, 0.01, 0.5, 0.95, 0.99, 1];
    const got = selectQuantiles(Float64Array.from(values), qs);
    qs.forEach((q, i) => expect(got[i]).toBeCloseTo(oracleQuantile(values, q), 9));
  });

  it('property: selectQuantiles equals the sorted oracle, with duplicates', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 300 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 5 }),
        (values, qs) => {
          const got = selectQuantiles(Float64Array.from(values), qs);
          qs.forEach((q, i) => expect(got[i]).toBeCloseTo(oracleQuantile(values, q), 9));
        }
      )
    );
  });

  it('computeQuantileSorted edges', () => {
    expect(computeQuantileSorted(new Float64Array(0), 0.5)).toBeNaN();
    expect(computeQuantileSorted(Float64Array.of(1, 2, 3, 4), 0.5)).toBe(2.5);
    expect(computeQuantileSorted(Float64Array.of(1, 2), 1.5)).toBeNaN();
  });
});
