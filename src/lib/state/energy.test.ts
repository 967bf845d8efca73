import { describe, expect, it } from 'vitest';
import type { Columnar, SeriesRecord } from '$lib/types';
import type { EngineRemote } from '$lib/workers/engine-client';
import { EnergyDefaults, EnergyState } from './energy.svelte';

/** An engine holding one model's throughput series, counting what the page asks of it. */
function fakeEngine(points: () => Columnar) {
  const calls = { list: 0, read: 0 };
  const series: SeriesRecord = {
    id: 1,
    key: 'model_tokens_per_second{model="m",runtime="r"}',
    name: 'model_tokens_per_second',
    labels: { model: 'm', runtime: 'r' },
    unit: 'tokens/s',
    kind: 'gauge',
    source: 'api',
    category: 'model',
    lastT: 100_000
  };
  const engine = {
    listSeries: async () => {
      calls.list++;
      return [series];
    },
    readRaw: async () => {
      calls.read++;
      return points();
    }
  } as unknown as EngineRemote;
  return { engine, calls };
}

class ClockedEnergyState extends EnergyState {
  at = 100_000;
  override now(): number {
    return this.at;
  }
}

describe('EnergyState refresh', () => {
  it('reads the series list only every listEveryMs and keeps unchanged rows as they were', async () => {
    let v = 10;
    const { engine, calls } = fakeEngine(() => ({
      t: Float64Array.of(99_000, 100_000),
      v: Float64Array.of(v, v)
    }));
    const state = new ClockedEnergyState(() => engine);
    await state.refresh();
    expect(state.rows.map((r) => [r.model, r.tokensPerSecond])).toEqual([['m', 10]]);
    expect(calls).toEqual({ list: 1, read: 1 });
    const first = state.rows;

    // Same figures a refresh later: the same array, so nothing re-renders or is posted.
    state.at += EnergyDefaults.refreshMs;
    await state.refresh();
    expect(state.rows).toBe(first);
    expect(calls).toEqual({ list: 1, read: 2 });

    // New figures replace the rows; the list is still the one read before.
    v = 20;
    state.at += EnergyDefaults.refreshMs;
    await state.refresh();
    expect(state.rows).not.toBe(first);
    expect(state.rows[0].tokensPerSecond).toBe(20);
    expect(calls.list).toBe(1);

    // Once listEveryMs has passed the list is read again (a new model would show up).
    state.at += EnergyDefaults.listEveryMs;
    await state.refresh();
    expect(calls.list).toBe(2);
  });
});
