import type { PointBatch, ResultEvent, SeriesDescriptor } from '../types';

/** Formats the stream parser understands; `sniffFormat` returns one of them. */
export type IngestFormat =
  | 'prometheus'
  | 'openmetrics'
  | 'influx'
  | 'csv'
  | 'ndjson'
  | 'json'
  | 'otlp-json'
  | 'tidemark-bundle'
  /** `path.to.metric value unix_seconds` (carbon, collectd write_graphite/write_log). */
  | 'graphite'
  /** `promtool tsdb dump`: `{__name__="x", job="y"} value timestamp_ms`. */
  | 'promtool-dump'
  /** InfluxDB 1.x query results (HTTP `/query`, `influx -format json`). */
  | 'influx-json'
  /** sysstat `sadf -j`. */
  | 'sadf-json'
  /** Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`). */
  | 'prometheus-api-json'
  /** InfluxDB 2.x annotated CSV (`#datatype,…`, as Flux and `influx query --raw` write it). */
  | 'influx2-csv'
  /** Apache Parquet, read whole (see parquet.ts): `parseMetricFile` and the import take it. */
  | 'parquet';

export type TimePrecision = 's' | 'ms' | 'us' | 'ns';

/** A malformed row: the parse goes on. `line` is 1-based, `byte` the offset of the line start. */
export interface IngestLineError {
  file: string;
  line: number;
  byte: number;
  message: string;
}

export interface IngestLimits {
  /** A line (or a CSV record, or a JSON document line) longer than this is fatal. */
  maxLineBytes: number;
  maxJsonDepth: number;
  /**
   * A single JSON document (not NDJSON) is buffered whole up to this; a longer one whose top
   * level is an array streams, any other is refused.
   */
  maxJsonDocumentBytes: number;
  /** A top-level JSON array longer than this streams, element by element. */
  streamJsonArraysAfterBytes: number;
  maxZipEntries: number;
  /** Real bytes produced while inflating, summed over all entries. */
  maxInflatedBytes: number;
  /**
   * Inflated bytes per compressed byte read so far, checked once `inflateRatioAfterBytes`
   * have inflated: a zip bomb is stopped after about a MiB instead of at the total cap.
   */
  maxInflateRatio: number;
  inflateRatioAfterBytes: number;
  /** Per-line errors reported in full; later ones are only counted (`suppressedErrors`). */
  maxErrors: number;
}

export const DefaultIngestLimits: IngestLimits = {
  maxLineBytes: 1024 * 1024,
  maxJsonDepth: 64,
  // A parsed document takes about 4× its text (see the README): 48 MiB keeps an import near
  // its 200 MB budget. NDJSON and top-level arrays stream and have no such limit.
  maxJsonDocumentBytes: 48 * 1024 * 1024,
  // Below this an array is parsed whole by JSON.parse (alone, about 2.5× the speed of the JS
  // tokenizer); above it the held text would dominate the import's memory. A 120 MiB array: peak RSS
  // about 65 MiB above the bytes' own, against 660 MiB read whole (bench/json-document).
  streamJsonArraysAfterBytes: 8 * 1024 * 1024,
  maxZipEntries: 1_000,
  maxInflatedBytes: 2 * 1024 * 1024 * 1024,
  // Deflate's own maximum is 1032:1. Tidemark bundles inflate about 8:1 (a million points
  // of a constant series, 16 MB of text from 2 MB), event logs and CSV well under 100:1.
  maxInflateRatio: 100,
  inflateRatioAfterBytes: 1024 * 1024,
  maxErrors: 10_000
};

export type CsvColumnRole = 'time' | 'label' | 'value' | 'name' | 'ignored';
export type CsvTimeFormat =
  'epoch-s' | 'epoch-ms' | 'epoch-us' | 'epoch-ns' | 'rfc3339' | 'datetime-local';

export interface CsvOverrides {
  delimiter?: ',' | ';' | '\t' | '|';
  /** Whether the first (non-comment) line is a header; detected when omitted. */
  header?: boolean;
  /** Role per column name (or per index as a string when there is no header). */
  roles?: Record<string, CsvColumnRole>;
  timeFormat?: CsvTimeFormat;
  /** Series name prefix for wide files, e.g. 'sar'. */
  namePrefix?: string;
  /**
   * Strip one leading `'` that a formula-injection guard put before `= + - @ \t \r '`.
   * Default true so Tidemark's own CSV exports round-trip.
   */
  stripFormulaGuard?: boolean;
}

export interface StreamParserOptions {
  fileName: string;
  format?: IngestFormat;
  /** Epoch ms for samples without a timestamp (file modification time or user choice). */
  defaultTimestamp?: number;
  /** IANA zone for zone-less date-times; default 'UTC'. */
  timeZone?: string;
  /** Influx timestamp precision; detected from magnitude when omitted. */
  precision?: TimePrecision;
  csv?: CsvOverrides;
  /** Resume: data rows starting before this byte are not emitted again (metadata is re-read). */
  skipToOffset?: number;
  limits?: Partial<IngestLimits>;
  /**
   * Keep points in the parser across steps (each step then has no `batches`, only
   * `heldPoints`) until `takePoints()`: a caller that stores many steps at once gets one batch
   * per series instead of joining a piece per step.
   */
  holdPoints?: boolean;
}

/** What one `push` or `finish` produced. */
export interface ParseStep {
  /** Grouped per series, columnar, in input order (not re-sorted). */
  batches: PointBatch[];
  events: ResultEvent[];
  errors: IngestLineError[];
  /** Byte offset of the end of the last fully consumed line; all before it has been emitted. */
  checkpoint: number;
  /** Data rows consumed in this step (records that produced points, events or errors). */
  rows: number;
  /** Total input bytes seen so far (for progress). */
  bytes: number;
  /** Values that were deliberately not points (string fields, `_created`), in this step. */
  skipped: number;
  /** Line errors beyond `limits.maxErrors`, counted but not listed, in this step. */
  suppressedErrors: number;
  /** With `holdPoints`: points this step added to those held (else 0; they are in `batches`). */
  heldPoints: number;
  /**
   * What the reader chose or left out that the user should know, each said once per file
   * (`OTLP delta sums of "x" converted to cumulative counters`, `skipped OTLP metric "y"`).
   */
  notes: string[];
}

export interface StreamParser {
  /**
   * Parses the file's next bytes. The parser keeps no reference to `chunk` once this
   * returns (a partial line is copied): the caller may read the following bytes into it.
   */
  push(chunk: Uint8Array): ParseStep;
  finish(): ParseStep;
  /** With `holdPoints`: every held point, one batch per series; the parser holds none after. */
  takePoints(): PointBatch[];
  /**
   * Gives back column buffers of batches taken earlier, once nothing else uses them: the
   * parser fills them again instead of new ones (see `BatchSink.recycle`).
   */
  recycle(buffers: readonly ArrayBuffer[]): void;
  /** The detected (or forced) format; '' until enough bytes arrived to sniff. */
  readonly format: IngestFormat | '';
}

/** Where a line sits in the input, passed to every line handler. */
export interface LineContext {
  line: number;
  byte: number;
}

/**
 * One line as bytes, `bytes[start, end)` without its '\n' (a leading BOM already skipped).
 * The stream parser reuses one object for every line: read it, never keep it.
 */
export interface LineBytes {
  bytes: Uint8Array;
  start: number;
  end: number;
  line: number;
  byte: number;
}

/**
 * A run of complete lines as bytes: `bytes[start, end)`, where `end` is just after a '\n';
 * `line` and `byte` are the first line's number and file offset. A handler that parses many
 * lines in one loop takes as many as it can, sets `lines` to how many it took and returns
 * the offset after the last one (a line start, `start` when it took none); the stream parser
 * hands the next line to `onLineBytes` and offers the rest again. Reused: never keep it.
 */
export interface BlockBytes extends LineBytes {
  lines: number;
  /** The line length limit: a handler leaves a longer line to the per-line path (which refuses it). */
  maxLineBytes: number;
}

/** A format module seen from the stream parser: it gets whole lines. */
export interface LineHandler {
  onLine(text: string, ctx: LineContext): void;
  onEnd(): void;
  /**
   * A long-lived handler's next document (`createScrapeParser`): per-document state (an
   * `# EOF` seen, held points, the line predicted next) starts over; caches stay.
   */
  nextDocument?(): void;
  /**
   * Optional byte-level entry: when present the stream parser hands lines over as bytes
   * (no decoding, no string per line) and the handler decodes only what it must, falling
   * back to `onLine(decodeLine(view), ctx)` for anything off its fast path.
   */
  onLineBytes?(view: LineBytes): void;
  /** Optional run-of-lines entry, tried before `onLineBytes` (see `BlockBytes`). */
  onBlockBytes?(block: BlockBytes): number;
}

export type { PointBatch, ResultEvent, SeriesDescriptor };
