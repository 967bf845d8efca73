/**
 * Anomaly detection wired into the engine. On the leader, after each rollup pass, every
 * series' newly closed 1-minute buckets are fed to the default detector (ARTime), whose
 * state lives in `db.detectors` between passes; result-log events become two derived series
 * per action type (1-minute p95 latency and failure rate) fed the same way, reported only
 * above their running level (high is bad for both).
 *
 * Exactly-once: a detector's state, its position (`upTo`, the end of the last bucket it
 * learnt) and the anomalies it produced commit in one transaction, and the commit checks
 * the position it started from, so a crash, a retry or a second engine neither duplicates
 * nor skips a bucket. A bucket is closed when the series' rolled-up data is past its end;
 * late points for a bucket already scored are not re-scored (online detection has no
 * look-back). Catch-up after a long import is bounded per pass (see AnomalyWiringDefaults):
 * a series left behind stays pending and continues next pass.
 *
 * At scale (issue 28: 10,000 series) every pass walks every series in groups (one bulk read
 * of detector records, one read transaction for their buckets, one commit transaction), and
 * a pass that runs out of budget resumes next time at the series it did not reach (round
 * robin), so no series starves; `lagMs` in the stats says how far behind the slowest is. Live data that arrives
 * older than the 1-minute tier's retention (24 h by default) is not scored: the store does
 * not write those buckets (imports count retention from their own newest point, so an old
 * file is scored).
 */
import {
  createDetector,
  DEFAULT_ANOMALY_THRESHOLD,
  DEFAULT_DETECTOR,
  type AnomalyDetectorState,
  type StreamingAnomalyDetector
} from '$lib/analytics/anomaly';
import {
  commitDetectionGroup,
  countAnomalies,
  DetectorKeyPrefix,
  MINUTE_MS,
  readClosedBucketsGroup,
  readDetectorRecords,
  type DetectedAnomaly
} from '$lib/db/anomaly-store';
import type { DetectorRecord } from '$lib/db/database';
import { readAllSeries } from '$lib/db/series-store';
import type { SeriesRecord } from '$lib/types';
import { describeDetection, runEventDetectors } from './anomaly-events';
import { explainAnomaly } from './anomaly-explain';
import type { EngineContext } from './context';

export const AnomalyWiringDefaults = {
  /** Most 1-minute buckets one series is fed in one pass (a day). */
  sliceBuckets: 1_440,
  /** Most buckets over all series in one pass, so a big import cannot stall the leader. */
  passBuckets: 40_000,
  /**
   * Series handled together: one bulk read of their detector records, one read transaction
   * for their buckets, one commit transaction for the detectors that must be stored.
   */
  groupSeries: 500,
  /** Most event minutes processed in one pass (a day). */
  eventSliceMinutes: 1_440,
  /** Most events read in one pass; a denser slice is cut at a minute boundary. */
  eventSliceEvents: 100_000,
  /** Stored anomalies kept per series; the oldest go first (retention-like). */
  maxAnomaliesPerSeries: 500,
  /**
   * A series detector's state (≤ ~5 KB serialised for the default) is stored when it found an
   * anomaly, else at most this often: writing it every minute per series was the store's
   * largest steady write load.
   */
  checkpointMs: 5 * 60_000,
  /**
   * Series detectors kept live in memory between passes. A live default detector measured
   * ~9 KB of heap (its JSON state ~5 KB), so 2,048 take ~19 MB of the 200 MB budget. Other
   * series are cold: their state is read in bulk with their group, fed, and stored again at
   * the end of the pass (so a cold detector never loses its progress).
   */
  maxLiveDetectors: 2_048
};

export interface AnomalyPassStats {
  passes: number;
  /** Buckets fed to detectors, all passes (series and event minutes). */
  buckets: number;
  anomalies: number;
  /** Series (or the events cursor) with closed buckets not yet fed. */
  pending: number;
  /**
   * After the last pass: how far (ms) the slowest series is behind its newest closed minute
   * (0 when every series is caught up; a series never fed counts from its first point), and
   * how many series with data were never fed.
   */
  lagMs: number;
  unscored: number;
  /** Series fed in the last pass, and the series id the next pass starts from (round robin). */
  lastPassSeries: number;
  cursor: number;
  lastPassAt: number | null;
  lastError: string | null;
}

/** What the module needs beyond the context: nothing; options are for tests. */
export type AnomalyWiringOptions = Partial<typeof AnomalyWiringDefaults>;

interface SeriesEntry {
  seriesId: number;
  detector: StreamingAnomalyDetector;
  upTo: number;
  committedUpTo: number;
  committedAt: number;
}

/**
 * Creates the anomaly module: registers its after-rollup hook and returns the engine
 * methods (`runAnomalyPass`, `explainAnomaly`, `anomalyStats`, `configureAnomalies`).
 */
export function createAnomalyApi(ctx: EngineContext) {
  const config = { ...AnomalyWiringDefaults };
  let running: Promise<AnomalyPassStats> | null = null;
  const stats: AnomalyPassStats = {
    passes: 0,
    buckets: 0,
    anomalies: 0,
    pending: 0,
    lagMs: 0,
    unscored: 0,
    lastPassSeries: 0,
    cursor: 0,
    lastPassAt: null,
    lastError: null
  };

  const detectorKey = (s: SeriesRecord) => `${DetectorKeyPrefix.series}${s.key}`;
  /** Where a series' next bucket can start: its position, or its first point's minute. */
  const startOf = (s: SeriesRecord, upTo: number) =>
    Math.max(
      upTo,
      s.firstT === undefined ? -Infinity : Math.floor(s.firstT / MINUTE_MS) * MINUTE_MS
    );
  const closedEndOf = (s: SeriesRecord) =>
    s.rolledUntil === undefined ? -Infinity : Math.floor(s.rolledUntil / MINUTE_MS) * MINUTE_MS;

  /**
   * Live series detectors between passes, ahead of their stored position by the buckets fed
   * since the last checkpoint. Safe to lose (a restart, a new leader): the stored state
   * replays those buckets to the same scores, and they found nothing, since a pass that finds
   * an anomaly commits state, position and anomaly together. A commit expects the position
   * last committed here; when another engine moved it, the entry is dropped.
   */
  const live = new Map<string, SeriesEntry>();
  /** Every series' known position (live or stored): skips caught-up series without a read. */
  const positions = new Map<number, number>();
  /** Series whose buckets could not be read, skipped until their rolled-up data moves. */
  const broken = new Map<number, number | undefined>();
  /** Where the next pass starts: the first series id ≥ cursor (round robin, no starvation). */
  let cursor = 0;

  const restore = (record: DetectorRecord | undefined): StreamingAnomalyDetector =>
    record?.state
      ? createDetector({ state: record.state as AnomalyDetectorState })
      : createDetector({ detector: DEFAULT_DETECTOR });

  /**
   * One group: bulk-reads the records of series without a live detector, reads every
   * series' closed buckets in one transaction, feeds them, and commits in one transaction
   * the detectors that found something, are due a checkpoint, or are cold. Returns the
   * budget left and, when the budget ran out inside the group, the id to resume from.
   */
  async function runGroup(group: SeriesRecord[], budget: number, failures: string[]) {
    const { db, rollups } = await ctx.ready();
    const now = ctx.now();
    const due = group.filter((s) => {
      if (s.rolledUntil === undefined) return false;
      if (broken.has(s.id) && broken.get(s.id) === s.rolledUntil) return false;
      broken.delete(s.id);
      return (positions.get(s.id) ?? -Infinity) < closedEndOf(s);
    });
    // A cleared store re-creates its series under new ids: an entry of the old one is stale.
    const missing = due.filter((s) => live.get(detectorKey(s))?.seriesId !== s.id);
    const records = missing.length ? await readDetectorRecords(db, missing.map(detectorKey)) : [];
    const entries = new Map<number, { entry: SeriesEntry; hot: boolean }>();
    missing.forEach((s, i) => {
      const key = detectorKey(s);
      live.delete(key);
      const upTo = records[i]?.upTo ?? -Infinity;
      positions.set(s.id, upTo);
      if (upTo >= closedEndOf(s)) return;
      try {
        const entry = {
          seriesId: s.id,
          detector: restore(records[i]),
          upTo,
          committedUpTo: upTo,
          committedAt: now
        };
        const hot = live.size < config.maxLiveDetectors;
        if (hot) live.set(key, entry);
        entries.set(s.id, { entry, hot });
      } catch (e) {
        failures.push(`${s.key}: ${(e as Error)?.message ?? String(e)}`);
        broken.set(s.id, s.rolledUntil);
      }
    });
    for (const s of due) {
      const entry = live.get(detectorKey(s));
      if (entry?.seriesId === s.id && !entries.has(s.id)) entries.set(s.id, { entry, hot: true });
    }
    // Reserve each series' slice from the budget, in order; stop where it runs out.
    const work: { s: SeriesRecord; entry: SeriesEntry; hot: boolean; maxBuckets: number }[] = [];
    let resumeAt: number | null = null;
    for (const s of due) {
      const e = entries.get(s.id);
      if (!e) continue;
      if (budget <= 0) {
        resumeAt = s.id;
        break;
      }
      const from = startOf(s, e.entry.upTo);
      const wanted = Number.isFinite(from)
        ? Math.ceil((closedEndOf(s) - from) / MINUTE_MS)
        : config.sliceBuckets;
      const maxBuckets = Math.max(1, Math.min(config.sliceBuckets, wanted, budget));
      budget -= maxBuckets;
      work.push({ s, ...e, maxBuckets });
    }
    const reads = await readClosedBucketsGroup({
      db,
      rollups,
      requests: work.map((w) => ({
        seriesId: w.s.id,
        from: w.entry.upTo,
        closedEnd: closedEndOf(w.s),
        maxBuckets: w.maxBuckets
      }))
    });
    const toStore: {
      record: DetectorRecord;
      expectedUpTo: number;
      anomalies: DetectedAnomaly[];
      w: (typeof work)[number];
    }[] = [];
    let fed = 0;
    // Reserved slices that held fewer buckets (gaps, retention) go back to the pass.
    let refund = 0;
    work.forEach((w, i) => {
      const buckets = reads[i];
      const key = detectorKey(w.s);
      if (buckets instanceof Error) {
        // One unreadable series must not stall the others: skip it until it gets new data
        // (its position is unchanged, so nothing is lost or repeated).
        failures.push(`${w.s.key}: ${buckets.message}`);
        broken.set(w.s.id, w.s.rolledUntil);
        live.delete(key);
        return;
      }
      const detector = w.entry.detector;
      const found: DetectedAnomaly[] = [];
      for (let j = 0; j < buckets.t.length; j++) {
        const score = detector.push(buckets.t[j], buckets.v[j]);
        if (score >= detector.threshold) {
          found.push(
            describeDetection(detector, {
              seriesKey: w.s.key,
              t: buckets.t[j],
              value: buckets.v[j],
              score
            })
          );
        }
      }
      fed += buckets.t.length;
      refund += w.maxBuckets - buckets.t.length;
      w.entry.upTo = buckets.next;
      positions.set(w.s.id, w.entry.upTo);
      const store =
        found.length > 0 ||
        (!w.hot && w.entry.upTo !== w.entry.committedUpTo) ||
        (w.entry.upTo !== w.entry.committedUpTo &&
          now - w.entry.committedAt >= config.checkpointMs);
      if (!store) return;
      toStore.push({
        record: { key, seriesId: w.s.id, upTo: w.entry.upTo, state: detector.state() },
        expectedUpTo: w.entry.committedUpTo,
        anomalies: found,
        w
      });
    });
    const committed = await commitDetectionGroup({
      db,
      detectors: toStore.map(({ record, expectedUpTo, anomalies }) => ({
        record,
        expectedUpTo,
        anomalies
      })),
      maxPerSeries: config.maxAnomaliesPerSeries
    });
    let found = 0;
    for (const c of toStore) {
      if (committed.has(c.record.key)) {
        c.w.entry.committedUpTo = c.w.entry.upTo;
        c.w.entry.committedAt = now;
        found += c.anomalies.length;
      } else {
        // Another engine moved this series: forget ours, re-read its record next pass.
        live.delete(c.record.key);
        positions.delete(c.w.s.id);
      }
    }
    return { budget: budget + refund, resumeAt, fed, found, series: work.length };
  }

  /**
   * One detection pass: every series, in groups, starting where the last pass stopped, until
   * the bucket budget runs out; then the event detectors.
   */
  async function pass(): Promise<AnomalyPassStats> {
    const { db } = await ctx.ready();
    const all = (await readAllSeries(db)).slice().sort((a, b) => a.id - b.id);
    const ids = new Set(all.map((s) => s.id));
    for (const id of positions.keys()) if (!ids.has(id)) positions.delete(id);
    for (const [key, e] of live) if (!ids.has(e.seriesId)) live.delete(key);
    const start = Math.max(
      0,
      all.findIndex((s) => s.id >= cursor)
    );
    const order = [...all.slice(start), ...all.slice(0, start)];
    let budget = config.passBuckets;
    const failures: string[] = [];
    let found = 0;
    let fedSeries = 0;
    let changed = false;
    let resumeAt: number | null = null;
    for (let g = 0; g < order.length; g += config.groupSeries) {
      if (budget <= 0) {
        resumeAt = order[g].id;
        break;
      }
      const r = await runGroup(order.slice(g, g + config.groupSeries), budget, failures);
      budget = r.budget;
      stats.buckets += r.fed;
      found += r.found;
      fedSeries += r.series;
      if (r.fed > 0 || r.found > 0) changed = true;
      await ctx.pause();
      if (r.resumeAt !== null) {
        resumeAt = r.resumeAt;
        break;
      }
    }
    // Round robin: a pass that ran out of budget resumes at the series it did not reach.
    if (resumeAt !== null) cursor = resumeAt;
    const ev = await runEventDetectors(ctx, config);
    stats.buckets += ev.fed;
    found += ev.found;
    if (ev.fed > 0) changed = true;
    let pendingSeries = 0;
    let lag = 0;
    let unscored = 0;
    for (const s of all) {
      const end = closedEndOf(s);
      if (!Number.isFinite(end) || broken.has(s.id)) continue;
      const at = positions.get(s.id) ?? -Infinity;
      if (at >= end) continue;
      pendingSeries++;
      if (!Number.isFinite(at)) unscored++;
      const from = startOf(s, at);
      if (Number.isFinite(from)) lag = Math.max(lag, end - from);
    }
    stats.passes++;
    stats.anomalies += found;
    stats.pending = pendingSeries + (ev.more ? 1 : 0);
    stats.lagMs = lag;
    stats.unscored = unscored;
    stats.lastPassSeries = fedSeries;
    stats.cursor = cursor;
    stats.lastPassAt = ctx.now();
    stats.lastError = failures.length ? failures.join('; ') : null;
    if (found > 0 || changed) ctx.broadcast({ kind: 'anomalies', count: found });
    return { ...stats };
  }

  async function runPass(): Promise<AnomalyPassStats> {
    // One pass at a time: the hook and a manual run share the positions.
    while (running) await running.catch(() => {});
    running = pass().catch((e: unknown) => {
      stats.lastError = (e as Error)?.message ?? String(e);
      throw e;
    });
    try {
      return await running;
    } finally {
      running = null;
    }
  }

  ctx.stages.detect = async () => {
    await runPass();
  };

  return {
    /**
     * Runs one detection pass now over every series with closed buckets not yet fed (the
     * leader does this after each rollup pass). Bounded by `passBuckets`; call again while
     * `pending` > 0 to catch up.
     */
    async runAnomalyPass(): Promise<AnomalyPassStats> {
      return runPass();
    },

    /** Counts of stored anomalies (per series and detector) and the pass figures. */
    async anomalyStats() {
      const { db } = await ctx.ready();
      const counts = await countAnomalies(db);
      return {
        ...counts,
        pass: { ...stats },
        threshold: DEFAULT_ANOMALY_THRESHOLD,
        detector: DEFAULT_DETECTOR,
        limits: { ...config }
      };
    },

    /**
     * Why an anomaly fired: the detector member and model, the evidence in σ, and the
     * 1-minute bucket means around it (series anomalies). Undefined for an unknown id.
     */
    explainAnomaly: (id: number, options: { contextBuckets?: number } = {}) =>
      explainAnomaly(ctx, id, options),

    /** Changes the pass limits (tests; the defaults suit the browser). */
    configureAnomalies(options: AnomalyWiringOptions): void {
      Object.assign(config, options);
    }
  };
}
