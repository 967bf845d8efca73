import Dexie from 'dexie';
import { decodeChunk, encodeChunk } from '$lib/tsdb/codec/chunk';
import type { Columnar, SeriesDescriptor, SeriesRecord } from '$lib/types';
import { seriesKey } from '$lib/types/series-key';
import type { ChunkRecord, TidemarkDb } from './database';

/**
 * Chunk shape: at most this many points, and at most this time span, per record. Chromium's
 * IndexedDB spends its CPU per record more than per byte: writing 27 MB as 4 KB records
 * took 1.1 s of its LevelDB threads, as 16 KB records 0.5 s (measured in headless Chromium,
 * same run). At about 1 byte per point, 16,384 points make ~16 KB records for dense data
 * (imports, sub-second series); a 1 Hz series is bounded by the hour first (3,600 points).
 */
export const ChunkLimits = { maxPoints: 16_384, maxSpanMs: 3_600_000 };

/**
 * Whether a batch of `batchN` points starting at `minT` goes into the head chunk (re-encoding
 * it) rather than into chunks of its own: when both fit one chunk, or the head is small
 * enough that leaving it would leave a sliver. A large head is left as it is, so a big batch
 * (an import commit) never re-encodes thousands of stored points.
 */
export function extendsHead(
  head: { n: number; t0: number },
  batch: { n: number; minT: number }
): boolean {
  return (
    head.n < ChunkLimits.maxPoints &&
    batch.minT - head.t0 < ChunkLimits.maxSpanMs &&
    (head.n + batch.n <= ChunkLimits.maxPoints || head.n < ChunkLimits.maxPoints / 4)
  );
}

export interface SeriesPoints extends Columnar {
  seriesId: number;
}

/**
 * What `MetricStore.appendPlanned` writes: per series (one entry each), its points sorted
 * and duplicate-free, and optionally the chunks they make when they start new chunks after
 * the stored points — the case of every commit of an import after its first.
 */
export interface AppendPlan {
  ids: number[];
  incoming: Columnar[];
  /** Per series, pre-encoded chunks (`splitIntoChunks`), when planned with `encode`. */
  chunks?: ChunkRecord[][];
  /** The latest time in the plan (-Infinity when empty). */
  maxT: number;
}

/**
 * Groups batches per series, sorts them (last write wins on a repeated time) and, with
 * `encode`, encodes their chunks — all outside any transaction, so the engine can do it for
 * the next import commit while the browser stores the previous one (about a quarter of a
 * commit's time in the engine: 10–15 ms of 55 per 500k points, Chromium 150). Empty batches
 * are dropped. O(points).
 */
export function planAppend(batches: SeriesPoints[], encode: boolean): AppendPlan {
  const bySeries = new Map<number, SeriesPoints[]>();
  for (const b of batches) {
    if (b.t.length === 0) continue;
    const list = bySeries.get(b.seriesId) ?? [];
    list.push(b);
    bySeries.set(b.seriesId, list);
  }
  const ids = [...bySeries.keys()];
  const incoming = ids.map((id) => normalisePoints(concatColumnar(bySeries.get(id)!)));
  let maxT = -Infinity;
  for (const c of incoming) if (c.t[c.t.length - 1] > maxT) maxT = c.t[c.t.length - 1];
  const plan: AppendPlan = { ids, incoming, maxT };
  if (encode) plan.chunks = ids.map((id, k) => splitIntoChunks(id, incoming[k]));
  return plan;
}

/**
 * The raw-points side of the metrics store: a series registry and compressed columnar
 * chunks. One IndexedDB record holds up to 4,096 points of one series — per-point records
 * top out near 10,000 points/s (see the metrics-store issue), chunks go 300× faster.
 */
export class MetricStore {
  private readonly ids = new Map<string, number>();
  /**
   * Ids by descriptor object, for callers that hand the same descriptor every time (the
   * agent stream's parser does): no key to build per series per delivery.
   */
  private idOf = new WeakMap<SeriesDescriptor, number>();
  private overlay: MetricOverlay | null = null;

  constructor(private readonly db: TidemarkDb) {}

  /** Registers series (idempotent) and returns their ids in input order. */
  async registerSeries(descriptors: SeriesDescriptor[]): Promise<number[]> {
    const keys = descriptors.map((d) => seriesKey(d.name, d.labels));
    const missing = [...new Set(keys.filter((k) => !this.ids.has(k)))];
    if (missing.length > 0) {
      await this.db.transaction('rw', this.db.series, async () => {
        const found = await this.db.series.where('key').anyOf(missing).toArray();
        for (const s of found) this.ids.set(s.key, s.id);
        // One request for all new series (10,000 on an agent's first delivery), not one each.
        const added: string[] = [];
        const records: SeriesRecord[] = [];
        const firstOf = new Map<string, number>();
        keys.forEach((k, i) => firstOf.has(k) || firstOf.set(k, i));
        for (const key of missing) {
          if (this.ids.has(key)) continue;
          const record = newSeriesRecord(key, descriptors[firstOf.get(key)!]);
          added.push(key);
          records.push(record);
        }
        if (records.length) {
          const ids = (await this.db.series.bulkAdd(records, { allKeys: true })) as number[];
          added.forEach((key, k) => this.ids.set(key, ids[k]));
        }
      });
    }
    return keys.map((k) => this.ids.get(k)!);
  }

  /**
   * Points held outside the chunk records (the live path's in-memory heads, see
   * HeadStore): reads and series records include them.
   */
  setOverlay(overlay: MetricOverlay | null): void {
    this.overlay = overlay;
  }

  /** A series record as reads should see it (with points still in a head). */
  patchRecord<R extends SeriesRecord>(record: R): R;
  patchRecord<R extends SeriesRecord>(record: R | undefined): R | undefined;
  patchRecord<R extends SeriesRecord>(record: R | undefined): R | undefined {
    return record && this.overlay ? this.overlay.patch(record) : record;
  }

  /** Remembers ids of series stored by a write of its own (an import's new series). */
  rememberIds(keys: string[], ids: number[]): void {
    keys.forEach((key, k) => this.ids.set(key, ids[k]));
  }

  /** Forgets cached ids (after the store was cleared elsewhere). */
  resetCache(): void {
    this.ids.clear();
    this.idOf = new WeakMap();
  }

  /**
   * Appends points of several series in ONE transaction; resolves after it completes, i.e.
   * after Chromium has flushed it (strict durability). Points are sorted; a timestamp that
   * already exists is replaced (last write wins); NaN is kept as a gap.
   *
   * Why it is shaped like this: IndexedDB requests inside a transaction are cheap in bytes
   * but each sequential round trip to the browser's storage process costs, so the common
   * case — every series' batch lies after its stored points — is done with four bulk
   * requests for the whole transaction whatever the number of series (read the series
   * records, read the head chunks that still have room, write the chunks, write the series
   * records). Each series record remembers its head chunk (`headT0`, `headN`) for that.
   * Overlapping or late batches take the general path, a series at a time.
   */
  async append(batches: SeriesPoints[]): Promise<AppendOutcome> {
    return this.appendPlanned(planAppend(batches, false));
  }

  /** The ids of series registered through this store, or undefined if any is not. */
  knownIds(descriptors: SeriesDescriptor[]): number[] | undefined {
    const ids: number[] = [];
    for (const d of descriptors) {
      let id = this.idOf.get(d);
      if (id === undefined) {
        id = this.ids.get(seriesKey(d.name, d.labels));
        if (id === undefined) return undefined;
        this.idOf.set(d, id);
      }
      ids.push(id);
    }
    return ids;
  }

  /**
   * `append` of a plan from `planAppend`: its pre-encoded chunks are written when the stored
   * records confirm what they assumed (the points start new chunks after the stored ones);
   * otherwise the series is encoded here as `append` does. Resolves after it completes, with
   * how many of the points were new and how many times were stored already.
   */
  async appendPlanned(plan: AppendPlan): Promise<AppendOutcome> {
    const { ids, incoming, chunks: planned } = plan;
    const outcome: AppendOutcome = { added: 0, present: 0, changed: 0 };
    if (ids.length === 0) return outcome;
    try {
      await this.db.transaction('rw', [this.db.chunks, this.db.series, this.db.late], async () => {
        const records = (await this.db.series.bulkGet(ids)) as (HeadedSeries | undefined)[];
        const fast: number[] = [];
        const headKeys: [number, number][] = [];
        for (let k = 0; k < ids.length; k++) {
          const r = records[k];
          if (!r) continue;
          const minT = incoming[k].t[0];
          const empty = r.lastT === undefined;
          if (!empty && !(r.headT0 !== undefined && minT > r.lastT!)) continue;
          fast.push(k);
          if (
            !empty &&
            extendsHead({ n: r.headN!, t0: r.headT0! }, { n: incoming[k].t.length, minT })
          ) {
            headKeys.push([ids[k], r.headT0!]);
          }
        }
        const heads = new Map<number, ChunkRecord>();
        if (headKeys.length) {
          for (const c of await this.db.chunks.bulkGet(headKeys)) if (c) heads.set(c.seriesId, c);
        }
        const puts: ChunkRecord[] = [];
        for (const k of fast) {
          const id = ids[k];
          const head = heads.get(id);
          // Without a head to extend, the series' chunks are the batch's own: planned ones
          // are exactly these (`encodeAfterHead` without a head is `splitIntoChunks`).
          const chunks = head
            ? encodeAfterHead(id, decodeChunk(head.data), incoming[k])
            : (planned?.[k] ?? splitIntoChunks(id, incoming[k]));
          // The head's key is its t0, which the merge keeps: the put replaces it in place.
          puts.push(...chunks);
          updateRecord(records[k]!, incoming[k], chunks[chunks.length - 1], 0);
          // Every point lies after the stored ones: all of them are new.
          outcome.added += incoming[k].t.length;
        }
        // The writes are queued without waiting on each (a transaction runs its requests in
        // order): one round trip to the browser's IndexedDB for all of them, not one each.
        const writes: Promise<unknown>[] = [];
        if (puts.length) writes.push(this.db.chunks.bulkPut(puts));
        const fastSet = new Set(fast);
        for (let k = 0; k < ids.length; k++) {
          if (fastSet.has(k) || !records[k]) continue;
          const merged = await this.appendGeneral(records[k]!, incoming[k]);
          outcome.added += incoming[k].t.length - merged.present;
          outcome.present += merged.present;
          outcome.changed += merged.changed;
        }
        const changed = records.filter((r): r is HeadedSeries => r !== undefined);
        if (changed.length) writes.push(this.db.series.bulkPut(changed));
        await Promise.all(writes);
      });
    } catch (error) {
      throw asStorageFull(
        error,
        'The batch was not stored; everything stored before it is intact.'
      );
    }
    return outcome;
  }

  /**
   * Any batch: merges with every stored chunk it may overlap, records late points. Returns
   * how many of the batch's times were stored already, and how many of those with another
   * value (the batch's value replaces it).
   */
  private async appendGeneral(
    series: HeadedSeries,
    incoming: Columnar
  ): Promise<{ present: number; changed: number }> {
    const seriesId = series.id;
    const n = incoming.t.length;
    const minT = incoming.t[0];
    // Every stored chunk that could hold a timestamp ≥ minT must be merged with the batch.
    const overlapping = await this.db.chunks
      .where('[seriesId+t1]')
      .between([seriesId, minT], [seriesId, Dexie.maxKey], true, true)
      .toArray();
    let chunks: ChunkRecord[];
    let keepKey: number | null = null;
    let repeats = { present: 0, changed: 0 };
    if (overlapping.length === 0) {
      // The batch lies after everything stored. Extend the head chunk if it has room.
      const head = await this.db.chunks
        .where('[seriesId+t0]')
        .between([seriesId, Dexie.minKey], [seriesId, Dexie.maxKey])
        .last();
      if (head && extendsHead(head, { n, minT })) {
        chunks = encodeAfterHead(seriesId, decodeChunk(head.data), incoming);
        keepKey = head.t0;
      } else {
        chunks = splitIntoChunks(seriesId, incoming);
      }
    } else {
      overlapping.sort((a, b) => a.t0 - b.t0);
      const olds = overlapping.map((c) => decodeChunk(c.data));
      const older = normalisePoints(concatColumnar(olds));
      repeats = countRepeats(older, incoming);
      const merged = mergeLastWins(older, incoming);
      await this.db.chunks.bulkDelete(
        overlapping.map((c) => [c.seriesId, c.t0] as [number, number])
      );
      chunks = splitIntoChunks(seriesId, merged);
    }
    if (keepKey !== null && chunks[0].t0 !== keepKey) {
      await this.db.chunks.delete([seriesId, keepKey]);
    }
    await this.db.chunks.bulkPut(chunks);
    // Points at or before the rollup watermark are late: the next rollup pass merges them.
    if (series.rolledUntil !== undefined && minT <= series.rolledUntil) {
      let k = 0;
      while (k < n && incoming.t[k] <= series.rolledUntil) k++;
      await this.db.late.add({
        seriesId,
        t: incoming.t.slice(0, k),
        v: incoming.v.slice(0, k)
      });
    }
    // Every chunk from minT on was rewritten, so the last one written is the series' head.
    updateRecord(series, incoming, chunks[chunks.length - 1], repeats.present);
    return repeats;
  }

  /** Raw points of one series in [from, to], sorted by time. */
  async readRaw(
    seriesId: number,
    from: number,
    to: number,
    /**
     * `storedUntil`: the series record's `lastT` as stored (no chunk holds a later point),
     * read by the caller in its transaction. When `from` is after it, only the live head
     * can hold points in range and no chunk is read: a rollup pass over thousands of live
     * series reads each one's new points from memory (issue 28).
     */
    hint: { storedUntil?: number } = {}
  ): Promise<Columnar> {
    // Chunks never span more than ChunkLimits.maxSpanMs, so those meeting [from, to] start
    // in [from - maxSpanMs, to]: a bounded key range instead of every chunk after `from`.
    if (!(from <= to)) return { t: new Float64Array(0), v: new Float64Array(0) };
    // Inside a transaction (a rollup pass, a query) the overlay is read as it stands: its
    // catch-up reads a table the transaction may not cover.
    if (this.overlay?.sync && !Dexie.currentTransaction) await this.overlay.sync();
    if (this.overlay && hint.storedUntil !== undefined && from > hint.storedUntil) {
      return (
        this.overlay.range(seriesId, from, to) ?? {
          t: new Float64Array(0),
          v: new Float64Array(0)
        }
      );
    }
    // No Dexie .filter(): it walks a cursor record by record, where a plain key range is
    // one getAll; the few chunks that end before `from` are dropped here instead.
    const chunks = (
      await this.db.chunks
        .where('[seriesId+t0]')
        .between([seriesId, from - ChunkLimits.maxSpanMs], [seriesId, to], true, true)
        .toArray()
    ).filter((c) => c.t1 >= from);
    chunks.sort((a, b) => a.t0 - b.t0);
    const parts = chunks.map((c) => sliceRange(decodeChunk(c.data), from, to));
    // Head points usually lie after the stored ones. Where they do not — a late point
    // stored in a chunk inside the head's span, or a following tab's head still holding
    // points the writer has since cut — both are merged by time, the chunk's value winning
    // a repeated time (it is the later write, or the same point).
    const head = this.overlay?.range(seriesId, from, to);
    if (head && head.t.length) {
      let storedT = -Infinity;
      for (const c of chunks) if (c.t1 > storedT) storedT = c.t1;
      if (head.t[0] > storedT) parts.push(head);
      else if (parts.length === 0) return head;
      else return normalisePoints(concatColumnar([head, concatColumnar(parts)]));
    }
    return parts.length === 0
      ? { t: new Float64Array(0), v: new Float64Array(0) }
      : concatColumnar(parts);
  }

  async listSeries(): Promise<SeriesRecord[]> {
    if (this.overlay?.sync && !Dexie.currentTransaction) await this.overlay.sync();
    const list = await this.db.series.toArray();
    return this.overlay ? list.map((r) => this.overlay!.patch(r)) : list;
  }

  /**
   * Number of points and encoded bytes stored, by reading every chunk: the slow, exact
   * figure the kept totals (counts-ledger.ts) are tested against.
   */
  async rawFootprint(): Promise<{ points: number; bytes: number; chunks: number }> {
    let points = 0;
    let bytes = 0;
    let chunks = 0;
    await this.db.chunks.each((c) => {
      points += c.n;
      bytes += c.data.byteLength;
      chunks++;
    });
    return { points, bytes, chunks };
  }
}

/**
 * What an append did: `added` points at times the series did not hold, `present` at times it
 * held already (their stored values replaced), `changed` of those with a different value.
 */
export interface AppendOutcome {
  added: number;
  present: number;
  changed: number;
}

/** What `MetricStore.setOverlay` takes: points of series held outside chunk records. */
export interface MetricOverlay {
  range(seriesId: number, from: number, to: number): Columnar | null;
  patch<R extends SeriesRecord>(record: R): R;
  /** Brings the overlay up to date before a read outside a transaction (a following tab). */
  sync?: () => Promise<void>;
}

/** The record of a series not stored yet (without its id, which the store assigns). */
export function newSeriesRecord(key: string, d: SeriesDescriptor): SeriesRecord {
  const record = {
    key,
    name: d.name,
    labels: { ...d.labels },
    unit: d.unit,
    kind: d.kind,
    source: d.source,
    category: d.category,
    ...(d.help ? { help: d.help } : {})
  };
  return record as SeriesRecord;
}

/** A series record with its head chunk (the newest), kept up to date by every append. */
export type HeadedSeries = SeriesRecord & { headT0?: number; headN?: number };

/**
 * Folds an appended, sorted batch into the series record (counts, range, last value, head);
 * `present` of its points replaced stored ones and add nothing to the count.
 */
export function updateRecord(
  series: HeadedSeries,
  incoming: Columnar,
  head: ChunkRecord,
  present: number
): void {
  const n = incoming.t.length;
  const minT = incoming.t[0];
  const maxT = incoming.t[n - 1];
  series.points = (series.points ?? 0) + n - present;
  if (series.firstT === undefined || minT < series.firstT) series.firstT = minT;
  if (series.lastT === undefined || maxT >= series.lastT) {
    series.lastT = maxT;
    series.lastV = incoming.v[n - 1];
  }
  // Callers pass the newest chunk they wrote, which is the head: every stored chunk from the
  // batch's start on was rewritten, and nothing is stored after it.
  series.headT0 = head.t0;
  series.headN = head.n;
}

/**
 * The typed error for a full disk or quota (RELIABILITY.md #3): it says what was kept.
 * Crosses Comlink as an Error with this name.
 */
export class StorageFullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StorageFullError';
  }
}

/** Turns IndexedDB's quota errors (however Dexie wraps them) into a StorageFullError. */
export function asStorageFull(error: unknown, kept: string): unknown {
  const e = error as { name?: string; inner?: { name?: string }; message?: string };
  const names = [e?.name, e?.inner?.name];
  if (names.some((n) => n === 'QuotaExceededError' || n === 'QuotaExceeded')) {
    return new StorageFullError(`Storage is full: the browser refused more data. ${kept}`);
  }
  return error;
}

/**
 * First index in [lo, hi) whose time is ≥ limitT, or hi when none is; `t` sorted. O(log n).
 * A chunk ends there so that it spans less than ChunkLimits.maxSpanMs.
 */
function spanEnd(t: Float64Array, lo: number, hi: number, limitT: number): number {
  if (hi <= lo || t[hi - 1] < limitT) return hi;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t[mid] >= limitT) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function chunkRecord(seriesId: number, t: Float64Array, v: Float64Array): ChunkRecord {
  return { seriesId, t0: t[0], t1: t[t.length - 1], n: t.length, data: encodeChunk(t, v) };
}

/**
 * Splits sorted points into chunk records that respect ChunkLimits. The chunks are encoded
 * from views of `points`, which is not copied. Empty input → no chunks. O(n).
 *
 * @example
 * splitIntoChunks(1, { t: new Float64Array([0, 1]), v: new Float64Array([5, 6]) }); // one chunk
 */
export function splitIntoChunks(seriesId: number, points: Columnar): ChunkRecord[] {
  const out: ChunkRecord[] = [];
  const n = points.t.length;
  let start = 0;
  while (start < n) {
    const end = spanEnd(
      points.t,
      start + 1,
      Math.min(n, start + ChunkLimits.maxPoints),
      points.t[start] + ChunkLimits.maxSpanMs
    );
    out.push(chunkRecord(seriesId, points.t.subarray(start, end), points.v.subarray(start, end)));
    start = end;
  }
  return out;
}

/** Room for the one chunk that joins a head with a batch's first points (reused: encodeChunk keeps no reference). */
const joinScratch = {
  t: new Float64Array(ChunkLimits.maxPoints),
  v: new Float64Array(ChunkLimits.maxPoints)
};

/**
 * Chunk records for a batch that lies after a series' stored points, the same records as
 * `splitIntoChunks(seriesId, concatColumnar([head, batch]))` without copying the batch:
 * the head's points and the batch's first ones, as many as fit the head's ChunkLimits, are
 * encoded as one chunk (it keeps the head's t0, so it replaces the head record), the rest
 * straight from views of the batch. At an import's ~15k points per series and commit, the
 * copy cost as much CPU as encoding (issue 6).
 *
 * `batch` must be sorted, duplicate-free and after the head's last point; `head` (one
 * stored chunk, decoded) may be undefined. Empty batch → the head alone, or nothing. O(head + batch).
 *
 * @example
 * encodeAfterHead(1, decodeChunk(head.data), batch); // [the head extended, ...new chunks]
 */
export function encodeAfterHead(
  seriesId: number,
  head: Columnar | undefined,
  batch: Columnar
): ChunkRecord[] {
  const headN = head ? head.t.length : 0;
  if (!head || headN === 0) return splitIntoChunks(seriesId, batch);
  // Stored heads keep within ChunkLimits; the copy keeps this correct if one did not.
  if (headN > ChunkLimits.maxPoints || head.t[headN - 1] - head.t[0] >= ChunkLimits.maxSpanMs) {
    return splitIntoChunks(seriesId, concatColumnar([head, batch]));
  }
  const n = batch.t.length;
  const k = spanEnd(
    batch.t,
    0,
    Math.min(n, ChunkLimits.maxPoints - headN),
    head.t[0] + ChunkLimits.maxSpanMs
  );
  const t = joinScratch.t.subarray(0, headN + k);
  const v = joinScratch.v.subarray(0, headN + k);
  t.set(head.t);
  v.set(head.v);
  t.set(batch.t.subarray(0, k), headN);
  v.set(batch.v.subarray(0, k), headN);
  const first = chunkRecord(seriesId, t, v);
  if (k === n) return [first];
  const rest = splitIntoChunks(seriesId, {
    t: batch.t.subarray(k),
    v: batch.v.subarray(k)
  });
  rest.unshift(first);
  return rest;
}

export function concatColumnar(parts: Columnar[]): Columnar {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.t.length;
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  let o = 0;
  for (const p of parts) {
    t.set(p.t, o);
    v.set(p.v, o);
    o += p.t.length;
  }
  return { t, v };
}

/**
 * Sorts by time (stable) and keeps the LAST value of each duplicated timestamp. Input that
 * is already sorted with no repeated time (an import's batches) is returned as is, not
 * copied. O(n), or O(n log n) when unsorted.
 */
export function normalisePoints(points: Columnar): Columnar {
  const { t, v } = points;
  const n = t.length;
  let sorted = true;
  let dupes = false;
  for (let i = 1; i < n; i++) {
    if (t[i] < t[i - 1]) {
      sorted = false;
      break;
    }
    if (t[i] === t[i - 1]) dupes = true;
  }
  if (sorted && !dupes) return points;
  if (sorted) return dropRepeatedTimes(points);
  // Stable: among equal times the later point stays later, so it wins below.
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => t[a] - t[b] || a - b);
  const st = new Float64Array(n);
  const sv = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    st[k] = t[order[k]];
    sv[k] = v[order[k]];
  }
  return dropRepeatedTimes({ t: st, v: sv });
}

/**
 * Sorted points with some timestamps repeated (a logger that wrote a row twice): keeps the
 * last value of each, in one pass with no index array. The result may be views of arrays
 * a little longer than it.
 */
function dropRepeatedTimes(points: Columnar): Columnar {
  const { t, v } = points;
  const n = t.length;
  const ot = new Float64Array(n);
  const ov = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (m > 0 && ot[m - 1] === t[i]) {
      ov[m - 1] = v[i];
    } else {
      ot[m] = t[i];
      ov[m] = v[i];
      m++;
    }
  }
  return { t: ot.subarray(0, m), v: ov.subarray(0, m) };
}

/**
 * Times of `newer` that `older` holds already (both sorted and duplicate-free), and how many
 * of them with a different value (NaN equals NaN: a gap re-imported is no change). O(a + b).
 *
 * @example
 * countRepeats({ t: [1, 2], v: [5, 6] }, { t: [2, 3], v: [7, 8] }); // { present: 1, changed: 1 }
 */
export function countRepeats(
  older: Columnar,
  newer: Columnar
): { present: number; changed: number } {
  let i = 0;
  let j = 0;
  let present = 0;
  let changed = 0;
  while (i < older.t.length && j < newer.t.length) {
    const a = older.t[i];
    const b = newer.t[j];
    if (a < b) i++;
    else if (b < a) j++;
    else {
      present++;
      if (!Object.is(older.v[i], newer.v[j]) && !(older.v[i] === newer.v[j])) changed++;
      i++;
      j++;
    }
  }
  return { present, changed };
}

/** Merges two sorted, duplicate-free runs; on equal timestamps `newer` wins. */
export function mergeLastWins(older: Columnar, newer: Columnar): Columnar {
  const a = older;
  const b = newer;
  const t = new Float64Array(a.t.length + b.t.length);
  const v = new Float64Array(t.length);
  let i = 0;
  let j = 0;
  let m = 0;
  while (i < a.t.length || j < b.t.length) {
    if (j >= b.t.length || (i < a.t.length && a.t[i] < b.t[j])) {
      t[m] = a.t[i];
      v[m++] = a.v[i++];
    } else if (i >= a.t.length || b.t[j] < a.t[i]) {
      t[m] = b.t[j];
      v[m++] = b.v[j++];
    } else {
      t[m] = b.t[j];
      v[m++] = b.v[j++];
      i++;
    }
  }
  return { t: t.slice(0, m), v: v.slice(0, m) };
}

function sliceRange(points: Columnar, from: number, to: number): Columnar {
  let lo = 0;
  while (lo < points.t.length && points.t[lo] < from) lo++;
  let hi = points.t.length;
  while (hi > lo && points.t[hi - 1] > to) hi--;
  return { t: points.t.subarray(lo, hi), v: points.v.subarray(lo, hi) };
}
