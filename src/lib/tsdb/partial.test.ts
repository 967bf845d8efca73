import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Aggregate } from '$lib/types';
import { aggregateColumns, countBuckets, getPartial } from './columns';
import { aggregatePartial, createEmptyPartial, mergePartials, type BucketPartial } from './partial';
import { rollupPoints } from './rollup';

const f64 = (xs: number[]) => Float64Array.from(xs);

function partialOf(values: number[], times = values.map((_, i) => i)): BucketPartial {
  const cols = rollupPoints({ t: f64(times), v: f64(values), tier: '1M', timeZone: 'UTC' });
  return countBuckets(cols) === 0 ? createEmptyPartial() : getPartial(cols, 0);
}

function twoPassM2(xs: number[]): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return xs.reduce((a, x) => a + (x - mean) ** 2, 0);
}

function lowerQuantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(q * (s.length - 1))];
}

describe('aggregatePartial', () => {
  const p = partialOf([2, 4, 4, 4, 5, 5, 7, 9], [10, 11, 12, 13, 14, 15, 16, 17]);
  it.each<[Aggregate, number]>([
    ['avg', 5],
    ['min', 2],
    ['max', 9],
    ['sum', 40],
    ['count', 8],
    ['first', 2],
    ['last', 9],
    ['stddev', 2]
  ])('%s = %d', (a, expected) => {
    expect(aggregatePartial(p, a)).toBe(expected);
  });

  it.each<[Aggregate, number]>([
    ['p50', 4],
    ['p95', 7],
    ['p99', 7]
  ])('%s within 1%% of the lower quantile %d', (a, expected) => {
    expect(Math.abs(aggregatePartial(p, a) - expected) / expected).toBeLessThanOrEqual(0.01);
  });

  it.each<[Aggregate, number]>([
    ['count', 0],
    ['sum', 0],
    ['avg', NaN],
    ['min', NaN],
    ['first', NaN],
    ['stddev', NaN],
    ['p99', NaN]
  ])('empty partial: %s = %d', (a, expected) => {
    expect(aggregatePartial(createEmptyPartial(), a)).toBe(expected);
  });

  it('aggregateColumns returns one aligned column per aggregate', () => {
    const r = rollupPoints({
      t: f64([0, 1000, 1001]),
      v: f64([1, 2, 4]),
      tier: '1s',
      timeZone: 'UTC'
    });
    const cols = aggregateColumns(r, ['avg', 'count']);
    expect(Array.from(cols.avg!)).toEqual([1, 3]);
    expect(Array.from(cols.count!)).toEqual([1, 2]);
  });
});

describe('mergePartials', () => {
  it('identity with the empty partial; first/last follow time', () => {
    const a = partialOf([5, 6], [100, 200]);
    const b = partialOf([1, 9], [50, 300]);
    const m = mergePartials(a, b);
    expect([m.first, m.firstT, m.last, m.lastT]).toEqual([1, 50, 9, 300]);
    expect(mergePartials(a, createEmptyPartial()).sum).toBe(11);
    expect(mergePartials(createEmptyPartial(), a).first).toBe(5);
    expect(a.sketch.count).toBe(2); // inputs untouched
  });

  it('stddev of merged steady large values stays exact (no catastrophic cancellation)', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => 8_123_456_789_000 + (i % 10) * 4096);
    const whole = partialOf(xs);
    const merged = [0, 1, 2, 3]
      .map((k) => partialOf(xs.slice(k * 250, k * 250 + 250)))
      .reduce(mergePartials);
    const exact = Math.sqrt(twoPassM2(xs) / xs.length);
    expect(Math.abs(aggregatePartial(merged, 'stddev') - exact) / exact).toBeLessThan(1e-9);
    expect(Math.abs(aggregatePartial(whole, 'stddev') - exact) / exact).toBeLessThan(1e-9);
  });

  it('property: merging any split equals rolling up the whole', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1_000_000, max: 1_000_000 }), { minLength: 1, maxLength: 400 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        (ints, cuts) => {
          // Quarter-integers keep every sum exact, so the oracle can be equality.
          const xs = ints.map((m) => m / 4);
          const bounds = [...new Set([0, ...cuts.map((c) => c % xs.length), xs.length])].sort(
            (a, b) => a - b
          );
          const parts: BucketPartial[] = [];
          for (let k = 0; k + 1 < bounds.length; k++) {
            const lo = bounds[k];
            const hi = bounds[k + 1];
            if (hi > lo)
              parts.push(
                partialOf(
                  xs.slice(lo, hi),
                  xs.slice(lo, hi).map((_, i) => lo + i)
                )
              );
          }
          // Merge in a shuffled order: commutativity and associativity.
          const m = [...parts].reverse().reduce(mergePartials, createEmptyPartial());
          const w = partialOf(xs);
          expect([m.count, m.sum, m.min, m.max, m.first, m.firstT, m.last, m.lastT]).toEqual([
            w.count,
            w.sum,
            w.min,
            w.max,
            w.first,
            w.firstT,
            w.last,
            w.lastT
          ]);
          const exact = Math.sqrt(twoPassM2(xs) / xs.length);
          const sd = aggregatePartial(m, 'stddev');
          expect(Math.abs(sd - exact)).toBeLessThanOrEqual(1e-9 * Math.max(exact, 1e-300) + 1e-12);
          for (const q of [0.5, 0.95, 0.99]) {
            const e = lowerQuantile(xs, q);
            expect(Math.abs(m.sketch.quantile(q) - e)).toBeLessThanOrEqual(0.01 * Math.abs(e));
          }
        }
      ),
      { numRuns: 300 }
    );
  });
});
