/** RELIABILITY.md row 14: 1000 bad tokens are rate-limited and never succeed. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, makeToken, request, startAgent, type RunningAgent } from './helpers';

let agent: RunningAgent;

beforeAll(async () => {
  agent = await startAgent();
});

afterAll(async () => {
  await agent?.stop();
});

describe('bad-token rate limit', () => {
  it('answers 1000 bad tokens with 401 then 429, never 200', async () => {
    const counts = new Map<number, number>();
    const Concurrency = 8;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < 1000) {
        next++;
        const res = await request({
          port: agent.port,
          headers: bearer(makeToken()),
          keepAlive: true
        });
        counts.set(res.status, (counts.get(res.status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: Concurrency }, worker));
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(1000);
    expect([...counts.keys()].sort()).toEqual([401, 429]);
    // The limiter blocks after 10 failures in 10 s, so only the first 10 reach the compare.
    expect(counts.get(401)).toBe(10);
    expect(counts.get(429)).toBe(990);
  });

  it('keeps blocking the address even for the right token while the block lasts', async () => {
    const res = await request({ port: agent.port, headers: bearer(agent.token) });
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('still checks Host before the rate limit', async () => {
    const res = await request({
      port: agent.port,
      headers: { Host: `evil.example:${agent.port}`, ...bearer(agent.token) }
    });
    expect(res.status).toBe(403);
  });
});
