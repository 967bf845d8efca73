import { describe, expect, it } from 'vitest';
import type { ResultEvent } from '../types';
import {
  computeFences,
  groupEventsKAnonymous,
  pseudonymize,
  redactText,
  stripEventPii,
  suppressOutliers
} from './privacy';

describe('redactText', () => {
  it.each([
    ['mail bob.smith+x@example.co.uk now', 'mail [email] now'],
    ['from 192.168.1.20:443', 'from [ip]:443'],
    ['v6 fe80:0:0:0:200:f8ff:fe21:67cf here', 'v6 [ip] here'],
    ['req 123e4567-e89b-12d3-a456-426614174000 failed', 'req [id] failed'],
    ['call +44 20 7946 0958 please', 'call [number] please'],
    ['card 4111-1111-1111-1111', 'card [number]'],
    ['timeout after 30 s (retry 2)', 'timeout after 30 s (retry 2)'],
    ['', '']
  ])('%j → %j', (input, out) => {
    expect(redactText(input)).toBe(out);
  });
});

const ev = (i: number, patch: Partial<ResultEvent> = {}): ResultEvent => ({
  t: Date.UTC(2026, 0, 1, i % 3),
  actionType: i % 2 ? 'a' : 'b',
  status: i % 4 === 0 ? 'error' : 'ok',
  durationMs: i * 10,
  ...patch
});

describe('stripEventPii', () => {
  it('hashes ids with the salt, redacts messages, drops sensitive context keys, never mutates', async () => {
    const input: ResultEvent[] = [
      ev(0, {
        triggerId: 't1',
        organisationId: 'o',
        errorMessage: 'x@y.io',
        context: { email: 'x@y.io', region: 'eu', n: 3, deep: { a: 1 }, note: 'ip 1.2.3.4' }
      }),
      ev(1, { triggerId: 't1' }),
      ev(2, { triggerId: 't2', errorMessage: 'plain' })
    ];
    const copy = structuredClone(input);
    const { events, removed } = await stripEventPii(input, {
      policy: { ids: 'hash', errorMessage: 'redact', context: 'redact' },
      salt: 's'
    });
    expect(input).toEqual(copy);
    const t1 = await pseudonymize('t1', 's');
    expect(t1).toMatch(/^anon-[0-9a-f]{16}$/);
    expect(t1).not.toBe(await pseudonymize('t1', 'other salt'));
    expect(events.map((e) => e.triggerId)).toEqual([t1, t1, await pseudonymize('t2', 's')]);
    expect(events[0].organisationId).toBe(await pseudonymize('o', 's'));
    expect(events[0].errorMessage).toBe('[email]');
    expect(events[2].errorMessage).toBe('plain');
    expect(events[0].context).toEqual({ region: 'eu', n: 3, note: 'ip [ip]' });
    expect(removed).toEqual([
      { field: 'triggerId', action: 'hashed', count: 3, detail: expect.any(String) },
      { field: 'organisationId', action: 'hashed', count: 1, detail: expect.any(String) },
      { field: 'errorMessage', action: 'redacted', count: 1, detail: expect.any(String) },
      { field: 'context.email', action: 'dropped', count: 1, detail: expect.any(String) },
      { field: 'context.deep', action: 'dropped', count: 1, detail: expect.any(String) },
      { field: 'context.note', action: 'redacted', count: 1, detail: expect.any(String) }
    ]);
  });

  it('drop mode removes the fields entirely', async () => {
    const { events, removed } = await stripEventPii(
      [ev(0, { triggerId: 't', organisationId: 'o', errorMessage: 'm', context: { a: 1 } })],
      { policy: { ids: 'drop', errorMessage: 'drop', context: 'drop' }, salt: '' }
    );
    expect(events).toEqual([ev(0)]);
    expect(removed.map((r) => `${r.field}:${r.action}:${r.count}`)).toEqual([
      'triggerId:dropped:1',
      'organisationId:dropped:1',
      'errorMessage:dropped:1',
      'context:dropped:1'
    ]);
  });
});

describe('groupEventsKAnonymous', () => {
  it('suppresses groups under k (hand-computed)', () => {
    // i = 0..11 → actionType a (odd) / b (even); status error when i % 4 === 0 (0, 4, 8).
    const events = Array.from({ length: 12 }, (_, i) => ev(i));
    const r = groupEventsKAnonymous(events, { by: ['actionType', 'status'], k: 5 });
    // a/ok: 1,3,5,7,9,11 (6) · b/error: 0,4,8 (3) · b/ok: 2,6,10 (3)
    expect(r.groups).toEqual([
      { key: { actionType: 'a', status: 'ok' }, count: 6, meanDurationMs: 60, failures: 0 }
    ]);
    expect(r.suppressedGroups).toBe(2);
    expect(r.suppressedEvents).toBe(6);
    const k3 = groupEventsKAnonymous(events, { by: ['actionType', 'status'], k: 3 });
    expect(
      k3.groups.map((g) => [g.key.actionType, g.key.status, g.count, g.failures, g.meanDurationMs])
    ).toEqual([
      ['a', 'ok', 6, 0, 60],
      ['b', 'error', 3, 3, 40],
      ['b', 'ok', 3, 0, 60]
    ]);
  });

  it('groups by UTC hour; default k is 5; empty input is empty', () => {
    const events = Array.from({ length: 15 }, (_, i) => ev(i));
    const r = groupEventsKAnonymous(events, { by: ['hour'] });
    expect(r.groups.map((g) => [g.key.hour, g.count])).toEqual([
      ['2026-01-01T00:00:00.000Z', 5],
      ['2026-01-01T01:00:00.000Z', 5],
      ['2026-01-01T02:00:00.000Z', 5]
    ]);
    expect(groupEventsKAnonymous([], { by: ['status'] })).toEqual({
      groups: [],
      suppressedGroups: 0,
      suppressedEvents: 0
    });
  });
});

describe('outliers', () => {
  it('Tukey far-out fences and suppression keep NaN gaps', () => {
    expect(computeFences({ q1: 10, q3: 20 })).toEqual({ low: -20, high: 50 });
    expect(computeFences({ q1: NaN, q3: 1 })).toEqual({ low: -Infinity, high: Infinity });
    const r = suppressOutliers(
      { t: Float64Array.of(1, 2, 3, 4, 5), v: Float64Array.of(1, NaN, 100, Infinity, 50) },
      { low: -20, high: 50 }
    );
    expect([...r.t]).toEqual([1, 2, 5]);
    expect(r.removed).toBe(2);
  });
});
