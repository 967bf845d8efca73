import type { ImportCheckpoint, ImportSeriesCount } from '$lib/db/import-store';
import {
  createStreamParser,
  ExpectedFormatsMessage,
  IngestError,
  isParquet,
  assertParquetSize,
  parquetToNdjson,
  previewCsv,
  sniffFormat,
  SniffDefaults,
  type CsvOverrides,
  type CsvPreview,
  type IngestErrorCode,
  type IngestFormat,
  type IngestLimits,
  type IngestLineError,
  type ParseStep,
  type TimePrecision
} from '$lib/ingest';
import { ArchiveError, isEncryptedArchive, openEncryptedImport } from '$lib/export/crypto';
import { seriesKey } from '$lib/types/series-key';
import type { PointBatch, ResultEvent } from '$lib/types';
import { readChunks } from './chunk-reader';
import type { ImportStoreApi } from './engine/import';

/**
 * When a batch is committed (whichever comes first), and how often progress is reported.
 * A commit is one IndexedDB transaction holding the batch and its checkpoint, flushed to
 * disk before it completes (strict durability): bigger commits amortise that flush and the
 * transaction's fixed requests, smaller ones re-read less after a crash and keep memory flat.
 * Measured with bench/import.bench.ts when the store was slower (100 MB CSV, same run): 250k
 * points per commit spent 17 s waiting on the store, 1M points / 16 MiB spent 3.4 s; peak
 * heap with two 500k-point commits in flight is 97–107 MB on the 1 GB files (Chromium 156).
 */
export const ImportDefaults = {
  commitPoints: 500_000,
  commitBytes: 16 * 1024 * 1024,
  commitEvents: 5_000,
  /**
   * Commits sent to the engine and not yet stored before parsing waits: two keep the engine
   * busy while a third batch is parsed, at the cost of one more batch in memory.
   */
  inflightCommits: 2,
  /**
   * Formats without intermediate checkpoints (JSON documents, zip bundles) commit only at
   * their end; past this many buffered points they commit anyway (points are idempotent:
   * the same timestamp is replaced, so a resume from 0 adds no point twice).
   */
  hardCapPoints: 4_000_000,
  progressMs: 100,
  /** Bytes parsed per step: cancelling, progress and the commit check happen between steps. */
  chunkBytes: 1024 * 1024,
  /** Bytes read from the file at a time (two buffers: one parsed, one filling; see `readChunks`). */
  readBytes: 4 * 1024 * 1024,
  /** The file id hashes this many bytes at each end, plus the size (see `hashFile`). */
  hashEdgeBytes: 1024 * 1024,
  /** More malformed lines than this stop the import: the file is probably not what it seems. */
  stopAfterErrors: 10_000,
  /** Per-line errors kept for the table and the CSV download. */
  listedErrors: 10_000,
  /**
   * Series counts written with each checkpoint (for a resumed import's summary); a file with
   * more series keeps the rest in memory only, so a checkpoint write stays small.
   */
  checkpointSeries: 5_000
};

export const HashMethod = 'sha256(first 1 MiB + last 1 MiB + size)';

/** What the user chose for a file; every field optional, detected when missing. */
export interface ImportOptions {
  format?: IngestFormat;
  /** Epoch ms for samples without a timestamp; the file's lastModified when omitted. */
  defaultTimestamp?: number;
  timeZone?: string;
  precision?: TimePrecision;
  csv?: CsvOverrides;
  /** Continue an unfinished import of the same file at its checkpoint (default true). */
  resume?: boolean;
  limits?: Partial<IngestLimits>;
  stopAfterErrors?: number;
  /** Password of an encrypted Tidemark archive (export/crypto.ts); never stored. */
  password?: string;
}

export type ImportPhase = 'decrypting' | 'hashing' | 'parsing' | 'committing' | 'done';

export interface ImportProgress {
  jobId: string;
  file: string;
  phase: ImportPhase;
  format: IngestFormat | '';
  bytes: number;
  totalBytes: number;
  /** Offset the import resumed from (0 for a fresh import). */
  resumedFrom: number;
  rows: number;
  points: number;
  events: number;
  errors: number;
  /** Input bytes per second since this run started. */
  bytesPerSecond: number;
  /** Milliseconds left at the current rate, null before a rate is known. */
  etaMs: number | null;
}

export type ImportStatus = 'done' | 'cancelled' | 'failed' | 'already-imported';

export interface ImportSummary {
  jobId: string;
  file: string;
  /** The file's content id (see `hashFile`). */
  id: string;
  status: ImportStatus;
  format: IngestFormat | '';
  size: number;
  rows: number;
  points: number;
  events: number;
  /** Malformed lines in total (listed or not). */
  errorCount: number;
  /**
   * Of the points, how many the store took at times their series did not hold, how many it
   * held already (a re-import), and of those how many with another value (now replaced).
   * Absent on summaries that stored nothing.
   */
  added?: number;
  alreadyStored?: number;
  changedValues?: number;
  /** Per-line errors of this run, up to `ImportDefaults.listedErrors`. */
  errors: IngestLineError[];
  skipped: number;
  /** What the reader chose or left out, in words (see `ParseStep.notes`). */
  notes?: string[];
  series: ImportSeriesCount[];
  durationMs: number;
  resumedFrom: number;
  /** Byte offset up to which the file is stored. */
  offset: number;
  /**
   * Where this run's time went: parsing, waiting for the engine to store batches, waiting
   * for the file's next read, and sending commits (taking the batches, posting them).
   */
  timings?: { parseMs: number; storeWaitMs: number; readWaitMs: number; commitMs: number };
  /** Why the import stopped early, in words a user can act on. */
  message?: string;
  fatal?: {
    /** `no_data`: the file was read to its end and nothing in it could be stored. */
    code: IngestErrorCode | 'storage_full' | 'store_failed' | 'no_data';
    line: number;
    byte: number;
  };
}

/** What `inspectFile` learns from a file's head before anything is imported. */
export interface FileInspection {
  id: string;
  size: number;
  format: IngestFormat | null;
  /** Why the file cannot be imported (binary, image, unknown format). */
  error?: { code: IngestErrorCode; message: string };
  csv?: CsvPreview;
  checkpoint?: ImportCheckpoint;
  /** An encrypted Tidemark archive: the import needs its password. */
  encrypted?: boolean;
}

/** A file as the import reads it: a DOM `File` in the browser, a Node `File`/`Blob` in tests. */
export interface ImportFile {
  readonly name: string;
  readonly size: number;
  readonly lastModified: number;
  /** The hash and the sniffing read the file's ends with this. */
  slice(start?: number, end?: number): { arrayBuffer(): Promise<ArrayBuffer> };
  /** The import reads the file with this, through a BYOB reader when it is a byte stream. */
  stream(): ReadableStream<Uint8Array>;
}

export interface ImportWorkerDeps {
  store: ImportStoreApi;
  now?: () => number;
  /** Overrides of `ImportDefaults` (tests use small batches). */
  defaults?: Partial<typeof ImportDefaults>;
}

/**
 * The file id: SHA-256 over the first and last `hashEdgeBytes` and the size. Reading a
 * whole multi-GB file just to name it would double the import's I/O, and a resume must
 * know the id before parsing; appending to a log changes its size and tail, so it gets a
 * new id. Two files that differ only in the middle of their bytes (same size) would share
 * one — an accepted limit, stated in the UI's "already imported" message.
 *
 * Empty file: the hash of the size alone. Complexity O(min(size, 2 MiB)).
 */
export async function hashFile(
  file: Pick<ImportFile, 'size' | 'slice'>,
  edge = ImportDefaults.hashEdgeBytes
): Promise<string> {
  const headEnd = Math.min(file.size, edge);
  const tailStart = Math.max(headEnd, file.size - edge);
  const head = new Uint8Array(await file.slice(0, headEnd).arrayBuffer());
  const tail = new Uint8Array(await file.slice(tailStart, file.size).arrayBuffer());
  const all = new Uint8Array(head.length + tail.length + 8);
  all.set(head);
  all.set(tail, head.length);
  new DataView(all.buffer).setFloat64(head.length + tail.length, file.size);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return `sha256fl:${hex}`;
}

/**
 * A finished import's outcome in words: nothing stored is a failure with its reason (never
 * a green "Imported"), line problems are counted ("imported with N problems").
 */
function describeOutcome(summary: ImportSummary): void {
  const problems = summary.errorCount;
  const as = summary.format === '' ? '' : ` read as ${FormatNames[summary.format]}`;
  if (summary.points === 0 && summary.events === 0) {
    summary.status = 'failed';
    summary.fatal = { code: 'no_data', line: 0, byte: 0 };
    const first = summary.errors[0];
    if (summary.size === 0) summary.message = 'Nothing imported: the file is empty.';
    else if (problems > 0)
      summary.message = `Nothing imported: all ${summary.rows.toLocaleString('en')} data lines of the file${as} had problems (${problems.toLocaleString('en')}; the first, line ${first?.line ?? '?'}: ${first?.message ?? 'see the list'}). If the format is wrong, choose it by hand and import again.`;
    else if (summary.skipped > 0)
      summary.message = `Nothing imported: the ${summary.skipped.toLocaleString('en')} values found${as} are not numbers (text fields, _created samples or the like).`;
    else
      summary.message = `Nothing imported: no samples found in the file${as}. If the format is wrong, choose it by hand and import again.`;
    return;
  }
  const repeats = describeRepeats(summary);
  if (repeats?.nothingNew) {
    summary.status = 'already-imported';
    summary.message = [repeats.text, problems > 0 ? problemsText(problems) : '']
      .filter(Boolean)
      .join(' ');
    return;
  }
  const parts = [problems > 0 ? problemsText(problems) : '', repeats?.text ?? ''];
  if (parts.some(Boolean)) summary.message = parts.filter(Boolean).join(' ');
}

function problemsText(problems: number): string {
  return `Imported with ${problems.toLocaleString('en')} problem${problems === 1 ? '' : 's'}: the lines listed below were left out, everything else is stored.`;
}

/**
 * What a summary says about points the store held already (a re-import of stored data, an
 * export imported back): "nothing new" when no point added a time and no value changed.
 * Undefined when every point was new.
 */
function describeRepeats(
  summary: ImportSummary
): { nothingNew: boolean; text: string } | undefined {
  const present = summary.alreadyStored ?? 0;
  if (present === 0) return undefined;
  const added = summary.added ?? 0;
  const changed = summary.changedValues ?? 0;
  const count = (n: number) => n.toLocaleString('en');
  const replaced =
    changed > 0
      ? ` ${count(changed)} of them had another value in this file, which replaced the stored one.`
      : '';
  if (added === 0 && summary.events === 0) {
    return changed === 0
      ? { nothingNew: true, text: `Nothing new (${count(present)} points already stored).` }
      : {
          nothingNew: false,
          text: `No new points: all ${count(present)} were already stored.${replaced}`
        };
  }
  return {
    nothingNew: false,
    text: `${count(added)} new points stored; ${count(present)} were already stored.${replaced}`
  };
}

/** Formats as the summary names them. */
export const FormatNames: Record<IngestFormat, string> = {
  prometheus: 'Prometheus text',
  openmetrics: 'OpenMetrics',
  influx: 'InfluxDB line protocol',
  csv: 'CSV',
  ndjson: 'NDJSON',
  json: 'JSON',
  'otlp-json': 'OTLP JSON',
  'tidemark-bundle': 'a Tidemark bundle',
  graphite: 'Graphite plaintext',
  'promtool-dump': 'promtool tsdb dump',
  'influx-json': 'InfluxDB query JSON',
  'sadf-json': 'sysstat sadf -j JSON',
  'prometheus-api-json': 'Prometheus API JSON',
  'influx2-csv': 'InfluxDB 2 annotated CSV',
  parquet: 'Parquet'
};

/**
 * A Parquet file (by its magic or the chosen format) decoded whole into NDJSON record rows,
 * which the import then reads like any NDJSON file (offsets and resume refer to those rows);
 * any other file is returned as it is.
 */
async function openParquetImport(
  file: ImportFile,
  format: IngestFormat | undefined
): Promise<ImportFile | undefined> {
  const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
  if (format !== 'parquet' && !(format === undefined && isParquet(head))) return undefined;
  assertParquetSize(file.size, file.name);
  const rows = await parquetToNdjson(
    new Uint8Array(await file.slice(0, file.size).arrayBuffer()),
    file.name
  );
  return new File([rows as Uint8Array<ArrayBuffer>], file.name, {
    lastModified: file.lastModified
  });
}

/** A fatal condition of an import, with what the user should know. */
function describeFailure(e: unknown): { message: string; fatal: ImportSummary['fatal'] } {
  if (e instanceof IngestError) {
    const where = e.line > 0 ? ` (line ${e.line}, byte ${e.byte})` : '';
    return { message: `${e.message}${where}`, fatal: { code: e.code, line: e.line, byte: e.byte } };
  }
  const err = e as { name?: string; message?: string };
  const full =
    err?.name === 'StorageFullError' ||
    err?.name === 'QuotaExceededError' ||
    /QuotaExceeded/.test(err?.message ?? '');
  return {
    message:
      full && err?.name !== 'StorageFullError'
        ? 'Storage is full: the browser refused more data. Everything stored before this batch is intact; free space (or export and delete old data) and resume.'
        : (err?.message ?? String(e)),
    fatal: { code: full ? 'storage_full' : 'store_failed', line: 0, byte: 0 }
  };
}

interface Job {
  cancelled: boolean;
}

function emptySummary(jobId: string, file: ImportFile, id: string): ImportSummary {
  return {
    jobId,
    file: file.name,
    id,
    status: 'done',
    format: '',
    size: file.size,
    rows: 0,
    points: 0,
    events: 0,
    errorCount: 0,
    errors: [],
    skipped: 0,
    series: [],
    durationMs: 0,
    resumedFrom: 0,
    offset: 0
  };
}

/**
 * The import worker's logic, testable in Node: streams a file through the parser, commits
 * batches with their checkpoints to the engine, resumes from a stored checkpoint, cancels
 * between chunks. Everything that crosses to the page is plain data.
 */
export function createImportWorkerApi(deps: ImportWorkerDeps) {
  const now = deps.now ?? (() => Date.now());
  const store = deps.store;
  const tuning = { ...ImportDefaults, ...deps.defaults };
  const jobs = new Map<string, Job>();

  async function inspectFile(file: ImportFile, options: ImportOptions = {}) {
    const id = await hashFile(file);
    const checkpoint = await store.importCheckpoint(id);
    // One byte past the sniffed head tells previewCsv that the last line may be cut short.
    const bytes = new Uint8Array(
      await file.slice(0, Math.min(file.size, SniffDefaults.headBytes + 1)).arrayBuffer()
    );
    const head = bytes.subarray(0, SniffDefaults.headBytes);
    const out: FileInspection = { id, size: file.size, format: null, checkpoint };
    if (isEncryptedArchive(head)) return { ...out, encrypted: true };
    try {
      if (file.size === 0)
        throw new IngestError({
          code: 'unknown_format',
          message: `the file is empty; ${ExpectedFormatsMessage}`,
          file: file.name
        });
      out.format = options.format ?? sniffFormat(head, file.name);
      if (out.format === 'csv') out.csv = previewCsv(bytes, { csv: options.csv });
    } catch (e) {
      out.error =
        e instanceof IngestError
          ? { code: e.code, message: e.message }
          : { code: 'internal', message: String(e) };
    }
    return out;
  }

  async function importFile(
    file: ImportFile,
    options: ImportOptions & { jobId: string },
    onProgress?: (p: ImportProgress) => void
  ): Promise<ImportSummary> {
    const job: Job = { cancelled: false };
    jobs.set(options.jobId, job);
    try {
      // An encrypted archive is decrypted and authenticated whole before parsing starts,
      // with its own progress; a cancel in that phase stores nothing.
      const { password, ...rest } = options;
      const started = now();
      let plain: ImportFile;
      let lastProgress = -Infinity;
      try {
        plain = await openEncryptedImport(file, password, {
          cancelled: () => job.cancelled,
          onProgress: (done, total) => {
            const t = now();
            if (done > 0 && done < total && t - lastProgress < tuning.progressMs) return;
            lastProgress = t;
            const rate = done / (Math.max(1, t - started) / 1000);
            onProgress?.({
              jobId: options.jobId,
              file: file.name,
              phase: 'decrypting',
              format: '',
              bytes: done,
              totalBytes: total,
              resumedFrom: 0,
              rows: 0,
              points: 0,
              events: 0,
              errors: 0,
              bytesPerSecond: rate,
              etaMs: rate > 0 && done > 0 ? ((total - done) / rate) * 1000 : null
            });
          }
        });
      } catch (e) {
        if (!(e instanceof ArchiveError && e.code === 'cancelled')) throw e;
        return {
          ...emptySummary(options.jobId, file, await hashFile(file)),
          status: 'cancelled',
          durationMs: now() - started,
          message: e.message
        };
      }
      let rows: ImportFile | undefined;
      try {
        rows = await openParquetImport(plain, rest.format);
      } catch (e) {
        return {
          ...emptySummary(options.jobId, file, await hashFile(file)),
          status: 'failed',
          durationMs: now() - started,
          ...describeFailure(e)
        };
      }
      if (rows === undefined) return await runImport(plain, rest, job, onProgress);
      const summary = await runImport(rows, { ...rest, format: 'ndjson' }, job, onProgress);
      return { ...summary, format: 'parquet', size: file.size };
    } finally {
      jobs.delete(options.jobId);
    }
  }

  async function runImport(
    file: ImportFile,
    options: ImportOptions & { jobId: string },
    job: Job,
    onProgress?: (p: ImportProgress) => void
  ): Promise<ImportSummary> {
    const started = now();
    const id = await hashFile(file);
    const stored = await store.importCheckpoint(id);
    const base: ImportSummary = {
      ...emptySummary(options.jobId, file, id),
      format: (stored?.format as IngestFormat | undefined) ?? ''
    };
    if (stored?.done) {
      // Every time the file holds is stored (repeats within it counted once); checkpoints
      // written before the store counted them only know the points read.
      const held =
        stored.added === undefined ? stored.points : stored.added + (stored.alreadyStored ?? 0);
      return {
        ...base,
        status: 'already-imported',
        rows: stored.rows,
        points: stored.points,
        events: stored.events,
        errorCount: stored.errors,
        series: stored.series ?? [],
        offset: stored.offset,
        added: 0,
        alreadyStored: held,
        changedValues: 0,
        durationMs: now() - started,
        message: `Nothing new (${held.toLocaleString('en')} points already stored): this file was imported on ${new Date(stored.updatedAt).toISOString()}; nothing was added again. (Files are recognised by size and their first and last MiB.)`
      };
    }
    const resume = stored !== undefined && options.resume !== false && stored.offset > 0;
    // A resume parses the rest exactly as the first run did: its stored options win.
    const { jobId: _jobId, ...chosen } = options;
    const runOptions: ImportOptions = resume
      ? { ...(stored.options as ImportOptions | undefined), resume: true }
      : chosen;
    const defaultTimestamp = runOptions.defaultTimestamp ?? file.lastModified;
    const seriesCounts = new Map<string, ImportSeriesCount>();
    for (const s of resume ? (stored.series ?? []) : []) seriesCounts.set(s.key, { ...s });
    const totals = {
      rows: resume ? stored.rows : 0,
      points: resume ? stored.points : 0,
      events: resume ? stored.events : 0,
      errors: resume ? stored.errors : 0,
      skipped: 0
    };
    const resumedFrom = resume ? stored.offset : 0;
    const checkpoint: ImportCheckpoint = {
      id,
      name: file.name,
      size: file.size,
      format: runOptions.format ?? '',
      offset: resumedFrom,
      rows: totals.rows,
      points: totals.points,
      events: totals.events,
      errors: totals.errors,
      done: false,
      startedAt: resume ? stored.startedAt : started,
      updatedAt: started,
      hashMethod: HashMethod,
      options: { ...runOptions, defaultTimestamp, resume: undefined },
      series: [...seriesCounts.values()].slice(0, tuning.checkpointSeries),
      // What the store found so far (`commitImportBatch` sums them): a resume keeps them.
      ...(resume
        ? {
            added: stored.added,
            alreadyStored: stored.alreadyStored,
            changedValues: stored.changedValues
          }
        : {})
    };
    const listSeries = () => [...seriesCounts.values()].map((s) => ({ ...s }));
    /** Series counts of what the store holds: updated when a commit completes. */
    let committedSeries = listSeries();
    const errors: IngestLineError[] = [];
    const notes: string[] = [];
    const stopAfter = runOptions.stopAfterErrors ?? tuning.stopAfterErrors;
    let bytesRead = 0;
    let lastProgress = -Infinity;
    let phase: ImportPhase = 'parsing';
    let format: IngestFormat | '' = '';
    const report = (force = false) => {
      const t = now();
      if (!onProgress || (!force && t - lastProgress < tuning.progressMs)) return;
      lastProgress = t;
      const elapsed = Math.max(1, t - started) / 1000;
      const rate = bytesRead / elapsed;
      onProgress({
        jobId: options.jobId,
        file: file.name,
        phase,
        format,
        bytes: bytesRead,
        totalBytes: file.size,
        resumedFrom,
        rows: totals.rows,
        points: totals.points,
        events: totals.events,
        errors: totals.errors,
        bytesPerSecond: rate,
        etaMs: rate > 0 && bytesRead > 0 ? ((file.size - bytesRead) / rate) * 1000 : null
      });
    };

    report(true);

    // What has been parsed but not yet committed. The points stay in the parser (it is
    // created with `holdPoints`) until the commit takes them, one batch per series however
    // many parse steps it spans.
    const emptyPending = () => ({ events: [] as ResultEvent[], points: 0, bytes: 0 });
    let pending = emptyPending();
    let pendingOffset = resumedFrom;
    let committedOffset = resumedFrom;
    /** Commits sent and not yet stored, oldest first (the engine stores them in order). */
    const inflight: Promise<unknown>[] = [];
    let takePoints: () => PointBatch[] = () => [];
    let recycle: (buffers: ArrayBuffer[]) => void = () => {};

    /** Takes the parser's points for a commit and counts them per series. */
    const takeBatches = (): PointBatch[] => {
      const batches = takePoints().filter((b) => b.t.length > 0);
      for (const b of batches) {
        const key = seriesKey(b.series.name, b.series.labels);
        let s = seriesCounts.get(key);
        if (s === undefined) {
          s = { key, name: b.series.name, labels: b.series.labels, points: 0 };
          seriesCounts.set(key, s);
        }
        s.points += b.t.length;
      }
      return batches;
    };

    const absorb = (step: ParseStep) => {
      pending.points += step.heldPoints;
      totals.points += step.heldPoints;
      for (const e of step.events) pending.events.push(e);
      totals.events += step.events.length;
      totals.rows += step.rows;
      totals.skipped += step.skipped;
      for (const n of step.notes) if (notes.length < tuning.listedErrors) notes.push(n);
      totals.errors += step.errors.length + step.suppressedErrors;
      for (const e of step.errors) if (errors.length < tuning.listedErrors) errors.push(e);
      pending.bytes = Math.max(0, step.checkpoint - committedOffset);
      pendingOffset = Math.max(pendingOffset, step.checkpoint);
    };

    const commit = async (done: boolean) => {
      const t0 = now();
      const batch = pending;
      pending = emptyPending();
      const batches = takeBatches();
      Object.assign(checkpoint, {
        format,
        offset: done ? file.size : pendingOffset,
        rows: totals.rows,
        points: totals.points,
        events: totals.events,
        errors: totals.errors,
        done,
        series: [] as ImportSeriesCount[]
      });
      const full = listSeries();
      checkpoint.series = full.slice(0, tuning.checkpointSeries);
      committedOffset = checkpoint.offset;
      // Up to `inflightCommits` sent while the next batch is parsed: parsing and storing
      // overlap, and the engine starts the next commit as soon as one is stored instead of
      // after a round trip to this worker.
      let waited = 0;
      while (inflight.length >= tuning.inflightCommits) {
        const w0 = now();
        await waitStore(inflight.shift()!);
        waited += now() - w0;
      }
      const sent = store
        .commitImport({
          checkpoint: { ...checkpoint },
          batches,
          events: batch.events
        })
        .then((stored) => {
          committedSeries = full;
          // The engine gives the columns back once stored: the parser fills them again.
          if (stored.buffers) recycle(stored.buffers);
        });
      // Handled where it is awaited; this only keeps a failure from counting as unhandled.
      sent.catch(() => {});
      inflight.push(sent);
      timings.commitMs += now() - t0 - waited;
    };

    const due = () =>
      pendingOffset > committedOffset &&
      (pending.points >= tuning.commitPoints ||
        pending.bytes >= tuning.commitBytes ||
        pending.events.length >= tuning.commitEvents);

    const timings = { parseMs: 0, storeWaitMs: 0, readWaitMs: 0, commitMs: 0 };
    const waitStore = async (p: Promise<unknown>) => {
      const t0 = now();
      try {
        await p;
      } finally {
        timings.storeWaitMs += now() - t0;
      }
    };
    let failure: unknown = null;
    let tooManyErrors = false;
    try {
      // Lists the import as unfinished from the start, so a tab closed before the first
      // commit still shows up (and remembers the options chosen).
      await store.saveImportCheckpoint({ ...checkpoint });
      const parser = createStreamParser({
        fileName: file.name,
        format: runOptions.format,
        defaultTimestamp,
        timeZone: runOptions.timeZone,
        precision: runOptions.precision,
        csv: runOptions.csv,
        limits: runOptions.limits,
        skipToOffset: resumedFrom,
        holdPoints: true
      });
      takePoints = () => parser.takePoints();
      recycle = (buffers) => parser.recycle(buffers);
      const parseStep = async (piece: Uint8Array): Promise<void> => {
        bytesRead += piece.length;
        const t0 = now();
        absorb(parser.push(piece));
        timings.parseMs += now() - t0;
        format = parser.format;
        if (totals.errors > stopAfter) {
          tooManyErrors = true;
          return;
        }
        if (due() || pending.points >= tuning.hardCapPoints) await commit(false);
        report();
      };
      // The next chunk is read while the current one is parsed (see `readChunks`).
      const chunks = readChunks(file.stream(), tuning.readBytes);
      let ended = false;
      try {
        while (!job.cancelled && !tooManyErrors) {
          const r0 = now();
          const chunk = await chunks.next();
          timings.readWaitMs += now() - r0;
          if (chunk === null) {
            ended = true;
            break;
          }
          for (
            let o = 0;
            o < chunk.length && !job.cancelled && !tooManyErrors;
            o += tuning.chunkBytes
          )
            await parseStep(chunk.subarray(o, o + tuning.chunkBytes));
        }
      } finally {
        // Stopped early (cancelled, too many errors, a failure): the file is let go.
        if (!ended) await chunks.cancel();
      }
      if (!job.cancelled && !tooManyErrors) {
        phase = 'committing';
        absorb(parser.finish());
        format = parser.format;
        await commit(true);
      } else if (pendingOffset > committedOffset && !job.cancelled) {
        // Too many errors: keep what parsed cleanly up to the checkpoint.
        await commit(false);
      }
      while (inflight.length > 0) await waitStore(inflight.shift()!);
    } catch (e) {
      failure = e;
      // Whatever was sent before the failure either committed or did not; the store knows.
      for (const p of inflight.splice(0)) await p.catch(() => {});
    }

    // What the store holds now, for the summary and for a later resume.
    const after = (await store.importCheckpoint(id)) ?? checkpoint;
    phase = 'done';
    report(true);
    const summary: ImportSummary = {
      ...base,
      format: format || ((after.format as IngestFormat) ?? ''),
      rows: after.rows,
      points: after.points,
      events: after.events,
      added: after.added ?? 0,
      alreadyStored: after.alreadyStored ?? 0,
      changedValues: after.changedValues ?? 0,
      errorCount: Math.max(after.errors, totals.errors),
      errors,
      skipped: totals.skipped,
      notes,
      // Every series stored (a checkpoint keeps only the first `checkpointSeries`).
      series: committedSeries,
      durationMs: now() - started,
      resumedFrom,
      offset: after.offset,
      timings
    };
    if (!after.done && (failure || job.cancelled || tooManyErrors)) {
      let stopReason = 'cancelled';
      if (failure) {
        const d = describeFailure(failure);
        summary.status = 'failed';
        summary.message = d.message;
        summary.fatal = d.fatal;
        stopReason = d.message;
      } else if (tooManyErrors) {
        summary.status = 'failed';
        stopReason = `stopped after more than ${stopAfter.toLocaleString('en')} malformed lines — is this really ${format || 'a metrics file'}? Everything before byte ${after.offset} is stored.`;
        summary.message = stopReason;
      } else {
        summary.status = 'cancelled';
        summary.message = `Cancelled at byte ${after.offset} of ${file.size}; everything before it is stored. Import the same file again to resume.`;
      }
      // Best effort: on a full disk even this small write may be refused.
      await store.saveImportCheckpoint({ ...after, stopReason }).catch(() => {});
    } else if (summary.status === 'done') describeOutcome(summary);
    return summary;
  }

  return {
    inspectFile,
    importFile,
    /** Stops a running import after the current chunk; its checkpoint stays consistent. */
    cancel(jobId: string): boolean {
      const job = jobs.get(jobId);
      if (job) job.cancelled = true;
      return job !== undefined;
    },
    hashFile: (file: ImportFile) => hashFile(file)
  };
}

export type ImportWorkerApi = ReturnType<typeof createImportWorkerApi>;
