import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSketch, QuantileSketch, SketchDefaults } from './sketch';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** Exact lower quantile, the oracle the sketch promises to approximate. */
function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))];
}

const distributions: Record<string, (r: () => number, i: number) => number> = {
  uniform: (r) => r() * 100,
  lognormal: (r) => Math.exp(1 + 2 * gaussian(r)),
  bimodal: (r) => (r() < 0.7 ? 10 + gaussian(r) : 500 + 20 * gaussian(r)),
  constant: () => 42.42,
  negative: (r) => -Math.exp(3 * gaussian(r)),
  'mixed sign with zeros': (r, i) => (i % 5 === 0 ? 0 : 1000 * gaussian(r)),
  // 16 decades: 1843 bins, inside maxBins, so no collapse.
  'tiny and huge': (r) => 10 ** (r() * 16 - 8)
};

const quantiles = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

describe('QuantileSketch', () => {
  it('empty sketch', () => {
    const s = createSketch();
    expect(s.count).toBe(0);
    expect(s.quantile(0.5)).toBeNaN();
    expect(s.serialize().length).toBe(1);
  });

  it('one point is exact within α and costs a few bytes', () => {
    const s = createSketch([50]);
    expect(Math.abs(s.quantile(0.5) - 50) / 50).toBeLessThanOrEqual(0.01);
    expect(s.serialize().length).toBeLessThanOrEqual(5);
  });

  it('single-bin sketches behave like stored ones (add, merge, clone, serialize)', () => {
    const solo = createSketch([5, 5, 5]);
    expect(solo.binSpan.positive).toBe(1);
    const other = createSketch([7]);
    const merged = solo.clone();
    merged.merge(other);
    expect(merged.count).toBe(4);
    expect(merged.quantile(1)).toBe(createSketch([5, 5, 5, 7]).quantile(1));
    expect(solo.count).toBe(3);
    expect(Array.from(createSketch([5, 5]).serialize())).toEqual(
      Array.from(QuantileSketch.deserialize(createSketch([5, 5]).serialize()).serialize())
    );
    const mixed = createSketch([-1, 0, 5]);
    mixed.merge(createSketch([5, 9, 9]));
    expect(mixed.count).toBe(6);
    expect(mixed.quantile(0)).toBeCloseTo(-1, 1);
  });

  it('ignores NaN and ±Infinity, counts zeros and -0', () => {
    const s = createSketch([NaN, Infinity, -Infinity, 0, -0, 3]);
    expect(s.count).toBe(3);
    expect(s.quantile(0)).toBe(0);
    expect(s.quantile(0.5)).toBe(0);
  });

  it.each([-0.1, 1.1, NaN])('quantile(%d) is NaN', (q) => {
    expect(createSketch([1, 2]).quantile(q)).toBeNaN();
  });

  const sizes = [1, 2, 10, 101, 1000, 20_000];
  const cases = Object.keys(distributions).flatMap((d) => sizes.map((n) => [d, n] as const));
  it.each(cases)(
    '%s, n=%d: every quantile within 1 percent of the exact lower quantile',
    (d, n) => {
      const r = rng(n * 31 + d.length);
      const values = Array.from({ length: n }, (_, i) => distributions[d](r, i));
      const sorted = [...values].sort((a, b) => a - b);
      const s = createSketch(values);
      expect(s.count).toBe(n);
      for (const q of quantiles) {
        const exact = exactQuantile(sorted, q);
        const est = s.quantile(q);
        expect(Math.abs(est - exact)).toBeLessThanOrEqual(
          SketchDefaults.relativeAccuracy * Math.abs(exact) + 1e-300
        );
      }
    }
  );

  it('merge of parts equals the sketch of the whole (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 300 }),
        fc.nat(),
        (values, cut) => {
          const k = values.length === 0 ? 0 : cut % (values.length + 1);
          const a = createSketch(values.slice(0, k));
          const b = createSketch(values.slice(k));
          const merged = a.clone();
          merged.merge(b);
          const whole = createSketch(values);
          expect(merged.count).toBe(whole.count);
          for (const q of quantiles) expect(merged.quantile(q)).toBe(whole.quantile(q));
          // merge is commutative
          const other = b.clone();
          other.merge(a);
          for (const q of quantiles) expect(other.quantile(q)).toBe(whole.quantile(q));
        }
      ),
      { numRuns: 200 }
    );
  });

  it('serialize/deserialize round-trips (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true }), { maxLength: 200 }), (values) => {
        const s = createSketch(values);
        const bytes = s.serialize();
        // Read from bytes (the stored form, answered without unpacking the bins)…
        const back = QuantileSketch.deserialize(bytes);
        for (const q of [...quantiles, 0.37, 1e-9]) {
          expect(Object.is(back.quantile(q), s.quantile(q))).toBe(true);
        }
        expect(back.serialize()).toEqual(bytes);
        // …and unpacked (count reads the bins), then changed: still the same sketch.
        expect(back.count).toBe(s.count);
        for (const q of quantiles) expect(Object.is(back.quantile(q), s.quantile(q))).toBe(true);
        const lazy = QuantileSketch.deserialize(bytes);
        const copy = lazy.clone();
        lazy.add(42);
        s.add(42);
        for (const q of quantiles) expect(Object.is(lazy.quantile(q), s.quantile(q))).toBe(true);
        expect(copy.serialize()).toEqual(bytes);
        const sum = createSketch([-3, 0, 7]);
        sum.merge(QuantileSketch.deserialize(bytes));
        const want = createSketch([-3, 0, 7, ...values]);
        for (const q of quantiles) expect(Object.is(sum.quantile(q), want.quantile(q))).toBe(true);
      }),
      { numRuns: 200 }
    );
  });

  it('rejects an unknown serialised version', () => {
    const bytes = createSketch([1]).serialize();
    bytes[0] = 0xf0 | (bytes[0] & 0xf);
    expect(() => QuantileSketch.deserialize(bytes)).toThrow(RangeError);
  });

  it('stays bounded: collapses the smallest magnitudes beyond maxBins', () => {
    const values = Array.from({ length: 4000 }, (_, i) => 10 ** (-200 + i / 10));
    const s = createSketch(values);
    expect(s.binSpan.positive).toBeLessThanOrEqual(SketchDefaults.maxBins);
    expect(s.count).toBe(values.length);
    // The top ~17 decades (2048 bins at α = 1%) keep their accuracy: here the top 4%.
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.97, 0.99, 1]) {
      const exact = exactQuantile(sorted, q);
      expect(Math.abs(s.quantile(q) - exact) / exact).toBeLessThanOrEqual(0.01);
    }
    const merged = createSketch(values.slice(0, 10));
    merged.merge(s);
    expect(merged.binSpan.positive).toBeLessThanOrEqual(SketchDefaults.maxBins);
  });
});
