import { formatCsvDuckdbPoints, CsvDuckdbHeader } from '../export/csv';
import { mergeBatches } from '../export/merge';
import { writePointsNdjson } from '../export/ndjson';
import { writeOtlpJson } from '../export/otlp';
import {
  createOpenMetricsStream,
  orderOpenMetricsSeries,
  planOpenMetrics,
  sortBatch
} from '../export/openmetrics';
import { writeParquetPoints } from '../export/parquet';
import { createStreamParser, isParquet, parquetToNdjson, type IngestFormat } from '../ingest';
import type { PointBatch } from '../types';

/**
 * The converter behind `npm run convert -- INPUT OUTPUT` (scripts/convert.ts): any file
 * Import reads, through the same streaming parsers, written by the export writers in the
 * format the output's extension names. Pure: bytes in, bytes out; the script does the files.
 */

export type ConvertFormat = 'openmetrics' | 'csv' | 'ndjson' | 'parquet' | 'otlp-json';

/** Output extensions, longest first (`.otlp.json` before `.json`). */
export const ConvertExtensions: ReadonlyArray<readonly [string, ConvertFormat]> = [
  ['.otlp.json', 'otlp-json'],
  ['.om', 'openmetrics'],
  ['.prom', 'openmetrics'],
  ['.csv', 'csv'],
  ['.ndjson', 'ndjson'],
  ['.parquet', 'parquet']
];

/**
 * The output format a path's extension names, or undefined.
 *
 * Empty input: undefined. Complexity O(extensions).
 * @example
 * convertFormatOf('out/cpu.otlp.json') // 'otlp-json'
 */
export function convertFormatOf(path: string): ConvertFormat | undefined {
  const lower = path.toLowerCase();
  return ConvertExtensions.find(([ext]) => lower.endsWith(ext))?.[1];
}

export interface ConvertResult {
  bytes: Uint8Array;
  read: {
    format: IngestFormat | 'parquet';
    series: number;
    samples: number;
    events: number;
    /** Line errors (the first `maxErrors` listed), values deliberately not points, notes. */
    errors: { line: number; message: string }[];
    suppressedErrors: number;
    skipped: number;
    notes: string[];
  };
  written: {
    format: ConvertFormat;
    series: number;
    samples: number;
    /** Samples the output format cannot carry, left out (OpenMetrics: see its writer). */
    skipped: number;
    notes: string[];
  };
}

/** What one conversion may be told. */
export interface ConvertOptions {
  /** Input file name (format sniffing uses its extension too). */
  name: string;
  bytes: Uint8Array;
  to: ConvertFormat;
  /** Epoch ms for samples without a timestamp. */
  defaultTimestamp?: number;
  /** Chunk size the parser is fed with. */
  chunkBytes?: number;
}

/**
 * Reads a metrics file whole into one batch per series, points sorted by time.
 *
 * Empty input: no batches. Complexity O(bytes + points log points).
 * @example
 * const { batches } = await readMetricBatches({ name: 'a.prom', bytes });
 */
export async function readMetricBatches(
  options: Pick<ConvertOptions, 'name' | 'bytes' | 'defaultTimestamp' | 'chunkBytes'>
): Promise<{ batches: PointBatch[]; read: ConvertResult['read'] }> {
  let { bytes } = options;
  const parquet = isParquet(bytes);
  if (parquet) bytes = await parquetToNdjson(bytes, options.name, Infinity);
  const parser = createStreamParser({
    fileName: options.name,
    ...(parquet ? { format: 'ndjson' as const } : {}),
    ...(options.defaultTimestamp !== undefined
      ? { defaultTimestamp: options.defaultTimestamp }
      : {}),
    holdPoints: true
  });
  const read: ConvertResult['read'] = {
    format: 'prometheus',
    series: 0,
    samples: 0,
    events: 0,
    errors: [],
    suppressedErrors: 0,
    skipped: 0,
    notes: []
  };
  const take = (step: ReturnType<typeof parser.push>): void => {
    read.events += step.events.length;
    read.skipped += step.skipped;
    read.suppressedErrors += step.suppressedErrors;
    read.notes.push(...step.notes);
    for (const e of step.errors) read.errors.push({ line: e.line, message: e.message });
  };
  const chunk = options.chunkBytes ?? 1 << 20;
  for (let o = 0; o < bytes.length; o += chunk) take(parser.push(bytes.subarray(o, o + chunk)));
  take(parser.finish());
  const batches = mergeBatches(parser.takePoints()).map(sortBatch);
  read.format = parquet ? 'parquet' : parser.format === '' ? 'prometheus' : parser.format;
  read.series = batches.length;
  read.samples = batches.reduce((s, b) => s + b.t.length, 0);
  return { batches, read };
}

/**
 * Converts one metrics file (see the module comment).
 *
 * Empty input: an empty output of the format. Complexity O(bytes + points log points).
 * @example
 * const r = await convertMetrics({ name: 'node.prom', bytes, to: 'parquet' });
 * // r.read.samples === r.written.samples
 */
export async function convertMetrics(options: ConvertOptions): Promise<ConvertResult> {
  const { batches, read } = await readMetricBatches(options);
  const text = new TextEncoder();
  let bytes: Uint8Array;
  let skipped = 0;
  let series = read.series;
  const notes: string[] = [];
  switch (options.to) {
    case 'openmetrics': {
      const descriptors = batches.map((b) => b.series);
      const plan = planOpenMetrics(descriptors);
      const w = createOpenMetricsStream(plan);
      const out: string[] = [];
      for (const i of orderOpenMetricsSeries(plan, descriptors)) out.push(w.write(batches[i]));
      out.push(w.end());
      skipped = w.skipped();
      series = w.series();
      if (skipped > 0)
        notes.push(
          `${skipped} samples OpenMetrics does not allow were left out (a counter or histogram count that is NaN or negative, a histogram point without its +Inf bucket or not cumulative, a repeated timestamp)`
        );
      if (plan.leftOut.length > 0)
        notes.push(
          `${plan.leftOut.length} series left out: their name is another family's name (${plan.leftOut
            .slice(0, 3)
            .map((d) => d.name)
            .join(', ')})`
        );
      bytes = text.encode(out.join(''));
      break;
    }
    case 'csv':
      bytes = text.encode(CsvDuckdbHeader + batches.map(formatCsvDuckdbPoints).join(''));
      break;
    case 'ndjson':
      bytes = text.encode(writePointsNdjson(batches));
      break;
    case 'parquet':
      bytes = writeParquetPoints(batches);
      break;
    case 'otlp-json':
      bytes = text.encode(writeOtlpJson(batches));
      break;
  }
  const samples = read.samples - skipped;
  return {
    bytes,
    read,
    written: {
      format: options.to,
      series,
      samples,
      skipped,
      notes
    }
  };
}
