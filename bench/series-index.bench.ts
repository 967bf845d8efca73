/**
 * Explore's series search in the engine (src/lib/workers/engine/series-index.ts) at 100,000
 * series, in Node: p50/p95 of each query kind over 25 runs, against a linear scan of every
 * key for the same parts (the baseline, same run). The target is ≤ 100 ms in the
 * browser; this is the index alone, without the worker round trip and the page.
 *
 *   npx tsx bench/series-index.bench.ts
 */
import { seriesKey } from '../src/lib/types/series-key';
import type { SeriesRecord } from '../src/lib/types';
import { SeriesIndex } from '../src/lib/workers/engine/series-index';
import { emit, percentile } from './lib';

const N = Number(process.env.BENCH_INDEX_SERIES ?? 100_000);
const records: SeriesRecord[] = Array.from({ length: N }, (_, i) => {
  const id = i + 1;
  const labels = { instance: `host-${id % 750}:9100`, cpu: String(id % 16), job: 'node' };
  const name = `node_metric_${id % 200}_seconds_total`;
  return {
    id,
    key: seriesKey(name, labels),
    name,
    labels,
    unit: 's',
    kind: 'counter',
    source: 'import',
    category: 'system'
  };
});

const index = new SeriesIndex();
index.addRecords(records);
const keys = records.map((r) => r.key.toLowerCase());
const scan = (q: string) => {
  const parts = q.toLowerCase().split(/\s+/).filter(Boolean);
  let total = 0;
  for (const k of keys) if (parts.every((p) => k.includes(p))) total++;
  return total;
};

const time = (fn: () => unknown, runs = 25): number[] => {
  fn();
  const out: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return out;
};

for (const q of ['node', 'metric_12 host-12', 'host-749:9100', '']) {
  const got = time(() => index.search(q, 200));
  const base = time(() => scan(q));
  emit({
    name: 'series_index.search_ms',
    value: percentile(got, 95),
    unit: `ms (p95 of 25, ${N} series)`,
    p50: percentile(got, 50),
    baseline: percentile(base, 95),
    baseline_is: 'linear scan of every key for the same parts',
    query: q,
    matches: index.search(q, 1).total,
    target: 100
  });
}
