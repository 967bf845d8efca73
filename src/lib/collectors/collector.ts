/**
 * What every in-page collector shares: the point shape it records, the context it gets, and
 * the per-series buffer that turns many small observations into one columnar ingest per
 * second (collectors never ingest per frame).
 */
import type { PointBatch, ResultEvent, SeriesCategory, SeriesKind } from '$lib/types';
import { seriesKey } from '$lib/types/series-key';

export type CollectorId =
  'frames' | 'longFrames' | 'webVitals' | 'eventTiming' | 'memory' | 'storage';

/** One observation of a browser series; `source` is always 'browser'. */
export interface BrowserPoint {
  name: string;
  unit: string;
  category: SeriesCategory;
  kind?: SeriesKind;
  labels?: Record<string, string>;
  t: number;
  v: number;
}

export interface CollectorContext {
  /** Labels identifying this tab, added to every point. */
  labels: Record<string, string>;
  add(point: BrowserPoint): void;
  addEvent(event: ResultEvent): void;
  /** Runs collector code and counts its time as this collector's overhead. */
  timed<T>(fn: () => T): T;
  /** Wall clock (epoch ms). */
  now(): number;
}

export interface Collector {
  readonly id: CollectorId;
  /** Why it cannot run in this browser, or null when it can. */
  unsupported(): string | null;
  start(ctx: CollectorContext): void;
  /** Called once a second: emit the aggregates of the second that ended at `t`. */
  tick(t: number): void;
  stop(): void;
}

interface Column {
  name: string;
  labels: Record<string, string>;
  unit: string;
  kind: SeriesKind;
  category: SeriesCategory;
  t: number[];
  v: number[];
}

/** Buffer size that forces a drop of the oldest second (the store may be closed for an upgrade). */
export const PointBufferDefaults = { maxPoints: 100_000 };

/**
 * Accumulates points per series and hands them out as columnar batches. O(1) per point.
 * @example
 * const b = new PointBuffer(); b.add({ name: 'fps', unit: 'fps', category: 'ux', t: 1000, v: 60 });
 * b.drain() // [{ series: { name: 'fps', source: 'browser', … }, t: [1000], v: [60] }]
 */
export class PointBuffer {
  #columns = new Map<string, Column>();
  #size = 0;
  #dropped = 0;

  constructor(private readonly maxPoints = PointBufferDefaults.maxPoints) {}

  get size(): number {
    return this.#size;
  }

  /** Points dropped because the buffer was full. */
  get dropped(): number {
    return this.#dropped;
  }

  add(p: BrowserPoint): void {
    if (!Number.isFinite(p.v) || !Number.isFinite(p.t)) return;
    if (this.#size >= this.maxPoints) {
      this.#dropped++;
      return;
    }
    const labels = p.labels ?? {};
    const key = seriesKey(p.name, labels);
    let col = this.#columns.get(key);
    if (!col) {
      col = {
        name: p.name,
        labels,
        unit: p.unit,
        kind: p.kind ?? 'gauge',
        category: p.category,
        t: [],
        v: []
      };
      this.#columns.set(key, col);
    }
    col.t.push(p.t);
    col.v.push(p.v);
    this.#size++;
  }

  /** Everything buffered, as batches sorted by time per series; the buffer is emptied. */
  drain(): PointBatch[] {
    const out: PointBatch[] = [];
    for (const col of this.#columns.values()) {
      const order = col.t.map((_, i) => i).sort((a, b) => col.t[a] - col.t[b]);
      out.push({
        series: {
          name: col.name,
          labels: { ...col.labels },
          unit: col.unit,
          kind: col.kind,
          source: 'browser',
          category: col.category
        },
        t: Float64Array.from(order, (i) => col.t[i]),
        v: Float64Array.from(order, (i) => col.v[i])
      });
    }
    this.#columns.clear();
    this.#size = 0;
    return out;
  }
}
