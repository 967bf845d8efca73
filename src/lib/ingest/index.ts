/**
 * Pure streaming parsers for metric and event files. The import worker calls
 * `createStreamParser` with `File.stream()` chunks; tools and tests use `parseMetricFile`.
 */
import { formatSeriesKey } from './naming';
import { isParquet, parquetToNdjson } from './parquet';
import { createStreamParser } from './stream-parser';
import type { IngestFormat, StreamParserOptions } from './types';

export { createStreamParser } from './stream-parser';
export { sniffFormat, SniffDefaults } from './sniff';
export { previewCsv, detectCsvMapping, CsvDefaults } from './csv';
export type { CsvPreview, CsvMapping, CsvColumn, CsvLayout } from './csv';
export { IngestError, ExpectedFormatsMessage } from './errors';
export type { IngestErrorCode } from './errors';
export { formatSeriesKey, guessCategory, guessUnit } from './naming';
export { isSafeEntryName } from './bundle';
export { assertParquetSize, isParquet, parquetToNdjson, ParquetDefaults } from './parquet';
export { DefaultIngestLimits } from './types';
export type {
  CsvColumnRole,
  CsvOverrides,
  CsvTimeFormat,
  IngestFormat,
  IngestLimits,
  IngestLineError,
  ParseStep,
  StreamParser,
  StreamParserOptions,
  TimePrecision
} from './types';

/** Chunk size `parseMetricFile` feeds with: odd, so chunk boundaries fall mid-line and mid-character. */
export const ParseFileDefaults = { chunkBytes: 65_537 };

export interface ParsedFileSummary {
  format: IngestFormat;
  series: { name: string; labels: Record<string, string>; points: number }[];
  points: number;
  events: number;
  errors: { line: number; message: string }[];
  /** Errors beyond `limits.maxErrors`, counted only. */
  suppressedErrors: number;
  skipped: number;
  /** What the reader chose or left out (see `ParseStep.notes`). */
  notes: string[];
}

/**
 * Parses a whole file through the streaming parser (fed in odd-sized chunks, so the
 * streaming path is the one exercised) and summarises series and point counts.
 *
 * Empty input: no series, no points. Complexity O(bytes).
 * @example
 * const s = await parseMetricFile('a.prom', new TextEncoder().encode('up 1 1700000000000\n'));
 * // s.series → [{ name: 'up', labels: {}, points: 1 }]
 */
export async function parseMetricFile(
  name: string,
  bytes: Uint8Array,
  options: Omit<StreamParserOptions, 'fileName'> & { chunkBytes?: number } = {}
): Promise<ParsedFileSummary> {
  // Parquet is decoded whole into record rows first, then read as NDJSON.
  const parquet =
    options.format === 'parquet' || (options.format === undefined && isParquet(bytes));
  if (parquet) {
    bytes = await parquetToNdjson(bytes, name);
    options = { ...options, format: 'ndjson' };
  }
  const parser = createStreamParser({ ...options, fileName: name });
  const chunk = options.chunkBytes ?? ParseFileDefaults.chunkBytes;
  const series = new Map<
    string,
    { name: string; labels: Record<string, string>; points: number }
  >();
  const errors: { line: number; message: string }[] = [];
  let points = 0;
  let events = 0;
  let skipped = 0;
  let suppressedErrors = 0;
  const notes: string[] = [];
  const take = (step: ReturnType<typeof parser.push>): void => {
    for (const b of step.batches) {
      const key = formatSeriesKey(b.series.name, b.series.labels);
      let s = series.get(key);
      if (s === undefined) {
        s = { name: b.series.name, labels: b.series.labels, points: 0 };
        series.set(key, s);
      }
      s.points += b.t.length;
      points += b.t.length;
    }
    events += step.events.length;
    skipped += step.skipped;
    suppressedErrors += step.suppressedErrors;
    notes.push(...step.notes);
    for (const e of step.errors) errors.push({ line: e.line, message: e.message });
  };
  for (let o = 0; o < bytes.length; o += chunk) take(parser.push(bytes.subarray(o, o + chunk)));
  take(parser.finish());
  return {
    format: parquet ? 'parquet' : parser.format === '' ? 'prometheus' : parser.format,
    series: [...series.values()],
    points,
    events,
    errors,
    suppressedErrors,
    skipped,
    notes
  };
}
