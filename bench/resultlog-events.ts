/**
 * Deterministic result-log events for the analytics benchmarks (mulberry32 PRNG): ten
 * action types, a thousand triggers over five organisations, 80 % success, exponential
 * durations around 300 ms, retries on one event in ten, numbered timeout messages.
 */
import type { ResultEvent } from '../src/lib/types';

export function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeResultEvents(
  n: number,
  seed: number,
  start: number,
  stepMs: number
): ResultEvent[] {
  const rnd = mulberry32(seed);
  const actions = ['email', 'webhook', 'sms', 'slack', 'http', 'db', 'queue', 'file', 'pdf', 'ai'];
  const statuses = [
    'success',
    'success',
    'success',
    'success',
    'success',
    'success',
    'success',
    'success',
    'failure',
    'timeout'
  ];
  const out: ResultEvent[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const trig = Math.floor(rnd() * 1000);
    const status = statuses[Math.floor(rnd() * statuses.length)];
    out[i] = {
      t: start + i * stepMs,
      actionType: actions[trig % actions.length],
      status,
      durationMs: Math.round(-Math.log(1 - rnd()) * 300),
      triggerId: 'trigger-' + trig,
      organisationId: 'org-' + (trig % 5),
      retries: rnd() < 0.1 ? 1 + Math.floor(rnd() * 3) : 0,
      errorMessage:
        status === 'success' ? undefined : `Timeout after ${Math.floor(rnd() * 5000)} ms`
    };
  }
  return out;
}
