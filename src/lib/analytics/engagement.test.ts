import { describe, expect, it } from 'vitest';
import type { ResultEvent } from '$lib/types';
import { computeFunnel, EngagementState, readUserId, splitSessions } from './engagement';

const MIN = 60_000;
const DAY = 86_400_000;
const WEEK = 7 * DAY;
/** Monday 2 November 2026, 00:00 UTC. */
const MONDAY = Date.UTC(2026, 10, 2);

const ev = (over: Partial<ResultEvent> & { t: number }): ResultEvent => ({
  actionType: 'build',
  status: 'success',
  durationMs: 10,
  ...over
});

describe('splitSessions', () => {
  it('splits by the inactivity gap (a gap of exactly 30 min stays in the session)', () => {
    const times = [0, 10, 40, 71, 72, 200].map((m) => ({ t: m * MIN, actionType: 'a' }));
    // Gaps: 10, 30 (same session), 31 (new), 1, 128 (new).
    const s = splitSessions('u', times, 30 * MIN);
    expect(s.map((x) => [x.start / MIN, x.end / MIN, x.actions])).toEqual([
      [0, 40, 3],
      [71, 72, 2],
      [200, 200, 1]
    ]);
  });

  it('events with a session id form one session whatever the gap; others split by gap', () => {
    const s = splitSessions('u', [
      { t: 0, actionType: 'a', sessionId: 's1' },
      { t: 5 * MIN, actionType: 'x' },
      { t: 120 * MIN, actionType: 'b', sessionId: 's1' },
      { t: 121 * MIN, actionType: 'a', sessionId: 's2' },
      { t: 130 * MIN, actionType: 'y' }
    ]);
    expect(s.map((x) => [x.id, x.start / MIN, x.end / MIN, x.actions, x.actionTypes])).toEqual([
      ['s1', 0, 120, 2, ['a', 'b']],
      [undefined, 5, 5, 1, ['x']],
      ['s2', 121, 121, 1, ['a']],
      [undefined, 130, 130, 1, ['y']]
    ]);
  });
});

describe('EngagementState', () => {
  it('users come from userId, then context.userId, then the organisation', () => {
    expect(readUserId(ev({ t: 0, userId: 'u1', organisationId: 'o' }))).toBe('u1');
    expect(readUserId(ev({ t: 0, context: { userId: 'u2' }, organisationId: 'o' }))).toBe('u2');
    expect(readUserId(ev({ t: 0, organisationId: 'o' }))).toBe('o');
  });

  it('sessions, lengths and actions per session, fed out of order in two batches', () => {
    const s = new EngagementState();
    const a = [0, 10, 20].map((m) => ev({ t: MONDAY + m * MIN, userId: 'a' }));
    const b = [0, 100].map((m) => ev({ t: MONDAY + m * MIN, userId: 'b' }));
    s.apply([a[2], b[1]]);
    s.apply([a[0], b[0], a[1]]);
    const r = s.read({ now: MONDAY + DAY - 1 });
    // a: one session of 20 min and 3 actions; b: two of 0 min and 1 action (gap 100 min).
    expect(r.sessions).toBe(3);
    expect(r.sessionLengthMs.mean).toBeCloseTo((20 * MIN) / 3, 6);
    expect(r.sessionLengthMs.median).toBe(0);
    expect(r.actionsPerSession).toEqual({ mean: 5 / 3, median: 1 });
  });

  it('DAU, WAU and MAU count distinct users in the last 1, 7 and 30 days', () => {
    const now = MONDAY + 40 * DAY;
    const s = new EngagementState();
    s.apply([
      ev({ t: now - 1 * 3_600_000, userId: 'today' }),
      ev({ t: now - 2 * 3_600_000, userId: 'today' }),
      ev({ t: now - 3 * DAY, userId: 'week' }),
      ev({ t: now - 20 * DAY, userId: 'month' }),
      ev({ t: now - 35 * DAY, userId: 'old' }),
      ev({ t: now + DAY, userId: 'future' })
    ]);
    const r = s.read({ now });
    expect([r.dau, r.wau, r.mau]).toEqual([1, 2, 3]);
    expect(r.stickiness).toBeCloseTo(1 / 3, 12);
  });

  it('weekly cohort retention, hand-computed', () => {
    // Week 0: a, b, c start. Week 1: a and b return. Week 2: a returns; d starts.
    // Cohort 0: [3/3, 2/3, 1/3]; cohort 2: [1/1].
    const s = new EngagementState();
    const at = (week: number, day: number) => MONDAY + week * WEEK + day * DAY + 3_600_000;
    s.apply([
      ev({ t: at(0, 0), userId: 'a' }),
      ev({ t: at(0, 3), userId: 'b' }),
      ev({ t: at(0, 6), userId: 'c' }),
      ev({ t: at(1, 1), userId: 'a' }),
      ev({ t: at(1, 2), userId: 'b' }),
      ev({ t: at(2, 4), userId: 'a' }),
      ev({ t: at(2, 5), userId: 'd' })
    ]);
    const r = s.read({ now: at(2, 6) });
    expect(r.cohorts).toEqual([
      { weekStart: MONDAY, users: 3, retention: [1, 2 / 3, 1 / 3] },
      { weekStart: MONDAY + 2 * WEEK, users: 1, retention: [1] }
    ]);
  });

  it('weeks follow the time zone (Monday 00:30 in Berlin is Sunday in UTC)', () => {
    const s = new EngagementState({ timeZone: 'Europe/Berlin' });
    // Sunday 1 Nov 23:30 UTC = Monday 2 Nov 00:30 CET.
    s.apply([ev({ t: MONDAY - 30 * MIN, userId: 'a' })]);
    const r = s.read({ now: MONDAY + DAY });
    expect(r.cohorts).toEqual([{ weekStart: MONDAY - 3_600_000, users: 1, retention: [1] }]);
  });
});

describe('computeFunnel', () => {
  it('counts sessions reaching each step in order', () => {
    const sessions = [
      ['view', 'signup', 'build', 'deploy'],
      ['view', 'build', 'signup'], // signup after build: reaches step 2 only
      ['signup', 'deploy'], // never viewed: reaches nothing
      ['view']
    ].map((actionTypes) => ({
      user: 'u',
      id: undefined,
      start: 0,
      end: 0,
      actions: actionTypes.length,
      actionTypes
    }));
    expect(computeFunnel(sessions, ['view', 'signup', 'build', 'deploy'])).toEqual([
      { actionType: 'view', sessions: 3, conversion: 1 },
      { actionType: 'signup', sessions: 2, conversion: 2 / 3 },
      { actionType: 'build', sessions: 1, conversion: 1 / 3 },
      { actionType: 'deploy', sessions: 1, conversion: 1 / 3 }
    ]);
  });
});
