import { unzipSync, strFromU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { PointBatch } from '../types';
import {
  createManifest,
  formatCsvTextCell,
  formatMsAsSeconds,
  writeBundleNdjson,
  writeBundleZip,
  writeCsv,
  writeEventsNdjson,
  writeOpenMetrics,
  writePointsNdjson
} from './index';

const batch = (
  name: string,
  kind: PointBatch['series']['kind'],
  labels: Record<string, string>,
  points: [number, number][]
): PointBatch => ({
  series: { name, labels, unit: '', kind, source: 'import', category: 'app', help: 'a "b"\nc\\' },
  t: Float64Array.from(points.map((p) => p[0])),
  v: Float64Array.from(points.map((p) => p[1]))
});

describe('OpenMetrics writer', () => {
  it('writes families, escapes, special values and exact second timestamps', () => {
    const text = writeOpenMetrics([
      batch('req_total', 'counter', { path: 'a"b\\c\nd' }, [[1700000000123, 3]]),
      batch('lat_bucket', 'histogram_bucket', { le: '+Inf' }, [[1700000000000, 1]]),
      batch('lat_count', 'counter', {}, [[1700000000000, 1]]),
      batch('temp', 'gauge', {}, [
        [1700000000001, -Infinity],
        [1700000000002, -0]
      ]),
      batch('temp', 'gauge', {}, [[1700000000003, 1e21]]),
      batch('raw', 'counter', {}, [[5, 1]])
    ]);
    expect(text).toBe(
      [
        '# TYPE req counter',
        '# HELP req a \\"b\\"\\nc\\\\',
        'req_total{path="a\\"b\\\\c\\nd"} 3 1700000000.123',
        '# TYPE lat histogram',
        '# HELP lat a \\"b\\"\\nc\\\\',
        'lat_bucket{le="+Inf"} 1 1700000000',
        'lat_count 1 1700000000',
        '# TYPE temp gauge',
        '# HELP temp a \\"b\\"\\nc\\\\',
        'temp -Inf 1700000000.001',
        'temp -0 1700000000.002',
        'temp 1e+21 1700000000.003',
        '# TYPE raw counter',
        '# HELP raw a \\"b\\"\\nc\\\\',
        'raw_total 1 0.005',
        '# EOF',
        ''
      ].join('\n')
    );
  });

  it('empty input is just # EOF', () => {
    expect(writeOpenMetrics([])).toBe('# EOF\n');
  });

  it.each([
    [0, '0'],
    [1, '0.001'],
    [1000, '1'],
    [-1500, '-1.5'],
    [1700000000123, '1700000000123'.slice(0, 10) + '.123'],
    [0.5, '0.0005']
  ])('formatMsAsSeconds(%d) = %s', (ms, text) => {
    expect(formatMsAsSeconds(ms)).toBe(text);
  });
});

describe('CSV writer', () => {
  it('writes a long layout with the union of label keys and RFC 4180 quoting', () => {
    const text = writeCsv([
      batch('up', 'gauge', { job: 'a,b' }, [[0, 1]]),
      batch('up', 'gauge', { host: 'h "1"', name: 'x' }, [[1000, NaN]])
    ]);
    expect(text).toBe(
      'timestamp,name,host,job,label_name,value\r\n' +
        '1970-01-01T00:00:00.000Z,up,,"a,b",,1\r\n' +
        '1970-01-01T00:00:01.000Z,up,"h ""1""",,x,NaN\r\n'
    );
  });

  it.each([
    ['=1+1', "'=1+1"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@x', "'@x"],
    ["'q", "''q"],
    ['plain', 'plain'],
    ['', '']
  ])('guards %j as %j', (cell, out) => {
    expect(formatCsvTextCell(cell, ',')).toBe(out);
  });
});

describe('NDJSON and bundle writers', () => {
  it('points NDJSON: ISO times, every label key in every line, bare NaN/Infinity; events spell them as strings', () => {
    expect(
      writePointsNdjson([
        batch('m', 'gauge', { a: 'b' }, [[1, Infinity]]),
        batch('n', 'gauge', { c: 'd' }, [[1.5, -0]])
      ])
    ).toBe(
      '{"time":"1970-01-01T00:00:00.001Z","name":"m","labels":{"a":"b","c":""},"value":Infinity}\n' +
        '{"time":"1970-01-01T00:00:00.001500Z","name":"n","labels":{"a":"","c":"d"},"value":-0}\n'
    );
    expect(
      writeEventsNdjson([{ t: 2, actionType: 'run', status: 'ok', durationMs: NaN, retries: 1 }])
    ).toBe('{"t":2,"actionType":"run","status":"ok","durationMs":"NaN","retries":1}\n');
  });

  it('zip bundle holds manifest, series and events', () => {
    const content = {
      series: [batch('m', 'gauge', {}, [[1, 2]]), batch('m', 'gauge', {}, [[3, -0]])],
      events: [{ t: 5, actionType: 'a', status: 's', durationMs: 1 }],
      createdAt: Date.UTC(2026, 0, 2)
    };
    const files = unzipSync(writeBundleZip(content));
    expect(Object.keys(files).sort()).toEqual(['events.ndjson', 'manifest.json', 'series.ndjson']);
    expect(JSON.parse(strFromU8(files['manifest.json']))).toEqual({
      format: 'tidemark-bundle',
      version: 1,
      createdAt: '2026-01-02T00:00:00.000Z',
      seriesCount: 1,
      pointCount: 2,
      eventCount: 1
    });
    const line = JSON.parse(strFromU8(files['series.ndjson']).trim());
    expect(line.t).toEqual([1, 3]);
    expect(line.v).toEqual([2, '-0']);
    expect(strFromU8(files['events.ndjson'])).toBe(
      '{"t":5,"actionType":"a","status":"s","durationMs":1}\n'
    );
    expect(writeBundleNdjson(content).split('\n')[0]).toBe(
      JSON.stringify({ type: 'manifest', ...createManifest(content) })
    );
  });
});
