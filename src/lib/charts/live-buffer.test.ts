import { describe, expect, it } from 'vitest';
import type { ChartPoint } from './decimate';
import { LiveBuffer } from './live-buffer';

const rows = (b: LiveBuffer, now: number): [number, number][] =>
  b.toRows(now).map((p: ChartPoint) => [p.x, p.y]);

describe('LiveBuffer', () => {
  it('is empty before any point', () => {
    const b = new LiveBuffer({ windowMs: 1000, bucketCount: 10 });
    expect(rows(b, 5000)).toEqual([]);
    expect(b.lastV).toBeNaN();
  });

  it('keeps each point when buckets hold one point each', () => {
    const b = new LiveBuffer({ windowMs: 1000, bucketCount: 10 });
    b.append([100, 250, 390], [1, 2, 3]);
    expect(rows(b, 1000)).toEqual([
      [100, 1],
      [250, 2],
      [390, 3]
    ]);
    expect(b.lastT).toBe(390);
    expect(b.lastV).toBe(3);
  });

  it('keeps min and max per bucket in time order', () => {
    const b = new LiveBuffer({ windowMs: 1000, bucketCount: 10 });
    // bucket [0,100): 5 @10, 9 @20, 1 @30, 4 @40 → 9 @20 then 1 @30.
    b.append([10, 20, 30, 40], [5, 9, 1, 4]);
    expect(rows(b, 500)).toEqual([
      [20, 9],
      [30, 1]
    ]);
  });

  it('drops buckets that slid out of the window and reuses their slots', () => {
    const b = new LiveBuffer({ windowMs: 1000, bucketCount: 10 });
    b.append([50, 1050, 2050], [1, 2, 3]);
    expect(rows(b, 2050)).toEqual([
      [1050, 2],
      [2050, 3]
    ]);
    // A late point older than the ring's reach is ignored.
    b.push(40, 99);
    expect(rows(b, 2050)).toEqual([
      [1050, 2],
      [2050, 3]
    ]);
  });

  it('matches a brute-force min/max per bucket on a long stream', () => {
    const b = new LiveBuffer({ windowMs: 10_000, bucketCount: 100 });
    const pts: [number, number][] = [];
    let seed = 3;
    for (let t = 0; t < 50_000; t += 7) {
      seed = (seed * 16807) % 2147483647;
      pts.push([t, seed % 1000]);
    }
    b.append(
      pts.map((p) => p[0]),
      pts.map((p) => p[1])
    );
    const now = 50_000;
    const got = rows(b, now);
    const bucketOf = (t: number) => Math.floor(t / 100);
    const first = bucketOf(now - 10_000);
    const expected = new Map<number, number[]>();
    for (const [t, v] of pts) {
      const k = bucketOf(t);
      if (k < first) continue;
      expected.set(k, [...(expected.get(k) ?? []), v]);
    }
    const gotBy = new Map<number, number[]>();
    for (const [t, v] of got) gotBy.set(bucketOf(t), [...(gotBy.get(bucketOf(t)) ?? []), v]);
    expect([...gotBy.keys()]).toEqual([...expected.keys()]);
    for (const [k, vs] of expected) {
      expect(Math.max(...gotBy.get(k)!)).toBe(Math.max(...vs));
      expect(Math.min(...gotBy.get(k)!)).toBe(Math.min(...vs));
    }
  });

  it('records a NaN as a gap point', () => {
    const b = new LiveBuffer({ windowMs: 1000, bucketCount: 10 });
    b.append([10, 150, 250], [1, NaN, 2]);
    expect(rows(b, 1000)).toEqual([
      [10, 1],
      [150, NaN],
      [250, 2]
    ]);
  });

  it('forgets everything on clear', () => {
    const b = new LiveBuffer({ windowMs: 1000, bucketCount: 10 });
    b.append([10], [1]);
    b.clear();
    expect(rows(b, 100)).toEqual([]);
  });

  it.each([
    [250, 250, 2],
    [270, 250, 2],
    [380, 390, 3],
    [130, 100, 1]
  ])('nearest(%i) is the kept point at %i', (t, x, y) => {
    const b = new LiveBuffer({ windowMs: 1000, bucketCount: 10 });
    b.append([100, 250, 390], [1, 2, 3]);
    expect(b.nearest(t, 200)).toEqual({ x, y });
  });

  it('nearest is null beyond its reach or before any point', () => {
    const b = new LiveBuffer({ windowMs: 1000, bucketCount: 10 });
    expect(b.nearest(100)).toBeNull();
    b.append([100], [1]);
    expect(b.nearest(700, 200)).toBeNull();
  });
});
