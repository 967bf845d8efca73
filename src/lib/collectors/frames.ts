/**
 * Frame timing from requestAnimationFrame: the time between consecutive frames, aggregated
 * per second into mean and worst frame time, frame rate, and jank counts — frames over the
 * 60 Hz budget (16.67 ms) and over two frames (33 ms).
 */
import type { Collector, CollectorContext } from './collector';

/** Frame budgets (ms): one 60 Hz frame, and two frames (a visibly dropped frame). */
export const FrameBudgetsMs = [16.67, 33] as const;

/** rAF stops in hidden tabs; a gap longer than this is a pause, not a slow frame. */
export const MaxFrameGapMs = 1_000;

/**
 * vsync timestamps jitter by a fraction of a millisecond; without this tolerance an on-time
 * 16.67 ms frame measured as 16.68 ms would count as jank.
 */
export const FrameJitterMs = 0.5;

export interface FrameSummary {
  frames: number;
  meanMs: number;
  maxMs: number;
  over16: number;
  over33: number;
}

/**
 * Aggregates frame deltas for one window. Pure. Empty window → null from `take()`.
 * @example
 * const w = new FrameWindow(); w.add(16.7); w.add(40); w.take()
 * // { frames: 2, meanMs: 28.35, maxMs: 40, over16: 1, over33: 1 }
 */
export class FrameWindow {
  #n = 0;
  #sum = 0;
  #max = 0;
  #over16 = 0;
  #over33 = 0;

  add(deltaMs: number): void {
    if (!(deltaMs > 0) || deltaMs > MaxFrameGapMs) return;
    this.#n++;
    this.#sum += deltaMs;
    if (deltaMs > this.#max) this.#max = deltaMs;
    if (deltaMs > FrameBudgetsMs[0] + FrameJitterMs) this.#over16++;
    if (deltaMs > FrameBudgetsMs[1] + FrameJitterMs) this.#over33++;
  }

  take(): FrameSummary | null {
    if (this.#n === 0) return null;
    const s = {
      frames: this.#n,
      meanMs: this.#sum / this.#n,
      maxMs: this.#max,
      over16: this.#over16,
      over33: this.#over33
    };
    this.#n = this.#sum = this.#max = this.#over16 = this.#over33 = 0;
    return s;
  }
}

export function createFrameCollector(): Collector {
  let ctx: CollectorContext | null = null;
  let handle = 0;
  let last: number | null = null;
  const window = new FrameWindow();
  const onFrame = (ts: number): void => {
    if (!ctx) return;
    ctx.timed(() => {
      if (last !== null) window.add(ts - last);
      last = ts;
    });
    handle = requestAnimationFrame(onFrame);
  };
  return {
    id: 'frames',
    unsupported: () =>
      typeof requestAnimationFrame === 'function' ? null : 'requestAnimationFrame is missing',
    start(c) {
      ctx = c;
      last = null;
      handle = requestAnimationFrame(onFrame);
    },
    tick(t) {
      if (!ctx) return;
      const s = window.take();
      if (!s) return;
      const labels = ctx.labels;
      const ux = { category: 'ux' as const, labels, t };
      ctx.add({ ...ux, name: 'frame_time_ms', unit: 'ms', v: s.meanMs });
      ctx.add({ ...ux, name: 'frame_time_max_ms', unit: 'ms', v: s.maxMs });
      // Rate over the time frames actually ran (a tab hidden for part of the second has fewer).
      ctx.add({ ...ux, name: 'frames_per_second', unit: 'fps', v: 1000 / s.meanMs });
      ctx.add({ ...ux, name: 'frames_over_16ms', unit: 'count', v: s.over16 });
      ctx.add({ ...ux, name: 'frames_over_33ms', unit: 'count', v: s.over33 });
    },
    stop() {
      cancelAnimationFrame(handle);
      ctx = null;
      last = null;
      window.take();
    }
  };
}
