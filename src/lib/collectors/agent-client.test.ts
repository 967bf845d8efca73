import { afterEach, describe, expect, it } from 'vitest';
import type { AgentMessage, AgentStatus } from '$lib/types';
import {
  AgentClient,
  computeBackoffMs,
  normaliseAgentUrl,
  type AgentCheckpoint,
  type AgentClientStatus,
  type AgentDelivery
} from './agent-client';

const Base = 'http://127.0.0.1:9471';

function hello(bootId: string, firstSeq: number, lastSeq: number): AgentStatus {
  return {
    version: '0.1.0',
    bootId,
    startedAt: 0,
    uptimeMs: 0,
    intervalMs: 1000,
    firstSeq,
    lastSeq,
    hostname: 'box',
    platform: 'linux',
    samples: [],
    bufferSize: 10
  };
}

function sample(seq: number, t = seq): AgentMessage {
  return {
    seq,
    kind: 'sample',
    t,
    points: [
      {
        name: 'load_average_1m',
        labels: {},
        unit: '',
        kind: 'gauge',
        category: 'system',
        t,
        v: seq
      }
    ]
  };
}

function frame(event: string, data: unknown, id?: number): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

interface Call {
  url: string;
  init: RequestInit | undefined;
}

/**
 * A scripted agent: each stream request takes the next script entry — a status code, or the
 * frames to send (then the stream ends, as when the agent stops).
 */
function fakeAgent(script: Array<number | 'unreachable' | 'cors' | string[]>) {
  const calls: Call[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    calls.push({ url, init });
    if (init?.mode === 'no-cors') {
      if (lastKind === 'cors') return new Response(null, { status: 200 });
      throw new TypeError('Failed to fetch');
    }
    const step = script.shift();
    lastKind = typeof step === 'string' ? step : '';
    if (step === undefined) {
      // Nothing scripted: stay open until aborted.
      return new Response(
        new ReadableStream({
          start(c) {
            init?.signal?.addEventListener('abort', () =>
              c.error(new DOMException('aborted', 'AbortError'))
            );
          }
        }),
        { status: 200 }
      );
    }
    if (step === 'unreachable' || step === 'cors') throw new TypeError('Failed to fetch');
    if (typeof step === 'number') {
      return new Response(JSON.stringify({ error: 'bad token' }), {
        status: step,
        headers: step === 429 ? { 'Retry-After': '0.01' } : {}
      });
    }
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (const chunk of step) c.enqueue(new TextEncoder().encode(chunk));
        c.close();
      }
    });
    return new Response(body, { status: 200 });
  }) as typeof globalThis.fetch;
  let lastKind = '';
  return { fetch, calls };
}

const clients: AgentClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop()));
});

function makeClient(options: {
  fetch: typeof fetch;
  checkpoint?: AgentCheckpoint | null;
  deliver?: (d: AgentDelivery) => Promise<void>;
}) {
  const delivered: AgentDelivery[] = [];
  const statuses: AgentClientStatus[] = [];
  const client = new AgentClient({
    url: Base,
    token: 'secret-token-secret-token-secret-token-abc',
    origin: 'http://127.0.0.1:4414',
    fetch: options.fetch,
    loadCheckpoint: async () => options.checkpoint ?? null,
    deliver:
      options.deliver ??
      (async (d) => {
        delivered.push(d);
      }),
    onStatus: (s) => statuses.push(s),
    random: () => 0.5,
    backoff: { initialMs: 1, maxMs: 4 }
  });
  clients.push(client);
  return { client, delivered, statuses };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const streamUrls = (calls: Call[]) =>
  calls.filter((c) => c.init?.mode !== 'no-cors').map((c) => c.url);

describe('computeBackoffMs', () => {
  it.each([
    [0, 0, 250],
    [0, 1, 500],
    [3, 1, 4000],
    [10, 1, 15_000],
    [50, 0, 7_500]
  ])('attempt %i with random %f waits %f ms', (attempt, r, expected) => {
    expect(computeBackoffMs(attempt, { random: () => r })).toBe(expected);
  });
});

describe('normaliseAgentUrl', () => {
  it('keeps loopback origins and refuses anything else with a reason', () => {
    expect(normaliseAgentUrl(' http://localhost:9470/ ')).toBe('http://localhost:9470');
    expect(normaliseAgentUrl('http://[::1]:9470')).toBe('http://[::1]:9470');
    expect(() => normaliseAgentUrl('http://evil.example:9470')).toThrow(/this machine only/);
    expect(() => normaliseAgentUrl('ftp://127.0.0.1')).toThrow(/http/);
    expect(() => normaliseAgentUrl('nonsense')).toThrow(/not a URL/);
    expect(() => normaliseAgentUrl('http://127.0.0.1:9470/?token=x')).toThrow(/no user/);
  });
});

describe('AgentClient', () => {
  it('stores batches with their checkpoint, then resumes after the last stored seq', async () => {
    const agent = fakeAgent([
      [
        frame('hello', hello('boot-a', 100, 102)),
        frame('gap', { after: 0, firstAvailableSeq: 100 }),
        // Two batches in one read (one network chunk).
        frame('batch', { messages: [sample(100), sample(101)] }, 101) +
          frame('batch', { messages: [sample(102)] }, 102)
      ]
    ]);
    const { client, delivered, statuses } = makeClient({ fetch: agent.fetch });
    void client.start();
    await until(() => streamUrls(agent.calls).length >= 2, 'the reconnect');
    const urls = streamUrls(agent.calls);
    expect(urls[0]).toBe(`${Base}/v1/stream?after=0`);
    expect(urls[1]).toBe(`${Base}/v1/stream?after=102`);
    // The token travels only in the header.
    for (const c of agent.calls) expect(c.url).not.toContain('secret');
    const headers = agent.calls[0].init?.headers as Record<string, string>;
    expect(headers.Authorization).toBe('Bearer secret-token-secret-token-secret-token-abc');
    // Both batches of one read are stored together, with the last seq as the checkpoint.
    expect(delivered.map((d) => d.checkpoint)).toEqual([{ bootId: 'boot-a', seq: 102 }]);
    expect([...delivered[0].batches[0].v]).toEqual([100, 101, 102]);
    expect(statuses.some((s) => s.state === 'connected')).toBe(true);
    // The first connection asks for everything held: its gap is not a loss.
    expect(client.status.lastGap).toBeNull();
    expect(client.status.received).toEqual({ messages: 3, points: 3, events: 0 });
  });

  it('never hands the same seq over twice, even when the agent repeats one', async () => {
    const agent = fakeAgent([
      [
        frame('hello', hello('boot-a', 1, 3)),
        frame('batch', { messages: [sample(1), sample(2)] }, 2),
        frame('batch', { messages: [sample(2), sample(3)] }, 3)
      ]
    ]);
    const { client, delivered } = makeClient({ fetch: agent.fetch, checkpoint: null });
    void client.start();
    await until(() => streamUrls(agent.calls).length >= 2, 'the reconnect');
    const seqs = delivered.flatMap((d) => [...d.batches[0].v]);
    expect(seqs).toEqual([1, 2, 3]);
  });

  it('does not move the checkpoint when storing fails, and asks again from the old one', async () => {
    const agent = fakeAgent([
      [frame('hello', hello('boot-a', 10, 11)), frame('batch', { messages: [sample(11)] }, 11)],
      [frame('hello', hello('boot-a', 10, 11)), frame('batch', { messages: [sample(11)] }, 11)]
    ]);
    let fail = true;
    const stored: number[] = [];
    const { client, statuses } = makeClient({
      fetch: agent.fetch,
      checkpoint: { bootId: 'boot-a', seq: 10 },
      deliver: async (d) => {
        if (fail) {
          fail = false;
          throw new Error('QuotaExceededError');
        }
        stored.push(d.checkpoint.seq);
      }
    });
    void client.start();
    await until(() => streamUrls(agent.calls).length >= 3, 'two reconnects');
    const urls = streamUrls(agent.calls);
    expect(urls.slice(0, 3)).toEqual([
      `${Base}/v1/stream?after=10`,
      `${Base}/v1/stream?after=10`,
      `${Base}/v1/stream?after=11`
    ]);
    expect(stored).toEqual([11]);
    expect(statuses.some((s) => s.error?.kind === 'storage')).toBe(true);
  });

  it('after an agent restart whose seqs overlap the checkpoint, asks for the whole new boot', async () => {
    const agent = fakeAgent([
      [
        frame('hello', hello('boot-b', 900, 1100)),
        frame('batch', { messages: [sample(1001)] }, 1001)
      ],
      [
        frame('hello', hello('boot-b', 900, 1100)),
        frame('batch', { messages: [sample(900), sample(901)] }, 901)
      ]
    ]);
    const { client, delivered } = makeClient({
      fetch: agent.fetch,
      checkpoint: { bootId: 'boot-a', seq: 1000 }
    });
    void client.start();
    await until(() => delivered.length >= 1, 'a delivery');
    expect(streamUrls(agent.calls).slice(0, 2)).toEqual([
      `${Base}/v1/stream?after=1000`,
      `${Base}/v1/stream?after=899`
    ]);
    // The batch of the overlapping stream was not stored; the new boot's first ones were.
    expect(delivered[0].checkpoint).toEqual({ bootId: 'boot-b', seq: 901 });
    expect([...delivered[0].batches[0].v]).toEqual([900, 901]);
  });

  it('reports a restart gap and keeps messages of the new boot below the old seq', async () => {
    // A clock that went back: the new boot's seqs are all below the checkpoint.
    const agent = fakeAgent([
      [
        frame('hello', hello('boot-b', 500, 501)),
        frame('gap', { after: 1000, firstAvailableSeq: 500 }),
        frame('batch', { messages: [sample(500), sample(501)] }, 501)
      ]
    ]);
    const { client, delivered } = makeClient({
      fetch: agent.fetch,
      checkpoint: { bootId: 'boot-a', seq: 1000 }
    });
    void client.start();
    await until(() => delivered.length >= 1, 'a delivery');
    expect([...delivered[0].batches[0].v]).toEqual([500, 501]);
    expect(client.status.lastGap).toMatchObject({ restart: true, missed: null });
  });

  it('counts messages lost off the buffer of the same boot', async () => {
    const agent = fakeAgent([
      [
        frame('hello', hello('boot-a', 50, 50)),
        frame('gap', { after: 40, firstAvailableSeq: 50 }),
        frame('batch', { messages: [sample(50)] }, 50)
      ]
    ]);
    const { client, delivered } = makeClient({
      fetch: agent.fetch,
      checkpoint: { bootId: 'boot-a', seq: 40 }
    });
    void client.start();
    await until(() => delivered.length >= 1, 'a delivery');
    expect(client.status.lastGap).toMatchObject({ restart: false, missed: 9 });
  });

  it("keeps the agent's lagged event in its status, for the page to say it fell behind", async () => {
    const lag = {
      sentSeq: 49,
      behindMessages: 12,
      behindMs: 12_000,
      blockedMs: 11_000,
      dropped: 0,
      cutOff: false
    };
    const agent = fakeAgent([
      [
        frame('hello', hello('boot-a', 50, 50)),
        frame('lagged', lag),
        frame('batch', { messages: [sample(50)] }, 50)
      ]
    ]);
    const { client, delivered } = makeClient({
      fetch: agent.fetch,
      checkpoint: { bootId: 'boot-a', seq: 49 }
    });
    expect(client.status.lastLag).toBeNull();
    void client.start();
    await until(() => delivered.length >= 1, 'a delivery');
    expect(client.status.lastLag).toMatchObject(lag);
    expect(typeof client.status.lastLag?.at).toBe('number');
  });

  it('stops on 401 with a message, and tries again only when asked', async () => {
    const agent = fakeAgent([401]);
    const { client } = makeClient({ fetch: agent.fetch });
    void client.start();
    await until(() => client.status.state === 'error', 'the error');
    expect(client.status.error?.kind).toBe('unauthorized');
    expect(client.status.error?.message).toMatch(/401/);
    await new Promise((r) => setTimeout(r, 50));
    expect(streamUrls(agent.calls)).toHaveLength(1);
    client.retryNow();
    await until(() => streamUrls(agent.calls).length === 2, 'the retry');
  });

  it('tells an unreachable agent from one that refuses this origin', async () => {
    const down = fakeAgent(['unreachable', 'unreachable']);
    const a = makeClient({ fetch: down.fetch });
    void a.client.start();
    await until(() => a.client.status.error?.kind === 'unreachable', 'unreachable');
    expect(a.client.status.error?.message).toMatch(/npm run agent/);
    await until(() => streamUrls(down.calls).length >= 2, 'a retry with backoff');

    const refused = fakeAgent(['cors']);
    const b = makeClient({ fetch: refused.fetch });
    void b.client.start();
    await until(() => b.client.status.error?.kind === 'forbidden', 'forbidden');
    expect(b.client.status.error?.message).toContain('--origin http://127.0.0.1:4414');
  });

  it('waits as long as a 429 says before retrying', async () => {
    const agent = fakeAgent([429]);
    const { client, statuses } = makeClient({ fetch: agent.fetch });
    void client.start();
    await until(() => streamUrls(agent.calls).length >= 2, 'the retry');
    expect(statuses.some((s) => s.error?.kind === 'rate-limited')).toBe(true);
  });
});
