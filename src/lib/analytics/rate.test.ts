import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeAverageRate, computeIncrease, computeRate } from './rate';

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
