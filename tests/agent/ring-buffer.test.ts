import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntryOverheadBytes, RingBuffer } from '../../agent/ring-buffer';

function fill(ring: RingBuffer, n: number, size = 1): number[] {
  return Array.from({ length: n }, () => ring.push((seq) => 'x'.repeat(size - 1) + (seq % 10)));
}

describe('RingBuffer', () => {
  it('starts empty at firstSeq', () => {
    const ring = new RingBuffer({ firstSeq: 100, capacity: 3 });
    expect(ring.size).toBe(0);
    expect(ring.firstSeq).toBe(100);
    expect(ring.lastSeq).toBe(99);
    expect(ring.readAfter(0)).toEqual({ entries: [] });
  });

  it('hands out consecutive seqs and evicts the oldest at capacity', () => {
    const ring = new RingBuffer({ firstSeq: 1, capacity: 3 });
    expect(fill(ring, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(ring.size).toBe(3);
    expect(ring.firstSeq).toBe(3);
    expect(ring.lastSeq).toBe(5);
  });

  it.each([
    // after, expected seqs, gap
    [2, [3, 4, 5], undefined],
    [3, [4, 5], undefined],
    [5, [], undefined],
    [9, [], undefined],
    [1, [3, 4, 5], 3],
    [0, [3, 4, 5], 3]
  ])('readAfter(%i) → %j gap %s', (after, seqs, gap) => {
    const ring = new RingBuffer({ firstSeq: 1, capacity: 3 });
    fill(ring, 5);
    const read = ring.readAfter(after);
    expect(read.entries.map((e) => e.seq)).toEqual(seqs);
    expect(read.gapFirstAvailable).toBe(gap);
  });

  it('limits a read by count and by bytes, but always returns one entry', () => {
    const ring = new RingBuffer({ firstSeq: 1, capacity: 10 });
    fill(ring, 6, 10);
    expect(ring.readAfter(0, { maxCount: 2 }).entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(ring.readAfter(0, { maxBytes: 25 }).entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(ring.readAfter(0, { maxBytes: 1 }).entries.map((e) => e.seq)).toEqual([1]);
  });

  it('evicts by bytes but keeps the newest even when it alone is over the cap', () => {
    const perEntry = 10 + EntryOverheadBytes;
    const ring = new RingBuffer({ firstSeq: 1, capacity: 100, maxBytes: 3 * perEntry });
    fill(ring, 5, 10);
    expect(ring.size).toBe(3);
    expect(ring.byteSize).toBe(3 * perEntry);
    ring.push(() => 'y'.repeat(100));
    expect(ring.size).toBe(1);
    expect(ring.firstSeq).toBe(6);
  });

  it('stores the JSON built from its own seq', () => {
    const ring = new RingBuffer({ firstSeq: 7, capacity: 2 });
    ring.push((seq) => JSON.stringify({ seq }));
    expect(JSON.parse(ring.readAfter(6).entries[0].json)).toEqual({ seq: 7 });
  });

  it('property: a read returns exactly the held seqs after `after`, in order, once', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: -5, max: 70 }),
        (capacity, pushes, after) => {
          const ring = new RingBuffer({ firstSeq: 1, capacity });
          fill(ring, pushes);
          const read = ring.readAfter(after);
          const held = Array.from(
            { length: Math.min(capacity, pushes) },
            (_, i) => pushes - Math.min(capacity, pushes) + 1 + i
          );
          const expected = held.filter((s) => s > after);
          expect(read.entries.map((e) => e.seq)).toEqual(expected);
          const gap = held.length > 0 && after + 1 < held[0];
          expect(read.gapFirstAvailable).toBe(gap ? held[0] : undefined);
        }
      )
    );
  });

  it('evicts by age on push and on evictExpired, keeping the newest, and counts evictions', () => {
    let now = 0;
    const ring = new RingBuffer({ firstSeq: 1, maxAgeMs: 1000, now: () => now });
    for (; now < 3000; now += 100) ring.push((seq) => String(seq));
    // Pushed at 0, 100, …, 2900; the window keeps those at or after 1900.
    expect(ring.firstSeq).toBe(20);
    expect(ring.oldestAt).toBe(1900);
    expect(ring.timeOf(25)).toBe(2400);
    expect(ring.timeOf(5)).toBeUndefined();
    now = 10_000;
    expect(ring.evictExpired()).toBe(10);
    expect(ring.size).toBe(1);
    expect(ring.lastSeq).toBe(30);
    expect(ring.evictedCount).toBe(29);
  });

  it('property: slots grow on demand and reads stay exact across growth and wrap-around', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 0, max: 6000 }),
        fc.integer({ min: 0, max: 6000 }),
        (capacity, pushes, after) => {
          const ring = new RingBuffer({ firstSeq: 1, capacity, maxAgeMs: 1e9 });
          fill(ring, pushes);
          const heldCount = Math.min(capacity, pushes);
          const first = pushes - heldCount + 1;
          expect(ring.size).toBe(heldCount);
          const seqs = ring.readAfter(after).entries.map((e) => e.seq);
          const from = Math.max(after + 1, first);
          expect(seqs).toEqual(
            Array.from({ length: Math.max(0, pushes - from + 1) }, (_, i) => from + i)
          );
        }
      ),
      { numRuns: 40 }
    );
  });
});
