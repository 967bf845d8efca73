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
 * decoded line) or in byte mode (`onLineBytes`), and gathers what its sink produced.
 */
function drive(
  make: (sink: BatchSink) => LineHandler,
  bytes: Uint8Array,
  options: { mode: 'text' | 'bytes'; chunk: number }
) {
  const sink = new BatchSink('f');
  const handler = make(sink);
  const splitter = new LineSplitter({
    file: 'f',
    maxLineBytes: 1 << 20,
    onLine: (text, ctx) => handler.onLine(text, ctx),
    onLineBytes: options.mode === 'bytes' ? handler.onLineBytes?.bind(handler) : undefined
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
  handler.onEnd();
  take();
  return out;
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
        fc.integer({ min: 1, max: 97 }),
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
          const run = (mode: 'text' | 'bytes') => {
            try {
              return drive(make, bytes, { mode, chunk });
            } catch (e) {
              return { thrown: (e as Error).message };
            }
          };
          expect(run('bytes')).toEqual(run('text'));
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
          const run = (mode: 'text' | 'bytes') => {
            try {
              return drive(make, bytes, { mode, chunk });
            } catch (e) {
              return { thrown: (e as Error).message };
            }
          };
          expect(run('bytes')).toEqual(run('text'));
        }
      ),
      { numRuns: 500 }
    );
  });
});
