import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idRangesHas, maxIdInRanges, packIdRanges, unpackIdRanges } from './id-ranges';

describe('id ranges', () => {
  it.each([
    [[], []],
    [[7], [7, 7]],
    [
      [5, 1, 2, 3, 9, 2],
      [1, 3, 5, 5, 9, 9]
    ],
    [
      [4, 3, 2, 1],
      [1, 4]
    ],
    [
      [1, 3],
      [1, 1, 3, 3]
    ]
  ])('packs %j as %j', (ids, ranges) => {
    expect(packIdRanges(ids)).toEqual(ranges);
  });

  it('10,000 consecutive ids are one range', () => {
    const ids = Array.from({ length: 10_000 }, (_, k) => 10_000 - k);
    expect(packIdRanges(ids)).toEqual([1, 10_000]);
  });

  it('holds exactly the ids packed (against a Set)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 120 }), (ids) => {
        const ranges = packIdRanges(ids);
        const set = new Set(ids);
        for (let id = 0; id <= 201; id++) expect(idRangesHas(ranges, id)).toBe(set.has(id));
        expect(unpackIdRanges(ranges)).toEqual([...set].sort((a, b) => a - b));
        expect(maxIdInRanges(ranges)).toBe(ids.length ? Math.max(...ids) : -Infinity);
        // Ranges are disjoint and not adjacent: the packing is minimal.
        for (let k = 2; k < ranges.length; k += 2)
          expect(ranges[k]).toBeGreaterThan(ranges[k - 1] + 1);
      })
    );
  });
});
