import { describe, expect, it } from 'vitest';
import type { TierName } from '$lib/types';
import { countBuckets, getPartial } from './columns';
import { aggregatePartial, createEmptyPartial, type BucketPartial } from './partial';
import { rollupPartials, rollupPoints } from './rollup';

const U = Date.UTC;
const f64 = (xs: number[]) => Float64Array.from(xs);

function partialOf(values: number[], times = values.map((_, i) => i)): BucketPartial {
  const cols = rollupPoints({ t: f64(times), v: f64(values), tier: '1M', timeZone: 'UTC' });
  return countBuckets(cols) === 0 ? createEmptyPartial() : getPartial(cols, 0);
}

describe('rollupPoints', () => {
  it('hand-computed 1 s fixture (NaN is a gap)', () => {
    const r = rollupPoints({
      t: f64([0, 500, 1500, 1600, 2500]),
      v: f64([1, 3, 5, NaN, 2]),
      tier: '1s',
      timeZone: 'UTC'
    });
    expect(Array.from(r.start)).toEqual([0, 1000, 2000]);
    expect(Array.from(r.count)).toEqual([2, 1, 1]);
    expect(Array.from(r.sum)).toEqual([4, 5, 2]);
    expect(Array.from(r.min)).toEqual([1, 5, 2]);
    expect(Array.from(r.max)).toEqual([3, 5, 2]);
    expect(Array.from(r.sumSq)).toEqual([2, 0, 0]);
    expect(Array.from(r.first)).toEqual([1, 5, 2]);
    expect(Array.from(r.firstT)).toEqual([0, 1500, 2500]);
    expect(Array.from(r.last)).toEqual([3, 5, 2]);
    expect(Array.from(r.lastT)).toEqual([500, 1500, 2500]);
    expect(r.sketches.map((s) => s.count)).toEqual([2, 1, 1]);
  });

  it('empty input, all-NaN values and non-finite times give no buckets', () => {
    expect(
      countBuckets(rollupPoints({ t: f64([]), v: f64([]), tier: '1m', timeZone: 'UTC' }))
    ).toBe(0);
    const r = rollupPoints({
      t: f64([1, NaN, Infinity]),
      v: f64([NaN, 2, 3]),
      tier: '1m',
      timeZone: 'UTC'
    });
    expect(countBuckets(r)).toBe(0);
  });

  it('unsorted input with duplicate timestamps: stable time order decides first/last', () => {
    const r = rollupPoints({
      t: f64([3000, 1000, 1000, 2000]),
      v: f64([9, 1, 2, 5]),
      tier: '1m',
      timeZone: 'UTC'
    });
    const p = getPartial(r, 0);
    expect(p.first).toBe(1);
    expect(p.last).toBe(9);
    expect(p.count).toBe(4);
  });

  it('1 d buckets follow London DST: the spring day has 23 hours of points', () => {
    const t: number[] = [];
    for (let x = U(2026, 2, 28); x < U(2026, 2, 31); x += 600_000) t.push(x);
    const r = rollupPoints({
      t: f64(t),
      v: f64(t.map(() => 1)),
      tier: '1d',
      timeZone: 'Europe/London'
    });
    expect(Array.from(r.start)).toEqual([
      U(2026, 2, 28),
      U(2026, 2, 29),
      U(2026, 2, 29, 23),
      U(2026, 2, 30, 23)
    ]);
    expect(Array.from(r.count)).toEqual([144, 138, 144, 6]);
  });

  it('±Infinity values are counted and bound min/max', () => {
    const p = partialOf([1, Infinity, -Infinity, 2]);
    expect(p.count).toBe(4);
    expect(aggregatePartial(p, 'max')).toBe(Infinity);
    expect(aggregatePartial(p, 'min')).toBe(-Infinity);
    // Quantiles cover the finite values only: p50 of [1, 2] is 1 (within 1%).
    expect(Math.abs(aggregatePartial(p, 'p50') - 1)).toBeLessThanOrEqual(0.01);
  });
});
describe('rollupPartials', () => {
  function series(n: number, seed: number): { t: Float64Array; v: Float64Array } {
    const t = new Float64Array(n);
    const v = new Float64Array(n);
    let s = seed;
    for (let i = 0; i < n; i++) {
      s = (s * 1103515245 + 12345) % 2147483648;
      t[i] = U(2026, 2, 29, 0) + i * 997; // irregular against bucket edges
      v[i] = (s % 10_000) / 4;
    }
    return { t, v };
  }

  const ladder: [TierName, TierName, string][] = [
    ['1s', '1m', 'UTC'],
    ['10s', '5m', 'Asia/Kolkata'],
    ['1m', '1h', 'Asia/Kathmandu'],
    ['15m', '1d', 'Europe/London'],
    ['1h', '1w', 'America/New_York'],
    ['1d', '1M', 'Australia/Lord_Howe']
  ];

  it.each(ladder)(
    '%s → %s (%s) equals rolling the points up directly',
    (fine, coarse, timeZone) => {
      const { t, v } = series(fine === '1s' ? 5000 : 30_000, 42);
      if (fine === '1h' || fine === '1d')
        for (let i = 0; i < t.length; i++) t[i] = U(2026, 2, 1) + i * 97_000;
      const direct = rollupPoints({ t, v, tier: coarse, timeZone });
      const viaFine = rollupPartials({
        columns: rollupPoints({ t, v, tier: fine, timeZone }),
        tier: coarse,
        timeZone
      });
      expect(countBuckets(viaFine)).toBe(countBuckets(direct));
      for (const f of [
        'start',
        'count',
        'sum',
        'min',
        'max',
        'first',
        'firstT',
        'last',
        'lastT'
      ] as const) {
        expect(Array.from(viaFine[f])).toEqual(Array.from(direct[f]));
      }
      for (let i = 0; i < countBuckets(direct); i++) {
        const a = direct.sumSq[i];
        expect(Math.abs(viaFine.sumSq[i] - a)).toBeLessThanOrEqual(1e-9 * a + 1e-9);
        expect(viaFine.sketches[i].quantile(0.95)).toBe(direct.sketches[i].quantile(0.95));
      }
    }
  );

  it('refuses tiers that do not nest', () => {
    const cols = rollupPoints({ t: f64([0]), v: f64([1]), tier: '1w', timeZone: 'UTC' });
    expect(() => rollupPartials({ columns: cols, tier: '1M', timeZone: 'UTC' })).toThrow(
      RangeError
    );
    expect(() => rollupPartials({ columns: cols, tier: '1d', timeZone: 'UTC' })).toThrow(
      RangeError
    );
  });
});
