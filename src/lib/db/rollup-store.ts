import Dexie from 'dexie';
import { bucketStart, nextBucketStart } from '$lib/tsdb/calendar';
import { decodeRollupBlock, encodeRollupBlock } from '$lib/tsdb/codec/block';
import { rollupPartials, rollupPoints, RollupSource } from '$lib/tsdb/rollup';
import {
  concatColumns,
  countBuckets,
  createEmptyColumns,
  lowerBound,
  mergeColumns,
  sliceColumns,
  spliceColumns,
  type RollupColumns
} from '$lib/tsdb/columns';
import {
  DefaultRetention,
  TierNames,
  TierWidthMs,
  type Columnar,
  type RetentionKey,
  type SeriesRecord,
  type TierName
} from '$lib/types';
import type { LateRecord, RollupRecord, TidemarkDb } from './database';
import { concatColumnar, type MetricStore } from './metric-store';

/** Buckets per stored block: small enough to rewrite often, large enough to read few. */
export const BlockBuckets = 256;

/**
 * Which tiers are stored, and what each is rolled up from. When the 1 s tier is kept no
 * longer than raw points (the default: both an hour), storing it would only copy the raw
 * chunks bucket by bucket — the costliest tier by far — so it is served from raw points
 * on the fly instead and 10 s buckets are rolled up from raw directly.
 */
export function rollupPlan(retention: Partial<Record<RetentionKey, number>> = {}): {
  tiers: TierName[];
  source: Record<TierName, TierName | 'raw'>;
  virtualOneSecond: boolean;
} {
  const r = { ...DefaultRetention, ...retention };
  const virtualOneSecond = r['1s'] <= r.raw;
  return {
    tiers: virtualOneSecond ? TierNames.filter((t) => t !== '1s') : [...TierNames],
    source: virtualOneSecond ? { ...RollupSource, '10s': 'raw' } : { ...RollupSource },
    virtualOneSecond
  };
}

/** At most about this many raw points are rolled up per transaction. */
export const RollupSlicePoints = 200_000;

/** The aligned start of the block that holds a bucket starting at `start`. */
export function blockStartOf(start: number, tier: TierName): number {
  const span = TierWidthMs[tier] * BlockBuckets;
  return Math.floor(start / span) * span;
}

/**
 * Block start of a tier's head record: the bucket that holds the series' rollup watermark,
 * the only one a steady pass changes. Kept apart from the blocks so that a pass rewrites a
 * ~100-byte record per tier and a block only when a bucket closes, instead of every tier's
 * current block (up to ~50 KB each) every few seconds. Past every real key, so block range
 * reads and retention never meet it.
 */
export const HeadT0 = Infinity;

/** Per-series times before which a tier may have lost data to retention. */
export type Horizons = Partial<Record<'raw' | TierName, number>>;

type SeriesWithHorizons = SeriesRecord & { horizons?: Horizons };

/**
 * Rollup tiers in IndexedDB: blocks of up to 256 buckets per record, each bucket a
 * mergeable partial (count, sum, min, max, M2, first, last, quantile sketch).
 */
export class RollupStore {
  constructor(private readonly db: TidemarkDb) {}

  /**
   * Buckets of one tier whose span meets [from, to], ascending. `sketches: false` skips the
   * quantile sketches (placeholders, see decodeRollupBlock) for reads without percentiles.
   */
  async read(
    seriesId: number,
    tier: TierName,
    from: number,
    to: number,
    options: { sketches?: boolean } = {}
  ): Promise<RollupColumns> {
    const lo = blockStartOf(from - TierWidthMs[tier], tier);
    const [records, head] = await Promise.all([
      this.db.rollups
        .where('[seriesId+tier+t0]')
        .between([seriesId, tier, lo], [seriesId, tier, to], true, true)
        .toArray(),
      this.db.rollups.get([seriesId, tier, HeadT0])
    ]);
    records.sort((a, b) => a.t0 - b.t0);
    let all = concatColumns(
      tier,
      records.map((r) => decodeRollupBlock(r.data, options))
    );
    if (head && head.t1 <= to) {
      // The head bucket is the newest; it replaces an older copy a block may still hold.
      const h = decodeRollupBlock(head.data, options);
      all = spliceColumns({ base: all, replacement: h, from: head.t1, to: Infinity });
    }
    const first = lowerBound(all, from - TierWidthMs[tier] * 1.2);
    let a = first;
    while (a < countBuckets(all) && !(all.start[a] + nominalWidth(tier) > from)) a++;
    let b = a;
    while (b < countBuckets(all) && all.start[b] <= to) b++;
    return sliceColumns(all, a, b);
  }

  /**
   * Writes buckets of one tier. `replace` swaps every stored bucket whose start lies in
   * [from, to] for the new ones (idempotent); `merge` adds the new partials to what is stored
   * (for late points that were never counted).
   */
  async write(
    seriesId: number,
    cols: RollupColumns,
    mode: { kind: 'replace'; from: number; to: number } | { kind: 'merge' }
  ): Promise<void> {
    const tier = cols.tier;
    const n = countBuckets(cols);
    const keys: [number, TierName, number][] = [];
    for (let i = 0; i < n; i++) {
      const b0 = blockStartOf(cols.start[i], tier);
      if (keys.length === 0 || keys[keys.length - 1][2] !== b0) keys.push([seriesId, tier, b0]);
    }
    const existing = new Map<number, RollupRecord>();
    for (const r of await this.db.rollups.bulkGet(keys)) if (r) existing.set(r.t0, r);
    const puts = planBlockWrites({ seriesId, cols, mode, existing });
    if (puts.length) await this.db.rollups.bulkPut(puts);
  }
}

/**
 * The block records that writing `cols` produces, given the stored blocks it touches (keyed
 * by block start): `replace` swaps stored buckets with starts in [from, to] for the new ones,
 * `merge` adds the new partials to the stored ones. A block left empty is not written.
 */
export function planBlockWrites(options: {
  seriesId: number;
  cols: RollupColumns;
  mode: { kind: 'replace'; from: number; to: number } | { kind: 'merge' };
  existing: Map<number, RollupRecord>;
}): RollupRecord[] {
  const { seriesId, cols, mode, existing } = options;
  const tier = cols.tier;
  const n = countBuckets(cols);
  const span = TierWidthMs[tier] * BlockBuckets;
  const puts: RollupRecord[] = [];
  let i = 0;
  while (i < n) {
    const b0 = blockStartOf(cols.start[i], tier);
    let j = i;
    while (j < n && cols.start[j] < b0 + span) j++;
    const part = sliceColumns(cols, i, j);
    const stored = existing.get(b0);
    const base = stored ? decodeRollupBlock(stored.data) : createEmptyColumns(tier);
    const next =
      mode.kind === 'merge'
        ? mergeColumns(base, part)
        : spliceColumns({
            base,
            replacement: part,
            from: Math.max(mode.from, b0),
            to: Math.min(mode.to, b0 + span - 1)
          });
    const m = countBuckets(next);
    if (m > 0) {
      puts.push({
        seriesId,
        tier,
        t0: b0,
        t1: next.start[m - 1],
        n: m,
        data: encodeRollupBlock(next)
      });
    }
    i = j;
  }
  return puts;
}

function nominalWidth(tier: TierName): number {
  return tier === '1M' ? 31 * 86_400_000 : TierWidthMs[tier];
}

export interface RollupPassResult {
  series: number;
  points: number;
  lateBatches: number;
}

/**
 * Brings every tier of one series up to date, in ONE transaction so two tabs can never
 * interleave (IndexedDB serialises overlapping read-write transactions) and a crash leaves
 * either the old or the new state. Incremental: only raw points newer than `rolledUntil`
 * (the bucket holding it is recomputed), plus late points. Idempotent: recomputed ranges
 * replace what was stored. Coarser tiers are merged from finer partials, never from
 * averages; late points older than a finer tier's retention are added to coarser buckets
 * directly.
 */
interface RollupSeriesOptions {
  db: TidemarkDb;
  metrics: MetricStore;
  rollups: RollupStore;
  seriesId: number;
  timeZone: string;
  retention?: Partial<Record<RetentionKey, number>>;
  /**
   * The time retention is measured from. Given, blocks that retention would drop at once
   * (a backfill or import of old data) are not written, only marked lost in the horizons.
   */
  now?: number;
}

type RollupSeriesResult = { points: number; late: number; more: boolean; bytes: number };

/** Rolls up one series in its own transaction (see rollupOne). */
export async function rollupSeries(options: RollupSeriesOptions): Promise<RollupSeriesResult> {
  const { db } = options;
  return db.transaction('rw', [db.series, db.chunks, db.rollups, db.late], () =>
    rollupOne(options)
  );
}

/**
 * Rolls up many series in ONE transaction, their reads and writes issued together: at
 * thousands of live series a transaction (a durable commit) and a few IndexedDB round trips
 * per series made a pass take minutes (issue 28); here a group costs about the round trips
 * of one series. Series are independent (their own keys), so the result per series is the
 * same as `rollupSeries` one by one (tested). Results in input order.
 */
export async function rollupSeriesGroup(
  options: Omit<RollupSeriesOptions, 'seriesId'> & { seriesIds: number[] }
): Promise<RollupSeriesResult[]> {
  const { db, seriesIds, ...rest } = options;
  if (seriesIds.length === 0) return [];
  return db.transaction('rw', [db.series, db.chunks, db.rollups, db.late], async () => {
    // The group's records and late points in two requests, not two per series.
    const [records, lateAll] = await Promise.all([
      db.series.bulkGet(seriesIds),
      db.late.where('seriesId').anyOf(seriesIds).toArray()
    ]);
    const lateOf = new Map<number, LateRecord[]>();
    for (const r of lateAll) {
      const list = lateOf.get(r.seriesId);
      if (list) list.push(r);
      else lateOf.set(r.seriesId, [r]);
    }
    return Promise.all(
      seriesIds.map((seriesId, k) =>
        rollupOne(
          { ...rest, db, seriesId },
          { record: records[k], late: lateOf.get(seriesId) ?? [] }
        )
      )
    );
  });
}

/**
 * One series' rollup work; runs inside the caller's transaction. `read`: its record and
 * late points, when the caller read them for a whole group in the same transaction.
 */
async function rollupOne(
  options: RollupSeriesOptions,
  read?: { record: SeriesRecord | undefined; late: LateRecord[] }
): Promise<RollupSeriesResult> {
  const { db, metrics, rollups, seriesId, timeZone, now } = options;
  const plan = rollupPlan(options.retention);
  {
    // Points still in the live path's in-memory heads count (lastT, points).
    const stored = (read ? read.record : await db.series.get(seriesId)) as
      SeriesWithHorizons | undefined;
    const s = metrics.patchRecord(stored);
    if (!s || s.lastT === undefined || s.firstT === undefined) {
      return { points: 0, late: 0, more: false, bytes: 0 };
    }
    const lateRecords = read
      ? read.late
      : await db.late.where('seriesId').equals(seriesId).toArray();
    const rolled = s.rolledUntil ?? -Infinity;
    if (s.lastT <= rolled && lateRecords.length === 0) {
      return { points: 0, late: 0, more: false, bytes: 0 };
    }
    const late = concatColumnar(lateRecords.map((r) => ({ t: r.t, v: r.v })));
    let minLate = Infinity;
    for (let i = 0; i < late.t.length; i++) if (late.t[i] < minLate) minLate = late.t[i];
    const start = Math.min(rolled === -Infinity ? s.firstT : rolled, minLate);
    // Slice by time from the series' density so one transaction handles ~RollupSlicePoints.
    const density = (s.points ?? 1) / Math.max(1, s.lastT - s.firstT);
    const sliceMs = Math.max(60_000, RollupSlicePoints / Math.max(density, 1e-9));
    const sliceEnd = Math.max(rolled, start) + sliceMs;
    const end = s.lastT <= sliceEnd ? s.lastT : sliceEnd;
    const horizons = s.horizons ?? {};
    if (late.t.length === 0) {
      const { points, expired, bytes } = await rollupBatched({
        db,
        metrics,
        rollups,
        seriesId,
        storedUntil: stored?.lastT ?? -Infinity,
        neverRolled: rolled === -Infinity,
        timeZone,
        plan,
        horizons,
        start,
        end,
        cuts:
          now === undefined
            ? undefined
            : retentionCuts({
                series: s,
                now,
                timeZone,
                retention: { ...DefaultRetention, ...options.retention },
                rolled: end
              })
      });
      await db.series.update(seriesId, {
        rolledUntil: end,
        ...(expired ? { horizons: expired } : {})
      } as Partial<SeriesRecord>);
      return { points, late: 0, more: end < s.lastT, bytes };
    }
    // Late points: tier by tier, since a tier may take late points directly that the next
    // tier then reads back from the store.
    let points = 0;
    // What this pass computed per tier, so the next tier merges it without reading it back.
    const computed = new Map<TierName, { from: number; cols: RollupColumns }>();
    for (const tier of plan.tiers) {
      const source = plan.source[tier];
      const h = horizons[source] ?? -Infinity;
      const spec = { tier, timeZone };
      // T buckets at or after `complete` can be rebuilt wholly from the source tier.
      const complete =
        h === -Infinity
          ? -Infinity
          : bucketStart(h, spec) >= h
            ? bucketStart(h, spec)
            : nextBucketStart(h, spec);
      const from = Math.max(bucketStart(start, spec), complete);
      if (from <= end) {
        let cols: RollupColumns;
        if (source === 'raw') {
          const raw = await metrics.readRaw(seriesId, from, end);
          points += raw.t.length;
          cols = rollupPoints({ t: raw.t, v: raw.v, tier, timeZone });
        } else {
          const fresh = computed.get(source);
          let src: RollupColumns;
          if (fresh && fresh.from <= from) {
            src = clip(fresh.cols, from);
          } else if (fresh) {
            const older = await rollups.read(seriesId, source, from, fresh.from);
            src = concatColumns(source, [
              sliceColumns(older, lowerBound(older, from), lowerBound(older, fresh.from)),
              fresh.cols
            ]);
          } else {
            src = clip(await rollups.read(seriesId, source, from, end), from);
          }
          cols = rollupPartials({ columns: src, tier, timeZone });
        }
        await rollups.write(seriesId, cols, { kind: 'replace', from, to: Infinity });
        computed.set(tier, { from, cols });
      }
      // Late points the source tier can no longer rebuild: add them to this tier directly.
      const old = pick(late, (t) => t < complete);
      if (old.t.length > 0) {
        await rollups.write(seriesId, rollupPoints({ t: old.t, v: old.v, tier, timeZone }), {
          kind: 'merge'
        });
      }
    }
    // This path writes whole buckets, open ones included, to the blocks: no head may
    // override them with an older copy.
    await db.rollups.bulkDelete(plan.tiers.map((t) => [seriesId, t, HeadT0]));
    await db.series.update(seriesId, { rolledUntil: end });
    if (lateRecords.length) await db.late.bulkDelete(lateRecords.map((r) => r.id!));
    // (Bytes of this rare path are not counted.)
    return { points, late: late.t.length, more: end < s.lastT, bytes: 0 };
  }
}

/** The first bucket start of `tier` a pass recomputes, given the source tier's horizon. */
function recomputeFrom(options: {
  tier: TierName;
  timeZone: string;
  sourceHorizon: number;
  start: number;
}): { from: number; complete: number } {
  const { tier, timeZone, sourceHorizon: h, start } = options;
  const spec = { tier, timeZone };
  // Buckets at or after `complete` can be rebuilt wholly from the source tier.
  const complete =
    h === -Infinity
      ? -Infinity
      : bucketStart(h, spec) >= h
        ? bucketStart(h, spec)
        : nextBucketStart(h, spec);
  return { from: Math.max(bucketStart(start, spec), complete), complete };
}

/**
 * The reads and per-tier buckets of a pass in steady state (see rollupBatched), or null
 * when the series is not in it: its first pass, a tier that recomputes from before the
 * bucket holding `start` (a retention horizon there), or a tier whose head is missing or
 * is not exactly that bucket (a late-point pass deleted the heads; a bucket of no finite
 * point has none). Then the caller reads and recomputes as before.
 */
async function readIncremental(options: {
  db: TidemarkDb;
  metrics: MetricStore;
  seriesId: number;
  storedUntil: number;
  timeZone: string;
  start: number;
  end: number;
  tiers: { tier: TierName; from: number }[];
  /** The blocks the pass may rewrite, read in the same round trip. */
  keys: [number, TierName, number][];
}): Promise<{
  cols: RollupColumns[];
  points: number;
  stored: (RollupRecord | undefined)[];
} | null> {
  const { db, metrics, seriesId, storedUntil, timeZone, start, end, tiers, keys } = options;
  if (!(start > -Infinity) || tiers.length === 0) return null;
  for (const p of tiers) if (p.from !== bucketStart(start, { tier: p.tier, timeZone })) return null;
  const [raw, heads, stored] = await Promise.all([
    metrics.readRaw(seriesId, start, end, { storedUntil }),
    db.rollups.bulkGet(tiers.map((p) => [seriesId, p.tier, HeadT0])),
    keys.length ? db.rollups.bulkGet(keys) : Promise.resolve([])
  ]);
  for (let k = 0; k < tiers.length; k++) {
    const h = heads[k];
    if (h === undefined || h.n !== 1 || h.t1 !== tiers[k].from) return null;
  }
  // The head holds every point up to `start` (the last pass's end): only later ones are new.
  let k0 = 0;
  while (k0 < raw.t.length && raw.t[k0] <= start) k0++;
  const t = raw.t.subarray(k0);
  const v = raw.v.subarray(k0);
  const cols = tiers.map((p, k) =>
    mergeColumns(decodeRollupBlock(heads[k]!.data), rollupPoints({ t, v, tier: p.tier, timeZone }))
  );
  return { cols, points: t.length, stored };
}

/**
 * The rollup pass without late points, in three steps so the transaction waits on
 * IndexedDB only twice: read at once everything the pass needs (raw points, stored source
 * buckets older than what the pass recomputes, the blocks it will rewrite), compute every
 * tier from finer partials in memory, then write all blocks with one bulkPut.
 */
async function rollupBatched(options: {
  db: TidemarkDb;
  metrics: MetricStore;
  rollups: RollupStore;
  seriesId: number;
  /** The stored record's lastT: no chunk holds a point after it (see MetricStore.readRaw). */
  storedUntil: number;
  /**
   * The series was never rolled up: it has no rollup record (a pass sets `rolledUntil` in
   * the transaction that writes its first records), so nothing is read back.
   */
  neverRolled?: boolean;
  timeZone: string;
  plan: ReturnType<typeof rollupPlan>;
  horizons: Horizons;
  start: number;
  end: number;
  /** Retention cuts at the end of this pass: blocks wholly before them are not written. */
  cuts?: Record<'raw' | TierName, number>;
}): Promise<{ points: number; expired: Horizons | null; bytes: number }> {
  const {
    db,
    metrics,
    rollups,
    seriesId,
    storedUntil,
    neverRolled,
    timeZone,
    plan,
    horizons,
    start,
    end,
    cuts
  } = options;
  const tiers = plan.tiers
    .map((tier) => {
      const source = plan.source[tier];
      const { from } = recomputeFrom({
        tier,
        timeZone,
        sourceHorizon: horizons[source] ?? -Infinity,
        start
      });
      return { tier, source, from };
    })
    .filter((p) => p.from <= end);
  const fromOf = new Map(tiers.map((p) => [p.tier as TierName | 'raw', p.from]));
  // Buckets before the one holding `end` are closed and go to blocks; that one is the head.
  const headStart = new Map(
    tiers.map((p) => [p.tier, bucketStart(end, { tier: p.tier, timeZone })])
  );
  // Blocks a pass rewrites: those holding buckets it closes (before the head bucket). A
  // tier whose head bucket is still the one it recomputes from closes none.
  const keys: [number, TierName, number][] = [];
  for (const p of tiers) {
    const span = TierWidthMs[p.tier] * BlockBuckets;
    const lastClosed = headStart.get(p.tier)! - 1;
    if (lastClosed < p.from) continue;
    for (let b = blockStartOf(p.from, p.tier); b <= lastClosed; b += span)
      keys.push([seriesId, p.tier, b]);
  }
  const fast = await readIncremental({
    db,
    metrics,
    seriesId,
    storedUntil,
    timeZone,
    start,
    end,
    tiers,
    keys
  });
  let colsOf: RollupColumns[];
  let stored: (RollupRecord | undefined)[];
  let points = 0;
  if (fast) {
    // Steady state: every tier's head is the bucket holding `start` and holds exactly the
    // points up to `start`, so each tier is its head merged with the new points' buckets —
    // no finer tier read back (partials merge exactly: counts, sums, extremes, M2 by Chan's
    // formula, DDSketch bins). Only blocks that gain closed buckets are read.
    points = fast.points;
    colsOf = fast.cols;
    stored = fast.stored;
  } else {
    const [inputs, read] = await Promise.all([
      Promise.all(
        tiers.map((p) => {
          if (p.source === 'raw') return metrics.readRaw(seriesId, p.from, end, { storedUntil });
          const fresh = fromOf.get(p.source);
          if (fresh !== undefined && fresh <= p.from) return null;
          if (neverRolled) return createEmptyColumns(p.source);
          return rollups.read(seriesId, p.source, p.from, fresh ?? end);
        })
      ),
      keys.length && !neverRolled ? db.rollups.bulkGet(keys) : Promise.resolve([])
    ]);
    stored = read;
    const computed = new Map<TierName, { from: number; cols: RollupColumns }>();
    colsOf = tiers.map((p, k) => {
      const input = inputs[k];
      let cols: RollupColumns;
      if (p.source === 'raw') {
        const raw = input as Columnar;
        points += raw.t.length;
        cols = rollupPoints({ t: raw.t, v: raw.v, tier: p.tier, timeZone });
      } else {
        const fresh = computed.get(p.source);
        let src: RollupColumns;
        if (fresh && fresh.from <= p.from) {
          src = clip(fresh.cols, p.from);
        } else if (fresh) {
          const older = input as RollupColumns;
          src = concatColumns(p.source, [
            sliceColumns(older, lowerBound(older, p.from), lowerBound(older, fresh.from)),
            fresh.cols
          ]);
        } else {
          src = clip(input as RollupColumns, p.from);
        }
        cols = rollupPartials({ columns: src, tier: p.tier, timeZone });
      }
      computed.set(p.tier, { from: p.from, cols });
      return cols;
    });
  }
  const existing = new Map<TierName, Map<number, RollupRecord>>();
  for (const r of stored) {
    if (!r) continue;
    if (!existing.has(r.tier)) existing.set(r.tier, new Map());
    existing.get(r.tier)!.set(r.t0, r);
  }
  const puts: RollupRecord[] = [];
  const heads: RollupRecord[] = [];
  /** Tiers left without a head (no finite point in the bucket holding `end`). */
  const headless: [number, TierName, number][] = [];
  tiers.forEach((p, k) => {
    const cols = colsOf[k];
    const h = lowerBound(cols, headStart.get(p.tier)!);
    if (h > 0) {
      puts.push(
        ...planBlockWrites({
          seriesId,
          cols: sliceColumns(cols, 0, h),
          mode: { kind: 'replace', from: p.from, to: headStart.get(p.tier)! - 1 },
          existing: existing.get(p.tier) ?? new Map()
        })
      );
    }
    const n = countBuckets(cols);
    if (h < n) {
      heads.push({
        seriesId,
        tier: p.tier,
        t0: HeadT0,
        t1: cols.start[h],
        n: n - h,
        data: encodeRollupBlock(sliceColumns(cols, h, n))
      });
    } else headless.push([seriesId, p.tier, HeadT0]);
  });
  // Blocks retention would delete at once are neither written nor kept: a backfill of a
  // month of 1 s data would otherwise write every 10 s bucket of it, only for the next
  // cleanup to delete all but the last 6 hours (most of the store's bytes and writes).
  let expired: Horizons | null = null;
  const kept: RollupRecord[] = [];
  const dropped: [number, TierName, number][] = [];
  for (const r of puts) {
    const span = TierWidthMs[r.tier] * BlockBuckets;
    if (cuts && r.t0 + span < cuts[r.tier]) {
      expired ??= { ...horizons };
      expired[r.tier] = Math.max(expired[r.tier] ?? -Infinity, r.t0 + span);
      if (existing.get(r.tier)?.has(r.t0)) dropped.push([r.seriesId, r.tier, r.t0]);
    } else kept.push(r);
  }
  kept.push(...heads);
  dropped.push(...headless);
  await Promise.all([
    kept.length ? db.rollups.bulkPut(kept) : null,
    dropped.length ? db.rollups.bulkDelete(dropped) : null
  ]);
  let bytes = 0;
  for (const r of kept) bytes += r.data.byteLength;
  return { points, expired, bytes };
}

function clip(cols: RollupColumns, from: number): RollupColumns {
  return sliceColumns(cols, lowerBound(cols, from), countBuckets(cols));
}

function pick(points: Columnar, keep: (t: number) => boolean): Columnar {
  const t: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < points.t.length; i++) {
    if (keep(points.t[i])) {
      t.push(points.t[i]);
      v.push(points.v[i]);
    }
  }
  return { t: Float64Array.from(t), v: Float64Array.from(v) };
}

/**
 * Per tier (and raw), the time before which retention may drop data: expired (older than
 * `now` − retention, or for imported series than their newest point − retention, so an
 * imported file from last year keeps its own recent data) and safe (the next rollup pass
 * recomputes the buckets that hold `rolled` from their source tier, so a source keeps
 * everything from the start of its dependants' current buckets). Whichever is earlier.
 */
export function retentionCuts(options: {
  series: SeriesRecord;
  now: number;
  timeZone: string;
  retention: Record<RetentionKey, number>;
  rolled: number | undefined;
}): Record<'raw' | TierName, number> {
  const { series: s, now, timeZone, retention } = options;
  const base = s.source === 'import' && s.lastT !== undefined ? Math.min(now, s.lastT) : now;
  const plan = rollupPlan(retention);
  const rolled = options.rolled ?? -Infinity;
  const guard = (key: 'raw' | TierName): number => {
    if (rolled === -Infinity) return -Infinity;
    let g = Infinity;
    for (const t of plan.tiers) {
      if (plan.source[t] === key) g = Math.min(g, bucketStart(rolled, { tier: t, timeZone }));
    }
    return g;
  };
  const cuts = { raw: Math.min(base - retention.raw, guard('raw')) } as Record<
    'raw' | TierName,
    number
  >;
  for (const t of TierNames) cuts[t] = Math.min(base - retention[t], guard(t));
  return cuts;
}

export interface RetentionResult {
  chunks: number;
  blocks: number;
  events: number;
  bytes: number;
}

/**
 * Applies retention to one series in small transactions (one per tier). Cut-offs are
 * relative to now, or for imported series to their newest point, so an imported file from
 * last year keeps its own last hour of raw data instead of vanishing on import. Raw points
 * not yet rolled up are never deleted.
 */
export async function applySeriesRetention(options: {
  db: TidemarkDb;
  seriesId: number;
  now: number;
  timeZone: string;
  retention?: Partial<Record<RetentionKey, number>>;
}): Promise<RetentionResult> {
  const { db, seriesId, now, timeZone } = options;
  const retention = { ...DefaultRetention, ...options.retention };
  const result: RetentionResult = { chunks: 0, blocks: 0, events: 0, bytes: 0 };
  const s = (await db.series.get(seriesId)) as SeriesWithHorizons | undefined;
  if (!s || s.lastT === undefined) return result;
  const plan = rollupPlan(retention);
  const cuts = retentionCuts({ series: s, now, timeZone, retention, rolled: s.rolledUntil });
  const rawCut = cuts.raw;
  const rawCutInclusive = false;
  const horizons: Horizons = { ...(s.horizons ?? {}) };
  if (Number.isFinite(rawCut)) {
    await db.transaction('rw', db.chunks, async () => {
      const old = await db.chunks
        .where('[seriesId+t1]')
        .between([seriesId, Dexie.minKey], [seriesId, rawCut], true, rawCutInclusive)
        .toArray();
      if (old.length === 0) return;
      await db.chunks.bulkDelete(old.map((c) => [c.seriesId, c.t0] as [number, number]));
      result.chunks += old.length;
      for (const c of old) {
        result.bytes += c.data.byteLength;
        horizons.raw = Math.max(horizons.raw ?? -Infinity, c.t1 + 1e-3);
      }
    });
  }
  for (const tier of plan.tiers) {
    const cut = cuts[tier];
    const span = TierWidthMs[tier] * BlockBuckets;
    await db.transaction('rw', db.rollups, async () => {
      // Whole blocks only: a block goes once its last possible bucket is older than the cut.
      const old = await db.rollups
        .where('[seriesId+tier+t0]')
        .between([seriesId, tier, Dexie.minKey], [seriesId, tier, cut - span], true, false)
        .toArray();
      if (old.length === 0) return;
      await db.rollups.bulkDelete(
        old.map((r) => [r.seriesId, r.tier, r.t0] as [number, TierName, number])
      );
      result.blocks += old.length;
      for (const r of old) {
        result.bytes += r.data.byteLength;
        horizons[tier] = Math.max(horizons[tier] ?? -Infinity, r.t0 + span);
      }
    });
  }
  if (result.chunks || result.blocks) {
    await db.series.update(seriesId, { horizons } as Partial<SeriesRecord>);
  }
  return result;
}
