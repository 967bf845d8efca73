import type { PointBatch, ResultEvent, SeriesDescriptor } from '../types';
import type { IngestLineError, LineContext, ParseStep } from './types';

/**
 * Per-series accumulation for the current step. A parser's innermost loop may append to an
 * `active` slot with room itself (`t[n] = …; v[n] = …; n++`) when the sink is `emitting`,
 * which is all `BatchSink.point` does then: a call per value is a measurable share of a
 * tight loop that the engine does not always inline.
 */
export interface SeriesSlot {
  readonly series: SeriesDescriptor;
  /** Growable columns reused across steps; `n` points are live. */
  t: Float64Array;
  v: Float64Array;
  n: number;
  active: boolean;
}

export const SinkDefaults = {
  initialCapacity: 64,
  /**
   * Bytes of given-back column buffers kept for reuse (see `BatchSink.recycle`): about two
   * commits' worth of columns, the most an import has in flight.
   */
  poolBytes: 32 * 1024 * 1024
};

/** Whether `bytes` is the size of a slot's column: `initialCapacity` × 2^k doubles, k ≥ 0. */
function isColumnSize(bytes: number): boolean {
  const ratio = bytes / 8 / SinkDefaults.initialCapacity;
  return Number.isInteger(ratio) && ratio >= 1 && (ratio & (ratio - 1)) === 0;
}

/**
 * Collects what a format module produces between two steps. Points are grouped per series
 * (columnar) so a 1 MiB chunk becomes a handful of batches instead of thousands of objects;
 * memory is bounded by one step's output because `drain` hands everything over.
 */
export class BatchSink {
  private readonly slots = new Map<string, SeriesSlot>();

  /** Series with a slot. */
  get seriesCount(): number {
    return this.slots.size;
  }
  private active: SeriesSlot[] = [];
  private events: ResultEvent[] = [];
  private errors: IngestLineError[] = [];
  private rows = 0;
  private skipped = 0;
  private notes: string[] = [];
  private readonly noted = new Set<string>();
  /** False while re-reading lines before `skipToOffset`: metadata is kept, data dropped. */
  emitting = true;
  /** Points stay here across `drain`s until `takePoints` (see `StreamParserOptions.holdPoints`). */
  holdPoints = false;
  private held = 0;

  private errorCount = 0;
  private suppressed = 0;
  /** Given-back column buffers by byte length, and their total (see `recycle`). */
  private readonly pool = new Map<number, ArrayBuffer[]>();
  private pooledBytes = 0;

  constructor(
    readonly file: string,
    private readonly maxErrors = Number.POSITIVE_INFINITY
  ) {}

  /** Returns the slot for `key`, creating the descriptor once with `make`. */
  slot(key: string, make: () => SeriesDescriptor): SeriesSlot {
    let s = this.slots.get(key);
    if (s === undefined) {
      s = {
        series: make(),
        t: this.column(SinkDefaults.initialCapacity),
        v: this.column(SinkDefaults.initialCapacity),
        n: 0,
        active: false
      };
      this.slots.set(key, s);
    }
    return s;
  }

  peek(key: string): SeriesSlot | undefined {
    return this.slots.get(key);
  }

  /** Adds one point. Small on purpose: the engine inlines it into the parsers' hot loops. */
  point(slot: SeriesSlot, t: number, v: number): void {
    if (!this.emitting) return;
    if (!slot.active || slot.n === slot.t.length) this.prepare(slot);
    slot.t[slot.n] = t;
    slot.v[slot.n] = v;
    slot.n++;
  }

  /** Lists a slot as having points, and doubles its columns when full. */
  private prepare(slot: SeriesSlot): void {
    if (!slot.active) {
      slot.active = true;
      this.active.push(slot);
    }
    // Typed columns instead of number[]: no boxing, and drain copies once into the batch.
    if (slot.n === slot.t.length) {
      const t2 = this.column(slot.n * 2);
      const v2 = this.column(slot.n * 2);
      t2.set(slot.t);
      v2.set(slot.v);
      this.recycle([slot.t.buffer as ArrayBuffer, slot.v.buffer as ArrayBuffer]);
      slot.t = t2;
      slot.v = v2;
    }
  }

  /** A column of `length` doubles: a given-back buffer of that size when there is one. */
  private column(length: number): Float64Array {
    const free = this.pool.get(length * 8);
    const buffer = free?.pop();
    if (buffer === undefined) return new Float64Array(length);
    this.pooledBytes -= buffer.byteLength;
    return new Float64Array(buffer);
  }

  /**
   * Takes back column buffers of batches handed out by `takePoints` once their receiver is
   * done with them (the engine transfers them back after storing a commit), and the small
   * columns a slot outgrew. Fresh memory is expensive to fill in Chromium — every new page
   * faults on first write: filling 160 MB of new Float64Arrays took 470 ms in a worker
   * against 11 ms for one reused array, about two thirds of the CSV block path — so an
   * import's columns are filled again instead. Only undetached buffers of a size a column
   * can have (`initialCapacity` doubled k times; a sparse slot's copied-out batch has
   * another size and would never be asked for) are kept, up to `SinkDefaults.poolBytes`; their old contents are never
   * read (a slot reads only its first `n` points). Complexity O(buffers).
   */
  recycle(buffers: readonly ArrayBuffer[]): void {
    for (const buffer of buffers) {
      const bytes = buffer.byteLength;
      if (!(buffer instanceof ArrayBuffer) || !isColumnSize(bytes)) continue;
      if (this.pooledBytes + bytes > SinkDefaults.poolBytes) continue;
      let free = this.pool.get(bytes);
      if (free === undefined) this.pool.set(bytes, (free = []));
      if (free.includes(buffer)) continue;
      free.push(buffer);
      this.pooledBytes += bytes;
    }
  }

  event(e: ResultEvent): void {
    if (this.emitting) this.events.push(e);
  }

  error(ctx: LineContext, message: string): void {
    if (!this.emitting) return;
    // A garbage file must not turn into millions of error objects: past the cap, count only.
    if (this.errorCount++ < this.maxErrors)
      this.errors.push({ file: this.file, line: ctx.line, byte: ctx.byte, message });
    else this.suppressed++;
  }

  /** Counts `count` data rows (one by default). */
  row(count = 1): void {
    if (this.emitting) this.rows += count;
  }

  skip(n = 1): void {
    if (this.emitting) this.skipped += n;
  }

  /** Records a note for the user once per file (see `ParseStep.notes`). */
  note(message: string): void {
    if (this.noted.has(message)) return;
    this.noted.add(message);
    this.notes.push(message);
  }

  drain(checkpoint: number, bytes: number): ParseStep {
    let heldPoints = 0;
    if (this.holdPoints) {
      let total = 0;
      for (const s of this.active) total += s.n;
      heldPoints = total - this.held;
      this.held = total;
    }
    const step: ParseStep = {
      batches: this.holdPoints ? [] : this.takePoints(),
      events: this.events,
      errors: this.errors,
      checkpoint,
      rows: this.rows,
      bytes,
      skipped: this.skipped,
      suppressedErrors: this.suppressed,
      heldPoints,
      notes: this.notes
    };
    this.notes = [];
    this.suppressed = 0;
    this.events = [];
    this.errors = [];
    this.rows = 0;
    this.skipped = 0;
    return step;
  }

  /** Every point gathered (held or since the last drain), one batch per series, in order. */
  takePoints(): PointBatch[] {
    const batches: PointBatch[] = [];
    for (const s of this.active) {
      // Each batch gets buffers of its own, so it can be transferred to another thread. A
      // well-filled slot hands its columns over as views and starts new ones (no copy); a
      // sparse one copies out what it holds, so little memory travels unused.
      const n = s.n;
      if (n * 2 >= s.t.length) {
        batches.push({ series: s.series, t: s.t.subarray(0, n), v: s.v.subarray(0, n) });
        s.t = this.column(s.t.length);
        s.v = this.column(s.v.length);
      } else batches.push({ series: s.series, t: s.t.slice(0, n), v: s.v.slice(0, n) });
      s.n = 0;
      s.active = false;
    }
    this.active = [];
    this.held = 0;
    return batches;
  }
}
