import type { Insight } from '../../analytics/insights';
import type { AnomalyRecord, Columnar, ResultEvent, SeriesRecord } from '../../types';
import type { DiagnosticInput } from '../diagnostic';
import type { FileSink } from '../file-sink';
import type { PrivacyRemoval } from '../privacy';
import type { EventGroupsText, ExportSpec, OutputSeries } from '../types';

/**
 * One export format behind one interface, so the engine only pages data out of the store
 * and hands it over (the registry in ./index.ts is the list of formats). A writer is pure:
 * data in, files (FileSinks) out; it reads nothing itself.
 *
 * How the engine feeds a writer is the writer's `reads`:
 * - 'series': each group of `visit(outputs)` is read slice by slice, in order, and every
 *   slice of every output goes to `series` (the long CSV, NDJSON, OpenMetrics, bundles, report);
 * - 'time-slices': the whole scope is read one time slice at a time across all outputs (in
 *   `outputs` order), `series` for each, then `endSlice` (the wide CSV: a row per bucket time);
 * - 'inventory': no points; the session gets the store's inventory (the diagnostic bundle).
 * Then, when the spec asks for raw events, every cleaned page goes to `events`.
 */
export interface ExportWriter {
  reads: 'series' | 'time-slices' | 'inventory';
  /** Rejects a spec this format cannot write, with a message for the user. */
  check?(spec: ExportSpec): void;
  /** For 'series': the groups of outputs read together, in writing order (default: by record). */
  visit?(outputs: OutputSeries[], spec: ExportSpec): OutputSeries[][];
  begin(start: ExportStart): ExportSession;
}

export interface ExportSession {
  /** One slice of one output, after outlier suppression (may be empty). */
  series(out: OutputSeries, cols: Columnar): void;
  /** 'time-slices' only: every output of the slice ending at `to` has been given. */
  endSlice?(to: number): void;
  /** One page of cleaned raw events. */
  events(page: ResultEvent[]): void;
  finish(end: ExportEnd): ExportWritten;
}

/** What the engine knows before the first point is read. */
export interface ExportStart {
  spec: ExportSpec;
  /** File name stem, e.g. `tidemark-2026-12-07T19-40-00Z`. */
  prefix: string;
  createdAt: number;
  records: SeriesRecord[];
  outputs: OutputSeries[];
  /** k-anonymous event groups, when the spec asks for grouped events. */
  groups: EventGroupsText | null;
  anomalies: (AnomalyRecord & { id?: number })[];
  insights: Insight[];
  /** For writers that read 'inventory'; null for the others. */
  inventory: ExportInventory | null;
}

/** The store as a whole, for the diagnostic bundle (names and counts, never values). */
export interface ExportInventory {
  series: DiagnosticInput['series'];
  counts: Record<string, number>;
  timeZone: string;
  /** Imports that stopped on an error. */
  errors: DiagnosticInput['errors'];
}

/** What the engine knows once every point and event has been given. */
export interface ExportEnd {
  points: number;
  events: number;
  /** What the event filters removed (outliers among values not included). */
  removed: PrivacyRemoval[];
  /** Values left out by outlier suppression. */
  outliersRemoved: number;
}

export interface ExportWritten {
  files: FileSink[];
  /** Series the outcome reports (each format counts what it wrote). */
  series: number;
  notes: string[];
}
