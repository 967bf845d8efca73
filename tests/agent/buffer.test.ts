/**
 * The agent's buffer against real agent processes: a page that reconnects with its last seen
 * id within the buffer's time window gets every message exactly once; one that waits past it
 * gets a `gap` saying how many were dropped; a page that stops reading stays connected well
 * past 10 s while its messages are still held, shows up as blocked and behind in
 * `/v1/status`, and on reading again is told how far it lagged and loses nothing.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AgentStatus } from '../../src/lib/types';
import {
  bearer,
  collectMessages,
  openStream,
  request,
  startAgent,
  type RunningAgent,
  type SseEvent
} from './helpers';

let agent: RunningAgent | undefined;

afterEach(async () => {
  await agent?.stop();
  agent = undefined;
});

async function status(a: RunningAgent): Promise<AgentStatus> {
  const res = await request({ port: a.port, headers: bearer(a.token) });
  return JSON.parse(res.body) as AgentStatus;
}

/** Prometheus text with `series` lines, about `series` × 40 bytes. */
function promText(series: number, value: number): string {
  let text = '# TYPE buffer_test_value gauge\n';
  for (let i = 0; i < series; i++) text += `buffer_test_value{series="s${i}"} ${value}\n`;
  return text;
}

async function postMetrics(a: RunningAgent, body: string): Promise<number> {
  const res = await request({
    port: a.port,
    method: 'POST',
    path: '/v1/metrics',
    headers: { 'Content-Type': 'text/plain', ...bearer(a.token) },
    body
  });
  expect(res.status).toBe(202);
  return JSON.parse(res.body).lastSeq as number;
}

function lastBatchId(events: SseEvent[]): number {
  const batches = events.filter((e) => e.event === 'batch');
  return Number(batches[batches.length - 1].id);
}

/** A page reads from the start until its first batch, then goes away: its last seen id. */
async function readOnceAndLeave(a: RunningAgent): Promise<number> {
  const first = await openStream({ port: a.port, token: a.token, path: '/v1/stream?after=0' });
  await first.waitFor((e) => e.event === 'batch');
  first.close();
  return lastBatchId(first.events);
}

/** Polls the agent's status until `check` passes. */
function untilStatus(a: RunningAgent, check: (s: AgentStatus) => void, timeout = 30_000) {
  return vi.waitFor(async () => check(await status(a)), { timeout, interval: 100 });
}

function dataOf(e: SseEvent): Record<string, unknown> {
  return JSON.parse(e.data) as Record<string, unknown>;
}

describe('agent buffer', () => {
  it('a page that reconnects with its last seen id within the window gets every message once', async () => {
    agent = await startAgent({ args: ['--interval', '200', '--buffer-seconds', '60'] });
    const lastSeen = await readOnceAndLeave(agent);
    // While it is away: host samples keep coming every 200 ms, plus 30 metrics posts.
    let lastPosted = 0;
    for (let i = 0; i < 30; i++) lastPosted = await postMetrics(agent, promText(200, i));
    await untilStatus(agent, (s) => expect(s.lastSeq).toBeGreaterThan(lastPosted + 5));

    const again = await openStream({
      port: agent.port,
      token: agent.token,
      headers: { 'Last-Event-ID': String(lastSeen) }
    });
    try {
      await again.waitFor(
        (_, all) => collectMessages(all).some((m) => m.seq >= lastPosted + 5),
        20_000
      );
      const seqs = collectMessages(again.events).map((m) => m.seq);
      expect(again.events.some((e) => e.event === 'gap')).toBe(false);
      expect(seqs[0]).toBe(lastSeen + 1);
      // Contiguous: nothing missed, nothing twice.
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => lastSeen + 1 + i));
      const texts = collectMessages(again.events).filter((m) => m.kind === 'metrics');
      expect(texts).toHaveLength(30);
      const s = await status(agent);
      expect(s.subscribers).toHaveLength(1);
      expect(s.subscribers?.[0]).toMatchObject({ dropped: 0 });
      expect(s.bufferMaxAgeMs).toBe(60_000);
      expect(s.bufferEvicted).toBe(0);
    } finally {
      again.close();
    }
  });

  it('a page away longer than the window gets a gap that says how many messages were dropped', async () => {
    agent = await startAgent({ args: ['--interval', '200', '--buffer-seconds', '2'] });
    const lastSeen = await readOnceAndLeave(agent);
    // Wait until the time window has evicted messages the page has not seen.
    await untilStatus(agent, (s) => expect(s.firstSeq).toBeGreaterThan(lastSeen + 3));
    const again = await openStream({
      port: agent.port,
      token: agent.token,
      path: `/v1/stream?after=${lastSeen}`
    });
    try {
      const gapEvent = await again.waitFor((e) => e.event === 'gap');
      const gap = dataOf(gapEvent) as { after: number; firstAvailableSeq: number; dropped: number };
      expect(gap.after).toBe(lastSeen);
      expect(gap.dropped).toBe(gap.firstAvailableSeq - lastSeen - 1);
      expect(gap.dropped).toBeGreaterThan(2);
      const s = await status(agent);
      // Held messages are all younger than the window (plus one tick of slack), by the
      // agent's own clock when it answered (not this runner's, after the round trip).
      expect(s.uptimeMs).toBeGreaterThan(2_000);
      const agentNow = s.startedAt + s.uptimeMs;
      expect(agentNow - (s.bufferOldestAt as number)).toBeLessThan(2_000 + 1_000);
      expect(s.bufferEvicted).toBeGreaterThan(0);
    } finally {
      again.close();
    }
  });

  it('a page that stops reading stays connected past 10 s while its messages are held, then loses none', async () => {
    agent = await startAgent({ args: ['--interval', '1000'] });
    const stream = await openStream({ port: agent.port, token: agent.token });
    await stream.waitFor((e) => e.event === 'batch');
    stream.pause();
    // ~1 MB per post: enough to fill the loopback socket's buffers so the agent sees it blocked.
    const big = promText(25_000, 1);
    let lastPosted = 0;
    await vi.waitFor(
      async () => {
        lastPosted = await postMetrics(agent!, big);
        expect((await status(agent!)).subscribers?.[0]?.blocked).toBe(true);
      },
      { timeout: 60_000, interval: 50 }
    );
    // The old agent cut such a page off after 10 s; now it stays while nothing is lost.
    await untilStatus(agent, (s) => expect(s.subscribers?.[0]?.blockedMs).toBeGreaterThan(12_000));
    const held = (await status(agent)).subscribers?.[0];
    expect(held).toMatchObject({ blocked: true, dropped: 0 });
    expect(held?.behindMessages).toBeGreaterThan(0);
    expect(held?.behindMs).toBeGreaterThan(10_000);

    stream.resume();
    try {
      await stream.waitFor(
        (_, all) => collectMessages(all).some((m) => m.seq >= lastPosted),
        60_000
      );
      const lagged = dataOf(await stream.waitFor((e) => e.event === 'lagged'));
      expect(lagged).toMatchObject({ cutOff: false, dropped: 0 });
      expect(lagged.blockedMs as number).toBeGreaterThan(12_000);
      expect(stream.events.some((e) => e.event === 'gap')).toBe(false);
      const seqs = collectMessages(stream.events).map((m) => m.seq);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0] + i));
      await untilStatus(agent, (s) =>
        expect(s.subscribers?.[0]).toMatchObject({ blocked: false, dropped: 0 })
      );
    } finally {
      stream.close();
    }
  }, 180_000);
});
