import { readInsights } from '$lib/db/analytics-store';
import { listImportCheckpoints } from '$lib/db/import-store';
import { runQuery } from '$lib/db/query';
import { createSketch, type QuantileSketch } from '$lib/tsdb/sketch';
import { BundleFormat } from '$lib/export/bundle';
import { ArchiveFormat, encryptArchive } from '$lib/export/crypto';
import { writeDiagnostic, type DiagnosticInput } from '$lib/export/diagnostic';
import { encodeJsonNumber } from '$lib/export/encode';
import {
  computeFences,
  createEventGrouper,
  KAnonymityDefaults,
  PiiDefaults,
  stripEventPii,
  suppressOutliers,
  type EventDimension,
  type Fences,
  type PiiPolicy,
  type PrivacyRemoval
} from '$lib/export/privacy';
import {
  createSummaryAccumulator,
  writeReportHtml,
  type SummaryAccumulator
} from '$lib/export/report';
import {
  createPointWriter,
  orderSeriesForFormat,
  writeEventGroups,
  writeEventLines,
  writeEventsCsv,
  writeWideCsv,
  type PointStreamFormat,
  type PointStreamWriter,
  type WideColumn
} from '$lib/export/stream';
import { createZipStream } from '$lib/export/zip-stream';
import {
  TierWidthMs,
  type Aggregate,
  type Columnar,
  type PointBatch,
  type ResultEvent,
  type SeriesDescriptor,
  type SeriesRecord,
  type TierName
} from '$lib/types';
import { seriesKey } from '$lib/types/series-key';
import type { EngineContext, EngineStores } from './engine/context';

/**
 * Export, run in the engine worker: reads the chosen scope slice by slice (raw points or a
 * rollup tier through the same query the explorer uses), applies the privacy filters,
 * writes each file as Blob parts (compacted into a Blob every few MiB, so no export is one
 * giant string), optionally seals each file with a password, and returns the files with
 * what the preview shows: counts, sizes, first lines and the fields removed. Nothing is
 * sent anywhere; the page saves the Blobs only after the user consents.
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

export type ExportFormat =
  | 'bundle-ndjson'
  | 'bundle-zip'
  | 'csv-long'
  | 'csv-wide'
  | 'ndjson'
  | 'openmetrics'
  | 'report-html'
  | 'diagnostic';

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

/** A file being written: text parts compacted into a Blob, first lines kept. */
class FileSink {
  rows = 0;
  head: string[] = [];
  private parts: BlobPart[] = [];
  private pendingChars = 0;
  private headChars = 0;
  /** Compacted pieces, each a Blob of a few MiB; never nested, so no piece is copied twice. */
  private blobs: Blob[] = [];
  private partial = '';
  constructor(
    readonly name: string,
    readonly type: string
  ) {}

  /** Appends text holding `rows` data rows. */
  write(text: string, rows = 0): void {
    if (text.length === 0) return;
    this.rows += rows;
    this.keepHead(text);
    this.parts.push(text);
    this.pendingChars += text.length;
    if (this.pendingChars >= ExportDefaults.compactChars) this.compact();
  }

  /** Appends bytes (a zip's output); `preview` text stands for them in the head. */
  writeBytes(bytes: Uint8Array): void {
    this.parts.push(bytes as Uint8Array<ArrayBuffer>);
    this.pendingChars += bytes.length;
    if (this.pendingChars >= ExportDefaults.compactChars) this.compact();
  }

  keepHead(text: string): void {
    if (this.head.length >= ExportDefaults.headLines || this.headChars >= ExportDefaults.headChars)
      return;
    const piece = text.slice(0, ExportDefaults.headChars);
    const lines = (this.partial + piece).split('\n');
    this.partial = lines.pop() ?? '';
    for (const l of lines) {
      if (this.head.length >= ExportDefaults.headLines) break;
      const line = l.replace(/\r$/, '');
      this.head.push(line.length > 400 ? line.slice(0, 400) + '…' : line);
      this.headChars += line.length;
    }
    if (this.partial.length > 400) {
      this.head.push(this.partial.slice(0, 400) + '…');
      this.partial = '';
      this.headChars = ExportDefaults.headChars;
    }
  }

  private compact(): void {
    if (this.parts.length > 0) this.blobs.push(new Blob(this.parts));
    this.parts = [];
    this.pendingChars = 0;
  }

  /** Puts `prefix` before everything written so far (a manifest known only at the end). */
  prepend(prefix: string): void {
    this.compact();
    this.blobs.unshift(new Blob([prefix]));
    this.head = [];
    this.headChars = 0;
    this.partial = '';
  }

  finish(): Blob {
    this.compact();
    if (this.partial !== '' && this.head.length < ExportDefaults.headLines)
      this.head.push(this.partial);
    return new Blob(this.blobs, { type: this.type });
  }
}

/** An output series: a stored series, or one aggregate column of it at a rollup tier. */
interface OutputSeries {
  record: SeriesRecord;
  aggregate: Aggregate | null;
  descriptor: SeriesDescriptor;
}

function describeOutput(
  record: SeriesRecord,
  aggregate: Aggregate | null,
  tier: ExportResolution
): SeriesDescriptor {
  const d: SeriesDescriptor = {
    name: record.name,
    labels:
      aggregate === null ? { ...record.labels } : { ...record.labels, aggregate, resolution: tier },
    unit: record.unit,
    kind: aggregate === null || aggregate === 'sum' || aggregate === 'last' ? record.kind : 'gauge',
    source: record.source,
    category: record.category
  };
  if (record.help !== undefined) d.help = record.help;
  return d;
}

function stamp(t: number): string {
  return new Date(t)
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d{3}Z$/, 'Z');
}

function randomHex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Slices of [from, to] sized for about `per` points at `density` points per ms. */
function sliceRange(from: number, to: number, widthMs: number): [number, number][] {
  const out: [number, number][] = [];
  if (!(from <= to)) return out;
  const w = Math.max(1, widthMs);
  for (let a = from; a <= to; a += w) {
    const b = Math.min(to, a + w);
    out.push([a, b]);
    if (b >= to) break;
  }
  return out;
}

/** Keeps points in [a, b) — or [a, b] on the last slice — so slices never repeat a point. */
function clip(c: Columnar, a: number, b: number, first: boolean, last: boolean): Columnar {
  let lo = 0;
  let hi = c.t.length;
  if (!first) while (lo < hi && c.t[lo] < a) lo++;
  if (!last) while (hi > lo && c.t[hi - 1] >= b) hi--;
  return lo === 0 && hi === c.t.length ? c : { t: c.t.subarray(lo, hi), v: c.v.subarray(lo, hi) };
}

/**
 * The export module of the engine (see EngineContext): `runExport` and `cancelExport`.
 */
/** Records the values outlier suppression left out, when it left any. */
function noteOutliers(removed: PrivacyRemoval[], count: number): void {
  if (count === 0) return;
  removed.push({
    field: 'values',
    action: 'suppressed',
    count,
    detail: 'outlying values left out (Tukey far-out fences: Q1 − 3·IQR, Q3 + 3·IQR)'
  });
}

export function createExportApi(ctx: EngineContext) {
  const jobs = new Map<string, { cancelled: boolean }>();

  /** Every bucket of one series in [from, to] at the spec's tier, with the spec's aggregates. */
  function queryBuckets(
    stores: EngineStores,
    options: { seriesId: number; from: number; to: number; spec: ExportSpec }
  ) {
    const { seriesId, from, to, spec } = options;
    return runQuery({
      ...stores,
      request: {
        seriesId,
        from,
        to,
        maxPoints: Number.MAX_SAFE_INTEGER,
        aggregates: spec.aggregates,
        tier: spec.resolution as TierName
      },
      timeZone: ctx.timeZone()
    });
  }

  async function readSlices(
    stores: EngineStores,
    options: {
      record: SeriesRecord;
      spec: ExportSpec;
      onSlice: (cols: Map<Aggregate | null, Columnar>) => Promise<void> | void;
      check: () => void;
    }
  ): Promise<void> {
    const { record, spec, onSlice, check } = options;
    const from = Math.max(spec.from, record.firstT ?? spec.from);
    const to = Math.min(spec.to, record.lastT ?? spec.to);
    if (record.lastT === undefined || !(from <= to)) return;
    let width: number;
    if (spec.resolution === 'raw') {
      const span = Math.max(1, (record.lastT ?? 0) - (record.firstT ?? 0));
      const density = Math.max(1e-12, (record.points ?? 1) / span);
      width = Math.max(1000, ExportDefaults.slicePoints / density);
    } else width = ExportDefaults.sliceBuckets * TierWidthMs[spec.resolution];
    const slices = sliceRange(from, to, width);
    for (let i = 0; i < slices.length; i++) {
      check();
      const [a, b] = slices[i];
      const first = i === 0;
      const last = i === slices.length - 1;
      const cols = new Map<Aggregate | null, Columnar>();
      if (spec.resolution === 'raw') {
        const raw = await stores.metrics.readRaw(record.id, a, b);
        cols.set(null, clip(raw, a, b, first, last));
      } else {
        const r = await queryBuckets(stores, { seriesId: record.id, from: a, to: b, spec });
        for (const agg of spec.aggregates) {
          const v = r.columns[agg];
          if (v) cols.set(agg, clip({ t: r.t, v }, a, b, first, last));
        }
      }
      await onSlice(cols);
    }
  }

  async function runExport(
    spec: ExportSpec,
    onProgress?: (p: ExportProgress) => void
  ): Promise<ExportOutcome> {
    const job = { cancelled: false };
    jobs.set(spec.jobId, job);
    try {
      return await produce(spec, job, onProgress);
    } finally {
      jobs.delete(spec.jobId);
    }
  }

  async function produce(
    spec: ExportSpec,
    job: { cancelled: boolean },
    onProgress?: (p: ExportProgress) => void
  ): Promise<ExportOutcome> {
    const stores = await ctx.ready();
    const { db, metrics } = stores;
    const check = () => {
      if (job.cancelled) throw new ExportCancelledError();
    };
    if (!(spec.from <= spec.to)) throw new Error('The time range is empty: "from" is after "to".');
    if (spec.format === 'csv-wide' && spec.resolution === 'raw')
      throw new Error(
        'The wide CSV needs a rollup tier (its rows are bucket times); choose a resolution other than raw, or the long CSV.'
      );
    if (spec.resolution !== 'raw' && spec.aggregates.length === 0)
      throw new Error('Choose at least one aggregate for a rollup tier.');
    const createdAt = ctx.now();
    const prefix = `tidemark-${stamp(createdAt)}`;
    const all = await metrics.listSeries();
    const wanted = new Set(spec.seriesIds);
    const records = all.filter((s) => wanted.has(s.id));
    const outputs: OutputSeries[] = [];
    for (const record of records) {
      const aggs: (Aggregate | null)[] = spec.resolution === 'raw' ? [null] : spec.aggregates;
      for (const aggregate of aggs)
        outputs.push({
          record,
          aggregate,
          descriptor: describeOutput(record, aggregate, spec.resolution)
        });
    }
    const removed: PrivacyRemoval[] = [];
    const notes: string[] = [];
    const files: { sink: FileSink; zip?: boolean }[] = [];
    let lastReport = -Infinity;
    const estimate = records.reduce((sum, s) => {
      const span = Math.max(1, (s.lastT ?? 0) - (s.firstT ?? 0));
      const overlap = Math.max(
        0,
        Math.min(spec.to, s.lastT ?? -Infinity) - Math.max(spec.from, s.firstT ?? Infinity)
      );
      return sum + (s.firstT === s.lastT ? (s.points ?? 0) : ((s.points ?? 0) * overlap) / span);
    }, 0);
    const progress = { done: 0, total: Math.max(1, estimate) * (spec.outliers ? 2 : 1) };
    const report = (label: string, phase: ExportPhase = 'reading', force = false) => {
      const t = ctx.now();
      if (!onProgress || (!force && t - lastReport < ExportDefaults.progressMs)) return;
      lastReport = t;
      onProgress({
        jobId: spec.jobId,
        phase,
        done: Math.min(progress.done, progress.total),
        total: progress.total,
        label
      });
    };
    report('Starting', 'reading', true);

    // Events are read a page at a time, so a long result log never sits in memory whole;
    // one salt for every page keeps an id's pseudonym the same across pages.
    const wantEvents = spec.events !== 'none' && spec.format !== 'diagnostic';
    const eventSalt = randomHex(16);
    const eventTally = new Map<string, PrivacyRemoval>();
    let eventFences: Fences | null = null;
    let eventsOutlying = 0;
    let eventsWritten = 0;
    const forEachEventPage = async (fn: (page: ResultEvent[]) => void | Promise<void>) => {
      for (let offset = 0; ; offset += ExportDefaults.eventPage) {
        check();
        const page = await db.events
          .where('t')
          .between(spec.from, spec.to, true, true)
          .offset(offset)
          .limit(ExportDefaults.eventPage)
          .toArray();
        if (page.length > 0) await fn(page.map(({ id: _id, ...e }) => e));
        if (page.length < ExportDefaults.eventPage) break;
      }
    };
    const cleanEvents = async (page: ResultEvent[]): Promise<ResultEvent[]> => {
      const stripped = await stripEventPii(page, {
        policy: spec.pii ?? PiiDefaults,
        salt: eventSalt
      });
      for (const r of stripped.removed) {
        const key = `${r.field}\u0000${r.action}`;
        const seen = eventTally.get(key);
        if (seen) seen.count += r.count;
        else eventTally.set(key, { ...r });
      }
      const f = eventFences;
      if (f === null) return stripped.events;
      const kept = stripped.events.filter((e) => !(e.durationMs < f.low || e.durationMs > f.high));
      eventsOutlying += stripped.events.length - kept.length;
      return kept;
    };
    /** Every raw event in scope, cleaned, handed over a page at a time. */
    const writeEvents = async (write: (page: ResultEvent[]) => void) => {
      if (!wantEvents || spec.events !== 'raw') return;
      await forEachEventPage(async (page) => {
        const clean = await cleanEvents(page);
        eventsWritten += clean.length;
        if (clean.length > 0) write(clean);
      });
    };
    /** Adds what the event filters removed to the preview's list (once, at the end). */
    const noteEventRemovals = () => {
      removed.push(...eventTally.values());
      if (eventsOutlying > 0 && eventFences)
        removed.push({
          field: 'events.durationMs',
          action: 'suppressed',
          count: eventsOutlying,
          detail: `events with a duration outside ${eventFences.low.toFixed(1)}…${eventFences.high.toFixed(1)} ms (Tukey far-out fences) left out`
        });
    };
    if (wantEvents && spec.outliers) {
      const sk = createSketch();
      await forEachEventPage((page) => {
        for (const e of page) sk.add(e.durationMs);
      });
      if (sk.count > 0)
        eventFences = computeFences({ q1: sk.quantile(0.25), q3: sk.quantile(0.75) });
    }
    let groupsText: { csv: string; ndjson: string; rows: number } | null = null;
    if (wantEvents && spec.events === 'grouped') {
      const by = spec.groupBy.length > 0 ? spec.groupBy : KAnonymityDefaults.by;
      const grouper = createEventGrouper({ by, k: spec.k });
      await forEachEventPage(async (page) => grouper.add(await cleanEvents(page)));
      const g = grouper.finish();
      if (g.suppressedGroups > 0)
        removed.push({
          field: 'event groups',
          action: 'suppressed',
          count: g.suppressedGroups,
          detail: `groups of fewer than ${spec.k} events (${g.suppressedEvents} events) suppressed for k-anonymity`
        });
      groupsText = {
        csv: writeEventGroups(g.groups, { by, format: 'csv' }),
        ndjson: writeEventGroups(g.groups, { by, format: 'ndjson' }),
        rows: g.groups.length
      };
    }

    const anomalies =
      spec.anomalies || spec.format === 'report-html'
        ? spec.anomalies
          ? (
              await db.anomalies
                .where('t')
                .between(spec.from, spec.to, true, true)
                .reverse()
                .toArray()
            )
              .filter((a) => records.some((r) => r.key === a.seriesKey))
              .slice(0, ExportDefaults.maxAnomalies)
          : []
        : [];
    const insights = spec.insights
      ? (await readInsights(db)).filter(
          (i) => i.timeRange.end >= spec.from && i.timeRange.start <= spec.to
        )
      : [];

    if (spec.format === 'diagnostic') {
      const sink = new FileSink(`${prefix}-diagnostic.json`, 'application/json');
      const imports = await listImportCheckpoints(db);
      const d = spec.diagnostic;
      sink.write(
        writeDiagnostic({
          createdAt,
          appVersion: d?.appVersion ?? 'unknown',
          userAgent: d?.userAgent ?? '',
          timeZone: d?.timeZone ?? ctx.timeZone(),
          settings: d?.settings ?? null,
          storage: d?.storage ?? { usage: null, quota: null, persisted: null },
          counts: {
            series: all.length,
            events: await db.events.count(),
            anomalies: await db.anomalies.count()
          },
          series: all,
          errors: [
            ...(d?.errors ?? []),
            ...imports
              .filter((c) => c.stopReason !== undefined && c.stopReason !== 'cancelled')
              .map((c) => ({ at: c.updatedAt, where: `import ${c.name}`, message: c.stopReason! }))
          ]
        }),
        all.length
      );
      files.push({ sink });
      notes.push(
        'The diagnostic bundle lists series by name and count only: no data values, and secrets in settings are redacted.'
      );
      return finishFiles({
        spec,
        files,
        removed,
        notes,
        series: all.length,
        points: 0,
        events: 0,
        report
      });
    }

    // Outlier fences need the whole range first: one extra read pass, sketch per output.
    const fences = new Map<string, Fences>();
    const outKey = (o: { record: SeriesRecord; aggregate: Aggregate | null }) =>
      `${o.record.id}\u0000${o.aggregate ?? ''}`;
    if (spec.outliers) {
      for (const record of records) {
        const sketches = new Map<Aggregate | null, QuantileSketch>();
        await readSlices(stores, {
          record,
          spec,
          check,
          onSlice: (cols) => {
            for (const [agg, c] of cols) {
              let sk = sketches.get(agg);
              if (!sk) sketches.set(agg, (sk = createSketch()));
              for (const x of c.v) sk.add(x);
              if (agg === null || agg === spec.aggregates[0]) progress.done += c.t.length;
            }
            report(`Measuring ${record.name}`);
          }
        });
        for (const [agg, sk] of sketches)
          fences.set(
            outKey({ record, aggregate: agg }),
            computeFences({ q1: sk.quantile(0.25), q3: sk.quantile(0.75) })
          );
      }
    }

    let pointsWritten = 0;
    let outliersRemoved = 0;
    const seriesWithPoints = new Set<string>();
    const filtered = (
      o: { record: SeriesRecord; aggregate: Aggregate | null },
      c: Columnar
    ): Columnar => {
      const f = fences.get(outKey(o));
      if (!f) return c;
      const r = suppressOutliers(c, f);
      outliersRemoved += r.removed;
      return r;
    };

    if (spec.format === 'report-html') {
      const summaries: SummaryAccumulator[] = [];
      for (const record of records) {
        const accs = new Map<Aggregate | null, SummaryAccumulator>();
        await readSlices(stores, {
          record,
          spec,
          check,
          onSlice: (cols) => {
            for (const [agg, c0] of cols) {
              const c = filtered({ record, aggregate: agg }, c0);
              let acc = accs.get(agg);
              if (!acc) {
                const d = describeOutput(record, agg, spec.resolution);
                accs.set(
                  agg,
                  (acc = createSummaryAccumulator({ series: d, from: spec.from, to: spec.to }))
                );
              }
              acc.add(c.t, c.v);
              pointsWritten += c.t.length;
              if (agg === null || agg === spec.aggregates[0]) progress.done += c0.t.length;
            }
            report(`Summarising ${record.name}`);
          }
        });
        summaries.push(...accs.values());
      }
      await writeEvents(() => {});
      noteEventRemovals();
      const privacy = removed.map((r) => `${r.field}: ${r.action} (${r.count}) — ${r.detail}`);
      if (outliersRemoved > 0)
        privacy.push(
          `${outliersRemoved} outlying values left out of the figures (Tukey far-out fences)`
        );
      const sink = new FileSink(`${prefix}-report.html`, 'text/html');
      sink.write(
        writeReportHtml({
          title: 'Tidemark report',
          createdAt,
          scope: [
            { label: 'From', value: new Date(spec.from).toISOString() },
            { label: 'To', value: new Date(spec.to).toISOString() },
            { label: 'Series', value: String(records.length) },
            {
              label: 'Resolution',
              value:
                spec.resolution === 'raw'
                  ? 'raw points'
                  : `${spec.resolution} buckets (${spec.aggregates.join(', ')})`
            },
            {
              label: 'Events',
              value:
                spec.events === 'none'
                  ? 'not included'
                  : spec.events === 'grouped'
                    ? `grouped, k = ${spec.k}`
                    : `${eventsWritten} events (counted, not listed)`
            }
          ],
          series: summaries.map((s) => s.finish()),
          anomalies: anomalies.map((a) => ({
            series: a.seriesKey,
            t: a.t,
            value: a.value,
            score: a.score,
            detector: a.detector
          })),
          insights: insights.map((i) => ({
            type: i.type,
            subject: i.subject,
            confidence: i.confidence,
            text: i.recommendations.map((r) => r.description).join(' ')
          })),
          privacy,
          sparklines: spec.sparklines
        }),
        records.length
      );
      files.push({ sink });
      if (groupsText) {
        const g = new FileSink(`${prefix}-events-grouped.csv`, 'text/csv');
        g.write(groupsText.csv, groupsText.rows);
        files.push({ sink: g });
      }
      noteOutliers(removed, outliersRemoved);
      return finishFiles({
        spec,
        files,
        removed,
        notes,
        series: records.length,
        points: pointsWritten,
        events: eventsWritten,
        report
      });
    }

    let inBundle = false;
    let inZip = false;
    if (spec.format === 'csv-wide') {
      const sink = new FileSink(`${prefix}-metrics-wide.csv`, 'text/csv');
      const names = outputs.map(
        (o) =>
          `${seriesKey(o.descriptor.name, o.record.labels)}${o.aggregate ? `:${o.aggregate}` : ''}`
      );
      sink.write(
        writeWideCsv(
          names.map((name) => ({ name, t: new Float64Array(0), v: new Float64Array(0) })),
          { header: true }
        )
      );
      const tier = spec.resolution as TierName;
      const slices = sliceRange(
        spec.from,
        spec.to,
        ExportDefaults.sliceBuckets * TierWidthMs[tier]
      );
      for (let i = 0; i < slices.length; i++) {
        check();
        const [a, b] = slices[i];
        const columns: WideColumn[] = [];
        for (const record of records) {
          const r = await queryBuckets(stores, { seriesId: record.id, from: a, to: b, spec });
          for (const agg of spec.aggregates) {
            const c0 = clip(
              { t: r.t, v: r.columns[agg] ?? new Float64Array(r.t.length) },
              a,
              b,
              i === 0,
              i === slices.length - 1
            );
            const c = filtered({ record, aggregate: agg }, c0);
            columns.push({ name: '', t: c.t, v: c.v });
            pointsWritten += c.t.length;
            if (c.t.length > 0) seriesWithPoints.add(record.key);
            if (agg === spec.aggregates[0]) progress.done += c0.t.length;
          }
        }
        const text = writeWideCsv(columns, { header: false });
        sink.write(text, text === '' ? 0 : text.split('\r\n').length - 1);
        report(`Writing ${new Date(b).toISOString()}`);
      }
      files.push({ sink });
    } else {
      const pointFormat: PointStreamFormat =
        spec.format === 'csv-long'
          ? 'csv-long'
          : spec.format === 'ndjson'
            ? 'ndjson'
            : spec.format === 'openmetrics'
              ? 'openmetrics'
              : spec.format;
      const descriptors = outputs.map((o) => o.descriptor);
      const order = orderSeriesForFormat(pointFormat, descriptors);
      const writer: PointStreamWriter = createPointWriter(pointFormat, { series: descriptors });
      const ext = {
        'csv-long': 'metrics.csv',
        ndjson: 'points.ndjson',
        openmetrics: 'metrics.om',
        'bundle-ndjson': 'bundle.ndjson',
        'bundle-zip': 'bundle.zip'
      }[pointFormat];
      const type = {
        'csv-long': 'text/csv',
        ndjson: 'application/x-ndjson',
        openmetrics: 'application/openmetrics-text',
        'bundle-ndjson': 'application/x-ndjson',
        'bundle-zip': 'application/zip'
      }[pointFormat];
      const sink = new FileSink(`${prefix}-${ext}`, type);
      const zip =
        pointFormat === 'bundle-zip' ? createZipStream((bytes) => sink.writeBytes(bytes)) : null;
      const emit = (text: string, rows = 0) => {
        if (zip) {
          sink.keepHead(text);
          sink.rows += rows;
          zip.push(text);
        } else sink.write(text, rows);
      };
      zip?.open('series.ndjson');
      emit(writer.begin());
      // OpenMetrics needs each family contiguous: series are read in family order, and a
      // series with several aggregates is read once per aggregate in that order.
      const byRecord = new Map<number, OutputSeries[]>();
      for (const i of order) {
        const o = outputs[i];
        const list = byRecord.get(o.record.id);
        if (list) list.push(o);
        else byRecord.set(o.record.id, [o]);
      }
      const visit: OutputSeries[][] =
        pointFormat === 'openmetrics' ? order.map((i) => [outputs[i]]) : [...byRecord.values()];
      for (const group of visit) {
        const record = group[0].record;
        const wantedAggs = new Set(group.map((o) => o.aggregate));
        await readSlices(stores, {
          record,
          spec:
            spec.resolution === 'raw'
              ? spec
              : { ...spec, aggregates: group.map((o) => o.aggregate!) },
          check,
          onSlice: (cols) => {
            for (const o of group) {
              if (!wantedAggs.has(o.aggregate)) continue;
              const c0 = cols.get(o.aggregate);
              if (!c0) continue;
              const c = filtered(o, c0);
              if (c.t.length === 0) continue;
              const batch: PointBatch = { series: o.descriptor, t: c.t, v: c.v };
              emit(writer.write(batch), c.t.length);
              pointsWritten += c.t.length;
              seriesWithPoints.add(seriesKey(o.descriptor.name, o.descriptor.labels));
              if (o === group[0]) progress.done += c0.t.length;
            }
            report(`Writing ${record.name}`);
          }
        });
      }
      emit(writer.end());
      const bundle = pointFormat === 'bundle-ndjson' || pointFormat === 'bundle-zip';
      inBundle = bundle;
      inZip = zip !== null;
      if (bundle) {
        if (zip) {
          zip.close();
          zip.open('events.ndjson');
        }
        await writeEvents((page) => emit(writeEventLines(page, !zip), page.length));
        const manifest = {
          ...BundleFormat,
          createdAt: new Date(createdAt).toISOString(),
          seriesCount: seriesWithPoints.size,
          pointCount: pointsWritten,
          eventCount: eventsWritten
        };
        if (zip) {
          zip.close();
          const extra: [string, string][] = [];
          if (groupsText) extra.push(['events-grouped.ndjson', groupsText.ndjson]);
          if (spec.anomalies)
            extra.push([
              'anomalies.ndjson',
              anomalies
                .map(
                  (a) =>
                    JSON.stringify({ ...a, id: undefined, value: encodeJsonNumber(a.value) }) + '\n'
                )
                .join('')
            ]);
          if (spec.insights)
            extra.push(['insights.ndjson', insights.map((i) => JSON.stringify(i) + '\n').join('')]);
          for (const [name, text] of extra) {
            zip.open(name);
            zip.push(text);
            zip.close();
          }
          zip.open('manifest.json');
          zip.push(JSON.stringify(manifest, null, 2));
          zip.close();
          zip.finish();
        } else {
          const head = sink.head;
          sink.prepend(JSON.stringify({ type: 'manifest', ...manifest }) + '\n');
          sink.keepHead(JSON.stringify({ type: 'manifest', ...manifest }) + '\n');
          for (const h of head) sink.keepHead(h + '\n');
        }
      }
      files.push({ sink });
      if (spec.format === 'openmetrics' && spec.events === 'raw')
        notes.push('OpenMetrics carries no events: they are in a separate NDJSON file.');
    }
    if (!inBundle && spec.events === 'raw') {
      const csv = spec.format === 'csv-long' || spec.format === 'csv-wide';
      const e = new FileSink(
        `${prefix}-events.${csv ? 'csv' : 'ndjson'}`,
        csv ? 'text/csv' : 'application/x-ndjson'
      );
      if (csv) e.write(writeEventsCsv([], { header: true }));
      await writeEvents((page) =>
        e.write(
          csv ? writeEventsCsv(page, { header: false }) : writeEventLines(page, false),
          page.length
        )
      );
      files.push({ sink: e });
    }
    if (groupsText && !inZip) {
      const csv = spec.format === 'csv-long' || spec.format === 'csv-wide';
      const g = new FileSink(
        `${prefix}-events-grouped.${csv ? 'csv' : 'ndjson'}`,
        csv ? 'text/csv' : 'application/x-ndjson'
      );
      g.write(csv ? groupsText.csv : groupsText.ndjson, groupsText.rows);
      files.push({ sink: g });
    }
    if (!inZip && (spec.anomalies || spec.insights)) {
      if (spec.anomalies) {
        const a = new FileSink(`${prefix}-anomalies.ndjson`, 'application/x-ndjson');
        a.write(
          anomalies
            .map(
              (x) =>
                JSON.stringify({ ...x, id: undefined, value: encodeJsonNumber(x.value) }) + '\n'
            )
            .join(''),
          anomalies.length
        );
        files.push({ sink: a });
      }
      if (spec.insights) {
        const n = new FileSink(`${prefix}-insights.ndjson`, 'application/x-ndjson');
        n.write(insights.map((x) => JSON.stringify(x) + '\n').join(''), insights.length);
        files.push({ sink: n });
      }
    }
    noteEventRemovals();
    noteOutliers(removed, outliersRemoved);
    return finishFiles({
      spec,
      files,
      removed,
      notes,
      series: seriesWithPoints.size,
      points: pointsWritten,
      events: eventsWritten,
      report
    });
  }

  async function finishFiles(options: {
    spec: ExportSpec;
    files: { sink: FileSink }[];
    removed: PrivacyRemoval[];
    notes: string[];
    series: number;
    points: number;
    events: number;
    report: (label: string, phase?: ExportPhase, force?: boolean) => void;
  }): Promise<ExportOutcome> {
    const { spec, report } = options;
    const out: ExportedFile[] = [];
    for (const { sink } of options.files) {
      let blob = sink.finish();
      let name = sink.name;
      let type = sink.type;
      const encrypted = spec.password !== undefined && spec.password !== '';
      if (encrypted) {
        report(`Encrypting ${name}`, 'encrypting', true);
        const cancelled = () => jobs.get(spec.jobId)?.cancelled ?? false;
        try {
          blob = await encryptArchive(blob, {
            password: spec.password!,
            iterations: spec.iterations,
            cancelled
          });
        } catch (e) {
          throw cancelled() ? new ExportCancelledError() : e;
        }
        name += ArchiveFormat.extension;
        type = 'application/octet-stream';
      }
      out.push({ name, type, blob, bytes: blob.size, rows: sink.rows, head: sink.head, encrypted });
    }
    report('Done', 'done', true);
    if (spec.password)
      options.notes.push(
        `Each file is sealed with AES-256-GCM under a PBKDF2-SHA-256 key; Tidemark's importer asks for the password.`
      );
    return {
      files: out,
      series: options.series,
      points: options.points,
      events: options.events,
      removed: options.removed,
      notes: options.notes
    };
  }

  return {
    /** Produces an export (see ExportSpec); Blobs come back to the page, nothing is sent. */
    runExport,
    /** Stops a running export between slices. */
    cancelExport(jobId: string): boolean {
      const job = jobs.get(jobId);
      if (job) job.cancelled = true;
      return job !== undefined;
    }
  };
}
