import 'fake-indexeddb/auto';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TidemarkDb } from '$lib/db/database';
import { HeadStore, packWal, unpackWal } from '$lib/db/head-store';
import { MetricStore } from '$lib/db/metric-store';
import type { SeriesDescriptor } from '$lib/types';

const T0 = 1_700_000_000_000;
const desc = (i: number): SeriesDescriptor => ({
  name: 'node_cpu_seconds_total',
  labels: { cpu: String(i) },
  unit: 's',
  kind: 'counter',
  source: 'agent',
  category: 'system'
});
const f = (xs: number[]) => Float64Array.from(xs);

let db: TidemarkDb;
let metrics: MetricStore;
let n = 0;
beforeEach(async () => {
  db = new TidemarkDb({ name: `test-head-${n++}` });
  await db.open();
  metrics = new MetricStore(db);
});
afterEach(async () => {
  db.close();
  await db.delete();
});

/** Delivers one sample per series at second `s` (value = s * 10 + series index). */
async function deliver(heads: HeadStore, ids: number[], s: number) {
  return heads.append(
    ids.map((id, k) => ({ seriesId: id, t: f([T0 + s * 1000]), v: f([s * 10 + k]) }))
  );
}

describe('HeadStore', () => {
  it('writes one WAL record per delivery and no chunk until a head is cut', async () => {
    const ids = await metrics.registerSeries([0, 1, 2].map(desc));
    const heads = new HeadStore(db, metrics);
    for (let s = 0; s < 5; s++) await deliver(heads, ids, s);
    expect(await db.wal.count()).toBe(5);
    expect(await db.chunks.count()).toBe(0);
    // Reads and series records see the head points.
    const raw = await metrics.readRaw(ids[1], T0, T0 + 10_000);
    expect([...raw.v]).toEqual([1, 11, 21, 31, 41]);
    const list = await metrics.listSeries();
    expect(list.find((r) => r.id === ids[2])).toMatchObject({
      lastT: T0 + 4000,
      lastV: 42,
      points: 5
    });
  });

  it('cuts old heads into chunks, keeps reads identical and empties the WAL', async () => {
    const ids = await metrics.registerSeries([0, 1].map(desc));
    const heads = new HeadStore(db, metrics, { cutSpanMs: 3_000 });
    for (let s = 0; s < 5; s++) await deliver(heads, ids, s);
    const before = await metrics.readRaw(ids[0], T0, T0 + 10_000);
    expect(heads.due(T0 + 2_000)).toEqual([]);
    expect(heads.due(T0 + 3_000).sort()).toEqual([...ids].sort());
    const cut = await heads.cut(T0 + 5_000);
    expect(cut).toEqual({ series: 2, points: 10 });
    expect(heads.points).toBe(0);
    expect(await db.wal.count()).toBe(0);
    expect(await db.chunks.count()).toBe(2);
    const after = await metrics.readRaw(ids[0], T0, T0 + 10_000);
    expect([...after.t]).toEqual([...before.t]);
    expect([...after.v]).toEqual([...before.v]);
    const rec = await db.series.get(ids[0]);
    expect(rec).toMatchObject({ lastT: T0 + 4000, lastV: 40, points: 5, firstT: T0 });
    // Later points start a new head after the stored tail and a new chunk at the next cut.
    await deliver(heads, ids, 5);
    expect([...(await metrics.readRaw(ids[0], T0, T0 + 10_000)).v]).toEqual([
      0, 10, 20, 30, 40, 50
    ]);
    await heads.cut(0, { all: true });
    expect(await db.chunks.count()).toBe(4);
    expect(await db.wal.count()).toBe(0);
  });

  it('spreads the cuts of series that started together over the second half of the cut age', async () => {
    const ids = await metrics.registerSeries(Array.from({ length: 1000 }, (_, i) => desc(i)));
    const heads = new HeadStore(db, metrics, { cutSpanMs: 120_000 });
    await deliver(heads, ids, 0);
    const dueAt = (age: number) => heads.due(T0 + age).length;
    expect(dueAt(59_000)).toBe(0);
    expect(dueAt(120_000)).toBe(1000);
    // Evenly: about a quarter more per 15 s between 60 and 120 s.
    for (const [age, share] of [
      [75_000, 0.25],
      [90_000, 0.5],
      [105_000, 0.75]
    ])
      expect(Math.abs(dueAt(age) / 1000 - share)).toBeLessThan(0.06);
    // Without spread, all at once.
    const together = new HeadStore(db, new MetricStore(db), { cutSpanMs: 120_000, cutSpread: 0 });
    await deliver(together, ids, 0);
    expect(together.due(T0 + 119_999).length).toBe(0);
    expect(together.due(T0 + 120_000).length).toBe(1000);
  });

  it('replays the WAL after a crash: nothing acknowledged is lost, nothing counted twice', async () => {
    const ids = await metrics.registerSeries([0, 1, 2].map(desc));
    const heads = new HeadStore(db, metrics, { cutSpanMs: 2_500 });
    for (let s = 0; s < 4; s++) await deliver(heads, ids, s);
    // A partial cut: some series cut, then more deliveries, then the tab dies.
    await heads.cut(T0 + 3_000);
    for (let s = 4; s < 7; s++) await deliver(heads, ids, s);
    const expected = await metrics.readRaw(ids[2], T0, T0 + 10_000);
    expect(expected.t.length).toBe(7);

    const fresh = new MetricStore(db);
    const recovered = new HeadStore(db, fresh);
    const r = await recovered.recover();
    expect(r.records).toBeGreaterThan(0);
    const got = await fresh.readRaw(ids[2], T0, T0 + 10_000);
    expect([...got.t]).toEqual([...expected.t]);
    expect([...got.v]).toEqual([...expected.v]);
    // Replaying again (a second recovery) still adds nothing twice.
    await recovered.recover();
    expect((await fresh.readRaw(ids[2], T0, T0 + 10_000)).t.length).toBe(7);
  });

  it('stores late and repeated points through the merging path, last write wins', async () => {
    const [id] = await metrics.registerSeries([desc(0)]);
    const heads = new HeadStore(db, metrics);
    await heads.append([{ seriesId: id, t: f([T0, T0 + 1000, T0 + 2000]), v: f([1, 2, 3]) }]);
    await heads.cut(0, { all: true });
    // Late (before the stored tail) + a repeated time + fresh points in one delivery.
    await heads.append([
      { seriesId: id, t: f([T0 + 500, T0 + 2000, T0 + 3000]), v: f([9, 33, 4]) }
    ]);
    const raw = await metrics.readRaw(id, T0, T0 + 10_000);
    expect([...raw.t]).toEqual([T0, T0 + 500, T0 + 1000, T0 + 2000, T0 + 3000]);
    expect([...raw.v]).toEqual([1, 9, 2, 33, 4]);
  });

  it('keeps points that arrive while a cut is being written, and the WAL they need', async () => {
    const ids = await metrics.registerSeries([0, 1].map(desc));
    const heads = new HeadStore(db, metrics, { cutSpanMs: 0 });
    for (let s = 0; s < 3; s++) await deliver(heads, ids, s);
    const cutting = heads.cut(T0 + 10_000);
    const during = deliver(heads, ids, 3);
    await Promise.all([cutting, during]);
    const raw = await metrics.readRaw(ids[1], T0, T0 + 10_000);
    expect([...raw.v]).toEqual([1, 11, 21, 31]);
    // The point delivered during the cut survives a crash.
    const fresh = new MetricStore(db);
    await new HeadStore(db, fresh).recover();
    expect([...(await fresh.readRaw(ids[1], T0, T0 + 10_000)).v]).toEqual([1, 11, 21, 31]);
  });

  it('never rejects without leaving heads as they were', async () => {
    const ids = await metrics.registerSeries([desc(0)]);
    const heads = new HeadStore(db, metrics);
    await deliver(heads, ids, 0);
    await expect(
      heads.append([{ seriesId: ids[0], t: f([T0 + 1000]), v: f([5]) }], {
        alsoTables: ['meta'],
        alsoWrite: () => Promise.reject(new Error('refused'))
      })
    ).rejects.toThrow('refused');
    expect(heads.points).toBe(1);
    expect(await db.wal.count()).toBe(1);
  });

  it('a second tab follows the WAL: its reads match the writer before and after cuts', async () => {
    const ids = await metrics.registerSeries([0, 1].map(desc));
    const writer = new HeadStore(db, metrics, { cutSpanMs: 3_000 });
    await writer.recover();
    const otherMetrics = new MetricStore(db);
    const follower = new HeadStore(db, otherMetrics);
    await follower.recover();
    await follower.setWriter(false);
    const same = async () => {
      await follower.follow({ force: true });
      for (const id of ids) {
        const a = await metrics.readRaw(id, T0, T0 + 1e6);
        const b = await otherMetrics.readRaw(id, T0, T0 + 1e6);
        expect([...b.t]).toEqual([...a.t]);
        expect([...b.v]).toEqual([...a.v]);
        const ra = metrics.patchRecord(await db.series.get(id));
        const rb = otherMetrics.patchRecord(await db.series.get(id));
        expect(rb).toMatchObject({ lastT: ra!.lastT, lastV: ra!.lastV, points: ra!.points });
      }
    };
    for (let s = 0; s < 4; s++) await deliver(writer, ids, s);
    await same();
    // The writer cuts (and truncates the WAL) while the follower still holds those points.
    await writer.cut(T0 + 10_000);
    expect(await db.wal.count()).toBe(0);
    for (let s = 4; s < 6; s++) await deliver(writer, ids, s);
    const before = await otherMetrics.readRaw(ids[0], T0, T0 + 1e6);
    expect(before.t.length).toBe(4); // not followed yet, and no point twice
    await same();
    // A follower never appends, cuts or truncates on its own.
    expect(await follower.cut(0, { all: true })).toEqual({ series: 0, points: 0 });
    // Taking over as writer: the follower catches up, then cuts everything it holds.
    await deliver(writer, ids, 6);
    await follower.setWriter(true);
    await follower.cut(0, { all: true });
    expect(await db.wal.count()).toBe(0);
    const all = await otherMetrics.readRaw(ids[1], T0, T0 + 1e6);
    expect([...all.v]).toEqual([1, 11, 21, 31, 41, 51, 61]);
  });

  it('packs and unpacks a WAL record exactly (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            seriesId: fc.integer({ min: 1, max: 1e6 }),
            pts: fc.array(fc.double({ noNaN: true }), { minLength: 1, maxLength: 5 })
          }),
          { minLength: 1, maxLength: 6 }
        ),
        (items) => {
          const batches = items.map((it) => ({
            seriesId: it.seriesId,
            t: Float64Array.from(it.pts, (_, i) => i),
            v: Float64Array.from(it.pts)
          }));
          const back = unpackWal(packWal(batches));
          expect(back.map((b) => b.seriesId)).toEqual(batches.map((b) => b.seriesId));
          back.forEach((b, k) => expect([...b.v]).toEqual([...batches[k].v]));
        }
      )
    );
  });

  it('a late point inside a head survives a crash with the head points around it', async () => {
    const [id] = await metrics.registerSeries([desc(0)]);
    const heads = new HeadStore(db, metrics);
    // Only head points (no chunk yet), then a late one between them goes to a chunk.
    await heads.append([{ seriesId: id, t: f([T0, T0 + 1000, T0 + 2000]), v: f([1, 2, 3]) }]);
    await heads.append([{ seriesId: id, t: f([T0 + 1500]), v: f([9]) }]);
    const want = [T0, T0 + 1000, T0 + 1500, T0 + 2000];
    expect([...(await metrics.readRaw(id, T0, T0 + 10_000)).t]).toEqual(want);
    // The tab dies: the WAL's points from before the late one's time come back too.
    const fresh = new MetricStore(db);
    await new HeadStore(db, fresh).recover();
    const got = await fresh.readRaw(id, T0, T0 + 10_000);
    expect([...got.t]).toEqual(want);
    expect([...got.v]).toEqual([1, 2, 9, 3]);
  });

  it('a random interleaving of deliveries, cuts and crashes reads back every point (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('deliver', 'deliver', 'deliver', 'cut', 'crash', 'late'), {
          minLength: 1,
          maxLength: 25
        }),
        async (ops) => {
          const name = `test-head-prop-${n++}`;
          const pdb = new TidemarkDb({ name });
          await pdb.open();
          let m = new MetricStore(pdb);
          const ids = await m.registerSeries([0, 1, 2].map(desc));
          let heads = new HeadStore(pdb, m, { cutSpanMs: 2_000 });
          let s = 0;
          // Late points: half a second after an earlier delivery (inside a head's span or
          // before the stored tail), value -(time): they take the merging path.
          const late = new Map<number, number>();
          for (const op of ops) {
            if (op === 'deliver') await deliver(heads, ids, s++);
            else if (op === 'cut') await heads.cut(T0 + s * 1000);
            else if (op === 'late') {
              if (s < 2) continue;
              const t = T0 + (s - 2) * 1000 + 500;
              late.set(t, -(t - T0));
              await heads.append(ids.map((id) => ({ seriesId: id, t: f([t]), v: f([-(t - T0)]) })));
            } else {
              m = new MetricStore(pdb);
              heads = new HeadStore(pdb, m, { cutSpanMs: 2_000 });
              await heads.recover();
            }
          }
          for (let k = 0; k < ids.length; k++) {
            const raw = await m.readRaw(ids[k], T0, T0 + 1e9);
            const want = [
              ...Array.from({ length: s }, (_, i): [number, number] => [T0 + i * 1000, i * 10 + k]),
              ...[...late].map(([t, v]): [number, number] => [t, v])
            ].sort((a, b) => a[0] - b[0]);
            expect([...raw.t]).toEqual(want.map((p) => p[0]));
            expect([...raw.v]).toEqual(want.map((p) => p[1]));
          }
          pdb.close();
          await pdb.delete();
        }
      ),
      { numRuns: 40 }
    );
  });
});
