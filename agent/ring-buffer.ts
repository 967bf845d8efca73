/**
 * Ring buffer of serialised stream messages with monotonically increasing sequence numbers.
 * Messages are kept as JSON text so a message is serialised once however many pages read it,
 * and the byte cap bounds memory no matter how large single messages are.
 */

export const RingDefaults = {
  /** Messages kept; at 1 Hz samples alone this is close to three hours. */
  capacity: 10_000,
  /** Keeps the agent's resident set small even when metrics texts are large. */
  maxBytes: 16 * 1024 * 1024
} as const;

export interface RingEntry {
  seq: number;
  /** JSON text of the message, which carries `seq` itself. */
  json: string;
}

export interface RingBufferOptions {
  /** The first sequence number handed out. */
  firstSeq: number;
  capacity?: number;
  maxBytes?: number;
}

/** What a reader resuming after `after` should receive. */
export interface ReadResult {
  entries: RingEntry[];
  /** Set when messages after `after` were already evicted: the first seq still held. */
  gapFirstAvailable?: number;
}

export class RingBuffer {
  readonly capacity: number;
  readonly maxBytes: number;
  private readonly slots: (RingEntry | undefined)[];
  private head = 0;
  private count = 0;
  private bytes = 0;
  private nextSeq: number;

  constructor(options: RingBufferOptions) {
    this.capacity = Math.max(1, Math.floor(options.capacity ?? RingDefaults.capacity));
    this.maxBytes = Math.max(1, options.maxBytes ?? RingDefaults.maxBytes);
    this.slots = new Array(this.capacity);
    this.nextSeq = options.firstSeq;
  }

  /** Seq of the oldest message held, or the next seq to be written when empty. */
  get firstSeq(): number {
    return this.count === 0 ? this.nextSeq : (this.slots[this.head] as RingEntry).seq;
  }

  /** Seq of the newest message, or `firstSeq - 1` when nothing was ever written. */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  get size(): number {
    return this.count;
  }

  get byteSize(): number {
    return this.bytes;
  }

  /**
   * Appends a message built from its seq, evicting the oldest on overflow.
   * O(1) amortised.
   * @example ring.push((seq) => JSON.stringify({ seq, kind: 'sample', t, points }))
   */
  push(build: (seq: number) => string): number {
    const seq = this.nextSeq++;
    const json = build(seq);
    if (this.count === this.capacity) this.evictOldest();
    const idx = (this.head + this.count) % this.capacity;
    this.slots[idx] = { seq, json };
    this.count++;
    this.bytes += json.length;
    // The newest message always stays, even when it alone exceeds the byte cap.
    while (this.bytes > this.maxBytes && this.count > 1) this.evictOldest();
    return seq;
  }

  /**
   * Messages with seq > `after`, oldest first, at most `maxCount` of them and about
   * `maxBytes` of JSON (always at least one). Empty when nothing newer exists.
   * O(log n + k).
   * @example ring.readAfter(41, { maxCount: 100, maxBytes: 1 << 20 })
   */
  readAfter(after: number, limits: { maxCount?: number; maxBytes?: number } = {}): ReadResult {
    const maxCount = limits.maxCount ?? Infinity;
    const maxBytes = limits.maxBytes ?? Infinity;
    const result: ReadResult = { entries: [] };
    if (this.count === 0) return result;
    const first = this.firstSeq;
    let from = after + 1;
    if (from < first) {
      result.gapFirstAvailable = first;
      from = first;
    }
    if (from > this.lastSeq) return result;
    // Seqs are contiguous inside the ring, so the slot follows from the seq directly.
    let offset = from - first;
    let bytes = 0;
    while (offset < this.count && result.entries.length < maxCount) {
      const entry = this.slots[(this.head + offset) % this.capacity] as RingEntry;
      if (result.entries.length > 0 && bytes + entry.json.length > maxBytes) break;
      result.entries.push(entry);
      bytes += entry.json.length;
      offset++;
    }
    return result;
  }

  private evictOldest(): void {
    const entry = this.slots[this.head] as RingEntry;
    this.bytes -= entry.json.length;
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
  }
}
