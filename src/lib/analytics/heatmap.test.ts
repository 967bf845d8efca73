import { describe, expect, it } from 'vitest';
import {
  addHistogramIncreases,
  addObservations,
  createHeatmap,
  heatmapRow,
  heatmapUsedRows
} from './heatmap';

const rows = (h: ReturnType<typeof createHeatmap>) =>
  h.bounds.map((_, r) => Array.from(h.counts.subarray(r * h.columns, (r + 1) * h.columns)));

describe('heatmapRow', () => {
  it.each([
    [0, 0],
    [10, 0],
    [10.5, 1],
    [100, 1],
    [101, 2],
    [1e9, 2],
    [NaN, -1]
  ])('%d ms falls in row %d of (…10], (10…100], (100…∞)', (v, row) => {
    expect(heatmapRow([10, 100, Infinity], v)).toBe(row);
  });

  it('is -1 above a finite last bound', () => {
    expect(heatmapRow([10, 100], 101)).toBe(-1);
  });
});

describe('addObservations', () => {
  it('counts each observation in its time and latency bucket (hand-computed)', () => {
    const h = createHeatmap({ from: 1000, to: 1300, columns: 3, bounds: [10, 100, Infinity] });
    expect(h.stepMs).toBe(100);
    // column 0: 5 ms, 50 ms; column 1: 50, 50, 500; column 2: none; outside: 999 and 1300.
    addObservations(h, [1000, 1099, 1100, 1150, 1199, 999, 1300], [5, 50, 50, 50, 500, 1, 1]);
    expect(rows(h)).toEqual([
      [1, 0, 0],
      [1, 2, 0],
      [0, 1, 0]
    ]);
    expect(h.total).toBe(5);
    expect(h.max).toBe(2);
    expect(heatmapUsedRows(h)).toEqual([0, 2]);
  });

  it('an empty heatmap has no used rows and a zero total', () => {
    const h = createHeatmap({ from: 0, to: 0, columns: 4, bounds: [1, Infinity] });
    addObservations(h, [], []);
    expect(h.total).toBe(0);
    expect(heatmapUsedRows(h)).toBeNull();
    expect(h.stepMs).toBe(1);
  });

  it('totals equal the observations kept, for random input (oracle)', () => {
    const t: number[] = [];
    const v: number[] = [];
    let seed = 7;
    const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let i = 0; i < 5000; i++) {
      t.push(rand() * 10_000 - 500);
      v.push(rand() * 2000);
    }
    const h = createHeatmap({ from: 0, to: 9000, columns: 17, bounds: [1, 10, 100, 1000] });
    addObservations(h, t, v);
    const kept = t.filter((x, i) => x >= 0 && x < h.to && v[i] <= 1000).length;
    expect(h.total).toBe(kept);
    expect(h.counts.reduce((s, x) => s + x, 0)).toBe(kept);
  });
});

describe('addHistogramIncreases', () => {
  it('de-cumulates le buckets per time bucket, a lower bucket ahead counts as zero', () => {
    const h = createHeatmap({ from: 0, to: 20, columns: 2, bounds: [0.1, 0.5, Infinity] });
    addHistogramIncreases(h, [
      { le: Infinity, t: [0, 10], v: [10, 4] },
      { le: 0.1, t: [0, 10], v: [3, 5] },
      { le: 0.5, t: [0, 10], v: [8, 4] }
    ]);
    // t=0: 3, 8−3, 10−8; t=10: 5, 0 (0.5 behind 0.1), 0.
    expect(rows(h)).toEqual([
      [3, 5],
      [5, 0],
      [2, 0]
    ]);
    expect(h.total).toBe(15);
  });

  it('skips NaN increases and times outside the range', () => {
    const h = createHeatmap({ from: 0, to: 10, columns: 1, bounds: [1, Infinity] });
    addHistogramIncreases(h, [
      { le: 1, t: [0, 50], v: [NaN, 4] },
      { le: Infinity, t: [0, 50], v: [2, 9] }
    ]);
    expect(rows(h)).toEqual([[0], [2]]);
  });
});
