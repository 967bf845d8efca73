import { readInsights } from '$lib/db/analytics-store';
import { countAnomalyRecords, readAnomaliesBetween } from '$lib/db/anomaly-store';
import { listImportCheckpoints } from '$lib/db/import-store';
import { runQuery } from '$lib/db/query';
import { createEventCleaner, createEventGroups } from '$lib/export/event-cleaner';
import { ExportWriters, type ExportInventory } from '$lib/export/formats';
import type { PrivacyRemoval } from '$lib/export/privacy';
import { createExportProgress, exportFilePrefix } from '$lib/export/progress';
import { sealFiles } from '$lib/export/seal';
import {
  clip,
  estimatePoints,
  groupByRecord,
  listOutputs,
  sliceRange,
  sliceWidthMs
} from '$lib/export/slices';
import {
  ExportCancelledError,
  ExportDefaults,
  type EventGroupsText,
  type ExportOutcome,
  type ExportProgress,
  type ExportSpec,
  type OutputSeries
} from '$lib/export/types';
import { createValueFences } from '$lib/export/value-fences';
import {
  TierWidthMs,
  type Aggregate,
  type Columnar,
  type ResultEvent,
  type SeriesRecord,
  type TierName
} from '$lib/types';
import type { EngineContext, EngineStores } from './context';
import { createSchedulesApi } from './schedules';

export { ExportCancelledError, ExportDefaults } from '$lib/export/types';
export type {
  ExportedFile,
  ExportEvents,
  ExportFormat,
  ExportOutcome,
  ExportPhase,
  ExportProgress,
  ExportResolution,
  ExportSpec
} from '$lib/export/types';

/**
 * Export, run in the engine worker: pages the chosen scope out of the store slice by slice
 * (raw points or a rollup tier through the same query the explorer uses) and events a page
 * at a time, runs them through the privacy filters (export/event-cleaner.ts, outlier
 * fences), and hands them to the format's writer (export/formats, the registry); then seals
 * each file with a password if asked, and returns the files with what the preview shows.
 * Nothing is sent anywhere; the page saves the Blobs only after the user consents.
 */

function randomHex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

const outKey = (record: SeriesRecord, aggregate: Aggregate | null) =>
  `${record.id}\u0000${aggregate ?? ''}`;

type Job = { cancelled: boolean; check: () => void };

export function createExportApi(ctx: EngineContext) {
  const jobs = new Map<string, Job>();

  /** Every bucket of one series in [from, to] at `tier`, with `aggregates`. */
  function queryBuckets(
    stores: EngineStores,
    seriesId: number,
    range: [number, number],
    spec: { resolution: ExportSpec['resolution']; aggregates: Aggregate[] }
  ) {
    return runQuery({
      ...stores,
      request: {
        seriesId,
        from: range[0],
        to: range[1],
        maxPoints: Number.MAX_SAFE_INTEGER,
        aggregates: spec.aggregates,
        tier: spec.resolution as TierName
      },
      timeZone: ctx.timeZone()
    });
  }

  /** One record's points (raw: key null) or buckets in scope, slice by slice. */
  async function readSlices(options: {
    stores: EngineStores;
    record: SeriesRecord;
    spec: ExportSpec;
    aggregates: Aggregate[];
    job: Job;
    onSlice: (cols: Map<Aggregate | null, Columnar>) => void;
  }): Promise<void> {
    const { stores, record, spec, aggregates } = options;
    const from = Math.max(spec.from, record.firstT ?? spec.from);
    const to = Math.min(spec.to, record.lastT ?? spec.to);
    if (record.lastT === undefined || !(from <= to)) return;
    const slices = sliceRange(from, to, sliceWidthMs(record, spec.resolution));
    for (let i = 0; i < slices.length; i++) {
      options.job.check();
      const [a, b] = slices[i];
      const [first, last] = [i === 0, i === slices.length - 1];
      const cols = new Map<Aggregate | null, Columnar>();
      if (spec.resolution === 'raw') {
        cols.set(null, clip(await stores.metrics.readRaw(record.id, a, b), a, b, first, last));
      } else {
        const r = await queryBuckets(stores, record.id, [a, b], { ...spec, aggregates });
        for (const agg of aggregates) {
          const v = r.columns[agg];
          if (v) cols.set(agg, clip({ t: r.t, v }, a, b, first, last));
        }
      }
      options.onSlice(cols);
    }
  }

  async function produce(
    spec: ExportSpec,
    job: Job,
    onProgress?: (p: ExportProgress) => void
  ): Promise<ExportOutcome> {
    const stores = await ctx.ready();
    const { db, metrics } = stores;
    const writer = ExportWriters[spec.format];
    if (!(spec.from <= spec.to)) throw new Error('The time range is empty: "from" is after "to".');
    writer.check?.(spec);
    if (spec.resolution !== 'raw' && spec.aggregates.length === 0)
      throw new Error('Choose at least one aggregate for a rollup tier.');
    const createdAt = ctx.now();
    const all = await metrics.listSeries();
    const wanted = new Set(spec.seriesIds);
    const records = all.filter((s) => wanted.has(s.id));
    const outputs = listOutputs(records, spec);
    const total =
      Math.max(1, estimatePoints(records, spec.from, spec.to)) * (spec.outliers ? 2 : 1);
    const progress = createExportProgress({
      jobId: spec.jobId,
      total,
      now: () => ctx.now(),
      onProgress
    });
    const report = progress.report;
    report('Starting', 'reading', true);

    const removed: PrivacyRemoval[] = [];
    const points = writer.reads !== 'inventory';
    const wantEvents = spec.events !== 'none' && points;
    const forEachEventPage = async (fn: (page: ResultEvent[]) => void | Promise<void>) => {
      for (let offset = 0; ; offset += ExportDefaults.eventPage) {
        job.check();
        const page = await stores.events.page({
          from: spec.from,
          to: spec.to,
          offset,
          limit: ExportDefaults.eventPage
        });
        if (page.length > 0) await fn(page);
        if (page.length < ExportDefaults.eventPage) break;
      }
    };
    const cleaner = createEventCleaner({ policy: spec.pii, salt: randomHex(16) });
    if (wantEvents && spec.outliers) await forEachEventPage((page) => cleaner.measure(page));
    let groups: EventGroupsText | null = null;
    if (wantEvents && spec.events === 'grouped') {
      const grouper = createEventGroups({ by: spec.groupBy, k: spec.k });
      await forEachEventPage(async (page) => grouper.add(await cleaner.clean(page)));
      const g = grouper.finish();
      if (g.removal) removed.push(g.removal);
      groups = g.text;
    }
    const anomalies = spec.anomalies
      ? (await readAnomaliesBetween(db, spec.from, spec.to))
          .filter((a) => records.some((r) => r.key === a.seriesKey))
          .slice(0, ExportDefaults.maxAnomalies)
      : [];
    const insights = spec.insights
      ? (await readInsights(db)).filter(
          (i) => i.timeRange.end >= spec.from && i.timeRange.start <= spec.to
        )
      : [];
    let inventory: ExportInventory | null = null;
    if (writer.reads === 'inventory') {
      const imports = await listImportCheckpoints(db);
      inventory = {
        series: all,
        counts: {
          series: all.length,
          events: await stores.events.count(),
          anomalies: await countAnomalyRecords(db)
        },
        timeZone: ctx.timeZone(),
        errors: imports
          .filter((c) => c.stopReason !== undefined && c.stopReason !== 'cancelled')
          .map((c) => ({ at: c.updatedAt, where: `import ${c.name}`, message: c.stopReason! }))
      };
    }

    // Outlier fences need the whole range first: one extra read pass over every output.
    const values = createValueFences();
    for (const record of spec.outliers && points ? records : [])
      await readSlices({
        stores,
        record,
        spec,
        aggregates: spec.aggregates,
        job,
        onSlice: (cols) => {
          for (const [agg, c] of cols) {
            values.measure(outKey(record, agg), c.v);
            if (agg === null || agg === spec.aggregates[0]) progress.done += c.t.length;
          }
          report(`Measuring ${record.name}`);
        }
      });

    const session = writer.begin({
      spec,
      prefix: exportFilePrefix(createdAt),
      createdAt,
      records,
      outputs,
      groups,
      anomalies,
      insights,
      inventory
    });
    let pointsWritten = 0;
    /** Hands one slice of an output to the writer, outliers left out; counts progress for the first. */
    const give = (o: OutputSeries, c0: Columnar, first: boolean) => {
      const c = values.filter(outKey(o.record, o.aggregate), c0);
      session.series(o, c);
      pointsWritten += c.t.length;
      if (first) progress.done += c0.t.length;
    };
    if (writer.reads === 'series') {
      for (const group of writer.visit?.(outputs, spec) ?? groupByRecord(outputs)) {
        const record = group[0].record;
        const aggregates = group.map((o) => o.aggregate).filter((a): a is Aggregate => a !== null);
        await readSlices({
          stores,
          record,
          spec,
          aggregates,
          job,
          onSlice: (cols) => {
            for (const o of group) {
              const c0 = cols.get(o.aggregate);
              if (c0) give(o, c0, o === group[0]);
            }
            report(`Writing ${record.name}`);
          }
        });
      }
    } else if (writer.reads === 'time-slices') {
      const tier = spec.resolution as TierName;
      const slices = sliceRange(
        spec.from,
        spec.to,
        ExportDefaults.sliceBuckets * TierWidthMs[tier]
      );
      for (let i = 0; i < slices.length; i++) {
        job.check();
        const [a, b] = slices[i];
        for (const group of groupByRecord(outputs)) {
          const r = await queryBuckets(stores, group[0].record.id, [a, b], spec);
          for (const o of group) {
            const v = r.columns[o.aggregate!] ?? new Float64Array(r.t.length);
            give(
              o,
              clip({ t: r.t, v }, a, b, i === 0, i === slices.length - 1),
              o.aggregate === spec.aggregates[0]
            );
          }
        }
        session.endSlice?.(b);
        report(`Writing ${new Date(b).toISOString()}`);
      }
    }

    let events = 0;
    if (wantEvents && spec.events === 'raw')
      await forEachEventPage(async (page) => {
        const clean = await cleaner.clean(page);
        events += clean.length;
        if (clean.length > 0) session.events(clean);
      });
    removed.push(...cleaner.removals());
    const written = session.finish({
      points: pointsWritten,
      events,
      removed: [...removed],
      outliersRemoved: values.removed()
    });
    const valuesRemoved = values.removal();
    if (valuesRemoved) removed.push(valuesRemoved);
    const files = await sealFiles(written.files, {
      password: spec.password,
      iterations: spec.iterations,
      cancelled: () => job.cancelled,
      onSeal: (name) => report(`Encrypting ${name}`, 'encrypting', true)
    });
    report('Done', 'done', true);
    if (spec.password)
      written.notes.push(
        `Each file is sealed with AES-256-GCM under a PBKDF2-SHA-256 key; Tidemark's importer asks for the password.`
      );
    return {
      files,
      series: written.series,
      points: pointsWritten,
      events,
      removed,
      notes: written.notes
    };
  }

  return {
    ...createSchedulesApi(ctx),
    /** Produces an export (see ExportSpec); Blobs come back to the page, nothing is sent. */
    async runExport(
      spec: ExportSpec,
      onProgress?: (p: ExportProgress) => void
    ): Promise<ExportOutcome> {
      const job: Job = {
        cancelled: false,
        check() {
          if (job.cancelled) throw new ExportCancelledError();
        }
      };
      jobs.set(spec.jobId, job);
      try {
        return await produce(spec, job, onProgress);
      } finally {
        jobs.delete(spec.jobId);
      }
    },
    /** Stops a running export between slices. */
    cancelExport(jobId: string): boolean {
      const job = jobs.get(jobId);
      if (job) job.cancelled = true;
      return job !== undefined;
    }
  };
}
