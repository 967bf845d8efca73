import { getContext, setContext } from 'svelte';
import type { ImportCheckpoint } from '$lib/db/import-store';
import { formatCsvTextCell } from '$lib/export/csv';
import type { CsvOverrides, IngestFormat, IngestLineError, TimePrecision } from '$lib/ingest';
import type { EngineRemote } from '$lib/workers/engine-client';
import { proxy } from '$lib/workers/engine-client';
import type {
  FileInspection,
  ImportOptions,
  ImportProgress,
  ImportSummary
} from '$lib/workers/import-api';
import { ImportHandle, type ImportRemote } from '$lib/workers/import-client';

export type ImportJobStatus =
  | 'inspecting'
  | 'review'
  | 'password'
  | 'queued'
  | 'running'
  | 'done'
  | 'cancelled'
  | 'failed'
  | 'already-imported'
  | 'refused';

/** One file on its way in: inspected, maybe reviewed (CSV), queued, imported. */
export interface ImportJob {
  jobId: string;
  file: File;
  status: ImportJobStatus;
  inspection?: FileInspection;
  /** CSV choices made in the mapping preview. */
  csv?: CsvOverrides;
  progress?: ImportProgress;
  summary?: ImportSummary;
  message?: string;
  /** The options the job was queued with (taken from the page's choices at that time). */
  options?: ImportOptions;
  /** Set when the job is a resume of an unfinished import chosen from the list. */
  expectedId?: string;
  /** Password of an encrypted archive, held in memory until the job runs. */
  password?: string;
}

export type TimestampMode = 'file' | 'chosen';

/** The choices on the Import page that apply to the next files. */
export interface ImportChoices {
  format: IngestFormat | 'auto';
  timestampMode: TimestampMode;
  /** `datetime-local` input value, read in the browser's zone. */
  chosenTime: string;
  timeZone: string;
  precision: TimePrecision | 'auto';
}

export const ImportFormats: { value: IngestFormat | 'auto'; label: string }[] = [
  { value: 'auto', label: 'Detect from content' },
  { value: 'prometheus', label: 'Prometheus text 0.0.4' },
  { value: 'openmetrics', label: 'OpenMetrics' },
  { value: 'influx', label: 'InfluxDB line protocol' },
  { value: 'csv', label: 'CSV / TSV / semicolon' },
  { value: 'ndjson', label: 'NDJSON' },
  { value: 'json', label: 'JSON document' },
  { value: 'otlp-json', label: 'OTLP JSON metrics' },
  { value: 'graphite', label: 'Graphite plaintext' },
  { value: 'promtool-dump', label: 'promtool tsdb dump' },
  { value: 'influx-json', label: 'InfluxDB 1.x query JSON' },
  { value: 'influx2-csv', label: 'InfluxDB 2.x annotated CSV' },
  { value: 'prometheus-api-json', label: 'Prometheus API JSON' },
  { value: 'sadf-json', label: 'sysstat sadf -j JSON' },
  { value: 'parquet', label: 'Parquet' },
  { value: 'tidemark-bundle', label: 'Tidemark bundle' }
];

/** Name given to pasted text; the format is still detected from its content. */
export const PastedFileName = 'pasted.txt';

let nextJob = 1;

/**
 * The import queue the Import page and the drop-anywhere overlay share: files are inspected
 * (hash, format, CSV preview), CSV files wait for the mapping review, the rest import one
 * after another in the import worker with progress, cancel and a summary each.
 */
export class ImportState {
  jobs = $state.raw<ImportJob[]>([]);
  /** Checkpoints of imports that did not finish (a closed tab, a cancel, a failure). */
  unfinished = $state.raw<ImportCheckpoint[]>([]);
  choices = $state.raw<ImportChoices>({
    format: 'auto',
    timestampMode: 'file',
    chosenTime: '',
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC',
    precision: 'auto'
  });

  #engine: EngineRemote | null = null;
  #handle: ImportHandle | null = null;
  #running = false;

  /** Binds the tab's engine (the layout's AppState owns it). */
  attach(engine: EngineRemote): void {
    this.#engine = engine;
  }

  get #importer(): ImportRemote {
    if (!this.#engine) throw new Error('The import queue is not attached to the engine.');
    this.#handle ??= new ImportHandle(this.#engine);
    return this.#handle.remote;
  }

  /** Ends the import worker (the layout calls this when it is destroyed). */
  dispose(): void {
    this.#handle?.dispose();
    this.#handle = null;
    this.#engine = null;
  }

  setChoices(patch: Partial<ImportChoices>): void {
    this.choices = { ...this.choices, ...patch };
  }

  /** Adds files (drop, picker, paste); each is inspected, then queued or held for review. */
  addFiles(files: File[], expectedId?: string): void {
    const added = files.map((file): ImportJob => ({
      jobId: `job-${nextJob++}`,
      file,
      status: 'inspecting',
      expectedId
    }));
    this.jobs = [...this.jobs, ...added];
    for (const job of added) void this.#inspect(job.jobId);
  }

  /** Imports pasted text as if it were a file. */
  addText(text: string): void {
    const file = new File([text], PastedFileName, { type: 'text/plain', lastModified: Date.now() });
    this.addFiles([file]);
  }

  /** Confirms a CSV file's column mapping and queues it. */
  confirmCsv(jobId: string, csv: CsvOverrides): void {
    this.#update(jobId, { csv, status: 'queued' });
    void this.#pump();
  }

  /** Gives an encrypted archive its password and queues it (checked when it runs). */
  unlock(jobId: string, password: string): void {
    this.#update(jobId, { password, status: 'queued', message: undefined });
    void this.#pump();
  }

  /** Re-runs the CSV preview with new choices (delimiter, header, time format). */
  async previewCsv(jobId: string, csv: CsvOverrides): Promise<void> {
    const job = this.#job(jobId);
    if (!job) return;
    const inspection = await this.#importer.inspectFile(job.file, { ...this.#options(), csv });
    this.#update(jobId, { inspection, csv });
  }

  /** Cancels a running job (it stops after the current chunk) or drops a waiting one. */
  async cancel(jobId: string): Promise<void> {
    const job = this.#job(jobId);
    if (!job) return;
    if (job.status === 'running') await this.#importer.cancel(jobId);
    else if (['inspecting', 'review', 'password', 'queued'].includes(job.status))
      this.#update(jobId, { status: 'cancelled', message: 'Removed before it started.' });
  }

  /** Starts a cancelled or failed job again; it resumes at its checkpoint. */
  retry(jobId: string): void {
    // The password of an encrypted archive is let go once it is used: ask for it again.
    const locked = this.#job(jobId)?.inspection?.encrypted === true;
    this.#update(jobId, {
      status: locked ? 'password' : 'queued',
      message: undefined,
      summary: undefined,
      progress: undefined
    });
    if (!locked) void this.#pump();
  }

  dismiss(jobId: string): void {
    this.jobs = this.jobs.filter((j) => j.jobId !== jobId);
  }

  clearFinished(): void {
    this.jobs = this.jobs.filter((j) =>
      ['inspecting', 'review', 'queued', 'running'].includes(j.status)
    );
  }

  async refreshUnfinished(): Promise<void> {
    if (!this.#engine) return;
    try {
      this.unfinished = (await this.#engine.listImports()).filter((c) => !c.done);
    } catch {
      // The store may be closed for an upgrade; the layout's banner says so.
    }
  }

  /** Forgets an unfinished import's checkpoint (what it stored stays). */
  async forget(id: string): Promise<void> {
    await this.#engine?.forgetImport(id);
    await this.refreshUnfinished();
  }

  /** Unfinished imports that no job of this tab is working on now (those can be resumed). */
  get resumable(): ImportCheckpoint[] {
    const active = this.jobs
      .filter((j) => ['inspecting', 'review', 'queued', 'running'].includes(j.status))
      .map((j) => j.inspection?.id);
    return this.unfinished.filter((c) => !active.includes(c.id));
  }

  get busy(): boolean {
    return this.jobs.some((j) => ['inspecting', 'queued', 'running'].includes(j.status));
  }

  #job(jobId: string): ImportJob | undefined {
    return this.jobs.find((j) => j.jobId === jobId);
  }

  #update(jobId: string, patch: Partial<ImportJob>): void {
    this.jobs = this.jobs.map((j) => (j.jobId === jobId ? { ...j, ...patch } : j));
  }

  #options(): ImportOptions {
    const c = this.choices;
    const chosen = c.timestampMode === 'chosen' && c.chosenTime ? Date.parse(c.chosenTime) : NaN;
    return {
      ...(c.format !== 'auto' ? { format: c.format } : {}),
      ...(Number.isFinite(chosen) ? { defaultTimestamp: chosen } : {}),
      timeZone: c.timeZone,
      ...(c.precision !== 'auto' ? { precision: c.precision } : {})
    };
  }

  async #inspect(jobId: string): Promise<void> {
    const job = this.#job(jobId);
    if (!job) return;
    const options = this.#options();
    try {
      const inspection = await this.#importer.inspectFile(job.file, options);
      if (job.expectedId && inspection.id !== job.expectedId) {
        this.#update(jobId, {
          inspection,
          status: 'refused',
          message: `“${job.file.name}” is not the file that import was reading (its size or content differs), so it cannot resume it. Choose the same file, or import this one on its own.`
        });
        return;
      }
      if (inspection.error) {
        this.#update(jobId, { inspection, status: 'refused', message: inspection.error.message });
        return;
      }
      if (inspection.encrypted)
        return this.#update(jobId, { inspection, options, status: 'password' });
      const review = inspection.format === 'csv' && !inspection.checkpoint;
      this.#update(jobId, { inspection, options, status: review ? 'review' : 'queued' });
      void this.#pump();
    } catch (e) {
      this.#update(jobId, { status: 'failed', message: (e as Error).message });
    }
  }

  /** Runs queued jobs one at a time (several files dropped together import in order). */
  async #pump(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      for (;;) {
        const job = this.jobs.find((j) => j.status === 'queued');
        if (!job) break;
        await this.#run(job);
      }
    } finally {
      this.#running = false;
    }
    await this.refreshUnfinished();
  }

  async #run(job: ImportJob): Promise<void> {
    const jobId = job.jobId;
    this.#update(jobId, { status: 'running', message: undefined });
    const options: ImportOptions & { jobId: string } = {
      ...(job.options ?? this.#options()),
      ...(job.csv ? { csv: job.csv } : {}),
      ...(job.password ? { password: job.password } : {}),
      jobId
    };
    this.#update(jobId, { password: undefined });
    try {
      const summary = await this.#importer.importFile(
        job.file,
        options,
        proxy((p: ImportProgress) => this.#update(jobId, { progress: p }))
      );
      this.#update(jobId, { status: summary.status, summary, message: summary.message });
    } catch (e) {
      const message = (e as Error).message;
      // A wrong password imported nothing: ask again instead of ending the job.
      const retry = job.inspection?.encrypted && /password/i.test(message);
      this.#update(jobId, { status: retry ? 'password' : 'failed', message });
    }
  }
}

/**
 * Per-line errors as CSV (file, line, byte, reason) for the "Download errors" button;
 * text cells are guarded against formula injection (RELIABILITY.md #19).
 *
 * Empty input: the header row only. Complexity O(errors).
 * @example
 * formatErrorsCsv([{ file: 'a.prom', line: 3, byte: 40, message: 'bad value' }])
 * // 'file,line,byte,reason\r\na.prom,3,40,bad value\r\n'
 */
export function formatErrorsCsv(errors: IngestLineError[]): string {
  const rows = ['file,line,byte,reason'];
  for (const e of errors)
    rows.push(
      [formatCsvTextCell(e.file, ','), e.line, e.byte, formatCsvTextCell(e.message, ',')].join(',')
    );
  return rows.join('\r\n') + '\r\n';
}

const KEY = Symbol('tidemark-import');

/** The layout puts the tab's one import queue in context, for the Import page and the drop overlay. */
export function setImportContext(imports: ImportState): ImportState {
  return setContext(KEY, imports);
}

export function getImportContext(): ImportState {
  return getContext<ImportState>(KEY);
}
