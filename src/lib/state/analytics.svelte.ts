/**
 * Rune state for the Events, Usage and Insights pages. Every figure is computed in the
 * engine worker; these classes only ask for it, keep the latest answer, and drop answers
 * that arrive after a newer request (a slow query must not overwrite a newer filter's).
 */
import type {
  ErrorMessageCount,
  SlaViolationSummary,
  ActionTypeRate
} from '$lib/analytics/resultlog-queries';
import {
  UsageFlagThresholds,
  UsageTrendThresholds,
  type UsageComparisonRow,
  type UsageGranularity,
  type UsageResult,
  type UsageWindowType
} from '$lib/analytics/usage';
import type { EngagementReport } from '$lib/analytics/engagement';
import type { SlaSettings } from '$lib/db/settings';
import type { ResultEvent } from '$lib/types';
import type {
  AnalyticsQueryName,
  AnalyticsQueryParams,
  AnalyticsQueryResult,
  InsightsOverview,
  ResultLogSnapshot,
  UsageEntities,
  UsageEntityKind
} from '$lib/workers/engine/analytics';
import type { AnomalyExplanationView } from '$lib/workers/engine/anomaly-explain';
import type { AppState } from './app.svelte';
import { engineQuery, type EngineQuery } from './engine-query.svelte';

/** Entities the Usage page compares (the selected one and the most used others). */
export const UsageCompareCount = 5;

/** Hours of the hourly view the Events page shows. */
export const HourlyHoursShown = 24;

/** Notices after which the event-based pages re-query (points and alerts do not change events). */
export const EventChangeKinds = ['events', 'cleared', 'import-ended'] as const;

/**
 * Checks an SLA threshold typed in seconds; returns the milliseconds or a message saying
 * what is wrong with it.
 */
export function parseSlaSeconds(text: string): { ms: number } | { error: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { error: 'Enter a threshold in seconds, for example 30.' };
  const value = Number(trimmed.replace(',', '.'));
  if (!Number.isFinite(value)) return { error: `"${trimmed}" is not a number of seconds.` };
  if (value <= 0) return { error: 'The threshold must be more than 0 seconds.' };
  if (value > 86_400) return { error: 'The threshold must be at most 86,400 seconds (one day).' };
  return { ms: Math.round(value * 1000) };
}

/** Saves SLA thresholds; when they cannot be stored (private mode, full) they hold for the session. */
async function keepSla(app: AppState, sla: SlaSettings): Promise<void> {
  await app.settings.update({ sla }).catch(() => undefined);
}

/** Runs `fn` and keeps only the newest call's answer. */
function createLatest() {
  let seq = 0;
  return async <T>(fn: () => Promise<T>, apply: (value: T) => void): Promise<void> => {
    const mine = ++seq;
    const value = await fn();
    if (mine === seq) apply(value);
  };
}

/** A typed call of one analyst question (Comlink's Remote type loses the generic). */
function runQuery<N extends AnalyticsQueryName>(
  app: AppState,
  name: N,
  params: AnalyticsQueryParams<N>
): Promise<AnalyticsQueryResult<N>> {
  return app.engine.analyticsQuery(name, params as never) as Promise<AnalyticsQueryResult<N>>;
}

/** The Events page: the four views, filters, SLA thresholds, top errors. */
export class EventsPageState {
  organisationId = $state('');
  actionType = $state('');
  snapshot = $state.raw<ResultLogSnapshot | null>(null);
  topErrors = $state.raw<ErrorMessageCount[]>([]);
  violations = $state.raw<SlaViolationSummary[]>([]);
  failureRates = $state.raw<ActionTypeRate[]>([]);
  organisations = $state.raw<string[]>([]);
  recent = $state.raw<ResultEvent[]>([]);
  loading = $state(false);
  error = $state<string | null>(null);
  #latest = createLatest();

  readonly app: AppState;

  constructor(app: AppState) {
    this.app = app;
  }

  /** SLA thresholds (the settings' copy, so every tab and page sees the same). */
  get sla(): SlaSettings {
    return this.app.settings.current.sla;
  }

  /** Action types seen in the distribution (for the filter and the SLA table). */
  actionTypes = $derived(
    (this.snapshot?.distribution ?? []).map((d) => d.actionType).sort((a, b) => a.localeCompare(b))
  );

  hourly = $derived(
    (this.snapshot?.hourly ?? []).filter(
      (r) => !this.actionType || r.actionType === this.actionType
    )
  );

  triggers = $derived(this.snapshot?.triggers ?? []);

  failures = $derived(
    (this.snapshot?.recentFailures ?? []).filter(
      (r) => !this.actionType || r.actionType === this.actionType
    )
  );

  async load(): Promise<void> {
    if (this.app.lifecycle?.kind !== 'open') return;
    this.loading = true;
    const organisationId = this.organisationId || undefined;
    const actionFilter = this.actionType;
    const sla = this.sla;
    try {
      await this.#latest(
        async () => {
          const engine = this.app.engine;
          const [snapshot, entities, recent] = await Promise.all([
            engine.resultLogViews({ organisationId, hours: HourlyHoursShown }),
            engine.listAnalyticsEntities(),
            engine.recentEvents(100)
          ]);
          const scoped = (events: readonly { actionType: string }[]) =>
            actionFilter ? events.filter((e) => e.actionType === actionFilter) : events;
          const [topErrors, violations, failureRates] = await Promise.all([
            runQuery(this.app, 'topErrorMessages', { organisationId, limit: 10 }),
            runQuery(this.app, 'slaViolations', {
              organisationId,
              thresholdsMs: sla.thresholdsMs,
              defaultThresholdMs: sla.defaultThresholdMs,
              limit: 3
            }),
            runQuery(this.app, 'failureRateByActionType', { organisationId })
          ]);
          return {
            snapshot,
            organisations: entities.organisations.map((o) => o.id),
            recent: recent as ResultEvent[],
            topErrors: actionFilter
              ? topErrors.filter((t) => t.actionTypes.includes(actionFilter))
              : topErrors,
            violations: scoped(violations) as SlaViolationSummary[],
            failureRates: scoped(failureRates) as ActionTypeRate[]
          };
        },
        (r) => {
          this.snapshot = r.snapshot;
          this.organisations = r.organisations;
          this.recent = r.recent;
          this.topErrors = r.topErrors;
          this.violations = r.violations;
          this.failureRates = r.failureRates;
          this.error = null;
        }
      );
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.loading = false;
    }
  }

  /** Saves SLA thresholds (ms) with the settings and re-runs the SLA question. */
  async setSla(next: SlaSettings): Promise<void> {
    await keepSla(this.app, next);
    await this.load();
  }
}

/** Analyst questions offered on the Events page, with a label each (all of resultlog-queries). */
export const AnalystQuestions: { name: AnalyticsQueryName; label: string }[] = [
  { name: 'slowestTriggers', label: 'Slowest triggers by p95' },
  { name: 'errorsByTrigger', label: 'Errors by trigger' },
  { name: 'lowSuccessTriggers', label: 'Triggers with low success' },
  { name: 'mostActiveTriggers', label: 'Most active triggers' },
  { name: 'idleTriggers', label: 'Idle triggers (unused for 7 days)' },
  { name: 'highRetryTriggers', label: 'Triggers with many retries' },
  { name: 'failureRateByActionType', label: 'Failure rate by action type' },
  { name: 'successRateOverTime', label: 'Success rate by action type per day' },
  { name: 'latencyHistogram', label: 'Latency distribution by action type' },
  { name: 'hourlyThroughput', label: 'Hourly throughput' },
  { name: 'peakHours', label: 'Peak hours' },
  { name: 'weekOverWeekGrowth', label: 'Week-over-week growth' },
  { name: 'organisationUsage', label: 'Usage by organisation' },
  { name: 'overallHealth', label: 'Overall health (last 24 h)' }
];

/** One analyst question's answer as rows of plain values, for a generic table. */
export class QuestionState {
  name = $state<AnalyticsQueryName>('slowestTriggers');
  readonly app: AppState;
  #query: EngineQuery<Record<string, unknown>[]>;

  /**
   * Create it during a component's initialisation: it asks on open, again when the question or
   * `organisationId()` changes, and after new events.
   */
  constructor(app: AppState, organisationId: () => string | undefined) {
    this.app = app;
    this.#query = engineQuery(app, () => this.#ask(organisationId()), { on: EventChangeKinds });
  }

  /** The answer's rows, flattened; null until the first answer. */
  get rows(): Record<string, unknown>[] | null {
    return this.#query.current ?? null;
  }

  get loading(): boolean {
    return this.#query.isLoading;
  }

  get error(): string | null {
    return this.#query.error?.message ?? null;
  }

  /** Asks the chosen question, scoped to the organisation when one is given. */
  async #ask(organisationId: string | undefined): Promise<Record<string, unknown>[]> {
    const name = this.name;
    const params = {
      organisationId,
      ...(name === 'successRateOverTime' ? { interval: 'day' } : {})
    };
    const result = await runQuery(this.app, name, params as AnalyticsQueryParams<typeof name>);
    const list = Array.isArray(result) ? result : [result];
    return list.map((r) => flattenRow(r as Record<string, unknown>));
  }
}

/** Nested objects become dotted columns one level deep; arrays of plain values are joined. */
export function flattenRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (Array.isArray(v)) {
      out[k] = v.every((x) => typeof x !== 'object' || x === null)
        ? v.join(', ')
        : `${v.length} items`;
    } else if (v && typeof v === 'object') {
      for (const [k2, v2] of Object.entries(v as Record<string, unknown>)) {
        out[`${k}.${k2}`] =
          v2 && typeof v2 === 'object' ? (Array.isArray(v2) ? `${v2.length} items` : '…') : v2;
      }
    } else {
      out[k] = v;
    }
  }
  return out;
}

/** The Usage page: which entity, window and granularity, and the engine's answer. */
export class UsagePageState {
  entities = $state.raw<UsageEntities | null>(null);
  kind = $state<UsageEntityKind>('trigger');
  entityId = $state('');
  windowType = $state<UsageWindowType>('weekly');
  granularity = $state<UsageGranularity>('comprehensive');
  result = $state.raw<UsageResult | null>(null);
  /** The selected entity beside the most used others of its kind, same window. */
  comparison = $state.raw<UsageComparisonRow[]>([]);
  loading = $state(false);
  error = $state<string | null>(null);
  #latest = createLatest();

  readonly app: AppState;

  constructor(app: AppState) {
    this.app = app;
  }

  /** The entities of the chosen kind, most used first. */
  choices = $derived(
    this.kind === 'trigger'
      ? (this.entities?.triggers ?? []).map((t) => ({
          id: t.id,
          label: `${t.id}${t.organisationId ? ` (${t.organisationId})` : ''} — ${t.events} events`
        }))
      : (this.entities?.actionTypes ?? []).map((a) => ({
          id: a.id,
          label: `${a.id} — ${a.events} events`
        }))
  );

  async loadEntities(): Promise<void> {
    if (this.app.lifecycle?.kind !== 'open') return;
    try {
      this.entities = await this.app.engine.listAnalyticsEntities();
      if (!this.choices.some((c) => c.id === this.entityId)) {
        this.entityId = this.choices[0]?.id ?? '';
      }
      await Promise.all([this.compute(), this.loadEngagement()]);
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  async compute(): Promise<void> {
    if (!this.entityId) {
      this.result = null;
      return;
    }
    this.loading = true;
    const { trend, flags } = this.thresholds;
    const request = {
      entityKind: this.kind,
      entityId: this.entityId,
      windowType: this.windowType,
      granularity: this.granularity,
      thresholds: trend,
      flagThresholds: flags
    };
    const others = this.choices
      .map((c) => c.id)
      .filter((id) => id !== this.entityId)
      .slice(0, UsageCompareCount - 1);
    try {
      await this.#latest(
        () =>
          Promise.all([
            this.app.engine.usageAnalytics(request),
            this.app.engine.compareUsageEntities({
              entityKind: request.entityKind,
              entityIds: [request.entityId, ...others],
              windowType: request.windowType,
              granularity: 'summary'
            })
          ]),
        ([r, comparison]) => {
          this.result = r;
          this.comparison = comparison;
          this.error = null;
        }
      );
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.loading = false;
    }
  }

  async setKind(kind: UsageEntityKind): Promise<void> {
    this.kind = kind;
    this.entityId = this.choices[0]?.id ?? '';
    await this.compute();
  }

  /** The user's trend and flag thresholds over the defaults (Settings → usageThresholds). */
  get thresholds(): { trend: UsageTrendThresholds; flags: UsageFlagThresholds } {
    const saved = this.app.settings.current.usageThresholds ?? { trend: {}, flags: {} };
    return {
      trend: { ...UsageTrendThresholds, ...saved.trend },
      flags: { ...UsageFlagThresholds, ...saved.flags }
    };
  }

  /**
   * Stores one threshold (`value` null puts back the default) and recomputes; when the
   * settings cannot be stored the change holds for the session.
   */
  async setThreshold(group: 'trend' | 'flags', name: string, value: number | null): Promise<void> {
    const saved = this.app.settings.current.usageThresholds ?? { trend: {}, flags: {} };
    const next = { ...saved[group] };
    if (value === null) delete next[name];
    else next[name] = value;
    await this.app.settings
      .update({ usageThresholds: { ...saved, [group]: next } })
      .catch(() => undefined);
    await this.compute();
  }

  /** Sessions and engagement over every stored event (the Engagement section). */
  engagement = $state.raw<EngagementReport | null>(null);
  /** The funnel's steps (action types, in order); empty → the three most used. */
  funnel = $state<string[]>([]);

  async loadEngagement(): Promise<void> {
    if (this.app.lifecycle?.kind !== 'open') return;
    const steps =
      this.funnel.length > 0
        ? this.funnel
        : (this.entities?.actionTypes ?? []).slice(0, 3).map((a) => a.id);
    try {
      this.engagement = await this.app.engine.engagementReport({ funnel: steps });
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  async setFunnel(steps: string[]): Promise<void> {
    this.funnel = steps;
    await this.loadEngagement();
  }

  /** Puts every usage threshold back to its default. */
  async resetThresholds(): Promise<void> {
    await this.app.settings
      .update({ usageThresholds: { trend: {}, flags: {} } })
      .catch(() => undefined);
    await this.compute();
  }
}

/** The Insights page: insights, health, trends, forecasts and recent anomalies. */
export class InsightsPageState {
  overview = $state.raw<InsightsOverview | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  /** Data changed since the overview was computed (the page offers a refresh). */
  stale = $state(false);
  #latest = createLatest();
  readonly app: AppState;

  constructor(app: AppState) {
    this.app = app;
  }

  /** SLA thresholds the latency KPI uses: the Events page's, with the default editable here. */
  get sla(): SlaSettings {
    return this.app.settings.current.sla;
  }

  async load(): Promise<void> {
    if (this.app.lifecycle?.kind !== 'open') return;
    this.loading = true;
    const sla = this.sla;
    try {
      await this.#latest(
        () => this.app.engine.insightsOverview({ sla }),
        (r) => {
          this.overview = r;
          this.stale = false;
          this.error = null;
        }
      );
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.loading = false;
    }
  }

  /** Why an anomaly fired, by anomaly id, once asked for. */
  explanations = $state.raw<Record<number, AnomalyExplanationView | { error: string }>>({});

  /** Fetches the explanation of one anomaly (detector, model, evidence, the buckets around it). */
  async explain(id: number): Promise<void> {
    try {
      const view = await this.app.engine.explainAnomaly(id);
      this.explanations = {
        ...this.explanations,
        [id]: view ?? { error: 'This anomaly is no longer stored (the per-series cap removed it).' }
      };
    } catch (e) {
      this.explanations = { ...this.explanations, [id]: { error: (e as Error).message } };
    }
  }

  /** Changes the default SLA threshold (kept with the Events page's) and recomputes. */
  async setDefaultSla(ms: number): Promise<void> {
    await keepSla(this.app, { ...this.sla, defaultThresholdMs: ms });
    await this.load();
  }
}

const percentFormat = new Intl.NumberFormat(undefined, {
  style: 'percent',
  maximumFractionDigits: 1
});

/** A share 0..1 as "12.5 %" in the user's locale; "—" when undefined or not finite. */
export function formatShare(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : percentFormat.format(x);
}

/** A change in percent (already × 100) with its sign: "+12.5 %". */
export function formatChange(percent: number | null | undefined): string {
  if (percent === null || percent === undefined || !Number.isFinite(percent)) return '—';
  const sign = percent > 0 ? '+' : percent < 0 ? '−' : '';
  return `${sign}${Math.abs(percent).toFixed(1)} %`;
}
