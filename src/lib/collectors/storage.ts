/**
 * Storage this site uses and may use (`navigator.storage.estimate()`). The figure is for the
 * whole origin, not a tab, so only the leader tab records it (no tab label).
 */
import type { Collector, CollectorContext } from './collector';

export const StorageDefaults = { everyMs: 30_000 };

export function createStorageCollector(): Collector {
  let ctx: CollectorContext | null = null;
  let lastAt = -Infinity;
  return {
    id: 'storage',
    unsupported: () =>
      typeof navigator !== 'undefined' && typeof navigator.storage?.estimate === 'function'
        ? null
        : 'this browser does not report storage use',
    start(c) {
      ctx = c;
      lastAt = -Infinity;
    },
    tick(t) {
      if (!ctx || t - lastAt < StorageDefaults.everyMs) return;
      lastAt = t;
      navigator.storage
        .estimate()
        .then((e) => {
          const base = { category: 'system' as const, unit: 'bytes', t };
          if (e.usage !== undefined) ctx?.add({ ...base, name: 'storage_usage_bytes', v: e.usage });
          if (e.quota !== undefined) ctx?.add({ ...base, name: 'storage_quota_bytes', v: e.quota });
        })
        .catch(() => {});
    },
    stop() {
      ctx = null;
    }
  };
}
