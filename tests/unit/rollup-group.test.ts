import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { TidemarkDb } from '$lib/db/database';
import { HeadStore } from '$lib/db/head-store';
import { MetricStore } from '$lib/db/metric-store';
import { RollupStore, rollupSeries, rollupSeriesGroup } from '$lib/db/rollup-store';
import type { SeriesDescriptor } from '$lib/types';

const T0 = Date.UTC(2026, 10, 23, 0, 0, 0);
const desc = (i: number): SeriesDescriptor => ({
  name: 'node_load1',
  labels: { host: `h${i}` },
  unit: '',
  kind: 'gauge',
  source: 'agent',
  category: 'system'
});

const dbs: TidemarkDb[] = [];
let n = 0;
async function open() {
  const db = new TidemarkDb({ name: `rollup-group-${n++}` });
  await db.open();
  dbs.push(db);
  const metrics = new MetricStore(db);
  return { db, metrics, rollups: new RollupStore(db) };
}
afterEach(async () => {
  for (const db of dbs.splice(0)) {
    db.close();
    await db.delete();
  }
});

function points(i: number, from: number, seconds: number) {
  const t = new Float64Array(seconds);
  const v = new Float64Array(seconds);
  for (let s = 0; s < seconds; s++) {
    t[s] = from + s * 1000;
    v[s] = (i + 1) * Math.sin(s / 17) + (s % 13 === 5 ? NaN : 0);
  }
  return { t, v };
}

/** Every rollup record, ordered, with its bytes: what a pass leaves in the store. */
async function snapshot(db: TidemarkDb) {
  const rows = await db.rollups.toArray();
  rows.sort((a, b) => a.seriesId - b.seriesId || a.tier.localeCompare(b.tier) || a.t0 - b.t0);
  const series = (await db.series.toArray()).map((s) => ({ id: s.id, rolledUntil: s.rolledUntil }));
  return { rows: rows.map((r) => ({ ...r, data: [...r.data] })), series };
}

describe('rollupSeriesGroup', () => {
  it('leaves the same records as rolling each series alone, with late points and live heads', async () => {
    const stores = [await open(), await open()];
    const S = 12;
    for (const st of stores) {
      const ids = await st.metrics.registerSeries(Array.from({ length: S }, (_, i) => desc(i)));
      // Stored points, then points held in live heads (not yet cut to chunks).
      await st.metrics.append(ids.map((id, i) => ({ seriesId: id, ...points(i, T0, 900) })));
      const heads = new HeadStore(st.db, st.metrics);
      await heads.append(ids.map((id, i) => ({ seriesId: id, ...points(i, T0 + 900_000, 200) })));
    }
    const passOnce = async (st: Awaited<ReturnType<typeof open>>, grouped: boolean) => {
      const ids = (await st.db.series.toArray()).map((s) => s.id);
      const common = { ...st, timeZone: 'UTC', now: T0 + 1_200_000 };
      for (;;) {
        const results = grouped
          ? await rollupSeriesGroup({ ...common, seriesIds: ids })
          : await Promise.all(ids.map((seriesId) => rollupSeries({ ...common, seriesId })));
        if (!results.some((r) => r.more)) break;
      }
    };
    await passOnce(stores[0], false);
    await passOnce(stores[1], true);
    expect(await snapshot(stores[1].db)).toEqual(await snapshot(stores[0].db));
    const rolled = (await stores[1].db.series.toArray()).map((s) => s.rolledUntil);
    // The heads' newest point counts: every series is rolled up to its last live point.
    expect(new Set(rolled)).toEqual(new Set([T0 + 1_099_000]));

    // Late points (before the watermark) take the merging path in both.
    for (const st of stores) {
      const ids = (await st.db.series.toArray()).map((s) => s.id);
      await st.metrics.append(
        ids.map((id, i) => ({
          seriesId: id,
          t: Float64Array.from([T0 + 500, T0 + 60_500]),
          v: Float64Array.from([i, -i])
        }))
      );
    }
    await passOnce(stores[0], false);
    await passOnce(stores[1], true);
    expect(await snapshot(stores[1].db)).toEqual(await snapshot(stores[0].db));
    expect(await stores[1].db.late.count()).toBe(0);
  });

  it('rolls nothing for no series, and stores nothing when the transaction fails', async () => {
    const st = await open();
    expect(await rollupSeriesGroup({ ...st, timeZone: 'UTC', seriesIds: [] })).toEqual([]);
    const ids = await st.metrics.registerSeries([desc(0), desc(1)]);
    await st.metrics.append(ids.map((id, i) => ({ seriesId: id, ...points(i, T0, 120) })));
    await expect(
      rollupSeriesGroup({ ...st, timeZone: 'Not/AZone', seriesIds: ids })
    ).rejects.toThrow();
    expect(await st.db.rollups.count()).toBe(0);
    expect((await st.db.series.toArray()).every((s) => s.rolledUntil === undefined)).toBe(true);
  });
});
