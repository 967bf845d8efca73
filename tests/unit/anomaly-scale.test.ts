import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { detectAnomalies } from '$lib/analytics/anomaly';
import { openDatabase } from '$lib/db/database';
import type { PointBatch } from '$lib/types';
import { createEngineApi } from '$lib/workers/engine/api';

const MIN = 60_000;
const BASE = Date.UTC(2026, 10, 20, 0, 0);
const SERIES = 2_000;
const MINUTES = 60;
/** Four value shapes, so the oracle runs four times, not 2,000. */
const SHAPES = 4;

function valuesOf(shape: number): Float64Array {
  let seed = 99 + shape;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  return Float64Array.from({ length: MINUTES }, (_, i) =>
    i === 40 + shape || i === 52 ? 500 : 100 + 5 * Math.sin(i / (6 + shape)) + rand()
  );
}

const keyOf = (i: number) => `rps{host="h${i}"}`;

function batches(): PointBatch[] {
  const shapes = Array.from({ length: SHAPES }, (_, k) => valuesOf(k));
  const t = Float64Array.from({ length: MINUTES }, (_, i) => BASE + i * MIN + 30_000);
  return Array.from({ length: SERIES }, (_, i) => ({
    series: {
      name: 'rps',
      labels: { host: `h${i}` },
      unit: '1/s',
      kind: 'gauge',
      source: 'api',
      category: 'app'
    },
    t,
    v: shapes[i % SHAPES]
  }));
}

/** The batch detector over each shape's closed buckets (the newest minute is still open). */
function oracle(): number[][] {
  const t = Float64Array.from({ length: MINUTES - 1 }, (_, i) => BASE + i * MIN);
  return Array.from({ length: SHAPES }, (_, k) =>
    detectAnomalies({ t, v: valuesOf(k).subarray(0, MINUTES - 1) }).anomalies.map((i) => t[i])
  );
}

const names: string[] = [];
afterEach(async () => {
  for (const name of names.splice(0)) await Dexie.delete(name);
});

function engine(name: string) {
  if (!names.includes(name)) names.push(name);
  const api = createEngineApi({
    openDb: (cb) => openDatabase(cb, { name }),
    now: () => BASE + 3 * 3_600_000,
    timeZone: 'UTC'
  });
  // A pass cannot finish (2,000 × 59 buckets > 40,000), and most detectors are cold.
  api.configureAnomalies({ passBuckets: 40_000, groupSeries: 500, maxLiveDetectors: 300 });
  return api;
}

async function storedBySeries(name: string) {
  const db = await openDatabase(() => {}, { name });
  const all = await db.anomalies.toArray();
  const detectors = await db.detectors.toArray();
  db.close();
  const by = new Map<string, number[]>();
  for (const a of all) by.set(a.seriesKey, [...(by.get(a.seriesKey) ?? []), a.t]);
  return { by, detectors };
}

describe('anomaly scoring at 2,000 series', () => {
  it('scores every series within a few passes, round robin, and a restart neither duplicates nor skips', async () => {
    const name = `anomaly-scale-${Date.now()}`;
    const a = engine(name);
    await a.ingest(batches());
    await a.rollupPass();
    const expected = oracle();
    expect(expected.every((times) => times.length >= 1)).toBe(true);

    const first = await a.runAnomalyPass();
    // The budget ran out part-way: the slowest series is behind, and the next pass resumes there.
    expect(first.pending).toBeGreaterThan(0);
    expect(first.lagMs).toBeGreaterThan(0);
    expect(first.cursor).toBeGreaterThan(0);
    expect(first.lastPassSeries).toBeGreaterThan(500);

    // "Restart": a new engine on the same database carries on from what was stored.
    const b = engine(name);
    let stats = await b.runAnomalyPass();
    for (let i = 0; i < 4 && stats.pending > 0; i++) stats = await b.runAnomalyPass();
    expect(stats.pending).toBe(0);
    expect(stats.lagMs).toBe(0);
    expect(stats.unscored).toBe(0);
    expect(stats.lastError).toBeNull();

    const { by, detectors } = await storedBySeries(name);
    expect(by.size).toBe(SERIES);
    for (let i = 0; i < SERIES; i++) {
      expect((by.get(keyOf(i)) ?? []).sort((x, y) => x - y)).toEqual(expected[i % SHAPES]);
    }
    // Cold detectors are stored at the end of their pass, so their stored position is
    // current; live ones (300 at most) keep progress in memory until a checkpoint is due.
    const series = detectors.filter((d) => d.key.startsWith('anomaly:rps'));
    expect(series.length).toBe(SERIES);
    const current = series.filter((d) => d.upTo === BASE + (MINUTES - 1) * MIN).length;
    expect(current).toBeGreaterThanOrEqual(SERIES - 300);
    for (const d of series) expect(d.upTo).toBeLessThanOrEqual(BASE + (MINUTES - 1) * MIN);

    // Nothing new: another pass stores nothing.
    await b.runAnomalyPass();
    expect((await storedBySeries(name)).by.get(keyOf(7))).toEqual(by.get(keyOf(7)));
  }, 120_000);
});
