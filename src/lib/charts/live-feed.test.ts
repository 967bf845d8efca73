import { describe, expect, it } from 'vitest';
import type { Columnar } from '$lib/types';
import { LiveFeed } from './live-feed';

/** A fake store: points per series, readRaw returns the inclusive range like the engine's. */
function fakeStore() {
  const points = new Map<number, [number, number][]>();
  const calls: [number, number][] = [];
  return {
    points,
    calls,
    add(id: number, t: number, v: number) {
      points.set(id, [...(points.get(id) ?? []), [t, v]]);
    },
    async readRaw(id: number, from: number, to: number): Promise<Columnar> {
      calls.push([id, from]);
      const sel = (points.get(id) ?? []).filter(([t]) => t >= from && t <= to);
      return { t: Float64Array.from(sel, (p) => p[0]), v: Float64Array.from(sel, (p) => p[1]) };
    }
  };
}

describe('LiveFeed', () => {
  it('fills the window on attach, then appends only new points', async () => {
    const store = fakeStore();
    store.add(1, 1_000, 1); // older than the window ending at now=400_000
    store.add(1, 200_000, 2);
    store.add(1, 300_000, 3);
    const feed = new LiveFeed({ readRaw: (...a) => store.readRaw(...a), now: () => 400_000 });
    let notified = 0;
    feed.attach(1, () => notified++);
    await feed.settle();
    expect(notified).toBe(1);
    expect(
      feed
        .buffer(1)
        .toRows(400_000)
        .map((p) => p.y)
    ).toEqual([2, 3]);
    expect(store.calls).toEqual([[1, 100_000]]);

    store.add(1, 350_000, 4);
    feed.mark([1, 2]); // series 2 has no chart: not read
    await feed.settle();
    expect(store.calls).toEqual([
      [1, 100_000],
      [1, 300_000]
    ]);
    expect(
      feed
        .buffer(1)
        .toRows(400_000)
        .map((p) => p.y)
    ).toEqual([2, 3, 4]);
    expect(feed.stats.points).toBe(3);
    expect(notified).toBe(2);
  });

  it("reads only the charted series a notice's id ranges name", async () => {
    const store = fakeStore();
    for (const id of [3, 50, 9_000]) store.add(id, 300_000, id);
    const feed = new LiveFeed({ readRaw: (...a) => store.readRaw(...a), now: () => 400_000 });
    for (const id of [3, 50, 9_000]) feed.attach(id, () => {});
    await feed.settle();
    store.calls.length = 0;
    for (const id of [3, 50, 9_000]) store.add(id, 350_000, id);
    // 1–10 and 8,000–10,000: series 3 and 9,000, not 50; series 1–2 and 4–10 have no chart.
    feed.markRanges([1, 10, 8_000, 10_000]);
    await feed.settle();
    expect(store.calls.map(([id]) => id).sort((a, b) => a - b)).toEqual([3, 9_000]);
  });

  it('coalesces notices that arrive while a read is in flight', async () => {
    const store = fakeStore();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const feed = new LiveFeed({
      readRaw: async (...a) => {
        await gate;
        return store.readRaw(...a);
      },
      now: () => 10_000
    });
    feed.attach(1, () => {});
    for (let i = 0; i < 50; i++) {
      store.add(1, 5_000 + i, i);
      feed.mark([1]);
    }
    release();
    await feed.settle();
    // The first round and at most one more, however many notices came.
    expect(feed.stats.rounds).toBeLessThanOrEqual(2);
    expect(feed.buffer(1).lastV).toBe(49);
  });

  it('drops the buffer when the last chart detaches', async () => {
    const store = fakeStore();
    store.add(1, 9_000, 5);
    const feed = new LiveFeed({ readRaw: (...a) => store.readRaw(...a), now: () => 10_000 });
    const detach = feed.attach(1, () => {});
    await feed.settle();
    expect(feed.has(1)).toBe(true);
    detach();
    expect(feed.has(1)).toBe(false);
    expect(feed.buffer(1).lastV).toBeNaN();
  });

  it('keeps per-second rates of a counter, across reads and resets', async () => {
    const store = fakeStore();
    store.add(1, 300_000, 100);
    store.add(1, 301_000, 110);
    const feed = new LiveFeed({ readRaw: (...a) => store.readRaw(...a), now: () => 302_000 });
    feed.attach(1, () => {}, { rate: true });
    await feed.settle();
    store.add(1, 303_000, 130); // +20 over 2 s, measured from the last point of the first read
    store.add(1, 304_000, 5); // a reset: +5 over 1 s
    feed.mark([1]);
    await feed.settle();
    expect(feed.buffer(1).toRows(304_000)).toEqual([
      { x: 301_000, y: 10 },
      { x: 303_000, y: 10 },
      { x: 304_000, y: 5 }
    ]);
  });

  it("fills the window ending at an idle series' last point, not now", async () => {
    const store = fakeStore();
    store.add(1, 50_000, 1);
    store.add(1, 100_000, 2);
    const feed = new LiveFeed({ readRaw: (...a) => store.readRaw(...a), now: () => 9_000_000 });
    feed.attach(1, () => {}, { lastT: 100_000 });
    await feed.settle();
    expect(store.calls).toEqual([[1, 100_000 - feed.windowMs]]);
    expect(feed.buffer(1).lastV).toBe(2);
  });
});
