import type { ResultEvent, SeriesDescriptor } from '$lib/types';
import { seriesKey } from '$lib/types/series-key';
import type { ImportRecord, TidemarkDb } from './database';
import {
  asStorageFull,
  newSeriesRecord,
  planAppend,
  updateRecord,
  type AppendOutcome,
  type AppendPlan,
  type MetricStore,
  type SeriesPoints
} from './metric-store';

/** Points per series counted in a checkpoint, so a resumed import can still summarise all of it. */
export interface ImportSeriesCount {
  key: string;
  name: string;
  labels: Record<string, string>;
  points: number;
}

/**
 * What is stored per imported file. The v3 `imports` table indexes only `id` and
 * `updatedAt`, so the extra fields here need no schema change: the options an import ran
 * with (a resume must parse the rest of the file the same way) and per-series counts.
 */
export interface ImportCheckpoint extends ImportRecord {
  /** How `id` was computed, e.g. 'sha256(first 1 MiB + last 1 MiB + size)'. */
  hashMethod?: string;
  options?: Record<string, unknown>;
  series?: ImportSeriesCount[];
  /** Why an unfinished import stopped ('cancelled', or the fatal error's message). */
  stopReason?: string;
  /**
   * Points stored at times their series did not hold, points at times it held already
   * (re-imported data), and of those how many with another value — what the store found,
   * summed over the file's commits by `commitImportBatch` (the importer cannot know it).
   */
  added?: number;
  alreadyStored?: number;
  changedValues?: number;
}

/**
 * Series an import commit creates: their descriptors and their points planned with
 * `encode` under stand-in ids (`plan.ids[k]` is descriptor k's), replaced by the ids the
 * store assigns.
 */
export interface NewSeriesPlan {
  descriptors: SeriesDescriptor[];
  plan: AppendPlan;
}

/** Thrown when series a commit meant to create are stored already: append to them instead. */
export class SeriesExistError extends Error {
  constructor() {
    super('The series are stored already');
    this.name = 'SeriesExistError';
  }
}

/**
 * Stores new series with their points as two bulk adds: each record written once, complete
 * (counts, range, head), and its chunks added, not put. Registering them first and then
 * appending read each record back, replaced it (rewriting its four index entries) and read
 * every chunk key before the put to keep the counts — about six IndexedDB requests per series
 * instead of two, the bulk of a 100,000-series federation import. Throws SeriesExistError
 * (the transaction then rolls back) if any of them is stored already. Returns their ids.
 */
async function addNewSeries(db: TidemarkDb, created: NewSeriesPlan): Promise<number[]> {
  const { descriptors, plan } = created;
  const keys = descriptors.map((d) => seriesKey(d.name, d.labels));
  if ((await db.series.where('key').anyOf(keys).first()) !== undefined)
    throw new SeriesExistError();
  const chunks = plan.chunks!;
  const records = descriptors.map((d, k) => {
    const record = newSeriesRecord(keys[k], d);
    updateRecord(record, plan.incoming[k], chunks[k][chunks[k].length - 1], 0);
    return record;
  });
  const ids = (await db.series.bulkAdd(records, { allKeys: true })) as number[];
  const added = chunks.flatMap((list, k) => list.map((c) => ({ ...c, seriesId: ids[k] })));
  await db.chunks.bulkAdd(added);
  return ids;
}

/**
 * Stores one import batch — points of registered series and result-log events — together
 * with the checkpoint that says they are stored, in ONE transaction: either all of it is
 * there after a crash or none of it is, so resuming at `checkpoint.offset` never adds a row
 * twice (RELIABILITY.md #2). `MetricStore.append` opens a transaction over a subset of these
 * tables, which Dexie runs inside this one.
 *
 * Empty batches and events: only the checkpoint is written. Resolves after `complete`, with
 * how many points were new and how many times the store held already (`MetricStore.append`).
 */
export async function commitImportBatch(options: {
  db: TidemarkDb;
  metrics: MetricStore;
  /** The points, as they are or planned ahead (`planAppend`). */
  points: SeriesPoints[] | AppendPlan;
  events: ResultEvent[];
  checkpoint: ImportCheckpoint;
  /** Series the batch creates, stored with their points (see `NewSeriesPlan`). */
  created?: NewSeriesPlan;
}): Promise<AppendOutcome & { createdIds: number[] }> {
  const { db, metrics, events, checkpoint, created } = options;
  const plan = Array.isArray(options.points) ? planAppend(options.points, false) : options.points;
  let outcome: AppendOutcome = { added: 0, present: 0, changed: 0 };
  let createdIds: number[] = [];
  try {
    await db.transaction('rw', [db.chunks, db.series, db.late, db.events, db.imports], async () => {
      if (created && created.descriptors.length > 0) createdIds = await addNewSeries(db, created);
      // Queued together (a transaction runs its requests in order): one wait, not three.
      let prior: ImportCheckpoint | undefined;
      [outcome, , prior] = await Promise.all([
        plan.ids.length > 0 ? metrics.appendPlanned(plan) : outcome,
        events.length > 0 ? db.events.bulkAdd(events.map((e) => ({ ...e }))) : undefined,
        db.imports.get(checkpoint.id) as Promise<ImportCheckpoint | undefined>
      ]);
      // The store's counts add up over the file's commits, from its previous checkpoint
      // (a new import's first record starts them at zero, a resume keeps them).
      for (const points of created?.plan.incoming ?? []) outcome.added += points.t.length;
      const counted: ImportCheckpoint = {
        ...checkpoint,
        added: (prior?.added ?? 0) + outcome.added,
        alreadyStored: (prior?.alreadyStored ?? 0) + outcome.present,
        changedValues: (prior?.changedValues ?? 0) + outcome.changed
      };
      await db.imports.put(counted);
    });
  } catch (error) {
    if (error instanceof SeriesExistError) throw error;
    throw asStorageFull(
      error,
      `The import stopped at byte ${checkpoint.offset}; everything before it is stored and it can be resumed.`
    );
  }
  if (created)
    metrics.rememberIds(
      created.descriptors.map((d) => seriesKey(d.name, d.labels)),
      createdIds
    );
  return { ...outcome, createdIds };
}

/** The checkpoint of a file by content hash, or undefined when it was never imported. */
export async function readImportCheckpoint(
  db: TidemarkDb,
  id: string
): Promise<ImportCheckpoint | undefined> {
  return (await db.imports.get(id)) as ImportCheckpoint | undefined;
}

/** Every checkpoint, most recently updated first. */
export async function listImportCheckpoints(db: TidemarkDb): Promise<ImportCheckpoint[]> {
  return (await db.imports.orderBy('updatedAt').reverse().toArray()) as ImportCheckpoint[];
}

/** Writes a checkpoint alone (a new import's first record, or why it stopped). */
export async function saveImportCheckpoint(
  db: TidemarkDb,
  checkpoint: ImportCheckpoint
): Promise<void> {
  await db.imports.put(checkpoint);
}

/** Forgets a checkpoint; the data it stored stays. A later import of the file starts over. */
export async function deleteImportCheckpoint(db: TidemarkDb, id: string): Promise<void> {
  await db.imports.delete(id);
}

/**
 * Whether an import is running somewhere (any tab): a checkpoint not done, not stopped, and
 * written within `windowMs` of `now`. An import commits every few seconds at most, so a tab closed mid-import
 * stops counting after the window.
 */
export async function isImportActive(
  db: TidemarkDb,
  options: { now: number; windowMs: number; except?: ReadonlySet<string> }
): Promise<boolean> {
  const recent = (await db.imports
    .where('updatedAt')
    .above(options.now - options.windowMs)
    .toArray()) as ImportCheckpoint[];
  // A cancelled or failed import says why it stopped: it is not running.
  // `except`: imports the caller saw end although their checkpoint could not say so (a full
  // disk refuses even the write of why it stopped).
  return recent.some((r) => !r.done && !r.stopReason && !options.except?.has(r.id));
}
