/**
 * Feeds live window buffers incrementally. Every change notice only marks its series
 * pending; one read loop at a time asks for the points after each buffer's newest, so at
 * any load at most one round of reads is in flight and charts touch only new data.
 * Plain (non-reactive) on purpose: it changes up to 60 times a second and the charts
 * draw from it through the frame scheduler, not through Svelte's reactivity.
 */
import { computePointRates } from '$lib/analytics/rate';
import type { Columnar, IdRanges } from '$lib/types';
import { idRangesHas } from '$lib/types/id-ranges';
import { LiveBuffer, LiveWindowDefaults } from './live-buffer';

/** How a chart wants a series. */
export interface FeedOptions {
  /** A counter: keep per-second rates (reset-aware, analytics/rate.ts), not raw values. */
  rate?: boolean;
  /** Newest point known (series list): an idle series' window ends there, not now. */
  lastT?: number;
}

/** Called with the points just appended (views into the read; copy to keep them). */
type Listener = (t: Float64Array, v: Float64Array) => void;

export interface LiveFeedOptions {
  /** Reads stored raw points of a series in [from, to] (the engine's readRaw). */
  readRaw: (seriesId: number, from: number, to: number) => Promise<Columnar>;
  now: () => number;
  windowMs?: number;
}

export class LiveFeed {
  readonly windowMs: number;
  #options: LiveFeedOptions;
  #buffers = new Map<number, LiveBuffer>();
  #listeners = new Map<number, Set<Listener>>();
  #pending = new Set<number>();
  #wants = new Map<number, FeedOptions>();
  /** Last raw point of each rate series, the start of its next interval. */
  #prevRaw = new Map<number, { t: number; v: number }>();
  #reading = false;
  #stopped = false;
  /** Read rounds and points appended, for tests and benchmarks. */
  readonly stats = { rounds: 0, points: 0 };

  constructor(options: LiveFeedOptions) {
    this.#options = options;
    this.windowMs = options.windowMs ?? LiveWindowDefaults.windowMs;
  }

  /** The window buffer of a series (created on first use). */
  buffer(seriesId: number): LiveBuffer {
    let b = this.#buffers.get(seriesId);
    if (!b) {
      b = new LiveBuffer({ windowMs: this.windowMs });
      this.#buffers.set(seriesId, b);
    }
    return b;
  }

  /** Whether a chart shows this series. */
  has(seriesId: number): boolean {
    return this.#listeners.has(seriesId);
  }

  /**
   * A chart wants the live window of `seriesId`: the buffer is filled with the window, then
   * `onData` is called whenever new points were appended. Returns the undo.
   */
  attach(seriesId: number, onData: Listener, options: FeedOptions = {}): () => void {
    let set = this.#listeners.get(seriesId);
    if (!set) {
      set = new Set();
      this.#listeners.set(seriesId, set);
      this.#wants.set(seriesId, options);
    }
    set.add(onData);
    this.mark([seriesId]);
    return () => {
      set.delete(onData);
      if (set.size === 0) {
        this.#listeners.delete(seriesId);
        this.#buffers.delete(seriesId);
        this.#wants.delete(seriesId);
        this.#prevRaw.delete(seriesId);
      }
    };
  }

  /** New points were stored for these series: read them (charted ones only). */
  mark(seriesIds: number[]): void {
    for (const id of seriesIds) if (this.#listeners.has(id)) this.#pending.add(id);
    void this.#drain();
  }

  /**
   * A change notice's id ranges: only the charted series are looked up (a few dozen near
   * the viewport), not the thousands a delivery touched. O(charted × log ranges).
   */
  markRanges(ranges: IdRanges): void {
    for (const id of this.#listeners.keys()) if (idRangesHas(ranges, id)) this.#pending.add(id);
    void this.#drain();
  }

  /** The store was cleared: forget every window. */
  clear(): void {
    for (const b of this.#buffers.values()) b.clear();
    this.#prevRaw.clear();
  }

  stop(): void {
    this.#stopped = true;
    this.#pending.clear();
  }

  /** Resolves when no read is pending (tests). */
  async settle(): Promise<void> {
    while (this.#reading || this.#pending.size) await new Promise((r) => setTimeout(r, 5));
  }

  async #drain(): Promise<void> {
    if (this.#reading) return;
    this.#reading = true;
    try {
      while (this.#pending.size && !this.#stopped) {
        const ids = [...this.#pending];
        this.#pending.clear();
        this.stats.rounds++;
        await Promise.all(ids.map((id) => this.#readNew(id)));
      }
    } finally {
      this.#reading = false;
    }
  }

  async #readNew(seriesId: number): Promise<void> {
    const listeners = this.#listeners.get(seriesId);
    if (!listeners) return;
    const buffer = this.buffer(seriesId);
    const options = this.#wants.get(seriesId) ?? {};
    const prev = this.#prevRaw.get(seriesId);
    const since = prev?.t ?? buffer.lastT;
    const end = Math.min(this.#options.now(), options.lastT ?? Infinity);
    const from = Number.isFinite(since) ? since : end - this.windowMs;
    try {
      const { t, v } = await this.#options.readRaw(seriesId, from, Number.MAX_VALUE);
      let start = 0;
      while (start < t.length && t[start] <= since) start++;
      if (start === t.length) return;
      let tNew = t.subarray(start);
      let vNew = v.subarray(start);
      if (options.rate) {
        this.#prevRaw.set(seriesId, { t: tNew[tNew.length - 1], v: vNew[vNew.length - 1] });
        ({ t: tNew, v: vNew } = toRates(prev, tNew, vNew));
        if (tNew.length === 0) return;
      }
      buffer.append(tNew, vNew);
      this.stats.points += tNew.length;
      for (const l of listeners) l(tNew, vNew);
    } catch {
      // A closed database (upgrade) or a cleared store: the next notice reads again.
    }
  }
}

/** Per-second rates of new raw counter points, the first measured from `prev` if known. */
function toRates(
  prev: { t: number; v: number } | undefined,
  t: Float64Array,
  v: Float64Array
): Columnar {
  const withPrev = prev
    ? { t: Float64Array.of(prev.t, ...t), v: Float64Array.of(prev.v, ...v) }
    : { t, v };
  const rates = computePointRates(withPrev);
  // The first point only opens an interval (its rate is NaN).
  return { t: withPrev.t.subarray(1), v: rates.subarray(1) };
}
