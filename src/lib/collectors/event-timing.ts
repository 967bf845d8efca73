/**
 * Event Timing (`event` entries): how long the page took to answer input — per second the
 * number of slow events (≥ 16 ms), the longest one, and the longest input delay (time before
 * the handler could even start, i.e. the main thread was busy).
 */
import type { Collector, CollectorContext } from './collector';
import { supportsEntryType } from './observer';

/** Events shorter than one frame are not reported (the API's minimum is 16 ms). */
export const EventTimingDefaults = { durationThresholdMs: 16 };

interface EventEntry extends PerformanceEntry {
  processingStart: number;
}

export function createEventTimingCollector(): Collector {
  let ctx: CollectorContext | null = null;
  let observer: PerformanceObserver | null = null;
  let count = 0;
  let maxDuration = 0;
  let maxDelay = 0;
  return {
    id: 'eventTiming',
    unsupported: () =>
      supportsEntryType('event') ? null : 'this browser does not report event timing',
    start(c) {
      ctx = c;
      observer = new PerformanceObserver((list) => {
        c.timed(() => {
          for (const e of list.getEntries() as EventEntry[]) {
            count++;
            maxDuration = Math.max(maxDuration, e.duration);
            maxDelay = Math.max(maxDelay, e.processingStart - e.startTime);
          }
        });
      });
      observer.observe({
        type: 'event',
        buffered: true,
        durationThreshold: EventTimingDefaults.durationThresholdMs
      } as PerformanceObserverInit);
    },
    tick(t) {
      if (!ctx || count === 0) return;
      const ux = { category: 'ux' as const, labels: ctx.labels, t };
      ctx.add({ ...ux, name: 'slow_events', unit: 'count', v: count });
      ctx.add({ ...ux, name: 'event_duration_max_ms', unit: 'ms', v: maxDuration });
      ctx.add({ ...ux, name: 'event_input_delay_max_ms', unit: 'ms', v: maxDelay });
      count = maxDuration = maxDelay = 0;
    },
    stop() {
      observer?.disconnect();
      observer = null;
      ctx = null;
      count = maxDuration = maxDelay = 0;
    }
  };
}
