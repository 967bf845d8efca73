import {
  commitAgentBatch,
  readAgentCheckpoint,
  type AgentCheckpointRecord
} from '$lib/db/agent-store';
import type { PointBatch, ResultEvent } from '$lib/types';
import type { EngineContext } from './context';

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
      return readAgentCheckpoint(db);
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
      const { db, metrics, heads } = await ctx.ready();
      const batches = input.batches.filter((b) => b.t.length > 0);
      const seriesIds = await commitAgentBatch({
        db,
        metrics,
        heads,
        batches,
        events: input.events,
        checkpoint: { ...input.checkpoint, at: ctx.now() }
      });
      const points = batches.reduce((s, b) => s + b.t.length, 0);
      if (batches.length > 0) {
        const to = batches.reduce((m, b) => Math.max(m, b.t[b.t.length - 1]), -Infinity);
        ctx.broadcast({ kind: 'points', seriesIds: [...new Set(seriesIds)], to });
      }
      if (input.events.length > 0) {
        ctx.broadcast({ kind: 'events', count: input.events.length });
        await ctx.eventsStored(input.events);
      }
      return { points, events: input.events.length };
    }
  };
}
