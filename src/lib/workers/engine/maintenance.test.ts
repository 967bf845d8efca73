import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '$lib/db/database';
import { RollupLagDefaults, type ChangeNotice, type SeriesDescriptor } from '$lib/types';
import { createEngineApi } from './api';

const gauge: SeriesDescriptor = {
  name: 'cpu_usage_percent',
  labels: { cpu: '0' },
  unit: '%',
  kind: 'gauge',
  source: 'agent',
  category: 'system'
};
const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const name = 'maintenance-lag-test';
afterEach(() => Dexie.delete(name));

const points = (from: number, n: number) => ({
  series: gauge,
  t: Float64Array.from({ length: n }, (_, i) => from + i * 1000),
  v: Float64Array.from({ length: n }, (_, i) => i % 7)
});

describe('rollup lag', () => {
  it('says when rollups fall behind the data and when they caught up, once each', async () => {
    let now = T0;
    const notices: ChangeNotice[] = [];
    const api = createEngineApi({
      openDb: (cb) => openDatabase(cb, { name }),
      now: () => now,
      timeZone: 'UTC',
      setInterval: () => null,
      clearInterval: () => {},
      broadcast: (n) => notices.push(n)
    });
    const lagNotices = () => notices.filter((n) => n.kind === 'rollup-lag');
    // A minute of points not rolled up until two minutes after the first one.
    await api.ingest([points(T0, 60)]);
    now = T0 + 120_000;
    await api.rollupPass();
    let stats = api.backgroundStats();
    expect(stats.rollupLagMs).toBe(120_000);
    expect(stats.rollupLagMs).toBeGreaterThan(RollupLagDefaults.behindMs);
    expect(lagNotices()).toEqual([{ kind: 'rollup-lag', lagMs: 120_000, series: 0 }]);
    // Still behind: no second notice.
    await api.ingest([points(T0 + 60_000, 60)]);
    now = T0 + 240_000;
    await api.rollupPass();
    expect(lagNotices()).toHaveLength(1);
    // The data up to now rolled up (still behind at that pass: it began 121 s ago)...
    await api.ingest([points(T0 + 120_000, 120)]);
    await api.rollupPass();
    expect(api.backgroundStats().rollupLagMs).toBe(240_000 - 119_000);
    expect(lagNotices()).toHaveLength(1);
    // ...then a pass 5 s later finds only 5 s of new data: caught up, said once.
    await api.ingest([points(T0 + 240_000, 5)]);
    now = T0 + 245_000;
    await api.rollupPass();
    stats = api.backgroundStats();
    expect(stats.rollupLagMs).toBe(245_000 - 239_000);
    expect(lagNotices()).toEqual([
      { kind: 'rollup-lag', lagMs: 120_000, series: 0 },
      { kind: 'rollup-lag', lagMs: 6_000, series: 0 }
    ]);
  });
});
