import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PointBatch, SeriesDescriptor } from '../types';
import { writeCsv } from './csv';
import { writePointsNdjson } from './ndjson';
import { writeOpenMetrics } from './openmetrics';
import {
  createPointWriter,
  orderSeriesForFormat,
  writeWideCsv,
  type PointStreamFormat
} from './stream';

const desc = (
  name: string,
  kind: SeriesDescriptor['kind'],
  labels: Record<string, string> = {}
): SeriesDescriptor => ({
  name,
  labels,
  unit: '',
  kind,
  source: 'import',
  category: 'app'
});

/** Streams batches through a writer, each batch cut into slices of `slice` points. */
function stream(format: PointStreamFormat, batches: PointBatch[], slice: number): string {
  const series = batches.map((b) => b.series);
  const w = createPointWriter(format, { series });
  let out = w.begin();
  for (const i of orderSeriesForFormat(format, series)) {
    const b = batches[i];
    for (let o = 0; o < b.t.length; o += slice)
      out += w.write({
        series: b.series,
        t: b.t.subarray(o, o + slice),
        v: b.v.subarray(o, o + slice)
      });
  }
  return out + w.end();
}

const time = fc.oneof(
  fc.integer({ min: -2_000_000_000_000, max: 4_000_000_000_000 }),
  fc.double({ min: -1e13, max: 1e13, noNaN: true }),
  fc.constantFrom(0, 999, 1000, 1001, -1, -1000, 8.64e15, 9e15)
);
const value = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -0));
const batchArb = fc
  .array(
    fc.record({
      n: fc.integer({ min: 0, max: 1000 }),
      points: fc.array(fc.tuple(time, value), { minLength: 1, maxLength: 12 }),
      labels: fc.dictionary(fc.constantFrom('a', 'b', 'host'), fc.string({ maxLength: 4 }), {
        maxKeys: 2
      })
    }),
    { maxLength: 4 }
  )
  .map((list) =>
    list.map((s, i): PointBatch => ({
      series: desc(`m${i}`, 'gauge', s.labels),
      t: Float64Array.from(s.points.map((p) => p[0])),
      v: Float64Array.from(s.points.map((p) => p[1]))
    }))
  );

describe('streaming writers equal the whole-batch writers', () => {
  it('long CSV (cached second prefixes) and points NDJSON, any slicing', () => {
    fc.assert(
      fc.property(batchArb, fc.integer({ min: 1, max: 5 }), (batches, slice) => {
        expect(stream('csv-long', batches, slice)).toBe(writeCsv(batches));
        expect(stream('ndjson', batches, slice)).toBe(writePointsNdjson(batches));
      }),
      { numRuns: 200 }
    );
  });

  it('OpenMetrics keeps families contiguous when series arrive interleaved', () => {
    const b = (s: SeriesDescriptor, t: number): PointBatch => ({
      series: s,
      t: Float64Array.of(t),
      v: Float64Array.of(1)
    });
    const input = [
      b(desc('req_total', 'counter', { a: '1' }), 1000),
      b(desc('lat_bucket', 'histogram_bucket', { le: '1' }), 1000),
      b(desc('req_total', 'counter', { a: '2' }), 2000),
      b(desc('lat_count', 'counter'), 1000),
      b(desc('up', 'gauge'), 3000)
    ];
    const order = orderSeriesForFormat(
      'openmetrics',
      input.map((x) => x.series)
    );
    expect(order).toEqual([0, 2, 1, 3, 4]);
    expect(stream('openmetrics', input, 1)).toBe(writeOpenMetrics(order.map((i) => input[i])));
  });
});

describe('wide CSV', () => {
  it('aligns columns on bucket times with empty cells for missing values', () => {
    const text = writeWideCsv(
      [
        { name: 'a', t: Float64Array.of(0, 60_000), v: Float64Array.of(1, NaN) },
        { name: '=b', t: Float64Array.of(60_000, 120_000), v: Float64Array.of(Infinity, 2) }
      ],
      { header: true }
    );
    expect(text).toBe(
      "timestamp,a,'=b\r\n" +
        '1970-01-01T00:00:00.000Z,1,\r\n' +
        '1970-01-01T00:01:00.000Z,NaN,+Inf\r\n' +
        '1970-01-01T00:02:00.000Z,,2\r\n'
    );
  });
});
