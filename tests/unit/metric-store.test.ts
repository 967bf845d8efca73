import 'fake-indexeddb/auto';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TidemarkDb } from '$lib/db/database';
import { ChunkLimits, MetricStore, mergeLastWins, normalisePoints } from '$lib/db/metric-store';
import type { SeriesDescriptor } from '$lib/types';

const cpu: SeriesDescriptor = {
  name: 'cpu_usage_percent',
  labels: { cpu: '0', host: 'a' },
  unit: '%',
  kind: 'gauge',
  source: 'api',
  category: 'system'
};
const f = (xs: number[]) => Float64Array.from(xs);

let db: TidemarkDb;
let store: MetricStore;
let n = 0;
beforeEach(async () => {
  db = new TidemarkDb({ name: `test-store-${n++}` });
  await db.open();
  store = new MetricStore(db);
});
afterEach(async () => {
  db.close();
  await db.delete();
});

describe('MetricStore', () => {
  it('registers a series once whatever the label order', async () => {
    const [a] = await store.registerSeries([cpu]);
    const [b] = await new MetricStore(db).registerSeries([
      { ...cpu, labels: { host: 'a', cpu: '0' } }
    ]);
    expect(b).toBe(a);
    const all = await store.listSeries();
    expect(all).toHaveLength(1);
    expect(all[0].key).toBe('cpu_usage_percent{cpu="0",host="a"}');
  });

  it('reads back exactly what was appended, across chunk boundaries', async () => {
    const [id] = await store.registerSeries([cpu]);
    const count = ChunkLimits.maxPoints * 2 + 123;
    const t = new Float64Array(count);
    const v = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      t[i] = 1_700_000_000_000 + i * 100;
      v[i] = Math.sin(i) * 100;
    }
    // Appended in three uneven batches, as an ingest queue would.
    await store.append([{ seriesId: id, t: t.subarray(0, 1000), v: v.subarray(0, 1000) }]);
    await store.append([{ seriesId: id, t: t.subarray(1000, 5000), v: v.subarray(1000, 5000) }]);
    await store.append([{ seriesId: id, t: t.subarray(5000), v: v.subarray(5000) }]);
    const back = await store.readRaw(id, -Infinity, Infinity);
    expect(Array.from(back.t)).toEqual(Array.from(t));
    expect(Array.from(back.v)).toEqual(Array.from(v));
    const chunks = await db.chunks.toArray();
    expect(chunks.every((c) => c.n <= ChunkLimits.maxPoints)).toBe(true);
    expect(chunks.reduce((s, c) => s + c.n, 0)).toBe(count);
  });

  it('merges late and duplicate points: last write wins, NaN stays a gap', async () => {
    const [id] = await store.registerSeries([cpu]);
    await store.append([{ seriesId: id, t: f([10, 20, 30, 40]), v: f([1, 2, 3, 4]) }]);
    await store.append([{ seriesId: id, t: f([25, 20, 50]), v: f([2.5, NaN, 5]) }]);
    const back = await store.readRaw(id, 0, 100);
    expect(Array.from(back.t)).toEqual([10, 20, 25, 30, 40, 50]);
    expect(Array.from(back.v)).toEqual([1, NaN, 2.5, 3, 4, 5]);
    const series = await db.series.get(id);
    expect(series?.lastT).toBe(50);
    expect(series?.lastV).toBe(5);
    expect(series?.firstT).toBe(10);
  });

  it('reads only the asked range', async () => {
    const [id] = await store.registerSeries([cpu]);
    await store.append([{ seriesId: id, t: f([1, 2, 3, 4, 5]), v: f([1, 2, 3, 4, 5]) }]);
    const back = await store.readRaw(id, 2, 4);
    expect(Array.from(back.t)).toEqual([2, 3, 4]);
  });

  it('extends a head chunk with small batches, but leaves a large head as it is for a big batch', async () => {
    const [id] = await store.registerSeries([cpu]);
    const max = ChunkLimits.maxPoints;
    const batch = (from: number, count: number) => ({
      seriesId: id,
      t: Float64Array.from({ length: count }, (_, i) => from + i),
      v: Float64Array.from({ length: count }, (_, i) => (from + i) % 97)
    });
    // Small batches go into the head: one chunk.
    await store.append([batch(0, 100)]);
    await store.append([batch(100, 100)]);
    expect((await db.chunks.toArray()).map((c) => c.n)).toEqual([200]);
    // A small head is merged with a big batch rather than left as a sliver.
    await store.append([batch(200, max)]);
    expect((await db.chunks.toArray()).map((c) => c.n)).toEqual([max, 200]);
    // The head (200 points from t = max) takes half a chunk more and is then over a quarter
    // full: a big batch that does not fit beside it gets chunks of its own, and the head's
    // bytes are not rewritten.
    await store.append([batch(200 + max, max / 2)]);
    const head = (await db.chunks.toArray()).find((c) => c.t0 === max)!;
    expect(head.n).toBe(200 + max / 2);
    await store.append([batch(400 + max + max / 2 - 200, max)]);
    const after = await db.chunks.toArray();
    expect(after.find((c) => c.t0 === max)!.data).toEqual(head.data);
    expect(after.map((c) => c.n)).toEqual([max, 200 + max / 2, max]);
    const back = await store.readRaw(id, -Infinity, Infinity);
    const total = 200 + max + max / 2 + max;
    expect(Array.from(back.t)).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(Array.from(back.v)).toEqual(Array.from({ length: total }, (_, i) => i % 97));
  });

  it('starts a new chunk when the head chunk would span more than an hour', async () => {
    const [id] = await store.registerSeries([cpu]);
    await store.append([{ seriesId: id, t: f([0]), v: f([1]) }]);
    await store.append([{ seriesId: id, t: f([ChunkLimits.maxSpanMs + 1]), v: f([2]) }]);
    expect(await db.chunks.count()).toBe(2);
  });
});

describe('normalisePoints', () => {
  it.each([
    { t: [1, 2, 3], v: [1, 2, 3], et: [1, 2, 3], ev: [1, 2, 3] },
    { t: [3, 1, 2], v: [30, 10, 20], et: [1, 2, 3], ev: [10, 20, 30] },
    { t: [1, 1, 1], v: [1, 2, 3], et: [1], ev: [3] },
    { t: [2, 1, 2], v: [1, 5, 9], et: [1, 2], ev: [5, 9] },
    { t: [], v: [], et: [], ev: [] }
  ])('$t → $et', ({ t, v, et, ev }) => {
    const out = normalisePoints({ t: f(t), v: f(v) });
    expect(Array.from(out.t)).toEqual(et);
    expect(Array.from(out.v)).toEqual(ev);
  });
});

describe('mergeLastWins', () => {
  it('interleaves and lets the newer run win ties', () => {
    const out = mergeLastWins(
      { t: f([1, 3, 5]), v: f([1, 3, 5]) },
      { t: f([2, 3, 6]), v: f([20, 30, 60]) }
    );
    expect(Array.from(out.t)).toEqual([1, 2, 3, 5, 6]);
    expect(Array.from(out.v)).toEqual([1, 20, 30, 5, 60]);
  });
});

describe('MetricStore appends in any order', () => {
  it('match a last-write-wins oracle, keep chunk limits and track the head chunk', async () => {
    const other: SeriesDescriptor = { ...cpu, labels: { cpu: '1', host: 'a' } };
    const [a, b] = await store.registerSeries([cpu, other]);
    // Each step appends a run to one of two series: mostly after what is stored (the
    // batched path), sometimes overlapping or before it (the general path), with NaN.
    const step = fc.record({
      series: fc.integer({ min: 0, max: 1 }),
      start: fc.integer({ min: 0, max: 40_000 }),
      gap: fc.constantFrom(1, 250, 1000, 1500),
      count: fc.integer({ min: 1, max: 3000 }),
      after: fc.boolean(),
      seed: fc.integer({ min: 0, max: 1000 })
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
        await db.chunks.clear();
        await db.late.clear();
        await db.series.toCollection().modify((r) => {
          for (const key of ['firstT', 'lastT', 'lastV', 'points', 'headT0', 'headN']) {
            delete (r as unknown as Record<string, unknown>)[key];
          }
        });
        const oracle = [new Map<number, number>(), new Map<number, number>()];
        const last = [0, 0];
        for (const st of steps) {
          const t0 = st.after ? last[st.series] + st.gap : st.start;
          const t = new Float64Array(st.count);
          const v = new Float64Array(st.count);
          for (let i = 0; i < st.count; i++) {
            t[i] = t0 + i * st.gap;
            v[i] = (i + st.seed) % 13 === 0 ? NaN : st.seed + i / 8;
            oracle[st.series].set(t[i], v[i]);
          }
          last[st.series] = Math.max(last[st.series], t[st.count - 1]);
          await store.append([{ seriesId: st.series === 0 ? a : b, t, v }]);
        }
        for (const [k, id] of [a, b].entries()) {
          const want = [...oracle[k].entries()].sort((x, y) => x[0] - y[0]);
          const got = await store.readRaw(id, -Infinity, Infinity);
          expect(Array.from(got.t)).toEqual(want.map((p) => p[0]));
          expect(Array.from(got.v)).toEqual(want.map((p) => p[1]));
          const chunks = await db.chunks
            .where('[seriesId+t0]')
            .between([id, -Infinity], [id, Infinity])
            .toArray();
          for (const c of chunks) {
            expect(c.n).toBeLessThanOrEqual(ChunkLimits.maxPoints);
            expect(c.t1 - c.t0).toBeLessThan(ChunkLimits.maxSpanMs);
          }
          const rec = (await db.series.get(id)) as unknown as { headT0?: number; headN?: number };
          if (chunks.length) {
            const head = chunks[chunks.length - 1];
            expect(rec.headT0).toBe(head.t0);
            expect(rec.headN).toBe(head.n);
          }
        }
      }),
      { numRuns: 40 }
    );
  });
});
