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

export const SinkDefaults = { initialCapacity: 64 };

/**
 * Collects what a format module produces between two steps. Points are grouped per series
 * (columnar) so a 1 MiB chunk becomes a handful of batches instead of thousands of objects;
 * memory is bounded by one step's output because `drain` hands everything over.
 */
export class BatchSink {
  private readonly slots = new Map<string, SeriesSlot>();
  private active: SeriesSlot[] = [];
  private events: ResultEvent[] = [];
  private errors: IngestLineError[] = [];
  private rows = 0;
  private skipped = 0;
  /** False while re-reading lines before `skipToOffset`: metadata is kept, data dropped. */
  emitting = true;
  /** Points stay here across `drain`s until `takePoints` (see `StreamParserOptions.holdPoints`). */
  holdPoints = false;
  private held = 0;

  private errorCount = 0;
  private suppressed = 0;

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
        t: new Float64Array(SinkDefaults.initialCapacity),
        v: new Float64Array(SinkDefaults.initialCapacity),
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
      const t2 = new Float64Array(slot.n * 2);
      const v2 = new Float64Array(slot.n * 2);
      t2.set(slot.t);
      v2.set(slot.v);
      slot.t = t2;
      slot.v = v2;
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
      heldPoints
    };
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
        s.t = new Float64Array(s.t.length);
        s.v = new Float64Array(s.v.length);
      } else batches.push({ series: s.series, t: s.t.slice(0, n), v: s.v.slice(0, n) });
      s.n = 0;
      s.active = false;
    }
    this.active = [];
    this.held = 0;
    return batches;
  }
}
