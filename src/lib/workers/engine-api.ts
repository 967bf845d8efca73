import { transfer } from 'comlink';
import { generateDemoData } from '$lib/demo/generate';
import { openDatabase, type DbLifecycle, type TidemarkDb } from '$lib/db/database';
import { EventStore } from '$lib/db/event-store';
import { MetricStore } from '$lib/db/metric-store';
import type { ChangeNotice, Columnar, PointBatch, ResultEvent, SeriesRecord } from '$lib/types';

export interface EngineDeps {
  /** Opens the database; tests pass fake-indexeddb here. */
  openDb?: (onLifecycle: (e: DbLifecycle) => void) => Promise<TidemarkDb>;
  /** Tells other tabs (and this one) that data changed. */
  broadcast?: (notice: ChangeNotice) => void;
  now?: () => number;
}

export interface EngineCounts {
  series: number;
  events: number;
  chunks: number;
  points: number;
  bytes: number;
}

export type Progress = (done: number, total: number, label: string) => void;

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
  let leader = false;

  const onLifecycle = (e: DbLifecycle) => {
    lastLifecycle = e;
    for (const listener of lifecycleListeners) listener(e);
  };

  async function ready(): Promise<{ db: TidemarkDb; metrics: MetricStore; events: EventStore }> {
    dbPromise ??= openDb(onLifecycle).then((db) => {
      metrics = new MetricStore(db);
      events = new EventStore(db);
      return db;
    });
    const db = await dbPromise;
    return { db, metrics: metrics!, events: events! };
  }

  async function ingest(batches: PointBatch[]): Promise<{ points: number }> {
    const { metrics } = await ready();
    const ids = await metrics.registerSeries(batches.map((b) => b.series));
    await metrics.append(batches.map((b, i) => ({ seriesId: ids[i], t: b.t, v: b.v })));
    const points = batches.reduce((s, b) => s + b.t.length, 0);
    const to = batches.reduce((m, b) => (b.t.length ? Math.max(m, b.t[b.t.length - 1]) : m), 0);
    broadcast({ kind: 'points', seriesIds: [...new Set(ids)], to });
    return { points };
  }

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

    /** Called by the page when this tab wins or loses the Web Locks election. */
    setLeader(isLeader: boolean): void {
      leader = isLeader;
    },

    isLeader(): boolean {
      return leader;
    },

    ingest,

    async ingestEvents(list: ResultEvent[]): Promise<{ events: number }> {
      const { events } = await ready();
      const count = await events.add(list);
      broadcast({ kind: 'events', count });
      return { events: count };
    },

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

    async recentEvents(limit: number): Promise<ResultEvent[]> {
      const { events } = await ready();
      return events.recent(limit);
    },

    async counts(): Promise<EngineCounts> {
      const { db, metrics } = await ready();
      const raw = await metrics.rawFootprint();
      return {
        series: await db.series.count(),
        events: await db.events.count(),
        chunks: raw.chunks,
        points: raw.points,
        bytes: raw.bytes
      };
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
      const { events } = await api.ingestEvents(data.events);
      onProgress?.(total, total, 'events');
      return { points, events };
    },

    /** Deletes every metric, event and derived record. Settings are kept. */
    async clearAll(): Promise<void> {
      const { db, metrics } = await ready();
      await db.transaction('rw', db.tables, async () => {
        await Promise.all(db.tables.map((t) => t.clear()));
      });
      metrics.resetCache();
      broadcast({ kind: 'cleared' });
    }
  };
  return api;
}

export type EngineApi = ReturnType<typeof createEngineApi>;
