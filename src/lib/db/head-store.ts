import type { Columnar, SeriesRecord } from '$lib/types';
import { adjustStoreCounts } from './counts-ledger';
import type { TidemarkDb, WalRecord } from './database';
import { concatColumnar, normalisePoints, splitIntoChunks, type MetricStore } from './metric-store';

/**
 * When a series' in-memory head is cut into a chunk record. At 1 Hz a head holds at most
 * `cutSpanMs` of points (120 at the default, as Prometheus cuts its head chunks at 120
 * samples); a fast series is cut at `cutPoints`. Memory: 10,000 series × 120 points × 16 B
 * ≈ 19 MB in the engine worker; the WAL holds about as many bytes on disk.
 */
export const HeadDefaults = {
  cutPoints: 4_096,
  cutSpanMs: 120_000,
  /**
   * Heads cut per transaction, so a cut of thousands of series never holds the store long
   * (a page's read of the chunks waits for it).
   */
  cutBatchSeries: 250,
  /**
   * Each series' head is cut at an age between (1 − cutSpread) × cutSpanMs and cutSpanMs,
   * fixed per series (a hash of its id): 10,000 series that started together would
   * otherwise all come due in the same pass every two minutes, a burst of 10,000 chunk
   * writes; spread over 60–120 s, a 5 s pass cuts about 800.
   */
  cutSpread: 0.5
};

/** A fixed number in [0, 1) per series id (Knuth's multiplicative hash). */
function spreadOf(seriesId: number): number {
  return (Math.imul(seriesId, 2654435761) >>> 0) / 2 ** 32;
}

/** One series' points not yet in a chunk record, in growable typed arrays. */
interface Head {
  t: Float64Array;
  v: Float64Array;
  n: number;
  /** No WAL record before this one holds a point of the head: records before it can go. */
  firstWal: number;
  /** The newest WAL record applied to the head. */
  lastWal: number;
}

/** Stored per series: what the chunks hold, so a head knows where it starts. */
interface StoredTail {
  lastT: number;
}

/**
 * A series record as the head store reads it: `headCutT` is the newest time its cuts moved
 * into chunks. Recovery replays the WAL points after it, not after `lastT`: a late point
 * stored through the merging path moves `lastT` past head points that are only in the WAL,
 * and replaying after `lastT` would drop those acknowledged points after a crash.
 */
type CutSeries = SeriesRecord & { headCutT?: number };

export interface HeadAppend {
  seriesId: number;
  t: Float64Array;
  v: Float64Array;
}

/**
 * The live ingest path, in the spirit of Prometheus' head block: points are appended to
 * in-memory per-series heads and made durable by ONE append-only WAL record per delivery
 * (plus whatever the caller writes in the same transaction, e.g. the agent's stream
 * checkpoint), so the cost of a delivery is its points, not its series' chunk lengths.
 * Heads are encoded once, when full or old, into ordinary chunk records; the WAL records
 * whose points are all in chunks are deleted in the same transaction. After a crash
 * `recover()` replays the WAL into heads, so an acknowledged point is never lost.
 *
 * Reads (`MetricStore.readRaw`, series records) see head points through the overlay this
 * class installs on the MetricStore it is given.
 *
 * Points at or before a series' stored tail (late or repeated) are not put in heads: they
 * go through `MetricStore.append`, the general, merging path, in the same transaction.
 */
export class HeadStore {
  readonly #db: TidemarkDb;
  readonly #clock: () => number;
  readonly #metrics: MetricStore;
  readonly #options: typeof HeadDefaults;
  readonly #heads = new Map<number, Head>();
  readonly #tails = new Map<number, StoredTail>();
  #loaded = false;
  /** The newest WAL record applied to heads. */
  #maxApplied = 0;
  /**
   * Only the writer (the leader tab's engine) appends and cuts. Another tab's engine follows
   * the WAL the writer leaves, so its reads see the live points too (see `follow`).
   */
  #writer = true;
  #followedAt = -Infinity;
  #trimmedAt = -Infinity;
  #cutting: Promise<void> | null = null;

  constructor(
    db: TidemarkDb,
    metrics: MetricStore,
    options: Partial<typeof HeadDefaults> & { clock?: () => number } = {}
  ) {
    this.#clock = options.clock ?? (() => Date.now());
    this.#db = db;
    this.#metrics = metrics;
    this.#options = { ...HeadDefaults, ...options };
    metrics.setOverlay({
      range: (id, from, to) => this.range(id, from, to),
      patch: (r) => this.patch(r),
      sync: () => this.follow({ now: this.#clock() })
    });
  }

  /**
   * Makes this store the writer (the tab that appends and cuts) or a follower. A new writer
   * first takes every WAL record it has not seen, so no acknowledged point is missing from
   * its heads when it cuts.
   */
  async setWriter(writer: boolean): Promise<void> {
    if (writer && !this.#writer) await this.follow({ force: true });
    this.#writer = writer;
  }

  get writer(): boolean {
    return this.#writer;
  }

  /**
   * A follower's catch-up: applies WAL records the writer stored since the last call, at
   * most every `everyMs`, and now and then drops head points the writer has cut into
   * chunks meanwhile (reads never show a point twice either way: see MetricStore.readRaw).
   * A writer's heads are its own: nothing to do.
   */
  async follow(options: { now?: number; everyMs?: number; force?: boolean } = {}): Promise<void> {
    if (this.#writer && !options.force) return;
    if (!this.#loaded) {
      await this.recover();
      return;
    }
    const now = options.now ?? 0;
    if (!options.force && now - this.#followedAt < (options.everyMs ?? 500)) return;
    this.#followedAt = now;
    const db = this.#db;
    const records = await db.wal.where(':id').above(this.#maxApplied).toArray();
    for (const rec of records) this.#apply(rec.id!, unpackWal(rec));
    if (options.force || now - this.#trimmedAt >= 30_000) {
      this.#trimmedAt = now;
      const ids = [...this.#heads.keys()];
      const rows = (await db.series.bulkGet(ids)) as (CutSeries | undefined)[];
      rows.forEach((r, k) => {
        if (r?.lastT === undefined) return;
        this.#tails.set(ids[k], {
          lastT: Math.max(r.lastT, this.#tails.get(ids[k])?.lastT ?? -Infinity)
        });
        // Only what cuts moved into chunks leaves the head (see CutSeries).
        if (r.headCutT !== undefined) this.#dropUpTo(ids[k], r.headCutT);
      });
    }
  }

  /** Drops a head's points at or before `t` (they are in chunks). */
  #dropUpTo(seriesId: number, t: number): void {
    const h = this.#heads.get(seriesId);
    if (!h) return;
    let k = 0;
    while (k < h.n && h.t[k] <= t) k++;
    if (k === 0) return;
    if (k >= h.n) {
      this.#heads.delete(seriesId);
      return;
    }
    h.t.copyWithin(0, k, h.n);
    h.v.copyWithin(0, k, h.n);
    h.n -= k;
  }

  /** Points held in heads (not yet in chunk records). */
  get points(): number {
    let n = 0;
    for (const h of this.#heads.values()) n += h.n;
    return n;
  }

  /** Series with a head. */
  get series(): number {
    return this.#heads.size;
  }

  /**
   * Loads the stored tails and replays every WAL record into heads (after a crash or in a
   * new engine): points at or before a stored tail are already in chunks and are skipped,
   * so a record replayed twice adds nothing twice. O(series + WAL points).
   */
  async recover(): Promise<{ records: number; points: number }> {
    const db = this.#db;
    this.#heads.clear();
    this.#tails.clear();
    const cut = new Map<number, number>();
    await db.series.each((s: CutSeries) => {
      if (s.lastT !== undefined) this.#tails.set(s.id, { lastT: s.lastT });
      if (s.headCutT !== undefined) cut.set(s.id, s.headCutT);
    });
    let records = 0;
    let points = 0;
    const replayTail = (id: number) => cut.get(id) ?? -Infinity;
    await db.wal.each((rec) => {
      records++;
      points += rec.t.length;
      this.#apply(rec.id!, unpackWal(rec), replayTail);
    });
    this.#loaded = true;
    return { records, points };
  }

  /**
   * Stores one delivery: ONE WAL record, `alsoWrite` (run inside the same transaction, over
   * `alsoTables`) and, for late points only, the merging append. `batches` may be a
   * function run inside the transaction (to register new series atomically with their
   * points); `register: true` then widens the transaction to the series tables. Resolves
   * once the transaction completed (strict durability); rejects and changes no head
   * otherwise.
   */
  async append(
    batches: HeadAppend[] | (() => Promise<HeadAppend[]>),
    options: {
      alsoTables?: string[];
      alsoWrite?: () => Promise<void>;
      register?: boolean;
    } = {}
  ): Promise<{ points: number }> {
    if (!this.#loaded) await this.recover();
    if (!this.#writer) await this.setWriter(true);
    const db = this.#db;
    // Known batches are split before the transaction, so it covers only the tables needed.
    const ready = typeof batches === 'function' ? null : this.#split(batches);
    const wide = options.register === true || (ready !== null && ready.late.length > 0);
    const tables = [
      'wal',
      ...(wide ? ['chunks', 'series', 'late'] : []),
      ...(options.alsoTables ?? [])
    ];
    let walId = 0;
    let split = ready;
    await db.transaction('rw', [...new Set(tables)], async () => {
      split ??= this.#split(await (batches as () => Promise<HeadAppend[]>)());
      const writes: Promise<unknown>[] = [];
      if (split.fresh.length)
        writes.push(db.wal.add(packWal(split.fresh)).then((id) => (walId = id as number)));
      if (split.late.length) writes.push(this.#metrics.append(split.late));
      if (options.alsoWrite) writes.push(options.alsoWrite());
      await Promise.all(writes);
    });
    const { fresh, points } = split!;
    if (fresh.length) {
      // Another delivery may have passed these points' times meanwhile: those are stored
      // through the merging path, never dropped.
      const behind = this.#apply(walId, fresh);
      if (behind.length) await this.#appendBehind(behind);
    }
    return { points };
  }

  /**
   * Points of a committed WAL record that did not join their head (another delivery had
   * passed their times): stored through the merging path, and no longer counted as head
   * points, in one transaction.
   */
  async #appendBehind(behind: HeadAppend[]): Promise<void> {
    const db = this.#db;
    await db.transaction('rw', [db.chunks, db.series, db.late], async () => {
      await this.#metrics.append(behind);
      await adjustStoreCounts(db, { headPoints: -behind.reduce((s, b) => s + b.t.length, 0) });
    });
  }

  /** Sorts each batch and splits it into points for the head and late points. */
  #split(batches: HeadAppend[]): { fresh: HeadAppend[]; late: HeadAppend[]; points: number } {
    const fresh: HeadAppend[] = [];
    const late: HeadAppend[] = [];
    let points = 0;
    for (const b0 of batches) {
      if (b0.t.length === 0) continue;
      const p = normalisePoints({ t: b0.t, v: b0.v });
      const b = { seriesId: b0.seriesId, t: p.t, v: p.v };
      points += b.t.length;
      const after = this.#lastT(b.seriesId);
      if (b.t[0] > after) fresh.push(b);
      else {
        // Split: the part after the head's end still goes to the head.
        let k = 0;
        while (k < b.t.length && b.t[k] <= after) k++;
        late.push({ seriesId: b.seriesId, t: b.t.subarray(0, k), v: b.v.subarray(0, k) });
        if (k < b.t.length)
          fresh.push({ seriesId: b.seriesId, t: b.t.subarray(k), v: b.v.subarray(k) });
      }
    }
    return { fresh, late, points };
  }

  /**
   * Series whose head is due to be cut at `now`: full, or older than its cut age (between
   * (1 − cutSpread) × cutSpanMs and cutSpanMs, see HeadDefaults.cutSpread).
   */
  due(now: number, all = false): number[] {
    const out: number[] = [];
    const { cutPoints, cutSpanMs, cutSpread } = this.#options;
    for (const [id, h] of this.#heads) {
      if (h.n === 0) continue;
      const age = cutSpanMs * (1 - cutSpread * spreadOf(id));
      if (all || h.n >= cutPoints || now - h.t[0] >= age) out.push(id);
    }
    return out;
  }

  /**
   * Encodes the due heads (or all, with `all`) into chunk records, `cutBatchSeries` series
   * per transaction, and deletes the WAL records no head needs any more. Heads appended
   * meanwhile keep their new points. One cut runs at a time.
   */
  async cut(
    now: number,
    options: { all?: boolean } = {}
  ): Promise<{ series: number; points: number }> {
    if (!this.#writer) return { series: 0, points: 0 };
    while (this.#cutting) await this.#cutting.catch(() => {});
    let done = { series: 0, points: 0 };
    this.#cutting = (async () => {
      done = await this.#cut(now, options.all ?? false);
    })();
    try {
      await this.#cutting;
    } finally {
      this.#cutting = null;
    }
    return done;
  }

  async #cut(now: number, all: boolean): Promise<{ series: number; points: number }> {
    const db = this.#db;
    const ids = this.due(now, all);
    let points = 0;
    for (let i = 0; i < ids.length; i += this.#options.cutBatchSeries) {
      const group = ids.slice(i, i + this.#options.cutBatchSeries);
      // What is cut: a snapshot of each head now (appends during the write add after it).
      const taken = group.map((id) => {
        const h = this.#heads.get(id)!;
        return { id, n: h.n, lastWal: h.lastWal, t: h.t.slice(0, h.n), v: h.v.slice(0, h.n) };
      });
      await db.transaction('rw', [db.chunks, db.series, db.late], async () => {
        const records = (await db.series.bulkGet(group)) as (CutSeries | undefined)[];
        const puts = [];
        const general: HeadAppend[] = [];
        const changed: CutSeries[] = [];
        for (let k = 0; k < taken.length; k++) {
          const r = records[k];
          const c = taken[k];
          if (!r) continue;
          if (r.lastT !== undefined && c.t[0] <= r.lastT) {
            // Another path (an import) stored points after the head began: merge.
            general.push({ seriesId: c.id, t: c.t, v: c.v });
            continue;
          }
          puts.push(...splitIntoChunks(c.id, { t: c.t, v: c.v }));
          r.points = (r.points ?? 0) + c.n;
          if (r.firstT === undefined || c.t[0] < r.firstT) r.firstT = c.t[0];
          r.lastT = c.t[c.n - 1];
          r.lastV = c.v[c.n - 1];
          r.headCutT = c.t[c.n - 1];
          changed.push(r);
        }
        const writes: Promise<unknown>[] = [];
        if (puts.length) writes.push(db.chunks.bulkPut(puts));
        if (changed.length) writes.push(db.series.bulkPut(changed));
        // The cut points leave the heads (the chunk writes count them in).
        writes.push(adjustStoreCounts(db, { headPoints: -taken.reduce((s, c) => s + c.n, 0) }));
        await Promise.all(writes);
        if (general.length) {
          await this.#metrics.append(general);
          const cutT = new Map(general.map((g) => [g.seriesId, g.t[g.t.length - 1]]));
          await db.series
            .where(':id')
            .anyOf([...cutT.keys()])
            .modify((r: CutSeries) => {
              r.headCutT = Math.max(r.headCutT ?? -Infinity, cutT.get(r.id)!);
            });
        }
      });
      for (const c of taken) {
        points += c.n;
        const h = this.#heads.get(c.id);
        if (!h) continue;
        this.#tails.set(c.id, { lastT: c.t[c.n - 1] });
        // Drop the cut points; points appended during the write stay.
        const rest = h.n - c.n;
        if (rest > 0) {
          h.t.copyWithin(0, c.n, h.n);
          h.v.copyWithin(0, c.n, h.n);
          h.n = rest;
          // What remains came from records applied after the snapshot.
          h.firstWal = c.lastWal + 1;
        } else {
          this.#heads.delete(c.id);
        }
      }
    }
    await this.#truncateWal();
    return { series: ids.length, points };
  }

  /** Deletes WAL records older than the oldest one a head still needs. */
  async #truncateWal(): Promise<void> {
    // A record committed but not yet applied to heads has a higher id than any applied one:
    // it is never deleted here.
    let keepFrom = this.#maxApplied + 1;
    for (const h of this.#heads.values()) if (h.firstWal < keepFrom) keepFrom = h.firstWal;
    await this.#db.wal.where(':id').below(keepFrom).delete();
  }

  /** Head points of a series in [from, to] (copies), or null when none. */
  range(seriesId: number, from: number, to: number): Columnar | null {
    const h = this.#heads.get(seriesId);
    if (!h || h.n === 0 || h.t[0] > to || h.t[h.n - 1] < from) return null;
    let lo = 0;
    while (lo < h.n && h.t[lo] < from) lo++;
    let hi = h.n;
    while (hi > lo && h.t[hi - 1] > to) hi--;
    return { t: h.t.slice(lo, hi), v: h.v.slice(lo, hi) };
  }

  /** A series record with its head folded in (points, lastT, lastV), as if cut. */
  patch<R extends SeriesRecord>(record: R): R {
    const h = this.#heads.get(record.id);
    if (!h || h.n === 0) return record;
    // A follower's head may still hold points the writer has cut into chunks since.
    const tail = record.lastT ?? -Infinity;
    if (h.t[h.n - 1] <= tail) return record;
    let k = 0;
    while (k < h.n && h.t[k] <= tail) k++;
    return {
      ...record,
      points: (record.points ?? 0) + (h.n - k),
      firstT: record.firstT === undefined ? h.t[k] : Math.min(record.firstT, h.t[k]),
      lastT: h.t[h.n - 1],
      lastV: h.v[h.n - 1]
    };
  }

  /** Forgets heads and tails of series the store no longer has (after a clear). */
  reset(): void {
    this.#heads.clear();
    this.#tails.clear();
    this.#loaded = false;
  }

  #lastT(seriesId: number): number {
    const h = this.#heads.get(seriesId);
    if (h && h.n > 0) return h.t[h.n - 1];
    return this.#tails.get(seriesId)?.lastT ?? -Infinity;
  }

  /**
   * Appends (sorted, after each head's end) points to heads; returns what it skipped. A
   * replay passes `tail`: where a series' points in chunks end, when its head is empty.
   */
  #apply(walId: number, batches: HeadAppend[], tail?: (seriesId: number) => number): HeadAppend[] {
    const skipped: HeadAppend[] = [];
    if (walId > this.#maxApplied) this.#maxApplied = walId;
    for (const b of batches) {
      let k = 0;
      const head = this.#heads.get(b.seriesId);
      const after = tail && !(head && head.n > 0) ? tail(b.seriesId) : this.#lastT(b.seriesId);
      while (k < b.t.length && b.t[k] <= after) k++;
      if (k > 0)
        skipped.push({ seriesId: b.seriesId, t: b.t.subarray(0, k), v: b.v.subarray(0, k) });
      const n = b.t.length - k;
      if (n <= 0) continue;
      let h = this.#heads.get(b.seriesId);
      if (!h) {
        const cap = Math.max(16, n * 2);
        h = {
          t: new Float64Array(cap),
          v: new Float64Array(cap),
          n: 0,
          firstWal: walId,
          lastWal: walId
        };
        this.#heads.set(b.seriesId, h);
      } else if (h.n === 0) {
        h.firstWal = walId;
      }
      h.lastWal = walId;
      if (h.n + n > h.t.length) {
        const cap = Math.max(h.n + n, h.t.length * 2);
        const t = new Float64Array(cap);
        const v = new Float64Array(cap);
        t.set(h.t.subarray(0, h.n));
        v.set(h.v.subarray(0, h.n));
        h.t = t;
        h.v = v;
      }
      h.t.set(b.t.subarray(k), h.n);
      h.v.set(b.v.subarray(k), h.n);
      h.n += n;
    }
    return skipped;
  }
}

/** One delivery as a WAL record: series ids, offsets into the shared time/value columns. */
export function packWal(batches: HeadAppend[]): Omit<WalRecord, 'id'> {
  const ids = new Int32Array(batches.length);
  const offsets = new Uint32Array(batches.length + 1);
  let n = 0;
  batches.forEach((b, k) => {
    ids[k] = b.seriesId;
    n += b.t.length;
    offsets[k + 1] = n;
  });
  const { t, v } =
    batches.length === 1
      ? { t: batches[0].t.slice(), v: batches[0].v.slice() }
      : concatColumnar(batches);
  return { ids, offsets, t, v };
}

/** The batches of a WAL record (views of its columns). */
export function unpackWal(rec: Omit<WalRecord, 'id'>): HeadAppend[] {
  const out: HeadAppend[] = [];
  for (let k = 0; k < rec.ids.length; k++) {
    const a = rec.offsets[k];
    const b = rec.offsets[k + 1];
    out.push({ seriesId: rec.ids[k], t: rec.t.subarray(a, b), v: rec.v.subarray(a, b) });
  }
  return out;
}
