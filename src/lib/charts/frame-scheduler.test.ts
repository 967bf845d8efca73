import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FrameScheduler } from './frame-scheduler';

/** Stand-ins for the browser's frame clock and IntersectionObserver, driven by the test. */
let frames: FrameRequestCallback[] = [];
let observers: { cb: IntersectionObserverCallback; targets: Element[] }[] = [];

function runFrame(): void {
  const due = frames;
  frames = [];
  for (const f of due) f(0);
}
function setVisible(el: Element, visible: boolean): void {
  for (const o of observers) {
    if (!o.targets.includes(el)) continue;
    o.cb(
      [{ target: el, isIntersecting: visible } as IntersectionObserverEntry],
      {} as IntersectionObserver
    );
  }
}

beforeEach(() => {
  frames = [];
  observers = [];
  vi.stubGlobal('requestAnimationFrame', (f: FrameRequestCallback) => frames.push(f));
  vi.stubGlobal('cancelAnimationFrame', () => {});
  vi.stubGlobal(
    'IntersectionObserver',
    class {
      targets: Element[] = [];
      constructor(cb: IntersectionObserverCallback) {
        observers.push({ cb, targets: this.targets });
      }
      observe(el: Element) {
        this.targets.push(el);
      }
      unobserve() {}
      disconnect() {}
    }
  );
});
afterEach(() => vi.unstubAllGlobals());

describe('FrameScheduler', () => {
  it('draws a chart at most once per frame however often it is requested', () => {
    const s = new FrameScheduler();
    const el = {} as Element;
    const draw = vi.fn();
    const chart = { draw };
    s.observe(el, chart);
    setVisible(el, true);
    for (let i = 0; i < 50; i++) s.request(chart);
    expect(frames).toHaveLength(1);
    runFrame();
    expect(draw).toHaveBeenCalledTimes(1);
    expect(s.stats.frames).toBe(1);
  });

  it('does not draw a chart off screen, and draws it when it scrolls in', () => {
    const s = new FrameScheduler();
    const el = {} as Element;
    const chart = { draw: vi.fn() };
    s.observe(el, chart);
    s.request(chart);
    runFrame();
    expect(chart.draw).not.toHaveBeenCalled();
    setVisible(el, true);
    runFrame();
    expect(chart.draw).toHaveBeenCalledTimes(1);
    setVisible(el, false);
    s.request(chart);
    runFrame();
    expect(chart.draw).toHaveBeenCalledTimes(1);
  });

  it('stops drawing a chart after its undo', () => {
    const s = new FrameScheduler();
    const el = {} as Element;
    const chart = { draw: vi.fn() };
    const undo = s.observe(el, chart);
    setVisible(el, true);
    undo();
    s.request(chart);
    runFrame();
    expect(chart.draw).not.toHaveBeenCalled();
  });
});
