import { describe, expect, it } from 'vitest';
import {
  computeAnomalyScore,
  computeWindowAggregate,
  computeWindowQuantile,
  computeWindowRate,
  type WindowColumns
} from './window';

const f = (xs: number[]) => Float64Array.from(xs);

/** Raw points as the store's query answers them: every column is the values; count 1 or 0. */
function raw(t: number[], v: number[]): WindowColumns {
  const vv = f(v);
  return {
    tier: 'raw',
    t: f(t),
    count: vv.map((x) => (Number.isNaN(x) ? 0 : 1)),
    sum: vv,
    min: vv,
    max: vv,
    last: vv,
    stddev: vv.map((x) => (Number.isNaN(x) ? NaN : 0))
  };
}

describe('window values', () => {
  const w = raw([0, 1000, 2000, 3000, 4000], [2, NaN, 4, 4, 5]);
  // Finite values 2, 4, 4, 5: avg 15/4, min 2, max 5, count 4, last 5,
  // population stddev sqrt(((2-3.75)²+(4-3.75)²·2+(5-3.75)²)/4) = sqrt(4.75/4).
  it.each([
    ['avg', 3.75],
    ['min', 2],
    ['max', 5],
    ['sum', 15],
    ['count', 4],
    ['last', 5],
    ['stddev', Math.sqrt(4.75 / 4)]
  ] as const)('%s over raw points with a gap', (agg, expected) => {
    expect(computeWindowAggregate(agg, w)).toBeCloseTo(expected, 12);
  });

  it('merges bucket partials instead of averaging averages', () => {
    // Bucket A: points 1, 3 (count 2, sum 4, sd 1); bucket B: points 10 (count 1, sum 10, sd 0).
    const b: WindowColumns = {
      tier: '10s',
      t: f([0, 10_000, 20_000]),
      count: f([2, 1, 0]),
      sum: f([4, 10, NaN]),
      min: f([1, 10, NaN]),
      max: f([3, 10, NaN]),
      last: f([3, 10, NaN]),
      stddev: f([1, 0, NaN])
    };
    expect(computeWindowAggregate('avg', b)).toBeCloseTo(14 / 3, 12);
    expect(computeWindowAggregate('count', b)).toBe(3);
    expect(computeWindowAggregate('last', b)).toBe(10);
    // Points 1, 3, 10: mean 14/3, population variance ((1-14/3)²+(3-14/3)²+(10-14/3)²)/3.
    const m = 14 / 3;
    const sd = Math.sqrt(((1 - m) ** 2 + (3 - m) ** 2 + (10 - m) ** 2) / 3);
    expect(computeWindowAggregate('stddev', b)).toBeCloseTo(sd, 12);
  });

  it('gives NaN for an empty or all-gap window, and count 0', () => {
    const empty = raw([], []);
    const gaps = raw([0, 1], [NaN, NaN]);
    for (const agg of ['avg', 'min', 'max', 'sum', 'last', 'stddev'] as const) {
      expect(computeWindowAggregate(agg, empty)).toBeNaN();
      expect(computeWindowAggregate(agg, gaps)).toBeNaN();
    }
    expect(computeWindowAggregate('count', gaps)).toBe(0);
    expect(computeWindowQuantile(0.95, gaps)).toBeNaN();
    expect(computeWindowRate(raw([0], [5]))).toBeNaN();
  });

  it('computes exact type-7 quantiles over raw points', () => {
    const v = Array.from({ length: 101 }, (_, i) => 100 - i); // 0..100 reversed
    expect(
      computeWindowQuantile(
        0.95,
        raw(
          v.map((_, i) => i),
          v
        )
      )
    ).toBeCloseTo(95, 12);
    expect(computeWindowQuantile(0.5, raw([0, 1, 2, 3], [1, 2, 3, 4]))).toBeCloseTo(2.5, 12);
  });

  it('computes a reset-aware counter rate per second', () => {
    // 100 → 160 (+60), reset to 20 (+20), → 50 (+30): 110 over 30 s.
    expect(computeWindowRate(raw([0, 10_000, 20_000, 30_000], [100, 160, 20, 50]))).toBeCloseTo(
      110 / 30,
      12
    );
  });

  it('takes the highest anomaly score, 0 when none', () => {
    expect(computeAnomalyScore([])).toBe(0);
    expect(computeAnomalyScore([0.7, 0.93, NaN])).toBe(0.93);
  });
});
