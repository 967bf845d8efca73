import type { SeriesRecord } from '$lib/types';
import type { TidemarkDb } from './database';

/** Every registered series, in id order. */
export async function readAllSeries(db: TidemarkDb): Promise<SeriesRecord[]> {
  return db.series.toArray();
}

/** Series registered after id `afterId` (ids only grow), in id order. */
export async function readSeriesAfter(db: TidemarkDb, afterId: number): Promise<SeriesRecord[]> {
  return db.series.where(':id').above(afterId).toArray();
}

/** Series with id `fromId` and above (ids only grow), in id order. */
export async function readSeriesFrom(db: TidemarkDb, fromId: number): Promise<SeriesRecord[]> {
  return db.series.where(':id').aboveOrEqual(fromId).toArray();
}

/** The first `limit` series by key, from the key index (no full read). */
export async function readFirstSeriesByKey(db: TidemarkDb, limit: number): Promise<SeriesRecord[]> {
  return limit > 0 ? db.series.orderBy('key').limit(limit).toArray() : [];
}

/** The series stored under any of `keys`. */
export async function findSeriesByKeys(db: TidemarkDb, keys: string[]): Promise<SeriesRecord[]> {
  return db.series.where('key').anyOf(keys).toArray();
}

/** How many series are registered. */
export async function countSeries(db: TidemarkDb): Promise<number> {
  return db.series.count();
}

/** The series stored under `key` (its canonical `name{labels}` form), if any. */
export async function findSeriesByKey(
  db: TidemarkDb,
  key: string
): Promise<SeriesRecord | undefined> {
  return db.series.where('key').equals(key).first();
}

/**
 * Series a rollup pass has work for: late points waiting, or raw points newer than their
 * rollups. `deferImported`: leave series of file imports out (an import is running).
 */
export async function listSeriesDueForRollup(
  db: TidemarkDb,
  options: {
    deferImported: boolean;
    /** Folds points not yet in chunks into a record (MetricStore.patchRecord). */
    patch?: (s: SeriesRecord) => SeriesRecord;
  }
): Promise<SeriesRecord[]> {
  // Only the ids: late records carry their points, which this check does not need.
  const lateIds = new Set((await db.late.orderBy('seriesId').uniqueKeys()) as number[]);
  const all = await db.series.toArray();
  return (options.patch ? all.map(options.patch) : all).filter(
    (s) =>
      !(options.deferImported && s.source === 'import') &&
      (lateIds.has(s.id) ||
        (s.lastT !== undefined && (s.rolledUntil === undefined || s.lastT > s.rolledUntil)))
  );
}
