import Dexie, { type EntityTable } from 'dexie';
import type { AnomalyRecord, ResultEvent, SeriesRecord, TierName } from '$lib/types';
import { countsLedgerMiddleware } from './counts-ledger';
import type { Dashboard } from '$lib/types/dashboard';
import type { ExportSchedule, ScheduledRunRecord } from '$lib/export/schedule';
import { declareTestUpgrade } from './test-upgrade';

/** The IndexedDB database name. Tests and tools open it by this name. */
export const DB_NAME = 'tidemark';

/**
 * A compressed run of one series' raw points. The primary key is [seriesId+t0];
 * the head chunk of a series is rewritten in place as it grows.
 */
export interface ChunkRecord {
  seriesId: number;
  t0: number;
  t1: number;
  n: number;
  data: Uint8Array;
}

/**
 * A block of rollup buckets of one series and tier: up to BlockBuckets consecutive buckets,
 * keyed by the aligned block start t0. `t1` is the last bucket's start (for retention).
 */
export interface RollupRecord {
  seriesId: number;
  tier: TierName;
  t0: number;
  t1: number;
  n: number;
  data: Uint8Array;
}

/** Points that arrived for times already rolled up; merged by the next rollup pass. */
export interface LateRecord {
  id?: number;
  seriesId: number;
  t: Float64Array;
  v: Float64Array;
}

export interface StoredAnomaly extends AnomalyRecord {
  id?: number;
}

export interface StoredEvent extends ResultEvent {
  id?: number;
}

/**
 * Progress of one imported file: `id` is the file's content hash. A batch of points and the
 * checkpoint that says it is stored commit in one transaction, so a re-import adds nothing
 * twice and an interrupted import resumes at `offset`.
 */
export interface ImportRecord {
  id: string;
  name: string;
  size: number;
  format: string;
  offset: number;
  rows: number;
  points: number;
  events: number;
  errors: number;
  done: boolean;
  startedAt: number;
  updatedAt: number;
}

/** Online state of a detector (anomaly or alert) for one series, kept between passes. */
export interface DetectorRecord {
  key: string;
  seriesId: number | null;
  upTo: number;
  state: unknown;
}

/**
 * One live delivery in the write-ahead log (HeadStore): the points of `ids[k]` are
 * t/v[offsets[k] .. offsets[k+1]). Deleted once every point is in a chunk record.
 */
export interface WalRecord {
  id?: number;
  ids: Int32Array;
  offsets: Uint32Array;
  t: Float64Array;
  v: Float64Array;
}

export interface MetaRecord {
  key: string;
  value: unknown;
}

/**
 * Why these options: `chromeTransactionDurability: 'strict'` makes Chromium flush to disk
 * before `complete`, so an acknowledged write survives a killed browser (RELIABILITY.md #1).
 * `cache: 'disabled'` because the engine never uses liveQuery, and chunk payloads are large.
 */
export class TidemarkDb extends Dexie {
  series!: EntityTable<SeriesRecord, 'id'>;
  chunks!: Dexie.Table<ChunkRecord, [number, number]>;
  events!: EntityTable<StoredEvent, 'id'>;
  meta!: EntityTable<MetaRecord, 'key'>;
  rollups!: Dexie.Table<RollupRecord, [number, TierName, number]>;
  late!: EntityTable<LateRecord, 'id'>;
  anomalies!: EntityTable<StoredAnomaly, 'id'>;
  imports!: EntityTable<ImportRecord, 'id'>;
  detectors!: EntityTable<DetectorRecord, 'key'>;
  wal!: EntityTable<WalRecord, 'id'>;
  ledger!: EntityTable<MetaRecord, 'key'>;
  dashboards!: EntityTable<Dashboard, 'id'>;
  schedules!: EntityTable<ExportSchedule, 'id'>;
  exportRuns!: EntityTable<ScheduledRunRecord, 'id'>;

  constructor(
    options: { name?: string; indexedDB?: IDBFactory; IDBKeyRange?: typeof IDBKeyRange } = {}
  ) {
    super(options.name ?? DB_NAME, {
      chromeTransactionDurability: 'strict',
      cache: 'disabled',
      ...(options.indexedDB ? { indexedDB: options.indexedDB } : {}),
      ...(options.IDBKeyRange ? { IDBKeyRange: options.IDBKeyRange } : {})
    });
    // Every version stays declared forever (RELIABILITY.md: keep every db.version()).
    this.version(1).stores({
      series: '++id, &key, name, category, source',
      chunks: '[seriesId+t0], [seriesId+t1]',
      events: '++id, t, actionType, status, triggerId, organisationId',
      meta: '&key'
    });
    // v2, the metrics store: rollup blocks per series and tier, late points awaiting a
    // rollup pass, detected anomalies.
    this.version(2).stores({
      rollups: '[seriesId+tier+t0], [tier+t1]',
      late: '++id, seriesId',
      anomalies: '++id, [seriesKey+t], t'
    });
    // v3: import checkpoints (file hash → byte offset) and online detector state per series.
    this.version(3).stores({
      imports: '&id, updatedAt',
      detectors: '&key, seriesId'
    });
    // v4: the live path's write-ahead log (one record per delivery, see HeadStore).
    this.version(4).stores({ wal: '++id' });
    // v5: the kept totals of series, chunks and rollups (counts-ledger.ts: apart from
    // `meta`, so background writes and agent deliveries do not queue behind each other).
    this.version(5).stores({ ledger: '&key' });
    // The totals (series, events, chunks, points, rollup blocks) kept in `meta` by every
    // write, not scanned (counts-ledger.ts).
    this.use(countsLedgerMiddleware(this));
    // v6: the user's own dashboards (dashboard-store.ts).
    this.version(6).stores({ dashboards: '&id, updatedAt' });
    // v7: scheduled exports (with their folder handles) and the list of their runs
    // (schedule-store.ts).
    this.version(7).stores({ schedules: '&id', exportRuns: '++id, scheduleId, at' });
    // Only in the upgrade test's second build (always the last, one version above the
    // app's): `__UPGRADE_TEST__` is a build-time constant, false in every other build,
    // which then drops this line and the module it calls.
    if (__UPGRADE_TEST__) declareTestUpgrade(this);
  }
}

/** What the database layer reports to whoever shows it (the engine forwards it to the page). */
export type DbLifecycle =
  | { kind: 'open' }
  | { kind: 'blocked' }
  | { kind: 'versionchange'; newVersion: number | null }
  | {
      kind: 'error';
      name: string;
      message: string;
      /**
       * Set when the open was an upgrade of an existing database (Dexie versions): IndexedDB
       * undid the whole upgrade, so the database is still at `from` with its data.
       */
      upgrade?: { from: number; to: number };
    };

/**
 * Opens the database and wires the lifecycle events: on `versionchange` (a newer Tidemark
 * opened it elsewhere) the connection closes at once so the other tab is not blocked, and
 * the caller is told so it can offer a reload; `blocked` is reported while an older tab
 * still holds the database open.
 */
export async function openDatabase(
  onLifecycle: (event: DbLifecycle) => void,
  options: ConstructorParameters<typeof TidemarkDb>[0] = {}
): Promise<TidemarkDb> {
  return openWired(new TidemarkDb(options), onLifecycle, options.indexedDB ?? globalThis.indexedDB);
}

/**
 * openDatabase's work on a database object made already (tests declare another version on
 * it first); `factory` is the IDBFactory it opens through.
 */
export async function openWired(
  db: TidemarkDb,
  onLifecycle: (event: DbLifecycle) => void,
  factory: IDBFactory
): Promise<TidemarkDb> {
  db.on('versionchange', (event) => {
    db.close({ disableAutoOpen: true });
    onLifecycle({ kind: 'versionchange', newVersion: event.newVersion });
    return false;
  });
  db.on('blocked', () => onLifecycle({ kind: 'blocked' }));
  // Read before the open: a failed upgrade is told apart from a store that cannot open.
  const wanted = Math.round(db.verno * 10);
  const installed = await installedVersion(factory, db.name);
  try {
    await db.open();
  } catch (error) {
    const e = error as Error;
    const upgrade =
      installed !== null && installed > 0 && installed < wanted
        ? { from: Math.floor(installed / 10), to: db.verno }
        : undefined;
    onLifecycle({ kind: 'error', name: e.name, message: e.message, ...(upgrade && { upgrade }) });
    throw error;
  }
  onLifecycle({ kind: 'open' });
  return db;
}

/**
 * The native IndexedDB version database `name` has now (Dexie's version × 10), 0 when it does
 * not exist, null when the browser cannot say (`databases()` is missing or fails).
 */
async function installedVersion(factory: IDBFactory, name: string): Promise<number | null> {
  try {
    const list = await factory.databases();
    return list.find((d) => d.name === name)?.version ?? 0;
  } catch {
    return null;
  }
}

/**
 * Deletes every metric, event and derived record in one transaction; `meta` keys starting
 * with `keepMetaPrefix` (configuration, not data) stay, and so do the user's dashboards,
 * export schedules and the list of their runs.
 */
export async function clearStoredData(db: TidemarkDb, keepMetaPrefix: string): Promise<void> {
  const kept = [db.dashboards.name, db.schedules.name, db.exportRuns.name];
  const data = db.tables.filter((t) => !kept.includes(t.name));
  await db.transaction('rw', data, async () => {
    await Promise.all(
      data.map((t) =>
        t.name === db.meta.name
          ? db.meta.filter((m) => !m.key.startsWith(keepMetaPrefix)).delete()
          : t.clear()
      )
    );
  });
}
