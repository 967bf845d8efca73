import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '$lib/db/database';
import type { ChangeNotice, PointBatch, SeriesDescriptor } from '$lib/types';
import { createEngineApi } from '$lib/workers/engine/api';

let k = 0;
const names: string[] = [];
function engine() {
  const name = `engine-agent-test-${k++}`;
  names.push(name);
  const notices: ChangeNotice[] = [];
  const api = createEngineApi({
    openDb: (cb) => openDatabase(cb, { name }),
    broadcast: (n) => notices.push(n),
    now: () => 1_700_000_100_000
  });
  return { api, notices };
}
afterEach(async () => {
  for (const name of names.splice(0)) await Dexie.delete(name);
});

const cpu: SeriesDescriptor = {
  name: 'cpu_usage_percent',
  labels: { cpu: 'total' },
  unit: '%',
  kind: 'gauge',
  source: 'agent',
  category: 'system'
};
const batch = (t: number[], v: number[], series = cpu): PointBatch => ({
  series,
  t: Float64Array.from(t),
  v: Float64Array.from(v)
});

describe('engine agent module', () => {
  it('answers queries on a series whose points are all still in the live heads', async () => {
    // Explore on a series the agent started minutes ago: nothing cut into chunks yet.
    const { api } = engine();
    const t = [1000, 2000, 3000, 4000];
    await api.storeAgentBatch({
      batches: [batch(t, [1, 2, 3, 4])],
      events: [],
      checkpoint: { bootId: 'b1', seq: 1 }
    });
    const [s] = await api.listSeries();
    for (const tier of [undefined, 'raw'] as const) {
      const r = await api.query({
        seriesId: s.id,
        from: 0,
        to: 10_000,
        maxPoints: 2400,
        aggregates: ['avg'],
        tier
      });
      expect([...r.t]).toEqual(t);
      expect([...r.columns.avg!]).toEqual([1, 2, 3, 4]);
    }
  });

  it('stores points, events and the checkpoint together', async () => {
    const { api, notices } = engine();
    expect(await api.agentCheckpoint()).toBeNull();
    await api.storeAgentBatch({
      batches: [batch([1000, 2000], [10, 20])],
      events: [{ t: 1500, actionType: 'generate', status: 'success', durationMs: 12 }],
      checkpoint: { bootId: 'b1', seq: 7 }
    });
    expect(await api.agentCheckpoint()).toEqual({ bootId: 'b1', seq: 7, at: 1_700_000_100_000 });
    const [s] = await api.listSeries();
    expect(s).toMatchObject({ name: 'cpu_usage_percent', source: 'agent', points: 2, lastV: 20 });
    const raw = await api.readRaw(s.id, 0, 10_000);
    expect([...raw.t]).toEqual([1000, 2000]);
    expect(await api.recentEvents(10)).toHaveLength(1);
    expect(notices).toEqual([
      { kind: 'points', ids: [s.id, s.id], to: 2000 },
      { kind: 'events', count: 1 }
    ]);
  });

  it('stores nothing — not even the series or the checkpoint — when the transaction fails', async () => {
    const { api } = engine();
    await api.storeAgentBatch({
      batches: [batch([1000], [1])],
      events: [],
      checkpoint: { bootId: 'b1', seq: 1 }
    });
    const other: SeriesDescriptor = { ...cpu, name: 'memory_used_bytes', unit: 'bytes' };
    // Two events with the same explicit id: the second add fails inside the transaction.
    const dup = { t: 3000, actionType: 'x', status: 'success', durationMs: 1, id: 99 };
    await expect(
      api.storeAgentBatch({
        batches: [batch([2000], [2]), batch([2000], [5], other)],
        events: [dup, dup],
        checkpoint: { bootId: 'b1', seq: 2 }
      })
    ).rejects.toThrow();
    expect(await api.agentCheckpoint()).toMatchObject({ seq: 1 });
    const list = await api.listSeries();
    expect(list.map((s) => s.name)).toEqual(['cpu_usage_percent']);
    expect(list[0].points).toBe(1);
    expect(await api.recentEvents(10)).toHaveLength(0);
    // The rolled-back series id is not cached: storing it again works.
    await api.storeAgentBatch({
      batches: [batch([2000], [5], other)],
      events: [],
      checkpoint: { bootId: 'b1', seq: 2 }
    });
    const again = await api.listSeries();
    const mem = again.find((s) => s.name === 'memory_used_bytes')!;
    expect([...(await api.readRaw(mem.id, 0, 10_000)).v]).toEqual([5]);
  });
});
