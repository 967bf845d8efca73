/**
 * Anomaly detection wired into the engine. On the leader, after each rollup pass, every
 * series' newly closed 1-minute buckets are fed to the default (ensemble) detector, whose
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
 * a series left behind stays pending and continues next pass. Live data that arrives
 * older than the 1-minute tier's retention (24 h by default) is not scored: the store does
 * not write those buckets (imports count retention from their own newest point, so an old
 * file is scored).
 */
import {
  createDetector,
  DEFAULT_ANOMALY_THRESHOLD,
  DEFAULT_DETECTOR,
  type AnomalyDetectorState,
  type AnomalyExplanation,
  type StreamingAnomalyDetector
} from '$lib/analytics/anomaly';
import { checkSuccess, readActionType, readDuration } from '$lib/analytics/resultlog-common';
import { computeQuantileSorted } from '$lib/analytics/stats';
import {
  commitDetections,
  countAnomalies,
  listDetectorRecords,
  MINUTE_MS,
  readAnomaliesNear,
  readAnomaly,
  readClosedBuckets,
  readEventsBetween,
  readFirstEventTime,
  readNewestEventTime,
  type DetectedAnomaly,
  type StoredDetectedAnomaly
} from '$lib/db/anomaly-store';
import type { DetectorRecord } from '$lib/db/database';
import { seriesKey as toSeriesKey } from '$lib/types/series-key';
import type { SeriesRecord } from '$lib/types';
import type { EngineContext } from './engine-api';

export const AnomalyWiringDefaults = {
  /** Most 1-minute buckets one series is fed in one pass (a day). */
  sliceBuckets: 1_440,
  /** Most buckets over all series in one pass, so a big import cannot stall the leader. */
  passBuckets: 40_000,
  /** Most event minutes processed in one pass (a day). */
  eventSliceMinutes: 1_440,
  /** Most events read in one pass; a denser slice is cut at a minute boundary. */
  eventSliceEvents: 100_000,
  /** Stored anomalies kept per series; the oldest go first (retention-like). */
  maxAnomaliesPerSeries: 500,
  /**
   * A series detector's state (~40 KB with its daily and weekly profiles) is stored when it
   * found an anomaly, else at most this often: writing it every minute per series was the
   * store's largest steady write load.
   */
  checkpointMs: 5 * 60_000,
  /** Series detectors kept in memory between passes (the oldest are dropped beyond). */
  maxLiveDetectors: 512
};

/** Prefixes of `db.detectors` keys, so alert detectors can share the table. */
export const DetectorKeyPrefix = { series: 'anomaly:', events: 'anomaly-events:' } as const;
const EVENTS_CURSOR_KEY = `${DetectorKeyPrefix.events}cursor`;

/**
 * Event series keep, beside the detector, an exponential mean of their values: an anomaly
 * is reported only above it (latency and failure rate are one-sided).
 */
export interface EventDetectorState {
  detector: AnomalyDetectorState;
  level: number;
}

/** Weight of the newest minute in an event series' level. */
export const EVENT_LEVEL_RATE = 0.05;

/** The next exponential mean of an event series (NaN until the first finite value). */
export function updateLevel(level: number, value: number): number {
  if (!Number.isFinite(value)) return level;
  return Number.isNaN(level) ? value : level + EVENT_LEVEL_RATE * (value - level);
}

/** Series keys of the derived event series of one action type. */
export function describeEventSeries(actionType: string): { latency: string; failure: string } {
  return {
    latency: `events:${toSeriesKey('latency_p95', { actionType })}`,
    failure: `events:${toSeriesKey('failure_rate', { actionType })}`
  };
}

export interface AnomalyPassStats {
  passes: number;
  /** Buckets fed to detectors, all passes (series and event minutes). */
  buckets: number;
  anomalies: number;
  /** Series (or the events cursor) with closed buckets not yet fed. */
  pending: number;
  lastPassAt: number | null;
  lastError: string | null;
}

export interface AnomalyExplanationView {
  anomaly: StoredDetectedAnomaly;
  /** The 1-minute bucket means around the anomaly (series anomalies; empty for events). */
  context: { t: number[]; v: number[] };
  /** Other anomalies of the series within the context window. */
  neighbours: number;
  text: string;
}

/**
 * A detected anomaly with the detector's band, departure and start (see AnomalyExplanation);
 * stored as extra properties of the record, which the store keeps as given.
 */
type ExplainedAnomaly = DetectedAnomaly &
  Partial<Pick<AnomalyExplanation, 'expected' | 'departure' | 'since'>>;

/** What the module needs beyond the context: nothing; options are for tests. */
export type AnomalyWiringOptions = Partial<typeof AnomalyWiringDefaults>;

/**
 * Creates the anomaly module: registers its after-rollup hook and returns the engine
 * methods (`runAnomalyPass`, `explainAnomaly`, `anomalyStats`, `configureAnomalies`).
 */
export function createAnomalyApi(ctx: EngineContext) {
  const config = { ...AnomalyWiringDefaults };
  const pending = new Set<number>();
  let checkedAll = false;
  let running: Promise<AnomalyPassStats> | null = null;
  const stats: AnomalyPassStats = {
    passes: 0,
    buckets: 0,
    anomalies: 0,
    pending: 0,
    lastPassAt: null,
    lastError: null
  };

  const detectorKey = (s: SeriesRecord) => `${DetectorKeyPrefix.series}${s.key}`;

  /**
   * Series detectors between passes, ahead of their stored position by the buckets fed
   * since the last checkpoint. Safe to lose (a restart, a new leader, eviction): the stored
   * state replays those buckets to the same scores, and they found nothing, since a pass
   * that finds an anomaly commits state, position and anomaly together. A commit expects the
   * position last committed here; when another engine moved it, the entry is dropped.
   */
  const live = new Map<
    string,
    {
      seriesId: number;
      detector: StreamingAnomalyDetector;
      upTo: number;
      committedUpTo: number;
      committedAt: number;
    }
  >();

  const restore = (record: DetectorRecord | undefined): StreamingAnomalyDetector =>
    record?.state
      ? createDetector({ state: record.state as AnomalyDetectorState })
      : createDetector({ detector: DEFAULT_DETECTOR });

  const describe = (
    d: StreamingAnomalyDetector,
    base: Omit<DetectedAnomaly, 'detector' | 'threshold'>
  ): DetectedAnomaly => {
    const e = d.explain();
    const out: ExplainedAnomaly = { ...base, detector: e.detector, threshold: d.threshold };
    if (e.model) out.model = e.model;
    if (Number.isFinite(e.evidence)) out.evidence = e.evidence;
    if (e.expected) out.expected = e.expected;
    if (e.departure !== undefined) out.departure = e.departure;
    if (e.since !== undefined) out.since = e.since;
    return out;
  };

  /** Feeds one series' closed buckets; returns how many it fed and whether more remain. */
  async function runSeries(s: SeriesRecord, budget: number) {
    const { db, rollups } = await ctx.ready();
    if (s.rolledUntil === undefined) return { fed: 0, more: false, found: 0 };
    const closedEnd = Math.floor(s.rolledUntil / MINUTE_MS) * MINUTE_MS;
    const key = detectorKey(s);
    let entry = live.get(key);
    // A cleared store re-creates its series under new ids: an entry of the old one is stale.
    if (!entry || entry.seriesId !== s.id) {
      const record = await db.detectors.get(key);
      const upTo = record?.upTo ?? -Infinity;
      entry = {
        seriesId: s.id,
        detector: restore(record),
        upTo,
        committedUpTo: upTo,
        committedAt: ctx.now()
      };
      live.delete(key);
      live.set(key, entry);
      if (live.size > config.maxLiveDetectors) live.delete(live.keys().next().value!);
    }
    const from = entry.upTo;
    if (from >= closedEnd) return { fed: 0, more: false, found: 0 };
    const buckets = await readClosedBuckets({
      db,
      rollups,
      seriesId: s.id,
      from,
      closedEnd,
      maxBuckets: Math.max(1, Math.min(config.sliceBuckets, budget))
    });
    const detector = entry.detector;
    const found: DetectedAnomaly[] = [];
    for (let i = 0; i < buckets.t.length; i++) {
      const score = detector.push(buckets.t[i], buckets.v[i]);
      if (score >= detector.threshold) {
        found.push(
          describe(detector, { seriesKey: s.key, t: buckets.t[i], value: buckets.v[i], score })
        );
      }
    }
    entry.upTo = buckets.next;
    const result = { fed: buckets.t.length, more: buckets.next < closedEnd, found: found.length };
    if (found.length === 0 && ctx.now() - entry.committedAt < config.checkpointMs) return result;
    const committed = await commitDetections({
      db,
      detectors: [
        {
          record: { key, seriesId: s.id, upTo: entry.upTo, state: detector.state() },
          expectedUpTo: entry.committedUpTo
        }
      ],
      anomalies: found,
      maxPerSeries: config.maxAnomaliesPerSeries
    });
    if (!committed) {
      live.delete(key);
      return { fed: 0, more: true, found: 0 };
    }
    entry.committedUpTo = entry.upTo;
    entry.committedAt = ctx.now();
    return result;
  }

  /**
   * Event minutes since the cursor: per action type, the minute's p95 duration and failure
   * rate, each pushed to its own detector. All event detectors and the cursor commit together.
   */
  async function runEvents(): Promise<{ fed: number; more: boolean; found: number }> {
    const { db } = await ctx.ready();
    const newest = await readNewestEventTime(db);
    if (newest === null) return { fed: 0, more: false, found: 0 };
    // The newest event's minute stays open until a later event arrives.
    const closedEnd = Math.floor(newest / MINUTE_MS) * MINUTE_MS;
    const cursorRecord = await db.detectors.get(EVENTS_CURSOR_KEY);
    const cursor = cursorRecord?.upTo ?? -Infinity;
    if (cursor >= closedEnd) return { fed: 0, more: false, found: 0 };
    const first = await readFirstEventTime(db, Number.isFinite(cursor) ? cursor : -Infinity);
    if (first === null) return { fed: 0, more: false, found: 0 };
    const from = Math.max(cursor, Math.floor(first / MINUTE_MS) * MINUTE_MS);
    let to = Math.min(closedEnd, from + config.eventSliceMinutes * MINUTE_MS);
    let list = await readEventsBetween({ db, from, to, limit: config.eventSliceEvents });
    if (list.length === config.eventSliceEvents) {
      // Too dense: stop at the last complete minute (or read one whole minute).
      const lastMinute = Math.floor(list[list.length - 1].t / MINUTE_MS) * MINUTE_MS;
      to = lastMinute > from ? lastMinute : from + MINUTE_MS;
      list =
        lastMinute > from
          ? list.filter((e) => e.t < to)
          : await readEventsBetween({ db, from, to, limit: Infinity });
    }
    // Group by minute, then action type.
    const minutes = new Map<number, Map<string, { durations: number[]; n: number; bad: number }>>();
    for (const e of list) {
      const m = Math.floor(e.t / MINUTE_MS) * MINUTE_MS;
      let byAction = minutes.get(m);
      if (!byAction) minutes.set(m, (byAction = new Map()));
      const action = readActionType(e);
      let g = byAction.get(action);
      if (!g) byAction.set(action, (g = { durations: [], n: 0, bad: 0 }));
      g.n++;
      if (!checkSuccess(e)) g.bad++;
      const d = readDuration(e);
      if (!Number.isNaN(d)) g.durations.push(d);
    }
    const actions = new Set<string>();
    for (const byAction of minutes.values()) for (const a of byAction.keys()) actions.add(a);
    const keys = [...actions].flatMap((a) => {
      const k = describeEventSeries(a);
      return [k.latency, k.failure];
    });
    const records = await db.detectors.bulkGet(keys.map((k) => DetectorKeyPrefix.events + k));
    const detectors = new Map<
      string,
      { d: StreamingAnomalyDetector; upTo: number; level: number }
    >();
    keys.forEach((k, i) => {
      const saved = records[i]?.state as EventDetectorState | undefined;
      detectors.set(k, {
        d: saved?.detector
          ? createDetector({ state: saved.detector })
          : createDetector({ detector: DEFAULT_DETECTOR }),
        upTo: records[i]?.upTo ?? -Infinity,
        level: saved?.level ?? NaN
      });
    });
    const found: DetectedAnomaly[] = [];
    let fed = 0;
    const feed = (key: string, t: number, value: number) => {
      const entry = detectors.get(key)!;
      const score = entry.d.push(t, value);
      entry.upTo = t + MINUTE_MS;
      fed++;
      // Latency and failure rate are only bad when high: a quiet minute is not an incident.
      if (score >= entry.d.threshold && !(value <= entry.level)) {
        found.push(describe(entry.d, { seriesKey: key, t, value, score }));
      }
      entry.level = updateLevel(entry.level, value);
    };
    for (const m of [...minutes.keys()].sort((a, b) => a - b)) {
      for (const [action, g] of minutes.get(m)!) {
        const k = describeEventSeries(action);
        g.durations.sort((a, b) => a - b);
        feed(k.latency, m, g.durations.length ? computeQuantileSorted(g.durations, 0.95) : NaN);
        feed(k.failure, m, g.bad / g.n);
      }
    }
    const committed = await commitDetections({
      db,
      detectors: [
        {
          record: { key: EVENTS_CURSOR_KEY, seriesId: null, upTo: to, state: null },
          expectedUpTo: cursor
        },
        ...[...detectors].map(([k, entry], i) => ({
          record: {
            key: DetectorKeyPrefix.events + k,
            seriesId: null,
            upTo: entry.upTo,
            state: { detector: entry.d.state(), level: entry.level } satisfies EventDetectorState
          },
          expectedUpTo: records[i]?.upTo ?? -Infinity
        }))
      ],
      anomalies: found,
      maxPerSeries: config.maxAnomaliesPerSeries
    });
    if (!committed) return { fed: 0, more: true, found: 0 };
    return { fed, more: to < closedEnd, found: found.length };
  }

  /** One detection pass over the given series plus every series left pending. */
  async function pass(seriesIds: readonly number[]): Promise<AnomalyPassStats> {
    const { db } = await ctx.ready();
    const all = await db.series.toArray();
    const byId = new Map(all.map((s) => [s.id, s]));
    for (const id of seriesIds) pending.add(id);
    if (!checkedAll) {
      // After a restart the in-memory pending set is empty: compare every series' position.
      const positions = new Map(
        (await listDetectorRecords(db, DetectorKeyPrefix.series)).map((r) => [r.key, r.upTo])
      );
      for (const s of all) {
        if (s.rolledUntil === undefined) continue;
        const upTo = positions.get(detectorKey(s)) ?? -Infinity;
        if (upTo < Math.floor(s.rolledUntil / MINUTE_MS) * MINUTE_MS) pending.add(s.id);
      }
      checkedAll = true;
    }
    let budget = config.passBuckets;
    const failures: string[] = [];
    let found = 0;
    let changed = false;
    for (const id of [...pending].sort((a, b) => a - b)) {
      const s = byId.get(id);
      if (!s) {
        pending.delete(id);
        continue;
      }
      if (budget <= 0) break;
      let r: { fed: number; more: boolean; found: number };
      try {
        r = await runSeries(s, budget);
      } catch (e) {
        // One unreadable series must not stall every other one: skip it until it gets new
        // data (its position is unchanged, so nothing is lost or repeated).
        failures.push(`${s.key}: ${(e as Error)?.message ?? String(e)}`);
        pending.delete(id);
        continue;
      }
      budget -= r.fed;
      stats.buckets += r.fed;
      found += r.found;
      if (r.fed > 0 || r.found > 0) changed = true;
      if (!r.more) pending.delete(id);
    }
    const ev = await runEvents();
    stats.buckets += ev.fed;
    found += ev.found;
    if (ev.fed > 0) changed = true;
    stats.passes++;
    stats.anomalies += found;
    stats.pending = pending.size + (ev.more ? 1 : 0);
    stats.lastPassAt = ctx.now();
    stats.lastError = failures.length ? failures.join('; ') : null;
    if (found > 0 || changed) ctx.broadcast({ kind: 'anomalies', count: found });
    return { ...stats };
  }

  async function runPass(seriesIds: readonly number[]): Promise<AnomalyPassStats> {
    // One pass at a time: the hook and a manual run share the positions.
    while (running) await running.catch(() => {});
    running = pass(seriesIds).catch((e: unknown) => {
      stats.lastError = (e as Error)?.message ?? String(e);
      throw e;
    });
    try {
      return await running;
    } finally {
      running = null;
    }
  }

  ctx.afterRollup.push(async ({ seriesIds }) => {
    await runPass(seriesIds);
  });

  return {
    /**
     * Runs one detection pass now over every series with closed buckets not yet fed (the
     * leader does this after each rollup pass). Bounded by `passBuckets`; call again while
     * `pending` > 0 to catch up.
     */
    async runAnomalyPass(): Promise<AnomalyPassStats> {
      checkedAll = false;
      return runPass([]);
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
    async explainAnomaly(
      id: number,
      options: { contextBuckets?: number } = {}
    ): Promise<AnomalyExplanationView | undefined> {
      const { db, rollups } = await ctx.ready();
      const anomaly = await readAnomaly(db, id);
      if (!anomaly) return undefined;
      const span = (options.contextBuckets ?? 30) * MINUTE_MS;
      const from = anomaly.t - span;
      const to = anomaly.t + span;
      const context: { t: number[]; v: number[] } = { t: [], v: [] };
      const series = await db.series.where('key').equals(anomaly.seriesKey).first();
      if (series) {
        const closed = await readClosedBuckets({
          db,
          rollups,
          seriesId: series.id,
          from,
          closedEnd: to + MINUTE_MS,
          maxBuckets: Math.round((2 * span) / MINUTE_MS) + 1
        });
        context.t = Array.from(closed.t);
        context.v = Array.from(closed.v);
      }
      const neighbours =
        (await readAnomaliesNear({ db, seriesKey: anomaly.seriesKey, from, to })).length - 1;
      const model = anomaly.model ? ` (${anomaly.model} profile)` : '';
      const sigma =
        anomaly.evidence !== undefined
          ? `${anomaly.evidence.toFixed(1)} σ from its prediction`
          : 'far from its prediction';
      const x = anomaly as ExplainedAnomaly;
      const short = (v: number) => Number(v.toPrecision(4));
      const band = x.expected
        ? ` It expected ${short(x.expected.low)}–${short(x.expected.high)}` +
          (x.departure
            ? `; the value was ${short(Math.abs(x.departure))} ${x.departure > 0 ? 'above' : 'below'}`
            : '') +
          (x.since !== undefined ? `, since ${new Date(x.since).toISOString()}` : '') +
          '.'
        : '';
      const text =
        `The ${anomaly.detector} detector${model} found the 1-minute mean ${Number(anomaly.value.toPrecision(4))} ` +
        `${sigma}; its calibrated score ${anomaly.score.toFixed(2)} reached the threshold ` +
        `${(anomaly.threshold ?? DEFAULT_ANOMALY_THRESHOLD).toFixed(2)}.${band}`;
      return { anomaly, context, neighbours: Math.max(0, neighbours), text };
    },

    /** Changes the pass limits (tests; the defaults suit the browser). */
    configureAnomalies(options: AnomalyWiringOptions): void {
      Object.assign(config, options);
    }
  };
}
