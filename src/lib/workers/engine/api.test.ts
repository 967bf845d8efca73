import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type DbLifecycle } from '$lib/db/database';
import { generateDemoData } from '$lib/demo/generate';
import type { ChangeNotice } from '$lib/types';
import { createEngineApi } from '$lib/workers/engine/api';

let k = 0;
const names: string[] = [];
function engine(now = Date.UTC(2026, 10, 23, 12)) {
  const name = `engine-test-${k++}`;
  names.push(name);
  const notices: ChangeNotice[] = [];
  const api = createEngineApi({
    openDb: (cb) => openDatabase(cb, { name }),
    broadcast: (n) => notices.push(n),
    now: () => now
  });
  return { api, notices, name };
}
afterEach(async () => {
  for (const name of names.splice(0)) await Dexie.delete(name);
});

describe('engine api', () => {
  it('ingests columnar batches and tells other tabs', async () => {
    const { api, notices } = engine();
    expect(await api.init()).toEqual({ kind: 'open' });
    const series = {
      name: 'tokens_per_second',
      labels: { model: 'm' },
      unit: 'tokens/s',
      kind: 'gauge' as const,
      source: 'api' as const,
      category: 'model' as const
    };
    await api.ingest([{ series, t: Float64Array.of(1000, 2000), v: Float64Array.of(50, 51) }]);
    const [s] = await api.listSeries();
    expect(s.lastV).toBe(51);
    const raw = await api.readRaw(s.id, 0, 5000);
    expect(Array.from(raw.v)).toEqual([50, 51]);
    expect(notices).toEqual([{ kind: 'points', ids: [s.id, s.id], to: 2000 }]);
  });

  it('loads the demo day, counts it, and clears it', async () => {
    const now = Date.UTC(2026, 10, 23, 12);
    const { api } = engine(now);
    const progress: number[] = [];
    const loaded = await api.loadDemo((done, total) => progress.push(done / total));
    const expected = generateDemoData({ end: now });
    const expectedPoints = expected.batches.reduce((s, b) => s + b.t.length, 0);
    expect(loaded).toEqual({ points: expectedPoints, events: expected.events.length });
    expect(progress.at(-1)).toBe(1);
    const counts = await api.counts();
    expect(counts.series).toBe(expected.batches.length);
    expect(counts.points).toBe(expectedPoints);
    expect(counts.events).toBe(expected.events.length);
    await api.clearAll();
    expect((await api.counts()).points).toBe(0);
    expect((await api.counts()).series).toBe(0);
  });

  it('closes and reports when a newer version opens the database elsewhere', async () => {
    const { api, name } = engine();
    const seen: DbLifecycle[] = [];
    api.onLifecycle((e) => seen.push(e));
    await api.init();
    const newer = new Dexie(name);
    newer.version(50).stores({ series: '++id, &key, name, category, source', extra: '++id' });
    await newer.open(); // would hang here if the old connection did not close
    expect(seen.map((e) => e.kind)).toEqual(['open', 'versionchange']);
    newer.close();
  });

  it('lists stored anomalies newest first, by series and time range', async () => {
    const { api, name } = engine();
    await api.init();
    const db = await openDatabase(() => {}, { name });
    await db.anomalies.bulkAdd([
      { seriesKey: 'cpu', t: 1000, value: 9, score: 0.9, detector: 'ensemble' },
      { seriesKey: 'cpu', t: 3000, value: 8, score: 0.7, detector: 'ensemble' },
      { seriesKey: 'mem', t: 2000, value: 1, score: 0.6, detector: 'ensemble' }
    ]);
    db.close();
    expect((await api.listAnomalies()).map((a) => a.t)).toEqual([3000, 2000, 1000]);
    expect((await api.listAnomalies({ seriesKey: 'cpu' })).map((a) => a.t)).toEqual([3000, 1000]);
    expect((await api.listAnomalies({ from: 1500, to: 2500 })).map((a) => a.seriesKey)).toEqual([
      'mem'
    ]);
    expect(await api.listAnomalies({ seriesKey: 'cpu', limit: 1 })).toHaveLength(1);
  });

  it('searches series: the first list before the index, new series, and after a clear', async () => {
    const { api, name } = engine();
    await api.init();
    const series = (n: number, host: string) => ({
      name: `disk_${n}_bytes`,
      labels: { host },
      unit: 'B',
      kind: 'gauge' as const,
      source: 'api' as const,
      category: 'system' as const
    });
    const batch = (hosts: string[]) =>
      hosts.flatMap((h) =>
        [3, 1, 2].map((n) => ({
          series: series(n, h),
          t: Float64Array.of(1000),
          v: Float64Array.of(n)
        }))
      );
    await api.ingest(batch(['b', 'a']));
    // A fresh engine on the same store: its first plain list reads the key index.
    const other = createEngineApi({
      openDb: (cb) => openDatabase(cb, { name }),
      broadcast: () => {},
      now: () => 0
    });
    await other.init();
    const first = await other.searchSeries({ text: '', limit: 2 });
    expect(first.total).toBe(6);
    expect(first.series.map((s) => s.key)).toEqual([
      'disk_1_bytes{host="a"}',
      'disk_1_bytes{host="b"}'
    ]);
    expect((await other.searchSeries({ text: 'disk_2', limit: 10 })).total).toBe(2);
    // Series stored later (here through the other engine) are found; none twice.
    await api.ingest(batch(['c']));
    expect((await other.searchSeries({ text: 'host c', limit: 10 })).total).toBe(3);
    const c = await other.searchSeries({ text: 'c', limit: 10 });
    expect(c.series.map((s) => s.labels.host)).toEqual(['c', 'c', 'c']);
    expect((await other.searchSeries({ text: '', limit: 0 })).total).toBe(9);
    // Cleared elsewhere, then new series: the index is rebuilt, not added to.
    await api.clearAll();
    await api.ingest(batch(['d']));
    const after = await other.searchSeries({ text: 'disk', limit: 10 });
    expect(after.total).toBe(3);
    expect(after.series.every((s) => s.labels.host === 'd')).toBe(true);
  });
});
