/**
 * Typed ingest failures. Every fatal condition a parser can meet leaves as an `IngestError`
 * with a `code`, so the import worker can show a specific message and never has to guess
 * from a TypeError. Per-line problems are not thrown: they travel in `ParseStep.errors`.
 */
export type IngestErrorCode =
  | 'line_too_long'
  | 'too_deep'
  | 'too_large'
  | 'zip_limit'
  | 'not_metrics'
  | 'unknown_format'
  | 'bad_bundle'
  | 'invalid_option'
  | 'no_time_column'
  | 'internal';

export const ExpectedFormatsMessage =
  'expected Prometheus text, OpenMetrics, promtool tsdb dump, Influx line protocol, InfluxDB query JSON or annotated CSV, Graphite plaintext, CSV/TSV, JSON/NDJSON records, Prometheus API JSON, sadf -j JSON, OTLP JSON, Parquet or a Tidemark bundle';

/** A fatal ingest condition; `code` says which, `line`/`byte` say where when known. */
export class IngestError extends Error {
  readonly code: IngestErrorCode;
  readonly file: string;
  /** 1-based line where the condition was met, 0 when it has no line (zip, binary). */
  readonly line: number;
  /** Byte offset in the input where the condition was met. */
  readonly byte: number;

  constructor(options: {
    code: IngestErrorCode;
    message: string;
    file: string;
    line?: number;
    byte?: number;
  }) {
    super(options.message);
    this.name = 'IngestError';
    this.code = options.code;
    this.file = options.file;
    this.line = options.line ?? 0;
    this.byte = options.byte ?? 0;
  }
}

/**
 * Wraps anything thrown by parsing code into an `IngestError` so no untyped error escapes
 * the public API; a genuine bug then surfaces as code 'internal' with its original message.
 *
 * Empty input: not applicable. Complexity O(1).
 * @example
 * toIngestError(new RangeError('x'), 'a.csv').code // 'internal'
 */
export function toIngestError(cause: unknown, file: string): IngestError {
  if (cause instanceof IngestError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new IngestError({ code: 'internal', message: `internal parser error: ${message}`, file });
}
