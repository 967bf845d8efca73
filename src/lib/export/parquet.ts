import { parquetWriteBuffer } from 'hyparquet-writer';
import type { PointBatch } from '../types';

/**
 * Parquet points through hyparquet-writer (pure JS, the writing half of hyparquet, which
 * Import already reads Parquet with), one fixed schema whatever the series:
 *
 * | column | Parquet type | DuckDB reads |
 * | --- | --- | --- |
 * | `time` | INT64 TIMESTAMP(MICROS, UTC) | TIMESTAMP WITH TIME ZONE |
 * | `name` | BYTE_ARRAY UTF8 | VARCHAR |
 * | `labels` | MAP<UTF8, UTF8> | MAP(VARCHAR, VARCHAR) |
 * | `value` | DOUBLE | DOUBLE (NaN and ±Infinity as such) |
 *
 * Every column is REQUIRED; a series without labels has an empty map. Microseconds keep the
 * sub-millisecond part some imports have (nanosecond Influx files); whole milliseconds are
 * exact. Snappy-compressed, 100,000-row row groups (hyparquet-writer's defaults).
 */
export const ParquetPointSchema = [
  { name: 'root', num_children: 4 },
  {
    name: 'time',
    type: 'INT64',
    repetition_type: 'REQUIRED',
    converted_type: 'TIMESTAMP_MICROS',
    logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' }
  },
  { name: 'name', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  { name: 'labels', repetition_type: 'REQUIRED', converted_type: 'MAP', num_children: 1 },
  { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
  { name: 'key', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  { name: 'value', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  { name: 'value', type: 'DOUBLE', repetition_type: 'REQUIRED' }
] as const;

/** Columns gathered for one Parquet file. */
export interface ParquetPointColumns {
  time: bigint[];
  name: string[];
  labels: Record<string, string>[];
  value: number[];
}

/**
 * Appends a batch's points to the columns (labels objects are shared between a series' rows).
 *
 * Empty input: nothing appended. Complexity O(points).
 * @example
 * const cols = { time: [], name: [], labels: [], value: [] }; appendParquetPoints(cols, batch);
 */
export function appendParquetPoints(cols: ParquetPointColumns, b: PointBatch): void {
  for (let i = 0; i < b.t.length; i++) {
    cols.time.push(BigInt(Math.round(b.t[i] * 1000)));
    cols.name.push(b.series.name);
    cols.labels.push(b.series.labels);
    cols.value.push(b.v[i]);
  }
}

/**
 * Encodes gathered columns as one Parquet file (see `ParquetPointSchema`).
 *
 * Empty input: a valid file with no rows. Complexity O(points).
 * @example
 * encodeParquetPoints(cols) // Uint8Array starting with 'PAR1'
 */
export function encodeParquetPoints(cols: ParquetPointColumns): Uint8Array {
  const buffer = parquetWriteBuffer({
    schema: ParquetPointSchema.map((e) => ({ ...e })) as never,
    columnData: [
      { name: 'time', data: cols.time },
      { name: 'name', data: cols.name },
      { name: 'labels', data: cols.labels },
      { name: 'value', data: cols.value }
    ]
  });
  return new Uint8Array(buffer);
}

/**
 * Writes batches as one Parquet file (see `ParquetPointSchema`).
 *
 * Empty input: a file with no rows. Complexity O(points).
 * @example
 * writeParquetPoints([batch]) // Uint8Array
 */
export function writeParquetPoints(batches: PointBatch[]): Uint8Array {
  const cols: ParquetPointColumns = { time: [], name: [], labels: [], value: [] };
  for (const b of batches) appendParquetPoints(cols, b);
  return encodeParquetPoints(cols);
}
