import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeAverageRate,
  computeBucketRates,
  computeIncrease,
  computePointRates,
  computeRate
} from './rate';

const f64 = (xs: number[]) => Float64Array.from(xs);
const S = (t: number[], v: number[]) => ({ t: f64(t), v: f64(v) });

describe('computeRate', () => {
  it.each<[string, number[], number[], number[], number[]]>([
    ['empty', [], [], [], []],
    ['one point', [0], [5], [], []],
    ['steady', [0, 1000, 2000], [0, 10, 20], [1000, 2000], [10, 10]],
    ['reset', [0, 1000, 2000, 3000], [10, 20, 5, 15], [1000, 2000, 3000], [10, 5, 10]],
    ['reset to zero', [0, 1000, 2000], [100, 0, 3], [1000, 2000], [0, 3]],
    ['NaN gap', [0, 1000, 2000, 4000], [0, NaN, 10, 30], [2000, 4000], [5, 10]],
    ['duplicate time carries over', [0, 1000, 1000, 2000], [0, 4, 6, 10], [1000, 2000], [4, 6]],
    ['irregular', [0, 500, 2500], [0, 1, 3], [500, 2500], [2, 1]]
  ])('%s', (_name, t, v, rt, rv) => {
    const r = computeRate(S(t, v));
    expect(Array.from(r.t)).toEqual(rt);
    expect(Array.from(r.v)).toEqual(rv);
  });
});

describe('computeIncrease / computeAverageRate', () => {
  it.each<[string, number[], number[], number, number]>([
    ['empty', [], [], NaN, NaN],
    ['one point', [0], [5], NaN, NaN],
    ['steady', [0, 10_000], [0, 50], 50, 5],
    ['two resets', [0, 1000, 2000, 3000, 4000], [5, 8, 2, 7, 1], 3 + 2 + 5 + 1, 11 / 4],
    ['no time elapsed', [1000, 1000], [1, 2], 1, NaN]
  ])('%s', (_name, t, v, increase, rate) => {
    expect(computeIncrease(S(t, v))).toBe(increase);
    expect(computeAverageRate(S(t, v))).toBe(rate);
  });

  it('property: rates integrate back to the increase', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 1000 })), {
          minLength: 2,
          maxLength: 100
        }),
        (steps) => {
          let t = 0;
          const ts: number[] = [];
          const vs = steps.map(([dt, v]) => {
            t += dt;
            ts.push(t);
            return v;
          });
          const s = S(ts, vs);
          const r = computeRate(s);
          let integral = 0;
          let prevT = ts[0];
          for (let i = 0; i < r.t.length; i++) {
            integral += (r.v[i] * (r.t[i] - prevT)) / 1000;
            prevT = r.t[i];
          }
          const inc = computeIncrease(s);
          // Increase after the last positive-dt point stays pending (no interval to rate it).
          let tail = 0;
          // A rate is stamped at the first point of a new timestamp; later points sharing
          // it (and anything when no rate was emitted) are still pending.
          const from = r.t.length ? ts.indexOf(r.t[r.t.length - 1]) : 0;
          for (let i = from + 1; i < ts.length; i++)
            tail += vs[i] >= vs[i - 1] ? vs[i] - vs[i - 1] : vs[i];
          expect(integral + tail).toBeCloseTo(inc, 6);
          expect(inc).toBeGreaterThanOrEqual(0);
        }
      )
    );
  });
});

describe('computePointRates', () => {
  it('aligns per-second rates with the points, resets counted from zero', () => {
    const r = computePointRates({
      t: new Float64Array([0, 1000, 3000, 4000, 4000, 6000]),
      v: new Float64Array([10, 20, 5, NaN, 9, 13])
    });
    // 10→20 over 1 s; 20→5 is a reset (+5) over 2 s; NaN is a gap; 5→9 over 1 s from t=3000
    // (the NaN at 4000 skipped); 9→13 over 2 s.
    expect(Array.from(r)).toEqual([NaN, 10, 2.5, NaN, 4, 2]);
  });

  it('agrees with computeRate on the points it rates', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 1e6 })), {
          maxLength: 60
        }),
        (pairs) => {
          const sorted = [...pairs].sort((a, b) => a[0] - b[0]);
          const series = {
            t: Float64Array.from(sorted.map((p) => p[0])),
            v: Float64Array.from(sorted.map((p) => p[1]))
          };
          const aligned = computePointRates(series);
          const compact = computeRate(series);
          const fromAligned = Array.from(aligned).filter((x) => !Number.isNaN(x));
          expect(fromAligned).toEqual(Array.from(compact.v));
        }
      )
    );
  });

  it('is empty for empty input and NaN for one point', () => {
    expect(computePointRates({ t: new Float64Array(0), v: new Float64Array(0) }).length).toBe(0);
    expect(Array.from(computePointRates({ t: Float64Array.of(5), v: Float64Array.of(1) }))).toEqual(
      [NaN]
    );
  });
});

describe('computeBucketRates', () => {
  const f = (xs: number[]) => Float64Array.from(xs);

  it('rates each bucket from the previous bucket’s last sample, reset-aware', () => {
    // Bucket 0: 0..30 over 30 s. Bucket 1: from 30 (t=30 s) to 90 (t=90 s) → 1/s.
    // Bucket 2: empty. Bucket 3: counter restarted (min 2 < 90), last 12 at t=210 s → 12 over 120 s.
    const r = computeBucketRates({
      count: f([2, 2, 0, 3]),
      min: f([0, 60, NaN, 2]),
      first: f([0, 60, NaN, 2]),
      firstT: f([0, 60_000, NaN, 180_000]),
      last: f([30, 90, NaN, 12]),
      lastT: f([30_000, 90_000, NaN, 210_000])
    });
    expect(Array.from(r)).toEqual([1, 1, NaN, 0.1]);
  });

  it('matches the exact rate of a steady counter bucketed by the minute', () => {
    // 10 per second for 5 minutes, reset to 0 at 150 s: exact per-bucket rates from points.
    const t: number[] = [];
    const v: number[] = [];
    for (let s = 0; s < 300; s++) {
      t.push(s * 1000);
      v.push(s < 150 ? 10 * s : 10 * (s - 150));
    }
    const buckets = { count: [] as number[], min: [] as number[], first: [] as number[] };
    const firstT: number[] = [];
    const last: number[] = [];
    const lastT: number[] = [];
    for (let b = 0; b < 5; b++) {
      const xs = v.slice(b * 60, b * 60 + 60);
      buckets.count.push(60);
      buckets.min.push(Math.min(...xs));
      buckets.first.push(xs[0]);
      firstT.push(b * 60_000);
      last.push(xs[59]);
      lastT.push(b * 60_000 + 59_000);
    }
    const r = computeBucketRates({
      count: f(buckets.count),
      min: f(buckets.min),
      first: f(buckets.first),
      firstT: f(firstT),
      last: f(last),
      lastT: f(lastT)
    });
    // Bucket 2 (120–179 s) holds the reset at 150 s. Partials cannot see the rise from 1190
    // to 1490 before it, so the bucket counts only the 290 after it: a documented lower
    // bound (the exact rate would be 590 / 60).
    expect(r[0]).toBeCloseTo(10, 12);
    expect(r[1]).toBeCloseTo(10, 12);
    expect(r[2]).toBeCloseTo(290 / 60, 12);
    expect(r[2]).toBeLessThanOrEqual(10);
    expect(r[3]).toBeCloseTo(10, 12);
    expect(r[4]).toBeCloseTo(10, 12);
  });
});
