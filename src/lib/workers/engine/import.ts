import { expose, transfer } from 'comlink';
import { asStorageFull, planAppend, type AppendPlan } from '$lib/db/metric-store';
import {
  commitImportBatch,
  SeriesExistError,
  deleteImportCheckpoint,
  listImportCheckpoints,
  readImportCheckpoint,
  saveImportCheckpoint,
  type ImportCheckpoint
} from '$lib/db/import-store';
import type { PointBatch, ResultEvent } from '$lib/types';
import { seriesKey } from '$lib/types/series-key';
import { packIdRanges } from '$lib/types/id-ranges';
import type { EngineContext } from './context';
import { columnBuffers } from '../transfer';

/** One batch of an import and the checkpoint that records it. */
export interface ImportCommit {
  checkpoint: ImportCheckpoint;
  batches: PointBatch[];
  events: ResultEvent[];
}

/**
 * What a commit stored: `points` written, of which `added` at times their series did not
 * hold and `present` at times it held already (`changed` of those with another value).
 */
export interface ImportCommitOutcome {
  points: number;
  added: number;
  present: number;
  changed: number;
  events: number;
}

/** The part of the engine the import worker talks to (over a MessagePort in the browser). */
export interface ImportStoreApi {
  importCheckpoint(id: string): Promise<ImportCheckpoint | undefined>;
  /**
   * Over the import worker's port the reply also carries the commit's column buffers back
   * (`buffers`, transferred) once it is stored, for the parser to fill again.
   */
  commitImport(commit: ImportCommit): Promise<ImportCommitOutcome & { buffers?: ArrayBuffer[] }>;
  saveImportCheckpoint(checkpoint: ImportCheckpoint): Promise<void>;
}

/**
 * The engine's import module: stores import batches with their checkpoints and lists or
 * forgets checkpoints. Commits of one file are chained: a batch is written only after the
 * previous batch of that file committed, and never after it failed — otherwise a later
 * checkpoint could cover a batch that was lost, and a resume would skip it.
 */
export function createImportApi(ctx: EngineContext) {
  const chains = new Map<string, Promise<unknown>>();

  /**
   * Plans a commit's points (sorted, encoded: `planAppend`) as soon as it arrives, while the
   * previous commit of the file is still being stored — when its series are all registered
   * already (every commit after an import's first). Otherwise resolves null: new series are
   * registered in the chain, so a commit refused after a failed one registers nothing.
   */
  async function planEarly(commit: ImportCommit): Promise<AppendPlan | null> {
    const { metrics } = await ctx.ready();
    const batches = commit.batches.filter((b) => b.t.length > 0);
    const ids = metrics.knownIds(batches.map((b) => b.series));
    if (ids === undefined) return null;
    return planAppend(
      batches.map((b, i) => ({ seriesId: ids[i], t: b.t, v: b.v })),
      true
    );
  }

  /**
   * A commit whose series are new to this engine: the new ones are created with their points
   * in the commit's transaction (`NewSeriesPlan`), the known ones appended. When some turn
   * out to be stored already (another tab's import, an earlier session: the engine's cache
   * was cold), undefined: the caller registers them and appends as for known series.
   */
  async function writeWithNewSeries(commit: ImportCommit) {
    const { db, metrics } = await ctx.ready();
    const batches = commit.batches.filter((b) => b.t.length > 0);
    const known: { seriesId: number; t: Float64Array; v: Float64Array }[] = [];
    const fresh: { seriesId: number; t: Float64Array; v: Float64Array }[] = [];
    // Stand-in ids −1, −2, … per new series (a series may come in more than one batch).
    const standIn = new Map<string, number>();
    const described = new Map<number, PointBatch['series']>();
    for (const b of batches) {
      const id = metrics.knownIds([b.series])?.[0];
      if (id !== undefined) {
        known.push({ seriesId: id, t: b.t, v: b.v });
        continue;
      }
      const key = seriesKey(b.series.name, b.series.labels);
      let stand = standIn.get(key);
      if (stand === undefined) {
        standIn.set(key, (stand = -standIn.size - 1));
        described.set(stand, b.series);
      }
      fresh.push({ seriesId: stand, t: b.t, v: b.v });
    }
    const planned = planAppend(fresh, true);
    const descriptors = planned.ids.map((id) => described.get(id)!);
    const plan = planAppend(known, true);
    try {
      const stored = await commitImportBatch({
        db,
        metrics,
        points: plan,
        created: { descriptors, plan: planned },
        events: commit.events,
        checkpoint: { ...commit.checkpoint, updatedAt: ctx.now() }
      });
      return {
        stored,
        ids: [...plan.ids, ...stored.createdIds],
        maxT: Math.max(plan.maxT, planned.maxT)
      };
    } catch (error) {
      if (error instanceof SeriesExistError) return undefined;
      throw error;
    }
  }

  async function writeCommit(
    commit: ImportCommit,
    early: AppendPlan | null
  ): Promise<ImportCommitOutcome> {
    const { db, metrics } = await ctx.ready();
    let written = early === null ? await writeWithNewSeries(commit) : undefined;
    if (written === undefined) {
      let plan = early;
      if (plan === null) {
        const batches = commit.batches.filter((b) => b.t.length > 0);
        let ids: number[] = [];
        try {
          // Registering new series is its own small transaction (idempotent, so safe to repeat).
          if (batches.length) ids = await metrics.registerSeries(batches.map((b) => b.series));
        } catch (error) {
          throw asStorageFull(
            error,
            'The batch was not stored; everything stored before it is intact and the import can be resumed.'
          );
        }
        plan = planAppend(
          batches.map((b, i) => ({ seriesId: ids[i], t: b.t, v: b.v })),
          true
        );
      }
      const stored = await commitImportBatch({
        db,
        metrics,
        points: plan,
        events: commit.events,
        checkpoint: { ...commit.checkpoint, updatedAt: ctx.now() }
      });
      written = { stored, ids: plan.ids, maxT: plan.maxT };
    }
    const { stored, ids, maxT } = written;
    const count = stored.added + stored.present;
    if (count > 0) ctx.broadcast({ kind: 'points', ids: packIdRanges(ids), to: maxT });
    if (commit.checkpoint.done) ctx.importRunning(commit.checkpoint.id, false);
    if (commit.events.length > 0) {
      ctx.broadcast({ kind: 'events', count: commit.events.length });
      await ctx.eventsStored(commit.events);
    }
    return {
      points: count,
      added: stored.added,
      present: stored.present,
      changed: stored.changed,
      events: commit.events.length
    };
  }

  const store: ImportStoreApi = {
    /** The stored checkpoint of a file (by content hash), if any. */
    async importCheckpoint(id: string): Promise<ImportCheckpoint | undefined> {
      const { db } = await ctx.ready();
      return readImportCheckpoint(db, id);
    },

    /**
     * Stores a batch of points and events with its checkpoint in one transaction; resolves
     * after it completed. Rejects if an earlier commit of the same file failed.
     */
    commitImport(commit: ImportCommit): Promise<ImportCommitOutcome> {
      const id = commit.checkpoint.id;
      const previous = chains.get(id) ?? Promise.resolve();
      const early = planEarly(commit);
      // Handled in the chain; a chain that failed before never awaits it.
      early.catch(() => {});
      const next = previous.then(async () => writeCommit(commit, await early));
      chains.set(id, next);
      // Drop the chain once idle so finished imports hold nothing; a failed chain stays until
      // the importer saves a new checkpoint (it restarts from the stored one).
      void next.then(
        () => {
          if (chains.get(id) === next) chains.delete(id);
        },
        () => {}
      );
      return next;
    },

    /** Writes a checkpoint without data (start of an import, or why it stopped). */
    async saveImportCheckpoint(checkpoint: ImportCheckpoint): Promise<void> {
      const { db } = await ctx.ready();
      chains.delete(checkpoint.id);
      const running = !checkpoint.done && checkpoint.stopReason === undefined;
      if (running) ctx.importRunning(checkpoint.id, true);
      try {
        await saveImportCheckpoint(db, { ...checkpoint, updatedAt: ctx.now() });
      } catch (error) {
        throw asStorageFull(error, 'Nothing of this file was stored.');
      } finally {
        // Ended even when the disk refused to record why.
        if (!running) ctx.importRunning(checkpoint.id, false);
      }
    }
  };

  return {
    ...store,

    /** Every import checkpoint, newest first (the Import page lists unfinished ones). */
    async listImports(): Promise<ImportCheckpoint[]> {
      const { db } = await ctx.ready();
      return listImportCheckpoints(db);
    },

    /** Forgets a file's checkpoint; its stored data stays. */
    async forgetImport(id: string): Promise<void> {
      const { db } = await ctx.ready();
      chains.delete(id);
      await deleteImportCheckpoint(db, id);
    },

    /**
     * Serves the import store on a MessagePort so the import worker talks to this engine
     * directly: batches go worker → worker, transferred, without a hop through the page.
     */
    connectImportPort(port: MessagePort): void {
      expose(
        {
          ...store,
          // Nothing keeps a batch's columns once its commit is stored (the chunks are encoded
          // copies), so they go back to the import worker instead of to the collector.
          async commitImport(commit: ImportCommit) {
            const stored = await store.commitImport(commit);
            const buffers = columnBuffers(commit.batches);
            return transfer({ ...stored, buffers }, buffers);
          }
        } satisfies ImportStoreApi,
        port
      );
    }
  };
}

export type ImportApi = ReturnType<typeof createImportApi>;
