/**
 * Alert rules, states and history in the store. No new table: rules and switches live in
 * `meta`, and per rule+series state and the transition history in `detectors`, which was
 * designed to be shared by key prefix (engine-anomaly's DetectorKeyPrefix uses `anomaly:`).
 *
 * History keys start with the zero-padded transition time, so key order is time order and
 * trimming the oldest is one key range. A state and the history it produced commit in one
 * transaction that re-reads the state first: two engines (two tabs, a crash and a restart)
 * can both run a pass, and the second sees the first's result instead of repeating it.
 */
import type { AlertInstanceState, AlertTransition } from '$lib/alerts/types';
import type { DetectorRecord, TidemarkDb } from './database';

export const AlertKeys = {
  rules: 'alerts:rules',
  nextId: 'alerts:next-id',
  silence: 'alerts:silence',
  prefs: 'alerts:prefs',
  /** `detectors` key prefix of per rule+series states: `alert:<ruleId>:<seriesKey>`. */
  state: 'alert:',
  /** `detectors` key prefix of history entries: `alert-history:<t>:<ruleId>:<series>:<kind>`. */
  history: 'alert-history:'
} as const;

/** A rule as stored: its text is the source of truth, parsed again when read. */
export interface StoredAlertRule {
  id: string;
  text: string;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
  snoozedUntil: number | null;
}

export interface AlertPrefs {
  /** Play a short tone when an alert fires (off by default: sound surprises people). */
  sound: boolean;
  /** Show a system notification when an alert fires (needs the browser's permission too). */
  system: boolean;
}

export const DefaultAlertPrefs: AlertPrefs = { sound: false, system: false };

export interface AlertHistoryEntry extends AlertTransition {
  /** The store key: also the cursor for "entries after this one". */
  key: string;
}

export interface StoredAlertState extends AlertInstanceState {
  ruleId: string;
  seriesKey: string;
}

const stateKey = (ruleId: string, seriesKey: string) => `${AlertKeys.state}${ruleId}:${seriesKey}`;
const statePrefix = (ruleId: string) => `${AlertKeys.state}${ruleId}:`;
/** 16 digits hold every epoch millisecond until the year 2286. */
const padTime = (t: number) => String(Math.max(0, Math.floor(t))).padStart(16, '0');
const historyKey = (x: AlertTransition) =>
  `${AlertKeys.history}${padTime(x.t)}:${x.ruleId}:${x.seriesKey}:${x.kind}`;

/** The stored rules, in the order they were added ([] when none). */
export async function readAlertRules(db: TidemarkDb): Promise<StoredAlertRule[]> {
  return ((await db.meta.get(AlertKeys.rules))?.value as StoredAlertRule[] | undefined) ?? [];
}

/**
 * Changes the rule list in one transaction (read, change, write), so two tabs editing at
 * once both keep their edits. `change` may return a value, passed through.
 */
export async function updateAlertRules<T>(
  db: TidemarkDb,
  change: (
    rules: StoredAlertRule[],
    nextId: () => string
  ) => { rules: StoredAlertRule[]; result: T }
): Promise<T> {
  return db.transaction('rw', db.meta, async () => {
    const rules = await readAlertRules(db);
    let next = ((await db.meta.get(AlertKeys.nextId))?.value as number | undefined) ?? 1;
    const out = change(rules, () => `r${next++}`);
    await db.meta.put({ key: AlertKeys.rules, value: out.rules });
    await db.meta.put({ key: AlertKeys.nextId, value: next });
    return out.result;
  });
}

/** The states of one rule, by series key. */
async function readRuleStates(
  db: TidemarkDb,
  ruleId: string
): Promise<Record<string, AlertInstanceState>> {
  const out: Record<string, AlertInstanceState> = {};
  const prefix = statePrefix(ruleId);
  for (const r of await db.detectors.where('key').startsWith(prefix).toArray()) {
    out[r.key.slice(prefix.length)] = r.state as AlertInstanceState;
  }
  return out;
}

/** Every stored alert state (all rules). */
export async function readAllAlertStates(db: TidemarkDb): Promise<StoredAlertState[]> {
  const rows = await db.detectors.where('key').startsWith(AlertKeys.state).toArray();
  return rows.map((r) => {
    const rest = r.key.slice(AlertKeys.state.length);
    const i = rest.indexOf(':');
    return {
      ...(r.state as AlertInstanceState),
      ruleId: rest.slice(0, i),
      seriesKey: rest.slice(i + 1)
    };
  });
}

/**
 * Evaluates and commits one rule atomically: reads its states inside the transaction, calls
 * `evaluate` (pure, synchronous) with them, writes the states that changed and appends the
 * transitions to the history, trimmed to `maxHistory` entries and `maxHistoryAgeMs`.
 * Returns the transitions written.
 */
export async function commitAlertEvaluation(options: {
  db: TidemarkDb;
  ruleId: string;
  seriesIds: ReadonlyMap<string, number>;
  evaluate: (previous: Record<string, AlertInstanceState>) => {
    states: Record<string, AlertInstanceState>;
    transitions: AlertTransition[];
    dropped: string[];
  };
  now: number;
  maxHistory: number;
  maxHistoryAgeMs: number;
  /**
   * An unchanged status is rewritten (for its value and time) at most this often: a write
   * per rule every pass would be the store's busiest steady write for no new information.
   */
  refreshMs: number;
}): Promise<AlertTransition[]> {
  const { db, ruleId, seriesIds } = options;
  return db.transaction('rw', db.detectors, async () => {
    const previous = await readRuleStates(db, ruleId);
    const { states, transitions, dropped } = options.evaluate(previous);
    if (dropped.length) await db.detectors.bulkDelete(dropped.map((k) => stateKey(ruleId, k)));
    const records: DetectorRecord[] = [];
    for (const [seriesKey, state] of Object.entries(states)) {
      const prev = previous[seriesKey];
      if (prev === state) continue;
      if (
        prev &&
        prev.status === state.status &&
        prev.acknowledged === state.acknowledged &&
        state.evaluatedAt - prev.evaluatedAt < options.refreshMs
      ) {
        continue;
      }
      records.push({
        key: stateKey(ruleId, seriesKey),
        seriesId: seriesIds.get(seriesKey) ?? null,
        upTo: state.evaluatedAt,
        state
      });
    }
    if (records.length) await db.detectors.bulkPut(records);
    if (transitions.length) {
      await db.detectors.bulkPut(
        transitions.map((x) => ({ key: historyKey(x), seriesId: null, upTo: x.t, state: x }))
      );
      await trimHistory(db, options);
    }
    return transitions;
  });
}

async function trimHistory(
  db: TidemarkDb,
  options: { now: number; maxHistory: number; maxHistoryAgeMs: number }
): Promise<void> {
  const all = db.detectors.where('key').startsWith(AlertKeys.history);
  const old = `${AlertKeys.history}${padTime(options.now - options.maxHistoryAgeMs)}`;
  await db.detectors.where('key').between(AlertKeys.history, old, true, false).delete();
  const excess = (await all.count()) - options.maxHistory;
  if (excess > 0) await db.detectors.bulkDelete(await all.limit(excess).primaryKeys());
}

/** History newest first; with `after`, only entries whose key sorts after it. */
export async function readAlertHistory(
  db: TidemarkDb,
  options: { limit: number; after?: string; ruleId?: string }
): Promise<AlertHistoryEntry[]> {
  const lower = options.after ?? AlertKeys.history;
  const upper = `${AlertKeys.history}\uffff`;
  let q = db.detectors.where('key').between(lower, upper, options.after === undefined, false);
  if (options.ruleId !== undefined) {
    const id = options.ruleId;
    q = q.filter((r) => (r.state as AlertTransition).ruleId === id);
  }
  const rows = await q.reverse().limit(options.limit).toArray();
  return rows.map((r) => ({ ...(r.state as AlertTransition), key: r.key }));
}

/** Marks a firing instance acknowledged (false when it is not firing any more). */
export async function acknowledgeAlertState(
  db: TidemarkDb,
  ruleId: string,
  seriesKey: string
): Promise<boolean> {
  return db.transaction('rw', db.detectors, async () => {
    const key = stateKey(ruleId, seriesKey);
    const r = await db.detectors.get(key);
    const s = r?.state as AlertInstanceState | undefined;
    if (!r || !s || s.status !== 'firing') return false;
    await db.detectors.put({ ...r, state: { ...s, acknowledged: true } });
    return true;
  });
}

/** Forgets the states of a rule (deleted, or its condition changed). History stays. */
export async function deleteAlertStates(db: TidemarkDb, ruleId: string): Promise<void> {
  await db.detectors.where('key').startsWith(statePrefix(ruleId)).delete();
}

/** Highest stored anomaly scores of a series in [from, to]. */
export async function readAnomalyScores(
  db: TidemarkDb,
  seriesKey: string,
  from: number,
  to: number
): Promise<number[]> {
  const rows = await db.anomalies
    .where('[seriesKey+t]')
    .between([seriesKey, from], [seriesKey, to], true, true)
    .toArray();
  return rows.map((r) => r.score);
}

/** Keys of `detectors` records under a prefix, the prefix cut off (keys only, no states). */
export async function listDetectorKeySuffixes(db: TidemarkDb, prefix: string): Promise<string[]> {
  const keys = (await db.detectors.where('key').startsWith(prefix).primaryKeys()) as string[];
  return keys.map((k) => k.slice(prefix.length));
}
