import type { TidemarkDb } from '$lib/db/database';
import type { EventStore } from '$lib/db/event-store';
import type { HeadStore } from '$lib/db/head-store';
import type { MetricStore } from '$lib/db/metric-store';
import type { RollupStore } from '$lib/db/rollup-store';
import type { ViewHealth } from '$lib/alerts/resultlog';
import type { ChangeNotice, PointBatch, ResultEvent, RetentionKey } from '$lib/types';
import type { BackgroundStageName, BackgroundStage } from './pipeline';

/**
 * The engine's shared vocabulary, in a leaf module: every engine area imports this file and
 * nothing imports the areas but `api.ts`, so the worker's modules form a tree, not a ring
 * (Perfetto's `Engine` interface sits apart from its implementations the same way).
 */

export type Progress = (done: number, total: number, label: string) => void;

/** The stores, once the database is open. */
export interface EngineStores {
  /**
   * The open database, only to hand to `$lib/db` functions: ESLint rejects table access on
   * it outside `src/lib/db`.
   */
  db: TidemarkDb;
  metrics: MetricStore;
  events: EventStore;
  rollups: RollupStore;
  /** The live path's in-memory heads and write-ahead log (the leader's engine writes). */
  heads: HeadStore;
}

export type RetentionOverrides = Partial<Record<RetentionKey, number>>;

/**
 * What an engine area (import, analytics, anomalies…) is given: each lives in its own
 * module, exports `create<Area>Api(ctx)` returning plain methods that `api.ts` spreads into
 * the engine API, and puts its background work in `ctx.stages` under its stage name; the
 * order stages run in is `BackgroundStages` in pipeline.ts, not the order areas are created.
 */
export interface EngineContext {
  ready: () => Promise<EngineStores>;
  broadcast: (notice: ChangeNotice) => void;
  now: () => number;
  timeZone: () => string;
  retention: () => RetentionOverrides;
  ingest: (batches: PointBatch[]) => Promise<{ points: number }>;
  ingestEvents: (list: ResultEvent[]) => Promise<{ events: number }>;
  /** Tells the areas that events were stored (by ingestEvents, the agent or an import). */
  eventsStored: (stored: ResultEvent[]) => Promise<void>;
  /** Run after events are stored (in this tab's engine), with the stored events. */
  afterEvents: Array<(stored: ResultEvent[]) => Promise<void>>;
  /** The background stages each area registered, run in pipeline order by the leader. */
  stages: Partial<Record<BackgroundStageName, BackgroundStage>>;
  /**
   * An import of this engine started (`running`) or ended: an ended one no longer defers
   * rollups, even when its checkpoint could not be written to say so (a full disk).
   */
  importRunning: (id: string, running: boolean) => void;
  /** Background work calls this between series so queued queries are answered first. */
  pause: () => Promise<void>;
  /** Whether a file import is running (any tab), so background work on its series waits. */
  importActive: (at: number) => Promise<boolean>;
  /**
   * The result log as the analytics area keeps it, for alert rules over it (set by the
   * analytics area): events of a time range, and each view's health after catching up.
   */
  resultLog?: {
    events: (from: number, to: number) => Promise<readonly ResultEvent[]>;
    views: (now: number) => Promise<ViewHealth[]>;
  };
}
