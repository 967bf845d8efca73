import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SeriesRecord } from '../types';
import {
  clip,
  describeOutput,
  estimatePoints,
  groupByRecord,
  listOutputs,
  sliceRange
} from './slices';

const record = (patch: Partial<SeriesRecord> = {}): SeriesRecord => ({
  id: 1,
  key: 'cpu{host="a"}',
  name: 'cpu',
  labels: { host: 'a' },
  unit: '%',
  kind: 'counter',
  source: 'import',
  category: 'system',
  ...patch
});

describe('sliceRange', () => {
  it.each([
    [
      0,
      25,
      10,
      [
        [0, 10],
        [10, 20],
        [20, 25]
      ]
    ],
    [
      0,
      20,
      10,
      [
        [0, 10],
        [10, 20]
      ]
    ],
    [5, 5, 10, [[5, 5]]],
    [
      0,
      2,
      0,
      [
        [0, 1],
        [1, 2]
      ]
    ],
    [5, 4, 10, []],
    [NaN, 4, 10, []]
  ])('sliceRange(%d, %d, %d)', (from, to, w, want) => {
    expect(sliceRange(from, to, w)).toEqual(want);
  });
});

describe('clip', () => {
  it('over the slices of a range, keeps every point exactly once', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 400 }),
        (ts, width) => {
          const t = Float64Array.from(ts.sort((a, b) => a - b));
          const c = { t, v: t.map((x) => x * 2) };
          const slices = sliceRange(0, 1000, width);
          const seen: number[] = [];
          slices.forEach(([a, b], i) => {
            // each read returns the closed range [a, b], as the stores do
            const lo = t.findIndex((x) => x >= a);
            const hi = t.findLastIndex((x) => x <= b);
            const read =
              lo < 0 || hi < lo
                ? { t: t.subarray(0, 0), v: c.v.subarray(0, 0) }
                : { t: t.subarray(lo, hi + 1), v: c.v.subarray(lo, hi + 1) };
            const out = clip(read, a, b, i === 0, i === slices.length - 1);
            seen.push(...out.t);
            expect([...out.v]).toEqual([...out.t].map((x) => x * 2));
          });
          expect(seen).toEqual([...t]);
        }
      )
    );
  });

  it('returns the input itself when nothing is cut', () => {
    const c = { t: Float64Array.of(1, 2), v: Float64Array.of(3, 4) };
    expect(clip(c, 1, 2, true, true)).toBe(c);
  });
});

describe('describeOutput and listOutputs', () => {
  it('a raw output copies the series, labels included (never the same object)', () => {
    const r = record({ help: 'CPU time' });
    const d = describeOutput(r, null, 'raw');
    const { id: _id, key: _key, ...descriptor } = r;
    expect(d).toEqual(descriptor);
    expect(d.labels).not.toBe(r.labels);
    expect('help' in describeOutput(record(), null, 'raw')).toBe(false);
  });

  it.each([
    ['max', 'gauge'],
    ['avg', 'gauge'],
    ['sum', 'counter'],
    ['last', 'counter']
  ] as const)('an aggregate %s is labelled and has kind %s', (agg, kind) => {
    const d = describeOutput(record(), agg, '1h');
    expect(d.labels).toEqual({ host: 'a', aggregate: agg, resolution: '1h' });
    expect(d.kind).toBe(kind);
  });

  it('lists one output per record for raw, one per record and aggregate otherwise, grouped back by record', () => {
    const rs = [record(), record({ id: 2, key: 'mem', name: 'mem' })];
    expect(
      listOutputs(rs, { resolution: 'raw', aggregates: ['max'] }).map((o) => o.aggregate)
    ).toEqual([null, null]);
    const outs = listOutputs(rs, { resolution: '1m', aggregates: ['max', 'avg'] });
    expect(outs.map((o) => `${o.record.id}:${o.aggregate}`)).toEqual([
      '1:max',
      '1:avg',
      '2:max',
      '2:avg'
    ]);
    expect(
      groupByRecord([outs[0], outs[2], outs[1]]).map((g) => g.map((o) => o.aggregate))
    ).toEqual([['max', 'avg'], ['max']]);
    expect(listOutputs([], { resolution: 'raw', aggregates: [] })).toEqual([]);
  });
});

describe('estimatePoints', () => {
  it('counts the share of each series inside the range, a single-instant series whole', () => {
    const a = record({ firstT: 0, lastT: 100, points: 50 });
    const b = record({ firstT: 10, lastT: 10, points: 3 });
    expect(estimatePoints([a], 0, 50)).toBe(25);
    expect(estimatePoints([a, b], 0, 100)).toBe(53);
    expect(estimatePoints([], 0, 100)).toBe(0);
  });
});
