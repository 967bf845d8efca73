import { aggregateColumns, countBuckets } from '$lib/tsdb/columns';
import type { AnomalyRecord } from '$lib/types';
import type { DetectorRecord, StoredAnomaly, StoredEvent, TidemarkDb } from './database';
import { blockStartOf, type RollupStore } from './rollup-store';

/** Prefixes of `detectors` keys, so alert detectors can share the table. */
export const DetectorKeyPrefix = { series: 'anomaly:', events: 'anomaly-events:' } as const;

/** Width of the buckets the detectors read: the 1-minute rollup tier. */
export const MINUTE_MS = 60_000;

/** An anomaly as stored by the engine: the record plus why the detector fired. */
export interface DetectedAnomaly extends AnomalyRecord {
  /** Which seasonal profile predicted the value, when the seasonal member fired. */
  model?: 'level' | 'daily' | 'weekly';
  /** How far the point was from the prediction, in the model's σ. */
  evidence?: number;
  /** The score at which the detector reports (the score is compared with this). */
  threshold?: number;
  /** The band the detector expected the value in, in the series' units. */
  expected?: { low: number; high: number };
  /** The signed distance of the judged value from that band. */
  departure?: number;
  /** When the departure began (epoch ms). */
  since?: number;
}

export interface StoredDetectedAnomaly extends DetectedAnomaly {
  id?: number;
}

export interface ClosedBuckets {
  /** Bucket starts, ascending. */
  t: Float64Array;
  /** Bucket means (NaN for a bucket without a finite point). */
  v: Float64Array;
  /** Where the next read starts: everything before it has been read (or holds no data). */
  next: number;
}

/**
 * Reads up to `maxBuckets` closed 1-minute buckets of a series starting at `from`, ending
 * before `closedEnd` (minute-aligned). A gap (no blocks) is skipped in one index lookup, so
 * a series with a long hole, or whose old buckets retention removed, costs no empty reads.
 */
export async function readClosedBuckets(options: {
  db: TidemarkDb;
  rollups: RollupStore;
  seriesId: number;
  from: number;
  closedEnd: number;
  maxBuckets: number;
}): Promise<ClosedBuckets> {
  const { db, rollups, seriesId, closedEnd } = options;
  let from = await findDataStart({ db, seriesId, from: options.from, closedEnd });
  if (from >= closedEnd) return { t: new Float64Array(0), v: new Float64Array(0), next: closedEnd };
  from = Math.floor(from / MINUTE_MS) * MINUTE_MS;
  const to = Math.min(closedEnd, from + options.maxBuckets * MINUTE_MS);
  const cols = await rollups.read(seriesId, '1m', from, to - 1, { sketches: false });
  const avg = aggregateColumns(cols, ['avg']).avg!;
  const keep: number[] = [];
  for (let i = 0; i < countBuckets(cols); i++) {
    if (cols.start[i] >= from && cols.start[i] < to) keep.push(i);
  }
  return {
    t: Float64Array.from(keep, (i) => cols.start[i]),
    v: Float64Array.from(keep, (i) => avg[i]),
    next: to
  };
}

/**
 * Reads the closed buckets of many series (see readClosedBuckets) in ONE read transaction,
 * every request issued together, so a group costs a few IndexedDB round trips instead of one
 * transaction per series. A request that fails (an unreadable block) gives its Error in its
 * slot and does not fail the others.
 */
export async function readClosedBucketsGroup(options: {
  db: TidemarkDb;
  rollups: RollupStore;
  requests: { seriesId: number; from: number; closedEnd: number; maxBuckets: number }[];
}): Promise<(ClosedBuckets | Error)[]> {
  const { db, rollups, requests } = options;
  if (!requests.length) return [];
  return db.transaction('r', db.rollups, () =>
    Promise.all(
      requests.map((r) =>
        readClosedBuckets({ db, rollups, ...r }).catch((e: unknown) =>
          e instanceof Error ? e : new Error(String(e))
        )
      )
    )
  );
}

/** The first time ≥ `from` where a 1-minute block of the series may hold data; `closedEnd` when none. */
async function findDataStart(options: {
  db: TidemarkDb;
  seriesId: number;
  from: number;
  closedEnd: number;
}): Promise<number> {
  const { db, seriesId, from, closedEnd } = options;
  const lo = Number.isFinite(from) ? blockStartOf(from, '1m') : -Infinity;
  const blocks = await db.rollups
    .where('[seriesId+tier+t0]')
    .between([seriesId, '1m', lo], [seriesId, '1m', closedEnd], true, false)
    .limit(4)
    .toArray();
  for (const b of blocks) {
    // A block holds n buckets ending at t1, so none starts before t1 − (n − 1) minutes.
    if (b.t1 >= from) return Math.max(from, b.t0, b.t1 - (b.n - 1) * MINUTE_MS);
  }
  if (blocks.length < 4) return closedEnd;
  // Four blocks all before `from` cannot happen with aligned blocks; stay safe and read on.
  return Math.max(from, blocks[blocks.length - 1].t0);
}

/**
 * Saves detector states and the anomalies they produced in one transaction, so a crash can
 * neither duplicate nor skip anomalies: either state, position and anomalies are all stored
 * or none is. `expectedUpTo` is the position the caller started from; when a record moved
 * since (another engine ran the same pass), nothing is written and false is returned.
 * Afterwards each touched series keeps at most `maxPerSeries` anomalies, the newest.
 */
export async function commitDetections(options: {
  db: TidemarkDb;
  detectors: { record: DetectorRecord; expectedUpTo: number }[];
  anomalies: DetectedAnomaly[];
  maxPerSeries: number;
}): Promise<boolean> {
  const { db, detectors, anomalies, maxPerSeries } = options;
  return db.transaction('rw', [db.detectors, db.anomalies], async () => {
    const current = await db.detectors.bulkGet(detectors.map((d) => d.record.key));
    for (let i = 0; i < detectors.length; i++) {
      const upTo = current[i]?.upTo ?? -Infinity;
      if (upTo !== detectors[i].expectedUpTo) return false;
    }
    await storeDetections({ db, records: detectors.map((d) => d.record), anomalies, maxPerSeries });
    return true;
  });
}

/** Writes records and anomalies, then trims each touched series to `maxPerSeries` (in the caller's transaction). */
async function storeDetections(options: {
  db: TidemarkDb;
  records: DetectorRecord[];
  anomalies: DetectedAnomaly[];
  maxPerSeries: number;
}): Promise<void> {
  const { db, records, anomalies, maxPerSeries } = options;
  await db.detectors.bulkPut(records);
  if (anomalies.length) await db.anomalies.bulkAdd(anomalies.map((a) => ({ ...a })));
  for (const key of new Set(anomalies.map((a) => a.seriesKey))) {
    const range = db.anomalies
      .where('[seriesKey+t]')
      .between([key, -Infinity], [key, Infinity], true, true);
    const excess = (await range.count()) - maxPerSeries;
    if (excess > 0) await db.anomalies.bulkDelete(await range.limit(excess).primaryKeys());
  }
}

/**
 * Like commitDetections for a group of independent series, in ONE transaction, but each
 * detector on its own: one whose stored position moved since `expectedUpTo` (another engine
 * ran it) is skipped with its anomalies, the others commit. Returns the keys committed.
 */
export async function commitDetectionGroup(options: {
  db: TidemarkDb;
  detectors: { record: DetectorRecord; expectedUpTo: number; anomalies: DetectedAnomaly[] }[];
  maxPerSeries: number;
}): Promise<Set<string>> {
  const { db, detectors, maxPerSeries } = options;
  if (!detectors.length) return new Set();
  return db.transaction('rw', [db.detectors, db.anomalies], async () => {
    const current = await db.detectors.bulkGet(detectors.map((d) => d.record.key));
    const ok = detectors.filter((d, i) => (current[i]?.upTo ?? -Infinity) === d.expectedUpTo);
    await storeDetections({
      db,
      records: ok.map((d) => d.record),
      anomalies: ok.flatMap((d) => d.anomalies),
      maxPerSeries
    });
    return new Set(ok.map((d) => d.record.key));
  });
}

/** Detector records whose key starts with `prefix`. */
export async function listDetectorRecords(
  db: TidemarkDb,
  prefix: string
): Promise<DetectorRecord[]> {
  return db.detectors.where('key').startsWith(prefix).toArray();
}

/** One stored anomaly by id. */
export async function readAnomaly(
  db: TidemarkDb,
  id: number
): Promise<StoredDetectedAnomaly | undefined> {
  return (await db.anomalies.get(id)) as StoredDetectedAnomaly | undefined;
}

/** Anomaly counts per series key and per detector, and the newest anomaly time. */
export async function countAnomalies(db: TidemarkDb): Promise<{
  total: number;
  bySeries: Record<string, number>;
  byDetector: Record<string, number>;
  newest: number | null;
}> {
  const bySeries: Record<string, number> = {};
  const byDetector: Record<string, number> = {};
  let total = 0;
  let newest: number | null = null;
  await db.anomalies.each((a: StoredAnomaly) => {
    total++;
    bySeries[a.seriesKey] = (bySeries[a.seriesKey] ?? 0) + 1;
    byDetector[a.detector] = (byDetector[a.detector] ?? 0) + 1;
    if (newest === null || a.t > newest) newest = a.t;
  });
  return { total, bySeries, byDetector, newest };
}

/** Anomalies in [from, to], newest first. */
export async function readAnomaliesBetween(
  db: TidemarkDb,
  from: number,
  to: number
): Promise<StoredAnomaly[]> {
  return db.anomalies.where('t').between(from, to, true, true).reverse().toArray();
}

/** How many anomalies are stored. */
export async function countAnomalyRecords(db: TidemarkDb): Promise<number> {
  return db.anomalies.count();
}

/** Anomalies of a series around `t` (for an explanation's context). */
export async function readAnomaliesNear(options: {
  db: TidemarkDb;
  seriesKey: string;
  from: number;
  to: number;
}): Promise<StoredDetectedAnomaly[]> {
  const { db, seriesKey, from, to } = options;
  return (await db.anomalies
    .where('[seriesKey+t]')
    .between([seriesKey, from], [seriesKey, to], true, true)
    .toArray()) as StoredDetectedAnomaly[];
}

/** The time of the newest stored event, or null with none. */
export async function readNewestEventTime(db: TidemarkDb): Promise<number | null> {
  const last = await db.events.orderBy('t').last();
  return last ? last.t : null;
}

/** The time of the oldest stored event at or after `from`, or null with none. */
export async function readFirstEventTime(db: TidemarkDb, from: number): Promise<number | null> {
  const first = await db.events.where('t').aboveOrEqual(from).first();
  return first ? first.t : null;
}

/** Events with from ≤ t < to, at most `limit`. */
export async function readEventsBetween(options: {
  db: TidemarkDb;
  from: number;
  to: number;
  limit: number;
}): Promise<StoredEvent[]> {
  const { db, from, to, limit } = options;
  return db.events.where('t').between(from, to, true, false).limit(limit).toArray();
}

/** Stored anomalies with from ≤ t ≤ to, newest first, optionally of one series. */
export async function listAnomalies(
  db: TidemarkDb,
  options: { seriesKey?: string; from?: number; to?: number; limit?: number } = {}
): Promise<StoredAnomaly[]> {
  const from = options.from ?? -Infinity;
  const to = options.to ?? Infinity;
  const limit = options.limit ?? Infinity;
  const found = (
    options.seriesKey !== undefined
      ? db.anomalies
          .where('[seriesKey+t]')
          .between([options.seriesKey, from], [options.seriesKey, to], true, true)
      : db.anomalies.where('t').between(from, to, true, true)
  ).reverse();
  return Number.isFinite(limit) ? found.limit(limit).toArray() : found.toArray();
}

/** One detector record by key. */
export async function readDetectorRecord(
  db: TidemarkDb,
  key: string
): Promise<DetectorRecord | undefined> {
  return db.detectors.get(key);
}

/** Detector records by key, `undefined` where none is stored. */
export async function readDetectorRecords(
  db: TidemarkDb,
  keys: string[]
): Promise<(DetectorRecord | undefined)[]> {
  return db.detectors.bulkGet(keys);
}
