import type { PointBatch, ResultEvent } from '$lib/types';
import type { EngineContext } from './engine-api';

/** Where the agent stream position lives in the `meta` table. */
export const AgentCheckpointKey = 'agent:checkpoint';

export interface AgentCheckpointRecord {
  bootId: string;
  seq: number;
  /** When it was stored (epoch ms), for "last stored" in Settings. */
  at: number;
}

/**
 * Engine side of the agent stream. Points, events and the stream checkpoint commit in ONE
 * transaction, so after a crash either all of a batch and its seq are stored or none is:
 * the page resumes from the stored seq and nothing is counted twice (RELIABILITY.md: the
 * agent resends anything not acknowledged by sequence number).
 */
export function createAgentApi(ctx: EngineContext) {
  return {
    /** The stored stream position, or null before the first batch. */
    async agentCheckpoint(): Promise<AgentCheckpointRecord | null> {
      const { db } = await ctx.ready();
      const row = await db.meta.get(AgentCheckpointKey);
      return (row?.value as AgentCheckpointRecord | undefined) ?? null;
    },

    /**
     * Stores one run of agent messages; resolves after the transaction completed (strict
     * durability), rejects with its error and stores nothing otherwise.
     */
    async storeAgentBatch(input: {
      batches: PointBatch[];
      events: ResultEvent[];
      checkpoint: { bootId: string; seq: number };
    }): Promise<{ points: number; events: number }> {
      const { db, metrics } = await ctx.ready();
      const batches = input.batches.filter((b) => b.t.length > 0);
      let seriesIds: number[] = [];
      try {
        // Every table: the stores' own nested transactions then join this one whatever
        // tables they touch.
        await db.transaction('rw', db.tables, async () => {
          seriesIds = await metrics.registerSeries(batches.map((b) => b.series));
          await metrics.append(batches.map((b, i) => ({ seriesId: seriesIds[i], t: b.t, v: b.v })));
          if (input.events.length > 0) await db.events.bulkAdd(input.events.map((e) => ({ ...e })));
          await db.meta.put({
            key: AgentCheckpointKey,
            value: { ...input.checkpoint, at: ctx.now() } satisfies AgentCheckpointRecord
          });
        });
      } catch (error) {
        // Series registered inside the rolled-back transaction must not stay cached.
        metrics.resetCache();
        throw error;
      }
      const points = batches.reduce((s, b) => s + b.t.length, 0);
      if (batches.length > 0) {
        const to = batches.reduce((m, b) => Math.max(m, b.t[b.t.length - 1]), -Infinity);
        ctx.broadcast({ kind: 'points', seriesIds: [...new Set(seriesIds)], to });
      }
      if (input.events.length > 0) {
        ctx.broadcast({ kind: 'events', count: input.events.length });
        for (const hook of ctx.afterEvents) {
          try {
            await hook(input.events);
          } catch {
            // Derived views catch up from the events table on their next refresh.
          }
        }
      }
      return { points, events: input.events.length };
    }
  };
}
