import { IngestError } from './errors';

/**
 * Parquet files (DuckDB `COPY … (FORMAT parquet)`, ClickHouse, pandas `to_parquet`) through
 * hyparquet, a maintained pure-JS reader (no WASM, no native code). Parquet's footer holds
 * the schema, so a file is read whole: its rows become JSON records (one per line) that the
 * NDJSON reader takes like any other record rows — a time column, a name and value or
 * numeric columns, the other text columns as labels. Dates become ISO strings, NaN and ±Infinity
 * the strings the number reader takes, 64-bit
 * integers numbers (as strings when beyond 2^53), binary columns are dropped.
 */
export const ParquetMagic = [0x50, 0x41, 0x52, 0x31];

export const ParquetDefaults = {
  /** A Parquet file is decoded whole; its rows take several times its size. */
  maxBytes: 48 * 1024 * 1024
};

/** Whether the bytes start with Parquet's magic `PAR1`. Complexity O(1). */
export function isParquet(head: Uint8Array): boolean {
  return ParquetMagic.every((b, i) => head[i] === b);
}

function jsonSafe(x: unknown): unknown {
  // JSON has no NaN or ±Infinity (stringify makes them null): spell them as the number
  // reader's strings, so a DOUBLE column's NaN stays NaN.
  if (typeof x === 'number' && !Number.isFinite(x))
    return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
  if (typeof x === 'bigint')
    return x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(x)
      : x.toString();
  if (x instanceof Date) return Number.isNaN(x.getTime()) ? null : x.toISOString();
  if (x instanceof Uint8Array) return undefined;
  if (Array.isArray(x)) return x.map(jsonSafe);
  if (typeof x === 'object' && x !== null)
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, jsonSafe(v)]));
  return x;
}

/**
 * Throws `IngestError` 'too_large' when a Parquet file of `size` bytes is over `maxBytes`
 * (checked before reading it). Complexity O(1).
 */
export function assertParquetSize(
  size: number,
  file: string,
  maxBytes = ParquetDefaults.maxBytes
): void {
  if (size > maxBytes)
    throw new IngestError({
      code: 'too_large',
      message: `Parquet file over ${Math.round(maxBytes / 1048576)} MiB: it is read whole; split it or write it as NDJSON (DuckDB COPY … (FORMAT json)), which streams`,
      file
    });
}

/**
 * Decodes a whole Parquet file into NDJSON records (UTF-8), for the NDJSON reader.
 * Throws `IngestError` 'too_large' above `maxBytes` and 'not_metrics' for a file hyparquet
 * cannot read.
 *
 * Empty table: empty output. Complexity O(cells).
 * @example
 * const ndjson = await parquetToNdjson(bytes, 'metrics.parquet');
 */
export async function parquetToNdjson(
  bytes: Uint8Array,
  file: string,
  maxBytes = ParquetDefaults.maxBytes
): Promise<Uint8Array> {
  assertParquetSize(bytes.length, file, maxBytes);
  let rows: Record<string, unknown>[];
  try {
    const { parquetReadObjects } = await import('hyparquet');
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    rows = await parquetReadObjects({ file: buffer as ArrayBuffer });
  } catch (e) {
    throw new IngestError({
      code: 'not_metrics',
      message: `${file}: not a readable Parquet file (${e instanceof Error ? e.message : String(e)})`,
      file
    });
  }
  const lines = rows.map((r) => JSON.stringify(jsonSafe(r)));
  return new TextEncoder().encode(lines.length === 0 ? '' : lines.join('\n') + '\n');
}
