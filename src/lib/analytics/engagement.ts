/**
 * Sessions and engagement over result-log events (issue 23; the event-analytics
 * specification's user sessions, active users and engagement KPIs): events are grouped
 * per user, into sessions by their session id or, without one, by an inactivity gap; then
 * daily/weekly/monthly active users, session length, actions per session, weekly cohort
 * retention and a funnel over action types.
 *
 * Incremental: `EngagementState.apply` only files new events under their user and marks
 * the user dirty; a read re-derives the sessions of dirty users alone (a user's events are
 * kept sorted, so late or out-of-order events are placed where they belong). Pure: `now`
 * and the time zone are arguments.
 */
import { DAY_MS, type ResultEvent } from '$lib/types';
import { readActionType } from './resultlog-common';
import { createZoneCalendar } from './resultlog-time';

export const EngagementDefaults = {
  /** A gap longer than this between two events of a user without session ids starts a new session. */
  sessionGapMs: 30 * 60_000,
  /** Weeks of cohorts reported (the newest). */
  cohortWeeks: 8
};

const WEEK_MS = 7 * DAY_MS;
/** 1970-01-05 was a Monday: weeks start on Mondays. */
const MONDAY_MS = 4 * DAY_MS;

const text = (x: unknown) => (typeof x === 'string' && x !== '' ? x : undefined);

/**
 * Who an event belongs to: its `userId`, else the context's `userId`, else its
 * organisation, else '(anonymous)' — so events without identities still count as one
 * user's rather than vanish. O(1).
 */
export function readUserId(e: ResultEvent): string {
  const c = e.context as Record<string, unknown> | undefined;
  return text(e.userId) ?? text(c?.userId) ?? text(e.organisationId) ?? '(anonymous)';
}

/** The event's session id (its own or its context's), or undefined: then the gap decides. */
export function readSessionId(e: ResultEvent): string | undefined {
  const c = e.context as Record<string, unknown> | undefined;
  return text(e.sessionId) ?? text(c?.sessionId);
}

export interface Session {
  user: string;
  /** The given session id, or undefined for a session inferred by the gap. */
  id: string | undefined;
  start: number;
  end: number;
  /** Events in the session. */
  actions: number;
  /** Action types in time order. */
  actionTypes: string[];
}

interface UserLog {
  t: number[];
  action: string[];
  session: (string | undefined)[];
  /** False once an event arrived older than the newest: the next read sorts. */
  sorted: boolean;
  /** Sessions derived from the above; null when events arrived since. */
  sessions: Session[] | null;
}

/**
 * A user's sessions: events sharing a session id form one session whatever the gaps;
 * events without one are split where the gap to the previous such event exceeds `gapMs`.
 * Sessions come out by start time. O(n) for sorted input.
 */
export function splitSessions(
  user: string,
  events: readonly { t: number; actionType: string; sessionId?: string }[],
  gapMs: number = EngagementDefaults.sessionGapMs
): Session[] {
  const byId = new Map<string, Session>();
  const out: Session[] = [];
  let open: Session | null = null;
  for (const e of events) {
    if (e.sessionId !== undefined) {
      let s = byId.get(e.sessionId);
      if (!s) {
        s = { user, id: e.sessionId, start: e.t, end: e.t, actions: 0, actionTypes: [] };
        byId.set(e.sessionId, s);
        out.push(s);
      }
      s.start = Math.min(s.start, e.t);
      s.end = Math.max(s.end, e.t);
      s.actions++;
      s.actionTypes.push(e.actionType);
      continue;
    }
    if (!open || e.t - open.end > gapMs) {
      open = { user, id: undefined, start: e.t, end: e.t, actions: 0, actionTypes: [] };
      out.push(open);
    }
    open.end = e.t;
    open.actions++;
    open.actionTypes.push(e.actionType);
  }
  return out.sort((a, b) => a.start - b.start);
}

export interface FunnelStep {
  actionType: string;
  /** Sessions that reached this step (every earlier step before it, in order). */
  sessions: number;
  /** Share of the sessions that reached the first step, 0..1 (NaN when none did). */
  conversion: number;
}

export interface CohortRow {
  /** Monday 00:00 (local) of the cohort's week. */
  weekStart: number;
  /** Users whose first event falls in that week. */
  users: number;
  /** retention[k]: share of them active in week k after (retention[0] = 1). */
  retention: number[];
}

export interface EngagementReport {
  now: number;
  users: number;
  /** Distinct users with an event in the last 1, 7 and 30 days up to now. */
  dau: number;
  wau: number;
  mau: number;
  /** dau ÷ mau, NaN without monthly users. */
  stickiness: number;
  sessions: number;
  /** Sessions with a given id, and inferred from the gap. */
  sessionsById: number;
  /** Session length (last − first event), ms. NaN without sessions. */
  sessionLengthMs: { mean: number; median: number };
  actionsPerSession: { mean: number; median: number };
  cohorts: CohortRow[];
  funnel: FunnelStep[];
  sessionGapMs: number;
}

const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mean = (xs: number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

/**
 * How many sessions reach each step of the funnel: a session reaches step k when the
 * action types of steps 1..k occur in it in that order (other actions between are
 * allowed). O(sessions × actions).
 */
export function computeFunnel(
  sessions: readonly Session[],
  steps: readonly string[]
): FunnelStep[] {
  const reached = new Array<number>(steps.length).fill(0);
  for (const s of sessions) {
    let k = 0;
    for (const a of s.actionTypes) {
      if (k < steps.length && a === steps[k]) k++;
    }
    for (let i = 0; i < k; i++) reached[i]++;
  }
  return steps.map((actionType, i) => ({
    actionType,
    sessions: reached[i],
    conversion: reached[0] === 0 ? NaN : reached[i] / reached[0]
  }));
}

/**
 * Per-user event logs kept as events arrive, and the engagement report read from them.
 * @example
 * const s = new EngagementState({ timeZone: 'UTC' });
 * s.apply(events);
 * s.read({ now, funnel: ['signup', 'build', 'deploy'] }).dau
 */
export class EngagementState {
  readonly #users = new Map<string, UserLog>();
  readonly #gapMs: number;
  readonly #offsetAt: (t: number) => number;

  constructor(options: { timeZone?: string; sessionGapMs?: number } = {}) {
    this.#gapMs = options.sessionGapMs ?? EngagementDefaults.sessionGapMs;
    this.#offsetAt = createZoneCalendar(options.timeZone ?? 'UTC').offsetAt;
  }

  /**
   * Files events under their users (any order: an out-of-order event only marks its
   * user for a sort at the next read, so an unsorted import stays O(n log n)). O(k).
   */
  apply(events: readonly ResultEvent[]): void {
    for (const e of events) {
      if (!e || typeof e.t !== 'number' || !Number.isFinite(e.t)) continue;
      const user = readUserId(e);
      let log = this.#users.get(user);
      if (!log) {
        log = { t: [], action: [], session: [], sorted: true, sessions: null };
        this.#users.set(user, log);
      }
      if (log.t.length > 0 && e.t < log.t[log.t.length - 1]) log.sorted = false;
      log.t.push(e.t);
      log.action.push(readActionType(e));
      log.session.push(readSessionId(e));
      log.sessions = null;
    }
  }

  /** Puts a user's events back in time order (stable: equal times keep arrival order). */
  #sort(log: UserLog): void {
    if (log.sorted) return;
    const order = log.t.map((_, i) => i).sort((a, b) => log.t[a] - log.t[b] || a - b);
    log.t = order.map((i) => log.t[i]);
    log.action = order.map((i) => log.action[i]);
    log.session = order.map((i) => log.session[i]);
    log.sorted = true;
  }

  #sessionsOf(user: string, log: UserLog): Session[] {
    this.#sort(log);
    if (!log.sessions) {
      const events = log.t.map((t, i) => ({
        t,
        actionType: log.action[i],
        sessionId: log.session[i]
      }));
      log.sessions = splitSessions(user, events, this.#gapMs);
    }
    return log.sessions;
  }

  /** Every session, by user then start. Re-derives only the users with new events. */
  readSessions(): Session[] {
    const out: Session[] = [];
    for (const [user, log] of this.#users) out.push(...this.#sessionsOf(user, log));
    return out;
  }

  #weekOf(t: number): number {
    return Math.floor((t + this.#offsetAt(t) - MONDAY_MS) / WEEK_MS);
  }

  /** The report at `now`; `funnel` lists the action types of the funnel's steps. */
  read(options: {
    now: number;
    funnel?: readonly string[];
    cohortWeeks?: number;
  }): EngagementReport {
    const { now } = options;
    let dau = 0;
    let wau = 0;
    let mau = 0;
    const firstWeek = new Map<string, number>();
    const activeWeeks = new Map<string, Set<number>>();
    for (const [user, log] of this.#users) {
      this.#sort(log);
      // Latest event at or before now.
      let last = -Infinity;
      for (let i = log.t.length - 1; i >= 0; i--) {
        if (log.t[i] <= now) {
          last = log.t[i];
          break;
        }
      }
      if (last > now - DAY_MS) dau++;
      if (last > now - 7 * DAY_MS) wau++;
      if (last > now - 30 * DAY_MS) mau++;
      const weeks = new Set<number>();
      for (const t of log.t) if (t <= now) weeks.add(this.#weekOf(t));
      if (weeks.size === 0) continue;
      firstWeek.set(user, Math.min(...weeks));
      activeWeeks.set(user, weeks);
    }
    const sessions = this.readSessions().filter((s) => s.start <= now);
    const nowWeek = this.#weekOf(now);
    const cohortWeeks = options.cohortWeeks ?? EngagementDefaults.cohortWeeks;
    const cohorts: CohortRow[] = [];
    for (let w = nowWeek - cohortWeeks + 1; w <= nowWeek; w++) {
      const members = [...firstWeek].filter(([, f]) => f === w).map(([u]) => u);
      if (members.length === 0) continue;
      const retention: number[] = [];
      for (let k = 0; w + k <= nowWeek; k++) {
        const active = members.filter((u) => activeWeeks.get(u)!.has(w + k)).length;
        retention.push(active / members.length);
      }
      // Local Monday 00:00 of week w (the offset of that instant, as near DST as it gets).
      const approx = w * WEEK_MS + MONDAY_MS;
      cohorts.push({
        weekStart: approx - this.#offsetAt(approx),
        users: members.length,
        retention
      });
    }
    return {
      now,
      users: firstWeek.size,
      dau,
      wau,
      mau,
      stickiness: mau === 0 ? NaN : dau / mau,
      sessions: sessions.length,
      sessionsById: sessions.filter((s) => s.id !== undefined).length,
      sessionLengthMs: {
        mean: mean(sessions.map((s) => s.end - s.start)),
        median: median(sessions.map((s) => s.end - s.start))
      },
      actionsPerSession: {
        mean: mean(sessions.map((s) => s.actions)),
        median: median(sessions.map((s) => s.actions))
      },
      cohorts,
      funnel: computeFunnel(sessions, options.funnel ?? []),
      sessionGapMs: this.#gapMs
    };
  }
}
