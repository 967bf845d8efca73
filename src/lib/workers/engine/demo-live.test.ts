import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '$lib/db/database';
import type { SeriesDescriptor } from '$lib/types';
import { createEngineApi } from '$lib/workers/engine/api';

const name = 'engine-demo-live-test';
afterEach(() => Dexie.delete(name));

const cpu: SeriesDescriptor = {
  name: 'cpu_usage_percent',
  labels: { cpu: '0' },
  unit: '%',
  kind: 'gauge',
  source: 'demo',
  category: 'system'
};

describe('engine continueDemo', () => {
  it("continues demo series up to the caller's now, once, and leaves other series alone", async () => {
    const api = createEngineApi({ openDb: (cb) => openDatabase(cb, { name }) });
    await api.init();
    const t0 = 1_700_000_000_000;
    await api.ingest([
      { series: cpu, t: Float64Array.of(t0 - 10_000, t0), v: Float64Array.of(20, 22) },
      {
        series: { ...cpu, name: 'agent_cpu', source: 'agent' },
        t: Float64Array.of(t0),
        v: Float64Array.of(5)
      }
    ]);
    expect(await api.continueDemo({ now: t0 + 5_000 })).toEqual({ points: 5 });
    // The same "now" again: nothing left to write.
    expect(await api.continueDemo({ now: t0 + 5_000 })).toEqual({ points: 0 });
    const list = await api.listSeries();
    const demo = list.find((s) => s.source === 'demo')!;
    const other = list.find((s) => s.source === 'agent')!;
    expect(demo.lastT).toBe(t0 + 5_000);
    expect(other.lastT).toBe(t0);
    const raw = await api.readRaw(demo.id, t0 + 1, t0 + 5_000);
    expect([...raw.t]).toEqual([1, 2, 3, 4, 5].map((k) => t0 + k * 1000));
    for (const v of raw.v) expect(v).toBeGreaterThanOrEqual(0);
  });

  it('writes nothing without demo series', async () => {
    const api = createEngineApi({ openDb: (cb) => openDatabase(cb, { name }) });
    await api.init();
    expect(await api.continueDemo({ now: Date.now() })).toEqual({ points: 0 });
  });
});
