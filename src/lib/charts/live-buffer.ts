/**
 * The live window of one series in constant memory: a ring of time buckets, each keeping
 * min and max (with their times) and the last value. A 5-minute window at 10,000 points/s
 * would hold 3 million raw points; the ring holds `bucketCount` slots however fast points
 * arrive, and appending is O(1) per point, so live charts only ever touch new data.
 */
import type { ChartPoint, PointSink } from './decimate';

/**
 * Defaults of the live window: the last 5 minutes in 300 columns of 1 s, about one per
 * pixel column of a dashboard tile (two points each: min and max).
 */
export const LiveWindowDefaults = { windowMs: 300_000, bucketCount: 300 };

export class LiveBuffer {
  readonly windowMs: number;
  readonly bucketMs: number;
  readonly size: number;
  /** Bucket number held by each slot (floor(t / bucketMs)); -Infinity when empty. */
  #key: Float64Array;
  #min: Float64Array;
  #minT: Float64Array;
  #max: Float64Array;
  #maxT: Float64Array;
  #gapT: Float64Array;
  #count: Uint32Array;
  /** Newest point seen (any bucket). */
  lastT = -Infinity;
  lastV = NaN;

  constructor(options: Partial<typeof LiveWindowDefaults> = {}) {
    this.windowMs = options.windowMs ?? LiveWindowDefaults.windowMs;
    const count = options.bucketCount ?? LiveWindowDefaults.bucketCount;
    this.bucketMs = this.windowMs / count;
    // One extra slot so the partly filled oldest bucket survives while the newest fills.
    this.size = count + 2;
    this.#key = new Float64Array(this.size).fill(-Infinity);
    this.#min = new Float64Array(this.size);
    this.#minT = new Float64Array(this.size);
    this.#max = new Float64Array(this.size);
    this.#maxT = new Float64Array(this.size);
    this.#gapT = new Float64Array(this.size).fill(NaN);
    this.#count = new Uint32Array(this.size);
  }

  /** Appends points (any order); points older than the ring's reach are dropped. O(n). */
  append(t: ArrayLike<number>, v: ArrayLike<number>): void {
    for (let i = 0; i < t.length; i++) this.push(t[i], v[i]);
  }

  /** Appends one point. */
  push(t: number, v: number): void {
    const key = Math.floor(t / this.bucketMs);
    const slot = ((key % this.size) + this.size) % this.size;
    const held = this.#key[slot];
    if (held > key) return; // too old: its slot already holds a newer bucket
    if (held < key) {
      this.#key[slot] = key;
      this.#count[slot] = 0;
      this.#gapT[slot] = NaN;
    }
    if (t >= this.lastT) {
      this.lastT = t;
      this.lastV = v;
    }
    if (Number.isNaN(v)) {
      if (Number.isNaN(this.#gapT[slot])) this.#gapT[slot] = t;
      return;
    }
    if (this.#count[slot] === 0) {
      this.#min[slot] = this.#max[slot] = v;
      this.#minT[slot] = this.#maxT[slot] = t;
    } else {
      if (v < this.#min[slot]) {
        this.#min[slot] = v;
        this.#minT[slot] = t;
      }
      if (v > this.#max[slot]) {
        this.#max[slot] = v;
        this.#maxT[slot] = t;
      }
    }
    this.#count[slot]++;
  }

  /** Forgets everything (e.g. after the store was cleared). */
  clear(): void {
    this.#key.fill(-Infinity);
    this.#count.fill(0);
    this.#gapT.fill(NaN);
    this.lastT = -Infinity;
    this.lastV = NaN;
  }

  /**
   * Writes the window ending at `now` into `pool` as chart points in time order (min and
   * max of each bucket, a NaN where a gap was recorded); returns how many. O(bucketCount).
   */
  toPoints(now: number, pool: PointSink): number {
    const last = Math.floor(now / this.bucketMs);
    const first = Math.floor((now - this.windowMs) / this.bucketMs);
    let out = 0;
    for (let key = first; key <= last; key++) {
      const slot = ((key % this.size) + this.size) % this.size;
      if (this.#key[slot] !== key) continue;
      const gap = this.#gapT[slot];
      const n = this.#count[slot];
      if (n === 0) {
        if (!Number.isNaN(gap)) pool.set(out++, gap, NaN);
        continue;
      }
      const a = this.#minT[slot] <= this.#maxT[slot];
      const t1 = a ? this.#minT[slot] : this.#maxT[slot];
      const v1 = a ? this.#min[slot] : this.#max[slot];
      const t2 = a ? this.#maxT[slot] : this.#minT[slot];
      const v2 = a ? this.#max[slot] : this.#min[slot];
      if (!Number.isNaN(gap) && gap < t1) pool.set(out++, gap, NaN);
      pool.set(out++, t1, v1);
      if (!Number.isNaN(gap) && gap > t1 && gap < t2) pool.set(out++, gap, NaN);
      if (t2 !== t1 || v2 !== v1) pool.set(out++, t2, v2);
      if (!Number.isNaN(gap) && gap > t2) pool.set(out++, gap, NaN);
    }
    return out;
  }

  /**
   * The kept point (a bucket's min or max) nearest to `t` within `reachMs`, or null: what
   * a hover tooltip reads. O(reachMs / bucketMs).
   */
  nearest(t: number, reachMs = 15_000): ChartPoint | null {
    const centre = Math.floor(t / this.bucketMs);
    const reach = Math.ceil(reachMs / this.bucketMs);
    let best: ChartPoint | null = null;
    let bestD = Infinity;
    for (let d = 0; d <= reach; d++) {
      for (const key of d === 0 ? [centre] : [centre - d, centre + d]) {
        const slot = ((key % this.size) + this.size) % this.size;
        if (this.#key[slot] !== key || this.#count[slot] === 0) continue;
        for (const [pt, pv] of [
          [this.#minT[slot], this.#min[slot]],
          [this.#maxT[slot], this.#max[slot]]
        ]) {
          const dist = Math.abs(pt - t);
          if (dist <= reachMs && dist < bestD) {
            bestD = dist;
            best = { x: pt, y: pv };
          }
        }
      }
      // Buckets further out hold only points further away than one already found.
      if (best && bestD <= d * this.bucketMs) break;
    }
    return best;
  }

  /** The window as plain rows (for the table view), oldest first. */
  toRows(now: number): ChartPoint[] {
    const rows: ChartPoint[] = [];
    this.toPoints(now, { set: (_i, x, y) => void rows.push({ x, y }) });
    return rows;
  }
}
