import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatColumns, createColumns, packColumns, sliceColumns } from '$lib/tsdb/columns';
import { rollupPoints } from '$lib/tsdb/rollup';
import { QuantileSketch, SketchDefaults } from '$lib/tsdb/sketch';
import type { QueryResult, TierName } from '$lib/types';
import {
  computeAnomalyScore,
  computeWindowAggregate,
  computeWindowQuantile,
  computeWindowRate,
  windowOfResult,
  type WindowColumns
} from './window';

const f = (xs: number[]) => Float64Array.from(xs);

/** Raw points as the store's query answers them. */
function raw(t: number[], v: number[]): WindowColumns {
  return { tier: 'raw', t: f(t), v: f(v) };
}

/**
 * The same points as the store answers them from `tier` buckets: rolled up, with an empty
 * bucket (count 0) spliced in after the first, packed for transfer as a query result, and
 * unpacked by windowOfResult.
 */
function buckets(t: number[], v: number[], tier: TierName = '10s'): WindowColumns {
  const cols = rollupPoints({ t: f(t), v: f(v), tier, timeZone: 'UTC' });
  const empty = createColumns(tier, 1);
  empty.start[0] = cols.start.length ? cols.start[0] + 1 : 0;
  empty.sketches.push(new QuantileSketch());
  const n = cols.start.length;
  const run = concatColumns(tier, [sliceColumns(cols, 0, 1), empty, sliceColumns(cols, 1, n)]);
  const result: QueryResult = {
    seriesId: 1,
    tier,
    stepMs: 10_000,
    t: run.start,
    columns: { last: run.last },
    partials: packColumns(run)
  };
  return windowOfResult(result);
}

/** Population stddev and the lower q-quantile x_{floor(q(n−1))} of the finite values. */
function exact(v: number[]): { sd: number; lower: (q: number) => number } {
  const xs = v.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length);
  return { sd, lower: (q) => xs[Math.floor(q * (xs.length - 1))] };
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
    // Bucket [0, 10 s): points 1, 3; bucket [10 s, 20 s): point 10; an empty bucket between.
    const b = buckets([0, 5_000, 10_000], [1, 3, 10]);
    expect(b.tier).toBe('10s');
    expect(computeWindowAggregate('avg', b)).toBeCloseTo(14 / 3, 12);
    expect(computeWindowAggregate('count', b)).toBe(3);
    expect(computeWindowAggregate('first', b)).toBe(1);
    expect(computeWindowAggregate('last', b)).toBe(10);
    // Points 1, 3, 10: mean 14/3, population variance ((1-14/3)²+(3-14/3)²+(10-14/3)²)/3.
    const m = 14 / 3;
    const sd = Math.sqrt(((1 - m) ** 2 + (3 - m) ** 2 + (10 - m) ** 2) / 3);
    expect(computeWindowAggregate('stddev', b)).toBeCloseTo(sd, 12);
  });

  it('takes quantiles from the merged sketches, not quantiles of bucket quantiles', () => {
    // Bucket [0, 10 s): 0..99; bucket [10 s, 20 s): 1000..1099. The buckets' medians are 49
    // and 1049, whose count-weighted median is 49; the points' lower median is x_99 = 99.
    const t = Array.from({ length: 200 }, (_, i) => (i < 100 ? 0 : 10_000) + (i % 100));
    const v = Array.from({ length: 200 }, (_, i) => (i < 100 ? i : 900 + i));
    const b = buckets(t, v);
    expect(Math.abs(computeWindowQuantile(0.5, b) - 99)).toBeLessThanOrEqual(0.99);
    // p75: x_149 = 1049 (the buckets' p95s would have given 1094).
    expect(Math.abs(computeWindowQuantile(0.75, b) - 1049)).toBeLessThanOrEqual(10.49);
    expect(Math.abs(computeWindowAggregate('p95', b) - 1089)).toBeLessThanOrEqual(10.89);
  });

  it('property: window stddev and p95 from bucket partials equal the raw points', () => {
    const value = fc.oneof(
      { weight: 9, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
      { weight: 1, arbitrary: fc.constant(NaN) }
    );
    // Points up to a minute apart: many per 10 s bucket, buckets across boundaries, empty
    // buckets between them, single-point buckets and NaN gaps.
    const points = fc.array(fc.tuple(fc.integer({ min: 0, max: 60_000 }), value), {
      minLength: 1,
      maxLength: 300
    });
    fc.assert(
      fc.property(points, fc.constantFrom<TierName>('1s', '10s', '1m'), (pts, tier) => {
        let at = 1_700_000_000_000;
        const t = pts.map(([dt]) => (at += dt));
        const v = pts.map(([, x]) => x);
        const w = buckets(t, v, tier);
        if (v.every(Number.isNaN)) {
          expect(computeWindowAggregate('stddev', w)).toBeNaN();
          expect(computeWindowQuantile(0.95, w)).toBeNaN();
          expect(computeWindowAggregate('count', w)).toBe(0);
          return;
        }
        const { sd, lower } = exact(v);
        expect(computeWindowAggregate('stddev', w)).toBeCloseTo(sd, 6 - Math.log10(sd + 1));
        for (const q of [0.5, 0.95, 0.99]) {
          const x = lower(q);
          const tolerance = SketchDefaults.relativeAccuracy * Math.abs(x) + 1e-9;
          expect(Math.abs(computeWindowQuantile(q, w) - x)).toBeLessThanOrEqual(tolerance);
        }
        expect(computeWindowAggregate('p95', w)).toBe(computeWindowQuantile(0.95, w));
        expect(computeWindowAggregate('count', w)).toBe(v.filter((x) => !Number.isNaN(x)).length);
      })
    );
  });

  it('one point: stddev 0, every quantile the point, from raw points and from buckets', () => {
    for (const w of [raw([5_000], [42]), buckets([5_000], [42])]) {
      expect(computeWindowAggregate('stddev', w)).toBe(0);
      expect(computeWindowQuantile(0.95, w)).toBe(42);
      expect(computeWindowAggregate('p50', w)).toBe(42);
    }
  });

  it('gives NaN for an empty or all-gap window, and count 0', () => {
    const empty = raw([], []);
    const gaps = raw([0, 1], [NaN, NaN]);
    for (const agg of ['avg', 'min', 'max', 'sum', 'last', 'stddev', 'p95'] as const) {
      expect(computeWindowAggregate(agg, empty)).toBeNaN();
      expect(computeWindowAggregate(agg, gaps)).toBeNaN();
      expect(computeWindowAggregate(agg, buckets([0, 1], [NaN, NaN]))).toBeNaN();
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
