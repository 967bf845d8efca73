import { describe, expect, it } from 'vitest';
import { decimateMinMax, findFirstAtOrAfter, PointPool } from './decimate';

const run = (
  t: number[],
  v: number[],
  opts: { buckets: number; from?: number; to?: number; gapMs?: number }
) => {
  const pool = new PointPool();
  const n = decimateMinMax(pool, { t: Float64Array.from(t), v: Float64Array.from(v), ...opts });
  return pool.view(n, []).map((p) => [p.x, p.y]);
};

describe('decimateMinMax', () => {
  it('returns nothing for empty input', () => {
    expect(run([], [], { buckets: 10 })).toEqual([]);
  });

  it('keeps every point when they fit in two per column', () => {
    expect(run([1, 2, 3], [5, NaN, 7], { buckets: 2 })).toEqual([
      [1, 5],
      [2, NaN],
      [3, 7]
    ]);
  });

  it('keeps min and max of each column in time order', () => {
    // 2 columns over [0, 8): [0,4) holds 3,9,1,4 → max at t=1 then min at t=2; [4,8) holds 2,2,8,0.
    const t = [0, 1, 2, 3, 4, 5, 6, 7];
    const v = [3, 9, 1, 4, 2, 2, 8, 0];
    expect(run(t, v, { buckets: 2, from: 0, to: 8 })).toEqual([
      [1, 9],
      [2, 1],
      [6, 8],
      [7, 0]
    ]);
  });

  it('matches a brute-force envelope on random data', () => {
    const n = 10_000;
    const t = Array.from({ length: n }, (_, i) => i * 3);
    let seed = 7;
    const v = t.map(() => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 100);
    const buckets = 37;
    const from = 0;
    const to = t[n - 1] + 1;
    const got = run(t, v, { buckets, from, to });
    const width = (to - from) / buckets;
    for (let c = 0; c < buckets; c++) {
      const inCol = t
        .map((x, i) => [x, v[i]])
        .filter(([x]) => Math.floor((x - from) / width) === c);
      if (inCol.length === 0) continue;
      const ys = inCol.map(([, y]) => y);
      const gotCol = got.filter(([x]) => Math.floor((x - from) / width) === c).map(([, y]) => y);
      expect(Math.max(...gotCol)).toBe(Math.max(...ys));
      expect(Math.min(...gotCol)).toBe(Math.min(...ys));
      expect(gotCol.length).toBeLessThanOrEqual(2);
    }
    for (let i = 1; i < got.length; i++) expect(got[i][0]).toBeGreaterThan(got[i - 1][0]);
  });

  it('keeps a NaN as a gap inside a column', () => {
    const t = [0, 1, 2, 3, 4, 5];
    const v = [1, NaN, 3, 4, 5, 6];
    const got = run(t, v, { buckets: 1, from: 0, to: 6 });
    expect(got).toEqual([
      [0, 1],
      [1, NaN],
      [5, 6]
    ]);
  });

  it('inserts a gap between points further apart than gapMs', () => {
    expect(run([0, 1, 10], [1, 2, 3], { buckets: 10, gapMs: 5 })).toEqual([
      [0, 1],
      [1, 2],
      [5.5, NaN],
      [10, 3]
    ]);
  });

  it('skips points outside [from, to]', () => {
    expect(run([0, 1, 2, 3], [1, 2, 3, 4], { buckets: 10, from: 1, to: 2 })).toEqual([
      [1, 2],
      [2, 3]
    ]);
  });
});

describe('findFirstAtOrAfter', () => {
  it.each([
    [[1, 2, 2, 3], 2, 1],
    [[1, 2, 2, 3], 0, 0],
    [[1, 2, 2, 3], 4, 4],
    [[], 1, 0]
  ])('%j, %d → %d', (arr, x, want) => {
    expect(findFirstAtOrAfter(Float64Array.from(arr), x)).toBe(want);
  });
});

describe('PointPool', () => {
  it('reuses its objects between frames', () => {
    const pool = new PointPool();
    pool.set(0, 1, 2);
    const first = pool.points[0];
    pool.set(0, 3, 4);
    expect(pool.points[0]).toBe(first);
    expect(pool.view(1, [])).toEqual([{ x: 3, y: 4 }]);
  });
});
