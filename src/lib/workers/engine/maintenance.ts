import { applySeriesRetention, rollupSeries, rollupSeriesGroup } from '$lib/db/rollup-store';
import { readMetaValue, writeMetaValue } from '$lib/db/meta-store';
import { listSeriesDueForRollup, readAllSeries } from '$lib/db/series-store';
import { nextCleanupTime } from '$lib/tsdb/retention';
import { DefaultRetention, RollupLagDefaults } from '$lib/types';
import type { EngineContext } from './context';
import { runBackgroundStages } from './pipeline';

/** How often the leader rolls up new points, and when it cleans up. */
export const EngineDefaults = {
  rollupIntervalMs: 5_000,
  cleanupHour: 2,
  cleanupEveryMs: 600_000,
  /** An import whose checkpoint is this recent counts as running (see rollupPass). */
  importActiveWindowMs: 15_000,
  /**
   * Live series rolled up per transaction. A read of the page (Explore's query) waits for
   * the read-write transaction in flight over the same stores, so a group is kept short
   * (100 transactions a pass at 10,000 series).
   */
  rollupGroupSeries: 100
};

export interface BackgroundStats {
  rollupPasses: number;
  /**
   * After the last pass: the oldest data a live series had not rolled up when the pass
   * began, measured at the pass's end (how late a point's rollups came; about the pass
   * interval plus the pass in steady state); 0 when nothing was due.
   */
  rollupLagMs: number;
  /** Live series the last pass found far behind (a backlog it rolled up in slices). */
  rollupBehind: number;
  rolledPoints: number;
  rollupMs: number;
  /** Bytes of rollup records written (blocks and heads), all passes. */
  rollupBytesWritten: number;
  /** Whether the last pass left imported series for later, an import being under way. */
  rollupsDeferredForImport: boolean;
  lastRollupAt: number | null;
  /** Passes that cut live heads into chunk records. */
  headCuts: number;
  lastCleanup: { at: number; chunks: number; blocks: number; events: number; bytes: number } | null;
  nextCleanupAt: number | null;
}

export type CleanupSummary = NonNullable<BackgroundStats['lastCleanup']>;

/** Background timers (tests pass fakes or run passes by hand). */
export interface BackgroundTimers {
  setInterval: (fn: () => void, ms: number) => unknown;
  clearInterval: (handle: unknown) => void;
}

/** Where the last cleanup's summary is kept, so every tab can show it. */
const LastCleanupKey = 'retention:last';

/**
 * The store's own upkeep on the leader: the rollup and retention stages of the background
 * pipeline, the timer that runs the pipeline, and the figures Settings shows.
 */
export function createMaintenanceApi(
  ctx: EngineContext,
  options: { drainQueue: () => Promise<void>; timers: BackgroundTimers }
) {
  const schedule = { ...EngineDefaults };
  const stats: BackgroundStats = {
    rollupPasses: 0,
    rollupLagMs: 0,
    rollupBehind: 0,
    rolledPoints: 0,
    rollupMs: 0,
    rollupBytesWritten: 0,
    rollupsDeferredForImport: false,
    lastRollupAt: null,
    headCuts: 0,
    lastCleanup: null,
    nextCleanupAt: null
  };
  let leader = false;
  let timer: unknown = null;
  let passRunning: Promise<void> | null = null;
  let passAgain = false;

  /** One rollup pass over every series with new or late points. */
  async function rollupPass(): Promise<{
    series: number;
    points: number;
    seriesIds: number[];
    importing: boolean;
  }> {
    const { db, metrics, rollups } = await ctx.ready();
    const started = ctx.now();
    // While a file is being imported its series wait: rolling up millions of fresh points
    // took the CPU the import needs (on two cores the 1 GB import bench spent most of its
    // time waiting on the store). Their raw points are stored and queries stitch them; the
    // rollups catch up once the import is done or has stopped. Live series go on as usual.
    let importing = await ctx.importActive(started);
    const due = await listSeriesDueForRollup(db, {
      deferImported: importing,
      patch: (s) => metrics.patchRecord(s)
    });
    stats.rollupsDeferredForImport = importing;
    let points = 0;
    let checkedAt = started;
    // Live series (a few minutes of points each) go in groups, one transaction per group:
    // at thousands of series a transaction each took minutes per pass (issue 28).
    const live = due.filter((s) => s.source !== 'import');
    let oldest = Infinity;
    for (const s of live) oldest = Math.min(oldest, s.rolledUntil ?? s.firstT ?? Infinity);
    const behind = new Set<number>();
    for (let i = 0; i < live.length; i += schedule.rollupGroupSeries) {
      const group = live.slice(i, i + schedule.rollupGroupSeries);
      const results = await rollupSeriesGroup({
        db,
        metrics,
        rollups,
        seriesIds: group.map((s) => s.id),
        timeZone: ctx.timeZone(),
        retention: ctx.retention(),
        now: ctx.now()
      });
      results.forEach((r, k) => {
        points += r.points;
        stats.rollupBytesWritten += r.bytes;
        if (r.more) behind.add(group[k].id);
      });
      await ctx.pause();
    }
    // A live series far behind (a backlog) and every imported series: in slices, one by one.
    const slow = due.filter((s) => behind.has(s.id) || s.source === 'import');
    for (const s of slow) {
      // A series far behind (a big import) is rolled up in slices, a transaction each.
      for (;;) {
        if (s.source === 'import' && ctx.now() - checkedAt > 1000) {
          // A long catch-up of imported series stops when the next import starts.
          checkedAt = ctx.now();
          importing = await ctx.importActive(checkedAt);
          stats.rollupsDeferredForImport = importing;
        }
        if (importing && s.source === 'import') break;
        const r = await rollupSeries({
          db,
          metrics,
          rollups,
          seriesId: s.id,
          timeZone: ctx.timeZone(),
          retention: ctx.retention(),
          now: ctx.now()
        });
        points += r.points;
        stats.rollupBytesWritten += r.bytes;
        await ctx.pause();
        if (!r.more) break;
      }
    }
    stats.rollupPasses++;
    const lag = Number.isFinite(oldest) ? Math.max(0, ctx.now() - oldest) : 0;
    const wasBehind = stats.rollupLagMs > RollupLagDefaults.behindMs;
    stats.rollupLagMs = lag;
    stats.rollupBehind = behind.size;
    if (wasBehind !== lag > RollupLagDefaults.behindMs)
      ctx.broadcast({ kind: 'rollup-lag', lagMs: lag, series: behind.size });
    stats.rolledPoints += points;
    stats.rollupMs += ctx.now() - started;
    stats.lastRollupAt = ctx.now();
    return { series: due.length, points, seriesIds: due.map((s) => s.id), importing };
  }

  /** Retention over every series and the events, each tier in its own small transaction. */
  async function cleanup(): Promise<CleanupSummary> {
    const { db, events } = await ctx.ready();
    const at = ctx.now();
    const retention = ctx.retention();
    const total = { at, chunks: 0, blocks: 0, events: 0, bytes: 0 };
    for (const s of await readAllSeries(db)) {
      const r = await applySeriesRetention({
        db,
        seriesId: s.id,
        now: at,
        timeZone: ctx.timeZone(),
        retention
      });
      total.chunks += r.chunks;
      total.blocks += r.blocks;
      total.bytes += r.bytes;
      await ctx.pause();
    }
    total.events = await events.deleteBefore(at - (retention.events ?? DefaultRetention.events));
    stats.lastCleanup = total;
    await writeMetaValue(db, LastCleanupKey, total);
    // Every tab's counts drop: the status bar says why.
    if (total.chunks + total.blocks + total.events > 0)
      ctx.broadcast({
        kind: 'retention',
        chunks: total.chunks,
        blocks: total.blocks,
        events: total.events
      });
    return total;
  }

  ctx.stages.rollup = async (pass) => {
    await options.drainQueue();
    // Live heads that are full or old become chunk records first (the leader writes them).
    const { heads } = await ctx.ready();
    const cut = await heads.cut(ctx.now());
    stats.headCuts += cut.series > 0 ? 1 : 0;
    const r = await rollupPass();
    pass.seriesIds = r.seriesIds;
    pass.importing = r.importing;
  };

  // Retention at start, daily at 02:00 local, and every 10 minutes in between so fine tiers
  // (kept an hour) never pile up under heavy load.
  ctx.stages.retention = async ({ now }) => {
    const due =
      (stats.nextCleanupAt !== null && now >= stats.nextCleanupAt) ||
      (stats.lastCleanup !== null && now - stats.lastCleanup.at >= schedule.cleanupEveryMs);
    if (!due) return;
    await cleanup();
    stats.nextCleanupAt = nextCleanupTime({
      now: ctx.now(),
      timeZone: ctx.timeZone(),
      hour: EngineDefaults.cleanupHour
    });
  };

  /**
   * One background pass. A call while a pass runs is not doubled: it asks for one more pass
   * once the running one ends (the data it was called for may have come after that pass
   * read it), and resolves when that one is done.
   */
  async function runBackgroundPass(): Promise<void> {
    if (passRunning) {
      passAgain = true;
      return passRunning;
    }
    passRunning = (async () => {
      do {
        passAgain = false;
        await runBackgroundStages({
          stages: ctx.stages,
          pass: { seriesIds: [], now: ctx.now(), importing: false },
          now: ctx.now,
          yieldToQueries: ctx.pause
        }).catch(() => {
          // A closed database (upgrade elsewhere) or a full disk: the page shows why; retry next tick.
        });
      } while (passAgain);
    })().finally(() => (passRunning = null));
    return passRunning;
  }

  async function readLastCleanup(): Promise<BackgroundStats['lastCleanup']> {
    const { db } = await ctx.ready();
    return readMetaValue<BackgroundStats['lastCleanup']>(db, LastCleanupKey, null);
  }

  return {
    /**
     * Called by the page when this tab wins or loses the Web Locks election. The leader
     * runs the background pipeline every few seconds (rollups, retention at start and daily
     * at 02:00 local, detectors, alerts, insights).
     */
    async setLeader(isLeader: boolean): Promise<void> {
      leader = isLeader;
      await (await ctx.ready()).heads.setWriter(isLeader);
      if (timer !== null) options.timers.clearInterval(timer);
      timer = null;
      if (!isLeader) return;
      const last = await readLastCleanup();
      if (last) stats.lastCleanup = last;
      stats.nextCleanupAt = ctx.now();
      timer = options.timers.setInterval(() => void runBackgroundPass(), schedule.rollupIntervalMs);
      void runBackgroundPass();
    },

    isLeader(): boolean {
      return leader;
    },

    /** Runs one whole background pass now, in pipeline order (tests and benchmarks). */
    runBackgroundPass,

    /** Runs one rollup pass now (tests, benchmarks, and "refresh" in the UI). */
    rollupPass,

    /** Applies retention now. */
    cleanup,

    /** What the last cleanup (in any tab) freed, from the store. */
    lastCleanup: readLastCleanup,

    backgroundStats(): BackgroundStats {
      return { ...stats };
    },

    /** Changes how often the leader rolls up and cleans up (applies at the next setLeader). */
    configureBackground(options: Partial<typeof EngineDefaults>): void {
      Object.assign(schedule, options);
    }
  };
}
