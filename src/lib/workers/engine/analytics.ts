/**
 * The analytics core wired into the engine: result-log views kept current incrementally,
 * the analyst questions, per-entity usage analytics, and insights, trends, forecasts and
 * a health score over stored series and events. Everything heavy runs here in the worker;
 * pages get plain data.
 *
 * Incremental views: events have an auto-increment id, so the views fold in only events
 * with an id above the last one seen. That covers this tab's writes (the after-events hook)
 * and other tabs' writes alike (the page calls `refreshAnalytics` on their change notice).
 * When the stored count no longer matches what was folded in (retention, "clear", another
 * tab's clear) or the time zone changed, the views are rebuilt from the table.
 */
import { EngagementState, type EngagementReport } from '$lib/analytics/engagement';
import {
  generateInsights,
  InsightDefaults,
  type Insight,
  type InsightSeries
} from '$lib/analytics/insights';
import { computeInsightEvidence, type InsightEvidence } from '$lib/analytics/insight-evidence';
import {
  computeHealthScore,
  readCpuBusy,
  type HealthKpi,
  type HealthScore
} from '$lib/analytics/health';
import { forecastExhaustion, forecastLinear, type Exhaustion } from '$lib/analytics/forecast';
import {
  type DistributionRow,
  type FailureRow,
  type HourlyMetricRow,
  type RefreshStatus,
  type ResultLogViewName,
  type TriggerSummaryRow
} from '$lib/analytics/resultlog';
import { checkSuccess, readActionType, readDuration } from '$lib/analytics/resultlog-common';
import {
  ResultLogIndex,
  createRescanAnswers,
  type ResultLogAnswers
} from '$lib/analytics/resultlog-index';
import { computeOverallHealth, type ScopeOptions } from '$lib/analytics/resultlog-queries';
import { computeQuantileSorted } from '$lib/analytics/stats';
import { analyzeTrend, type TrendPattern } from '$lib/analytics/trends';
import {
  compareUsage,
  computeUsageAnalytics,
  type Execution,
  type UsageComparisonRow,
  type UsageGranularity,
  type UsageInclude,
  type UsageInput,
  type UsageResult,
  type UsageWindowType
} from '$lib/analytics/usage';
import {
  readEventsAfterId,
  readEventWatermark,
  readInsights,
  readInsightsGeneratedAt,
  storeInsights
} from '$lib/db/analytics-store';
import type { StoredAnomaly, StoredEvent } from '$lib/db/database';
import { listAnomalies } from '$lib/db/anomaly-store';
import { runQuery } from '$lib/db/query';
import { countSeries, readAllSeries } from '$lib/db/series-store';
import { DAY_MS, DefaultRetention, HOUR_MS, type ResultEvent, type SeriesRecord } from '$lib/types';
import type { EngineContext } from './context';

export const AnalyticsDefaults = {
  /** Events read from the table per page while (re)building the views. */
  pageEvents: 20_000,
  /** Insights, trends and health look back this far. */
  windowMs: DAY_MS,
  /** The leader regenerates insights this often (after a rollup pass). */
  insightsEveryMs: HOUR_MS,
  /** Stored insights kept at most. */
  maxInsights: 500,
  /** Recent failures returned to the page at most (newest first). */
  failureRows: 200,
  /** Series analysed for insights, trends and forecasts at most (the most recent first). */
  maxSeries: 300,
  /** p95 latency the health score measures against when the page gives no SLA. */
  slaMs: 60_000
};

/** Window lengths of the usage window types; `all_time` takes every stored event. */
export const UsageWindowMs: Record<Exclude<UsageWindowType, 'all_time'>, number> = {
  hourly: HOUR_MS,
  daily: DAY_MS,
  weekly: 7 * DAY_MS,
  monthly: 30 * DAY_MS,
  quarterly: 91 * DAY_MS,
  yearly: 365 * DAY_MS
};

export type UsageEntityKind = 'trigger' | 'actionType';

export interface AnalyticsStatus {
  state: 'idle' | 'building' | 'ready' | 'error';
  /** Events folded into the views. */
  events: number;
  rebuilds: number;
  /** Incremental syncs that folded in new events. */
  increments: number;
  lastSyncAt: number | null;
  /** Wall time of the last sync (rebuild or increment), ms. */
  lastSyncMs: number;
  error: string | null;
  views: RefreshStatus[];
}

interface QueryContext {
  scope: ScopeOptions;
  now: number;
  timeZone: string;
}

/**
 * The analyst questions of resultlog-queries.ts by name: each asks `a` — the incremental
 * index when the question spans every stored event, else a re-scan of the events in the
 * time range asked for (resultlog-index.ts) — with its own parameters and the context.
 * Adding one is one line.
 */
const Queries = {
  successRateOverTime: (
    a: ResultLogAnswers,
    p: { interval?: 'hour' | 'day'; actionType?: string },
    c: QueryContext
  ) =>
    a.computeSuccessRateOverTime({
      ...c.scope,
      interval: p.interval ?? 'hour',
      actionType: p.actionType,
      timeZone: c.timeZone
    }),
  slowestTriggers: (a: ResultLogAnswers, p: { limit?: number }, c: QueryContext) =>
    a.findSlowestTriggers({ ...c.scope, limit: p.limit }),
  latencyHistogram: (a: ResultLogAnswers, _p: object, c: QueryContext) =>
    a.computeLatencyHistogram(c.scope),
  slaViolations: (
    a: ResultLogAnswers,
    p: { thresholdsMs?: Record<string, number>; defaultThresholdMs?: number; limit?: number },
    c: QueryContext
  ) =>
    a.findSlaViolations({
      ...c.scope,
      thresholdsMs: p.thresholdsMs ?? {},
      defaultThresholdMs: p.defaultThresholdMs,
      limit: p.limit
    }),
  errorsByTrigger: (a: ResultLogAnswers, p: { limit?: number }, c: QueryContext) =>
    a.computeErrorsByTrigger({ ...c.scope, limit: p.limit }),
  topErrorMessages: (a: ResultLogAnswers, p: { limit?: number }, c: QueryContext) =>
    a.findTopErrorMessages({ ...c.scope, limit: p.limit }),
  failureRateByActionType: (a: ResultLogAnswers, _p: object, c: QueryContext) =>
    a.computeFailureRateByActionType(c.scope),
  lowSuccessTriggers: (
    a: ResultLogAnswers,
    p: { threshold?: number; limit?: number },
    c: QueryContext
  ) => a.findLowSuccessTriggers({ ...c.scope, threshold: p.threshold, limit: p.limit }),
  mostActiveTriggers: (a: ResultLogAnswers, p: { limit?: number }, c: QueryContext) =>
    a.findMostActiveTriggers({ ...c.scope, limit: p.limit }),
  idleTriggers: (a: ResultLogAnswers, p: { idleDays?: number }, c: QueryContext) =>
    a.findIdleTriggers({ ...c.scope, now: c.now, idleDays: p.idleDays }),
  highRetryTriggers: (
    a: ResultLogAnswers,
    p: { minAvgRetries?: number; limit?: number },
    c: QueryContext
  ) => a.findHighRetryTriggers({ ...c.scope, minAvgRetries: p.minAvgRetries, limit: p.limit }),
  hourlyThroughput: (a: ResultLogAnswers, _p: object, c: QueryContext) =>
    a.computeHourlyThroughput({ ...c.scope, timeZone: c.timeZone }),
  peakHours: (a: ResultLogAnswers, p: { limit?: number }, c: QueryContext) =>
    a.findPeakHours({ ...c.scope, timeZone: c.timeZone, limit: p.limit }),
  weekOverWeekGrowth: (a: ResultLogAnswers, _p: object, c: QueryContext) =>
    a.computeWeekOverWeekGrowth({ ...c.scope, now: c.now }),
  organisationUsage: (a: ResultLogAnswers, p: { limit?: number }, c: QueryContext) =>
    a.computeOrganisationUsage({ ...c.scope, limit: p.limit }),
  overallHealth: (a: ResultLogAnswers, p: { windowMs?: number; slaMs?: number }, c: QueryContext) =>
    a.computeOverallHealth({ ...c.scope, now: c.now, windowMs: p.windowMs, slaMs: p.slaMs })
};

/** The questions' adapters, exported for tests that check them against a re-scan. */
export const AnalyticsQueries = Queries;

export type AnalyticsQueryName = keyof typeof Queries;
export type AnalyticsQueryParams<N extends AnalyticsQueryName> = Parameters<
  (typeof Queries)[N]
>[1] & {
  /** Only this organisation's events; events of others (or of none) never count. */
  organisationId?: string;
  /** Only events with from ≤ t ≤ to. */
  from?: number;
  to?: number;
};
export type AnalyticsQueryResult<N extends AnalyticsQueryName> = ReturnType<(typeof Queries)[N]>;

/** Names of the analyst questions, for pickers and validation. */
export const AnalyticsQueryNames = Object.keys(Queries) as AnalyticsQueryName[];

export interface ResultLogSnapshot {
  hourly: HourlyMetricRow[];
  triggers: TriggerSummaryRow[];
  /** Newest first, at most `failureRows`. */
  recentFailures: FailureRow[];
  /** Failures in the window before the cut to `failureRows`. */
  recentFailureCount: number;
  distribution: DistributionRow[];
  status: AnalyticsStatus;
}

export interface UsageRequest {
  entityKind: UsageEntityKind;
  entityId: string;
  windowType: UsageWindowType;
  granularity: UsageGranularity;
  include?: UsageInclude;
  organisationId?: string;
  thresholds?: UsageInput['thresholds'];
  flagThresholds?: UsageInput['flagThresholds'];
}

export interface UsageEntities {
  organisations: { id: string; events: number }[];
  triggers: { id: string; organisationId: string | undefined; events: number }[];
  actionTypes: { id: string; events: number }[];
}

export interface SeriesTrendRow {
  seriesKey: string;
  seriesId: number;
  unit: string;
  category: string;
  points: number;
  pattern: TrendPattern;
  changePercent: number;
  pValue: number;
  slopePerHour: number;
  direction: 'up' | 'down' | 'flat';
  last: number;
  /** Linear forecast 24 h after the window's end, with a 95 % prediction interval. */
  forecast: { t: number; value: number; lower: number; upper: number } | null;
}

export interface CapacityForecastRow {
  seriesKey: string;
  capacity: number;
  unit: string;
  /** Null when not heading there, or when the data is too short to say (see historyMs). */
  exhaustion: Exhaustion | null;
  /** How much data the forecast stood on, ms (two days at least are needed). */
  historyMs: number;
}

export interface InsightsOverview {
  now: number;
  window: { start: number; end: number };
  insights: Insight[];
  generatedAt: number | null;
  health: HealthScore;
  /** The KPI values the score was computed from (latency: event-weighted p95 ÷ SLA). */
  kpis: Partial<Record<HealthKpi, number>>;
  /** Per action type: p95 against its SLA threshold, the latency KPI's evidence. */
  latency: LatencyAgainstSla[];
  trends: SeriesTrendRow[];
  capacity: CapacityForecastRow[];
  /** Newest first, each with the unit of its series ('' when unknown). */
  anomalies: (StoredAnomaly & { unit: string })[];
  /** Each insight's evidence as a sparkline, by subject (analytics/insight-evidence.ts). */
  evidence: Record<string, InsightEvidence>;
}

export interface LatencyAgainstSla {
  actionType: string;
  events: number;
  p95Ms: number;
  thresholdMs: number;
  /** p95 ÷ threshold: ≤ 1 meets the SLA. */
  ratio: number;
}

/** SLA thresholds: one per action type, else the default. */
export interface SlaThresholds {
  defaultThresholdMs: number;
  thresholdsMs?: Record<string, number>;
}

/**
 * p95 duration per action type against its threshold, and the events-weighted mean of
 * p95 ÷ threshold: one SLA for every action would call a 4-minute backup a breach and a
 * 3-second notify healthy, so each action type is measured against its own.
 */
export function computeLatencyAgainstSla(
  events: readonly ResultEvent[],
  sla: SlaThresholds
): { rows: LatencyAgainstSla[]; ratio: number } {
  const groups = new Map<string, number[]>();
  for (const e of events) {
    const d = readDuration(e);
    if (Number.isNaN(d)) continue;
    const a = readActionType(e);
    let g = groups.get(a);
    if (!g) groups.set(a, (g = []));
    g.push(d);
  }
  const rows: LatencyAgainstSla[] = [];
  let weighted = 0;
  let n = 0;
  for (const [actionType, d] of groups) {
    d.sort((a, b) => a - b);
    const p95Ms = computeQuantileSorted(d, 0.95);
    const thresholdMs = sla.thresholdsMs?.[actionType] ?? sla.defaultThresholdMs;
    const ratio = p95Ms / thresholdMs;
    rows.push({ actionType, events: d.length, p95Ms, thresholdMs, ratio });
    weighted += ratio * d.length;
    n += d.length;
  }
  rows.sort((a, b) => b.ratio - a.ratio || (a.actionType < b.actionType ? -1 : 1));
  return { rows, ratio: n === 0 ? NaN : weighted / n };
}

/**
 * Maps a result-log event to a usage execution: the action type is the context type, the
 * context's `agent` (or `host`) the agent, the organisation the project, the context's
 * `userId` (or the organisation) the user; "timeout" is a timeout and an error mentioning a
 * quality gate a quality-gate failure.
 */
export function mapEventToExecution(e: ResultEvent): Execution {
  const c = (e.context ?? {}) as Record<string, unknown>;
  const text = (x: unknown) => (typeof x === 'string' && x !== '' ? x : undefined);
  const quality = c.qualityScore;
  return {
    t: e.t,
    success: checkSuccess(e),
    durationMs: readDuration(e),
    qualityScore: typeof quality === 'number' && Number.isFinite(quality) ? quality : undefined,
    contextType: text(c.contextType) ?? readActionType(e),
    agent: text(c.agent) ?? text(c.host),
    project: text(c.project) ?? text(e.organisationId),
    fileType: text(c.fileType),
    timedOut: String(e.status).toLowerCase() === 'timeout',
    qualityGateFailed: /quality gate/i.test(e.errorMessage ?? ''),
    userId: text(c.userId) ?? text(e.organisationId)
  };
}

/** The rows of the newest `hours` distinct hours (all when undefined); rows stay in order. */
function selectNewestHours(rows: HourlyMetricRow[], hours: number | undefined): HourlyMetricRow[] {
  if (hours === undefined || rows.length === 0) return rows;
  const starts = [...new Set(rows.map((r) => r.hourStart))].sort((a, b) => b - a);
  if (starts.length <= hours) return rows;
  const cut = hours <= 0 ? Infinity : starts[hours - 1];
  return rows.filter((r) => r.hourStart >= cut);
}

/** Series whose name ends in `_used_<unit>` pair with `_total_<unit>` of the same labels. */
function findCapacityKey(s: SeriesRecord): string | null {
  if (!/_used_/.test(s.name)) return null;
  return s.key.replace(s.name, s.name.replace('_used_', '_total_'));
}

/**
 * Creates the analytics module: registers its hooks (after-events: fold new events in;
 * after-rollup on the leader: regenerate insights hourly) and returns the engine methods.
 */
export function createAnalyticsApi(ctx: EngineContext) {
  const config = { ...AnalyticsDefaults };
  /** The views and the analyst questions' incremental state; null until first read. */
  let index: ResultLogIndex | null = null;
  /** Sessions and engagement, fed the same events as the views. */
  let engagement = new EngagementState();
  let cache: StoredEvent[] = [];
  let lastId = 0;
  let builtZone = '';
  let syncing: Promise<void> = Promise.resolve();
  /** `now` of the last sync that left the views holding every stored event. */
  let currentAt = NaN;
  const status: Omit<AnalyticsStatus, 'views'> = {
    state: 'idle',
    events: 0,
    rebuilds: 0,
    increments: 0,
    lastSyncAt: null,
    lastSyncMs: 0,
    error: null
  };

  // Refresh durations come from the wall clock: this is the worker, not pure code.
  const clock = () => performance.now();

  async function rebuild(): Promise<void> {
    const { db } = await ctx.ready();
    status.state = 'building';
    const zone = ctx.timeZone();
    const next = new ResultLogIndex({ timeZone: zone, clock });
    const nextEngagement = new EngagementState({ timeZone: zone });
    let after = 0;
    for (;;) {
      const page = await readEventsAfterId({ db, afterId: after, limit: config.pageEvents });
      if (page.length === 0) break;
      next.apply(page, { now: ctx.now() });
      nextEngagement.apply(page);
      after = page[page.length - 1].id!;
      if (page.length < config.pageEvents) break;
    }
    if (next.events.length === 0) next.apply([], { now: ctx.now() });
    index = next;
    engagement = nextEngagement;
    // The index keeps every event it folded in, in id order: it is the cache.
    cache = next.events as StoredEvent[];
    lastId = after;
    builtZone = zone;
    status.rebuilds++;
  }

  async function syncOnce(): Promise<void> {
    const { db } = await ctx.ready();
    const started = clock();
    try {
      const mark = await readEventWatermark(db);
      if (
        !index ||
        builtZone !== ctx.timeZone() ||
        mark.count < cache.length ||
        mark.maxId < lastId
      ) {
        await rebuild();
      } else if (mark.maxId > lastId) {
        const fresh: StoredEvent[] = [];
        for (;;) {
          const page = await readEventsAfterId({
            db,
            afterId: lastId,
            limit: config.pageEvents
          });
          if (page.length === 0) break;
          for (const e of page) fresh.push(e);
          lastId = page[page.length - 1].id!;
          if (page.length < config.pageEvents) break;
        }
        if (cache.length + fresh.length !== mark.count) {
          // Something was deleted as well as added: only a rebuild is exact.
          await rebuild();
        } else {
          // Appends to `cache` too (it is the index's event list).
          index.apply(fresh, { now: ctx.now() });
          engagement.apply(fresh);
          status.increments++;
        }
      }
      status.state = 'ready';
      status.error = null;
      currentAt = ctx.now();
    } catch (e) {
      status.state = 'error';
      status.error = (e as Error)?.message ?? String(e);
      throw e;
    } finally {
      status.events = cache.length;
      status.lastSyncAt = ctx.now();
      status.lastSyncMs = clock() - started;
    }
  }

  /** Serialised: overlapping syncs would fold the same events twice. */
  function sync(): Promise<void> {
    const run = syncing.catch(() => {}).then(syncOnce);
    syncing = run;
    return run;
  }

  function readStatus(): AnalyticsStatus {
    const now = ctx.now();
    const names: ResultLogViewName[] = ['hourly', 'triggers', 'recentFailures', 'distribution'];
    const views = index?.views;
    return { ...status, views: views ? names.map((v) => views.readStatus(v, now)) : [] };
  }

  function selectEvents(o: { organisationId?: string; from?: number; to?: number }) {
    const from = o.from ?? -Infinity;
    const to = o.to ?? Infinity;
    const org = o.organisationId;
    if (org === undefined && from === -Infinity && to === Infinity) return cache;
    // The time index finds the range in O(log n + range), in the cache's order.
    if (index) return index.select({ organisationId: org, from, to });
    return cache.filter(
      (e) => e.t >= from && e.t <= to && (org === undefined || e.organisationId === org)
    );
  }

  function buildUsageInput(request: UsageRequest, now: number): UsageInput {
    const { entityKind, entityId, windowType, organisationId } = request;
    // Every event of the entity goes in: computeUsageAnalytics keeps the window and the
    // previous period of the same length (for growth and adoption) and ignores the rest.
    const executions: Execution[] = [];
    for (const e of cache) {
      if (organisationId !== undefined && e.organisationId !== organisationId) continue;
      const id = entityKind === 'trigger' ? e.triggerId : readActionType(e);
      if (id === entityId) executions.push(mapEventToExecution(e));
    }
    const span = windowType === 'all_time' ? 0 : UsageWindowMs[windowType];
    if (span === undefined) throw new Error(`Unknown usage window type "${windowType}"`);
    return {
      entityId,
      // The window ends just after now so an event stamped exactly now is inside.
      windowStart: now - span,
      windowEnd: now + 1,
      windowType,
      granularity: request.granularity,
      include: request.include,
      thresholds: request.thresholds,
      flagThresholds: request.flagThresholds,
      executions,
      now,
      timeZone: ctx.timeZone(),
      clock
    };
  }

  async function readSeriesWindow(
    s: SeriesRecord,
    from: number,
    to: number,
    tier: '1m' | '1h' = '1m',
    aggregate: 'avg' | 'sum' = 'avg'
  ) {
    const { db, metrics, rollups } = await ctx.ready();
    const r = await runQuery({
      db,
      metrics,
      rollups,
      request: { seriesId: s.id, from, to, maxPoints: 5_000, aggregates: [aggregate], tier },
      timeZone: ctx.timeZone()
    });
    return { t: r.t, v: r.columns[aggregate] ?? new Float64Array(r.t.length) };
  }

  /**
   * The window's 1-minute averages after hourly averages of the days before it (the
   * seasonal baseline and the span a forecast stands on; see generateInsights).
   */
  async function readSeriesWithHistory(s: SeriesRecord, from: number, to: number) {
    const history = await readSeriesWindow(
      s,
      from - InsightDefaults.baselineLookbackMs,
      from - 1,
      '1h'
    );
    const window = await readSeriesWindow(s, from, to);
    const keep = history.t.findLastIndex((x) => x < from) + 1;
    const t = new Float64Array(keep + window.t.length);
    const v = new Float64Array(t.length);
    t.set(history.t.subarray(0, keep));
    v.set(history.v.subarray(0, keep));
    t.set(window.t, keep);
    v.set(window.v, keep);
    return { t, v };
  }

  /**
   * Frames drawn and frames over budget in the window, counted: Σ frames_over_16ms and
   * Σ frames_per_second (each 1-second sample's rate is that second's frame count) over
   * every series of those names; null without both.
   */
  async function countFrames(all: readonly SeriesRecord[], from: number, to: number) {
    const total = async (name: string) => {
      let sum = 0;
      let found = false;
      for (const s of all.filter((x) => x.name === name && (x.lastT ?? -Infinity) >= from)) {
        const r = await readSeriesWindow(s, from, to, '1m', 'sum');
        for (const x of r.v) if (Number.isFinite(x)) sum += x;
        found = true;
      }
      return found ? sum : NaN;
    };
    const frames = await total('frames_per_second');
    const overBudget = await total('frames_over_16ms');
    return frames > 0 && Number.isFinite(overBudget) ? { frames, overBudget } : null;
  }

  async function collectSeries(now: number, windowMs: number) {
    const { db } = await ctx.ready();
    const all = await readAllSeries(db);
    const byKey = new Map(all.map((s) => [s.key, s]));
    const out: { record: SeriesRecord; input: InsightSeries }[] = [];
    // Mann–Kendall is quadratic per series: the most recently active ones are analysed.
    const active = all
      .filter((s) => s.lastT !== undefined && s.lastT >= now - windowMs)
      .sort((a, b) => b.lastT! - a.lastT! || a.id - b.id)
      .slice(0, config.maxSeries);
    for (const s of active.sort((a, b) => a.id - b.id)) {
      const data = await readSeriesWithHistory(s, now - windowMs, now);
      if (data.t.length === 0) continue;
      const capKey = findCapacityKey(s);
      const cap = capKey ? byKey.get(capKey)?.lastV : undefined;
      out.push({
        record: s,
        input: {
          key: s.key,
          category: s.category,
          t: data.t,
          v: data.v,
          unit: s.unit,
          ...(cap !== undefined && Number.isFinite(cap) && cap > 0 ? { capacity: cap } : {})
        }
      });
    }
    return out;
  }

  async function generateAndStore(now: number, windowMs: number) {
    const { db } = await ctx.ready();
    const series = await collectSeries(now, windowMs);
    const previous = await readInsights(db);
    const events = await readRecentEvents(now - windowMs, now);
    const fresh = generateInsights({
      now,
      window: windowMs,
      series: series.map((s) => s.input),
      events,
      previous
    });
    const stored = await storeInsights({
      db,
      insights: fresh,
      keepAfter: now - (ctx.retention().insights ?? DefaultRetention.insights),
      maxKept: config.maxInsights,
      generatedAt: now
    });
    return { series, stored, events };
  }

  /** Events of a window: from the in-memory cache when built, else from the table. */
  async function readRecentEvents(from: number, to: number): Promise<ResultEvent[]> {
    if (index) return selectEvents({ from, to });
    const { events } = await ctx.ready();
    return events.range(from, to);
  }

  ctx.resultLog = {
    async events(from, to) {
      await sync();
      return selectEvents({ from, to });
    },
    /**
     * Each view's health for alert rules: staleness is the time since the views last held
     * every stored event (a view with no new events is current, not stale), so a sync is
     * tried first; a failed sync leaves it growing and marks the views failed.
     */
    async views(now) {
      await sync().catch(() => undefined);
      return readStatus().views.map((v) => ({
        view: v.view,
        ageMs: Number.isNaN(currentAt) ? NaN : Math.max(0, now - currentAt),
        durationMs: v.durationMs,
        failed: status.state === 'error' || v.error !== null
      }));
    }
  };

  ctx.afterEvents.push(async () => {
    // Only keep views current once someone has read them; a background engine never builds.
    if (index) await sync();
  });

  ctx.stages.insights = async ({ now, importing }) => {
    // Insights over a half-imported file would describe the wrong data, and reading every
    // imported series' raw points took the CPU the import needs (a quarter of a core in the
    // import bench): they wait until the import is done or stopped.
    if (importing) return;
    const { db, events } = await ctx.ready();
    const last = await readInsightsGeneratedAt(db);
    if (last !== null && now - last < config.insightsEveryMs) return;
    if ((await countSeries(db)) === 0 && (await events.count()) === 0) return;
    await generateAndStore(now, config.windowMs);
  };

  return {
    /** Folds in events stored since the last call (any tab's), or rebuilds; resolves with the status. */
    async refreshAnalytics(): Promise<AnalyticsStatus> {
      await sync();
      return readStatus();
    },

    /** Views' refresh status without syncing. */
    analyticsStatus(): AnalyticsStatus {
      return readStatus();
    },

    /**
     * The four result-log views, optionally for one organisation only (never another's
     * rows), after folding in new events. `hours` keeps only the newest hours of the hourly
     * view (the page shows a day; months of hours need not cross to it).
     */
    async resultLogViews(
      options: { organisationId?: string; hours?: number } = {}
    ): Promise<ResultLogSnapshot> {
      await sync();
      const v = index!.views;
      const now = ctx.now();
      const scope = { organisationId: options.organisationId };
      const failures = v.readRecentFailures({ ...scope, now });
      return {
        hourly: selectNewestHours(v.readHourly(scope), options.hours),
        triggers: v.readTriggers(scope),
        recentFailures: failures.slice(-config.failureRows).reverse(),
        recentFailureCount: failures.length,
        distribution: v.readDistribution({ ...scope, now }),
        status: readStatus()
      };
    },

    /**
     * One analyst question by name (see `AnalyticsQueryNames`) with its parameters;
     * `organisationId` strictly scopes, `from`/`to` restrict the time range.
     */
    async analyticsQuery<N extends AnalyticsQueryName>(
      name: N,
      params: AnalyticsQueryParams<N> = {} as AnalyticsQueryParams<N>
    ): Promise<AnalyticsQueryResult<N>> {
      const run = Queries[name] as unknown as (
        a: ResultLogAnswers,
        p: object,
        c: QueryContext
      ) => AnalyticsQueryResult<N>;
      if (!run) throw new Error(`Unknown analytics query "${String(name)}"`);
      await sync();
      // Over every stored event the index answers from its state; a time range re-scans
      // only the range's events (found by the index's time index).
      const answers = index!.coversAll(params)
        ? index!
        : createRescanAnswers(index!.select(params));
      return run(answers, params, {
        scope: { organisationId: params.organisationId },
        now: ctx.now(),
        timeZone: ctx.timeZone()
      });
    },

    /** Organisations, triggers and action types seen in the stored events, most used first. */
    async listAnalyticsEntities(): Promise<UsageEntities> {
      await sync();
      const orgs = new Map<string, number>();
      const triggers = new Map<string, { org: string | undefined; n: number }>();
      const actions = new Map<string, number>();
      for (const e of cache) {
        if (e.organisationId) orgs.set(e.organisationId, (orgs.get(e.organisationId) ?? 0) + 1);
        if (e.triggerId) {
          const t = triggers.get(e.triggerId) ?? { org: e.organisationId, n: 0 };
          t.n++;
          triggers.set(e.triggerId, t);
        }
        const a = readActionType(e);
        actions.set(a, (actions.get(a) ?? 0) + 1);
      }
      const byCount = <T extends { events: number; id: string }>(a: T, b: T) =>
        b.events - a.events || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
      return {
        organisations: [...orgs].map(([id, events]) => ({ id, events })).sort(byCount),
        triggers: [...triggers]
          .map(([id, t]) => ({ id, organisationId: t.org, events: t.n }))
          .sort(byCount),
        actionTypes: [...actions].map(([id, events]) => ({ id, events })).sort(byCount)
      };
    },

    /** computeUsageAnalytics for one trigger or action type over the stored events. */
    async usageAnalytics(request: UsageRequest): Promise<UsageResult> {
      await sync();
      return computeUsageAnalytics(buildUsageInput(request, ctx.now()));
    },

    /** compareUsage over several entities of one kind (same window and granularity). */
    async compareUsageEntities(
      request: Omit<UsageRequest, 'entityId'> & { entityIds: string[] }
    ): Promise<UsageComparisonRow[]> {
      await sync();
      const now = ctx.now();
      return compareUsage(
        request.entityIds.map((entityId) => buildUsageInput({ ...request, entityId }, now))
      );
    },

    /**
     * Insights (generated now and stored, de-duplicated), the health score with what pulled
     * it down, per-series trends with a 24 h forecast, capacity forecasts and recent
     * anomalies — over the last `windowMs` of stored series (1-minute tier) and events.
     */
    async insightsOverview(
      options: {
        windowMs?: number;
        sla?: SlaThresholds;
        weights?: Partial<Record<HealthKpi, number>>;
      } = {}
    ): Promise<InsightsOverview> {
      await sync();
      const { db } = await ctx.ready();
      const now = ctx.now();
      const windowMs = options.windowMs ?? config.windowMs;
      const sla = options.sla ?? { defaultThresholdMs: config.slaMs };
      const { series, stored, events } = await generateAndStore(now, windowMs);
      const horizon = now + DAY_MS;

      // Forecasts stand on at least two daily periods of data, and reach at most a few
      // times the data they stand on (issue 23: one day of data forecast 5.8 days).
      const dataMs = (input: InsightSeries) => (input.t.length > 1 ? now - input.t[0] : 0);
      const canForecast = (input: InsightSeries, aheadMs: number) =>
        dataMs(input) >= InsightDefaults.minForecastHistoryMs &&
        aheadMs <= dataMs(input) * InsightDefaults.maxForecastHorizonFactor;
      const trends: SeriesTrendRow[] = series.map(({ record, input }) => {
        const f = analyzeTrend(input, { window: { start: now - windowMs, end: now } });
        const fc = canForecast(input, horizon - now)
          ? forecastLinear(input, { at: [horizon] }).points[0]
          : { value: NaN };
        return {
          seriesKey: record.key,
          seriesId: record.id,
          unit: record.unit,
          category: record.category,
          points: f.n,
          pattern: f.pattern,
          changePercent: f.changePercent,
          pValue: f.pValue,
          slopePerHour: f.slopePerHour,
          direction: f.direction,
          last: input.v[input.v.length - 1],
          forecast: Number.isFinite(fc.value) ? (fc as SeriesTrendRow['forecast']) : null
        };
      });
      const capacity: CapacityForecastRow[] = series
        .filter((s) => s.input.capacity !== undefined)
        .map(({ record, input }) => {
          const ex = forecastExhaustion({
            series: input,
            capacity: input.capacity!,
            now,
            label: record.name.includes('disk') ? 'Disk full' : 'Capacity reached'
          });
          return {
            seriesKey: record.key,
            capacity: input.capacity!,
            unit: record.unit,
            exhaustion: ex && canForecast(input, ex.daysUntil * DAY_MS) ? ex : null,
            historyMs: dataMs(input)
          };
        });

      const overall = computeOverallHealth(events, { now, windowMs });
      const latency = computeLatencyAgainstSla(
        events.filter((e) => e.t >= now - windowMs && e.t <= now),
        sla
      );
      const headrooms = capacity
        .map((c) => {
          const s = series.find((x) => x.record.key === c.seriesKey)!;
          return 1 - s.input.v[s.input.v.length - 1] / c.capacity;
        })
        .filter(Number.isFinite);
      // Budget compliance counts frames (the frame collector's counts), never 1-second
      // averages of frame time: an average of 16 ms can hide a 100 ms frame.
      const allSeries = await readAllSeries(db);
      const frames = await countFrames(allSeries, now - windowMs, now);
      const recent = await listAnomalies(db, { from: now - windowMs, to: now });
      let buckets = 0;
      for (const x of series) for (const t of x.input.t) if (t >= now - windowMs) buckets++;
      const seriesAnomalies = recent.filter((a) => !a.seriesKey.startsWith('events:')).length;
      const kpis = {
        successRate: overall.events ? overall.successRate : NaN,
        errorRate: overall.events ? overall.errorRate : NaN,
        latency: latency.ratio,
        resourceHeadroom: headrooms.length ? Math.min(...headrooms) : NaN,
        cpuBusy: readCpuBusy(allSeries),
        frameBudgetCompliance: frames ? 1 - frames.overBudget / frames.frames : NaN,
        anomalyRate: buckets ? seriesAnomalies / buckets : NaN
      };
      // The score takes latency as latencyMs ÷ slaMs: pass the ratio over an SLA of 1.
      const health = computeHealthScore(
        { ...kpis, latencyMs: latency.ratio, slaMs: 1 },
        options.weights
      );
      const units = new Map(series.map((x) => [x.record.key, x.record.unit]));
      for (const s of allSeries) if (!units.has(s.key)) units.set(s.key, s.unit);
      const inWindow = stored.filter((i) => i.generatedAt >= now - windowMs);
      const evidence = computeInsightEvidence({
        subjects: inWindow,
        series: series.map(({ record, input }) => ({
          ...input,
          key: record.key,
          unit: record.unit
        })),
        events,
        window: { start: now - windowMs, end: now }
      });
      return {
        evidence,
        now,
        window: { start: now - windowMs, end: now },
        insights: inWindow,
        generatedAt: now,
        health,
        kpis,
        latency: latency.rows,
        trends,
        capacity,
        anomalies: recent.slice(0, 200).map((a) => ({
          ...a,
          unit: a.seriesKey.startsWith('events:latency')
            ? 'ms'
            : a.seriesKey.startsWith('events:failure')
              ? ''
              : (units.get(a.seriesKey) ?? '')
        }))
      };
    },

    /**
     * Sessions and engagement over every stored event, kept incrementally: active users,
     * session length, actions per session, weekly cohorts and a funnel over `funnel`'s
     * action types (in order).
     */
    async engagementReport(options: { funnel?: string[] } = {}): Promise<EngagementReport> {
      await sync();
      return engagement.read({ now: ctx.now(), funnel: options.funnel });
    },

    /** Stored insights, newest first. */
    async listInsights(): Promise<Insight[]> {
      const { db } = await ctx.ready();
      return readInsights(db);
    }
  };
}
