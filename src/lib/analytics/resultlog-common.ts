/**
 * Helpers shared by the result-log views and queries: field normalisation (events come
 * from JSON imports, so any field may be null, missing or the wrong type), organisation
 * scoping and exact duration bags.
 */
import type { ResultEvent } from '$lib/types';

/** Statuses counted as success; everything else (failure, timeout, …) is a failure. */
export const SuccessStatuses: readonly string[] = ['success'];

/** Label used for a missing action type, status or trigger. */
export const UnknownLabel = 'unknown';

/**
 * The action type of an event, or `unknown` when missing or empty. O(1).
 * @example readActionType({ actionType: '' } as ResultEvent) // 'unknown'
 */
export function readActionType(e: ResultEvent): string {
  const a = e.actionType as unknown;
  return typeof a === 'string' && a !== '' ? a : UnknownLabel;
}

/**
 * The status of an event, lower-cased, or `unknown`. O(1).
 * @example readStatus({ status: 'SUCCESS' } as ResultEvent) // 'success'
 */
export function readStatus(e: ResultEvent): string {
  const s = e.status as unknown;
  return typeof s === 'string' && s !== '' ? s.toLowerCase() : UnknownLabel;
}

/**
 * Whether the event succeeded (its status is one of `SuccessStatuses`). O(1).
 * @example checkSuccess({ status: 'success' } as ResultEvent) // true
 */
export function checkSuccess(e: ResultEvent, statuses: readonly string[] = SuccessStatuses) {
  return statuses.includes(readStatus(e));
}

/**
 * The event's duration when it is a finite non-negative number, else NaN (a gap). O(1).
 * @example readDuration({ durationMs: null } as unknown as ResultEvent) // NaN
 */
export function readDuration(e: ResultEvent): number {
  const d = e.durationMs as unknown;
  return typeof d === 'number' && Number.isFinite(d) && d >= 0 ? d : NaN;
}

/**
 * Retries as a non-negative integer count; missing or invalid → 0. O(1).
 * @example readRetries({ retries: 2 } as ResultEvent) // 2
 */
export function readRetries(e: ResultEvent): number {
  const r = e.retries as unknown;
  return typeof r === 'number' && Number.isFinite(r) && r > 0 ? Math.floor(r) : 0;
}

/**
 * Trigger id, or undefined when missing or empty. O(1).
 * @example readTrigger({ triggerId: 't1' } as ResultEvent) // 't1'
 */
export function readTrigger(e: ResultEvent): string | undefined {
  const t = e.triggerId as unknown;
  return typeof t === 'string' && t !== '' ? t : undefined;
}

/**
 * Keeps only the organisation's events; `organisationId` undefined keeps all. Events
 * without an organisation never match a given id. O(n).
 * @example scopeToOrganisation(events, 'org-a')
 */
export function scopeToOrganisation(
  events: readonly ResultEvent[],
  organisationId: string | undefined
): readonly ResultEvent[] {
  if (organisationId === undefined) return events;
  return events.filter((e) => e && e.organisationId === organisationId);
}

/**
 * Division that answers `fallback` (default 0) instead of NaN/Infinity for a zero
 * denominator. O(1).
 * @example divideSafely(1, 0) // 0
 */
export function divideSafely(num: number, den: number, fallback = 0): number {
  return den === 0 || !Number.isFinite(den) ? fallback : num / den;
}

/** Spare capacity given to a growing bag, so small appends merge in place. */
const BagGrowth = 1.5;
/** Spare capacity on a bag's first fill: enough for several incremental batches. */
const FirstFillGrowth = 1.1;

/**
 * Exact multiset of durations kept sorted in a buffer with spare capacity. Single adds
 * wait in `pending` until `settle`; batches go through `DurationBatch`. New values are
 * merged in place from the back, so adding k values to a bag of n costs O(k log k + n)
 * and, while capacity lasts, allocates nothing — ArrayBuffer allocation is what
 * dominates when thousands of bags grow at once in a large heap.
 */
export class DurationBag {
  buf: Float64Array = new Float64Array(0);
  len = 0;
  pending: number[] = [];
  sum = 0;
  /** Slot in the `DurationBatch` being flushed; -1 outside a flush. */
  batchIndex = -1;
  batchCount = 0;

  add(d: number): void {
    this.pending.push(d);
    this.sum += d;
  }

  get size(): number {
    return this.len + this.pending.length;
  }

  /** The sorted values (a view; valid until the next merge). */
  get sorted(): Float64Array {
    this.settle();
    return this.buf.subarray(0, this.len);
  }

  /** Merges pending single adds. O(k log k + n). */
  settle(): void {
    const k = this.pending.length;
    if (k === 0) return;
    const add = Float64Array.from(this.pending).sort();
    this.pending = [];
    if (this.buf.length < this.len + k)
      this.moveTo(new Float64Array(Math.ceil((this.len + k) * BagGrowth) + 8));
    this.mergeInPlace(add);
  }

  /** Copies the current values into `target` (which must hold len + what comes next). */
  moveTo(target: Float64Array): void {
    target.set(this.buf.subarray(0, this.len));
    this.buf = target;
  }

  /** Merges an ascending run; the buffer must already have room. O(n + k). */
  mergeInPlace(add: Float64Array): void {
    const buf = this.buf;
    let i = this.len - 1;
    let j = add.length - 1;
    let o = this.len + add.length - 1;
    while (j >= 0) buf[o--] = i >= 0 && buf[i] > add[j] ? buf[i--] : add[j--];
    this.len += add.length;
  }

  /** Exact type-7 quantile; NaN when empty. O(1) after settling. */
  quantile(q: number): number {
    this.settle();
    const n = this.len;
    if (n === 0 || !(q >= 0 && q <= 1)) return NaN;
    const h = (n - 1) * q;
    const lo = Math.floor(h);
    const frac = h - lo;
    const b = this.buf;
    return frac === 0 || lo + 1 >= n ? b[lo] : b[lo] + frac * (b[lo + 1] - b[lo]);
  }
}

/** Bags one duration can go to (hourly overall, hourly per organisation, trigger). */
const BagsPerValue = 3;

/**
 * Collects the durations of one ingest batch with the (up to three) bags each belongs to,
 * and settles them together: values are scattered straight into the free tail of their
 * bags' buffers (growing bags move into one shared slab first), each run is sorted in
 * place and merged backwards. A batch therefore costs a handful of allocations whatever
 * the number of bags it touches, and each value is stored once — external (ArrayBuffer)
 * memory is what makes V8 run a full mark-compact over the caller's whole heap, so it is
 * kept small.
 */
export class DurationBatch {
  private readonly touched: DurationBag[] = [];
  private slots: Int32Array;
  private values: Float64Array;
  /** Values pushed so far; the last one receives `add`s. */
  private n = 0;
  private k = BagsPerValue;

  constructor(capacity: number) {
    this.values = new Float64Array(Math.max(16, capacity));
    this.slots = new Int32Array(this.values.length * BagsPerValue).fill(-1);
  }

  /** Starts a new value; following `add`s put it in their bags. */
  push(d: number): void {
    if (this.n === this.values.length) {
      const values = new Float64Array(this.values.length * 2);
      values.set(this.values);
      this.values = values;
      const slots = new Int32Array(values.length * BagsPerValue).fill(-1);
      slots.set(this.slots);
      this.slots = slots;
    }
    this.values[this.n++] = d;
    this.k = 0;
  }

  /** Adds the last pushed value to `bag` (at most three bags per value). */
  add(bag: DurationBag): void {
    if (this.n === 0 || this.k >= BagsPerValue)
      throw new RangeError('push a value before adding it');
    if (bag.batchIndex < 0) {
      bag.batchIndex = this.touched.length;
      bag.batchCount = 0;
      this.touched.push(bag);
    }
    bag.batchCount++;
    bag.sum += this.values[this.n - 1];
    this.slots[(this.n - 1) * BagsPerValue + this.k++] = bag.batchIndex;
  }

  /** Sorts and merges every pending duration into its bags. O(k log k + Σ touched sizes). */
  flush(): void {
    const n = this.n;
    const touched = this.touched;
    if (n === 0 || touched.length === 0) {
      this.n = 0;
      return;
    }
    const m = touched.length;
    // First fills get a little headroom (so the next few small batches merge in place
    // without allocating); bags that outgrow it get more.
    const capacityOf = (b: DurationBag) =>
      b.len === 0
        ? Math.ceil(b.batchCount * FirstFillGrowth) + 16
        : Math.ceil((b.len + b.batchCount) * BagGrowth) + 8;
    let slabSize = 0;
    let longestRun = 0;
    for (let j = 0; j < m; j++) {
      const b = touched[j];
      b.settle();
      if (b.buf.length < b.len + b.batchCount) slabSize += capacityOf(b);
      if (b.len > 0 && b.batchCount > longestRun) longestRun = b.batchCount;
    }
    const slab = new Float64Array(slabSize);
    let at = 0;
    const cursor = new Int32Array(m);
    for (let j = 0; j < m; j++) {
      const b = touched[j];
      if (b.buf.length < b.len + b.batchCount) {
        const cap = capacityOf(b);
        b.moveTo(slab.subarray(at, at + cap));
        at += cap;
      }
      cursor[j] = b.len;
    }
    const slots = this.slots;
    for (let i = 0; i < n; i++) {
      const v = this.values[i];
      for (let k = i * BagsPerValue, end = k + BagsPerValue; k < end; k++) {
        const j = slots[k];
        if (j < 0) break;
        touched[j].buf[cursor[j]++] = v;
        slots[k] = -1;
      }
    }
    const temp = new Float64Array(longestRun);
    for (let j = 0; j < m; j++) {
      const b = touched[j];
      const k = b.batchCount;
      sortRange(b.buf, b.len, b.len + k);
      if (b.len === 0) b.len = k;
      else {
        const copy = temp.subarray(0, k);
        copy.set(b.buf.subarray(b.len, b.len + k));
        b.mergeInPlace(copy);
      }
      b.batchIndex = -1;
    }
    this.n = 0;
    touched.length = 0;
  }
}

const InsertionSortMax = 24;

/**
 * Sorts a[lo..hi) ascending in place (no NaN expected): quicksort with median-of-three
 * and insertion sort for short ranges. Used for the many short runs of a batch, where
 * `TypedArray#sort` costs more in per-call overhead and temporary storage than in
 * comparisons. Expected O(k log k).
 * @example sortRange(Float64Array.of(3, 1, 2), 0, 3) // [1, 2, 3]
 */
export function sortRange(a: Float64Array, lo: number, hi: number): void {
  while (hi - lo > InsertionSortMax) {
    const mid = (lo + hi) >>> 1;
    const last = hi - 1;
    if (a[mid] < a[lo]) swapAt(a, mid, lo);
    if (a[last] < a[lo]) swapAt(a, last, lo);
    if (a[last] < a[mid]) swapAt(a, last, mid);
    const pivot = a[mid];
    let i = lo;
    let j = last;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swapAt(a, i, j);
        i++;
        j--;
      }
    }
    // Recurse into the smaller side, loop on the larger: stack depth O(log k).
    if (j - lo < hi - i) {
      sortRange(a, lo, j + 1);
      lo = i;
    } else {
      sortRange(a, i, hi);
      hi = j + 1;
    }
  }
  for (let i = lo + 1; i < hi; i++) {
    const x = a[i];
    let j = i - 1;
    while (j >= lo && a[j] > x) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = x;
  }
}

function swapAt(a: Float64Array, i: number, j: number): void {
  const x = a[i];
  a[i] = a[j];
  a[j] = x;
}

/** Success and latency of a set of events by the one definition every page uses. */
export interface EventOutcomes {
  events: number;
  successes: number;
  /** successes ÷ events; NaN with no events. */
  successRate: number;
  /** 1 − successRate; NaN with no events. */
  errorRate: number;
  /** Events with a usable duration (null, missing, negative or non-finite ones are gaps). */
  timed: number;
  /** Exact type-7 p95 of the usable durations; NaN with none. */
  p95Ms: number;
}

/**
 * The shared definition of success and latency for Live, Events and Insights: an event
 * succeeded when its status, compared case-insensitively, is one of `statuses`
 * (`checkSuccess`), and latency figures leave out events without a usable duration
 * (`readDuration`) instead of reading them as 0 ms. Empty → NaN rates. O(n log n).
 * @example summariseOutcomes([{ status: 'SUCCESS', durationMs: null }]).successRate // 1
 */
export function summariseOutcomes(
  events: readonly ResultEvent[],
  statuses: readonly string[] = SuccessStatuses
): EventOutcomes {
  let successes = 0;
  const bag = new DurationBag();
  for (const e of events) {
    if (checkSuccess(e, statuses)) successes++;
    const d = readDuration(e);
    if (!Number.isNaN(d)) bag.add(d);
  }
  const n = events.length;
  const successRate = n === 0 ? NaN : successes / n;
  return {
    events: n,
    successes,
    successRate,
    errorRate: n === 0 ? NaN : 1 - successRate,
    timed: bag.size,
    p95Ms: bag.quantile(0.95)
  };
}
