import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { detectAnomalies } from '$lib/analytics/anomaly';
import type { StoredDetectedAnomaly } from '$lib/db/anomaly-store';
import { openDatabase } from '$lib/db/database';
import type { ChangeNotice, PointBatch, ResultEvent, SeriesDescriptor } from '$lib/types';
import { createEngineApi } from '$lib/workers/engine/api';
import { describeEventSeries, updateLevel } from '$lib/workers/engine/anomaly-events';

const MIN = 60_000;
const BASE = Date.UTC(2026, 10, 20, 0, 0);
const series: SeriesDescriptor = {
  name: 'latency_ms',
  labels: { host: 'a' },
  unit: 'ms',
  kind: 'gauge',
  source: 'api',
  category: 'app'
};
const KEY = 'latency_ms{host="a"}';

let k = 0;
const names: string[] = [];
// "Now" is within a day of the data: the detector scores 1 min buckets, which the store
// keeps 24 h and does not even write for older live data (retention would drop them).
function engine(name = `anomaly-test-${k++}`, now = BASE + 86_400_000) {
  if (!names.includes(name)) names.push(name);
  const notices: ChangeNotice[] = [];
  const api = createEngineApi({
    openDb: (cb) => openDatabase(cb, { name }),
    broadcast: (n) => notices.push(n),
    now: () => now,
    timeZone: 'UTC'
  });
  return { api, notices, name };
}
afterEach(async () => {
  for (const name of names.splice(0)) await Dexie.delete(name);
});

/**
 * Long enough for the default detector: ARTime learns its first 750 buckets (MAD scores
 * them), so the spikes come after 900, 150 apart, alternately up (400) and down (−200).
 */
const N = 1300;
const SPIKES = [950, 1100, 1250];

/** Deterministic noise: a small LCG, so the oracle and the engine see identical values. */
function makeValues(n: number, spikeAt: number[]): Float64Array {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  return Float64Array.from({ length: n }, (_, i) => {
    const k = spikeAt.indexOf(i);
    return k >= 0 ? (k % 2 ? -200 : 400) : 100 + 10 * Math.sin(i / 30) + 3 * rand();
  });
}

/** The first expected anomaly at or after bucket `i` (ARTime reports at its window's end). */
const firstFrom = (expected: number[], i: number) => expected.find((t) => t >= BASE + i * MIN);

/** One point in the middle of each minute, so each 1-minute bucket's mean is that point. */
function batch(values: Float64Array, from: number, to: number): PointBatch {
  const t = Float64Array.from({ length: to - from }, (_, j) => BASE + (from + j) * MIN + 30_000);
  return { series, t, v: values.slice(from, to) };
}

/** The oracle: the batch detector over the closed buckets (the newest bucket is still open). */
function expectedAnomalyTimes(values: Float64Array, closed: number): number[] {
  const t = Float64Array.from({ length: closed }, (_, i) => BASE + i * MIN);
  const r = detectAnomalies({ t, v: values.subarray(0, closed) });
  return r.anomalies.map((i) => t[i]);
}

async function storedTimes(api: ReturnType<typeof createEngineApi>, key = KEY) {
  const list = await api.listAnomalies({ seriesKey: key, limit: 10_000 });
  return list.map((a) => a.t).sort((a, b) => a - b);
}

describe('anomaly wiring', () => {
  it('finds an injected spike after a rollup pass, as the batch detector does', async () => {
    const n = N;
    const values = makeValues(n, SPIKES);
    const { api, notices } = engine();
    await api.ingest([batch(values, 0, n)]);
    await api.rollupPass();
    const stats = await api.runAnomalyPass();
    const expected = expectedAnomalyTimes(values, n - 1);
    // Each spike is found within ARTime's 7-bucket window.
    for (const i of SPIKES) expect(firstFrom(expected, i)).toBeLessThan(BASE + (i + 7) * MIN);
    expect(await storedTimes(api)).toEqual(expected);
    expect(stats.pending).toBe(0);
    const at = firstFrom(expected, 1100)!;
    const [spike] = (await api.listAnomalies({
      seriesKey: KEY,
      from: at,
      to: at
    })) as StoredDetectedAnomaly[];
    expect(spike.score).toBeGreaterThanOrEqual(0.317486);
    expect(spike.threshold).toBe(0.317486);
    expect(spike.detector).toBe('artime');
    expect(notices.some((x) => x.kind === 'anomalies')).toBe(true);
    const explained = await api.explainAnomaly(spike.id!);
    expect(explained?.context.t).toContain(BASE + 1100 * MIN);
    expect(explained?.text).toMatch(/artime detector/);
    // The down spike: ARTime's level is below the band it expected, since its window began.
    expect(explained?.text).toMatch(
      /It expected [-\d.]+–[-\d.]+; the value was [\d.]+ below, since 2026-11-20T18:\d\d:00.000Z\./
    );
    expect(spike.since).toBeGreaterThan(BASE + 1090 * MIN);
    expect(spike.since).toBeLessThanOrEqual(BASE + 1100 * MIN);
    const s = await api.anomalyStats();
    expect(s.bySeries[KEY]).toBe(expected.length);
  });

  it('runs after each background rollup pass on the leader', async () => {
    const n = N;
    const values = makeValues(n, SPIKES);
    let tick: (() => void) | null = null;
    const name = `anomaly-test-${k++}`;
    names.push(name);
    const api = createEngineApi({
      openDb: (cb) => openDatabase(cb, { name }),
      now: () => BASE + 86_400_000,
      timeZone: 'UTC',
      setInterval: (fn) => (tick = fn),
      clearInterval: () => {}
    });
    await api.ingest([batch(values, 0, n)]);
    await api.setLeader(true);
    for (let i = 0; i < 200 && (await api.anomalyStats()).pass.passes === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(tick).not.toBeNull();
    expect(await storedTimes(api)).toEqual(expectedAnomalyTimes(values, n - 1));
    await api.setLeader(false);
  });

  it('stores nothing twice when the pass runs again, with or without new data', async () => {
    const n = N;
    const values = makeValues(n, SPIKES);
    const { api } = engine();
    await api.ingest([batch(values, 0, n)]);
    await api.rollupPass();
    await api.runAnomalyPass();
    const first = await storedTimes(api);
    await api.runAnomalyPass();
    await api.rollupPass();
    await api.runAnomalyPass();
    expect(await storedTimes(api)).toEqual(first);
    expect(first).toEqual(expectedAnomalyTimes(values, n - 1));
  });

  it('two engines running the same pass at once store each anomaly once', async () => {
    const n = N;
    const values = makeValues(n, SPIKES);
    const a = engine();
    const b = engine(a.name);
    await a.api.ingest([batch(values, 0, n)]);
    await a.api.rollupPass();
    await Promise.all([a.api.runAnomalyPass(), b.api.runAnomalyPass()]);
    await b.api.runAnomalyPass();
    expect(await storedTimes(a.api)).toEqual(expectedAnomalyTimes(values, n - 1));
  });

  it('keeps detector state across an engine restart', async () => {
    const n = N;
    // The spikes come after the restart: a detector that lost its state would still be in
    // ARTime's probation (750 buckets, scored by MAD) and score them differently.
    const values = makeValues(n, SPIKES);
    const a = engine();
    await a.api.ingest([batch(values, 0, 1000)]);
    await a.api.rollupPass();
    await a.api.runAnomalyPass();
    const b = engine(a.name);
    await b.api.ingest([batch(values, 1000, n)]);
    await b.api.rollupPass();
    await b.api.runAnomalyPass();
    const expected = expectedAnomalyTimes(values, n - 1);
    expect(expected.filter((t) => t >= BASE + 1000 * MIN)).toHaveLength(2);
    expect(await storedTimes(b.api)).toEqual(expected);
  });

  it('stores a state when it finds something, else every few minutes, and replays after a restart', async () => {
    const n = N;
    const values = makeValues(n, SPIKES);
    let now = BASE + 86_400_000;
    const name = `anomaly-test-${k++}`;
    names.push(name);
    const mk = () =>
      createEngineApi({
        openDb: (cb) => openDatabase(cb, { name }),
        now: () => now,
        timeZone: 'UTC'
      });
    const position = async () => {
      const db = await openDatabase(() => {}, { name });
      const r = await db.detectors.get(`anomaly:${KEY}`);
      db.close();
      return r?.upTo;
    };
    const step = async (api: ReturnType<typeof mk>, from: number, to: number) => {
      await api.ingest([batch(values, from, to)]);
      await api.rollupPass();
      await api.runAnomalyPass();
    };
    const a = mk();
    await step(a, 0, 900); // nothing found, no checkpoint due: nothing written
    expect(expectedAnomalyTimes(values, 899)).toEqual([]);
    expect(await position()).toBeUndefined();
    await step(a, 900, 1000); // the spike at 950 is stored with the state that found it
    expect(await position()).toBe(BASE + 999 * MIN);
    expect(await storedTimes(a)).toEqual(expectedAnomalyTimes(values, 999));
    now += MIN;
    await step(a, 1000, 1030); // quiet, a minute later: kept in memory only
    expect(await position()).toBe(BASE + 999 * MIN);
    now += 5 * MIN;
    await step(a, 1030, 1050); // the checkpoint is due
    expect(await position()).toBe(BASE + 1049 * MIN);
    now += MIN;
    await step(a, 1050, 1070); // progress the restart loses
    expect(await position()).toBe(BASE + 1049 * MIN);
    // "Restart": a new engine replays from the stored state; nothing found twice or missed.
    const b = mk();
    await step(b, 1070, n);
    const expected = expectedAnomalyTimes(values, n - 1);
    expect(expected.filter((t) => t > BASE + 1070 * MIN)).toHaveLength(2); // 1100 and 1250
    expect(await storedTimes(b)).toEqual(expected);
    expect(await position()).toBe(BASE + (n - 1) * MIN);
  });

  it('catches up in bounded slices over several passes', async () => {
    const n = N;
    const values = makeValues(n, SPIKES);
    const { api } = engine();
    api.configureAnomalies({ sliceBuckets: 100, passBuckets: 150 });
    await api.ingest([batch(values, 0, n)]);
    await api.rollupPass();
    const buckets: number[] = [];
    let stats = await api.runAnomalyPass();
    buckets.push(stats.buckets);
    for (let i = 0; i < 20 && stats.pending > 0; i++) {
      stats = await (api as typeof api).runAnomalyPass();
      buckets.push(stats.buckets);
    }
    // Each pass fed at most one slice of 100 buckets.
    for (let i = 1; i < buckets.length; i++)
      expect(buckets[i] - buckets[i - 1]).toBeLessThanOrEqual(100);
    expect(buckets[0]).toBeLessThanOrEqual(100);
    expect(stats.pending).toBe(0);
    expect(buckets.at(-1)).toBe(n - 1);
    expect(await storedTimes(api)).toEqual(expectedAnomalyTimes(values, n - 1));
  });

  it('skips a series whose blocks cannot be read, and still serves the others', async () => {
    const n = N;
    const values = makeValues(n, SPIKES);
    const { api, name } = engine();
    const other = { ...series, labels: { host: 'b' } };
    await api.ingest([batch(values, 0, n), { ...batch(values, 0, n), series: other }]);
    await api.rollupPass();
    const db = await openDatabase(() => {}, { name });
    const broken = (await api.listSeries()).find((s) => s.key === 'latency_ms{host="b"}')!;
    await db.rollups
      .where('[seriesId+tier+t0]')
      .between([broken.id, '1m', -Infinity], [broken.id, '1m', Infinity])
      .modify({ data: Uint8Array.of(255, 1, 2, 3) });
    db.close();
    const stats = await api.runAnomalyPass();
    expect(await storedTimes(api)).toEqual(expectedAnomalyTimes(values, n - 1));
    expect(await storedTimes(api, 'latency_ms{host="b"}')).toEqual([]);
    expect(stats.lastError).toContain('latency_ms{host="b"}');
    expect(stats.pending).toBe(0);
  });

  it('caps stored anomalies per series, keeping the newest', async () => {
    const n = N;
    const values = makeValues(n, SPIKES);
    const { api } = engine();
    api.configureAnomalies({ maxAnomaliesPerSeries: 1 });
    await api.ingest([batch(values, 0, n)]);
    await api.rollupPass();
    await api.runAnomalyPass();
    const expected = expectedAnomalyTimes(values, n - 1);
    expect(expected.length).toBeGreaterThan(1);
    expect(await storedTimes(api)).toEqual([expected.at(-1)]);
  });

  it('detects event latency and failure-rate anomalies per action type', async () => {
    // Past ARTime's 750-minute probation: a slow minute at 1000, failures 1100–1130.
    const minutes = 1300;
    const events: ResultEvent[] = [];
    let seed = 7;
    const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let m = 0; m < minutes; m++) {
      for (let j = 0; j < 6; j++) {
        const slow = m === 1000;
        events.push({
          t: BASE + m * MIN + j * 9_000,
          actionType: 'build',
          status: m >= 1100 && m < 1130 ? 'failure' : rand() < 0.3 ? 'failure' : 'success',
          durationMs: Math.round((slow ? 20_000 : 1_000) + 100 * rand())
        });
      }
    }
    const { api } = engine();
    await api.ingestEvents(events);
    await api.runAnomalyPass();
    // Oracle: per-minute p95 (type 7) and failure rate, over the closed minutes.
    const closed = minutes - 1;
    const t = Float64Array.from({ length: closed }, (_, m) => BASE + m * MIN);
    const p95 = new Float64Array(closed);
    const fail = new Float64Array(closed);
    for (let m = 0; m < closed; m++) {
      const group = events.slice(m * 6, m * 6 + 6);
      const d = group.map((e) => e.durationMs).sort((a, b) => a - b);
      const h = (d.length - 1) * 0.95;
      p95[m] = d[Math.floor(h)] + (h - Math.floor(h)) * (d[Math.ceil(h)] - d[Math.floor(h)]);
      fail[m] = group.filter((e) => e.status !== 'success').length / group.length;
    }
    const keys = describeEventSeries('build');
    expect(keys.latency).toBe('events:latency_p95{actionType="build"}');
    // One-sided: only anomalies above the series' running level count.
    const above = (v: Float64Array) => {
      let level = NaN;
      return Array.from(v, (x) => {
        const ok = !(x <= level);
        level = updateLevel(level, x);
        return ok;
      });
    };
    const oneSided = (v: Float64Array) => {
      const ok = above(v);
      return detectAnomalies({ t, v })
        .anomalies.filter((i) => ok[i])
        .map((i) => t[i]);
    };
    const expLatency = oneSided(p95);
    const expFailure = oneSided(fail);
    expect(expLatency.some((x) => x >= BASE + 1000 * MIN && x < BASE + 1007 * MIN)).toBe(true);
    expect(expFailure.some((x) => x >= BASE + 1100 * MIN && x < BASE + 1120 * MIN)).toBe(true);
    expect(await storedTimes(api, keys.latency)).toEqual(expLatency);
    expect(await storedTimes(api, keys.failure)).toEqual(expFailure);
    // Again: nothing new.
    await api.runAnomalyPass();
    expect(await storedTimes(api, keys.latency)).toEqual(expLatency);
  });
});
