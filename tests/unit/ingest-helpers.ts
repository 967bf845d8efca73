import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStreamParser, formatSeriesKey } from '../../src/lib/ingest';
import type { ParseStep, StreamParserOptions } from '../../src/lib/ingest';
import type { ResultEvent, SeriesDescriptor } from '../../src/lib/types';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The shared fixtures folder; missing fixtures are an error, never a silent skip. */
export function fixturesDir(): string {
  const dir = process.env.TIDEMARK_FIXTURES ?? path.resolve(repoRoot, '..', 'shared', 'fixtures');
  if (!existsSync(path.join(dir, 'metrics')))
    throw new Error(`fixtures not found at ${dir}; set TIDEMARK_FIXTURES`);
  return dir;
}

export function listFixtures(): { name: string; file: string }[] {
  const dir = fixturesDir();
  const metrics = readdirSync(path.join(dir, 'metrics')).map((n) => ({
    name: n,
    file: path.join(dir, 'metrics', n)
  }));
  const nabRoot = path.join(dir, 'nab', 'data');
  const nab = readdirSync(nabRoot).flatMap((sub) =>
    readdirSync(path.join(nabRoot, sub))
      .filter((n) => n.endsWith('.csv'))
      .map((n) => ({ name: n, file: path.join(nabRoot, sub, n) }))
  );
  return [...metrics, ...nab];
}

export function readBytes(file: string): Uint8Array {
  return new Uint8Array(readFileSync(file));
}

export interface Collected {
  format: string;
  series: Map<string, { series: SeriesDescriptor; t: number[]; v: number[] }>;
  events: ResultEvent[];
  errors: { line: number; byte: number; message: string }[];
  rows: number;
  skipped: number;
  checkpoints: number[];
}

/** Runs the stream parser over `bytes` cut into `chunk`-sized pieces and gathers everything. */
export function collect(
  bytes: Uint8Array,
  options: StreamParserOptions & { chunk?: number; reuse?: boolean }
): Collected {
  const parser = createStreamParser(options);
  const out: Collected = {
    format: '',
    series: new Map(),
    events: [],
    errors: [],
    rows: 0,
    skipped: 0,
    checkpoints: []
  };
  const take = (step: ParseStep): void => {
    for (const b of step.batches) {
      const key = formatSeriesKey(b.series.name, b.series.labels);
      let s = out.series.get(key);
      if (s === undefined) {
        s = { series: b.series, t: [], v: [] };
        out.series.set(key, s);
      }
      s.t.push(...b.t);
      s.v.push(...b.v);
    }
    out.events.push(...step.events);
    out.errors.push(
      ...step.errors.map((e) => ({ line: e.line, byte: e.byte, message: e.message }))
    );
    out.rows += step.rows;
    out.skipped += step.skipped;
    out.checkpoints.push(step.checkpoint);
  };
  const size = options.chunk ?? (bytes.length || 1);
  // `reuse`: every piece goes through one buffer that is scribbled over after each push, as
  // the import's reader refills its buffers (the parser may keep nothing of a chunk).
  const buffer = options.reuse ? new Uint8Array(size) : null;
  for (let o = 0; o < bytes.length; o += size) {
    const piece = bytes.subarray(o, o + size);
    if (buffer === null) take(parser.push(piece));
    else {
      buffer.set(piece);
      take(parser.push(buffer.subarray(0, piece.length)));
      buffer.fill(0x7b);
    }
  }
  take(parser.finish());
  out.format = parser.format;
  return out;
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Comparable, order-independent view of collected output (NaN and -0 kept distinct). */
export function canonical(c: Collected): unknown {
  const num = (x: number): string => (Object.is(x, -0) ? '-0' : String(x));
  return {
    series: [...c.series.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, s]) => [k, s.series, s.t.map(num), s.v.map(num)]),
    events: c.events,
    errors: c.errors,
    skipped: c.skipped
  };
}
