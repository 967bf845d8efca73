import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteKeyMap } from '../../src/lib/ingest/byte-keys';
import { createCsvHandler } from '../../src/lib/ingest/csv';
import {
  parseDecimalAt,
  parseDecimalBytes,
  parseDecimalToken
} from '../../src/lib/ingest/fast-number';
import { LineSplitter } from '../../src/lib/ingest/lines';
import { formatSeriesKey } from '../../src/lib/ingest/naming';
import { createPrometheusHandler } from '../../src/lib/ingest/prometheus';
import { BatchSink } from '../../src/lib/ingest/sink';
import type { LineHandler } from '../../src/lib/ingest/types';
import { enc } from './ingest-helpers';

/** Decimal texts around the fast path's edges: signs, leading dots, 15–17 digits, 22+ fraction digits. */
const decimalText = fc
  .tuple(
    fc.constantFrom('', '-', '+'),
    fc.stringMatching(/^[0-9]{0,18}$/),
    fc.option(fc.stringMatching(/^[0-9]{0,25}$/), { nil: undefined })
  )
  .map(([sign, int, frac]) => sign + int + (frac === undefined ? '' : '.' + frac));

describe('parseDecimalBytes', () => {
  it('is bit-exact with Number(text) whenever it answers, and agrees with parseDecimalAt', () => {
    fc.assert(
      fc.property(fc.oneof(decimalText, fc.double().map(String)), (text) => {
        const bytes = enc(`x${text}y`);
        const range = { start: 1, end: 1 + bytes.length - 2 };
        const v = parseDecimalBytes(bytes, range);
        const at = parseDecimalAt(`x${text}y`, { start: 1, end: 1 + text.length });
        expect(Object.is(v, at)).toBe(true);
        if (v === v) expect(Object.is(v, Number(text))).toBe(true);
      }),
      { numRuns: 3000 }
    );
  });

  it('parseDecimalToken reads the token up to a blank exactly as parseDecimalBytes reads it', () => {
    fc.assert(
      fc.property(
        fc.oneof(decimalText, fc.double().map(String), fc.constantFrom('1x', '#', '')),
        fc.constantFrom(' 17', '\t1', '', ' '),
        (token, rest) => {
          const bytes = enc(`k ${token}${rest}`);
          const range = { start: 2, end: bytes.length };
          const v = parseDecimalToken(bytes, range);
          const whole = parseDecimalBytes(bytes, { start: 2, end: 2 + enc(token).length });
          expect(Object.is(v, whole)).toBe(true);
          if (v === v) expect(range.end).toBe(2 + enc(token).length);
        }
      ),
      { numRuns: 2000 }
    );
  });

  it('answers the common shapes and declines what it cannot do exactly', () => {
    const parse = (s: string) => parseDecimalBytes(enc(s), { start: 0, end: enc(s).length });
    expect(parse('12.5')).toBe(12.5);
    expect(parse('-0.37')).toBe(-0.37);
    expect(Object.is(parse('-0'), -0)).toBe(true);
    expect(parse('.5')).toBe(0.5);
    expect(parse('7.')).toBe(7);
    expect(parse('1700000000000')).toBe(1_700_000_000_000);
    for (const s of ['', '-', '.', '1e3', 'NaN', '+Inf', ' 1', '1 ', '1.2.3', '9007199254740993'])
      expect(parse(s)).toBeNaN();
  });
});

describe('ByteKeyMap', () => {
  it('finds keys by a range of a larger buffer, colliding or not', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ maxLength: 12 }), { maxLength: 40 }), (keys) => {
        const map = new ByteKeyMap<number>();
        keys.forEach((k, i) => map.set(enc(k), i));
        keys.forEach((k, i) => {
          const b = enc(`<${k}>`);
          expect(map.get(b, { start: 1, end: b.length - 1 })).toBe(i);
        });
        const other = enc('\u0000never a key\u0000');
        expect(map.get(other, { start: 0, end: other.length })).toBeUndefined();
      })
    );
  });
});

/**
 * Drives one handler through the splitter in text mode (the reference: `onLine` on every
 * decoded line), in byte mode (`onLineBytes`) or in block mode (`onBlockBytes` first, then
 * `onLineBytes`), and gathers what its sink produced. Rows before `skipToOffset` are read
 * but not emitted, as the stream parser does on a resume.
 */
function drive(
  make: (sink: BatchSink) => LineHandler,
  bytes: Uint8Array,
  options: { mode: DriveMode; chunk: number; skipToOffset?: number }
) {
  const sink = new BatchSink('f');
  const handler = make(sink);
  const skip = options.skipToOffset ?? 0;
  const splitter = new LineSplitter({
    file: 'f',
    maxLineBytes: 1 << 20,
    onLine: (text, ctx) => {
      sink.emitting = ctx.byte >= skip;
      handler.onLine(text, ctx);
    },
    onLineBytes:
      options.mode === 'text'
        ? undefined
        : (view) => {
            sink.emitting = view.byte >= skip;
            handler.onLineBytes?.(view);
          },
    onBlockBytes: options.mode === 'block' ? handler.onBlockBytes?.bind(handler) : undefined
  });
  const series = new Map<string, { t: number[]; v: number[] }>();
  const out = { errors: [] as unknown[], rows: 0, skipped: 0, series };
  const take = () => {
    const step = sink.drain(splitter.checkpoint, splitter.bytes);
    for (const b of step.batches) {
      const key = formatSeriesKey(b.series.name, b.series.labels);
      const s = series.get(key) ?? { t: [], v: [] };
      series.set(key, s);
      s.t.push(...b.t);
      s.v.push(...b.v);
    }
    out.errors.push(...step.errors);
    out.rows += step.rows;
    out.skipped += step.skipped;
  };
  for (let o = 0; o < bytes.length; o += options.chunk) {
    splitter.push(bytes.subarray(o, o + options.chunk));
    take();
  }
  splitter.finish();
  sink.emitting = true;
  handler.onEnd();
  take();
  return out;
}

type DriveMode = 'text' | 'bytes' | 'block';

/** `drive`, or the message it threw (a limit, a fatal error): both paths must agree on it. */
function driveOrThrown(...args: Parameters<typeof drive>) {
  try {
    return drive(...args);
  } catch (e) {
    return { thrown: (e as Error).message };
  }
}

/** Drives `make` in every mode; the byte and block paths must give what the text path gives. */
function expectModesAgree(
  make: (sink: BatchSink) => LineHandler,
  bytes: Uint8Array,
  options: { chunk: number; skipToOffset?: number }
): void {
  const reference = driveOrThrown(make, bytes, { ...options, mode: 'text' });
  expect(driveOrThrown(make, bytes, { ...options, mode: 'bytes' })).toEqual(reference);
  expect(driveOrThrown(make, bytes, { ...options, mode: 'block' })).toEqual(reference);
}

/** A resume point: the byte offset of a line start about `at` (0–1) of the way into `text`. */
function resumeOffset(text: string, at: number): number {
  const cut = text.lastIndexOf('\n', Math.floor(text.length * at));
  return cut < 0 ? 0 : enc(text.slice(0, cut + 1)).length;
}

/** Lines from pieces that sit on and just off the byte paths. */
const promLine = fc
  .tuple(
    fc.constantFrom('up', 'node_cpu_seconds_total', 'x_created', 'é_bad', 'h_bucket'),
    fc.constantFrom('', '{cpu="0"}', '{cpu="1",mode="idle"}', '{a="}"}', '{a="é"}', '{a=b}'),
    fc.constantFrom(' ', '\t', '  ', ''),
    fc.oneof(decimalText, fc.constantFrom('NaN', '+Inf', '1e3', 'x', '')),
    fc.constantFrom('', ' 1700000000000', ' 1700000000.5', ' 17', ' abc', ' 1700000000000 # c'),
    fc.constantFrom('', '\r', ' ')
  )
  .map((p) => p.join(''));
const promHeader = fc.constantFrom(
  '',
  '# TYPE node_cpu_seconds_total counter\n',
  '# TYPE h histogram\n# TYPE x counter\n# HELP up Is it up.\n'
);

const csvCell = fc.oneof(
  decimalText,
  fc.constantFrom('', ' ', ' 1', 'NaN', '-Inf', 'x', '"1"', '"a,b"', 'é', '1e3')
);
const csvTime = fc.constantFrom(
  '1700000000000',
  '1700000000001',
  '1700000000',
  ' 1700000000000',
  '1700000000000.5',
  'nope',
  ''
);
const csvLine = fc
  .tuple(
    csvTime,
    fc.constantFrom('host0', 'host1', 'hé', '', '"q"'),
    csvCell,
    csvCell,
    fc.constantFrom('', ',', ',9', '\r'),
    fc.constantFrom('', '', '', '# note', ' ', '\u00a0')
  )
  .map(([t, h, a, b, tail, alt]) => (alt !== '' ? alt : `${t},${h},${a},${b}${tail}`));

/** Cells just on and off the block path's number reader. */
const blockCell = fc.oneof(
  decimalText,
  fc.constantFrom(
    '-0',
    '+1',
    '1.',
    '.5',
    '-',
    '+',
    '.',
    '1..2',
    '12345678901234567890',
    '9007199254740993',
    // Around the int32 accumulator's 9 digits.
    '123456789',
    '1234567890',
    '999999999.5',
    '0.0000000001234'
  ),
  fc.constantFrom('1e3', ' 1', '1 ', '"1"', '', 'é', '0x10', '1\t')
);
const blockTime = fc.oneof(
  fc.constantFrom('1700000000000', '1700000000001', '1700000000001', '-1700000000000', '-'),
  fc.constantFrom('1700000000000.5', '17000000000000000000', '+1700000000000', 'nope', ''),
  // Epoch seconds, and lengths around the two 9-digit accumulators (18 digits, 19, padded).
  fc.constantFrom('1700000000', '17', '123456789', '9007199254740991', '999999999999999999'),
  fc.constantFrom('1000000000000000000', '0001700000000000', '-0')
);
const blockLine = fc
  .tuple(
    blockTime,
    fc.constantFrom('host0', 'host1', 'host1', 'hé', '', '"q"', 'new'),
    blockCell,
    blockCell,
    fc.constantFrom('', '', '', ',', ',9', '\r'),
    fc.constantFrom('', '', '', '', '# note', ' ', '#1,host0,1,2', '\r')
  )
  .map(([t, h, a, b, tail, alt]) => (alt !== '' ? alt : `${t},${h},${a},${b}${tail}`));

const cleanCsvLine = fc
  .tuple(
    fc.constantFrom('1700000000000', '1700000000001', '1700000000002'),
    fc.constantFrom('host0', 'host1', 'hé'),
    decimalText.filter((t) => /[0-9]/.test(t)),
    fc.double({ noNaN: true }).map(String)
  )
  .map((p) => p.join(','));

describe('the byte paths give exactly what the text paths give', () => {
  it('Prometheus: points, rows, skips and per-line errors, any chunking', () => {
    fc.assert(
      fc.property(
        promHeader,
        fc.array(promLine, { maxLength: 60 }),
        fc.oneof(fc.integer({ min: 1, max: 97 }), fc.constant(1 << 20)),
        fc.boolean(),
        (header, lines, chunk, withDefault) => {
          const bytes = enc('\ufeff' + header + lines.join('\n'));
          const make = (sink: BatchSink) =>
            createPrometheusHandler({
              sink,
              file: 'f',
              openMetrics: false,
              defaultTimestamp: withDefault ? 1_600_000_000_000 : undefined
            });
          expectModesAgree(make, bytes, { chunk });
        }
      ),
      { numRuns: 500 }
    );
  });

  it('Prometheus: the block path gives what the per-line paths give on repeated scrapes, any chunking, on a resume', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.constantFrom(
            'up',
            'up{job="a"}',
            'x_total{cpu="0",mode="idle"}',
            'x_total{cpu="1"}',
            'm{a="}"}'
          ),
          { minLength: 1, maxLength: 5 }
        ),
        fc.array(
          fc.tuple(
            fc.oneof(decimalText, fc.constantFrom('NaN', '1e3', '-0', '+1', '.5', '')),
            fc.constantFrom(
              ' 1700000000000',
              ' 1700000000001',
              '',
              ' 1700000000.5',
              ' -1700000000000',
              ' 17'
            ),
            fc.constantFrom('', '', '', ' ', '\r', ' # {a="b"} 1', '\t'),
            fc.constantFrom('', '', '', '', '# HELP up Up.', '', 'junk line')
          ),
          { maxLength: 120 }
        ),
        fc.oneof(fc.integer({ min: 1, max: 300 }), fc.constant(1 << 20)),
        fc.boolean(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (series, samples, chunk, withDefault, resumeAt) => {
          const lines = samples.map(([v, ts, tail, alt], i) =>
            alt !== '' ? alt : `${series[i % series.length]} ${v}${ts}${tail}`
          );
          const text = '# TYPE x_total counter\n' + lines.join('\n') + '\n';
          const bytes = enc(text);
          const skipToOffset = resumeOffset(text, resumeAt);
          const make = (sink: BatchSink) =>
            createPrometheusHandler({
              sink,
              file: 'f',
              openMetrics: false,
              defaultTimestamp: withDefault ? 1_600_000_000_000 : undefined,
              skipToOffset
            });
          expectModesAgree(make, bytes, { chunk, skipToOffset });
        }
      ),
      { numRuns: 500 }
    );
  });

  it('CSV: points, rows and per-line errors, any chunking', () => {
    fc.assert(
      fc.property(
        // Clean rows first so a mapping with a time column is detected, then anything.
        fc.array(cleanCsvLine, { minLength: 20, maxLength: 25 }),
        fc.array(csvLine, { minLength: 0, maxLength: 60 }),
        fc.integer({ min: 1, max: 97 }),
        fc.constantFrom('time,host,a,b\n', 'time,host,a,b\r\n', '# comment\ntime,host,a,b\n'),
        (clean, lines, chunk, header) => {
          const bytes = enc(header + [...clean, ...lines].join('\n'));
          const make = (sink: BatchSink) =>
            createCsvHandler({ sink, file: 'f.csv', timeZone: 'UTC', maxLineBytes: 1 << 20 });
          expectModesAgree(make, bytes, { chunk });
        }
      ),
      { numRuns: 500 }
    );
  });

  it('CSV: the block path gives what the per-line paths give, in any chunking and on a resume', () => {
    fc.assert(
      fc.property(
        fc.array(cleanCsvLine, { minLength: 20, maxLength: 25 }),
        fc.array(blockLine, { minLength: 0, maxLength: 80 }),
        fc.oneof(fc.integer({ min: 1, max: 300 }), fc.constant(1 << 20)),
        fc.constantFrom(
          'time,host,a,b\n',
          'time,host,a,b\r\n',
          '# comment\ntime,host,a,b\n',
          'time_s,host,a,b\n'
        ),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (clean, lines, chunk, header, resumeAt) => {
          const text = header + [...clean, ...lines].join('\n');
          const bytes = enc(text);
          // A resume starts at a line start somewhere in the file.
          const skipToOffset = resumeOffset(text, resumeAt);
          const make = (sink: BatchSink) =>
            createCsvHandler({
              sink,
              file: 'f.csv',
              timeZone: 'UTC',
              maxLineBytes: 1 << 20,
              skipToOffset
            });
          expectModesAgree(make, bytes, { chunk, skipToOffset });
        }
      ),
      { numRuns: 500 }
    );
  });

  it('CSV: comment-header sections, the long layout, two labels and quoted records agree in every path, any chunking, on a resume', () => {
    // sysstat `sadf -d` sections (a new `#` header starts new series), and a long file with
    // a name column: rows the byte paths hand to the text path, and section state in csv/index.ts.
    const sysstat = fc
      .tuple(
        fc.constantFrom('h1', 'h2', '"h;3"'),
        fc.constantFrom('0', '1', 'all'),
        blockTime,
        blockCell,
        blockCell
      )
      .map(([h, cpu, t, a, b]) => `${h};600;${t};${cpu};${a};${b}`);
    const long = fc
      .tuple(
        blockTime,
        fc.constantFrom('cpu', 'mem', '', '"a,b"'),
        fc.constantFrom('h1', 'h2'),
        blockCell
      )
      .map(([t, n, h, v]) => `${t},${n},${h},${v}`);
    const layouts = [
      {
        header: '# hostname;interval;timestamp;CPU;%user;%system\n',
        clean: (i: number) => `h1;600;${1_700_000_000 + i};all;${i}.5;2`,
        line: sysstat,
        extra: [
          '# hostname;interval;timestamp;IFACE;rxpck/s;txpck/s',
          '"h\n1";600;1700000000;eth0;1;2',
          '# a note'
        ]
      },
      {
        header: 'time,name,host,value\n',
        clean: (i: number) => `${1_700_000_000_000 + i},cpu,h${i % 2},${i}`,
        line: long,
        extra: ['"1700000000000",mem,"h\n2",3', '', '# note']
      }
    ];
    fc.assert(
      fc.property(
        fc
          .constantFrom(...layouts)
          .chain((layout) =>
            fc.tuple(
              fc.constant(layout),
              fc.array(
                fc.oneof(
                  { arbitrary: layout.line, weight: 4 },
                  { arbitrary: fc.constantFrom(...layout.extra), weight: 1 }
                ),
                { maxLength: 60 }
              )
            )
          ),
        fc.oneof(fc.integer({ min: 1, max: 300 }), fc.constant(1 << 20)),
        fc.double({ min: 0, max: 1, noNaN: true }),
        ([layout, body], chunk, resumeAt) => {
          const clean = Array.from({ length: 20 }, (_v, i) => layout.clean(i));
          const text = layout.header + [...clean, ...body].join('\n') + '\n';
          const skipToOffset = resumeOffset(text, resumeAt);
          const make = (sink: BatchSink) =>
            createCsvHandler({
              sink,
              file: 'f.csv',
              timeZone: 'UTC',
              maxLineBytes: 1 << 20,
              skipToOffset
            });
          expectModesAgree(make, enc(text), { chunk, skipToOffset });
        }
      ),
      { numRuns: 300 }
    );
  });

  it('CSV: the block path reads wide files without a label column and seconds epochs', () => {
    const rows = ['time,load,used'];
    for (let i = 0; i < 200; i++) rows.push(`${1_700_000_000 + i},${(i % 17) / 4},${i * 3}`);
    rows.push('1700000200,-1.5,', '1700000201,,7', '1700000202,x,8', '1700000203,2,9');
    const bytes = enc(rows.join('\n') + '\n');
    const make = (sink: BatchSink) =>
      createCsvHandler({ sink, file: 'f.csv', timeZone: 'UTC', maxLineBytes: 1 << 20 });
    const block = drive(make, bytes, { mode: 'block', chunk: 1 << 20 });
    expect(block).toEqual(drive(make, bytes, { mode: 'text', chunk: 7 }));
    // Independently: 202 load values (one empty, one "x") and 203 used values (one empty).
    const cpu = block.series.get(formatSeriesKey('load', {}))!;
    const mem = block.series.get(formatSeriesKey('used', {}))!;
    expect(cpu.t.length).toBe(202);
    expect(mem.t.length).toBe(203);
    expect(cpu.t[0]).toBe(1_700_000_000_000);
    expect(cpu.v[200]).toBe(-1.5);
    expect(mem.v[202]).toBe(9);
    expect(block.errors).toHaveLength(1);
  });
});
