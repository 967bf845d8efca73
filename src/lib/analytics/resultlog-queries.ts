/**
 * The questions analysts ask of a result log, as pure functions over events. Every query
 * takes an optional `organisationId` and then reads only that organisation's events (an
 * event without an organisation never matches). Missing fields are normalised by
 * `resultlog-common` (action type/status → 'unknown', bad durations → gaps, bad retries →
 * 0), and every rate with an empty denominator is 0, never NaN.
 */
import type { ResultEvent } from '$lib/types';
import { DAY_MS, HOUR_MS } from '$lib/types';
import { computeHealthScore, type HealthScore } from './health';
import {
  DurationBag,
  SuccessStatuses,
  divideSafely,
  readActionType,
  readDuration,
  readRetries,
  readStatus,
  readTrigger,
  scopeToOrganisation,
  summariseOutcomes
} from './resultlog-common';
import { createZoneCalendar } from './resultlog-time';

export interface ScopeOptions {
  organisationId?: string;
  successStatuses?: readonly string[];
}

export const QueryDefaults = {
  limit: 10,
  /** Triggers with fewer executions are too noisy to rank by rate or latency. */
  minExecutions: 5,
  lowSuccessThreshold: 0.9,
  highRetryAvg: 1,
  idleDays: 7,
  /** Upper bounds (ms) of the latency histogram buckets; a last +Infinity bucket follows. */
  latencyBucketsMs: [10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000]
} as const;

const validEvents = (events: readonly ResultEvent[], o: ScopeOptions) =>
  scopeToOrganisation(events, o.organisationId).filter(
    (e) => e && typeof e.t === 'number' && Number.isFinite(e.t)
  );

const isOk = (e: ResultEvent, o: ScopeOptions) =>
  (o.successStatuses ?? SuccessStatuses).includes(readStatus(e));

function groupBy<K>(events: readonly ResultEvent[], key: (e: ResultEvent) => K | undefined) {
  const groups = new Map<K, ResultEvent[]>();
  for (const e of events) {
    const k = key(e);
    if (k === undefined) continue;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(e);
  }
  return groups;
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface SuccessRatePoint {
  /** Bucket start, epoch ms (local hour or local day in `timeZone`). */
  start: number;
  /** Local label: `YYYY-MM-DD` for days, `YYYY-MM-DD HH:00` for hours. */
  label: string;
  actionType: string;
  total: number;
  successes: number;
  successRate: number;
}

/**
 * Success rate per action type per local hour or day in an IANA zone (days are 23 h or
 * 25 h across DST). Sorted by start then action type. Empty → []. O(n) plus sorting the
 * buckets.
 * @example computeSuccessRateOverTime(events, { interval: 'day', timeZone: 'Europe/London' })
 */
export function computeSuccessRateOverTime(
  events: readonly ResultEvent[],
  options: ScopeOptions & { interval: 'hour' | 'day'; timeZone?: string; actionType?: string }
): SuccessRatePoint[] {
  const cal = createZoneCalendar(options.timeZone ?? 'UTC');
  const buckets = new Map<string, SuccessRatePoint>();
  for (const e of validEvents(events, options)) {
    const actionType = readActionType(e);
    if (options.actionType !== undefined && actionType !== options.actionType) continue;
    const start = options.interval === 'hour' ? cal.hourStart(e.t) : cal.dayStart(e.t);
    const key = start + '|' + actionType;
    let b = buckets.get(key);
    if (!b) {
      const label =
        options.interval === 'hour'
          ? `${cal.dateLabel(start)} ${String(cal.hourOfDay(start)).padStart(2, '0')}:00`
          : cal.dateLabel(start);
      buckets.set(key, (b = { start, label, actionType, total: 0, successes: 0, successRate: 0 }));
    }
    b.total++;
    if (isOk(e, options)) b.successes++;
  }
  const out = [...buckets.values()];
  for (const b of out) b.successRate = divideSafely(b.successes, b.total);
  return out.sort((a, b) => a.start - b.start || compareText(a.actionType, b.actionType));
}

export interface TriggerLatency {
  triggerId: string;
  executions: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  avgMs: number;
}

function summariseLatency(triggerId: string, group: readonly ResultEvent[]): TriggerLatency {
  const bag = new DurationBag();
  for (const e of group) {
    const d = readDuration(e);
    if (!Number.isNaN(d)) bag.add(d);
  }
  return {
    triggerId,
    executions: group.length,
    p50Ms: bag.quantile(0.5),
    p95Ms: bag.quantile(0.95),
    p99Ms: bag.quantile(0.99),
    avgMs: bag.size === 0 ? NaN : bag.sum / bag.size
  };
}

/**
 * Triggers ranked by exact p95 duration, slowest first; triggers with fewer than
 * `minExecutions` runs or no valid duration are left out. Empty → []. O(n log n).
 * @example findSlowestTriggers(events, { limit: 5 })
 */
export function findSlowestTriggers(
  events: readonly ResultEvent[],
  options: ScopeOptions & { limit?: number; minExecutions?: number } = {}
): TriggerLatency[] {
  const min = options.minExecutions ?? QueryDefaults.minExecutions;
  return [...groupBy(validEvents(events, options), readTrigger)]
    .filter(([, g]) => g.length >= min)
    .map(([id, g]) => summariseLatency(id, g))
    .filter((r) => !Number.isNaN(r.p95Ms))
    .sort((a, b) => b.p95Ms - a.p95Ms || compareText(a.triggerId, b.triggerId))
    .slice(0, options.limit ?? QueryDefaults.limit);
}

export interface LatencyHistogram {
  actionType: string;
  /** Count per bucket; `leMs` is the inclusive upper bound (last is Infinity). */
  buckets: { leMs: number; count: number }[];
  total: number;
}

/**
 * Latency histogram per action type with cumulative-free (per-bucket) counts, Prometheus
 * style upper bounds. Events without a valid duration are skipped. Empty → [].
 * O(n log b) for b buckets.
 * @example computeLatencyHistogram(events, { bucketsMs: [100, 1000] })
 */
export function computeLatencyHistogram(
  events: readonly ResultEvent[],
  options: ScopeOptions & { bucketsMs?: readonly number[] } = {}
): LatencyHistogram[] {
  const bounds = [...(options.bucketsMs ?? QueryDefaults.latencyBucketsMs)]
    .filter((b) => Number.isFinite(b))
    .sort((a, b) => a - b);
  bounds.push(Infinity);
  const out = new Map<string, LatencyHistogram>();
  for (const e of validEvents(events, options)) {
    const d = readDuration(e);
    if (Number.isNaN(d)) continue;
    const actionType = readActionType(e);
    let h = out.get(actionType);
    if (!h) {
      h = { actionType, buckets: bounds.map((leMs) => ({ leMs, count: 0 })), total: 0 };
      out.set(actionType, h);
    }
    let lo = 0;
    let hi = bounds.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (d <= bounds[mid]) hi = mid;
      else lo = mid + 1;
    }
    h.buckets[lo].count++;
    h.total++;
  }
  return [...out.values()].sort((a, b) => compareText(a.actionType, b.actionType));
}

export interface SlaViolationSummary {
  actionType: string;
  thresholdMs: number;
  total: number;
  violations: number;
  violationRate: number;
  worstMs: number;
  /** The slowest violating events, slowest first (at most `limit`). */
  worst: ResultEvent[];
}

/**
 * SLA violations per action type: an event violates when its duration exceeds the
 * threshold for its action type (or `defaultThresholdMs`; action types with neither are
 * skipped). Empty → []. O(n log n).
 * @example findSlaViolations(events, { thresholdsMs: { email: 2000 } })
 */
export function findSlaViolations(
  events: readonly ResultEvent[],
  options: ScopeOptions & {
    thresholdsMs: Record<string, number>;
    defaultThresholdMs?: number;
    limit?: number;
  }
): SlaViolationSummary[] {
  const out: SlaViolationSummary[] = [];
  for (const [actionType, group] of groupBy(validEvents(events, options), readActionType)) {
    const thresholdMs = options.thresholdsMs[actionType] ?? options.defaultThresholdMs;
    if (thresholdMs === undefined || !Number.isFinite(thresholdMs)) continue;
    const violating = group.filter((e) => readDuration(e) > thresholdMs);
    violating.sort((a, b) => readDuration(b) - readDuration(a));
    out.push({
      actionType,
      thresholdMs,
      total: group.length,
      violations: violating.length,
      violationRate: divideSafely(violating.length, group.length),
      worstMs: violating.length ? readDuration(violating[0]) : NaN,
      worst: violating.slice(0, options.limit ?? QueryDefaults.limit)
    });
  }
  return out.sort(
    (a, b) => b.violationRate - a.violationRate || compareText(a.actionType, b.actionType)
  );
}

export interface TriggerRate {
  triggerId: string;
  executions: number;
  failures: number;
  successRate: number;
  errorRate: number;
  totalRetries: number;
  avgRetries: number;
  lastSeen: number;
}

function summariseTrigger(id: string, g: readonly ResultEvent[], o: ScopeOptions): TriggerRate {
  let ok = 0;
  let retries = 0;
  let lastSeen = -Infinity;
  for (const e of g) {
    if (isOk(e, o)) ok++;
    retries += readRetries(e);
    if (e.t > lastSeen) lastSeen = e.t;
  }
  return {
    triggerId: id,
    executions: g.length,
    failures: g.length - ok,
    successRate: divideSafely(ok, g.length),
    errorRate: divideSafely(g.length - ok, g.length),
    totalRetries: retries,
    avgRetries: divideSafely(retries, g.length),
    lastSeen
  };
}

function summariseTriggers(events: readonly ResultEvent[], o: ScopeOptions): TriggerRate[] {
  return [...groupBy(validEvents(events, o), readTrigger)].map(([id, g]) =>
    summariseTrigger(id, g, o)
  );
}

/**
 * Failures per trigger, most failures first; triggers without failures are omitted.
 * Empty → []. O(n).
 * @example computeErrorsByTrigger(events, { organisationId: 'org-a' })
 */
export function computeErrorsByTrigger(
  events: readonly ResultEvent[],
  options: ScopeOptions & { limit?: number } = {}
): TriggerRate[] {
  return summariseTriggers(events, options)
    .filter((r) => r.failures > 0)
    .sort((a, b) => b.failures - a.failures || compareText(a.triggerId, b.triggerId))
    .slice(0, options.limit ?? Infinity);
}

/**
 * Triggers whose success rate is below `threshold` (default 0.9) over at least
 * `minExecutions` runs, worst first. Empty → []. O(n).
 * @example findLowSuccessTriggers(events, { threshold: 0.95 })
 */
export function findLowSuccessTriggers(
  events: readonly ResultEvent[],
  options: ScopeOptions & { threshold?: number; minExecutions?: number; limit?: number } = {}
): TriggerRate[] {
  const threshold = options.threshold ?? QueryDefaults.lowSuccessThreshold;
  const min = options.minExecutions ?? QueryDefaults.minExecutions;
  return summariseTriggers(events, options)
    .filter((r) => r.executions >= min && r.successRate < threshold)
    .sort((a, b) => a.successRate - b.successRate || compareText(a.triggerId, b.triggerId))
    .slice(0, options.limit ?? Infinity);
}

/**
 * Triggers with the most executions. Empty → []. O(n + t log t).
 * @example findMostActiveTriggers(events, { limit: 3 })
 */
export function findMostActiveTriggers(
  events: readonly ResultEvent[],
  options: ScopeOptions & { limit?: number } = {}
): TriggerRate[] {
  return summariseTriggers(events, options)
    .sort((a, b) => b.executions - a.executions || compareText(a.triggerId, b.triggerId))
    .slice(0, options.limit ?? QueryDefaults.limit);
}

/**
 * Triggers with no execution in the `idleDays` before `now` (default 7). Triggers listed
 * in `knownTriggerIds` that never ran are idle with `lastSeen` = -Infinity. Longest idle
 * first. Empty → []. O(n).
 * @example findIdleTriggers(events, { now, idleDays: 14 })
 */
export function findIdleTriggers(
  events: readonly ResultEvent[],
  options: ScopeOptions & { now: number; idleDays?: number; knownTriggerIds?: readonly string[] }
): { triggerId: string; lastSeen: number; idleDays: number }[] {
  const cutoff = options.now - (options.idleDays ?? QueryDefaults.idleDays) * DAY_MS;
  const last = new Map<string, number>();
  for (const id of options.knownTriggerIds ?? []) last.set(id, -Infinity);
  for (const e of validEvents(events, options)) {
    const id = readTrigger(e);
    if (id === undefined || e.t > options.now) continue;
    if (e.t > (last.get(id) ?? -Infinity)) last.set(id, e.t);
  }
  return [...last]
    .filter(([, t]) => t < cutoff)
    .map(([triggerId, lastSeen]) => ({
      triggerId,
      lastSeen,
      idleDays: (options.now - lastSeen) / DAY_MS
    }))
    .sort((a, b) => a.lastSeen - b.lastSeen || compareText(a.triggerId, b.triggerId));
}

/**
 * Triggers averaging at least `minAvgRetries` retries per execution (default 1), most
 * retries first. Empty → []. O(n).
 * @example findHighRetryTriggers(events, { minAvgRetries: 0.5 })
 */
export function findHighRetryTriggers(
  events: readonly ResultEvent[],
  options: ScopeOptions & { minAvgRetries?: number; minExecutions?: number; limit?: number } = {}
): TriggerRate[] {
  const threshold = options.minAvgRetries ?? QueryDefaults.highRetryAvg;
  const min = options.minExecutions ?? 1;
  return summariseTriggers(events, options)
    .filter((r) => r.executions >= min && r.avgRetries >= threshold)
    .sort((a, b) => b.avgRetries - a.avgRetries || compareText(a.triggerId, b.triggerId))
    .slice(0, options.limit ?? Infinity);
}

const UuidPattern = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const IsoTimePattern =
  /\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b/g;
const ClockPattern = /\b\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\b/g;
const QuotedPattern = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g;
const HexPattern =
  /\b(?:0x[0-9a-f]+|[0-9a-f]*\d[0-9a-f]*[a-f][0-9a-f]*|[0-9a-f]*[a-f][0-9a-f]*\d[0-9a-f]*)\b/gi;
const IdPattern = /\b[a-z]+[_-]?\d[\w-]*\b/gi;
const NumberPattern = /[-+]?\b\d+(?:[.,]\d+)*(?:e[-+]?\d+)?\b/gi;
/** Message shown for an empty or missing error message. */
export const EmptyMessageLabel = '(no message)';

/**
 * Normalises an error message into a signature so that variable parts do not split one
 * error into many: timestamps → <time>, UUIDs → <uuid>, quoted strings → <str>, hex
 * (≥ 6 chars with a digit and a letter, or 0x…) → <hex>, ids like `user_123`/`req-9f` →
 * <id>, numbers → <num>; whitespace collapsed. Empty → '(no message)'. O(length).
 * @example normaliseErrorMessage('Timeout after 3000 ms for "job-7"') // 'Timeout after <num> ms for <str>'
 */
export function normaliseErrorMessage(message: string | null | undefined): string {
  if (typeof message !== 'string' || message.trim() === '') return EmptyMessageLabel;
  return message
    .replace(UuidPattern, '<uuid>')
    .replace(IsoTimePattern, '<time>')
    .replace(ClockPattern, '<time>')
    .replace(QuotedPattern, '<str>')
    .replace(HexPattern, (m) => (m.length >= 6 || /^0x/i.test(m) ? '<hex>' : m))
    .replace(IdPattern, '<id>')
    .replace(NumberPattern, '<num>')
    .replace(/\s+/g, ' ')
    .trim();
}

export interface ErrorMessageCount {
  signature: string;
  count: number;
  /** The most recent raw message with this signature. */
  example: string;
  actionTypes: string[];
  triggerIds: string[];
  firstSeen: number;
  lastSeen: number;
  /** count / failures in scope, 0..1. */
  share: number;
}

/**
 * Top error signatures among non-success events (see `normaliseErrorMessage`), most
 * frequent first. Empty → []. O(n · message length).
 * @example findTopErrorMessages(events, { limit: 5 })
 */
export function findTopErrorMessages(
  events: readonly ResultEvent[],
  options: ScopeOptions & { limit?: number } = {}
): ErrorMessageCount[] {
  const groups = new Map<string, ErrorMessageCount & { a: Set<string>; tr: Set<string> }>();
  let failures = 0;
  for (const e of validEvents(events, options)) {
    if (isOk(e, options)) continue;
    failures++;
    const raw = typeof e.errorMessage === 'string' ? e.errorMessage : '';
    const signature = normaliseErrorMessage(raw);
    let g = groups.get(signature);
    if (!g) {
      g = {
        signature,
        count: 0,
        example: raw,
        actionTypes: [],
        triggerIds: [],
        firstSeen: e.t,
        lastSeen: e.t,
        share: 0,
        a: new Set(),
        tr: new Set()
      };
      groups.set(signature, g);
    }
    g.count++;
    g.a.add(readActionType(e));
    const trig = readTrigger(e);
    if (trig !== undefined) g.tr.add(trig);
    if (e.t < g.firstSeen) g.firstSeen = e.t;
    if (e.t >= g.lastSeen) {
      g.lastSeen = e.t;
      g.example = raw;
    }
  }
  return [...groups.values()]
    .sort((a, b) => b.count - a.count || compareText(a.signature, b.signature))
    .slice(0, options.limit ?? QueryDefaults.limit)
    .map(({ a, tr, ...g }) => ({
      ...g,
      actionTypes: [...a].sort(),
      triggerIds: [...tr].sort(),
      share: divideSafely(g.count, failures)
    }));
}

export interface ActionTypeRate {
  actionType: string;
  total: number;
  failures: number;
  failureRate: number;
  /** Failures by status (failure, timeout, …). */
  byStatus: Record<string, number>;
}

/**
 * Failure rate per action type, highest first. Empty → []. O(n).
 * @example computeFailureRateByActionType(events)
 */
export function computeFailureRateByActionType(
  events: readonly ResultEvent[],
  options: ScopeOptions = {}
): ActionTypeRate[] {
  const out = new Map<string, ActionTypeRate>();
  for (const e of validEvents(events, options)) {
    const actionType = readActionType(e);
    let r = out.get(actionType);
    if (!r)
      out.set(
        actionType,
        (r = { actionType, total: 0, failures: 0, failureRate: 0, byStatus: {} })
      );
    r.total++;
    if (!isOk(e, options)) {
      r.failures++;
      const s = readStatus(e);
      r.byStatus[s] = (r.byStatus[s] ?? 0) + 1;
    }
  }
  const rows = [...out.values()];
  for (const r of rows) r.failureRate = divideSafely(r.failures, r.total);
  return rows.sort(
    (a, b) => b.failureRate - a.failureRate || compareText(a.actionType, b.actionType)
  );
}

export interface ThroughputPoint {
  hourStart: number;
  label: string;
  count: number;
  /** Events per second over the hour. */
  perSecond: number;
}

/**
 * Events per local hour (zone-aware; a DST fall-back day has two distinct 01:00 hours),
 * ascending, hours without events omitted. Empty → []. O(n + h log h).
 * @example computeHourlyThroughput(events, { timeZone: 'America/New_York' })
 */
export function computeHourlyThroughput(
  events: readonly ResultEvent[],
  options: ScopeOptions & { timeZone?: string } = {}
): ThroughputPoint[] {
  const cal = createZoneCalendar(options.timeZone ?? 'UTC');
  const counts = new Map<number, number>();
  for (const e of validEvents(events, options)) {
    const h = cal.hourStart(e.t);
    counts.set(h, (counts.get(h) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => a[0] - b[0])
    .map(([hourStart, count]) => ({
      hourStart,
      label: `${cal.dateLabel(hourStart)} ${String(cal.hourOfDay(hourStart)).padStart(2, '0')}:00`,
      count,
      perSecond: count / (HOUR_MS / 1000)
    }));
}

/**
 * Local hours of day ranked by event count, busiest first, with the share of all events.
 * Empty → []. O(n).
 * @example findPeakHours(events, { timeZone: 'Europe/London', limit: 3 })
 */
export function findPeakHours(
  events: readonly ResultEvent[],
  options: ScopeOptions & { timeZone?: string; limit?: number } = {}
): { hour: number; count: number; share: number }[] {
  const cal = createZoneCalendar(options.timeZone ?? 'UTC');
  const counts = new Array<number>(24).fill(0);
  const scoped = validEvents(events, options);
  for (const e of scoped) counts[cal.hourOfDay(e.t)]++;
  return counts
    .map((count, hour) => ({ hour, count, share: divideSafely(count, scoped.length) }))
    .filter((r) => r.count > 0)
    .sort((a, b) => b.count - a.count || a.hour - b.hour)
    .slice(0, options.limit ?? 24);
}

export interface GrowthRow {
  actionType: string;
  thisWeek: number;
  lastWeek: number;
  /** (thisWeek − lastWeek) / lastWeek × 100; NaN when last week had none (no baseline). */
  growthPercent: number;
}

/**
 * Week-over-week growth: events in [now − 7 d, now) against [now − 14 d, now − 7 d),
 * overall (`actionType` '*', first) and per action type. Empty → one '*' row of zeros.
 * O(n).
 * @example computeWeekOverWeekGrowth(events, { now })
 */
export function computeWeekOverWeekGrowth(
  events: readonly ResultEvent[],
  options: ScopeOptions & { now: number }
): GrowthRow[] {
  const week = 7 * DAY_MS;
  const rows = new Map<string, GrowthRow>([
    ['*', { actionType: '*', thisWeek: 0, lastWeek: 0, growthPercent: NaN }]
  ]);
  for (const e of validEvents(events, options)) {
    const age = options.now - e.t;
    if (age <= 0 || age > 2 * week) continue;
    const current = age <= week;
    for (const key of ['*', readActionType(e)]) {
      let r = rows.get(key);
      if (!r)
        rows.set(key, (r = { actionType: key, thisWeek: 0, lastWeek: 0, growthPercent: NaN }));
      if (current) r.thisWeek++;
      else r.lastWeek++;
    }
  }
  return finishGrowthRows(rows.values());
}

/**
 * Sets each row's growth against last week (NaN without last week) and orders the rows: the
 * overall '*' row first, then by this week's count, then by name. Shared by the re-scan above
 * and the incremental index (resultlog-index.ts).
 */
export function finishGrowthRows(rows: Iterable<GrowthRow>): GrowthRow[] {
  const out = [...rows];
  for (const r of out) {
    r.growthPercent = r.lastWeek === 0 ? NaN : ((r.thisWeek - r.lastWeek) / r.lastWeek) * 100;
  }
  return out.sort((a, b) =>
    a.actionType === '*'
      ? -1
      : b.actionType === '*'
        ? 1
        : b.thisWeek - a.thisWeek || compareText(a.actionType, b.actionType)
  );
}

export interface OrganisationUsage {
  organisationId: string;
  events: number;
  /** Share of all events with an organisation in scope, 0..1. */
  share: number;
  successRate: number;
  triggers: number;
  actionTypes: number;
  lastSeen: number;
}

/**
 * Usage per organisation, busiest first; events without an organisation are not counted.
 * With `organisationId`, only that organisation's row. Empty → []. O(n).
 * @example computeOrganisationUsage(events, { limit: 5 })
 */
export function computeOrganisationUsage(
  events: readonly ResultEvent[],
  options: ScopeOptions & { limit?: number } = {}
): OrganisationUsage[] {
  const scoped = validEvents(events, options);
  const groups = groupBy(scoped, (e) =>
    typeof e.organisationId === 'string' ? e.organisationId : undefined
  );
  let total = 0;
  for (const g of groups.values()) total += g.length;
  return [...groups]
    .map(([organisationId, g]) => {
      let ok = 0;
      let lastSeen = -Infinity;
      const triggers = new Set<string>();
      const actions = new Set<string>();
      for (const e of g) {
        if (isOk(e, options)) ok++;
        if (e.t > lastSeen) lastSeen = e.t;
        const tr = readTrigger(e);
        if (tr !== undefined) triggers.add(tr);
        actions.add(readActionType(e));
      }
      return {
        organisationId,
        events: g.length,
        share: divideSafely(g.length, total),
        successRate: divideSafely(ok, g.length),
        triggers: triggers.size,
        actionTypes: actions.size,
        lastSeen
      };
    })
    .sort((a, b) => b.events - a.events || compareText(a.organisationId, b.organisationId))
    .slice(0, options.limit ?? Infinity);
}

export interface OverallHealth {
  events: number;
  successRate: number;
  errorRate: number;
  p95Ms: number;
  health: HealthScore;
}

/**
 * Overall health of the result log over [now − windowMs, now] (default 24 h): success
 * rate, error rate, exact p95 latency, and the health score from those (latency is scored
 * only when `slaMs` is given). No events → rates 0, p95 NaN, health score NaN. O(n).
 * @example computeOverallHealth(events, { now, slaMs: 2000 })
 */
export function computeOverallHealth(
  events: readonly ResultEvent[],
  options: ScopeOptions & { now: number; windowMs?: number; slaMs?: number }
): OverallHealth {
  const from = options.now - (options.windowMs ?? DAY_MS);
  const inWindow = validEvents(events, options).filter((e) => e.t >= from && e.t <= options.now);
  const o = summariseOutcomes(inWindow, options.successStatuses);
  const n = o.events;
  const successRate = divideSafely(o.successes, n);
  const errorRate = divideSafely(n - o.successes, n);
  const p95Ms = o.p95Ms;
  const health = computeHealthScore(
    n === 0 ? {} : { successRate, errorRate, latencyMs: p95Ms, slaMs: options.slaMs }
  );
  return { events: n, successRate, errorRate, p95Ms, health };
}
