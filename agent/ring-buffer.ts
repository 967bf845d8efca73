/**
 * Ring buffer of serialised stream messages with monotonically increasing sequence numbers.
 * Messages are kept as JSON text so a message is serialised once however many pages read it.
 * It holds the last `maxAgeMs` of messages or `maxBytes` of them, whichever is less (plus a
 * count cap as a backstop), so a page that reconnects within that window misses nothing and
 * memory stays bounded however large or frequent messages are. Slots grow on demand: a
 * mostly idle agent does not pay for the worst case up front.
 */

export const RingDefaults = {
  /**
   * Time window: covers a page reload, a busy main thread, a short network hiccup or a
   * suspended laptop lid; longer outages are told as a `gap`.
   */
  maxAgeMs: 120_000,
  /**
   * Byte cap: 10,000 series of Prometheus text at 1 Hz is ~0.6–0.9 MB/s, so this holds
   * 70–100 s of that load while the agent stays under ~110 MiB resident; at the usual
   * host-only 1 Hz (~6 KB/s) the time window binds first and the buffer holds < 1 MiB.
   */
  maxBytes: 64 * 1024 * 1024,
  /** Backstop on the number of messages (e.g. a burst of tiny events). */
  capacity: 1_000_000
} as const;

/** Bytes charged per message on top of its JSON: the entry object and its slot. */
export const EntryOverheadBytes = 64;

/** Slots allocated up front; doubled as needed, never beyond `capacity`. */
const InitialSlots = 1024;

export interface RingEntry {
  seq: number;
  /** JSON text of the message, which carries `seq` itself. */
  json: string;
  /** When it was pushed (the ring's clock), for the time window and lag reports. */
  at: number;
}

export interface RingBufferOptions {
  /** The first sequence number handed out. */
  firstSeq: number;
  capacity?: number;
  maxBytes?: number;
  maxAgeMs?: number;
  /** Clock for the time window; defaults to Date.now. */
  now?: () => number;
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
  readonly maxAgeMs: number;
  private readonly now: () => number;
  private slots: (RingEntry | undefined)[];
  private head = 0;
  private count = 0;
  private bytes = 0;
  private nextSeq: number;
  private evicted = 0;
  /** The first seq this ring ever handed out. */
  readonly startSeq: number;

  constructor(options: RingBufferOptions) {
    this.capacity = Math.max(1, Math.floor(options.capacity ?? RingDefaults.capacity));
    this.maxBytes = Math.max(1, options.maxBytes ?? RingDefaults.maxBytes);
    this.maxAgeMs = Math.max(1, options.maxAgeMs ?? RingDefaults.maxAgeMs);
    this.now = options.now ?? Date.now;
    this.slots = new Array(Math.min(this.capacity, InitialSlots));
    this.nextSeq = options.firstSeq;
    this.startSeq = options.firstSeq;
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

  /** Bytes charged: JSON length plus `EntryOverheadBytes` per message. */
  get byteSize(): number {
    return this.bytes;
  }

  /** Messages evicted since start (by age, bytes or count). */
  get evictedCount(): number {
    return this.evicted;
  }

  /**
   * Messages of this ring a reader resuming after `after` can no longer get: those it never
   * saw that were already evicted. Seqs before `startSeq` (an earlier run, or `after=0`) are
   * not counted: they were never this ring's.
   */
  lostAfter(after: number): number {
    return Math.max(0, this.firstSeq - Math.max(after + 1, this.startSeq));
  }

  /** Push time of the oldest message held, or undefined when empty. */
  get oldestAt(): number | undefined {
    return this.count === 0 ? undefined : (this.slots[this.head] as RingEntry).at;
  }

  /** Push time of message `seq` if it is still held. O(1). */
  timeOf(seq: number): number | undefined {
    const offset = seq - this.firstSeq;
    if (offset < 0 || offset >= this.count) return undefined;
    return (this.slots[(this.head + offset) % this.slots.length] as RingEntry).at;
  }

  /**
   * Appends a message built from its seq, evicting the oldest past the time window, the
   * byte cap or the count cap. O(1) amortised.
   * @example ring.push((seq) => JSON.stringify({ seq, kind: 'sample', t, points }))
   */
  push(build: (seq: number) => string): number {
    const seq = this.nextSeq++;
    const json = build(seq);
    const at = this.now();
    if (this.count === this.capacity) this.evictOldest();
    if (this.count === this.slots.length) this.grow();
    const idx = (this.head + this.count) % this.slots.length;
    this.slots[idx] = { seq, json, at };
    this.count++;
    this.bytes += json.length + EntryOverheadBytes;
    // The newest message always stays, even when it alone exceeds the byte cap.
    while (this.bytes > this.maxBytes && this.count > 1) this.evictOldest();
    this.evictExpired(at);
    return seq;
  }

  /**
   * Drops messages older than the time window (never the newest); returns how many.
   * Called on every push and periodically by the stream hub, so an idle agent lets go too.
   */
  evictExpired(now = this.now()): number {
    let n = 0;
    while (this.count > 1 && (this.slots[this.head] as RingEntry).at < now - this.maxAgeMs) {
      this.evictOldest();
      n++;
    }
    return n;
  }

  /**
   * Messages with seq > `after`, oldest first, at most `maxCount` of them and about
   * `maxBytes` of JSON (always at least one). Empty when nothing newer exists.
   * O(k).
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
      const entry = this.slots[(this.head + offset) % this.slots.length] as RingEntry;
      if (result.entries.length > 0 && bytes + entry.json.length > maxBytes) break;
      result.entries.push(entry);
      bytes += entry.json.length;
      offset++;
    }
    return result;
  }

  private grow(): void {
    const next: (RingEntry | undefined)[] = new Array(
      Math.min(this.capacity, this.slots.length * 2)
    );
    for (let i = 0; i < this.count; i++) next[i] = this.slots[(this.head + i) % this.slots.length];
    this.slots = next;
    this.head = 0;
  }

  private evictOldest(): void {
    const entry = this.slots[this.head] as RingEntry;
    this.bytes -= entry.json.length + EntryOverheadBytes;
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.slots.length;
    this.count--;
    this.evicted++;
  }
}
