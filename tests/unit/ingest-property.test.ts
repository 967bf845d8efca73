import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  writeBundleNdjson,
  writeBundleZip,
  writeCsv,
  writeEventsNdjson,
  writeOpenMetrics,
  writePointsNdjson,
  CsvWriterDefaults
} from '../../src/lib/export';
import { IngestError, parseMetricFile } from '../../src/lib/ingest';
import type { IngestFormat } from '../../src/lib/ingest';
import type { PointBatch, ResultEvent, SeriesKind } from '../../src/lib/types';
import { canonical, collect, enc, listFixtures, readBytes } from './ingest-helpers';

const FORMATS: (IngestFormat | undefined)[] = [
  undefined,
  'prometheus',
  'openmetrics',
  'influx',
  'csv',
  'ndjson',
  'json',
  'otlp-json',
  'tidemark-bundle',
  'graphite',
  'promtool-dump',
  'influx-json',
  'sadf-json',
  'prometheus-api-json',
  'influx2-csv',
  'parquet'
];

/** Parses and demands that any failure is a typed, non-internal IngestError. */
function parsesOrFailsTyped(
  bytes: Uint8Array,
  format: IngestFormat | undefined,
  chunk: number,
  name = 'f'
): void {
  try {
    collect(bytes, { fileName: name, format, chunk, defaultTimestamp: 0 });
  } catch (e) {
    if (!(e instanceof IngestError)) throw e;
    expect(e.code).not.toBe('internal');
  }
}

describe('parsers never throw an untyped error', () => {
  it('over arbitrary bytes, any format, any chunking', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.constantFrom(...FORMATS),
        fc.integer({ min: 1, max: 64 }),
        (bytes, format, chunk) => parsesOrFailsTyped(bytes, format, chunk)
      ),
      { numRuns: 400 }
    );
  });

  it('over arbitrary text (structural characters weighted up)', () => {
    const char = fc.constantFrom(
      ...'{}[]",:=\\ \n\r\t#;ai0123.-+eEINnfF'.split(''),
      'é',
      '😀',
      '\u0000'
    );
    fc.assert(
      fc.property(
        fc.array(char, { maxLength: 400 }).map((a) => a.join('')),
        fc.constantFrom(...FORMATS),
        fc.integer({ min: 1, max: 50 }),
        (text, format, chunk) => parsesOrFailsTyped(enc(text), format, chunk)
      ),
      { numRuns: 400 }
    );
  });

  const samples = listFixtures()
    .filter((f) => !f.name.startsWith('art_') && !f.file.includes('realKnownCause'))
    .map((f) => ({ name: f.name, text: readFileSync(f.file, 'utf8').slice(0, 6000) }));
  samples.push(
    {
      name: 'a.ndjson',
      text: '{"name":"up","labels":{"a":"b"},"t":1700000000000,"v":1}\n{"t":1700000000000,"actionType":"x","status":"ok","durationMs":1}\n'
    },
    {
      name: 'o.json',
      text: JSON.stringify({
        resourceMetrics: [
          {
            scopeMetrics: [
              {
                metrics: [
                  {
                    name: 'm',
                    histogram: {
                      dataPoints: [{ timeUnixNano: '1', bucketCounts: ['1'], explicitBounds: [] }]
                    }
                  }
                ]
              }
            ]
          }
        ]
      })
    }
  );

  // The real captures of the newer readers (tests/fixtures/real) are mutated too.
  const realDir = path.resolve(
    path.dirname(fileURLToPath(import.meta.url)),
    '..',
    'fixtures',
    'real'
  );
  for (const name of readdirSync(realDir).filter((n) => !n.endsWith('.md')))
    samples.push({ name, text: readFileSync(path.join(realDir, name), 'utf8').slice(0, 6000) });

  it('over mutated fixture text', () => {
    const mutation = fc.record({
      at: fc.nat(),
      del: fc.integer({ min: 0, max: 5 }),
      ins: fc.string({
        maxLength: 6,
        unit: fc.constantFrom(...'{}[]",=\\ \n#;.0-eNI'.split(''), 'ü')
      })
    });
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.array(mutation, { minLength: 1, maxLength: 8 }),
        fc.constantFrom(undefined, 1, 7, 4096),
        (sample, mutations, chunk) => {
          let text = sample.text;
          for (const m of mutations) {
            const at = m.at % (text.length + 1);
            text = text.slice(0, at) + m.ins + text.slice(at + m.del);
          }
          parsesOrFailsTyped(enc(text), undefined, chunk ?? text.length + 1, sample.name);
        }
      ),
      { numRuns: 300 }
    );
  });
});

// ---- round trips -------------------------------------------------------------------------

const labelKey = fc
  .stringMatching(/^[a-z][a-z0-9_]{0,6}$/)
  .filter((k) => !CsvWriterDefaults.reservedColumns.has(k) && k !== 'interval' && k !== 'le');
const labelValue = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }),
  fc.string({
    minLength: 1,
    maxLength: 8,
    unit: fc.constantFrom(
      '"',
      '\\',
      '\n',
      '\r',
      ',',
      ';',
      '=',
      '+',
      '-',
      '@',
      "'",
      ' ',
      '\t',
      'a',
      'é',
      '😀'
    )
  })
);
const labels = fc.dictionary(labelKey, labelValue, { maxKeys: 3 });
const time = fc.integer({ min: 100_000_000_000, max: 4_000_000_000_000 });
const value = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1e21, 5e-324));

function seriesArb(kinds: SeriesKind[]) {
  return fc
    .uniqueArray(
      fc.record({
        base: fc.stringMatching(/^m_[a-z]{1,8}$/),
        kind: fc.constantFrom(...kinds),
        labels,
        points: fc.array(fc.tuple(time, value), { minLength: 1, maxLength: 5 })
      }),
      { selector: (s) => s.base, minLength: 0, maxLength: 5 }
    )
    .map((list) =>
      list.map((s): PointBatch => {
        const name =
          s.kind === 'counter'
            ? `${s.base}_total`
            : s.kind === 'histogram_bucket'
              ? `${s.base}_bucket`
              : s.base;
        const lbls = s.kind === 'histogram_bucket' ? { ...s.labels, le: '+Inf' } : s.labels;
        return {
          series: { name, labels: lbls, unit: '', kind: s.kind, source: 'import', category: 'app' },
          t: Float64Array.from(s.points.map((p) => p[0])),
          v: Float64Array.from(s.points.map((p) => p[1]))
        };
      })
    );
}

/**
 * What OpenMetrics can carry (the OpenMetrics reader refuses the rest, line by line): one point
 * per series and timestamp, in increasing time; counters neither NaN nor negative; buckets
 * non-negative integers.
 */
function validOpenMetrics(batches: PointBatch[]): PointBatch[] {
  return batches.map((b) => {
    const seen = new Set<number>();
    const order = [...b.t.keys()].filter(
      (i) => !seen.has(b.t[i]) && seen.add(b.t[i]) !== undefined
    );
    order.sort((i, j) => b.t[i] - b.t[j]);
    const kind = b.series.kind;
    const fix = (v: number): number =>
      kind === 'gauge'
        ? v
        : kind === 'counter'
          ? Number.isNaN(v)
            ? 0
            : Math.abs(v)
          : Number.isFinite(v)
            ? Math.round(Math.abs(v))
            : 0;
    return {
      ...b,
      t: Float64Array.from(order.map((i) => b.t[i])),
      v: Float64Array.from(order.map((i) => fix(b.v[i])))
    };
  });
}

const num = (x: number): string => (Object.is(x, -0) ? '-0' : String(x));
function expected(batches: PointBatch[], opts: { dropEmptyLabels?: boolean; kind?: boolean } = {}) {
  const out = new Map<string, unknown>();
  for (const b of batches) {
    const l = Object.fromEntries(
      Object.entries(b.series.labels).filter(([, v]) => !(opts.dropEmptyLabels && v === ''))
    );
    const key = JSON.stringify([b.series.name, Object.entries(l).sort()]);
    out.set(key, [opts.kind ? b.series.kind : '', [...b.t].map(num), [...b.v].map(num)]);
  }
  return out;
}
function actual(bytes: Uint8Array, fileName: string, kind = false) {
  const c = collect(bytes, { fileName, chunk: 61 });
  expect(c.errors).toEqual([]);
  const out = new Map<string, unknown>();
  for (const s of c.series.values()) {
    const key = JSON.stringify([s.series.name, Object.entries(s.series.labels).sort()]);
    out.set(key, [kind ? s.series.kind : '', s.t.map(num), s.v.map(num)]);
  }
  return { out, c };
}

const eventArb: fc.Arbitrary<ResultEvent> = fc
  .record(
    {
      t: time,
      actionType: fc.string({ maxLength: 10 }),
      status: fc.constantFrom('ok', 'error', 'timeout', 'é"\n'),
      durationMs: value,
      triggerId: fc.string({ maxLength: 6 }),
      organisationId: fc.string({ maxLength: 6 }),
      retries: fc.integer({ min: 0, max: 5 }),
      errorMessage: fc.string({ maxLength: 20, unit: 'grapheme' }),
      context: fc.dictionary(
        fc.string({ minLength: 1, maxLength: 5 }),
        fc.oneof(fc.string({ maxLength: 5 }), fc.integer()),
        { minKeys: 1, maxKeys: 3 }
      )
    },
    { requiredKeys: ['t', 'actionType', 'status', 'durationMs'] }
  )
  .map((e) => e as ResultEvent);
const eventKey = (e: ResultEvent) =>
  JSON.stringify(
    Object.entries({ ...e, durationMs: num(e.durationMs) }).sort(([a], [b]) => (a < b ? -1 : 1))
  );

describe('export → import round-trips exactly', () => {
  it('OpenMetrics writer → Prometheus/OpenMetrics parser', () => {
    fc.assert(
      fc.property(
        seriesArb(['gauge', 'counter', 'histogram_bucket']).map(validOpenMetrics),
        (batches) => {
          const text = writeOpenMetrics(batches);
          const { out } = actual(enc(text), 'export.om', true);
          expect(out).toEqual(expected(batches, { kind: true }));
          // Without the .om name and with the # EOF beyond reach, seconds are still recognised.
          const { out: again } = actual(enc(text), 'export.prom', true);
          expect(again).toEqual(expected(batches, { kind: true }));
        }
      ),
      { numRuns: 150 }
    );
  });

  it('CSV writer (formula guard) → CSV parser', () => {
    fc.assert(
      fc.property(
        seriesArb(['gauge']),
        fc.constantFrom(',', ';', '\t') as fc.Arbitrary<',' | ';' | '\t'>,
        (batches, delimiter) => {
          const text = writeCsv(batches, { delimiter });
          const { out } = actual(enc(text), delimiter === '\t' ? 'export.tsv' : 'export.csv');
          expect(out).toEqual(expected(batches, { dropEmptyLabels: true }));
        }
      ),
      { numRuns: 150 }
    );
  });

  it('CSV writer guards formula cells with a leading quote', () => {
    const text = writeCsv([
      {
        series: {
          name: 'm',
          labels: { a: '=cmd|x', b: '+1', c: '-2', d: '@SUM', e: '\tx', f: '\rx', g: 'ok' },
          unit: '',
          kind: 'gauge',
          source: 'import',
          category: 'app'
        },
        t: Float64Array.of(0),
        v: Float64Array.of(-1)
      }
    ]);
    expect(text.split('\r\n')[1]).toBe(
      `1970-01-01T00:00:00.000Z,m,'=cmd|x,'+1,'-2,'@SUM,'\tx,"'\rx",ok,-1`
    );
  });

  it('points NDJSON writer → NDJSON parser', () => {
    fc.assert(
      fc.property(seriesArb(['gauge']), (batches) => {
        const { out } = actual(enc(writePointsNdjson(batches)), 'points.ndjson');
        expect(out).toEqual(expected(batches));
      }),
      { numRuns: 150 }
    );
  });

  it('events NDJSON writer → NDJSON parser', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 6 }), (events) => {
        const c = collect(enc(writeEventsNdjson(events)), { fileName: 'events.ndjson', chunk: 17 });
        expect(c.errors).toEqual([]);
        expect(c.events.map(eventKey)).toEqual(events.map(eventKey));
      }),
      { numRuns: 150 }
    );
  });

  it('bundle writers (zip and single NDJSON) → parser, descriptors and events included', () => {
    fc.assert(
      fc.property(
        seriesArb(['gauge', 'counter', 'histogram_bucket']),
        fc.array(eventArb, { maxLength: 4 }),
        fc.boolean(),
        (batches, events, zip) => {
          const described = batches.map((b, i) => ({
            ...b,
            series: {
              ...b.series,
              unit: i % 2 ? 's' : '',
              category: i % 2 ? ('model' as const) : ('system' as const),
              ...(i % 3 ? { help: `h"\n${i}` } : {})
            }
          }));
          const content = { series: described, events, createdAt: 1_700_000_000_000 };
          const bytes = zip ? writeBundleZip(content) : enc(writeBundleNdjson(content));
          const { out, c } = actual(bytes, zip ? 'b.zip' : 'b.ndjson', true);
          expect(c.format).toBe('tidemark-bundle');
          expect(out).toEqual(expected(described, { kind: true }));
          for (const b of described) {
            const got = [...c.series.values()].find(
              (s) =>
                s.series.name === b.series.name &&
                JSON.stringify(s.series.labels) === JSON.stringify(b.series.labels)
            );
            expect(got?.series).toEqual(b.series);
          }
          expect(c.events.map(eventKey)).toEqual(events.map(eventKey));
        }
      ),
      { numRuns: 100 }
    );
  });
});

describe('the parser keeps nothing of a chunk once push returns', () => {
  it('every fixture and a zip bundle parse the same when each chunk is overwritten after push', () => {
    const files = listFixtures().map((f) => ({ name: f.name, bytes: readBytes(f.file) }));
    const series = [
      {
        series: {
          name: 'load',
          labels: { host: 'a' },
          unit: '',
          kind: 'gauge' as const,
          source: 'import' as const,
          category: 'system' as const
        },
        // Values that deflate poorly: the zip must outgrow the sniffing head (64 KiB, copied)
        // for its chunks to reach the zip reader.
        t: Float64Array.from({ length: 20_000 }, (_, i) => 1_700_000_000_000 + i * 1000),
        v: Float64Array.from({ length: 20_000 }, (_, i) => Math.sin(i) * 1e6)
      }
    ];
    // Events too: several entries, so some chunk edges split a local file header.
    const events = Array.from({ length: 50 }, (_, i) => ({
      t: 1_700_000_000_000 + i,
      actionType: 'sms',
      status: 'success',
      durationMs: i
    }));
    const zip = writeBundleZip({ series, events, createdAt: 0 });
    expect(zip.length).toBeGreaterThan(2 * 65_536);
    files.push({ name: 'b.zip', bytes: zip });
    for (const f of files)
      for (const chunk of f.name === 'b.zip' ? [31, 977, 65_536] : [977, 65_536]) {
        const options = { fileName: f.name, chunk, defaultTimestamp: 0 };
        const plain = collect(f.bytes, options);
        const reused = collect(f.bytes, { ...options, reuse: true });
        expect(plain.rows + plain.series.size, f.name).toBeGreaterThan(0);
        expect(canonical(reused), `${f.name} in ${chunk}-byte chunks`).toEqual(canonical(plain));
      }
  });
});

describe('UTF-8 split across chunks', () => {
  it('every split point of a multi-byte fixture gives the same result', () => {
    const text =
      '# TYPE m gauge\nm{city="Zürich",emoji="😀",cjk="東京"} 1 1700000000000\nm{city="São Paulo"} 2 1700000000001\n';
    const bytes = enc(text);
    const whole = collect(bytes, { fileName: 'u.prom' });
    for (let cut = 1; cut < bytes.length; cut++) {
      const parser = collect(bytes, { fileName: 'u.prom', chunk: cut });
      expect([...parser.series.keys()]).toEqual([...whole.series.keys()]);
    }
    expect(whole.series.has('m{city="Zürich",cjk="東京",emoji="😀"}')).toBe(true);
  });
});

describe('record JSON keeps its label columns', () => {
  it('NDJSON rows (as DuckDB/pandas write them): one series per name and label combination', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            metric: fc.constantFrom('cpu', 'mem'),
            host: fc.constantFrom('a', 'b', 'c'),
            region: fc.constantFrom('eu', 'us'),
            t: fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }),
            value: fc.double({ noNaN: true, noDefaultInfinity: true })
          }),
          { minLength: 1, maxLength: 60 }
        ),
        fc.boolean(),
        (rows, wide) => {
          const text = rows
            .map((r) =>
              JSON.stringify(
                wide
                  ? {
                      time: new Date(r.t).toISOString(),
                      host: r.host,
                      region: r.region,
                      [r.metric]: r.value
                    }
                  : {
                      time: new Date(r.t).toISOString(),
                      metric: r.metric,
                      host: r.host,
                      region: r.region,
                      value: r.value
                    }
              )
            )
            .join('\n');
          const c = collect(enc(text), { fileName: 'rows.json', chunk: 97 });
          expect(c.errors).toEqual([]);
          const ids = new Set(rows.map((r) => `${r.metric}|${r.host}|${r.region}`));
          expect(c.series.size).toBe(ids.size);
          for (const s of c.series.values())
            expect(Object.keys(s.series.labels).sort()).toEqual(['host', 'region']);
          expect([...c.series.values()].reduce((n, s) => n + s.t.length, 0)).toBe(rows.length);
        }
      ),
      { numRuns: 100 }
    );
  });
});

describe('the Parquet reader', () => {
  it('fails typed on arbitrary and truncated Parquet bytes', async () => {
    const real = readFileSync(
      path.resolve(
        path.dirname(fileURLToPath(import.meta.url)),
        '..',
        'fixtures',
        'real',
        'duckdb-1.5-copy-format-parquet.parquet'
      )
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc
            .uint8Array({ maxLength: 300 })
            .map((b) => Uint8Array.from([0x50, 0x41, 0x52, 0x31, ...b])),
          fc.nat(real.length - 1).map((n) => new Uint8Array(real.subarray(0, n))),
          fc.tuple(fc.nat(real.length - 1), fc.nat(255)).map(([at, x]) => {
            const b = new Uint8Array(real);
            b[at] = x;
            return b;
          })
        ),
        async (bytes) => {
          try {
            await parseMetricFile('f.parquet', bytes, { format: 'parquet' });
          } catch (e) {
            if (!(e instanceof IngestError)) throw e;
            expect(e.code).not.toBe('internal');
          }
        }
      ),
      { numRuns: 100 }
    );
  });
});
