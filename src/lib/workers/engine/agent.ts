import {
  commitAgentBatch,
  readAgentCheckpoint,
  type AgentCheckpointRecord
} from '$lib/db/agent-store';
import { AgentClient, type AgentClientStatus } from '$lib/collectors/agent-client';
import type { PointBatch, ResultEvent } from '$lib/types';
import { packIdRanges } from '$lib/types/id-ranges';
import type { EngineContext } from './context';

/**
 * Engine side of the agent stream. Points, events and the stream checkpoint commit in ONE
 * transaction, so after a crash either all of a batch and its seq are stored or none is:
 * the page resumes from the stored seq and nothing is counted twice (RELIABILITY.md: the
 * agent resends anything not acknowledged by sequence number).
 */
export function createAgentApi(ctx: EngineContext) {
  /** The stream this engine reads (one at a time), and the id the page knows it by. */
  let stream: { id: number; client: AgentClient } | null = null;
  let nextStream = 1;

  const api = {
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
        ctx.broadcast({ kind: 'points', ids: packIdRanges(seriesIds), to });
      }
      if (input.events.length > 0) {
        ctx.broadcast({ kind: 'events', count: input.events.length });
        await ctx.eventsStored(input.events);
      }
      return { points, events: input.events.length };
    },

    /**
     * Reads the agent stream here, in the engine worker: messages are parsed and stored
     * without a round trip through the page's main thread (which parsed every message and
     * then copied the points to this worker). Stops the stream read before, if any; resolves
     * with the new stream's id once it is started. `onStatus` (a Comlink proxy) hears every
     * status change.
     */
    async startAgent(
      options: { url: string; token: string; origin?: string },
      onStatus: (status: AgentClientStatus) => void
    ): Promise<number> {
      await api.stopAgent(stream?.id ?? 0);
      const id = nextStream++;
      const client = new AgentClient({
        url: options.url,
        token: options.token,
        origin: options.origin,
        loadCheckpoint: async () => {
          const c = await api.agentCheckpoint();
          return c ? { bootId: c.bootId, seq: c.seq } : null;
        },
        deliver: async (d) => {
          await api.storeAgentBatch({
            batches: d.batches,
            events: d.events,
            checkpoint: d.checkpoint
          });
        },
        onStatus: (s) => {
          if (stream?.id === id) void onStatus(s);
        }
      });
      stream = { id, client };
      void client.start();
      return id;
    },

    /** Stops stream `id` (a later one is left running); resolves once it is closed. */
    async stopAgent(id: number): Promise<void> {
      if (!stream || stream.id !== id) return;
      const { client } = stream;
      stream = null;
      await client.stop();
    },

    /** Reconnects stream `id` now instead of waiting for its backoff. */
    retryAgentNow(id: number): void {
      if (stream?.id === id) stream.client.retryNow();
    }
  };
  return api;
}
