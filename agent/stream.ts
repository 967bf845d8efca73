/**
 * Server-sent event fan-out from the ring buffer to connected pages. Each client keeps only
 * the last seq it was sent; the ring is the queue, so a slow client costs no memory and a
 * client that falls behind the ring is told so with a `gap` event instead of silently
 * missing messages. Writes are coalesced to at most `maxEventsPerSecond` per client and
 * stop while `res.write()` reports a full socket buffer.
 */
import type { ServerResponse } from 'node:http';
import type { RingBuffer } from './ring-buffer';

export const StreamDefaults = {
  maxEventsPerSecond: 60,
  /** One SSE event carries at most this much JSON; more waits for the next slot. */
  maxEventBytes: 1024 * 1024,
  maxMessagesPerEvent: 5_000,
  heartbeatMs: 5_000,
  /** A client whose socket stays full this long is dropped; it can resume with `after`. */
  maxBlockedMs: 10_000
} as const;

export interface StreamHubOptions {
  ring: RingBuffer;
  now: () => number;
  maxEventsPerSecond?: number;
  heartbeatMs?: number;
  maxBlockedMs?: number;
}

interface Client {
  res: ServerResponse;
  lastSent: number;
  lastWriteAt: number;
  timer: NodeJS.Timeout | undefined;
  blockedSince: number | undefined;
}

export class StreamHub {
  private readonly clients = new Set<Client>();
  private readonly minGapMs: number;
  private readonly heartbeatTimer: NodeJS.Timeout;
  private readonly maxBlockedMs: number;

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
      this.writeGap(res, after, ring.firstSeq);
      after = ring.firstSeq - 1;
    }
    const client: Client = {
      res,
      lastSent: after,
      lastWriteAt: -Infinity,
      timer: undefined,
      blockedSince: undefined
    };
    this.clients.add(client);
    res.on('close', () => this.detach(client));
    res.on('drain', () => {
      client.blockedSince = undefined;
      this.schedule(client);
    });
    this.schedule(client);
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
    this.clients.delete(client);
  }

  private schedule(client: Client): void {
    if (client.timer || client.blockedSince !== undefined) return;
    if (client.lastSent >= this.options.ring.lastSeq) return;
    // Rounded up: timers fire on whole milliseconds, and rounding down would exceed the cap.
    const wait = Math.max(0, Math.ceil(client.lastWriteAt + this.minGapMs - this.options.now()));
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
    let frame = '';
    if (read.gapFirstAvailable !== undefined) {
      frame += gapFrame(client.lastSent, read.gapFirstAvailable);
    }
    if (read.entries.length > 0) {
      const last = read.entries[read.entries.length - 1].seq;
      let data = '{"messages":[';
      for (let i = 0; i < read.entries.length; i++) {
        if (i > 0) data += ',';
        data += read.entries[i].json;
      }
      data += ']}';
      frame += `id: ${last}\nevent: batch\ndata: ${data}\n\n`;
      client.lastSent = last;
    }
    if (frame === '') return;
    client.lastWriteAt = this.options.now();
    if (!client.res.write(frame)) {
      client.blockedSince = client.lastWriteAt;
      return;
    }
    this.schedule(client);
  }

  private writeGap(res: ServerResponse, after: number, firstAvailableSeq: number): void {
    res.write(gapFrame(after, firstAvailableSeq));
  }

  private beat(): void {
    const now = this.options.now();
    const frame = `event: heartbeat\ndata: ${JSON.stringify({ t: now, lastSeq: this.options.ring.lastSeq })}\n\n`;
    for (const client of [...this.clients]) {
      if (client.blockedSince !== undefined) {
        if (now - client.blockedSince > this.maxBlockedMs) {
          this.detach(client);
          client.res.destroy();
        }
        continue;
      }
      if (!client.res.write(frame)) client.blockedSince = now;
    }
  }
}

function gapFrame(after: number, firstAvailableSeq: number): string {
  return `event: gap\ndata: ${JSON.stringify({ after, firstAvailableSeq })}\n\n`;
}
