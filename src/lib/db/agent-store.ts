import type { PointBatch, ResultEvent } from '$lib/types';
import type { TidemarkDb } from './database';
import type { HeadStore } from './head-store';
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
 * of a batch and its seq are stored or none is. The points go to the live path (HeadStore):
 * one write-ahead record for the whole delivery, whatever the number of series, instead of
 * re-encoding every series' newest chunk (issue 28). New series are registered inside the
 * same transaction. Resolves with the batches' series ids.
 */
export async function commitAgentBatch(options: {
  db: TidemarkDb;
  metrics: MetricStore;
  heads: HeadStore;
  batches: PointBatch[];
  events: ResultEvent[];
  checkpoint: AgentCheckpointRecord;
}): Promise<number[]> {
  const { db, metrics, heads, batches, events } = options;
  const descriptors = batches.map((b) => b.series);
  let seriesIds = metrics.knownIds(descriptors);
  const withIds = (ids: number[]) => batches.map((b, i) => ({ seriesId: ids[i], t: b.t, v: b.v }));
  try {
    await heads.append(
      seriesIds
        ? withIds(seriesIds)
        : async () => withIds((seriesIds = await metrics.registerSeries(descriptors))),
      {
        register: seriesIds === undefined,
        alsoTables: ['events', 'meta'],
        alsoWrite: async () => {
          if (events.length > 0) await db.events.bulkAdd(events.map((e) => ({ ...e })));
          await db.meta.put({ key: AgentCheckpointKey, value: options.checkpoint });
        }
      }
    );
  } catch (error) {
    // Series registered inside the rolled-back transaction must not stay cached.
    metrics.resetCache();
    throw error;
  }
  return seriesIds!;
}
