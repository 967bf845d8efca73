/**
 * A restarted agent never reuses a sequence number: seqs start at boot time × 1000, so a
 * page's `after` from the previous run cannot hide new messages, and the boot id tells the
 * page that the run changed (the page also handles an overlap — see agent-client tests).
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentStatus } from '../../src/lib/types';
import {
  bearer,
  collectMessages,
  makeTempDir,
  makeToken,
  openStream,
  request,
  startAgent,
  type RunningAgent
} from './helpers';

const started: RunningAgent[] = [];
afterEach(async () => {
  for (const a of started.splice(0)) await a.stop();
});

async function statusOf(agent: RunningAgent): Promise<AgentStatus> {
  return JSON.parse((await request({ port: agent.port, headers: bearer(agent.token) })).body);
}

describe('agent restart', () => {
  it('gets a new boot id and seqs above every seq of the previous run', async () => {
    const token = makeToken();
    const tokenFile = path.join(makeTempDir(), 'token');
    const first = await startAgent({ token, tokenFile, args: ['--interval', '100'] });
    started.push(first);
    // A burst: thousands of seqs handed out in a few milliseconds.
    const body = Array.from({ length: 5_000 }, (_, i) =>
      JSON.stringify({ actionType: 'burst', status: 'success', durationMs: i })
    ).join('\n');
    const posted = await request({
      port: first.port,
      method: 'POST',
      path: '/v1/events',
      headers: bearer(token),
      body
    });
    expect(posted.status).toBe(202);
    const before = await statusOf(first);
    expect(before.lastSeq).toBeGreaterThanOrEqual(JSON.parse(posted.body).lastSeq);
    await first.stop();
    started.length = 0;

    const second = await startAgent({ token, tokenFile, args: ['--interval', '100'] });
    started.push(second);
    const after = await statusOf(second);
    expect(after.bootId).not.toBe(before.bootId);
    expect(after.firstSeq).toBeGreaterThan(before.lastSeq);

    // A page resuming with the old run's last seq is told about the gap and then gets the
    // new run's messages, all of them, from its first.
    const stream = await openStream({
      port: second.port,
      token,
      path: `/v1/stream?after=${before.lastSeq}`
    });
    try {
      const gap = await stream.waitFor((e) => e.event === 'gap');
      expect(JSON.parse(gap.data)).toEqual({
        after: before.lastSeq,
        firstAvailableSeq: after.firstSeq,
        // The new run evicted nothing yet; what the old run had is not this run's to count.
        dropped: 0
      });
      await stream.waitFor((_, all) => collectMessages(all).length >= 3);
      const seqs = collectMessages(stream.events).map((m) => m.seq);
      expect(seqs[0]).toBe(after.firstSeq);
      seqs.forEach((s, i) => expect(s).toBe(after.firstSeq + i));
    } finally {
      stream.close();
    }
  });
});
