/**
 * Plain data types shared by every layer. This folder imports nothing.
 * Times are epoch milliseconds unless a name says otherwise.
 */

import type { IdRanges } from './id-ranges';
export type { IdRanges } from './id-ranges';

export type SeriesKind = 'gauge' | 'counter' | 'histogram_bucket';
export type SeriesSource = 'browser' | 'agent' | 'import' | 'api' | 'demo';
export type SeriesCategory = 'system' | 'model' | 'ux' | 'network' | 'app' | 'events';

/** What identifies and describes a series before it has an id in the store. */
export interface SeriesDescriptor {
  name: string;
  labels: Record<string, string>;
  unit: string;
  kind: SeriesKind;
  source: SeriesSource;
  category: SeriesCategory;
  help?: string;
}

/** A registered series: `key` is the canonical name + sorted labels. */
export interface SeriesRecord extends SeriesDescriptor {
  id: number;
  key: string;
  firstT?: number;
  lastT?: number;
  /** Last value seen, for the live panels. */
  lastV?: number;
  /** Points appended so far (duplicates counted), for density estimates. */
  points?: number;
  /** Every raw point with t ≤ rolledUntil is in every rollup tier. */
  rolledUntil?: number;
}

/** Columnar points, sorted by time unless a caller says otherwise. */
export interface Columnar {
  t: Float64Array;
  v: Float64Array;
}

/** One ingest batch: one series, many points. */
export interface PointBatch extends Columnar {
  series: SeriesDescriptor;
}

/** Result-log event, as the original design's tracking API and result logs carry it. */
export interface ResultEvent {
  t: number;
  actionType: string;
  status: string;
  durationMs: number;
  triggerId?: string;
  organisationId?: string;
  retries?: number;
  errorMessage?: string;
  /** Who acted (engagement analytics); without it the organisation stands in. */
  userId?: string;
  /** The user's session; without it sessions are inferred by an inactivity gap. */
  sessionId?: string;
  context?: Record<string, unknown>;
}

/** Rollup tiers, finest to coarsest. `raw` is the chunked points themselves. */
export const TierNames = ['1s', '10s', '1m', '5m', '15m', '1h', '1d', '1w', '1M'] as const;
export type TierName = (typeof TierNames)[number];
export type RetentionKey = 'raw' | TierName | 'events' | 'insights';

/** Milliseconds each fixed-width tier spans; calendar tiers (1d, 1w, 1M) follow a time zone. */
export const TierWidthMs: Record<TierName, number> = {
  '1s': 1_000,
  '10s': 10_000,
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '1d': 86_400_000,
  '1w': 7 * 86_400_000,
  '1M': 30 * 86_400_000
};

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Retention per tier in milliseconds (DESIGN.md defaults). */
export const DefaultRetention: Record<RetentionKey, number> = {
  raw: HOUR_MS,
  '1s': HOUR_MS,
  '10s': 6 * HOUR_MS,
  '1m': 24 * HOUR_MS,
  '5m': 7 * DAY_MS,
  '15m': 30 * DAY_MS,
  '1h': 90 * DAY_MS,
  '1d': 2 * 365 * DAY_MS,
  '1w': 3 * 365 * DAY_MS,
  '1M': 5 * 365 * DAY_MS,
  events: 90 * DAY_MS,
  insights: 365 * DAY_MS
};

/**
 * Aggregates a query may ask for: the one list. Each has one function in tsdb/partial.ts'
 * `Aggregators`; every other list of aggregates derives from these two.
 */
export const Aggregates = [
  'avg',
  'min',
  'max',
  'sum',
  'count',
  'first',
  'last',
  'stddev',
  'p50',
  'p95',
  'p99'
] as const;
export type Aggregate = (typeof Aggregates)[number];

export interface QueryRequest {
  seriesId: number;
  from: number;
  to: number;
  maxPoints: number;
  aggregates: Aggregate[];
  /** Force a tier instead of the automatic choice. */
  tier?: TierName | 'raw';
  /** Counters: also return per-second, reset-aware rates in `QueryResult.rate`. */
  rate?: boolean;
  /**
   * Also return the buckets' mergeable partials in `QueryResult.partials` (rollup tiers
   * only; raw points have none), sketches included: for values over many buckets that
   * must not be computed from per-bucket values (a window's stddev or p95).
   */
  partials?: boolean;
}

/**
 * A run of rollup buckets in transferable form (tsdb/columns.ts packColumns): one
 * Float64Array per partial field, aligned with `start`, and every bucket's quantile sketch
 * serialised back to back.
 */
export interface PackedColumns {
  tier: TierName;
  start: Float64Array;
  count: Float64Array;
  sum: Float64Array;
  min: Float64Array;
  max: Float64Array;
  /** Σ(x − mean)² per bucket (M2). */
  sumSq: Float64Array;
  first: Float64Array;
  firstT: Float64Array;
  last: Float64Array;
  lastT: Float64Array;
  sketches: Uint8Array;
}

export interface QueryResult {
  seriesId: number;
  /** The tier actually read: 'raw' or a rollup tier. */
  tier: TierName | 'raw';
  /** Bucket width in ms (0 for raw). */
  stepMs: number;
  t: Float64Array;
  /** One column per requested aggregate, aligned with `t`. */
  columns: Partial<Record<Aggregate, Float64Array>>;
  /** Per-second rates aligned with `t` when the request asked for `rate` (NaN: unknown). */
  rate?: Float64Array;
  /** The buckets' partials, aligned with `t`, when the request asked for `partials`. */
  partials?: PackedColumns;
}

/** Anomaly as stored and shown. */
export interface AnomalyRecord {
  seriesKey: string;
  t: number;
  value: number;
  score: number;
  detector: string;
}

/** Storage status shown in Settings and in the top bar. */
export interface StorageStatus {
  usage: number | null;
  quota: number | null;
  persisted: boolean | null;
}

/**
 * A change notice broadcast between tabs. `points` names the series a write touched as id
 * ranges (id-ranges.ts): a few numbers for a 10,000-series delivery, and a series new to a
 * listener is one whose id exceeds the largest it knows (ids only grow).
 */
/** When the pages say the leader's rollups are behind the data (the status bar). */
export const RollupLagDefaults = { behindMs: 30_000 };

export type ChangeNotice =
  | { kind: 'points'; ids: IdRanges; to: number }
  | { kind: 'events'; count: number }
  | { kind: 'anomalies'; count: number }
  | { kind: 'alerts'; transitions: number }
  | { kind: 'series' }
  | { kind: 'cleared' }
  | { kind: 'settings' }
  | { kind: 'storage-full'; message: string }
  /** An import finished or stopped (its summary's counts are final). */
  | { kind: 'import-ended'; id: string }
  /** Retention removed data: raw chunks (their points live on as rollups), blocks, events. */
  | { kind: 'retention'; chunks: number; blocks: number; events: number }
  /** The demo load stored a step (`stored` of `total`; done when equal). */
  | { kind: 'demo'; stored: number; total: number }
  /** A dashboard was saved or deleted. */
  | { kind: 'dashboards' }
  /**
   * The leader's rollups fell behind the data (`lagMs` over RollupLagDefaults.behindMs) or
   * caught up again (`lagMs` under it): sent when that changes, so every tab can say so.
   */
  | { kind: 'rollup-lag'; lagMs: number; series: number }
  /** An export schedule was saved or deleted, or one of its runs recorded. */
  | { kind: 'schedules' };

/**
 * Localhost agent stream protocol (agent/README.md). One point of a host sample or of a
 * normalised tracking call; `source` is implicitly 'agent'.
 */
export interface AgentPoint {
  name: string;
  labels: Record<string, string>;
  unit: string;
  kind: SeriesKind;
  category: SeriesCategory;
  t: number;
  v: number;
}

/** One ring-buffer message of the agent, as it appears in a stream `batch`. */
export type AgentMessage =
  | { seq: number; kind: 'sample'; t: number; points: AgentPoint[] }
  | { seq: number; kind: 'event'; t: number; event: ResultEvent; points: AgentPoint[] }
  | { seq: number; kind: 'point'; t: number; points: AgentPoint[] }
  | {
      seq: number;
      kind: 'metrics';
      t: number;
      format: 'prometheus' | 'influx' | 'otlp-json';
      text: string;
    };

/** Named server-sent events on `GET /v1/stream`. */
export type AgentStreamEvent =
  | { event: 'hello'; data: AgentStatus }
  | { event: 'batch'; data: { messages: AgentMessage[] } }
  | { event: 'gap'; data: { after: number; firstAvailableSeq: number; dropped?: number } }
  | { event: 'lagged'; data: AgentLagged }
  | { event: 'heartbeat'; data: { t: number; lastSeq: number } };

/**
 * The agent's `lagged` event: the page stopped reading for a while. Sent when it resumes
 * (`cutOff: false`), or as the last event before the agent ends a stream that lost messages
 * (`cutOff: true`; reconnect with `after=sentSeq`… the `gap` then says what is gone).
 */
export interface AgentLagged {
  sentSeq: number;
  behindMessages: number;
  behindMs: number;
  blockedMs: number;
  /** Messages lost on this connection so far (including any about to be reported by a gap). */
  dropped: number;
  cutOff: boolean;
}

/** One connected page in `GET /v1/status` → `subscribers`. */
export interface AgentSubscriberStatus {
  id: number;
  connectedAt: number;
  /** Seq of the last message written to its socket (the page may not have read it yet). */
  sentSeq: number;
  /** Messages in the buffer it has not been sent yet. */
  behindMessages: number;
  /** Age of the oldest message it has not been sent yet; 0 when up to date. */
  behindMs: number;
  /** Its socket buffer is full (the page is not reading). */
  blocked: boolean;
  blockedMs: number;
  /** Messages lost on this connection because they left the buffer before it read them. */
  dropped: number;
}

/** `GET /v1/status` body. */
export interface AgentStatus {
  version: string;
  bootId: string;
  startedAt: number;
  uptimeMs: number;
  intervalMs: number;
  firstSeq: number;
  lastSeq: number;
  hostname: string;
  platform: string;
  samples: string[];
  /** Count cap of the agent's message buffer. */
  bufferSize: number;
  /** Time window of the buffer: messages older than this are evicted. */
  bufferMaxAgeMs?: number;
  /** Byte cap of the buffer. */
  bufferMaxBytes?: number;
  /** Bytes and messages held now, and the push time of the oldest (null when empty). */
  bufferBytes?: number;
  bufferHeld?: number;
  bufferOldestAt?: number | null;
  /** Messages evicted since start. */
  bufferEvicted?: number;
  /** Pages streaming now and how far behind each is (`GET /v1/status` only, not `hello`). */
  subscribers?: AgentSubscriberStatus[];
  /** Where the agent forwards samples (`--remote-write`, `--otlp`); empty when it does not. */
  forwarding?: AgentForwardingStatus[];
  /** Which power sources the agent can read (issue 25); absent from older agents. */
  energy?: AgentEnergyStatus;
}

/**
 * The host's power sources as the agent finds them: RAPL packages whose energy counter it
 * can read, GPUs whose power draw `nvidia-smi` reports. No source: energy is not measured
 * on this host (energy per token shows as "not measured", never as 0).
 */
export interface AgentEnergyStatus {
  /** 'RAPL' and/or 'nvidia-smi'; empty when nothing is readable or energy is off. */
  sources: string[];
  /** RAPL package domains readable, e.g. `package-0`. */
  raplPackages: string[];
  /** GPUs (nvidia-smi index) reporting power draw. */
  gpus: string[];
  /** Turned off with `--no-energy`. */
  disabled: boolean;
  /** One line for people: what is measured, or why nothing is. */
  summary: string;
}

/** One forwarding target of the agent and how delivery goes. */
export interface AgentForwardingStatus {
  kind: 'remote-write' | 'otlp';
  url: string;
  /** Batches waiting in the on-disk queue, and their bytes. */
  queuedBatches: number;
  queuedBytes: number;
  /** Batches dropped because the queue was full (the oldest go first). */
  droppedBatches: number;
  sentBatches: number;
  /** Attempts that failed and will be retried (receiver down, 5xx, 429). */
  failedAttempts: number;
  /** Batches the receiver refused for good (4xx). */
  rejectedBatches: number;
  lastError: string | null;
  lastSentAt: number | null;
}
