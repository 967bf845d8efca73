import { DB_NAME, openDatabase, type DbLifecycle, type TidemarkDb } from '$lib/db/database';
import {
  deleteDatabase,
  ResetConfirmation,
  salvageDatabase,
  type SalvageResult
} from '$lib/db/salvage';
import { EventStore } from '$lib/db/event-store';
import { HeadStore } from '$lib/db/head-store';
import { isImportActive } from '$lib/db/import-store';
import { asStorageFull, MetricStore, StorageFullError } from '$lib/db/metric-store';
import { RollupStore } from '$lib/db/rollup-store';
import type { ChangeNotice, PointBatch, ResultEvent } from '$lib/types';
import { packIdRanges } from '$lib/types/id-ranges';
import { IngestQueue } from '../ingest-queue';
import { createExportApi } from './export';
import { createAgentApi } from './agent';
import { createAlertsApi } from './alerts';
import { createAnalyticsApi } from './analytics';
import { createAnomalyApi } from './anomaly';
import type { EngineContext, EngineStores, RetentionOverrides } from './context';
import { createDashboardsApi } from './dashboards';
import { createDataApi } from './data';
import { createDemoApi } from './demo';
import { createHistogramApi } from './histogram';
import { createImportApi } from './import';
import { createMaintenanceApi, EngineDefaults, type BackgroundTimers } from './maintenance';
import { createYielder } from './pipeline';

/** API methods that are background work: setLeader, cleanup, rollupPass, run…Pass. */
const BackgroundCalls = /^(setLeader|cleanup|rollupPass|run\w*Pass)$/;

export interface EngineDeps {
  /** Opens the database; tests pass fake-indexeddb here. */
  openDb?: (onLifecycle: (e: DbLifecycle) => void) => Promise<TidemarkDb>;
  /** The raw database for the recovery paths (salvage, reset); the browser's by default. */
  rawDb?: { indexedDB: IDBFactory; name: string };
  /** Tells other tabs (and this one) that data changed. */
  broadcast?: (notice: ChangeNotice) => void;
  now?: () => number;
  /** IANA zone for day, week and month tiers; the worker's own zone by default. */
  timeZone?: string;
  /** Background timers (tests pass fakes or run passes by hand). */
  setInterval?: BackgroundTimers['setInterval'];
  clearInterval?: BackgroundTimers['clearInterval'];
}

/**
 * The engine: everything that reads or writes the store runs here, in a worker in the
 * browser and directly in Node tests. Only plain data and transferable typed arrays go in
 * and out (DESIGN.md contracts). This builds the context the areas share and spreads each
 * area's methods into one API; the leader's background work is pipeline.ts's stage list.
 */
export function createEngineApi(deps: EngineDeps = {}) {
  const openDb = deps.openDb ?? ((cb) => openDatabase(cb));
  const rawDb = deps.rawDb ?? { indexedDB: globalThis.indexedDB, name: DB_NAME };
  const broadcast = deps.broadcast ?? (() => {});
  const now = deps.now ?? (() => Date.now());
  const lifecycleListeners = new Set<(e: DbLifecycle) => void>();
  let lastLifecycle: DbLifecycle | null = null;
  let stores: Promise<EngineStores> | null = null;
  let timeZone = deps.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
  let retention: RetentionOverrides = {};
  /** Imports this engine saw end (see EngineContext.importRunning). */
  const endedImports = new Set<string>();
  /** Calls of the page in flight: background stages wait for them (pipeline.ts). */
  let pageCalls = 0;

  /**
   * A failed upgrade (a newer build whose migration failed; IndexedDB undid it) is kept
   * until the user asks again (`init`, the recovery screen's "Try again"): retried on every
   * call, it would redo the migration's work only to undo it again, and close the database
   * of every other tab (the old build's, which can still read everything) each time.
   */
  let failedUpgrade = false;

  function ready(): Promise<EngineStores> {
    // Any other failed open is not kept: the next call (a retry, the next background tick)
    // opens afresh, since the cause (another tab, a full disk, a browser hiccup) may have
    // passed.
    if (stores) return stores;
    const attempt = openDb((e) => {
      lastLifecycle = e;
      for (const listener of lifecycleListeners) listener(e);
    }).then(async (db) => {
      const metrics = new MetricStore(db);
      // Every tab's engine holds the live heads: the leader's writes them, the others
      // follow its write-ahead log. A crash's acknowledged points come back from the log.
      const heads = new HeadStore(db, metrics);
      await heads.setWriter(false);
      await heads.recover();
      return { db, metrics, events: new EventStore(db), rollups: new RollupStore(db), heads };
    });
    stores = attempt;
    attempt.catch(() => {
      if (stores !== attempt) return;
      failedUpgrade = lastLifecycle?.kind === 'error' && lastLifecycle.upgrade !== undefined;
      if (!failedUpgrade) stores = null;
    });
    return attempt;
  }

  /** Every tab shows a full disk, not only the caller whose write was refused. */
  function refused(error: unknown, kept: string): unknown {
    const full = asStorageFull(error, kept);
    if (full instanceof StorageFullError) {
      broadcast({
        kind: 'storage-full',
        message: (asStorageFull(error, 'Everything stored before it is intact.') as Error).message
      });
    }
    return full;
  }

  const queue = new IngestQueue(async (batches) => {
    const { metrics } = await ready();
    try {
      const ids = await metrics.registerSeries(batches.map((b) => b.series));
      await metrics.append(batches.map((b, i) => ({ seriesId: ids[i], t: b.t, v: b.v })));
      const to = batches.reduce((m, b) => Math.max(m, b.t[b.t.length - 1]), -Infinity);
      broadcast({ kind: 'points', ids: packIdRanges(ids), to });
    } catch (error) {
      throw refused(error, 'The batch was not stored; everything stored before it is intact.');
    }
  });
  const drainQueue = () => queue.drain();

  /** Queues points; resolves after the transaction that stores them completed. */
  async function ingest(batches: PointBatch[]): Promise<{ points: number }> {
    await ready();
    await queue.push(batches);
    return { points: batches.reduce((s, b) => s + b.t.length, 0) };
  }

  async function ingestEvents(list: ResultEvent[]): Promise<{ events: number }> {
    const { events } = await ready();
    let count: number;
    try {
      count = await events.add(list);
    } catch (error) {
      throw refused(error, 'These events were not stored; everything stored before is intact.');
    }
    broadcast({ kind: 'events', count });
    await ctx.eventsStored(list);
    return { events: count };
  }

  const ctx: EngineContext = {
    ready,
    broadcast,
    now,
    timeZone: () => timeZone,
    retention: () => retention,
    ingest,
    ingestEvents,
    async eventsStored(stored) {
      for (const hook of ctx.afterEvents) {
        try {
          await hook(stored);
        } catch {
          // Derived views catch up from the table on their next refresh.
        }
      }
    },
    afterEvents: [],
    stages: {},
    pause: createYielder({ busy: () => pageCalls > 0 }),
    importRunning(id, running) {
      if (running) {
        endedImports.delete(id);
        return;
      }
      endedImports.add(id);
      broadcast({ kind: 'import-ended', id });
      // Whoever imported is about to look for the new series: index them now, in the
      // background, rather than when Explore's first search waits for it.
      data.warmSeriesIndex();
    },
    async importActive(at) {
      const { db } = await ready();
      return isImportActive(db, {
        now: at,
        windowMs: EngineDefaults.importActiveWindowMs,
        except: endedImports
      });
    }
  };

  const data = createDataApi(ctx, { drainQueue });
  const api = trackCalls({
    /** Opens the store; resolves with the lifecycle state (so the page can show "blocked"). */
    async init(): Promise<DbLifecycle> {
      if (failedUpgrade) {
        failedUpgrade = false;
        stores = null;
      }
      try {
        await ready();
      } catch {
        // lastLifecycle carries the error; the page shows a recovery screen.
      }
      return lastLifecycle ?? { kind: 'open' };
    },

    /**
     * Reads every record still readable into an NDJSON Blob, store by store, without Dexie
     * (whose open may be what fails). For the recovery screen; never writes.
     */
    async salvage(): Promise<SalvageResult> {
      return salvageDatabase(rawDb);
    },

    /**
     * Deletes the database and opens a fresh, empty one — only with the phrase the user
     * typed, so no code path can wipe the store by accident. Resolves with the new lifecycle.
     */
    async resetStore(confirmation: string): Promise<DbLifecycle> {
      if (confirmation !== ResetConfirmation) {
        throw new Error(`type "${ResetConfirmation}" to delete the database`);
      }
      const open = stores;
      stores = null;
      failedUpgrade = false;
      if (open) {
        try {
          (await open).db.close();
        } catch {
          // It never opened; nothing to close.
        }
      }
      await deleteDatabase({
        ...rawDb,
        onBlocked: () => {
          lastLifecycle = { kind: 'blocked' };
          for (const listener of lifecycleListeners) listener(lastLifecycle);
        }
      });
      try {
        await ready();
      } catch {
        // lastLifecycle carries the error.
      }
      broadcast({ kind: 'cleared' });
      return lastLifecycle ?? { kind: 'open' };
    },

    /** Subscribes to database lifecycle events (versionchange, blocked, errors). */
    onLifecycle(listener: (e: DbLifecycle) => void): void {
      lifecycleListeners.add(listener);
      if (lastLifecycle) listener(lastLifecycle);
    },

    setTimeZone(zone: string): void {
      timeZone = zone;
    },

    setRetention(overrides: RetentionOverrides): void {
      retention = { ...overrides };
    },

    /** Resolves when every queued point is stored. */
    flush: drainQueue,
    ingest,
    ingestEvents,
    ...data,
    // Engine areas (one line each): ...createXApi(ctx),
    ...createMaintenanceApi(ctx, {
      drainQueue,
      timers: {
        setInterval: deps.setInterval ?? ((fn, ms) => setInterval(fn, ms)),
        clearInterval:
          deps.clearInterval ?? ((h) => clearInterval(h as ReturnType<typeof setInterval>))
      }
    }),
    ...createDemoApi(ctx),
    ...createHistogramApi(ctx),
    ...createAlertsApi(ctx),
    ...createAnomalyApi(ctx),
    ...createAnalyticsApi(ctx),
    ...createAgentApi(ctx),
    ...createImportApi(ctx),
    ...createExportApi(ctx),
    ...createDashboardsApi(ctx)
  });
  return api;

  /**
   * Counts the API's calls in flight, so background stages let them go first. Calls that
   * run background work themselves (a pass or a cleanup run by hand) do not count, or their
   * own breaks would wait for them.
   */
  function trackCalls<T extends object>(methods: T): T {
    for (const [name, fn] of Object.entries(methods)) {
      if (typeof fn !== 'function' || BackgroundCalls.test(name)) continue;
      (methods as Record<string, unknown>)[name] = (...args: unknown[]) => {
        pageCalls++;
        let result: unknown;
        try {
          result = fn(...args);
        } catch (error) {
          pageCalls--;
          throw error;
        }
        if (result instanceof Promise) return result.finally(() => pageCalls--);
        pageCalls--;
        return result;
      };
    }
    return methods;
  }
}

export type EngineApi = ReturnType<typeof createEngineApi>;
