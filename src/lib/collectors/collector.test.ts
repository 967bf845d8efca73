import { describe, expect, it } from 'vitest';
import { PointBuffer } from './collector';
import { FrameWindow } from './frames';
import { describeLongFrame } from './long-frames';

describe('PointBuffer', () => {
  it('groups by name and labels, sorts by time, marks the source browser, and empties', () => {
    const b = new PointBuffer();
    b.add({ name: 'fps', unit: 'fps', category: 'ux', labels: { tab: '0' }, t: 2000, v: 58 });
    b.add({ name: 'fps', unit: 'fps', category: 'ux', labels: { tab: '0' }, t: 1000, v: 60 });
    b.add({ name: 'fps', unit: 'fps', category: 'ux', labels: { tab: '1' }, t: 1000, v: 30 });
    b.add({ name: 'fps', unit: 'fps', category: 'ux', t: 1000, v: Number.NaN });
    expect(b.size).toBe(3);
    const out = b.drain();
    expect(out).toHaveLength(2);
    const tab0 = out.find((x) => x.series.labels.tab === '0')!;
    expect(tab0.series).toEqual({
      name: 'fps',
      labels: { tab: '0' },
      unit: 'fps',
      kind: 'gauge',
      source: 'browser',
      category: 'ux'
    });
    expect([...tab0.t]).toEqual([1000, 2000]);
    expect([...tab0.v]).toEqual([60, 58]);
    expect(b.size).toBe(0);
    expect(b.drain()).toEqual([]);
  });

  it('drops points beyond its cap and counts them', () => {
    const b = new PointBuffer(2);
    for (let i = 0; i < 5; i++) b.add({ name: 'x', unit: '', category: 'ux', t: i, v: i });
    expect(b.size).toBe(2);
    expect(b.dropped).toBe(3);
  });
});

describe('FrameWindow', () => {
  it('is empty without frames', () => {
    expect(new FrameWindow().take()).toBeNull();
  });

  it('aggregates a hand-computed second', () => {
    const w = new FrameWindow();
    // 56 on-time frames (with vsync jitter), two one-frame misses, one two-frame miss.
    for (let i = 0; i < 56; i++) w.add(i % 2 ? 16.6 : 16.9);
    w.add(25);
    w.add(33.3);
    w.add(50);
    const s = w.take()!;
    expect(s.frames).toBe(59);
    expect(s.meanMs).toBeCloseTo((28 * 16.6 + 28 * 16.9 + 25 + 33.3 + 50) / 59, 10);
    expect(s.maxMs).toBe(50);
    expect(s.over16).toBe(3);
    expect(s.over33).toBe(1);
    expect(w.take()).toBeNull();
  });

  it('ignores pauses (hidden tab) and non-positive deltas', () => {
    const w = new FrameWindow();
    w.add(5_000);
    w.add(0);
    w.add(-3);
    w.add(16.7);
    expect(w.take()).toMatchObject({ frames: 1, maxMs: 16.7, over16: 0 });
  });
});

describe('describeLongFrame', () => {
  it('keeps the longest scripts as attribution', () => {
    const e = describeLongFrame(
      {
        name: 'long-animation-frame',
        entryType: 'long-animation-frame',
        startTime: 100,
        duration: 180.4,
        blockingDuration: 130.2,
        toJSON: () => ({}),
        scripts: [
          { duration: 10, invoker: 'a', sourceURL: 'https://x/a.js' },
          {
            duration: 120.6,
            invoker: 'BUTTON#go.onclick',
            invokerType: 'event-listener',
            sourceURL: 'https://x/app.js',
            sourceFunctionName: 'render'
          },
          { duration: 30, invoker: 'c' },
          { duration: 20, invoker: 'd' }
        ]
      },
      { t: 5000, labels: { tab: '0' }, page: '/explore' }
    );
    expect(e).toMatchObject({
      t: 5000,
      actionType: 'long_animation_frame',
      status: 'slow',
      durationMs: 180,
      context: { tab: '0', page: '/explore', blockingMs: 130 }
    });
    const scripts = (e.context as { scripts: { invoker: string; durationMs: number }[] }).scripts;
    expect(scripts.map((s) => s.invoker)).toEqual(['BUTTON#go.onclick', 'c', 'd']);
    expect(scripts[0]).toMatchObject({ durationMs: 121, sourceFunctionName: 'render' });
  });
});
