/**
 * Alerting wired into the engine. Rules (text in the rule language, src/lib/alerts/README.md)
 * are stored in `meta`; on the leader, after each rollup pass, every enabled rule is
 * evaluated over the windows it needs — one store query per watched series, reading only
 * [now − window, now] — and the states and transitions are committed atomically per rule
 * (see db/alert-store.ts), so restarts and a second engine never duplicate history.
 * Every tab hears of transitions through a change notice and notifies from the history.
 */
import { evaluateRule, type EvaluableRule } from '$lib/alerts/evaluate';
import {
  parseSeriesKey,
  selectSeries,
  validateRuleAgainst,
  type SeriesInfo
} from '$lib/alerts/match';
import { parseRule } from '$lib/alerts/parse';
import {
  computeResultLogInputs,
  isResultLogSelector,
  listResultLogSeries,
  readsResultLogEvents
} from '$lib/alerts/resultlog';
import type {
  AlertCondition,
  AlertInput,
  AlertInstanceState,
  AlertRuleSpec,
  AlertStatus,
  RuleError
} from '$lib/alerts/types';
import {
  computeAnomalyScore,
  computeWindowAggregate,
  computeWindowQuantile,
  computeWindowRate,
  windowOfResult
} from '$lib/alerts/window';
import {
  acknowledgeAlertState,
  AlertKeys,
  commitAlertEvaluation,
  DefaultAlertPrefs,
  deleteAlertStates,
  listDetectorKeySuffixes,
  readAlertHistory,
  readAlertRules,
  readAllAlertStates,
  readAnomalyScores,
  updateAlertRules,
  type AlertHistoryEntry,
  type AlertPrefs,
  type StoredAlertRule
} from '$lib/db/alert-store';
import { DetectorKeyPrefix } from '$lib/db/anomaly-store';
import { readMetaValue, writeMetaValue } from '$lib/db/meta-store';
import { runQuery } from '$lib/db/query';
import { readAllSeries } from '$lib/db/series-store';
import type { QueryResult, SeriesRecord } from '$lib/types';
import type { EngineContext, EngineStores } from './context';

/**
 * Series an anomaly rule may watch besides the stored ones: the detector's derived event
 * series (`events:latency_p95{actionType="…"}`, `events:failure_rate{…}`), known by their
 * detector records.
 */
async function listEventSeries(stores: EngineStores): Promise<SeriesInfo[]> {
  const keys = await listDetectorKeySuffixes(stores.db, `${DetectorKeyPrefix.events}events:`);
  return keys.map((k) => parseSeriesKey(`events:${k}`)).filter((s): s is SeriesInfo => s !== null);
}

export const AlertWiringDefaults = {
  /** Most points one window query may return before the store answers from rollups. */
  maxWindowPoints: 5_000,
  /** History entries kept (the oldest go first)… */
  maxHistory: 2_000,
  /** …and for at most this long. */
  maxHistoryAgeMs: 90 * 86_400_000,
  /** An unchanged state is rewritten (value, time) at most this often. */
  stateRefreshMs: 10_000,
  /** Most rules a user may keep. */
  maxRules: 200
};

/** One alert instance as the page shows it. */
export interface AlertInstanceView extends AlertInstanceState {
  seriesKey: string;
  /** Unit of the value ('' when it has none): the series' unit, per second for rate(). */
  unit: string;
}

/** The unit of a rule's value on a series of unit `unit`. */
function describeValueUnit(spec: AlertRuleSpec | null, unit: string): string {
  const c = spec?.condition;
  if (!c || c.kind === 'anomaly' || c.kind === 'absent') return '';
  if (c.kind === 'rate') return unit ? `${unit}/s` : '';
  if (c.kind === 'threshold' && c.aggregate === 'count') return '';
  return unit;
}

/** A rule as the page shows it: stored fields, what it parsed to, and its instances. */
export interface AlertRuleView extends StoredAlertRule {
  name: string;
  severity: AlertRuleSpec['severity'] | null;
  kind: AlertCondition['kind'] | null;
  /** How long the condition must hold before firing (null when the text does not parse). */
  forMs: number | null;
  /** Set when the stored text no longer parses (it is then not evaluated). */
  error: RuleError | null;
  instances: AlertInstanceView[];
  /** The worst status of its instances. */
  status: AlertStatus;
}

export interface AlertPassStats {
  passes: number;
  rules: number;
  /** Window queries (and anomaly reads) in the last pass. */
  reads: number;
  transitions: number;
  lastPassAt: number | null;
  lastError: string | null;
}

export interface AlertOverview {
  firing: number;
  pending: number;
  /** Firing, not acknowledged, rule not snoozed: what still wants attention. */
  unacknowledged: number;
  silencedUntil: number | null;
  prefs: AlertPrefs;
}

export type RuleCheck =
  | { ok: true; name: string; warnings: string[] }
  | { ok: false; error: RuleError; warnings: string[] };

/** How far back the editor looks for result-log groups when it checks a rule. */
const ResultLogLookbackMs = 7 * 86_400_000;

const statusRank: Record<AlertStatus, number> = { ok: 0, pending: 1, firing: 2 };

/**
 * Creates the alerts module: registers its after-rollup hook and returns the engine methods
 * for rules, states, history, snooze/silence/acknowledge and notification preferences.
 */
export function createAlertsApi(ctx: EngineContext) {
  const config = { ...AlertWiringDefaults };
  let running: Promise<AlertPassStats> | null = null;
  const stats: AlertPassStats = {
    passes: 0,
    rules: 0,
    reads: 0,
    transitions: 0,
    lastPassAt: null,
    lastError: null
  };

  /** The value of a rule's expression on each watched series at `now`. */
  async function readInputs(
    stores: EngineStores,
    spec: AlertRuleSpec,
    series: { stored: SeriesRecord[]; events: () => Promise<SeriesInfo[]> },
    now: number
  ): Promise<{ inputs: AlertInput[]; reads: number }> {
    const c = spec.condition;
    if (isResultLogSelector(c.selector)) {
      const log = ctx.resultLog;
      if (!log || (c.kind !== 'threshold' && c.kind !== 'percentile')) {
        return { inputs: [], reads: 0 };
      }
      const wantsEvents = readsResultLogEvents(c.selector);
      const events = wantsEvents ? await log.events(now - c.windowMs, now) : [];
      const views = wantsEvents ? [] : await log.views(now);
      return { inputs: computeResultLogInputs(c, { events, views, now }), reads: 1 };
    }
    if (c.kind === 'anomaly') {
      const watched = [...series.stored, ...(await series.events())];
      const matched = selectSeries(c.selector, watched);
      const inputs = await Promise.all(
        matched.map(async (s) => {
          const scores = await readAnomalyScores(stores.db, s.key, now - c.windowMs, now);
          return { seriesKey: s.key, value: computeAnomalyScore(scores) };
        })
      );
      return { inputs, reads: matched.length };
    }
    const matched = selectSeries(c.selector, series.stored);
    if (c.kind === 'absent') {
      if (matched.length === 0) {
        return { inputs: [{ seriesKey: c.selector.text, value: NaN, lastSeen: null }], reads: 0 };
      }
      return {
        inputs: matched.map((s) => ({ seriesKey: s.key, value: NaN, lastSeen: s.lastT ?? null })),
        reads: 0
      };
    }
    const from = now - c.windowMs;
    const inputs = await Promise.all(
      matched.map(async (s): Promise<AlertInput> => {
        const result = await runQuery({
          db: stores.db,
          metrics: stores.metrics,
          rollups: stores.rollups,
          request: {
            seriesId: s.id,
            from,
            to: now,
            maxPoints: config.maxWindowPoints,
            aggregates: ['last'],
            partials: true,
            ...(c.kind === 'rate' ? { rate: true } : {})
          },
          timeZone: ctx.timeZone()
        });
        return { seriesKey: s.key, value: computeValue(c, result) };
      })
    );
    return { inputs, reads: matched.length };
  }

  function computeValue(c: AlertCondition, r: QueryResult): number {
    const w = windowOfResult(r);
    switch (c.kind) {
      case 'threshold':
        return computeWindowAggregate(c.aggregate, w);
      case 'percentile':
        return computeWindowQuantile(c.quantile, w);
      case 'rate':
        return computeWindowRate(w);
      default:
        return NaN;
    }
  }

  async function pass(): Promise<AlertPassStats> {
    const stores = await ctx.ready();
    const { db } = stores;
    const now = ctx.now();
    const rules = (await readAlertRules(db)).filter((r) => r.enabled);
    const series = rules.length ? await readAllSeries(db) : [];
    const ids = new Map(series.map((s) => [s.key, s.id]));
    // Read once per pass, and only when an anomaly rule asks.
    let events: Promise<SeriesInfo[]> | null = null;
    const watched = { stored: series, events: () => (events ??= listEventSeries(stores)) };
    let reads = 0;
    let transitions = 0;
    const failures: string[] = [];
    for (const stored of rules) {
      const parsed = parseRule(stored.text);
      if (!parsed.ok) continue;
      const rule: EvaluableRule = {
        ...parsed.spec,
        id: stored.id,
        // Absence of a series never seen counts from when the rule (as written) began.
        createdAt: stored.updatedAt
      };
      try {
        const r = await readInputs(stores, parsed.spec, watched, now);
        reads += r.reads;
        const written = await commitAlertEvaluation({
          db,
          ruleId: stored.id,
          seriesIds: ids,
          evaluate: (previous) => evaluateRule(rule, r.inputs, previous, now),
          now,
          maxHistory: config.maxHistory,
          maxHistoryAgeMs: config.maxHistoryAgeMs,
          refreshMs: config.stateRefreshMs
        });
        transitions += written.length;
        await ctx.pause();
      } catch (e) {
        // One failing rule (a series removed mid-pass) must not stop the others.
        failures.push(`${parsed.spec.name}: ${(e as Error)?.message ?? String(e)}`);
      }
    }
    stats.passes++;
    stats.rules = rules.length;
    stats.reads = reads;
    stats.transitions += transitions;
    stats.lastPassAt = now;
    stats.lastError = failures.length ? failures.join('; ') : null;
    if (transitions > 0) ctx.broadcast({ kind: 'alerts', transitions });
    return { ...stats };
  }

  async function runPass(): Promise<AlertPassStats> {
    while (running) await running.catch(() => {});
    running = pass();
    try {
      return await running;
    } finally {
      running = null;
    }
  }

  ctx.stages.alert = async () => {
    await runPass();
  };

  async function checkText(text: string): Promise<RuleCheck> {
    const parsed = parseRule(text);
    if (!parsed.ok) return { ok: false, error: parsed.error, warnings: [] };
    const stores = await ctx.ready();
    const series: SeriesInfo[] = await readAllSeries(stores.db);
    if (parsed.spec.condition.kind === 'anomaly') series.push(...(await listEventSeries(stores)));
    if (isResultLogSelector(parsed.spec.condition.selector) && ctx.resultLog) {
      const now = ctx.now();
      const [events, views] = await Promise.all([
        ctx.resultLog.events(now - ResultLogLookbackMs, now),
        ctx.resultLog.views(now)
      ]);
      series.push(...listResultLogSeries(events, views));
    }
    const warnings = validateRuleAgainst(parsed.spec, series);
    const kind = parsed.spec.condition.kind;
    if (
      isResultLogSelector(parsed.spec.condition.selector) &&
      kind !== 'threshold' &&
      kind !== 'percentile'
    ) {
      warnings.push(
        'Result-log series take an aggregate (avg, count, last…) or a percentile, not rate, anomaly or absent.'
      );
    }
    return { ok: true, name: parsed.spec.name, warnings };
  }

  const changed = () => ctx.broadcast({ kind: 'alerts', transitions: 0 });

  return {
    /** Parses a rule's text and checks it against the stored series (for live validation). */
    validateAlertRule: checkText,

    /** Every rule with its parsed name, severity, instances and worst status. */
    async listAlertRules(): Promise<AlertRuleView[]> {
      const { db } = await ctx.ready();
      const [rules, states, series] = await Promise.all([
        readAlertRules(db),
        readAllAlertStates(db),
        readAllSeries(db)
      ]);
      const units = new Map(series.map((s) => [s.key, s.unit]));
      return rules.map((r) => {
        const parsed = parseRule(r.text);
        const spec = parsed.ok ? parsed.spec : null;
        const instances = states
          .filter((s) => s.ruleId === r.id)
          .map(({ ruleId: _r, ...s }) => ({
            ...s,
            unit: describeValueUnit(spec, units.get(s.seriesKey) ?? '')
          }))
          .sort(
            (a, b) =>
              statusRank[b.status] - statusRank[a.status] || a.seriesKey.localeCompare(b.seriesKey)
          );
        const status = instances.reduce<AlertStatus>(
          (worst, s) => (statusRank[s.status] > statusRank[worst] ? s.status : worst),
          'ok'
        );
        return {
          ...r,
          name: parsed.ok ? parsed.spec.name : r.text.slice(0, 60),
          severity: parsed.ok ? parsed.spec.severity : null,
          kind: parsed.ok ? parsed.spec.condition.kind : null,
          forMs: parsed.ok ? parsed.spec.forMs : null,
          error: parsed.ok ? null : parsed.error,
          instances: r.enabled ? instances : [],
          status: r.enabled ? status : 'ok'
        };
      });
    },

    /**
     * Adds a rule (no id) or replaces one's text. Invalid text is refused with the error and
     * its position; a changed rule starts over from ok (its old states are dropped).
     */
    async saveAlertRule(input: {
      id?: string;
      text: string;
      enabled?: boolean;
    }): Promise<{ ok: true; id: string; warnings: string[] } | { ok: false; error: RuleError }> {
      const check = await checkText(input.text);
      if (!check.ok) return { ok: false, error: check.error };
      const { db } = await ctx.ready();
      const now = ctx.now();
      const id = await updateAlertRules(db, (rules, nextId) => {
        if (input.id === undefined) {
          if (rules.length >= config.maxRules) {
            throw new Error(`At most ${config.maxRules} rules: delete one first.`);
          }
          const rule: StoredAlertRule = {
            id: nextId(),
            text: input.text,
            enabled: input.enabled ?? true,
            createdAt: now,
            updatedAt: now,
            snoozedUntil: null
          };
          return { rules: [...rules, rule], result: rule.id };
        }
        if (!rules.some((r) => r.id === input.id)) throw new Error(`No rule ${input.id}.`);
        return {
          rules: rules.map((r) =>
            r.id === input.id
              ? { ...r, text: input.text, enabled: input.enabled ?? r.enabled, updatedAt: now }
              : r
          ),
          result: input.id
        };
      });
      if (input.id !== undefined) await deleteAlertStates(db, id);
      changed();
      return { ok: true, id, warnings: check.warnings };
    },

    /** Turns a rule on or off; off forgets its states (history stays). */
    async setAlertRuleEnabled(id: string, enabled: boolean): Promise<void> {
      const { db } = await ctx.ready();
      await updateAlertRules(db, (rules) => ({
        rules: rules.map((r) => (r.id === id ? { ...r, enabled, updatedAt: ctx.now() } : r)),
        result: null
      }));
      if (!enabled) await deleteAlertStates(db, id);
      changed();
    },

    async deleteAlertRule(id: string): Promise<void> {
      const { db } = await ctx.ready();
      await updateAlertRules(db, (rules) => ({
        rules: rules.filter((r) => r.id !== id),
        result: null
      }));
      await deleteAlertStates(db, id);
      changed();
    },

    /** No notifications from a rule until `until` (null: now); it is still evaluated. */
    async snoozeAlertRule(id: string, until: number | null): Promise<void> {
      const { db } = await ctx.ready();
      await updateAlertRules(db, (rules) => ({
        rules: rules.map((r) => (r.id === id ? { ...r, snoozedUntil: until } : r)),
        result: null
      }));
      changed();
    },

    /** No notifications from any rule until `until` (null: end the silence). */
    async silenceAlerts(until: number | null): Promise<void> {
      const { db } = await ctx.ready();
      await writeMetaValue(db, AlertKeys.silence, until);
      changed();
    },

    /** Acknowledges a firing alert: it stays firing but stops asking for attention. */
    async acknowledgeAlert(ruleId: string, seriesKey: string): Promise<boolean> {
      const { db } = await ctx.ready();
      const done = await acknowledgeAlertState(db, ruleId, seriesKey);
      if (done) changed();
      return done;
    },

    /** Transitions, newest first; `after` (a key) returns only newer ones. */
    async listAlertHistory(
      options: { limit?: number; after?: string; ruleId?: string } = {}
    ): Promise<AlertHistoryEntry[]> {
      const { db } = await ctx.ready();
      return readAlertHistory(db, { limit: options.limit ?? 200, ...options });
    },

    /** Counts for the status bar, the silence and the notification preferences. */
    async alertOverview(): Promise<AlertOverview> {
      const { db } = await ctx.ready();
      const [rules, states, silence, prefs] = await Promise.all([
        readAlertRules(db),
        readAllAlertStates(db),
        readMetaValue<number | null>(db, AlertKeys.silence, null),
        readMetaValue<AlertPrefs>(db, AlertKeys.prefs, DefaultAlertPrefs)
      ]);
      const now = ctx.now();
      const enabled = new Map(rules.filter((r) => r.enabled).map((r) => [r.id, r]));
      const live = states.filter((s) => enabled.has(s.ruleId));
      const firing = live.filter((s) => s.status === 'firing');
      return {
        firing: firing.length,
        pending: live.filter((s) => s.status === 'pending').length,
        unacknowledged: firing.filter(
          (s) => !s.acknowledged && !((enabled.get(s.ruleId)?.snoozedUntil ?? 0) > now)
        ).length,
        silencedUntil: silence !== null && silence > now ? silence : null,
        prefs: { ...DefaultAlertPrefs, ...prefs }
      };
    },

    async setAlertPrefs(prefs: Partial<AlertPrefs>): Promise<AlertPrefs> {
      const { db } = await ctx.ready();
      const next = {
        ...(await readMetaValue<AlertPrefs>(db, AlertKeys.prefs, DefaultAlertPrefs)),
        ...prefs
      };
      await writeMetaValue(db, AlertKeys.prefs, next);
      changed();
      return next;
    },

    /** Evaluates every enabled rule now (the leader does this after each rollup pass). */
    runAlertPass: runPass,

    alertStats(): AlertPassStats {
      return { ...stats };
    },

    /** Changes the limits (tests; the defaults suit the browser). */
    configureAlerts(options: Partial<typeof AlertWiringDefaults>): void {
      Object.assign(config, options);
    }
  };
}
