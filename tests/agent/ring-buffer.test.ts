import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RingBuffer } from '../../agent/ring-buffer';

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
    const ring = new RingBuffer({ firstSeq: 1, capacity: 100, maxBytes: 30 });
    fill(ring, 5, 10);
    expect(ring.size).toBe(3);
    expect(ring.byteSize).toBe(30);
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
});
