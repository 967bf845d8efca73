import type { Columnar, SeriesDescriptor } from '$lib/types';
import { seriesKey } from '$lib/types/series-key';
import { concatColumnar } from '$lib/db/metric-store';

/** Flush when this many points are buffered, or at the end of the current task. */
export const IngestQueueDefaults = { flushPoints: 262_144 };

interface Pending {
  series: SeriesDescriptor;
  parts: Columnar[];
}

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Buffers columnar batches per series and writes them in few large transactions: every
 * batch that arrives while a flush is running joins the next one. A batch's promise
 * resolves only after the transaction holding it completed (strict durability), and
 * rejects with that transaction's error — nothing is acknowledged that is not stored.
 */
export class IngestQueue {
  private pending = new Map<string, Pending>();
  private waiters: Waiter[] = [];
  private buffered = 0;
  private running: Promise<void> | null = null;
  private scheduled = false;

  constructor(
    private readonly write: (
      batches: { series: SeriesDescriptor; t: Float64Array; v: Float64Array }[]
    ) => Promise<void>,
    private readonly options = IngestQueueDefaults
  ) {}

  /** Queues batches; resolves once they are durably stored. */
  push(batches: { series: SeriesDescriptor; t: Float64Array; v: Float64Array }[]): Promise<void> {
    for (const b of batches) {
      if (b.t.length !== b.v.length) {
        return Promise.reject(
          new RangeError(`Batch for ${b.series.name}: ${b.t.length} times but ${b.v.length} values`)
        );
      }
    }
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    for (const b of batches) {
      if (b.t.length === 0) continue;
      const key = seriesKey(b.series.name, b.series.labels);
      let p = this.pending.get(key);
      if (!p) {
        p = { series: b.series, parts: [] };
        this.pending.set(key, p);
      }
      p.parts.push({ t: b.t, v: b.v });
      this.buffered += b.t.length;
    }
    this.schedule();
    return done;
  }

  /** Points waiting for the next flush. */
  get size(): number {
    return this.buffered;
  }

  /** Resolves when everything queued so far is stored. */
  async drain(): Promise<void> {
    while (this.running || this.waiters.length > 0) {
      if (this.running) await this.running.catch(() => {});
      else await this.flush();
    }
  }

  private schedule(): void {
    if (this.running) return;
    if (this.buffered >= this.options.flushPoints) {
      void this.flush();
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      if (!this.running) void this.flush();
    }, 0);
  }

  private flush(): Promise<void> {
    if (this.running) return this.running;
    const pending = this.pending;
    const waiters = this.waiters;
    this.pending = new Map();
    this.waiters = [];
    this.buffered = 0;
    const batches = [...pending.values()].map((p) => ({
      series: p.series,
      ...concatColumnar(p.parts)
    }));
    this.running = (batches.length ? this.write(batches) : Promise.resolve()).then(
      () => {
        for (const w of waiters) w.resolve();
      },
      (e) => {
        for (const w of waiters) w.reject(e);
      }
    );
    const running = this.running;
    void running.finally(() => {
      this.running = null;
      if (this.waiters.length) this.schedule();
    });
    return running;
  }
}
