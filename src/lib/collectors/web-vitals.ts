/**
 * Core Web Vitals through Google's web-vitals library: LCP, INP, CLS, FCP and TTFB of this
 * page load, each recorded when the library reports it (again when it changes). The library
 * cannot unsubscribe, so "off" means its reports are ignored.
 */
import { onCLS, onFCP, onINP, onLCP, onTTFB, type Metric } from 'web-vitals';
import type { Collector } from './collector';

/** Series name and unit per metric. */
export const WebVitalSeries: Record<Metric['name'], { name: string; unit: string }> = {
  LCP: { name: 'web_vitals_lcp_ms', unit: 'ms' },
  INP: { name: 'web_vitals_inp_ms', unit: 'ms' },
  CLS: { name: 'web_vitals_cls', unit: '' },
  FCP: { name: 'web_vitals_fcp_ms', unit: 'ms' },
  TTFB: { name: 'web_vitals_ttfb_ms', unit: 'ms' }
};

let subscribed = false;
let sink: ((m: Metric) => void) | null = null;

export function createWebVitalsCollector(): Collector {
  return {
    id: 'webVitals',
    unsupported: () =>
      typeof PerformanceObserver === 'undefined' ? 'PerformanceObserver is missing' : null,
    start(c) {
      sink = (m) => {
        const s = WebVitalSeries[m.name];
        c.timed(() =>
          c.add({
            name: s.name,
            unit: s.unit,
            category: 'ux',
            labels: c.labels,
            t: c.now(),
            v: m.value
          })
        );
      };
      if (subscribed) return;
      subscribed = true;
      // Module-level: the library keeps its observers for the page's life, so subscribe once.
      const report = (m: Metric) => sink?.(m);
      const opts = { reportAllChanges: true };
      onLCP(report, opts);
      onINP(report, opts);
      onCLS(report, opts);
      onFCP(report, opts);
      onTTFB(report, opts);
    },
    // Reported as they happen; nothing to aggregate.
    tick() {},
    stop() {
      sink = null;
    }
  };
}
