/**
 * StreamHub in-process with fake timers and a fake response: the 60 events/s cap, coalescing,
 * backpressure (no writes while `write()` reports full), keeping a blocked client while the
 * ring holds what it needs, lag reports, cutting off one that lost messages, and gaps.
 */
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RingBuffer } from '../../agent/ring-buffer';
import { StreamDefaults, StreamHub } from '../../agent/stream';

class FakeResponse extends EventEmitter {
  frames: string[] = [];
  /** Fake-clock time of each write. */
  writeTimes: number[] = [];
  full = false;
  destroyed = false;
  ended = false;
  socket = { setNoDelay: () => {} };
  writeHead(): this {
    return this;
  }
  write(frame: string): boolean {
    this.frames.push(frame);
    if (frame.includes('event: batch')) this.writeTimes.push(Date.now());
    return !this.full;
  }
  end(frame?: string): void {
    if (frame) this.frames.push(frame);
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
  /** SSE events written so far, by name. */
  events(name: string): string[] {
    return this.frames
      .join('')
      .split('\n\n')
      .filter((block) => block.includes(`event: ${name}\n`));
  }
  seqs(): number[] {
    return this.events('batch').flatMap((b) => {
      const data = b.slice(b.indexOf('data: ') + 6);
      return (JSON.parse(data).messages as { seq: number }[]).map((m) => m.seq);
    });
  }
}

let ring: RingBuffer;
let hub: StreamHub;

function push(n: number): void {
  for (let i = 0; i < n; i++)
    ring.push((seq) => JSON.stringify({ seq, kind: 'sample', t: 0, points: [] }));
  hub.notify();
}

function attach(after: number): FakeResponse {
  const res = new FakeResponse();
  hub.attach(res as unknown as ServerResponse, { after, hello: { ok: true } });
  return res;
}

/** A client that got seqs 1 and 2, then stopped reading (its socket is full). */
function blockedAfterTwo(): FakeResponse {
  const res = attach(0);
  push(1);
  vi.advanceTimersByTime(20);
  res.full = true;
  push(1);
  vi.advanceTimersByTime(20);
  return res;
}

beforeEach(() => {
  vi.useFakeTimers();
  ring = new RingBuffer({ firstSeq: 1, capacity: 100 });
  hub = new StreamHub({ ring, now: () => Date.now() });
});

afterEach(() => {
  hub.closeAll();
  vi.useRealTimers();
});

describe('StreamHub', () => {
  it('sends hello, then everything after `after`, then new messages, each seq once', () => {
    push(5);
    const res = attach(2);
    vi.advanceTimersByTime(20);
    expect(res.events('hello')).toHaveLength(1);
    expect(res.seqs()).toEqual([3, 4, 5]);
    push(2);
    vi.advanceTimersByTime(20);
    expect(res.seqs()).toEqual([3, 4, 5, 6, 7]);
  });

  it('writes at most 60 events per second however fast messages arrive, coalescing them', () => {
    const res = attach(0);
    for (let ms = 0; ms < 1000; ms++) {
      push(1);
      vi.advanceTimersByTime(1);
    }
    vi.advanceTimersByTime(50);
    const batches = res.events('batch');
    expect(batches.length).toBeLessThanOrEqual(StreamDefaults.maxEventsPerSecond + 3);
    expect(batches.length).toBeGreaterThan(30);
    // Consecutive batch writes are never closer than 1/60 s.
    for (let i = 1; i < res.writeTimes.length; i++) {
      expect(res.writeTimes[i] - res.writeTimes[i - 1]).toBeGreaterThanOrEqual(
        1000 / StreamDefaults.maxEventsPerSecond
      );
    }
    // 1000 pushes but the ring only holds 100: the client kept up, so no gap and no loss.
    expect(res.events('gap')).toHaveLength(0);
    expect(res.seqs()).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
  });

  it('stops writing while the socket is full and resumes on drain', () => {
    const res = blockedAfterTwo();
    const writesWhenFull = res.frames.length;
    push(10);
    vi.advanceTimersByTime(1000);
    expect(res.frames.length).toBe(writesWhenFull);
    res.full = false;
    res.emit('drain');
    vi.advanceTimersByTime(20);
    expect(res.seqs()).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('tells a blocked client that fell off the ring where it can resume', () => {
    const res = blockedAfterTwo();
    push(150);
    res.full = false;
    res.emit('drain');
    vi.advanceTimersByTime(20);
    const gap = JSON.parse(res.events('gap')[0].split('data: ')[1]);
    expect(gap).toEqual({ after: 2, firstAvailableSeq: 53, dropped: 50 });
    expect(res.seqs()).toEqual([1, 2, ...Array.from({ length: 100 }, (_, i) => 53 + i)]);
  });

  it('keeps a client blocked far past maxBlockedMs while the ring still holds what it needs', () => {
    const res = blockedAfterTwo();
    push(40);
    vi.advanceTimersByTime(6 * StreamDefaults.maxBlockedMs);
    expect(res.destroyed).toBe(false);
    expect(hub.clientCount).toBe(1);
    const [lag] = hub.subscribers();
    expect(lag).toMatchObject({ sentSeq: 2, behindMessages: 40, blocked: true, dropped: 0 });
    expect(lag.blockedMs).toBeGreaterThanOrEqual(6 * StreamDefaults.maxBlockedMs);
    expect(lag.behindMs).toBeGreaterThanOrEqual(6 * StreamDefaults.maxBlockedMs);
    res.full = false;
    res.emit('drain');
    vi.advanceTimersByTime(20);
    // It is told how far behind it was, then gets everything: no gap, no loss.
    const lagged = JSON.parse(res.events('lagged')[0].split('data: ')[1]);
    expect(lagged).toMatchObject({ sentSeq: 2, behindMessages: 40, dropped: 0, cutOff: false });
    expect(res.events('gap')).toHaveLength(0);
    expect(res.seqs()).toEqual(Array.from({ length: 42 }, (_, i) => i + 1));
    expect(hub.subscribers()[0]).toMatchObject({ behindMessages: 0, behindMs: 0, blocked: false });
  });

  it('cuts off a client blocked past maxBlockedMs once it lost messages, saying so last', () => {
    const res = blockedAfterTwo();
    push(150);
    expect(hub.subscribers()[0]).toMatchObject({ dropped: 50, behindMessages: 100 });
    vi.advanceTimersByTime(StreamDefaults.maxBlockedMs + StreamDefaults.heartbeatMs);
    expect(hub.clientCount).toBe(0);
    expect(res.ended).toBe(true);
    const lagged = JSON.parse(res.events('lagged')[0].split('data: ')[1]);
    expect(lagged).toMatchObject({ sentSeq: 2, behindMessages: 100, dropped: 50, cutOff: true });
    // A peer that never reads the final frame is destroyed after the grace period.
    vi.advanceTimersByTime(StreamDefaults.cutOffGraceMs);
    expect(res.destroyed).toBe(true);
  });

  it('sends heartbeats with the last seq to idle clients', () => {
    const res = attach(0);
    push(3);
    vi.advanceTimersByTime(StreamDefaults.heartbeatMs);
    const beat = JSON.parse(res.events('heartbeat')[0].split('data: ')[1]);
    expect(beat.lastSeq).toBe(3);
  });

  it('treats an `after` from the future as a gap and sends what it holds', () => {
    push(3);
    const res = attach(999);
    vi.advanceTimersByTime(20);
    expect(JSON.parse(res.events('gap')[0].split('data: ')[1])).toEqual({
      after: 999,
      firstAvailableSeq: 1,
      dropped: 0
    });
    expect(res.seqs()).toEqual([1, 2, 3]);
  });

  it('forgets a client when its connection closes', () => {
    const res = attach(0);
    res.emit('close');
    push(1);
    vi.advanceTimersByTime(20);
    expect(hub.clientCount).toBe(0);
    expect(res.seqs()).toEqual([]);
  });
});
