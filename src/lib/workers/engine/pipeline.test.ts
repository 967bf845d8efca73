import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '$lib/db/database';
import type { PointBatch, SeriesDescriptor } from '$lib/types';
import { createEngineApi } from './api';
import {
  BackgroundStages,
  createYielder,
  runBackgroundStages,
  type BackgroundStage,
  type BackgroundStageName
} from './pipeline';

const MIN = 60_000;
const BASE = Date.UTC(2026, 10, 20, 0, 0);

const names: string[] = [];
afterEach(async () => {
  for (const name of names.splice(0)) await Dexie.delete(name);
});

describe('runBackgroundStages', () => {
  it('runs stages in BackgroundStages order, whatever order they were registered in', async () => {
    const ran: string[] = [];
    const stages: Partial<Record<BackgroundStageName, BackgroundStage>> = {};
    for (const name of [...BackgroundStages].reverse()) {
      stages[name] = async () => void ran.push(name);
    }
    await runBackgroundStages({
      stages,
      pass: { seriesIds: [], now: 0, importing: false },
      now: () => 0,
      yieldToQueries: async () => {}
    });
    expect(ran).toEqual(['rollup', 'retention', 'detect', 'alert', 'insights']);
  });

  it('skips a failing stage for this pass, but a failing rollup ends the pass', async () => {
    const ran: string[] = [];
    const run = (rollupFails: boolean) =>
      runBackgroundStages({
        stages: {
          rollup: async (pass) => {
            if (rollupFails) throw new Error('closed');
            pass.seriesIds = [7];
          },
          detect: async () => {
            throw new Error('detector broke');
          },
          alert: async (pass) => void ran.push(`alert ${pass.seriesIds.join()}`)
        },
        pass: { seriesIds: [], now: 0, importing: false },
        now: () => 0,
        yieldToQueries: async () => {}
      });
    await run(false);
    expect(ran).toEqual(['alert 7']);
    await expect(run(true)).rejects.toThrow('closed');
    expect(ran).toEqual(['alert 7']);
  });
});

describe('createYielder', () => {
  it('yields a macrotask only once the slice has passed', async () => {
    const clock = { t: 0 };
    const pause = createYielder({ sliceMs: 10, clock: () => clock.t });
    let timerRan = false;
    setTimeout(() => (timerRan = true), 0);
    clock.t = 5;
    await pause();
    expect(timerRan).toBe(false);
    clock.t = 11;
    await pause();
    expect(timerRan).toBe(true);
  });

  it('waits while a call of the page is in flight, but not longer than maxWaitMs', async () => {
    let busy = true;
    const pause = createYielder({ busy: () => busy, maxWaitMs: 60_000, pollMs: 1 });
    let resumed = false;
    const waiting = pause().then(() => (resumed = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(resumed).toBe(false);
    busy = false;
    await waiting;
    expect(resumed).toBe(true);
    const stuck = createYielder({ busy: () => true, maxWaitMs: 5, pollMs: 1 });
    await stuck();
  });
});

describe('the background pass', () => {
  it('lets an anomaly alert read the scores detected in the same pass', async () => {
    const name = `pipeline-test-${Math.random()}`;
    names.push(name);
    const api = createEngineApi({
      openDb: (cb) => openDatabase(cb, { name }),
      now: () => BASE + 600 * MIN,
      timeZone: 'UTC'
    });
    const series: SeriesDescriptor = {
      name: 'latency_ms',
      labels: { host: 'a' },
      unit: 'ms',
      kind: 'gauge',
      source: 'api',
      category: 'app'
    };
    // One point a minute, steady with a little noise, and one spike at minute 420.
    let seed = 7;
    const noise = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 6 - 3;
    const batch: PointBatch = {
      series,
      t: Float64Array.from({ length: 600 }, (_, i) => BASE + i * MIN + 30_000),
      v: Float64Array.from({ length: 600 }, (_, i) => (i === 420 ? 400 : 100 + noise()))
    };
    await api.ingest([batch]);
    const saved = await api.saveAlertRule({
      text: 'anomaly(latency_ms{host="a"}) over 1d >= 0.5'
    });
    expect(saved.ok).toBe(true);

    await api.runBackgroundPass();

    // The detector stored the spike in this pass, and the alert stage, running after it,
    // already fires on it (run before detection it would have seen no scores at all).
    expect((await api.listAnomalies({ from: BASE + 420 * MIN, to: BASE + 420 * MIN })).length).toBe(
      1
    );
    expect(api.alertStats().passes).toBe(1);
    const [rule] = await api.listAlertRules();
    expect(rule.instances.map((i) => i.status)).toEqual(['firing']);
  });
});
