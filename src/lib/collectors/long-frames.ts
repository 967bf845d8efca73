/**
 * Long Animation Frames (W3C LoAF, `long-animation-frame` entries, frames over 50 ms): per
 * second, how many, the longest, and their blocking time; the longest few frames of each
 * second are also kept as events with their script attribution (which script, which
 * function, what invoked it), because a number alone does not say what to fix.
 */
import type { ResultEvent } from '$lib/types';
import type { Collector, CollectorContext } from './collector';
import { supportsEntryType } from './observer';

export const LongFrameDefaults = {
  /** At most this many frames per second become events (the longest ones). */
  eventsPerSecond: 3,
  /** Scripts kept per frame, longest first. */
  scriptsPerFrame: 3
};

/** The parts of PerformanceLongAnimationFrameTiming used here (not yet in lib.dom). */
interface LoafEntry extends PerformanceEntry {
  blockingDuration?: number;
  renderStart?: number;
  scripts?: Array<{
    duration: number;
    invoker?: string;
    invokerType?: string;
    sourceURL?: string;
    sourceFunctionName?: string;
    sourceCharPosition?: number;
    forcedStyleAndLayoutDuration?: number;
  }>;
}

/**
 * Turns a LoAF entry into a result-log event (`long_animation_frame`, status `slow`), keeping
 * the longest scripts. Pure.
 */
export function describeLongFrame(
  entry: LoafEntry,
  options: { t: number; labels: Record<string, string>; page: string }
): ResultEvent {
  const scripts = [...(entry.scripts ?? [])]
    .sort((a, b) => b.duration - a.duration)
    .slice(0, LongFrameDefaults.scriptsPerFrame)
    .map((s) => ({
      durationMs: Math.round(s.duration),
      invoker: s.invoker ?? '',
      invokerType: s.invokerType ?? '',
      sourceURL: s.sourceURL ?? '',
      sourceFunctionName: s.sourceFunctionName ?? '',
      forcedStyleAndLayoutMs: Math.round(s.forcedStyleAndLayoutDuration ?? 0)
    }));
  return {
    t: options.t,
    actionType: 'long_animation_frame',
    status: 'slow',
    durationMs: Math.round(entry.duration),
    context: {
      ...options.labels,
      page: options.page,
      blockingMs: Math.round(entry.blockingDuration ?? 0),
      scripts
    }
  };
}

export function createLongFrameCollector(): Collector {
  let ctx: CollectorContext | null = null;
  let observer: PerformanceObserver | null = null;
  let pending: LoafEntry[] = [];
  return {
    id: 'longFrames',
    unsupported: () =>
      supportsEntryType('long-animation-frame')
        ? null
        : 'this browser does not report long animation frames (Chromium 123+ does)',
    start(c) {
      ctx = c;
      observer = new PerformanceObserver((list) => {
        c.timed(() => pending.push(...(list.getEntries() as LoafEntry[])));
      });
      observer.observe({ type: 'long-animation-frame', buffered: true });
    },
    tick(t) {
      if (!ctx || pending.length === 0) return;
      const frames = pending;
      pending = [];
      const labels = ctx.labels;
      const ux = { category: 'ux' as const, labels, t };
      let max = 0;
      let blocking = 0;
      for (const f of frames) {
        max = Math.max(max, f.duration);
        blocking += f.blockingDuration ?? 0;
      }
      ctx.add({ ...ux, name: 'long_animation_frames', unit: 'count', v: frames.length });
      ctx.add({ ...ux, name: 'long_animation_frame_max_ms', unit: 'ms', v: max });
      ctx.add({ ...ux, name: 'long_animation_frame_blocking_ms', unit: 'ms', v: blocking });
      const page = location.pathname;
      const origin = performance.timeOrigin;
      for (const f of [...frames]
        .sort((a, b) => b.duration - a.duration)
        .slice(0, LongFrameDefaults.eventsPerSecond)) {
        ctx.addEvent(describeLongFrame(f, { t: Math.round(origin + f.startTime), labels, page }));
      }
    },
    stop() {
      observer?.disconnect();
      observer = null;
      ctx = null;
      pending = [];
    }
  };
}
