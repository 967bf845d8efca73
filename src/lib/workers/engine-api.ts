import { transfer } from 'comlink';
import { nextCleanupTime } from '$lib/tsdb/retention';
import { generateDemoData } from '$lib/demo/generate';
import {
  openDatabase,
  type DbLifecycle,
  type StoredAnomaly,
  type TidemarkDb
} from '$lib/db/database';
import { EventStore } from '$lib/db/event-store';
import { asStorageFull, MetricStore, StorageFullError } from '$lib/db/metric-store';
import { resultBuffers, runQuery } from '$lib/db/query';
import { isImportActive } from '$lib/db/import-store';
import { applySeriesRetention, rollupSeries, RollupStore } from '$lib/db/rollup-store';
import {
  DefaultRetention,
  type ChangeNotice,
  type Columnar,
  type PointBatch,
  type QueryRequest,
  type QueryResult,
  type ResultEvent,
  type RetentionKey,
  type SeriesRecord
} from '$lib/types';
import { createAgentApi } from './engine-agent';
import { createAlertsApi } from './engine-alerts';
import { IngestQueue } from './ingest-queue';
import { createAnalyticsApi } from './engine-analytics';
import { createAnomalyApi } from './engine-anomaly';
import { createImportApi } from './engine-import';
import { createExportApi } from './engine-export';

/** How often the leader rolls up new points, and when it cleans up. */
export const EngineDefaults = {
  rollupIntervalMs: 5_000,
  cleanupHour: 2,
  cleanupEveryMs: 600_000,
  /** An import whose checkpoint is this recent counts as running (see rollupPass). */
  importActiveWindowMs: 15_000,
  /** How stale counts() may be while an import runs. */
  countsWhileImportingMs: 30_000
};

export interface BackgroundStats {
  rollupPasses: number;
  rolledPoints: number;
  rollupMs: number;
  /** Bytes of rollup records written (blocks and heads), all passes. */
  rollupBytesWritten: number;
  /** Whether the last pass left imported series for later, an import being under way. */
  rollupsDeferredForImport: boolean;
  lastRollupAt: number | null;
  lastCleanup: { at: number; chunks: number; blocks: number; events: number; bytes: number } | null;
  nextCleanupAt: number | null;
}

export interface EngineDeps {
  /** Opens the database; tests pass fake-indexeddb here. */
  openDb?: (onLifecycle: (e: DbLifecycle) => void) => Promise<TidemarkDb>;
  /** Tells other tabs (and this one) that data changed. */
  broadcast?: (notice: ChangeNotice) => void;
  now?: () => number;
  /** IANA zone for day, week and month tiers; the worker's own zone by default. */
  timeZone?: string;
  /** Background timers (tests pass fakes or run passes by hand). */
  setInterval?: (fn: () => void, ms: number) => unknown;
  clearInterval?: (handle: unknown) => void;
}

export interface EngineCounts {
  series: number;
  events: number;
  chunks: number;
  points: number;
  bytes: number;
  rollupBlocks: number;
  rollupBytes: number;
}

export type Progress = (done: number, total: number, label: string) => void;

/** The stores, once the database is open. */
export interface EngineStores {
  db: TidemarkDb;
  metrics: MetricStore;
  events: EventStore;
  rollups: RollupStore;
}

/**
 * What an engine module (import, analytics, anomalies…) is given: each lives in its own
 * `engine-<area>.ts`, exports `create<Area>Api(ctx)` returning plain methods, and is spread
 * into the API below, so areas grow without editing each other's code.
 */
export interface EngineContext {
  ready: () => Promise<EngineStores>;
  broadcast: (notice: ChangeNotice) => void;
  now: () => number;
  timeZone: () => string;
  ingest: (batches: PointBatch[]) => Promise<{ points: number }>;
  ingestEvents: (list: ResultEvent[]) => Promise<{ events: number }>;
  /**
   * Run on the leader after each background rollup pass with the series it rolled up, in
   * order; a hook that throws is skipped for that pass and retried on the next. `importing`:
   * a file import was running when the pass ended (its series were left for later).
   */
  afterRollup: Array<
    (pass: { seriesIds: number[]; now: number; importing: boolean }) => Promise<void>
  >;
  /** Run after events are stored (in this tab's engine), with the stored events. */
  afterEvents: Array<(stored: ResultEvent[]) => Promise<void>>;
  /**
   * An import of this engine started (`running`) or ended: an ended one no longer defers
   * rollups or holds counts() to its cached answer, even when its checkpoint could not be
   * written to say so (a full disk), and counts() answers fresh once.
   */
  importRunning: (id: string, running: boolean) => void;
}

/**
 * The engine: everything that reads or writes the store runs here, in a worker in the
 * browser and directly in Node tests. Only plain data and transferable typed arrays go in
 * and out (DESIGN.md contracts).
 */
export function createEngineApi(deps: EngineDeps = {}) {
  const openDb = deps.openDb ?? ((cb) => openDatabase(cb));
  const broadcast = deps.broadcast ?? (() => {});
  const now = deps.now ?? (() => Date.now());
  const lifecycleListeners = new Set<(e: DbLifecycle) => void>();
  let lastLifecycle: DbLifecycle | null = null;
  let dbPromise: Promise<TidemarkDb> | null = null;
  let metrics: MetricStore | null = null;
  let events: EventStore | null = null;
  let rollups: RollupStore | null = null;
  let leader = false;
  let timeZone = deps.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
  let retention: Partial<Record<RetentionKey, number>> = {};
  const setTimer = deps.setInterval ?? ((fn: () => void, ms: number) => setInterval(fn, ms));
  const clearTimer =
    deps.clearInterval ?? ((h: unknown) => clearInterval(h as ReturnType<typeof setInterval>));
  let timer: unknown = null;
  const schedule = { ...EngineDefaults };
  let passRunning: Promise<void> | null = null;
  const stats: BackgroundStats = {
    rollupPasses: 0,
    rolledPoints: 0,
    rollupMs: 0,
    rollupBytesWritten: 0,
    rollupsDeferredForImport: false,
    lastRollupAt: null,
    lastCleanup: null,
    nextCleanupAt: null
  };
  const queue = new IngestQueue(async (batches) => {
    const { metrics } = await ready();
    try {
      const ids = await metrics.registerSeries(batches.map((b) => b.series));
      await metrics.append(batches.map((b, i) => ({ seriesId: ids[i], t: b.t, v: b.v })));
      const to = batches.reduce((m, b) => Math.max(m, b.t[b.t.length - 1]), -Infinity);
      broadcast({ kind: 'points', seriesIds: [...new Set(ids)], to });
    } catch (error) {
      reportStorageFull(error);
      throw asStorageFull(
        error,
        'The batch was not stored; everything stored before it is intact.'
      );
    }
  });

  /** Every tab shows a full disk, not only the caller whose batch was refused. */
  function reportStorageFull(error: unknown): void {
    const full = asStorageFull(error, 'Everything stored before it is intact.');
    if (full instanceof StorageFullError)
      broadcast({ kind: 'storage-full', message: full.message });
  }

  const onLifecycle = (e: DbLifecycle) => {
    lastLifecycle = e;
    for (const listener of lifecycleListeners) listener(e);
  };

  async function ready(): Promise<EngineStores> {
    dbPromise ??= openDb(onLifecycle).then((db) => {
      metrics = new MetricStore(db);
      events = new EventStore(db);
      rollups = new RollupStore(db);
      return db;
    });
    const db = await dbPromise;
    return { db, metrics: metrics!, events: events!, rollups: rollups! };
  }

  /** Queues points; resolves after the transaction that stores them completed. */
  async function ingest(batches: PointBatch[]): Promise<{ points: number }> {
    await ready();
    await queue.push(batches);
    return { points: batches.reduce((s, b) => s + b.t.length, 0) };
  }

  let lastCounts: { at: number; value: EngineCounts } | null = null;
  /** Imports this engine saw end (see EngineContext.importRunning). */
  const endedImports = new Set<string>();
  const importActive = (db: TidemarkDb, at: number) =>
    isImportActive(db, {
      now: at,
      windowMs: EngineDefaults.importActiveWindowMs,
      except: endedImports
    });

  /** One rollup pass over every series with new or late points. */
  async function rollupPass(): Promise<{
    series: number;
    points: number;
    seriesIds: number[];
    importing: boolean;
  }> {
    const { db, metrics, rollups } = await ready();
    const started = now();
    // Only the ids: late records carry their points, which this check does not need.
    const lateIds = new Set((await db.late.orderBy('seriesId').uniqueKeys()) as number[]);
    // While a file is being imported its series wait: rolling up millions of fresh points
    // took the CPU the import needs (on two cores the 1 GB import bench spent most of its
    // time waiting on the store). Their raw points are stored and queries stitch them; the
    // rollups catch up once the import is done or has stopped. Live series go on as usual.
    let importing = await importActive(db, started);
    const due = (await db.series.toArray()).filter(
      (s) =>
        !(importing && s.source === 'import') &&
        (lateIds.has(s.id) ||
          (s.lastT !== undefined && (s.rolledUntil === undefined || s.lastT > s.rolledUntil)))
    );
    stats.rollupsDeferredForImport = importing;
    let points = 0;
    let checkedAt = started;
    for (const s of due) {
      // A series far behind (a big import) is rolled up in slices, a transaction each.
      for (;;) {
        if (s.source === 'import' && now() - checkedAt > 1000) {
          // A long catch-up of imported series stops when the next import starts.
          checkedAt = now();
          importing = await importActive(db, checkedAt);
          stats.rollupsDeferredForImport = importing;
        }
        if (importing && s.source === 'import') break;
        const r = await rollupSeries({
          db,
          metrics,
          rollups,
          seriesId: s.id,
          timeZone,
          retention,
          now: now()
        });
        points += r.points;
        stats.rollupBytesWritten += r.bytes;
        if (!r.more) break;
      }
    }
    stats.rollupPasses++;
    stats.rolledPoints += points;
    stats.rollupMs += now() - started;
    stats.lastRollupAt = now();
    return { series: due.length, points, seriesIds: due.map((s) => s.id), importing };
  }

  /** Retention over every series and the events, each tier in its own small transaction. */
  async function cleanup(): Promise<NonNullable<BackgroundStats['lastCleanup']>> {
    const { db } = await ready();
    const at = now();
    const total = { at, chunks: 0, blocks: 0, events: 0, bytes: 0 };
    for (const s of await db.series.toArray()) {
      const r = await applySeriesRetention({ db, seriesId: s.id, now: at, timeZone, retention });
      total.chunks += r.chunks;
      total.blocks += r.blocks;
      total.bytes += r.bytes;
    }
    const eventCut = at - (retention.events ?? DefaultRetention.events);
    for (;;) {
      const ids = await db.events.where('t').below(eventCut).limit(2000).primaryKeys();
      if (ids.length === 0) break;
      await db.events.bulkDelete(ids);
      total.events += ids.length;
    }
    stats.lastCleanup = total;
    await db.meta.put({ key: 'retention:last', value: total });
    return total;
  }

  async function backgroundTick(): Promise<void> {
    if (passRunning) return;
    passRunning = (async () => {
      try {
        await queue.drain();
        const pass = await rollupPass();
        for (const hook of ctx.afterRollup) {
          try {
            await hook({ seriesIds: pass.seriesIds, now: now(), importing: pass.importing });
          } catch {
            // One module's failure must not stop rollups or retention; it retries next pass.
          }
        }
        // Retention at start, daily at 02:00 local, and every 10 minutes in between so fine
        // tiers (kept an hour) never pile up under heavy load.
        const due =
          (stats.nextCleanupAt !== null && now() >= stats.nextCleanupAt) ||
          (stats.lastCleanup !== null && now() - stats.lastCleanup.at >= schedule.cleanupEveryMs);
        if (due) {
          await cleanup();
          stats.nextCleanupAt = nextCleanupTime({
            now: now(),
            timeZone,
            hour: EngineDefaults.cleanupHour
          });
        }
      } catch {
        // A closed database (upgrade elsewhere) or a full disk: the page shows why; retry next tick.
      } finally {
        passRunning = null;
      }
    })();
    await passRunning;
  }

  async function ingestEvents(list: ResultEvent[]): Promise<{ events: number }> {
    const { events } = await ready();
    let count: number;
    try {
      count = await events.add(list);
    } catch (error) {
      reportStorageFull(error);
      throw asStorageFull(
        error,
        'These events were not stored; everything stored before is intact.'
      );
    }
    broadcast({ kind: 'events', count });
    for (const hook of ctx.afterEvents) {
      try {
        await hook(list);
      } catch {
        // Derived views catch up from the table on their next refresh.
      }
    }
    return { events: count };
  }

  const ctx: EngineContext = {
    ready,
    broadcast,
    now,
    timeZone: () => timeZone,
    ingest,
    ingestEvents,
    afterRollup: [],
    afterEvents: [],
    importRunning(id, running) {
      if (running) {
        endedImports.delete(id);
        return;
      }
      endedImports.add(id);
      lastCounts = null;
      broadcast({ kind: 'import-ended', id });
    }
  };

  const api = {
    /** Opens the store; resolves with the lifecycle state (so the page can show "blocked"). */
    async init(): Promise<DbLifecycle> {
      try {
        await ready();
      } catch {
        // lastLifecycle carries the error; the page shows a recovery screen.
      }
      return lastLifecycle ?? { kind: 'open' };
    },

    /** Subscribes to database lifecycle events (versionchange, blocked, errors). */
    onLifecycle(listener: (e: DbLifecycle) => void): void {
      lifecycleListeners.add(listener);
      if (lastLifecycle) listener(lastLifecycle);
    },

    /**
     * Called by the page when this tab wins or loses the Web Locks election. The leader
     * rolls up every few seconds, and applies retention at start and daily at 02:00 local.
     */
    async setLeader(isLeader: boolean): Promise<void> {
      leader = isLeader;
      if (timer !== null) clearTimer(timer);
      timer = null;
      if (!isLeader) return;
      const last = (await (await ready()).db.meta.get('retention:last'))?.value;
      if (last) stats.lastCleanup = last as BackgroundStats['lastCleanup'];
      stats.nextCleanupAt = now();
      timer = setTimer(() => void backgroundTick(), schedule.rollupIntervalMs);
      void backgroundTick();
    },

    /** Runs one rollup pass now (tests, benchmarks, and "refresh" in the UI). */
    rollupPass,

    /** Applies retention now. */
    cleanup,

    /** What the last cleanup (in any tab) freed, from the store. */
    async lastCleanup(): Promise<BackgroundStats['lastCleanup']> {
      const { db } = await ready();
      return (
        ((await db.meta.get('retention:last'))?.value as BackgroundStats['lastCleanup']) ?? null
      );
    },

    backgroundStats(): BackgroundStats {
      return { ...stats };
    },

    /** Changes how often the leader rolls up and cleans up (applies at the next setLeader). */
    configureBackground(options: Partial<typeof EngineDefaults>): void {
      Object.assign(schedule, options);
    },

    setTimeZone(zone: string): void {
      timeZone = zone;
    },

    setRetention(overrides: Partial<Record<RetentionKey, number>>): void {
      retention = { ...overrides };
    },

    /** Answers a query at the best tier; typed arrays are transferred, not cloned. */
    async query(request: QueryRequest): Promise<QueryResult> {
      const { db, metrics, rollups } = await ready();
      const result = await runQuery({ db, metrics, rollups, request, timeZone, retention });
      return transfer(result, resultBuffers(result));
    },

    /** Resolves when every queued point is stored. */
    async flush(): Promise<void> {
      await queue.drain();
    },

    isLeader(): boolean {
      return leader;
    },

    ingest,

    ingestEvents,

    async listSeries(): Promise<SeriesRecord[]> {
      const { metrics } = await ready();
      return metrics.listSeries();
    },

    /** Raw points of one series; the arrays are transferred, not cloned. */
    async readRaw(seriesId: number, from: number, to: number): Promise<Columnar> {
      const { metrics } = await ready();
      const r = await metrics.readRaw(seriesId, from, to);
      const out = { t: r.t.slice(), v: r.v.slice() };
      return transfer(out, [out.t.buffer, out.v.buffer]);
    },

    /** Stored anomalies, newest first, optionally of one series and a time range. */
    async listAnomalies(
      options: { seriesKey?: string; from?: number; to?: number; limit?: number } = {}
    ): Promise<StoredAnomaly[]> {
      const { db } = await ready();
      const from = options.from ?? -Infinity;
      const to = options.to ?? Infinity;
      const limit = options.limit ?? 500;
      const found =
        options.seriesKey !== undefined
          ? db.anomalies
              .where('[seriesKey+t]')
              .between([options.seriesKey, from], [options.seriesKey, to], true, true)
          : db.anomalies.where('t').between(from, to, true, true);
      return found.reverse().limit(limit).toArray();
    },

    async recentEvents(limit: number): Promise<ResultEvent[]> {
      const { events } = await ready();
      return events.recent(limit);
    },

    /**
     * Stored totals. Reads every chunk and block, in the worker that also commits imports:
     * while an import runs (any tab) a scan younger than EngineDefaults.countsWhileImportingMs
     * is answered again instead (with 100 M points stored, a scan per change notice starved
     * the import). Exact again once the import is done or stopped.
     */
    async counts(): Promise<EngineCounts> {
      const { db, metrics, rollups } = await ready();
      const at = now();
      if (
        lastCounts &&
        at - lastCounts.at < EngineDefaults.countsWhileImportingMs &&
        (await importActive(db, at))
      ) {
        return lastCounts.value;
      }
      const raw = await metrics.rawFootprint();
      const rolled = await rollups.footprint();
      const value = {
        series: await db.series.count(),
        events: await db.events.count(),
        chunks: raw.chunks,
        points: raw.points,
        bytes: raw.bytes,
        rollupBlocks: rolled.records,
        rollupBytes: rolled.bytes
      };
      lastCounts = { at, value };
      return value;
    },

    /** Loads the deterministic demo day ending now. */
    async loadDemo(onProgress?: Progress): Promise<{ points: number; events: number }> {
      const data = generateDemoData({ end: now() });
      let points = 0;
      const total = data.batches.length + 1;
      for (let i = 0; i < data.batches.length; i += 4) {
        const slice = data.batches.slice(i, i + 4);
        points += (await ingest(slice)).points;
        onProgress?.(i + slice.length, total, 'metrics');
      }
      const { events } = await ingestEvents(data.events);
      onProgress?.(total, total, 'events');
      return { points, events };
    },

    /** Deletes every metric, event and derived record. Settings are kept. */
    async clearAll(): Promise<void> {
      const { db, metrics } = await ready();
      await queue.drain();
      await db.transaction('rw', db.tables, async () => {
        // Data goes; configuration kept in meta (alert rules and their switches) stays.
        await Promise.all(
          db.tables.map((t) =>
            t.name === db.meta.name
              ? db.meta.filter((m) => !m.key.startsWith(KeptMetaPrefix)).delete()
              : t.clear()
          )
        );
      });
      metrics.resetCache();
      broadcast({ kind: 'cleared' });
    },
    // Engine modules (one line each): ...createXApi(ctx),
    ...createAlertsApi(ctx),
    ...createAnomalyApi(ctx),
    ...createAnalyticsApi(ctx),
    ...createAgentApi(ctx),
    ...createImportApi(ctx),
    ...createExportApi(ctx)
  };
  return api;
}

export type EngineApi = ReturnType<typeof createEngineApi>;

/** Meta keys that "delete all data" keeps: configuration, not data. */
const KeptMetaPrefix = 'alerts:';
