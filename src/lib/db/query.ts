import { rollupPoints } from '$lib/tsdb/rollup';
import { computeBucketRates, computePointRates } from '$lib/analytics/rate';
import {
  aggregateColumns,
  countBuckets,
  mergeColumns,
  packColumns,
  packedBuffers,
  type RollupColumns
} from '$lib/tsdb/columns';
import { needsSketch } from '$lib/tsdb/partial';
import { chooseTier } from '$lib/tsdb/tiers';
import {
  TierWidthMs,
  type Aggregate,
  type Columnar,
  type QueryRequest,
  type QueryResult,
  type RetentionKey,
  type SeriesRecord,
  type TierName
} from '$lib/types';
import type { TidemarkDb } from './database';
import type { MetricStore } from './metric-store';
import { rollupPlan, type Horizons, type RollupStore } from './rollup-store';

type SeriesWithHorizons = SeriesRecord & { horizons?: Horizons };

/**
 * Answers a query from the store: picks the tier, reads its buckets, and stitches in raw
 * points newer than the rollup watermark so the newest seconds are never missing. With
 * `rate`, counters also get per-second, reset-aware rates (per point for raw data, per
 * bucket from the partials otherwise; see analytics/rate.ts). Every
 * column is a Float64Array aligned with `t` (bucket starts, or point times for raw).
 */
export async function runQuery(options: {
  db: TidemarkDb;
  metrics: MetricStore;
  rollups: RollupStore;
  request: QueryRequest;
  timeZone: string;
  retention?: Partial<Record<RetentionKey, number>>;
}): Promise<QueryResult> {
  // One read transaction for the series record and every chunk and block read: a query is a
  // consistent snapshot, and pays for one transaction instead of one per read.
  const { db } = options;
  return db.transaction('r', [db.series, db.chunks, db.rollups], () => answerQuery(options));
}

type QueryOptions = {
  db: TidemarkDb;
  metrics: MetricStore;
  rollups: RollupStore;
  request: QueryRequest;
  timeZone: string;
  retention?: Partial<Record<RetentionKey, number>>;
};

/** What a query reads, decided from the series record alone. */
interface QueryPlan {
  tier: TierName | 'raw';
  /** Virtual 1 s tier: rolled up from raw points on the fly. */
  virtual: boolean;
  /** Rollup watermark: raw points after it are rolled on the fly (−∞ when none are). */
  watermark: number;
  stitch: boolean;
}

function planQuery(
  s: SeriesWithHorizons,
  request: QueryRequest,
  retention: QueryOptions['retention']
): QueryPlan {
  const plan = rollupPlan(retention);
  const { from, to, maxPoints } = request;
  const spanStored = Math.max(1, s.lastT! - s.firstT!);
  const density = (s.points ?? 0) / spanStored;
  const overlap = Math.max(0, Math.min(to, s.lastT!) - Math.max(from, s.firstT!));
  const tier =
    request.tier ??
    chooseTier({
      from,
      to,
      maxPoints,
      rawPointsEstimate: s.firstT === s.lastT ? (s.points ?? 0) : density * overlap,
      horizons: plan.virtualOneSecond
        ? { ...s.horizons, '1s': s.horizons?.raw }
        : (s.horizons ?? {})
    });
  const virtual = tier === '1s' && plan.virtualOneSecond;
  const watermark = s.rolledUntil ?? -Infinity;
  const stitch = tier !== 'raw' && !virtual && s.lastT! > watermark && to > watermark;
  return { tier, virtual, watermark, stitch };
}

/** The reads a plan needs, issued at once (IndexedDB runs them within one transaction). */
function startReads(options: QueryOptions, plan: QueryPlan) {
  const { metrics, rollups, request } = options;
  const { seriesId, from, to, aggregates } = request;
  if (plan.tier === 'raw' || plan.virtual) {
    return { raw: metrics.readRaw(seriesId, from, to), stored: null, tail: null };
  }
  const sketches = request.partials === true || aggregates.some(needsSketch);
  return {
    raw: null,
    stored: rollups.read(seriesId, plan.tier, from, to, { sketches }),
    tail: plan.stitch ? metrics.readRaw(seriesId, Math.max(from, plan.watermark), to) : null
  };
}

/**
 * Plans seen per database and series: a query starts the reads of the last plan of its
 * series together with reading the series record, so it waits on IndexedDB once instead
 * of twice. The record read in the same transaction decides; a plan it changes is read
 * again (a later watermark only trims the raw tail that was read).
 */
const lastPlans = new WeakMap<TidemarkDb, Map<string, QueryPlan>>();

function samePlanKey(request: QueryRequest): string {
  const r = request;
  const extra = `${r.tier ?? ''}|${r.aggregates.join()}|${r.partials ? 'partials' : ''}`;
  return `${r.seriesId}|${r.from}|${r.to}|${r.maxPoints}|${extra}`;
}

async function answerQuery(options: QueryOptions): Promise<QueryResult> {
  const { db, request, timeZone } = options;
  const { seriesId, from, to, aggregates } = request;
  let plans = lastPlans.get(db);
  if (!plans) lastPlans.set(db, (plans = new Map()));
  // Keyed by series and range class: a dashboard re-asks the same question every tick.
  const key = samePlanKey({ ...request, from: 0, to: to - from });
  const guess = plans.get(key);
  const guessed = guess ? startReads(options, guess) : null;
  // As reads see it: a live series whose points are all still in the in-memory heads (not
  // yet cut into chunks) has no stored range of its own yet.
  const s = options.metrics.patchRecord(
    (await db.series.get(seriesId)) as SeriesWithHorizons | undefined
  );
  if (!s || s.lastT === undefined || s.firstT === undefined || !(from <= to)) {
    if (guessed) await settle(guessed);
    return emptyResult(seriesId, request.tier ?? 'raw', aggregates);
  }
  const plan = planQuery(s, request, options.retention);
  plans.set(key, plan);
  if (plans.size > MaxRememberedPlans) plans.delete(plans.keys().next().value!);
  let reads: ReturnType<typeof startReads>;
  let tailFrom = Math.max(from, plan.watermark);
  if (
    guessed &&
    guess!.tier === plan.tier &&
    guess!.virtual === plan.virtual &&
    (!plan.stitch || (guess!.stitch && guess!.watermark <= plan.watermark))
  ) {
    reads = guessed;
  } else {
    if (guessed) await settle(guessed);
    reads = startReads(options, plan);
    tailFrom = -Infinity;
  }
  if (reads.raw) {
    const raw = await reads.raw;
    if (plan.tier === 'raw') return rawResult(request, raw);
    // Virtual 1 s tier: served from raw points on the fly (see rollupPlan).
    return bucketResult(request, rollupPoints({ t: raw.t, v: raw.v, tier: '1s', timeZone }));
  }
  const tier = plan.tier as TierName;
  const [stored, tailRead] = await Promise.all([reads.stored!, reads.tail]);
  let cols = stored;
  if (plan.stitch && tailRead) {
    // Not yet rolled up: roll the newest raw points on the fly, into the same buckets. A
    // tail read from an older watermark starts earlier: what is rolled up since is cut off.
    let keep = 0;
    while (keep < tailRead.t.length && tailRead.t[keep] < tailFrom) keep++;
    if (keep < tailRead.t.length && tailRead.t[keep] === plan.watermark) keep++;
    const fresh = rollupPoints({
      t: tailRead.t.subarray(keep),
      v: tailRead.v.subarray(keep),
      tier,
      timeZone
    });
    if (countBuckets(fresh) > 0) cols = mergeColumns(cols, fresh);
  }
  return bucketResult(request, cols);
}

/** The answer from buckets: aggregate columns, and rates and packed partials when asked. */
function bucketResult(request: QueryRequest, cols: RollupColumns): QueryResult {
  return {
    seriesId: request.seriesId,
    tier: cols.tier,
    stepMs: TierWidthMs[cols.tier],
    t: cols.start,
    columns: aggregateColumns(cols, request.aggregates),
    ...(request.rate ? { rate: computeBucketRates(cols) } : {}),
    ...(request.partials ? { partials: packColumns(cols) } : {})
  };
}

/** Plans remembered per database (a dashboard's worth of panels and ranges). */
const MaxRememberedPlans = 256;

/** Waits for reads that will not be used, so none fails unobserved. */
async function settle(reads: ReturnType<typeof startReads>): Promise<void> {
  await Promise.allSettled([reads.raw, reads.stored, reads.tail]);
}

function rawResult(request: QueryRequest, raw: Columnar): QueryResult {
  const columns: Partial<Record<Aggregate, Float64Array>> = {};
  for (const a of request.aggregates) {
    columns[a] =
      a === 'count'
        ? raw.v.map((x) => (Number.isNaN(x) ? 0 : 1))
        : a === 'stddev'
          ? raw.v.map((x) => (Number.isNaN(x) ? NaN : 0))
          : raw.v.slice();
  }
  return {
    seriesId: request.seriesId,
    tier: 'raw',
    stepMs: 0,
    t: raw.t,
    columns,
    ...(request.rate ? { rate: computePointRates(raw) } : {})
  };
}

function emptyResult(
  seriesId: number,
  tier: TierName | 'raw',
  aggregates: Aggregate[]
): QueryResult {
  const columns: Partial<Record<Aggregate, Float64Array>> = {};
  for (const a of aggregates) columns[a] = new Float64Array(0);
  return { seriesId, tier, stepMs: 0, t: new Float64Array(0), columns, rate: new Float64Array(0) };
}

/** The buffers of a result, for Comlink's transfer list. */
export function resultBuffers(result: QueryResult): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>([result.t.buffer as ArrayBuffer]);
  for (const c of Object.values(result.columns)) if (c) out.add(c.buffer as ArrayBuffer);
  if (result.rate) out.add(result.rate.buffer as ArrayBuffer);
  if (result.partials) for (const b of packedBuffers(result.partials)) out.add(b);
  return [...out];
}
