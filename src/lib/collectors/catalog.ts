/** The in-page collectors, in the order Settings lists them. */
import type { Collector, CollectorId } from './collector';
import { createEventTimingCollector } from './event-timing';
import { createFrameCollector } from './frames';
import { createLongFrameCollector } from './long-frames';
import { createMemoryCollector } from './memory';
import { createStorageCollector } from './storage';
import { createWebVitalsCollector } from './web-vitals';

export interface CollectorInfo {
  id: CollectorId;
  title: string;
  description: string;
  create: () => Collector;
  /** Origin-wide figures: recorded by the leader tab only. */
  leaderOnly?: boolean;
}

export const CollectorCatalog: readonly CollectorInfo[] = [
  {
    id: 'frames',
    title: 'Frame timing',
    description:
      'Time between frames from requestAnimationFrame: mean and worst per second, frame rate, frames over 16.7 ms and 33 ms.',
    create: createFrameCollector
  },
  {
    id: 'longFrames',
    title: 'Long animation frames',
    description:
      'Frames over 50 ms with their blocking time; the longest are kept as events naming the scripts that ran.',
    create: createLongFrameCollector
  },
  {
    id: 'webVitals',
    title: 'Web vitals',
    description: 'LCP, INP, CLS, FCP and TTFB of each page load (web-vitals library).',
    create: createWebVitalsCollector
  },
  {
    id: 'eventTiming',
    title: 'Event timing',
    description: 'Slow input events per second, the longest, and the longest input delay.',
    create: createEventTimingCollector
  },
  {
    id: 'memory',
    title: 'Memory',
    description:
      'The page’s memory (measureUserAgentSpecificMemory when cross-origin isolated, else the JS heap) every 5 s.',
    create: createMemoryCollector
  },
  {
    id: 'storage',
    title: 'Storage use',
    description: 'What this site stores and may store, every 30 s (leader tab only).',
    create: createStorageCollector,
    leaderOnly: true
  }
];
