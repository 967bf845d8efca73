/**
 * Server-sent event fan-out from the ring buffer to connected pages. Each client keeps only
 * the last seq it was sent; the ring is the queue, so a slow client costs no memory and a
 * client that falls behind the ring is told so with a `gap` event (with how many messages it
 * lost) instead of silently missing messages. Writes are coalesced to at most
 * `maxEventsPerSecond` per client and stop while `res.write()` reports a full socket buffer.
 * A client that was blocked is told how far behind it fell (`lagged`) when it resumes; it
 * stays connected as long as what it still needs is in the ring, and is cut off (with a
 * final `lagged` event saying so) only once it has both lost messages and stayed blocked
 * past `maxBlockedMs`.
 */
import type { ServerResponse } from 'node:http';
import type { AgentSubscriberStatus } from '../src/lib/types';
import type { RingBuffer } from './ring-buffer';

export const StreamDefaults = {
  maxEventsPerSecond: 60,
  /** One SSE event carries at most this much JSON; more waits for the next slot. */
  maxEventBytes: 1024 * 1024,
  maxMessagesPerEvent: 5_000,
  heartbeatMs: 5_000,
  /**
   * A client whose socket stays full this long AND that fell off the ring is cut off; it can
   * resume with `after`. A blocked client whose messages are all still held stays.
   */
  maxBlockedMs: 10_000,
  /** A client blocked at least this long gets a `lagged` event when it resumes. */
  lagNoticeMs: 1_000,
  /** After the final `lagged` frame, a peer that reads nothing more is destroyed. */
  cutOffGraceMs: 5_000
} as const;

export interface StreamHubOptions {
  ring: RingBuffer;
  now: () => number;
  maxEventsPerSecond?: number;
  heartbeatMs?: number;
  maxBlockedMs?: number;
}

interface Client {
  id: number;
  connectedAt: number;
  dropped: number;
  res: ServerResponse;
  lastSent: number;
  lastWriteAt: number;
  timer: NodeJS.Timeout | undefined;
  blockedSince: number | undefined;
}

export class StreamHub {
  private readonly clients = new Set<Client>();
  private readonly minGapMs: number;
  /**
   * Clients whose next write is due now, flushed together on one setImmediate: with five
   * pages at 10 Hz, one callback per sample instead of a timer per page per sample.
   */
  private readonly due = new Set<Client>();
  private dueScheduled = false;
  private lastFrame: { after: number; last: number; frame: Buffer } | undefined;
  private readonly heartbeatTimer: NodeJS.Timeout;
  private readonly maxBlockedMs: number;
  private nextId = 1;

  constructor(private readonly options: StreamHubOptions) {
    this.minGapMs = 1000 / (options.maxEventsPerSecond ?? StreamDefaults.maxEventsPerSecond);
    this.maxBlockedMs = options.maxBlockedMs ?? StreamDefaults.maxBlockedMs;
    this.heartbeatTimer = setInterval(
      () => this.beat(),
      options.heartbeatMs ?? StreamDefaults.heartbeatMs
    );
    this.heartbeatTimer.unref();
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /**
   * Starts streaming to `res` from the message after `after`. Sends `hello` first, then a
   * `gap` when `after` is older than the ring (or from the future, e.g. a clock that went
   * back between agent runs), then everything newer.
   */
  attach(res: ServerResponse, options: { after: number; hello: unknown }): void {
    const ring = this.options.ring;
    let after = options.after;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no'
    });
    res.socket?.setNoDelay(true);
    res.write(`retry: 2000\nevent: hello\ndata: ${JSON.stringify(options.hello)}\n\n`);
    if (after > ring.lastSeq) {
      // Its `after` is from another run: whatever this run already evicted is lost to it.
      res.write(gapFrame(after, ring.firstSeq, ring.lostAfter(0)));
      after = ring.firstSeq - 1;
    }
    const client: Client = {
      id: this.nextId++,
      connectedAt: this.options.now(),
      dropped: 0,
      res,
      lastSent: after,
      lastWriteAt: -Infinity,
      timer: undefined,
      blockedSince: undefined
    };
    this.clients.add(client);
    res.on('close', () => this.detach(client));
    res.on('drain', () => this.resume(client));
    this.schedule(client);
  }

  /** Per-client lag, for `GET /v1/status`. O(clients). */
  subscribers(): AgentSubscriberStatus[] {
    const now = this.options.now();
    return [...this.clients].map((c) => this.lagOf(c, now));
  }

  /** Call after pushing to the ring. O(clients). */
  notify(): void {
    for (const client of this.clients) this.schedule(client);
  }

  /** Ends every stream (shutdown). */
  closeAll(): void {
    clearInterval(this.heartbeatTimer);
    for (const client of [...this.clients]) {
      this.detach(client);
      client.res.end();
    }
  }

  private detach(client: Client): void {
    if (client.timer) clearTimeout(client.timer);
    this.due.delete(client);
    this.clients.delete(client);
  }

  private schedule(client: Client): void {
    if (client.timer || this.due.has(client) || client.blockedSince !== undefined) return;
    if (client.lastSent >= this.options.ring.lastSeq) return;
    // Rounded up: timers fire on whole milliseconds, and rounding down would exceed the cap.
    const wait = Math.max(0, Math.ceil(client.lastWriteAt + this.minGapMs - this.options.now()));
    if (wait === 0) {
      this.due.add(client);
      if (!this.dueScheduled) {
        this.dueScheduled = true;
        setImmediate(() => {
          this.dueScheduled = false;
          const clients = [...this.due];
          this.due.clear();
          for (const c of clients) this.flush(c);
        });
      }
      return;
    }
    client.timer = setTimeout(() => {
      client.timer = undefined;
      this.flush(client);
    }, wait);
  }

  private flush(client: Client): void {
    if (!this.clients.has(client) || client.blockedSince !== undefined) return;
    const read = this.options.ring.readAfter(client.lastSent, {
      maxBytes: StreamDefaults.maxEventBytes,
      maxCount: StreamDefaults.maxMessagesPerEvent
    });
    let gap = '';
    if (read.gapFirstAvailable !== undefined) {
      const dropped = this.options.ring.lostAfter(client.lastSent);
      client.dropped += dropped;
      gap = gapFrame(client.lastSent, read.gapFirstAvailable, dropped);
    }
    let batch: Buffer | undefined;
    if (read.entries.length > 0) {
      const last = read.entries[read.entries.length - 1].seq;
      batch = this.batchFrame(client.lastSent, last, read.entries);
      client.lastSent = last;
    }
    if (gap === '' && !batch) return;
    client.lastWriteAt = this.options.now();
    if (gap !== '') client.res.write(gap);
    if (batch && !client.res.write(batch)) {
      client.blockedSince = client.lastWriteAt;
      return;
    }
    this.schedule(client);
  }

  /**
   * The `batch` event for entries after `after` up to `last`, encoded once: pages that keep
   * up all ask for the same range after each sample, so the frame built for the first is
   * reused for the others.
   */
  private batchFrame(after: number, last: number, entries: { json: string }[]): Buffer {
    const cached = this.lastFrame;
    if (cached && cached.after === after && cached.last === last) return cached.frame;
    let data = '{"messages":[';
    for (let i = 0; i < entries.length; i++) {
      if (i > 0) data += ',';
      data += entries[i].json;
    }
    data += ']}';
    const frame = Buffer.from(`id: ${last}\nevent: batch\ndata: ${data}\n\n`);
    this.lastFrame = { after, last, frame };
    return frame;
  }

  /** The socket drained: say how far behind the client fell, then carry on from the ring. */
  private resume(client: Client): void {
    if (client.blockedSince === undefined) return;
    const now = this.options.now();
    if (now - client.blockedSince >= StreamDefaults.lagNoticeMs) {
      const lag = this.lagOf(client, now);
      client.res.write(laggedFrame(lag, false));
    }
    client.blockedSince = undefined;
    this.schedule(client);
  }

  private lagOf(client: Client, now: number): AgentSubscriberStatus {
    const ring = this.options.ring;
    // Held messages not sent yet; those already gone are counted in `dropped` instead.
    const behindMessages = Math.max(0, ring.lastSeq - Math.max(client.lastSent, ring.firstSeq - 1));
    // Oldest unsent message still held; when it left the ring, the oldest held stands in.
    const oldestUnsent = ring.timeOf(client.lastSent + 1) ?? ring.oldestAt;
    // Messages it will lose on its next read, not yet counted in `dropped`.
    const falling = ring.lostAfter(client.lastSent);
    return {
      id: client.id,
      connectedAt: client.connectedAt,
      sentSeq: client.lastSent,
      behindMessages,
      behindMs: behindMessages > 0 && oldestUnsent !== undefined ? now - oldestUnsent : 0,
      blocked: client.blockedSince !== undefined,
      blockedMs: client.blockedSince === undefined ? 0 : now - client.blockedSince,
      dropped: client.dropped + falling
    };
  }

  private beat(): void {
    const now = this.options.now();
    const ring = this.options.ring;
    ring.evictExpired(now);
    const frame = `event: heartbeat\ndata: ${JSON.stringify({ t: now, lastSeq: ring.lastSeq })}\n\n`;
    for (const client of [...this.clients]) {
      if (client.blockedSince !== undefined) {
        const fellOff = client.lastSent + 1 < ring.firstSeq;
        if (fellOff && now - client.blockedSince > this.maxBlockedMs) this.cutOff(client, now);
        continue;
      }
      if (!client.res.write(frame)) client.blockedSince = now;
    }
  }

  /**
   * Ends a blocked client that lost messages: a final `lagged` frame queues behind what it
   * has not read yet, so a live page learns why the stream ended and where to resume; a
   * peer that never reads again is destroyed after a grace period.
   */
  private cutOff(client: Client, now: number): void {
    const lag = this.lagOf(client, now);
    this.detach(client);
    client.res.end(laggedFrame(lag, true));
    setTimeout(() => client.res.destroy(), StreamDefaults.cutOffGraceMs).unref();
  }
}

function gapFrame(after: number, firstAvailableSeq: number, dropped: number): string {
  return `event: gap\ndata: ${JSON.stringify({ after, firstAvailableSeq, dropped })}\n\n`;
}

function laggedFrame(lag: AgentSubscriberStatus, cutOff: boolean): string {
  const data = {
    sentSeq: lag.sentSeq,
    behindMessages: lag.behindMessages,
    behindMs: lag.behindMs,
    blockedMs: lag.blockedMs,
    dropped: lag.dropped,
    cutOff
  };
  return `event: lagged\ndata: ${JSON.stringify(data)}\n\n`;
}
