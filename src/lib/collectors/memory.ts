/**
 * Memory the page uses. `performance.measureUserAgentSpecificMemory()` (all of this page's
 * memory, including workers) needs cross-origin isolation; otherwise Chromium's non-standard
 * `performance.memory` gives the JS heap of this thread. Sampled every few seconds: the
 * precise API is slow and the figures change slowly.
 */
import type { Collector, CollectorContext } from './collector';

export const MemoryDefaults = { everyMs: 5_000 };

interface ChromeMemory {
  usedJSHeapSize: number;
  totalJSHeapSize: number;
  jsHeapSizeLimit: number;
}

type PrecisePerformance = Performance & {
  measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }>;
  memory?: ChromeMemory;
};

export function createMemoryCollector(): Collector {
  let ctx: CollectorContext | null = null;
  let lastAt = -Infinity;
  let busy = false;
  const perf = () => performance as PrecisePerformance;
  return {
    id: 'memory',
    unsupported: () =>
      (globalThis.crossOriginIsolated && perf().measureUserAgentSpecificMemory) || perf().memory
        ? null
        : 'this browser exposes no memory figures to pages',
    start(c) {
      ctx = c;
      lastAt = -Infinity;
    },
    tick(t) {
      const c = ctx;
      if (!c || busy || t - lastAt < MemoryDefaults.everyMs) return;
      lastAt = t;
      const base = { category: 'system' as const, labels: c.labels, unit: 'bytes', t };
      const p = perf();
      if (globalThis.crossOriginIsolated && p.measureUserAgentSpecificMemory) {
        busy = true;
        p.measureUserAgentSpecificMemory()
          .then((r) => ctx?.add({ ...base, name: 'page_memory_bytes', v: r.bytes }))
          .catch(() => {})
          .finally(() => (busy = false));
        return;
      }
      const m = p.memory;
      if (!m) return;
      c.add({ ...base, name: 'js_heap_used_bytes', v: m.usedJSHeapSize });
      c.add({ ...base, name: 'js_heap_total_bytes', v: m.totalJSHeapSize });
      c.add({ ...base, name: 'js_heap_limit_bytes', v: m.jsHeapSizeLimit });
    },
    stop() {
      ctx = null;
    }
  };
}
