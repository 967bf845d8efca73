import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRollupBlock, encodeRollupBlock } from './block';
import type { TierName } from '$lib/types';
import { ColumnFields, type RollupColumns } from '../columns';
import { rollupPoints } from '../rollup';
import { createSketch } from '../sketch';

const U = Date.UTC;
const f64 = (xs: number[]) => Float64Array.from(xs);

function lowerQuantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(q * (s.length - 1))];
}

describe('encodeRollupBlock / decodeRollupBlock', () => {
  function expectSame(a: RollupColumns, b: RollupColumns): void {
    expect(b.tier).toBe(a.tier);
    for (const f of ColumnFields) {
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
