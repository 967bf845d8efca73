/**
 * State of the Export page: the scope (time range, series, events, resolution), the format
 * and privacy choices, the export job (run in the engine worker with progress and Cancel),
 * the preview of what it produced, the user's consent, and saving. Nothing leaves the
 * machine except through Save, which writes a local file the user picks.
 */
import { ArchiveDefaults } from '$lib/export/crypto';
import { copyExportChoices } from '$lib/export/schedule';
import { KAnonymityDefaults, PiiDefaults, type EventDimension } from '$lib/export/privacy';
import {
  Aggregates,
  TierNames,
  TierWidthMs,
  type Aggregate,
  type SeriesCategory,
  type SeriesRecord,
  type SeriesSource,
  type StorageStatus,
  type TierName
} from '$lib/types';
import type { EngineRemote } from '$lib/workers/engine-client';
import { proxy } from '$lib/workers/engine-client';
import type {
  ExportFormat,
  ExportOutcome,
  ExportProgress,
  ExportResolution,
  ExportSpec,
  ExportedFile
} from '$lib/export/types';
import { busyWork } from './busy.svelte';
import { noteBackup } from './durability';

export type RangePreset = '1h' | '6h' | '24h' | '7d' | '30d' | 'all' | 'custom';

export const RangePresets: { value: RangePreset; label: string; ms: number }[] = [
  { value: '1h', label: 'Last hour', ms: 3_600_000 },
  { value: '6h', label: 'Last 6 hours', ms: 6 * 3_600_000 },
  { value: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { value: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
  { value: 'all', label: 'Everything stored', ms: Infinity },
  { value: 'custom', label: 'Custom range', ms: NaN }
];

export const ExportFormats: { value: ExportFormat; label: string; description: string }[] = [
  {
    value: 'bundle-ndjson',
    label: 'JSON (Tidemark bundle, NDJSON)',
    description: 'One file: manifest, series and events; Tidemark imports it back exactly.'
  },
  {
    value: 'bundle-zip',
    label: 'Tidemark bundle (zip)',
    description: 'Compressed bundle with a manifest; the best choice for a backup.'
  },
  {
    value: 'csv-long',
    label: 'CSV, long',
    description: 'One row per point: timestamp, name, labels…, value. Spreadsheets and BI tools.'
  },
  {
    value: 'csv-wide',
    label: 'CSV, wide (one tier)',
    description: 'One row per bucket, one column per series. Needs a rollup resolution.'
  },
  {
    value: 'csv-duckdb',
    label: 'CSV for DuckDB / ClickHouse',
    description:
      'time, name, labels (one JSON object), value: read_csv_auto types every column right.'
  },
  {
    value: 'ndjson',
    label: 'NDJSON for DuckDB / ClickHouse',
    description:
      'One JSON object per point, ISO times, labels as an object: read_json_auto / JSONEachRow.'
  },
  {
    value: 'parquet',
    label: 'Parquet',
    description:
      'time TIMESTAMP, name, labels MAP, value DOUBLE: DuckDB, ClickHouse, pandas, Spark. Built in memory.'
  },
  {
    value: 'openmetrics',
    label: 'OpenMetrics text',
    description:
      'Prometheus exposition with timestamps (promtool tsdb create-blocks-from openmetrics).'
  },
  {
    value: 'otlp-json',
    label: 'OTLP JSON',
    description:
      'OpenTelemetry metrics: gauges, sums, histograms, summaries (otlpjsonfile receiver).'
  },
  {
    value: 'xml',
    label: 'XML (with XSD schema)',
    description:
      'Series, points, events, anomalies and insights as XML; schema /schemas/tidemark-export.xsd.'
  },
  {
    value: 'report-html',
    label: 'Report (HTML)',
    description: 'A readable, self-contained page: min/avg/max/p95 per series, anomalies, insights.'
  },
  {
    value: 'diagnostic',
    label: 'Diagnostic bundle',
    description:
      'App version, settings (secrets redacted), storage, series and counts, recent errors. No data values.'
  }
];

export const AllAggregates: Aggregate[] = [...Aggregates];
export const Resolutions: ExportResolution[] = ['raw', ...TierNames];
export const EventDimensions: EventDimension[] = [
  'actionType',
  'status',
  'triggerId',
  'organisationId',
  'hour',
  'day'
];

/** What the user picks on the page: the spec's options, and how range and series are picked. */
export interface ExportChoices extends Pick<
  ExportSpec,
  | 'format'
  | 'resolution'
  | 'aggregates'
  | 'events'
  | 'pii'
  | 'k'
  | 'groupBy'
  | 'outliers'
  | 'anomalies'
  | 'insights'
  | 'sparklines'
> {
  preset: RangePreset;
  /** `datetime-local` values, read in the browser's zone. */
  customFrom: string;
  customTo: string;
  search: string;
  category: SeriesCategory | 'all';
  source: SeriesSource | 'all';
  encrypt: boolean;
}

export type ExportPhaseUi = 'idle' | 'running' | 'ready' | 'failed' | 'cancelled';

/**
 * Typical output bytes per raw point, only for the estimate shown before an export is
 * prepared: the bundle, zip and long-CSV figures are what bench/export.bench.ts measured
 * (10M points, short labels); the others are approximate. Long labels make files larger.
 */
export const BytesPerPoint: Record<ExportFormat, number> = {
  'bundle-ndjson': 20,
  'bundle-zip': 5,
  'csv-long': 46,
  'csv-wide': 12,
  'csv-duckdb': 60,
  ndjson: 90,
  parquet: 6,
  openmetrics: 45,
  'otlp-json': 120,
  'report-html': 0,
  diagnostic: 0,
  xml: 60
};

/** Minimum password length for an encrypted export (PBKDF2 slows guessing, not short passwords). */
export const MinPasswordLength = 8;

let nextJob = 1;

/** The distinct values of a list, first occurrence first (plain arrays: state is replaced, not mutated). */
function unique<T>(list: T[]): T[] {
  return list.filter((x, i) => list.indexOf(x) === i);
}

/** The time range a preset (or custom inputs) stands for, at `now`. */
export function resolveExportRange(
  choices: Pick<ExportChoices, 'preset' | 'customFrom' | 'customTo'>,
  options: { now: number; earliest: number }
): { from: number; to: number } | { error: string } {
  if (choices.preset === 'custom') {
    const from = Date.parse(choices.customFrom);
    const to = Date.parse(choices.customTo);
    if (!Number.isFinite(from) || !Number.isFinite(to))
      return { error: 'Enter both a start and an end for the custom range.' };
    if (from > to) return { error: 'The custom range starts after it ends: swap the two times.' };
    return { from, to };
  }
  const p = RangePresets.find((r) => r.value === choices.preset)!;
  return {
    from: p.ms === Infinity ? Math.min(options.earliest, options.now) : options.now - p.ms,
    to: options.now
  };
}

export class ExportState {
  catalog = $state.raw<SeriesRecord[]>([]);
  catalogLoaded = $state(false);
  selected = $state.raw<number[]>([]);
  choices = $state.raw<ExportChoices>({
    preset: '24h',
    customFrom: '',
    customTo: '',
    search: '',
    category: 'all',
    source: 'all',
    format: 'csv-long',
    resolution: 'raw',
    aggregates: ['avg', 'min', 'max'],
    events: 'none',
    pii: { ...PiiDefaults },
    k: KAnonymityDefaults.k,
    groupBy: [...KAnonymityDefaults.by],
    outliers: false,
    anomalies: false,
    insights: false,
    sparklines: true,
    encrypt: false
  });
  password = $state('');
  passwordAgain = $state('');
  phase = $state<ExportPhaseUi>('idle');
  progress = $state.raw<ExportProgress | null>(null);
  outcome = $state.raw<ExportOutcome | null>(null);
  message = $state<string | null>(null);
  consent = $state(false);
  /** Names of files saved from the current outcome. */
  saved = $state.raw<string[]>([]);

  #engine: () => EngineRemote;
  #jobId: string | null = null;

  constructor(engine: () => EngineRemote) {
    this.#engine = engine;
  }

  async loadCatalog(): Promise<void> {
    try {
      const list = await this.#engine().listSeries();
      const known = list.map((s) => s.id);
      this.catalog = list;
      // First load selects everything; later loads keep the user's choice.
      this.selected = this.catalogLoaded
        ? this.selected.filter((id) => known.includes(id))
        : list.map((s) => s.id);
      this.catalogLoaded = true;
    } catch (e) {
      this.message = `Could not read the series list: ${(e as Error).message}`;
    }
  }

  /** Series shown in the picker (search, category and source filters). */
  get filtered(): SeriesRecord[] {
    const { search, category, source } = this.choices;
    const q = search.trim().toLowerCase();
    return this.catalog.filter(
      (s) =>
        (category === 'all' || s.category === category) &&
        (source === 'all' || s.source === source) &&
        (q === '' || s.key.toLowerCase().includes(q))
    );
  }

  get categories(): SeriesCategory[] {
    return unique(this.catalog.map((s) => s.category)).sort();
  }

  get sources(): SeriesSource[] {
    return unique(this.catalog.map((s) => s.source)).sort();
  }

  setChoices(patch: Partial<ExportChoices>): void {
    this.choices = { ...this.choices, ...patch };
    this.#invalidate();
  }

  /** Drops a prepared export after an input outside `choices` changed (the password). */
  touch(): void {
    this.#invalidate();
  }

  toggle(id: number, on: boolean): void {
    this.selected = on ? unique([...this.selected, id]) : this.selected.filter((x) => x !== id);
    this.#invalidate();
  }

  /** Selects every series the filters show (adds to the selection). */
  selectShown(): void {
    this.selected = unique([...this.selected, ...this.filtered.map((s) => s.id)]);
    this.#invalidate();
  }

  /** Unselects every series the filters show. */
  selectNoneShown(): void {
    const shown = this.filtered.map((s) => s.id);
    this.selected = this.selected.filter((id) => !shown.includes(id));
    this.#invalidate();
  }

  /** Points in scope and the output size they suggest (see estimateScopePoints). */
  get estimate(): { points: number; bytes: number } | null {
    const r = this.#range(Date.now());
    if ('error' in r) return null;
    const c = this.choices;
    const points = estimateScopePoints({
      series: this.catalog.filter((s) => this.selected.includes(s.id)),
      from: r.from,
      to: r.to,
      resolution: c.resolution,
      aggregates: c.aggregates.length
    });
    return { points, bytes: points * BytesPerPoint[c.format] };
  }

  /** Why Prepare cannot run yet, in words; null when it can. */
  get blocker(): string | null {
    const c = this.choices;
    if (c.format !== 'diagnostic' && this.selected.length === 0 && c.events === 'none')
      return 'Choose at least one series, or include events.';
    if (c.format === 'csv-wide' && c.resolution === 'raw')
      return 'The wide CSV needs a rollup resolution (1 min, 1 h…): raw points of different series do not share times.';
    if (c.resolution !== 'raw' && c.aggregates.length === 0)
      return 'Choose at least one aggregate for the rollup resolution.';
    if (c.events === 'grouped' && !(c.k >= 2))
      return 'k must be at least 2 for grouped events (5 or more recommended).';
    if (c.encrypt) {
      if (this.password.length < MinPasswordLength)
        return `The password needs at least ${MinPasswordLength} characters.`;
      if (this.password !== this.passwordAgain) return 'The two passwords differ.';
    }
    const r = this.#range(Date.now());
    if ('error' in r) return r.error;
    return null;
  }

  #range(now: number) {
    const earliest = this.catalog.reduce(
      (m, s) => Math.min(m, s.firstT ?? Infinity),
      now - 90 * 86_400_000
    );
    return resolveExportRange(this.choices, { now, earliest });
  }

  #invalidate(): void {
    if (this.phase === 'running') return;
    this.outcome = null;
    this.consent = false;
    this.saved = [];
    if (this.phase !== 'idle') this.phase = 'idle';
  }

  /** Runs the export in the engine worker; the result waits for consent before saving. */
  async prepare(context: {
    appVersion: string;
    settings: Record<string, unknown> | null;
    storage: StorageStatus;
    errors: { at: number | null; where: string; message: string }[];
  }): Promise<void> {
    if (this.blocker !== null || this.phase === 'running') return;
    const range = this.#range(Date.now());
    if ('error' in range) return;
    const c = this.choices;
    const jobId = `export-${nextJob++}`;
    this.#jobId = jobId;
    this.phase = 'running';
    this.message = null;
    this.outcome = null;
    this.consent = false;
    this.saved = [];
    this.progress = null;
    const spec: ExportSpec = {
      jobId,
      format: c.format,
      from: range.from,
      to: range.to,
      seriesIds: [...this.selected],
      ...copyExportChoices(c),
      ...(c.encrypt ? { password: this.password, iterations: ArchiveDefaults.iterations } : {}),
      diagnostic: {
        appVersion: context.appVersion,
        userAgent: navigator.userAgent,
        timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC',
        settings: context.settings,
        storage: context.storage,
        errors: context.errors
      }
    };
    const done = busyWork.begin('an export');
    try {
      const outcome = await this.#engine().runExport(
        spec,
        proxy((p: ExportProgress) => {
          if (this.#jobId === jobId) this.progress = p;
        })
      );
      if (this.#jobId !== jobId) return;
      this.outcome = outcome;
      this.phase = 'ready';
    } catch (e) {
      if (this.#jobId !== jobId) return;
      const err = e as Error;
      const cancelled = err.name === 'ExportCancelledError' || /cancelled/.test(err.message);
      this.phase = cancelled ? 'cancelled' : 'failed';
      this.message = cancelled
        ? 'Export cancelled; nothing was saved.'
        : `The export failed: ${err.message}`;
    } finally {
      done();
    }
  }

  async cancel(): Promise<void> {
    if (this.#jobId && this.phase === 'running') await this.#engine().cancelExport(this.#jobId);
  }

  /** Saves one file through a download link (the browser's Downloads folder). */
  save(file: ExportedFile): void {
    if (!this.consent) return;
    const url = URL.createObjectURL(file.blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = file.name;
    a.rel = 'noopener';
    document.body.append(a);
    a.click();
    a.remove();
    // The download has its own reference to the Blob once it started.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    this.#saved(file.name);
  }

  /** Lists a saved file, and remembers it (outside IndexedDB) as the last backup. */
  #saved(name: string): void {
    this.saved = [...this.saved, name];
    noteBackup(globalThis.localStorage, { at: Date.now(), name });
  }

  /** Whether the File System Access API can ask where to save. */
  get canChooseLocation(): boolean {
    return (
      typeof (globalThis as { showSaveFilePicker?: unknown }).showSaveFilePicker === 'function'
    );
  }

  /** Saves one file where the user chooses (File System Access API), streaming the Blob. */
  async saveAs(file: ExportedFile): Promise<void> {
    if (!this.consent) return;
    const picker = (
      globalThis as unknown as {
        showSaveFilePicker?: (o: { suggestedName: string }) => Promise<{
          createWritable(): Promise<WritableStream<Uint8Array>>;
        }>;
      }
    ).showSaveFilePicker;
    if (!picker) return this.save(file);
    try {
      const handle = await picker({ suggestedName: file.name });
      const writable = await handle.createWritable();
      await file.blob.stream().pipeTo(writable);
      this.#saved(file.name);
    } catch (e) {
      if ((e as Error).name !== 'AbortError')
        this.message = `Could not save ${file.name}: ${(e as Error).message}`;
    }
  }
}

/**
 * Values an export of these series over [from, to] holds, estimated from the series
 * records: raw points at each series' density over the part of the range its raw points
 * still cover (retention records where they were dropped, `horizons.raw`), or one value per
 * bucket and aggregate for a rollup tier.
 */
export function estimateScopePoints(options: {
  series: SeriesRecord[];
  from: number;
  to: number;
  resolution: 'raw' | TierName;
  aggregates: number;
}): number {
  const { from, to, resolution } = options;
  let points = 0;
  for (const s of options.series) {
    if (s.firstT === undefined || s.lastT === undefined) continue;
    const overlap = Math.max(0, Math.min(to, s.lastT) - Math.max(from, s.firstT));
    if (resolution !== 'raw') {
      points += Math.ceil(overlap / TierWidthMs[resolution]) * options.aggregates;
      continue;
    }
    const kept = (s as SeriesRecord & { horizons?: { raw?: number } }).horizons?.raw;
    const start = Math.max(from, s.firstT, kept ?? -Infinity);
    const span = s.lastT - s.firstT;
    if (span > 0) points += ((s.points ?? 0) * Math.max(0, Math.min(to, s.lastT) - start)) / span;
    else if (from <= s.lastT && s.lastT <= to && !(kept !== undefined && kept > s.lastT))
      points += s.points ?? 0;
  }
  return Math.round(points);
}
