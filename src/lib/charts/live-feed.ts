/**
 * Feeds live window buffers incrementally. Every change notice only marks its series
 * pending; one read loop at a time asks for the points after each buffer's newest, so at
 * any load at most one round of reads is in flight and charts touch only new data.
 * Plain (non-reactive) on purpose: it changes up to 60 times a second and the charts
 * draw from it through the frame scheduler, not through Svelte's reactivity.
 */
import type { Columnar } from '$lib/types';
import { LiveBuffer, LiveWindowDefaults } from './live-buffer';

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
  attach(seriesId: number, onData: Listener): () => void {
    let set = this.#listeners.get(seriesId);
    if (!set) {
      set = new Set();
      this.#listeners.set(seriesId, set);
    }
    set.add(onData);
    this.mark([seriesId]);
    return () => {
      set.delete(onData);
      if (set.size === 0) {
        this.#listeners.delete(seriesId);
        this.#buffers.delete(seriesId);
      }
    };
  }

  /** New points were stored for these series: read them (charted ones only). */
  mark(seriesIds: number[]): void {
    for (const id of seriesIds) if (this.#listeners.has(id)) this.#pending.add(id);
    void this.#drain();
  }

  /** The store was cleared: forget every window. */
  clear(): void {
    for (const b of this.#buffers.values()) b.clear();
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
    const since = buffer.lastT;
    const from = Number.isFinite(since) ? since : this.#options.now() - this.windowMs;
    try {
      const { t, v } = await this.#options.readRaw(seriesId, from, Number.MAX_VALUE);
      let start = 0;
      while (start < t.length && t[start] <= since) start++;
      if (start === t.length) return;
      const tNew = t.subarray(start);
      const vNew = v.subarray(start);
      buffer.append(tNew, vNew);
      this.stats.points += tNew.length;
      for (const l of listeners) l(tNew, vNew);
    } catch {
      // A closed database (upgrade) or a cleared store: the next notice reads again.
    }
  }
}
