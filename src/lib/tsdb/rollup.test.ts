import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Aggregate, TierName } from '$lib/types';
import { decodeRollupBlock, encodeRollupBlock } from './codec/block';
import { aggregateColumns, countBuckets, getPartial, type RollupColumns } from './columns';
import { aggregatePartial, createEmptyPartial, mergePartials, type BucketPartial } from './partial';
import { rollupPartials, rollupPoints } from './rollup';
import { createSketch } from './sketch';

const U = Date.UTC;
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

describe('encodeRollupBlock / decodeRollupBlock', () => {
  function expectSame(a: RollupColumns, b: RollupColumns): void {
    expect(b.tier).toBe(a.tier);
    for (const f of [
      'start',
      'count',
      'sum',
      'min',
      'max',
      'sumSq',
      'first',
      'firstT',
      'last',
      'lastT'
    ] as const) {
      expect(Array.from(b[f]).map((x) => (Object.is(x, -0) ? '-0' : x))).toEqual(
        Array.from(a[f]).map((x) => (Object.is(x, -0) ? '-0' : x))
      );
    }
    for (let i = 0; i < a.sketches.length; i++) {
      for (const q of [0, 0.5, 0.99, 1])
        expect(b.sketches[i].quantile(q)).toBe(a.sketches[i].quantile(q));
    }
  }

  it('round-trips an empty block', () => {
    const empty = rollupPoints({ t: f64([]), v: f64([]), tier: '1h', timeZone: 'UTC' });
    expectSame(empty, decodeRollupBlock(encodeRollupBlock(empty)));
  });

  it('round-trips a realistic 1 s series compactly', () => {
    const n = 1024;
    const t = Float64Array.from({ length: n }, (_, i) => U(2026, 0, 1) + i * 1000);
    const v = Float64Array.from(
      { length: n },
      (_, i) => Math.round((30 + 10 * Math.sin(i / 60)) * 100) / 100
    );
    const cols = rollupPoints({ t, v, tier: '1s', timeZone: 'UTC' });
    const bytes = encodeRollupBlock(cols);
    expectSame(cols, decodeRollupBlock(bytes));
    // One point per bucket: columns compress like the raw chunk, sketches ~4 bytes each.
    expect(bytes.length / n).toBeLessThan(12);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expectSame(cols, decodeRollupBlock(shifted.subarray(1)));
  });

  it('property: any series round-trips through a block', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: -1e13, max: 1e13, noNaN: true }), fc.double()), {
          maxLength: 200
        }),
        fc.constantFrom<TierName>('1s', '1m', '1h', '1d'),
        (pairs, tier) => {
          const cols = rollupPoints({
            t: f64(pairs.map((p) => p[0])),
            v: f64(pairs.map((p) => p[1])),
            tier,
            timeZone: 'UTC'
          });
          expectSame(cols, decodeRollupBlock(encodeRollupBlock(cols)));
        }
      ),
      { numRuns: 150 }
    );
  });

  it('property: corrupted blocks throw RangeError or decode, never hang', () => {
    const t = Float64Array.from({ length: 300 }, (_, i) => i * 700);
    const v = Float64Array.from(t, (_, i) => (i % 17) / 4);
    const good = encodeRollupBlock(rollupPoints({ t, v, tier: '1s', timeZone: 'UTC' }));
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.nat(255), fc.boolean(), (at, byte, truncate) => {
        const bad = truncate ? good.slice(0, at) : good.slice();
        if (!truncate) bad[at] = byte;
        try {
          decodeRollupBlock(bad);
        } catch (e) {
          expect(e).toBeInstanceOf(RangeError);
        }
      }),
      { numRuns: 300 }
    );
  });

  it('rejects an unknown version', () => {
    const bytes = encodeRollupBlock(
      rollupPoints({ t: f64([0]), v: f64([1]), tier: '1s', timeZone: 'UTC' })
    );
    bytes[0] = 7;
    expect(() => decodeRollupBlock(bytes)).toThrow(RangeError);
  });

  it('sketch in a block keeps quantiles within 1% after decode', () => {
    const xs = Array.from({ length: 500 }, (_, i) => Math.exp((i % 50) / 7));
    const cols = rollupPoints({
      t: f64(xs.map((_, i) => i)),
      v: f64(xs),
      tier: '1h',
      timeZone: 'UTC'
    });
    const back = decodeRollupBlock(encodeRollupBlock(cols));
    const e = lowerQuantile(xs, 0.99);
    expect(Math.abs(back.sketches[0].quantile(0.99) - e) / e).toBeLessThanOrEqual(0.01);
    expect(createSketch(xs).quantile(0.99)).toBe(back.sketches[0].quantile(0.99));
  });
});
