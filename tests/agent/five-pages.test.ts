/**
 * Five pages streaming from one agent sampling at 10 Hz (issue 25): every page receives
 * every sample, in order, with no gap. Latency is measured by bench/agent-rate.bench.ts,
 * not asserted here (tests never assert on wall-clock time).
 */
import { describe, expect, it } from 'vitest';
import {
  bearer,
  collectMessages,
  openStream,
  request,
  startAgent,
  type SseClient
} from './helpers';

const Pages = 5;
const Samples = 30;

describe('five pages at 10 Hz', () => {
  it('each receives every sample the agent took, in order and without gaps', async () => {
    const agent = await startAgent({ args: ['--interval', '100'] });
    const streams: SseClient[] = [];
    try {
      const status = JSON.parse(
        (await request({ port: agent.port, headers: bearer(agent.token) })).body
      ) as { lastSeq: number };
      const after = status.lastSeq;
      for (let i = 0; i < Pages; i++) {
        streams.push(
          await openStream({
            port: agent.port,
            token: agent.token,
            path: `/v1/stream?after=${after}`
          })
        );
      }
      const sampleSeqs = (s: SseClient): number[] =>
        collectMessages(s.events)
          .filter((m) => m.kind === 'sample')
          .map((m) => m.seq);
      // Wait until every page holds at least `Samples` samples after the common start.
      await Promise.all(streams.map((s) => s.waitFor(() => sampleSeqs(s).length >= Samples)));
      const upTo = Math.min(...streams.map((s) => Math.max(...sampleSeqs(s))));
      const seen = streams.map((s) => sampleSeqs(s).filter((q) => q <= upTo));
      const all = [...new Set(seen.flat())].sort((a, b) => a - b);
      expect(all.length).toBeGreaterThanOrEqual(Samples);
      for (const seqs of seen) {
        expect(seqs).toEqual(all);
      }
      // Samples are the only messages on this agent, so their seqs follow one another.
      expect(all).toEqual(all.map((_, i) => after + 1 + i));
      for (const s of streams) {
        expect(s.events.some((e) => e.event === 'gap' || e.event === 'lagged')).toBe(false);
      }
    } finally {
      for (const s of streams) s.close();
      await agent.stop();
    }
  });
});
