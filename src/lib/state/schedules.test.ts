import { afterEach, describe, expect, it } from 'vitest';
import { PiiDefaults } from '$lib/export/privacy';
import type { ExportSchedule, ScheduledRunRecord } from '$lib/export/schedule';
import type { AppState } from './app.svelte';
import { SchedulesState, type ScheduleProducer } from './schedules.svelte';

const H = 3_600_000;
const T0 = Date.UTC(2026, 11, 8, 9, 20);

/** A folder handle whose permission the test sets; it keeps what is written to it. */
function fakeFolder(permission: { now: PermissionState; onRequest: PermissionState }) {
  const written: Record<string, string> = {};
  const folder = {
    name: 'watch',
    queryPermission: async () => permission.now,
    requestPermission: async () => (permission.now = permission.onRequest),
    async getFileHandle(name: string) {
      return {
        async createWritable() {
          const chunks: Uint8Array[] = [];
          return new WritableStream<Uint8Array>({
            write: (c) => void chunks.push(c),
            close: () => void (written[name] = Buffer.concat(chunks).toString('utf8'))
          });
        }
      };
    }
  };
  return { folder: folder as unknown as FileSystemDirectoryHandle, written };
}

function setup(schedule: ExportSchedule, now: { t: number }, failReports = false) {
  let stored = [schedule];
  const runs: ScheduledRunRecord[] = [];
  const engine = {
    listSchedules: async () => stored,
    listScheduledRuns: async () => [...runs].reverse(),
    recordScheduledRun: async (run: ScheduledRunRecord) => {
      runs.push(run);
      stored = stored.map((s) => (s.id === run.scheduleId ? { ...s, lastSlot: run.slot } : s));
      return true;
    }
  };
  const app = {
    leader: true,
    lifecycle: { kind: 'open' },
    engine,
    subscribe: () => () => {}
  } as unknown as AppState;
  const asked: { slot: number; from: number; to: number }[] = [];
  const produce: ScheduleProducer = async (output, job) => {
    if (failReports && output.kind === 'report') throw new Error('no events stored');
    asked.push({ slot: job.slot, from: job.from, to: job.to });
    return [
      { dataset: 'metrics', ext: 'csv', type: 'text/csv', blob: new Blob([`rows for ${job.slot}`]) }
    ];
  };
  const state = new SchedulesState(app, { produce, now: () => now.t });
  return { state, runs, asked };
}

const schedule = (folder: FileSystemDirectoryHandle, lastSlot: number | null): ExportSchedule => ({
  id: 's1',
  label: 'bi',
  timing: { every: 'hourly', hour: 0, weekday: 0 },
  outputs: [{ kind: 'data', format: 'csv-long' }],
  options: {
    seriesIds: 'all',
    resolution: 'raw',
    aggregates: [],
    events: 'none',
    pii: { ...PiiDefaults },
    k: 5,
    groupBy: [],
    outliers: false,
    anomalies: false,
    insights: false,
    sparklines: false
  },
  target: 'folder',
  folder,
  folderName: 'watch',
  enabled: true,
  createdAt: T0 - 5 * H,
  lastSlot
});

const g = globalThis as { showDirectoryPicker?: unknown };
afterEach(() => delete g.showDirectoryPicker);

describe('SchedulesState (leader)', () => {
  it('writes a due run into the folder, named for its slot, and records it', async () => {
    g.showDirectoryPicker = () => {};
    const { folder, written } = fakeFolder({ now: 'granted', onRequest: 'granted' });
    const now = { t: T0 };
    const { state, runs, asked } = setup(schedule(folder, Date.UTC(2026, 11, 8, 6)), now);
    await state.check();
    // Slots 07:00 and 08:00 were missed: one run for 09:00 covering 06:00–09:00.
    expect(asked).toEqual([
      {
        slot: Date.UTC(2026, 11, 8, 9),
        from: Date.UTC(2026, 11, 8, 6),
        to: Date.UTC(2026, 11, 8, 9)
      }
    ]);
    expect(written).toEqual({
      'tidemark-bi-metrics-20261208T0900Z.csv': `rows for ${asked[0].slot}`
    });
    expect(runs).toMatchObject([
      { outcome: 'ok', skipped: 2, bytes: written['tidemark-bi-metrics-20261208T0900Z.csv'].length }
    ]);
    // Nothing more is due in the same hour.
    await state.check();
    expect(runs).toHaveLength(1);
    state.dispose();
  });

  it('without permission the run waits for a user gesture, is not marked done, then writes', async () => {
    g.showDirectoryPicker = () => {};
    const { folder, written } = fakeFolder({ now: 'prompt', onRequest: 'granted' });
    const { state, runs } = setup(schedule(folder, null), { t: T0 });
    await state.check();
    expect(state.waiting).toHaveLength(1);
    expect(runs).toHaveLength(0);
    expect(written).toEqual({});
    // The next check does not run the same slot twice while it waits.
    await state.check();
    expect(state.waiting).toHaveLength(1);
    await state.grant();
    expect(state.waiting).toHaveLength(0);
    expect(Object.keys(written)).toEqual(['tidemark-bi-metrics-20261208T0900Z.csv']);
    expect(runs).toMatchObject([{ outcome: 'ok', slot: Date.UTC(2026, 11, 8, 9) }]);
    state.dispose();
  });

  it('an output that fails makes the run failed, with its reason; the other outputs still arrive', async () => {
    g.showDirectoryPicker = () => {};
    const { folder, written } = fakeFolder({ now: 'granted', onRequest: 'granted' });
    const s: ExportSchedule = {
      ...schedule(folder, null),
      outputs: [
        { kind: 'data', format: 'csv-long' },
        { kind: 'report', dashboard: 'executive' }
      ]
    };
    const { state, runs } = setup(s, { t: T0 }, true);
    await state.check();
    expect(Object.keys(written)).toEqual(['tidemark-bi-metrics-20261208T0900Z.csv']);
    expect(runs).toMatchObject([
      {
        outcome: 'failed',
        reason: 'executive report: no events stored',
        files: [{ name: 'tidemark-bi-metrics-20261208T0900Z.csv' }]
      }
    ]);
    state.dispose();
  });
});
