import type { Aggregate, SeriesDescriptor, SeriesRecord, TierName } from '../types';
import type { DiagnosticInput } from './diagnostic';
import type { EventDimension, PiiPolicy, PrivacyRemoval } from './privacy';

/**
 * The export's contract with the page: what the user chose (`ExportSpec`, plain data that
 * crosses to the worker), what comes back (`ExportOutcome`), and the knobs every part of an
 * export reads. The engine (workers/engine/export.ts) re-exports these for its callers.
 */
export const ExportDefaults = {
  /** Raw points read per slice. */
  slicePoints: 250_000,
  /** Rollup buckets read per slice. */
  sliceBuckets: 50_000,
  /** Pending text compacted into the file's Blob past this many characters. */
  compactChars: 8 * 1024 * 1024,
  /** Lines of each file kept for the preview. */
  headLines: 8,
  headChars: 4_000,
  progressMs: 100,
  /** Events read per page. */
  eventPage: 5_000,
  /** Anomalies listed at most (newest first). */
  maxAnomalies: 2_000
};

/** Every export format; the writer registry (formats/index.ts) has one entry for each. */
export const ExportFormats = [
  'bundle-ndjson',
  'bundle-zip',
  'csv-long',
  'csv-wide',
  'csv-duckdb',
  'ndjson',
  'parquet',
  'openmetrics',
  'otlp-json',
  'report-html',
  'diagnostic',
  'xml'
] as const;

export type ExportFormat = (typeof ExportFormats)[number];

export type ExportResolution = 'raw' | TierName;
export type ExportEvents = 'none' | 'raw' | 'grouped';

/** Everything the user chose; plain data, crosses to the worker. */
export interface ExportSpec {
  jobId: string;
  format: ExportFormat;
  from: number;
  to: number;
  seriesIds: number[];
  resolution: ExportResolution;
  /** Aggregates per bucket for a rollup tier (ignored for raw). */
  aggregates: Aggregate[];
  events: ExportEvents;
  pii: PiiPolicy;
  k: number;
  groupBy: EventDimension[];
  outliers: boolean;
  anomalies: boolean;
  insights: boolean;
  sparklines: boolean;
  /** Seal every file with this password (AES-256-GCM, PBKDF2-SHA-256). */
  password?: string;
  iterations?: number;
  /** For the diagnostic bundle: what only the page knows. */
  diagnostic?: Pick<
    DiagnosticInput,
    'appVersion' | 'userAgent' | 'timeZone' | 'settings' | 'storage' | 'errors'
  >;
}

/** One file of an export, ready to save. */
export interface ExportedFile {
  name: string;
  type: string;
  blob: Blob;
  bytes: number;
  /** Data rows (points, events, groups…) it holds. */
  rows: number;
  /** The first lines of its (plaintext) content, for the preview. */
  head: string[];
  encrypted: boolean;
}

export interface ExportOutcome {
  files: ExportedFile[];
  series: number;
  points: number;
  events: number;
  removed: PrivacyRemoval[];
  notes: string[];
}

export type ExportPhase = 'reading' | 'encrypting' | 'done';

export interface ExportProgress {
  jobId: string;
  phase: ExportPhase;
  done: number;
  total: number;
  label: string;
}

/** Thrown when the user cancels; the page shows "cancelled", not an error. */
export class ExportCancelledError extends Error {
  constructor() {
    super('Export cancelled; nothing was saved.');
    this.name = 'ExportCancelledError';
  }
}

/** An output series: a stored series, or one aggregate column of it at a rollup tier. */
export interface OutputSeries {
  record: SeriesRecord;
  aggregate: Aggregate | null;
  descriptor: SeriesDescriptor;
}

/** The k-anonymous event groups, written once in both layouts a format may want. */
export interface EventGroupsText {
  csv: string;
  ndjson: string;
  rows: number;
}
