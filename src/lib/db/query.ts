import { aggregateColumns, countBuckets, rollupPoints } from '$lib/analytics/rollup';
import { computeBucketRates, computePointRates } from '$lib/analytics/rate';
import { mergeColumns } from '$lib/analytics/rollup-columns';
import {
  TierNames,
  TierWidthMs,
  type Aggregate,
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
 * The finest resolution that fits `maxPoints` over [from, to] and still holds data at
 * `from`: raw points when their estimated count fits and retention kept them, else the
 * first tier with few enough buckets whose horizon is not after `from` (or, when every
 * fitting tier lost `from` to retention, the fitting tier that reaches back furthest).
 */
export function chooseQueryTier(options: {
  from: number;
  to: number;
  maxPoints: number;
  rawPointsEstimate: number;
  horizons: Horizons;
}): TierName | 'raw' {
  const { from, to, maxPoints, rawPointsEstimate, horizons } = options;
  if (rawPointsEstimate <= maxPoints && (horizons.raw ?? -Infinity) <= from) return 'raw';
  const fitting = TierNames.filter((t) => Math.ceil((to - from) / TierWidthMs[t]) <= maxPoints);
  if (fitting.length === 0) return TierNames[TierNames.length - 1];
  const covering = fitting.find((t) => (horizons[t] ?? -Infinity) <= from);
  if (covering) return covering;
  return fitting.reduce((best, t) =>
    (horizons[t] ?? -Infinity) < (horizons[best] ?? -Infinity) ? t : best
  );
}

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

async function answerQuery(options: {
  db: TidemarkDb;
  metrics: MetricStore;
  rollups: RollupStore;
  request: QueryRequest;
  timeZone: string;
  retention?: Partial<Record<RetentionKey, number>>;
}): Promise<QueryResult> {
  const { db, metrics, rollups, request, timeZone } = options;
  const plan = rollupPlan(options.retention);
  const { seriesId, from, to, maxPoints, aggregates } = request;
  const s = (await db.series.get(seriesId)) as SeriesWithHorizons | undefined;
  if (!s || s.lastT === undefined || s.firstT === undefined || !(from <= to)) {
    return emptyResult(seriesId, request.tier ?? 'raw', aggregates);
  }
  const spanStored = Math.max(1, s.lastT - s.firstT);
  const density = (s.points ?? 0) / spanStored;
  const overlap = Math.max(0, Math.min(to, s.lastT) - Math.max(from, s.firstT));
  const tier =
    request.tier ??
    chooseQueryTier({
      from,
      to,
      maxPoints,
      rawPointsEstimate: s.firstT === s.lastT ? (s.points ?? 0) : density * overlap,
      horizons: plan.virtualOneSecond
        ? { ...s.horizons, '1s': s.horizons?.raw }
        : (s.horizons ?? {})
    });
  if (tier === 'raw') {
    const raw = await metrics.readRaw(seriesId, from, to);
    const columns: Partial<Record<Aggregate, Float64Array>> = {};
    for (const a of aggregates) {
      columns[a] =
        a === 'count'
          ? raw.v.map((x) => (Number.isNaN(x) ? 0 : 1))
          : a === 'stddev'
            ? raw.v.map((x) => (Number.isNaN(x) ? NaN : 0))
            : raw.v.slice();
    }
    return {
      seriesId,
      tier,
      stepMs: 0,
      t: raw.t,
      columns,
      ...(request.rate ? { rate: computePointRates(raw) } : {})
    };
  }
  if (tier === '1s' && plan.virtualOneSecond) {
    // Served from raw points on the fly (see rollupPlan).
    const raw = await metrics.readRaw(seriesId, from, to);
    const cols = rollupPoints({ t: raw.t, v: raw.v, tier, timeZone });
    return {
      seriesId,
      tier,
      stepMs: 1000,
      t: cols.start,
      columns: aggregateColumns(cols, aggregates),
      ...(request.rate ? { rate: computeBucketRates(cols) } : {})
    };
  }
  const sketches = aggregates.some((a) => a === 'p50' || a === 'p95' || a === 'p99');
  const watermark = s.rolledUntil ?? -Infinity;
  const stitch = s.lastT > watermark && to > watermark;
  // Both reads are issued at once; IndexedDB runs them within the one transaction.
  const [stored, tail] = await Promise.all([
    rollups.read(seriesId, tier, from, to, { sketches }),
    stitch ? metrics.readRaw(seriesId, Math.max(from, watermark), to) : null
  ]);
  let cols = stored;
  if (tail) {
    // Not yet rolled up: roll the newest raw points on the fly, into the same buckets.
    const keep = tail.t.length && tail.t[0] === watermark ? 1 : 0;
    const fresh = rollupPoints({
      t: tail.t.subarray(keep),
      v: tail.v.subarray(keep),
      tier,
      timeZone
    });
    if (countBuckets(fresh) > 0) cols = mergeColumns(cols, fresh);
  }
  return {
    seriesId,
    tier,
    stepMs: TierWidthMs[tier],
    t: cols.start,
    columns: aggregateColumns(cols, aggregates),
    ...(request.rate ? { rate: computeBucketRates(cols) } : {})
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
  return [...out];
}
