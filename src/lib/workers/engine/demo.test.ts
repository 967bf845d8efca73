import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '$lib/db/database';
import { generateDemoData } from '$lib/demo/generate';
import type { ChangeNotice } from '$lib/types';
import { createEngineApi } from '$lib/workers/engine/api';

const now = Date.UTC(2026, 10, 23, 12);
const expected = generateDemoData({ end: now });
const expectedPoints = expected.batches.reduce((s, b) => s + b.t.length, 0);

let k = 0;
const names: string[] = [];
function engine(name = `demo-test-${k++}`, at = now) {
  if (!names.includes(name)) names.push(name);
  const notices: ChangeNotice[] = [];
  const api = createEngineApi({
    openDb: (cb) => openDatabase(cb, { name }),
    broadcast: (n) => notices.push(n),
    now: () => at
  });
  return { api, notices, name };
}
afterEach(async () => {
  for (const name of names.splice(0)) await Dexie.delete(name);
});

/** The stored totals as the pages read them. */
async function stored(api: ReturnType<typeof engine>['api']) {
  const counts = await api.counts();
  const events = await api.recentEvents(1e6);
  return {
    series: counts.series,
    points: counts.points,
    events: counts.events,
    distinctEvents: new Set(events.map((e) => `${e.t}|${e.triggerId}|${e.actionType}|${e.status}`))
      .size
  };
}

describe('demo load job', () => {
  it('stores the demo day in checkpointed steps and tells every tab its progress', async () => {
    const { api, notices } = engine();
    const loaded = await api.loadDemo();
    expect(loaded).toEqual({ points: expectedPoints, events: expected.events.length });
    const job = await api.demoStatus();
    expect(job?.stored).toBe(job?.total);
    expect(job?.totalEvents).toBe(expected.events.length);
    const progress = notices.flatMap((n) => (n.kind === 'demo' ? [n.stored] : []));
    expect(progress).toEqual(Array.from({ length: job!.total }, (_, i) => i + 1));
    expect(await stored(api)).toMatchObject({
      series: expected.batches.length,
      points: expectedPoints,
      events: expected.events.length
    });
  });

  it('resumes after the page left mid-load and stores every event exactly once', async () => {
    const first = engine();
    // The page goes away after three steps: its progress callback throws, the run stops.
    await expect(
      first.api.loadDemo((done) => {
        if (done === 3) throw new Error('page closed');
      })
    ).rejects.toThrow('page closed');
    const half = await first.api.demoStatus();
    expect(half?.stored).toBe(3);
    // The reloaded page's engine (same store, a later clock) resumes the same day.
    const second = engine(first.name, now + 60_000);
    const job = await second.api.resumeDemo();
    expect(job?.stored).toBe(job?.total);
    expect(job?.end).toBe(now);
    const s = await stored(second.api);
    expect(s).toEqual({
      series: expected.batches.length,
      points: expectedPoints,
      events: expected.events.length,
      distinctEvents: new Set(
        expected.events.map((e) => `${e.t}|${e.triggerId}|${e.actionType}|${e.status}`)
      ).size
    });
  });

  it('lets two tabs run the same job at once without storing a step twice', async () => {
    const a = engine();
    const b = engine(a.name);
    await a.api.init();
    const runs = [a.api.loadDemo(), b.api.loadDemo()];
    await Promise.all(runs);
    expect(await stored(a.api)).toMatchObject({
      series: expected.batches.length,
      points: expectedPoints,
      events: expected.events.length
    });
  });

  it('stops when the data is deleted mid-load and starts a new day on the next click', async () => {
    const { api } = engine();
    await expect(
      api.loadDemo((done) => {
        if (done === 2) throw new Error('stop here');
      })
    ).rejects.toThrow();
    await api.clearAll();
    expect(await api.demoStatus()).toBeUndefined();
    expect(await api.resumeDemo()).toBeUndefined();
    expect((await api.counts()).points).toBe(0);
    await api.loadDemo();
    expect((await api.counts()).events).toBe(expected.events.length);
  });
});
