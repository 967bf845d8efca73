/**
 * RELIABILITY.md row 14 against the real agent: wrong tokens are limited per presented
 * credential and in total, never per address (every local caller is 127.0.0.1), a request
 * without a token counts against nobody, and the right token is always accepted at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimitDefaults } from '../../agent/security';
import { bearer, makeToken, request, startAgent, type RunningAgent } from './helpers';

const PerCredential = RateLimitDefaults.perCredential.maxFailures;
const Total = RateLimitDefaults.total.maxFailures;

/** Sends `count` requests, `concurrency` at a time; returns how many got each status. */
async function sendMany(options: {
  port: number;
  count: number;
  headers: () => Record<string, string>;
  concurrency?: number;
}): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < options.count) {
      next++;
      const res = await request({
        port: options.port,
        headers: options.headers(),
        keepAlive: true
      });
      counts.set(res.status, (counts.get(res.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  return counts;
}

/** A fresh agent for one describe block, so one block's blocks do not leak into the next. */
function freshAgent(): { agent: RunningAgent } {
  const holder = { agent: undefined as unknown as RunningAgent };
  beforeAll(async () => {
    holder.agent = await startAgent();
  });
  afterAll(async () => {
    await holder.agent?.stop();
  });
  return holder;
}

describe('tokenless requests and one repeated wrong token', () => {
  const fresh = freshAgent();

  it('answers 500 requests without a token 401 and counts them against nobody', async () => {
    // Twelve <img> tags on any localhost page used to lock the paired page out for 30 s.
    const counts = await sendMany({ port: fresh.agent.port, count: 500, headers: () => ({}) });
    expect([...counts.entries()]).toEqual([[401, 500]]);
    const wrong = await request({ port: fresh.agent.port, headers: bearer(makeToken()) });
    expect(wrong.status).toBe(401);
    const right = await request({ port: fresh.agent.port, headers: bearer(fresh.agent.token) });
    expect(right.status).toBe(200);
  });

  it('limits one wrong token repeated, and only that one', async () => {
    const stale = makeToken();
    const statuses: number[] = [];
    for (let i = 0; i < PerCredential + 3; i++) {
      statuses.push((await request({ port: fresh.agent.port, headers: bearer(stale) })).status);
    }
    expect(statuses).toEqual([
      ...Array<number>(PerCredential).fill(401),
      ...Array<number>(3).fill(429)
    ]);
    const blocked = await request({ port: fresh.agent.port, headers: bearer(stale) });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(JSON.parse(blocked.body).error).toMatch(/too many bad tokens/);
    // Another wrong token is still only wrong, and the right one still works.
    expect((await request({ port: fresh.agent.port, headers: bearer(makeToken()) })).status).toBe(
      401
    );
    expect(
      (await request({ port: fresh.agent.port, headers: bearer(fresh.agent.token) })).status
    ).toBe(200);
  });
});

describe('1000 distinct bad tokens', () => {
  const fresh = freshAgent();

  it('answers 401 then 429, never 200', async () => {
    const counts = await sendMany({
      port: fresh.agent.port,
      count: 1000,
      headers: () => bearer(makeToken())
    });
    expect([...counts.keys()].sort()).toEqual([401, 429]);
    // Only the first `Total` reach a 401; all later ones are refused outright.
    expect(counts.get(401)).toBe(Total);
    expect(counts.get(429)).toBe(1000 - Total);
  });

  it('never locks the right token out: it is accepted at once during the block', async () => {
    const wrong = await request({ port: fresh.agent.port, headers: bearer(makeToken()) });
    expect(wrong.status).toBe(429);
    for (let i = 0; i < 5; i++) {
      const res = await request({ port: fresh.agent.port, headers: bearer(fresh.agent.token) });
      expect(res.status).toBe(200);
    }
  });

  it('still checks Host before the token', async () => {
    const res = await request({
      port: fresh.agent.port,
      headers: { Host: `evil.example:${fresh.agent.port}`, ...bearer(fresh.agent.token) }
    });
    expect(res.status).toBe(403);
  });
});
