import { describe, expect, it } from 'vitest';
import type { SeriesRecord } from '$lib/types';
import { seriesKey } from '$lib/types/series-key';
import { SeriesIndex } from './series-index';

function make(n: number, from = 1): SeriesRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const id = from + i;
    const labels = { host: `host-${id % 500}`, cpu: String(id % 16) };
    const name = `node_metric_${id % 200}_seconds_total`;
    return {
      id,
      key: seriesKey(name, labels) + `#${id}`,
      name,
      labels,
      unit: 's',
      kind: 'counter',
      source: 'import',
      category: 'system'
    };
  });
}

describe('series index', () => {
  it('finds series by word prefixes and selectors, ordered by key, incrementally', () => {
    const index = new SeriesIndex();
    index.addRecords(make(1000));
    const a = index.search('metric_7 host-7', 50);
    expect(a.total).toBeGreaterThan(0);
    expect(a.series.every((s) => s.name.includes('_7') && s.labels.host.startsWith('host-7'))).toBe(
      true
    );
    const keys = a.series.map((s) => s.key);
    expect(keys).toEqual([...keys].sort());
    const sel = index.search('node_metric_3_seconds_total{cpu=~"3|4"}', 100);
    // Ids 3, 203, 403, 603, 803: cpu 3, 11, 3, 11, 3.
    expect(sel.total).toBe(3);
    expect(sel.series.every((s) => s.labels.cpu === '3')).toBe(true);
    expect(index.search('', 10)).toMatchObject({ total: 1000 });
    expect(index.search('', 0)).toEqual({ series: [], total: 1000 });
    expect(index.search('nothing-like-this', 10).total).toBe(0);

    // New series are found after an incremental add; known ones are not duplicated.
    index.addRecords(make(10, index.maxId + 1).map((s) => ({ ...s, name: 'brand_new' })));
    index.addRecords(make(5));
    expect(index.size).toBe(1010);
    expect(index.search('brand', 100).total).toBe(10);
    expect(index.byKeys([make(1)[0].key])).toHaveLength(1);
  });

  /** The documented meaning, by brute force: every part starts a token, every word appears. */
  function oracle(records: SeriesRecord[], q: string, limit: number) {
    const split = /[\s_.:\-/{}=,"]+/;
    const lower = q.trim().toLowerCase();
    const parts = lower.split(split).filter(Boolean);
    const words = lower.split(/\s+/).filter(Boolean);
    const matched = records.filter((r) => {
      const pieces = [r.name, r.category, r.source, ...Object.entries(r.labels).flat()];
      const tokens = pieces.flatMap((p) => [p.toLowerCase(), ...p.toLowerCase().split(split)]);
      const text = `${r.name} ${Object.entries(r.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')} ${r.category} ${r.source}`.toLowerCase();
      return (
        parts.length > 0 &&
        parts.every((p) => tokens.some((t) => t.startsWith(p))) &&
        words.every((w) => text.includes(w))
      );
    });
    matched.sort((a, b) => (a.key < b.key ? -1 : 1));
    return { keys: matched.slice(0, limit).map((r) => r.key), total: matched.length };
  }

  it.each([
    'node',
    'metric_1',
    'host-1',
    'host-12 cpu',
    'seconds total 3',
    'HOST-7',
    'cpu=3',
    'system import',
    'metric_19 host-19',
    'node_metric_5 1',
    'sage',
    '   '
  ])('finds what the brute-force meaning finds, in key order: %j', (q) => {
    // Added in three batches out of key order: the key order is merged, not rebuilt.
    const records = make(3000);
    const index = new SeriesIndex();
    index.addRecords(records.slice(2000));
    index.search('x', 1);
    index.addRecords(records.slice(0, 1000));
    index.search('x', 1);
    index.addRecords(records.slice(1000, 2000));
    const got = index.search(q, 25);
    const want = q.trim() ? oracle(records, q, 25) : { keys: [], total: 3000 };
    expect(got.total).toBe(want.total);
    if (q.trim()) expect(got.series.map((s) => s.key)).toEqual(want.keys);
    else
      expect(got.series.map((s) => s.key)).toEqual(
        records
          .map((r) => r.key)
          .sort()
          .slice(0, 25)
      );
  });

  it('answers every kind of query at 100,000 series (its speed: bench/series-index.bench.ts)', () => {
    const records = make(100_000);
    const index = new SeriesIndex();
    index.addRecords(records);
    for (const q of ['metric_12 host-12', 'node_metric_5_seconds_total{cpu="5"}', '', 'host-499']) {
      const got = index.search(q, 200);
      expect(got.total, q).toBeGreaterThan(0);
      expect(got.series.length, q).toBe(Math.min(200, got.total));
    }
  });
});
