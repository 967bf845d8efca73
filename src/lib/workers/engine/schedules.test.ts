import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '$lib/db/database';
import { ScheduleStoreDefaults } from '$lib/db/schedule-store';
import { PiiDefaults } from '$lib/export/privacy';
import type { ExportSchedule, ScheduledRunRecord } from '$lib/export/schedule';
import type { ChangeNotice } from '$lib/types';
import { createEngineApi } from './api';

const name = 'engine-schedules-test';
afterEach(() => Dexie.delete(name));

const H = 3_600_000;
const schedule = (id: string, createdAt: number): ExportSchedule => ({
  id,
  label: '',
  timing: { every: 'hourly', hour: 0, weekday: 0 },
  outputs: [{ kind: 'data', format: 'csv-long' }],
  options: {
    seriesIds: 'all',
    resolution: 'raw',
    aggregates: [],
    events: 'grouped',
    pii: { ...PiiDefaults },
    k: 5,
    groupBy: ['actionType'],
    outliers: false,
    anomalies: false,
    insights: false,
    sparklines: false
  },
  target: 'downloads',
  enabled: true,
  createdAt,
  lastSlot: null
});
const run = (scheduleId: string, slot: number): ScheduledRunRecord => ({
  scheduleId,
  slot,
  from: slot - H,
  to: slot,
  at: slot + 1000,
  files: [{ name: 'tidemark-metrics-x.csv', bytes: 10 }],
  bytes: 10,
  outcome: 'ok',
  skipped: 0,
  skippedSlots: []
});

describe('engine export schedules', () => {
  it('saves and lists schedules, records runs once per slot and moves lastSlot with them', async () => {
    const notices: ChangeNotice[] = [];
    const api = createEngineApi({
      openDb: (cb) => openDatabase(cb, { name }),
      broadcast: (n) => notices.push(n)
    });
    await api.saveSchedule(schedule('b', 20));
    await api.saveSchedule(schedule('a', 10));
    expect((await api.listSchedules()).map((s) => s.id)).toEqual(['a', 'b']);

    expect(await api.recordScheduledRun(run('a', 5 * H))).toBe(true);
    // Another tab (or a re-run) recording the same or an older slot changes nothing.
    expect(await api.recordScheduledRun(run('a', 5 * H))).toBe(false);
    expect(await api.recordScheduledRun(run('a', 4 * H))).toBe(false);
    expect(await api.recordScheduledRun(run('gone', 5 * H))).toBe(false);
    expect(await api.recordScheduledRun(run('a', 6 * H))).toBe(true);
    expect((await api.listSchedules()).find((s) => s.id === 'a')?.lastSlot).toBe(6 * H);
    expect((await api.listScheduledRuns()).map((r) => r.slot)).toEqual([6 * H, 5 * H]);

    await api.deleteSchedule('a');
    expect((await api.listSchedules()).map((s) => s.id)).toEqual(['b']);
    expect(await api.listScheduledRuns()).toEqual([]);
    expect(notices.filter((n) => n.kind === 'schedules')).toHaveLength(5);
  });

  it('keeps only the newest runs of a schedule', async () => {
    const api = createEngineApi({ openDb: (cb) => openDatabase(cb, { name }) });
    await api.saveSchedule(schedule('a', 0));
    const n = ScheduleStoreDefaults.runsKept + 3;
    for (let k = 1; k <= n; k++) await api.recordScheduledRun(run('a', k * H));
    const runs = await api.listScheduledRuns(1000);
    expect(runs).toHaveLength(ScheduleStoreDefaults.runsKept);
    expect(runs[0].slot).toBe(n * H);
    expect(runs.at(-1)!.slot).toBe(4 * H);
  });

  it('keeps schedules and their runs when all data is deleted', async () => {
    const api = createEngineApi({ openDb: (cb) => openDatabase(cb, { name }) });
    await api.saveSchedule(schedule('keep', 1));
    await api.recordScheduledRun(run('keep', H));
    await api.clearAll();
    expect((await api.listSchedules()).map((s) => s.id)).toEqual(['keep']);
    expect(await api.listScheduledRuns()).toHaveLength(1);
  });
});
