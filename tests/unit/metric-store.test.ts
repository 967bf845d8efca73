import 'fake-indexeddb/auto';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TidemarkDb } from '$lib/db/database';
import { decodeChunk } from '$lib/tsdb/codec/chunk';
import {
  ChunkLimits,
  MetricStore,
  concatColumnar,
  countRepeats,
  encodeAfterHead,
  mergeLastWins,
  normalisePoints,
  planAppend,
  splitIntoChunks
} from '$lib/db/metric-store';
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

  it('says how many appended times it held already, and keeps the series count honest', async () => {
    const [id] = await store.registerSeries([cpu]);
    expect(
      await store.append([{ seriesId: id, t: f([10, 20, 30, 40]), v: f([1, 2, 3, 4]) }])
    ).toEqual({ added: 4, present: 0, changed: 0 });
    // All four again (one with another value, one NaN over a number), and two new times.
    expect(
      await store.append([
        { seriesId: id, t: f([5, 10, 20, 30, 40, 45]), v: f([0, 1, 9, 3, NaN, 5]) }
      ])
    ).toEqual({ added: 2, present: 4, changed: 2 });
    // The same batch once more: nothing new, nothing changed (a gap re-imported is no change).
    expect(
      await store.append([
        { seriesId: id, t: f([5, 10, 20, 30, 40, 45]), v: f([0, 1, 9, 3, NaN, 5]) }
      ])
    ).toEqual({ added: 0, present: 6, changed: 0 });
    // After the stored tail: the fast path, all new.
    expect(await store.append([{ seriesId: id, t: f([50, 60]), v: f([1, 1]) }])).toEqual({
      added: 2,
      present: 0,
      changed: 0
    });
    const series = await db.series.get(id);
    expect(series?.points).toBe(8);
    expect((await store.readRaw(id, 0, 100)).t.length).toBe(8);
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

describe('countRepeats', () => {
  it.each([
    { older: [], newer: [1, 2], present: 0, changed: 0 },
    { older: [1, 2], newer: [], present: 0, changed: 0 },
    { older: [1, 3, 5], newer: [2, 3, 4, 5, 6], present: 2, changed: 0 },
    { older: [1, 2, 3], newer: [1, 2, 3], present: 3, changed: 0 }
  ])('counts shared times of $older and $newer', ({ older, newer, present, changed }) => {
    const run = (t: number[]) => ({ t: f(t), v: f(t.map((x) => x * 10)) });
    expect(countRepeats(run(older), run(newer))).toEqual({ present, changed });
  });

  it('counts a changed value, but not NaN over NaN nor -0 over 0', () => {
    const older = { t: f([1, 2, 3, 4]), v: f([NaN, 0, 5, 6]) };
    const newer = { t: f([1, 2, 3, 4]), v: f([NaN, -0, 7, NaN]) };
    expect(countRepeats(older, newer)).toEqual({ present: 4, changed: 2 });
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
      seed: fc.integer({ min: 0, max: 1000 }),
      // Planned ahead with chunks encoded as if the run started new chunks (as the engine
      // does for an import's next commit): wrong whenever it overlaps or extends the head.
      planned: fc.boolean()
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
          const points = [{ seriesId: st.series === 0 ? a : b, t, v }];
          if (st.planned) await store.appendPlanned(planAppend(points, true));
          else await store.append(points);
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

describe('appendPlanned', () => {
  it("uses a plan's chunks only where the stored records agree with them", async () => {
    const [id] = await store.registerSeries([cpu]);
    const run = (t0: number, count: number) => ({
      seriesId: id,
      t: Float64Array.from({ length: count }, (_, i) => t0 + i * 10),
      v: Float64Array.from({ length: count }, (_, i) => t0 / 10 + i)
    });
    // A small head, then a planned run after it: the head is extended, not left beside a
    // chunk of the run's own as the plan assumed.
    await store.append([run(0, 100)]);
    const plan = planAppend([run(1000, 50)], true);
    expect(plan.chunks![0]).toHaveLength(1);
    expect(plan.maxT).toBe(1000 + 49 * 10);
    await store.appendPlanned(plan);
    let chunks = await db.chunks.toArray();
    expect(chunks.map((c) => [c.t0, c.n])).toEqual([[0, 150]]);
    // A large head, then a planned run: exactly the plan's chunk is added.
    await store.append([run(10_000, ChunkLimits.maxPoints - 150)]);
    const big = planAppend([run(1_000_000, 2000)], true);
    await store.appendPlanned(big);
    chunks = await db.chunks.orderBy('[seriesId+t0]').toArray();
    expect(chunks.at(-1)).toEqual(big.chunks![0][0]);
    // An overlapping planned run takes the general path: last write wins.
    await store.appendPlanned(planAppend([{ seriesId: id, t: f([5, 10]), v: f([-1, -2]) }], true));
    const raw = await store.readRaw(id, 0, 20);
    expect(Array.from(raw.t)).toEqual([0, 5, 10, 20]);
    expect(Array.from(raw.v)).toEqual([0, -1, -2, 2]);
    const rec = (await db.series.get(id)) as unknown as { points: number; lastT: number };
    expect(rec.lastT).toBe(1_000_000 + 1999 * 10);
  });
});

describe('encodeAfterHead', () => {
  const M = ChunkLimits.maxPoints;
  /** `count` points from `t0`, `stepMs` apart, with values 0.1·i. */
  const run = (t0: number, count: number, stepMs: number) => ({
    t: Float64Array.from({ length: count }, (_, i) => t0 + i * stepMs),
    v: Float64Array.from({ length: count }, (_, i) => i / 10)
  });

  it.each([
    // head points, batch points, step: expected chunk sizes (by hand from ChunkLimits)
    { name: 'batch fits the head', headN: 100, batchN: 50, step: 1, sizes: [150] },
    {
      name: 'batch crosses the limit',
      headN: M - 96,
      batchN: M + 904,
      step: 1,
      sizes: [M, M, 808]
    },
    { name: 'head just full', headN: M - 1, batchN: 1, step: 1, sizes: [M] },
    { name: '1 h span limit', headN: 10, batchN: 5000, step: 1000, sizes: [3600, 1410] },
    { name: 'span reached at once', headN: 3600, batchN: 2, step: 1000, sizes: [3600, 2] },
    { name: 'no head', headN: 0, batchN: M + 1, step: 1, sizes: [M, 1] }
  ])('$name → $sizes', ({ headN, batchN, step, sizes }) => {
    const all = run(1_000_000, headN + batchN, step);
    const head = headN > 0 ? run(1_000_000, headN, step) : undefined;
    const batch = { t: all.t.slice(headN), v: all.v.slice(headN) };
    const before = { t: batch.t.slice(), v: batch.v.slice() };
    const chunks = encodeAfterHead(7, head, batch);
    expect(chunks.map((c) => c.n)).toEqual(sizes);
    let at = 0;
    for (const c of chunks) {
      const back = decodeChunk(c.data);
      expect(c.seriesId).toBe(7);
      expect(c.t0).toBe(all.t[at]);
      expect(c.t1).toBe(all.t[at + c.n - 1]);
      expect(Array.from(back.t)).toEqual(Array.from(all.t.subarray(at, at + c.n)));
      expect(Array.from(back.v)).toEqual(Array.from(all.v.subarray(at, at + c.n)));
      at += c.n;
    }
    expect(at).toBe(headN + batchN);
    // The batch is read, never written.
    expect(batch).toEqual(before);
  });
});

describe('encodeAfterHead against splitting a copy of head + batch', () => {
  it('property: the same chunk records, byte for byte', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: ChunkLimits.maxPoints }),
        fc.integer({ min: 1, max: 9000 }),
        fc.constantFrom(1, 7, 1000, 2500, 600_000),
        fc.integer({ min: 0, max: 3 }),
        (headCount, batchN, step, gap) => {
          // Mostly a head as stored (spanning less than maxSpanMs), sometimes one that does not.
          const headN =
            headCount % 5
              ? Math.min(headCount, Math.ceil(ChunkLimits.maxSpanMs / step))
              : headCount;
          const t = Float64Array.from({ length: headN + batchN }, (_, i) => 5e6 + i * step);
          // A gap after the head moves the batch's start towards the span limit.
          for (let i = headN; i < t.length; i++) t[i] += gap * 1_000_000;
          const v = Float64Array.from(t, (_, i) => ((i * 8) % 1000) / 10);
          const head = { t: t.subarray(0, headN), v: v.subarray(0, headN) };
          const batch = { t: t.subarray(headN), v: v.subarray(headN) };
          const got = encodeAfterHead(3, head, batch);
          const want = splitIntoChunks(3, concatColumnar([head, batch]));
          const shape = (cs: typeof got) =>
            cs.map((c) => [c.seriesId, c.t0, c.t1, c.n, Array.from(c.data)]);
          expect(shape(got)).toEqual(shape(want));
        }
      ),
      { numRuns: 60 }
    );
  });
});

describe('MetricStore head chunk', () => {
  it('extends the head chunk in place, then starts new ones', async () => {
    const [id] = await store.registerSeries([cpu]);
    const M = ChunkLimits.maxPoints;
    const t = Float64Array.from({ length: 2 * M + 808 }, (_, i) => 5000 + i);
    const v = Float64Array.from({ length: 2 * M + 808 }, (_, i) => (i % 1000) / 10);
    await store.append([{ seriesId: id, t: t.subarray(0, 1000), v: v.subarray(0, 1000) }]);
    await store.append([{ seriesId: id, t: t.subarray(1000, 2000), v: v.subarray(1000, 2000) }]);
    let chunks = await db.chunks.toArray();
    expect(chunks.map((c) => [c.t0, c.n])).toEqual([[5000, 2000]]);
    await store.append([{ seriesId: id, t: t.subarray(2000), v: v.subarray(2000) }]);
    chunks = await db.chunks.orderBy('[seriesId+t0]').toArray();
    // The small head (2,000 points) is merged with the batch, then split at the limit.
    expect(chunks.map((c) => [c.t0, c.n])).toEqual([
      [5000, M],
      [5000 + M, M],
      [5000 + 2 * M, 808]
    ]);
    const rec = (await db.series.get(id)) as unknown as { headT0: number; headN: number };
    expect([rec.headT0, rec.headN]).toEqual([5000 + 2 * M, 808]);
    const back = await store.readRaw(id, -Infinity, Infinity);
    expect(Array.from(back.t)).toEqual(Array.from(t));
    expect(Array.from(back.v)).toEqual(Array.from(v));
  });

  it('stores a sorted batch and the same batch shuffled alike', async () => {
    const other: SeriesDescriptor = { ...cpu, labels: { cpu: '1', host: 'a' } };
    const [a, b] = await store.registerSeries([cpu, other]);
    const t = Float64Array.from({ length: 300 }, (_, i) => 100 + 2 * i);
    const v = Float64Array.from({ length: 300 }, (_, i) => i * 0.25);
    // A fixed permutation: i → (i·7) mod 300 (7 and 300 are coprime).
    const order = Array.from({ length: 300 }, (_, i) => (i * 7) % 300);
    await store.append([{ seriesId: a, t: f([0, 1]), v: f([9, 9]) }]);
    await store.append([{ seriesId: b, t: f([0, 1]), v: f([9, 9]) }]);
    await store.append([
      { seriesId: a, t, v },
      { seriesId: b, t: f(order.map((i) => t[i])), v: f(order.map((i) => v[i])) }
    ]);
    const ra = await store.readRaw(a, -Infinity, Infinity);
    const rb = await store.readRaw(b, -Infinity, Infinity);
    expect(Array.from(ra.t)).toEqual([0, 1, ...t]);
    expect(Array.from(ra.v)).toEqual([9, 9, ...v]);
    expect(Array.from(rb.t)).toEqual(Array.from(ra.t));
    expect(Array.from(rb.v)).toEqual(Array.from(ra.v));
    expect(await db.chunks.count()).toBe(2);
  });
});

describe('normalisePoints copies only when it must', () => {
  it('returns a sorted, duplicate-free batch itself', () => {
    const points = { t: f([1, 2, 5]), v: f([1, 2, 3]) };
    expect(normalisePoints(points)).toBe(points);
  });

  it.each([
    // repeated times in sorted input (one pass) and in unsorted input (sort, then the same)
    { t: [1, 2, 2, 2, 3, 3], v: [1, 2, 3, 4, 5, 6], et: [1, 2, 3], ev: [1, 4, 6] },
    { t: [3, 2, 3, 1, 2], v: [1, 2, 3, 4, 5], et: [1, 2, 3], ev: [4, 5, 3] }
  ])('keeps the last of each time in $t', ({ t, v, et, ev }) => {
    const points = { t: f(t), v: f(v) };
    const out = normalisePoints(points);
    expect(Array.from(out.t)).toEqual(et);
    expect(Array.from(out.v)).toEqual(ev);
    // The input is never written.
    expect(Array.from(points.t)).toEqual(t);
    expect(Array.from(points.v)).toEqual(v);
  });
});
