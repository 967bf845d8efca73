import type { PointBatch, ResultEvent } from '$lib/types';
import type { TidemarkDb } from './database';
import type { MetricStore } from './metric-store';

/** Where the agent stream position lives in the `meta` table. */
export const AgentCheckpointKey = 'agent:checkpoint';

export interface AgentCheckpointRecord {
  bootId: string;
  seq: number;
  /** When it was stored (epoch ms), for "last stored" in Settings. */
  at: number;
}

/** The stored stream position, or null before the first batch. */
export async function readAgentCheckpoint(db: TidemarkDb): Promise<AgentCheckpointRecord | null> {
  const row = await db.meta.get(AgentCheckpointKey);
  return (row?.value as AgentCheckpointRecord | undefined) ?? null;
}

/**
 * Points, events and the stream checkpoint in ONE transaction, so after a crash either all
 * of a batch and its seq are stored or none is. Resolves with the batches' series ids; on
 * failure nothing is stored and the metric store's series cache is reset.
 */
export async function commitAgentBatch(options: {
  db: TidemarkDb;
  metrics: MetricStore;
  batches: PointBatch[];
  events: ResultEvent[];
  checkpoint: AgentCheckpointRecord;
}): Promise<number[]> {
  const { db, metrics, batches, events } = options;
  let seriesIds: number[] = [];
  try {
    // Every table: the stores' own nested transactions then join this one whatever tables
    // they touch.
    await db.transaction('rw', db.tables, async () => {
      seriesIds = await metrics.registerSeries(batches.map((b) => b.series));
      await metrics.append(batches.map((b, i) => ({ seriesId: seriesIds[i], t: b.t, v: b.v })));
      if (events.length > 0) await db.events.bulkAdd(events.map((e) => ({ ...e })));
      await db.meta.put({ key: AgentCheckpointKey, value: options.checkpoint });
    });
  } catch (error) {
    // Series registered inside the rolled-back transaction must not stay cached.
    metrics.resetCache();
    throw error;
  }
  return seriesIds;
}
