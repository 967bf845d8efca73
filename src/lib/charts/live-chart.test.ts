import { describe, expect, it } from 'vitest';
import { LiveBuffer } from './live-buffer';
import { chooseWindowEnd, mergeWindowRows } from './live-chart';

describe('chooseWindowEnd', () => {
  it.each([
    [900, 1000, 300, 1000], // fresh data: the window ends now
    [500, 1000, 300, 500], // every point older than the window: end at the newest
    [-Infinity, 1000, 300, 1000] // nothing yet: now
  ])('newest %d, now %d, window %d → %d', (newest, now, windowMs, end) => {
    expect(chooseWindowEnd(newest, now, windowMs)).toBe(end);
  });
});

describe('mergeWindowRows', () => {
  it('is empty without buffers or points', () => {
    expect(mergeWindowRows([], 1000)).toEqual([]);
    expect(mergeWindowRows([null, new LiveBuffer()], 1000)).toEqual([]);
  });

  it('puts each line in its column, one row per time, oldest first', () => {
    const a = new LiveBuffer({ windowMs: 1000, bucketCount: 10 });
    const b = new LiveBuffer({ windowMs: 1000, bucketCount: 10 });
    a.append([300, 100], [3, 1]);
    b.append([300, 500], [30, 50]);
    expect(mergeWindowRows([a, null, b], 1000)).toEqual([
      { t: 100, values: [1, null, null] },
      { t: 300, values: [3, null, 30] },
      { t: 500, values: [null, null, 50] }
    ]);
  });
});
