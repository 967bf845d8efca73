import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createStreamParser,
  IngestError,
  parseMetricFile,
  previewCsv,
  sniffFormat
} from '../../src/lib/ingest';
import { parseDateTime } from '../../src/lib/ingest/time';
import { collect, enc } from './ingest-helpers';

const T0 = 1_700_000_000_000;
const run = (text: string, fileName = 'x', extra: Record<string, unknown> = {}) =>
  collect(enc(text), { fileName, defaultTimestamp: T0, ...extra });
const points = (c: ReturnType<typeof run>, key: string) => {
  const s = c.series.get(key);
  return s === undefined ? undefined : s.t.map((t, i) => [t, s.v[i]]);
};

describe('sniffFormat', () => {
  it.each([
    ['# HELP up x\n# TYPE up gauge\nup 1\n', 'a', 'prometheus'],
    ['up{job="a"} 1 1700000000000\n', 'a', 'prometheus'],
    ['# TYPE up gauge\nup 1 1700000000.5\n# EOF\n', 'a', 'openmetrics'],
    ['cpu,host=a usage=1 1700000000000\n', 'a', 'influx'],
    ['cpu value=1\n', 'a', 'influx'],
    ['time,value\n1,2\n3,4\n', 'a', 'csv'],
    ['a;b;c\n1;2;3\n', 'a', 'csv'],
    ['a\tb\n1\t2\n', 'a', 'csv'],
    ['# hostname;interval;timestamp;x\nvm;1;2026-11-22 14:24:40 UTC;1\n', 'a', 'csv'],
    ['{"name":"up","t":1,"v":1}\n{"name":"up","t":2,"v":1}\n', 'a', 'ndjson'],
    ['[{"name":"up","t":1,"v":1}]', 'a', 'json'],
    ['{\n  "resourceMetrics": []\n}\n', 'a', 'otlp-json'],
    ['{"type":"manifest","format":"tidemark-bundle","version":1}\n', 'a', 'tidemark-bundle'],
    ['', 'x.lp', 'influx']
  ])('%j → %s', (text, name, format) => {
    expect(sniffFormat(enc(text), name)).toBe(format);
  });

  it.each([
    ['PNG', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]],
    ['PDF', [...enc('%PDF-1.7\n')]],
    ['NUL', [0x61, 0x00, 0x62]],
    ['gzip', [0x1f, 0x8b, 8, 0]]
  ])('refuses %s with the expected-formats message', (_what, bytes) => {
    try {
      sniffFormat(Uint8Array.from(bytes), 'f.bin');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(IngestError);
      expect((e as IngestError).code).toBe('not_metrics');
      expect((e as IngestError).message).toContain(
        'expected Prometheus text, OpenMetrics, promtool tsdb dump, Influx line protocol, InfluxDB query JSON or annotated CSV, Graphite plaintext, CSV/TSV, JSON/NDJSON records, Prometheus API JSON, sadf -j JSON, OTLP JSON, Parquet or a Tidemark bundle'
      );
    }
  });

  it('calls plain prose an unknown format', () => {
    expect(() => sniffFormat(enc('hello there\nthis is a letter\n'), 'notes')).toThrow(
      expect.objectContaining({ code: 'unknown_format' })
    );
  });
});

describe('Prometheus text and OpenMetrics', () => {
  it('parses escapes, special values, timestamps in ms, HELP/TYPE', () => {
    const c = run(
      [
        '# HELP req_total Requests "served"\\n here',
        '# TYPE req_total counter',
        'req_total{path="/a\\"b\\\\c\\nd",code="200"} 3 1700000000123',
        'req_total{code="500",path="x"} NaN 1700000000124',
        'temp +Inf',
        'temp -Inf 1700000000125',
        'weird{a="}{,= "} 1.5e3',
        ''
      ].join('\n')
    );
    expect(c.errors).toEqual([]);
    const a = c.series.get('req_total{code="200",path="/a\\"b\\\\c\\nd"}');
    expect(a?.series).toMatchObject({
      name: 'req_total',
      labels: { path: '/a"b\\c\nd', code: '200' },
      kind: 'counter',
      help: 'Requests "served"\n here'
    });
    expect(points(c, 'req_total{code="200",path="/a\\"b\\\\c\\nd"}')).toEqual([[1700000000123, 3]]);
    expect(points(c, 'req_total{code="500",path="x"}')).toEqual([[1700000000124, NaN]]);
    expect(points(c, 'temp')).toEqual([
      [T0, Infinity],
      [1700000000125, -Infinity]
    ]);
    expect(points(c, 'weird{a="}{,= "}')).toEqual([[T0, 1500]]);
  });

  it('reads OpenMetrics: seconds timestamps exactly, # UNIT, exemplars ignored, _created skipped', () => {
    const c = run(
      [
        '# TYPE rpc_seconds histogram',
        '# UNIT rpc_seconds seconds',
        'rpc_seconds_bucket{le="0.1"} 2 1700000000.001 # {trace_id="abc"} 0.05 1700000000.0',
        'rpc_seconds_bucket{le="+Inf"} 3 1700000000.001',
        'rpc_seconds_sum 0.4 1700000000.001',
        'rpc_seconds_count 3 1700000000.001',
        'rpc_seconds_created 1699999999.5 1700000000.001',
        '# TYPE jobs counter',
        'jobs_total 7 1700000001',
        'jobs_created 1690000000 1700000001',
        '# EOF',
        ''
      ].join('\n'),
      'm.om'
    );
    expect(c.format).toBe('openmetrics');
    expect(c.errors).toEqual([]);
    expect(c.skipped).toBe(2);
    expect(c.series.get('rpc_seconds_bucket{le="0.1"}')?.series).toMatchObject({
      kind: 'histogram_bucket',
      unit: 'seconds'
    });
    expect(points(c, 'rpc_seconds_bucket{le="0.1"}')).toEqual([[1700000000001, 2]]);
    expect(c.series.get('rpc_seconds_count')?.series.kind).toBe('counter');
    expect(points(c, 'jobs_total')).toEqual([[1700000001000, 7]]);
    expect(c.series.get('jobs_total')?.series.kind).toBe('counter');
  });

  it.each([
    ['bad value', 'up abc'],
    ['unterminated label', 'up{a="b} 1'],
    ['bad label name', 'up{1a="b"} 1'],
    ['duplicate label', 'up{a="1",a="2"} 1'],
    ['too many tokens', 'up 1 2 3'],
    ['bad timestamp', 'up 1 12x']
  ])('reports %s as a line error and carries on', (_what, line) => {
    const c = run(`up 1\n${line}\nup 2\n`, 'a.prom');
    expect(c.errors).toHaveLength(1);
    expect(c.errors[0]).toMatchObject({ line: 2, byte: 5 });
    expect(points(c, 'up')).toEqual([
      [T0, 1],
      [T0, 2]
    ]);
  });

  it('needs a defaultTimestamp for samples without one', () => {
    expect(() => collect(enc('up 1\n'), { fileName: 'a.prom' })).toThrow(
      expect.objectContaining({ code: 'invalid_option' })
    );
  });
});

describe('Influx line protocol', () => {
  it('parses types, escapes, strings skipped, precision from magnitude', () => {
    const c = run(
      [
        'my\\ meas,ta\\,g=v\\ 1\\=x f1=1.5,f2=-3i,f3=7u,f4=t,f5=FALSE,s="a \\"q\\" b" 1700000000',
        'my\\ meas,ta\\,g=v\\ 1\\=x f1=2.5 1700000001',
        '# comment',
        'cpu usage=0.5'
      ].join('\n')
    );
    expect(c.errors).toEqual([]);
    expect(c.skipped).toBe(1);
    const key = (f: string) => `my meas_${f}{"ta,g"="v 1=x"}`.replace('{"ta,g"', '{ta,g');
    expect(points(c, key('f1'))).toEqual([
      [1700000000000, 1.5],
      [1700000001000, 2.5]
    ]);
    expect(points(c, key('f2'))).toEqual([[1700000000000, -3]]);
    expect(points(c, key('f3'))).toEqual([[1700000000000, 7]]);
    expect(points(c, key('f4'))).toEqual([[1700000000000, 1]]);
    expect(points(c, key('f5'))).toEqual([[1700000000000, 0]]);
    expect(points(c, 'cpu_usage')).toEqual([[T0, 0.5]]);
  });

  it.each([
    ['s', '1700000000', 1700000000000],
    ['ms', '1700000000123', 1700000000123],
    ['us', '1700000000123456', 1700000000123.456],
    ['ns', '1700000000123456789', 1700000000123.4568]
  ])('detects %s precision', (_p, ts, ms) => {
    expect(points(run(`m v=1 ${ts}\n`), 'm_v')).toEqual([[ms, 1]]);
  });

  it('honours an explicit precision', () => {
    expect(points(run('m v=1 5\n', 'a.lp', { precision: 'ms' }), 'm_v')).toEqual([[5, 1]]);
  });

  it('turns event-like lines into result events', () => {
    const c = run(
      'result,org=o1 actionType="deploy",status="ok",durationMs=12.5,retries=1i 1700000000000\n'
    );
    expect(c.events).toEqual([
      {
        t: 1700000000000,
        actionType: 'deploy',
        status: 'ok',
        durationMs: 12.5,
        retries: 1,
        context: { org: 'o1' }
      }
    ]);
  });

  it.each([
    ['no fields', 'm 1700000000000'],
    ['bad field value', 'm v=abc 1700000000000'],
    ['fractional integer field', 'm v=1.5i 1700000000000'],
    ['fractional timestamp', 'm v=1 1700000000000.5'],
    ['unterminated string', 'm v="abc 1700000000000'],
    ['bad timestamp', 'm v=1 17x']
  ])('reports %s as a line error', (_what, line) => {
    const c = run(`m v=1 1700000000000\n${line}\n`, 'a.lp');
    expect(c.errors.map((e) => e.line)).toEqual([2]);
  });
});

describe('CSV family', () => {
  it('handles quoted fields spanning lines (CRLF kept inside quotes), and a long layout with labels', () => {
    const c = run(
      'timestamp,name,host,value\r\n2024-01-01T00:00:00Z,up,"a,b",1\r\n2024-01-01T00:00:01.5Z,up,"multi\r\nline ""q""",2\r\n'
    );
    expect(c.errors).toEqual([]);
    expect(points(c, 'up{host="a,b"}')).toEqual([[Date.UTC(2024, 0, 1), 1]]);
    expect(points(c, 'up{host="multi\\r\\nline \\"q\\""}')).toEqual([
      [Date.UTC(2024, 0, 1, 0, 0, 1, 500), 2]
    ]);
  });

  it.each([
    ['epoch s', 'time,v\n1700000000,1\n', 1700000000000],
    ['fractional epoch s', 'time,v\n1700000000.25,1\n', 1700000000250],
    ['epoch ms', 'ts,v\n1700000000123,1\n', 1700000000123],
    ['epoch us', 'ts,v\n1700000000123456,1\n', 1700000000123.456],
    ['RFC 3339 offset', 'date,v\n2024-01-01T01:00:00+01:00,1\n', Date.UTC(2024, 0, 1)],
    [
      'RFC 3339 9 digits',
      'date,v\n2024-01-01T00:00:00.123456789Z,1\n',
      Date.UTC(2024, 0, 1) + 123.456789
    ],
    ['local, UTC default', 'when,v\n2024-01-01 00:00:00,1\n', Date.UTC(2024, 0, 1)]
  ])('time column: %s', (_what, text, t) => {
    const c = run(text);
    expect(c.errors).toEqual([]);
    expect([...c.series.values()][0].t).toEqual([t]);
  });

  it('reads zone-less times in the given time zone across DST', () => {
    const c = run(
      'time;v\n2024-03-31 01:30:00;1\n2024-03-31 03:30:00;2\n2024-10-27 02:30:00;3\n',
      'a.csv',
      {
        timeZone: 'Europe/Paris'
      }
    );
    expect([...c.series.values()][0].t).toEqual([
      Date.UTC(2024, 2, 31, 0, 30),
      Date.UTC(2024, 2, 31, 1, 30),
      Date.UTC(2024, 9, 27, 0, 30)
    ]);
  });

  it('TSV with comment lines and a wide layout; bad rows are line errors', () => {
    const text =
      '# exported\ntime\thost\tcpu_load\tmem\n1700000000\ta\t0.5\t10\n1700000001\ta\tx\t11\n1700000002\ta\t1\n1700000003\ta\t2\t12\n';
    const c = run(text);
    expect(points(c, 'cpu_load{host="a"}')).toEqual([
      [1700000000000, 0.5],
      [1700000003000, 2]
    ]);
    expect(points(c, 'mem{host="a"}')).toEqual([
      [1700000000000, 10],
      [1700000001000, 11],
      [1700000003000, 12]
    ]);
    const lineStart = (n: number) =>
      text
        .split('\n')
        .slice(0, n - 1)
        .join('\n').length + 1;
    expect(c.errors.map((e) => [e.line, e.byte])).toEqual([
      [4, lineStart(4)],
      [5, lineStart(5)]
    ]);
  });

  it('result-log CSV becomes events', () => {
    const c = run(
      't,actionType,status,durationMs,triggerId\n2024-01-01T00:00:00Z,deploy,ok,12,tr1\n'
    );
    expect(c.events).toEqual([
      {
        t: Date.UTC(2024, 0, 1),
        actionType: 'deploy',
        status: 'ok',
        durationMs: 12,
        triggerId: 'tr1'
      }
    ]);
  });

  it('result-log CSV keeps user and session ids', () => {
    const c = run(
      't,actionType,status,durationMs,userId,sessionId\n2024-01-01T00:00:00Z,deploy,ok,12,u1,s1\n'
    );
    expect(c.events).toEqual([
      {
        t: Date.UTC(2024, 0, 1),
        actionType: 'deploy',
        status: 'ok',
        durationMs: 12,
        userId: 'u1',
        sessionId: 's1'
      }
    ]);
  });

  it('role overrides win', () => {
    const c = run('time,code,v\n1700000000,7,1\n', 'a.csv', { csv: { roles: { code: 'label' } } });
    expect(points(c, 'v{code="7"}')).toEqual([[1700000000000, 1]]);
  });

  it('previewCsv shows delimiter, roles, time format and first rows', () => {
    const p = previewCsv(
      enc('# hostname;interval;timestamp;CPU;%usr\nvm;1;2026-11-22 14:24:40 UTC;-1;0.5\n')
    );
    expect(p.delimiter).toBe(';');
    expect(p.headerFromComment).toBe(true);
    expect(p.mapping.columns.map((c) => c.role)).toEqual([
      'label',
      'ignored',
      'time',
      'label',
      'value'
    ]);
    expect(p.mapping.timeFormat).toBe('rfc3339');
    expect(p.rows).toEqual([['vm', '1', '2026-11-22 14:24:40 UTC', '-1', '0.5']]);
    expect(previewCsv(enc('timestamp,value\n2014-07-01 00:00:00,1\n')).mapping.timeFormat).toBe(
      'datetime-local'
    );
  });
});

describe('holding points until they are taken', () => {
  it('gives one batch per series with every point, in order, however many steps it spans', () => {
    const rows = ['time,host,load'];
    for (let i = 0; i < 3000; i++) rows.push(`${1_700_000_000_000 + i},h${i % 3},${i / 4}`);
    rows.push('1700000009999,h1,oops');
    const bytes = enc(rows.join('\n') + '\n');
    const held = createStreamParser({ fileName: 'f.csv', holdPoints: true });
    let heldPoints = 0;
    let errors = 0;
    for (let o = 0; o < bytes.length; o += 997) {
      const step = held.push(bytes.subarray(o, o + 997));
      expect(step.batches).toEqual([]);
      heldPoints += step.heldPoints;
      errors += step.errors.length;
    }
    const last = held.finish();
    heldPoints += last.heldPoints;
    errors += last.errors.length;
    const batches = held.takePoints();
    expect(heldPoints).toBe(3000);
    expect(errors).toBe(1);
    expect(batches.map((b) => b.series.labels.host)).toEqual(['h0', 'h1', 'h2']);
    for (const [k, b] of batches.entries()) {
      // Independently: host k has rows i ≡ k (mod 3), time 1.7e12 + i, value i / 4.
      const i = Array.from({ length: 1000 }, (_, j) => 3 * j + k);
      expect(Array.from(b.t)).toEqual(i.map((x) => 1_700_000_000_000 + x));
      expect(Array.from(b.v)).toEqual(i.map((x) => x / 4));
    }
    // Taken means gone: a second take is empty.
    expect(held.takePoints()).toEqual([]);
  });
});

describe('column buffers given back to the parser', () => {
  /** Long-layout CSV: `rows` rows over `hosts` hosts; values have 1 to 20 digits. */
  function csvRows(rows: number, hosts: number, digits: (i: number) => number): Uint8Array {
    const lines = ['time,host,value'];
    for (let i = 0; i < rows; i++) {
      const d = digits(i);
      const int = String((i * 7919) % 10 ** Math.min(d, 15)).padStart(Math.min(d, 15), '0');
      const value = d > 15 ? `${int}.${'5'.repeat(d - 15)}` : int;
      lines.push(`${1_700_000_000_000 + i * 10},h${i % hosts},${value}`);
    }
    return enc(lines.join('\n') + '\n');
  }

  /** Every point per host, in order, as plain arrays. */
  function byHost(batches: { host: string; t: number[]; v: number[] }[]) {
    const out = new Map<string, { t: number[]; v: number[] }>();
    for (const b of batches) {
      const e = out.get(b.host) ?? { t: [], v: [] };
      e.t.push(...b.t);
      e.v.push(...b.v);
      out.set(b.host, e);
    }
    return out;
  }

  it('refills given-back columns without changing a point, or a batch still out', () => {
    let reusedTotal = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30_000 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 7 }),
        fc.integer({ min: 64, max: 40_000 }),
        fc.array(fc.nat(9), { minLength: 1, maxLength: 40 }),
        (rows, hosts, digitCycle, piece, plan) => {
          const bytes = csvRows(rows, hosts, (i) => digitCycle[i % digitCycle.length]);
          // The reference: no recycling, one take at the end.
          const plain = createStreamParser({ fileName: 'f.csv', holdPoints: true });
          for (let o = 0; o < bytes.length; o += piece) plain.push(bytes.subarray(o, o + piece));
          plain.finish();
          const expected = byHost(
            plain.takePoints().map((b) => ({
              host: b.series.labels.host,
              t: Array.from(b.t),
              v: Array.from(b.v)
            }))
          );

          // Takes after random pushes; each taken commit stays out for a random number of
          // pushes (as commits in flight do), then its buffers are given back.
          const parser = createStreamParser({ fileName: 'f.csv', holdPoints: true });
          const out: {
            batches: ReturnType<typeof parser.takePoints>;
            copy: number[][];
            due: number;
          }[] = [];
          const got: { host: string; t: number[]; v: number[] }[] = [];
          const given = new Set<ArrayBuffer>();
          let reused = 0;
          let step = 0;
          const giveBack = (all: boolean) => {
            for (let k = out.length - 1; k >= 0; k--) {
              if (!all && out[k].due > step) continue;
              const [c] = out.splice(k, 1);
              // Nothing wrote into a batch while it was out.
              expect(c.batches.flatMap((b) => [Array.from(b.t), Array.from(b.v)])).toEqual(c.copy);
              const buffers = [...new Set(c.batches.flatMap((b) => [b.t.buffer, b.v.buffer]))];
              for (const b of buffers) given.add(b as ArrayBuffer);
              parser.recycle(buffers as ArrayBuffer[]);
            }
          };
          const take = () => {
            const batches = parser.takePoints();
            for (const b of batches) {
              if (given.has(b.t.buffer as ArrayBuffer)) reused++;
              got.push({ host: b.series.labels.host, t: Array.from(b.t), v: Array.from(b.v) });
            }
            const copy = batches.flatMap((b) => [Array.from(b.t), Array.from(b.v)]);
            out.push({ batches, copy, due: step + plan[step % plan.length] });
          };
          for (let o = 0; o < bytes.length; o += piece, step++) {
            parser.push(bytes.subarray(o, o + piece));
            if (plan[step % plan.length] % 3 === 0) take();
            giveBack(false);
          }
          parser.finish();
          take();
          giveBack(true);
          expect(byHost(got)).toEqual(expected);
          reusedTotal += reused;
        }
      ),
      { numRuns: 60 }
    );
    // Not vacuous: some of the runs did fill given-back buffers again.
    expect(reusedTotal).toBeGreaterThan(0);
    // CPU-bound (60 generated files through the parser): 7 s alone, 35 s on a loaded
    // two-core machine, so it gets room beyond the 30 s default rather than fewer runs.
  }, 180_000);

  it('a later batch is written into a given-back buffer, not a new one', () => {
    // One host, three pieces of 4000 rows of equal length: the slot settles at 4096 points.
    const bytes = csvRows(12_000, 1, () => 6);
    const header = bytes.indexOf(10) + 1;
    const line = (bytes.length - header) / 12_000;
    const parser = createStreamParser({ fileName: 'f.csv', holdPoints: true });
    const takes: ReturnType<typeof parser.takePoints>[] = [];
    for (let k = 0; k < 3; k++) {
      const end = header + (k + 1) * 4000 * line;
      parser.push(bytes.subarray(k === 0 ? 0 : header + k * 4000 * line, end));
      if (k === 2) parser.finish();
      const batches = parser.takePoints();
      expect(batches.map((b) => b.t.length)).toEqual([4000]);
      // Independently: row i has time 1.7e12 + 10 i and value (7919 i) mod 10^6.
      const i0 = k * 4000;
      expect(batches[0].t[0]).toBe(1_700_000_000_000 + i0 * 10);
      expect(batches[0].v[3999]).toBe(((i0 + 3999) * 7919) % 1e6);
      takes.push(batches);
      parser.recycle([batches[0].t.buffer as ArrayBuffer, batches[0].v.buffer as ArrayBuffer]);
    }
    // The second take's columns were new (taken before anything came back); the third's
    // are the first take's, given back before the slot needed new ones.
    const first = [takes[0][0].t.buffer, takes[0][0].v.buffer];
    expect(first).not.toContain(takes[1][0].t.buffer);
    expect(first).toContain(takes[2][0].t.buffer);
    expect(first).toContain(takes[2][0].v.buffer);
  });

  it('keeps only buffers of a column size, up to the pool limit', () => {
    const parser = createStreamParser({ fileName: 'f.csv', holdPoints: true });
    const odd = new ArrayBuffer(8 * 1000);
    parser.recycle([odd]);
    const bytes = csvRows(125, 1, () => 3);
    parser.push(bytes);
    parser.finish();
    const [b] = parser.takePoints();
    expect(b.t.length).toBe(125);
    expect(b.t.buffer).not.toBe(odd);
    expect(Array.from(b.v.subarray(0, 3))).toEqual([0, 919, 838]);
  });
});

describe('JSON, NDJSON, OTLP', () => {
  it('NDJSON points, events, Prometheus API shape, and bad lines', () => {
    const c = run(
      [
        '{"name":"up","labels":{"job":"a"},"t":1700000000000,"v":1}',
        '{"metric":"up","labels":{"job":"a"},"timestamp":"2023-11-14T22:13:21Z","value":"NaN"}',
        '{"metric":{"__name__":"rate","x":"y"},"values":[[1700000000.5,"2"],[1700000001,"+Inf"]]}',
        '{"t":1700000000000,"actionType":"run","status":"error","durationMs":5,"errorMessage":"boom","extra":1}',
        '{"oops":1}',
        '{not json'
      ].join('\n')
    );
    expect(points(c, 'up{job="a"}')).toEqual([
      [1700000000000, 1],
      [1700000001000, NaN]
    ]);
    expect(points(c, 'rate{x="y"}')).toEqual([
      [1700000000500, 2],
      [1700000001000, Infinity]
    ]);
    expect(c.events).toEqual([
      {
        t: 1700000000000,
        actionType: 'run',
        status: 'error',
        durationMs: 5,
        errorMessage: 'boom',
        context: { extra: 1 }
      }
    ]);
    expect(c.errors.map((e) => e.line)).toEqual([5, 6]);
  });

  it('NDJSON events keep user and session ids', () => {
    const c = run(
      '{"t":1700000000000,"actionType":"run","status":"ok","durationMs":5,"userId":"u","sessionId":"s"}'
    );
    expect(c.events).toEqual([
      {
        t: 1700000000000,
        actionType: 'run',
        status: 'ok',
        durationMs: 5,
        userId: 'u',
        sessionId: 's'
      }
    ]);
  });

  it('OTLP JSON: gauge, monotonic sum, histogram (cumulated buckets), summary, resource labels', () => {
    const doc = {
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'temp',
                  unit: 'Cel',
                  gauge: { dataPoints: [{ timeUnixNano: '1700000000123456789', asDouble: 21.5 }] }
                },
                {
                  name: 'reqs',
                  sum: {
                    isMonotonic: true,
                    dataPoints: [
                      {
                        timeUnixNano: '1700000000000000000',
                        asInt: '42',
                        attributes: [{ key: 'code', value: { intValue: '200' } }]
                      }
                    ]
                  }
                },
                {
                  name: 'lat',
                  histogram: {
                    dataPoints: [
                      {
                        timeUnixNano: '1700000000000000000',
                        bucketCounts: ['1', '2', '3'],
                        explicitBounds: [0.1, 1],
                        sum: 2.5,
                        count: '6'
                      }
                    ]
                  }
                },
                {
                  name: 'q',
                  summary: {
                    dataPoints: [
                      {
                        timeUnixNano: '1700000000000000000',
                        quantileValues: [{ quantile: 0.5, value: 3 }],
                        sum: 9,
                        count: 3
                      }
                    ]
                  }
                }
              ]
            }
          ]
        }
      ]
    };
    const c = run(JSON.stringify(doc, null, 2), 'otlp.json');
    expect(c.format).toBe('otlp-json');
    expect(c.errors).toEqual([]);
    const svc = 'service.name="svc"';
    expect(points(c, `temp{${svc}}`)).toEqual([[1700000000123.4568, 21.5]]);
    expect(c.series.get(`temp{${svc}}`)?.series.unit).toBe('Cel');
    expect(c.series.get(`reqs{code="200",${svc}}`)?.series.kind).toBe('counter');
    expect(points(c, `lat_bucket{le="0.1",${svc}}`)).toEqual([[1700000000000, 1]]);
    expect(points(c, `lat_bucket{le="1",${svc}}`)).toEqual([[1700000000000, 3]]);
    expect(points(c, `lat_bucket{le="+Inf",${svc}}`)).toEqual([[1700000000000, 6]]);
    expect(points(c, `lat_count{${svc}}`)).toEqual([[1700000000000, 6]]);
    expect(points(c, `q{quantile="0.5",${svc}}`)).toEqual([[1700000000000, 3]]);
    expect(points(c, `q_sum{${svc}}`)).toEqual([[1700000000000, 9]]);
  });

  it('OTLP as NDJSON (collector file exporter: one export request per line)', () => {
    const line = (v: number, ns: string) =>
      JSON.stringify({
        resourceMetrics: [
          {
            scopeMetrics: [
              {
                metrics: [{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: ns, asDouble: v }] } }]
              }
            ]
          }
        ]
      });
    const c = run(
      line(1, '1700000000000000000') + '\n' + line(2, '1700000001000000000') + '\n',
      'metrics.jsonl'
    );
    expect(c.format).toBe('ndjson');
    expect(points(c, 'g')).toEqual([
      [1700000000000, 1],
      [1700000001000, 2]
    ]);
  });

  it('JSON arrays of points', () => {
    const c = run(
      '[\n {"name":"a","t":1700000000000,"v":1},\n {"name":"a","t":1700000001000,"v":-0.5}\n]'
    );
    expect(points(c, 'a')).toEqual([
      [1700000000000, 1],
      [1700000001000, -0.5]
    ]);
  });
});

describe('time helpers', () => {
  it.each([
    ['2024-03-31 02:30:00', 'Europe/Paris', Date.UTC(2024, 2, 31, 1, 30)],
    ['2024-10-27 02:30:00', 'Europe/Paris', Date.UTC(2024, 9, 27, 0, 30)],
    ['2024-07-01 12:00:00', 'America/New_York', Date.UTC(2024, 6, 1, 16)],
    ['2024-07-01 12:00:00 UTC', 'America/New_York', Date.UTC(2024, 6, 1, 12)],
    ['2024-13-01 00:00:00', 'UTC', NaN],
    ['', 'UTC', NaN]
  ])('parseDateTime(%j, %s)', (text, zone, ms) => {
    expect(parseDateTime(text, zone)).toBe(ms);
  });
});

describe('OTLP JSON: exponential histograms, delta sums and skipped metrics', () => {
  const otlp = (metrics: unknown[]) =>
    enc(JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics }] }] }));
  const at = (s: number) => String(BigInt(1_700_000_000 + s) * 1_000_000_000n);

  it('keeps an exponential histogram as cumulative buckets, and says so', async () => {
    const s = await parseMetricFile(
      'o.json',
      otlp([
        {
          name: 'lat',
          exponentialHistogram: {
            aggregationTemporality: 2,
            dataPoints: [
              {
                timeUnixNano: at(0),
                scale: 1,
                count: '7',
                sum: 10,
                zeroCount: '1',
                positive: { offset: 0, bucketCounts: ['2', '3'] },
                negative: { offset: 1, bucketCounts: ['1'] }
              }
            ]
          }
        }
      ])
    );
    expect(s.errors).toEqual([]);
    const buckets = s.series.filter((x) => x.name === 'lat_bucket').map((x) => x.labels.le);
    // base √2: negative bucket 1 ends at -√2, then 0, then √2, 2, +Inf.
    expect(buckets).toEqual([String(-Math.SQRT2), '0', String(2 ** 0.5), String(2), '+Inf']);
    const c = collect(
      otlp([
        {
          name: 'lat',
          exponentialHistogram: {
            dataPoints: [
              {
                timeUnixNano: at(0),
                scale: 0,
                count: '6',
                zeroCount: '1',
                positive: { offset: 0, bucketCounts: ['2', '3'] }
              }
            ]
          }
        }
      ]),
      { fileName: 'o.json' }
    );
    const v = [...c.series.values()]
      .filter((x) => x.series.name === 'lat_bucket')
      .map((x) => x.v[0]);
    expect(v).toEqual([1, 3, 6, 6]);
    expect(s.notes.join('\n')).toMatch(/exponential histogram stored as cumulative _bucket/);
  });

  it('turns a monotonic delta sum into a cumulative counter, and says so', async () => {
    const c = collect(
      otlp([
        {
          name: 'req',
          sum: {
            aggregationTemporality: 1,
            isMonotonic: true,
            dataPoints: [1, 2, 3].map((i) => ({ timeUnixNano: at(i), asInt: String(i * 10) }))
          }
        }
      ]),
      { fileName: 'o.json' }
    );
    const req = [...c.series.values()][0];
    expect(req.series.kind).toBe('counter');
    expect(req.v).toEqual([10, 30, 60]);
    const s = await parseMetricFile(
      'o.json',
      otlp([{ name: 'x', sum: { aggregationTemporality: 1, dataPoints: [] } }])
    );
    expect(s.notes.join('\n')).toMatch(/non-monotonic delta sum/);
  });

  it('counts and names a metric it cannot read', async () => {
    const s = await parseMetricFile('o.json', otlp([{ name: 'weird', somethingNew: {} }]));
    expect(s.skipped).toBe(1);
    expect(s.notes).toEqual([expect.stringMatching(/OTLP weird: skipped/)]);
  });
});

describe('record JSON', () => {
  it('a named row without a value field is a wide row of that measurement', () => {
    const c = collect(
      enc('{"time":"2024-05-01T10:00:00Z","measurement":"cpu","host":"a","user":1.5,"sys":2}\n'),
      { fileName: 'r.ndjson' }
    );
    expect(c.errors).toEqual([]);
    expect([...c.series.values()].map((s) => [s.series.name, s.series.labels, s.v[0]])).toEqual([
      ['cpu_user', { host: 'a' }, 1.5],
      ['cpu_sys', { host: 'a' }, 2]
    ]);
  });

  it('a named row whose value is not a number is an error on its line', () => {
    const c = collect(enc('{"t":1700000000000,"name":"up","v":"high"}\n'), {
      fileName: 'r.ndjson'
    });
    expect(c.errors.map((e) => [e.line, e.message])).toEqual([[1, 'missing or invalid value']]);
  });
});
