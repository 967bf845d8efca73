import { transfer } from 'comlink';
import { listAnomalies } from '$lib/db/anomaly-store';
import type { StoreCounts } from '$lib/db/counts-ledger';
import { readStoreCounts } from '$lib/db/store-counts';
import { clearStoredData, type StoredAnomaly } from '$lib/db/database';
import { resultBuffers, runQuery } from '$lib/db/query';
import { findSeriesByKeys, readFirstSeriesByKey, readSeriesFrom } from '$lib/db/series-store';
import type { Columnar, QueryRequest, QueryResult, ResultEvent, SeriesRecord } from '$lib/types';
import type { EngineContext } from './context';
import { SeriesIndex } from './series-index';

/** The store's totals as pages show them: `points` includes the live heads' points. */
export type EngineCounts = Omit<StoreCounts, 'headPoints'>;

/** Meta keys that "delete all data" keeps: configuration, not data. */
const KeptMetaPrefix = 'alerts:';

/**
 * The engine's reads for pages (queries, raw points, series, events, anomalies, totals) and
 * "delete all data" (the demo load is demo.ts).
 */
export function createDataApi(ctx: EngineContext, options: { drainQueue: () => Promise<void> }) {
  let index = new SeriesIndex();
  /** Whether `index` was filled from the store once (until then a plain list reads the key index). */
  let built = false;
  /** Refreshes run one after another: each reads only what the previous one did not. */
  let refreshing: Promise<SeriesIndex> = Promise.resolve(index);

  /**
   * Brings the series index up to date: new series only, one key-range read. Ids only grow
   * and series are removed only by a clear, so the newest indexed series missing from the
   * store means a clear (in any tab): then it is rebuilt. (A count of the store here cost a
   * scan of every record per search at 100,000 series.)
   */
  async function refreshIndex(): Promise<SeriesIndex> {
    const { db } = await ctx.ready();
    const from = await readSeriesFrom(db, index.maxId);
    if (index.size > 0 && from[0]?.id !== index.maxId) {
      index = new SeriesIndex();
      index.addRecords(await readSeriesFrom(db, 0));
    } else index.addRecords(index.size > 0 ? from.slice(1) : from);
    built = true;
    return index;
  }

  function freshIndex(): Promise<SeriesIndex> {
    refreshing = refreshing.then(refreshIndex, refreshIndex);
    return refreshing;
  }

  return {
    /** Brings the series index up to date in the background (after an import). */
    warmSeriesIndex(): void {
      void freshIndex().catch(() => {});
    },

    /** Answers a query at the best tier; typed arrays are transferred, not cloned. */
    async query(request: QueryRequest): Promise<QueryResult> {
      const { db, metrics, rollups } = await ctx.ready();
      const result = await runQuery({
        db,
        metrics,
        rollups,
        request,
        timeZone: ctx.timeZone(),
        retention: ctx.retention()
      });
      return transfer(result, resultBuffers(result));
    },

    async listSeries(): Promise<SeriesRecord[]> {
      const { metrics } = await ctx.ready();
      return metrics.listSeries();
    },

    /**
     * Series matching `text` (words, or a selector `name{label="v"}`), by key, at most
     * `limit`, from an in-memory index kept up to date incrementally; `total` counts all
     * matches. Explore's list reads this instead of every record.
     */
    async searchSeries(request: {
      text: string;
      limit: number;
    }): Promise<{ series: SeriesRecord[]; total: number }> {
      const { db, metrics } = await ctx.ready();
      if (!built && request.text.trim() === '') {
        // Before the index is first filled (a read of every record: seconds at 100,000
        // series), the plain list comes from the key index and the kept counts, and the
        // index fills meanwhile for the first search.
        const [series, counts] = await Promise.all([
          readFirstSeriesByKey(db, request.limit),
          readStoreCounts(db)
        ]);
        void freshIndex().catch(() => {});
        return { series: series.map((r) => metrics.patchRecord(r)), total: counts.series };
      }
      const found = (await freshIndex()).search(request.text, request.limit);
      return { series: found.series.map((r) => metrics.patchRecord(r)), total: found.total };
    },

    /** The series stored under `keys` (as reads see them), in the order asked. */
    async seriesByKeys(keys: string[]): Promise<SeriesRecord[]> {
      const { db, metrics } = await ctx.ready();
      const found = await findSeriesByKeys(db, keys);
      return keys.flatMap((k) => {
        const r = found.find((s) => s.key === k);
        return r ? [metrics.patchRecord(r)] : [];
      });
    },

    /** Raw points of one series; the arrays are transferred, not cloned. */
    async readRaw(seriesId: number, from: number, to: number): Promise<Columnar> {
      const { metrics } = await ctx.ready();
      const r = await metrics.readRaw(seriesId, from, to);
      const out = { t: r.t.slice(), v: r.v.slice() };
      return transfer(out, [out.t.buffer, out.v.buffer]);
    },

    /** Stored anomalies, newest first, optionally of one series and a time range. */
    async listAnomalies(
      options: { seriesKey?: string; from?: number; to?: number; limit?: number } = {}
    ): Promise<StoredAnomaly[]> {
      const { db } = await ctx.ready();
      return listAnomalies(db, { ...options, limit: options.limit ?? 500 });
    },

    async recentEvents(limit: number): Promise<ResultEvent[]> {
      const { events } = await ctx.ready();
      return events.recent(limit);
    },

    /**
     * Stored totals, kept by every write in one `meta` record (db/counts-ledger.ts): one read
     * however much is stored, exact in every tab, while imports run too. `points` counts the
     * live path's acknowledged points not yet cut into chunks, as the series records the
     * pages show do.
     */
    async counts(): Promise<EngineCounts> {
      const { db } = await ctx.ready();
      const c = await readStoreCounts(db);
      return {
        series: c.series,
        events: c.events,
        chunks: c.chunks,
        points: c.points + c.headPoints,
        bytes: c.bytes,
        rollupBlocks: c.rollupBlocks,
        rollupBytes: c.rollupBytes
      };
    },

    /** Deletes every metric, event and derived record. Settings are kept. */
    async clearAll(): Promise<void> {
      const { db, metrics } = await ctx.ready();
      await options.drainQueue();
      // Data goes; configuration kept in meta (alert rules and their switches) stays.
      await clearStoredData(db, KeptMetaPrefix);
      metrics.resetCache();
      (await ctx.ready()).heads.reset();
      ctx.broadcast({ kind: 'cleared' });
    }
  };
}
