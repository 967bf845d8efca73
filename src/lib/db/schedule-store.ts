import type { ExportSchedule, ScheduledRunRecord } from '$lib/export/schedule';
import type { TidemarkDb } from './database';

/** Runs listed per schedule at most; older ones are deleted as new ones are recorded. */
export const ScheduleStoreDefaults = { runsKept: 200 };

/** Every export schedule, oldest first. */
export async function listSchedules(db: TidemarkDb): Promise<ExportSchedule[]> {
  const all = (await db.schedules.toArray()) as ExportSchedule[];
  return all.sort((a, b) => a.createdAt - b.createdAt);
}

/** Stores a schedule whole (new, or edited); its runs stay. */
export async function putSchedule(db: TidemarkDb, schedule: ExportSchedule): Promise<void> {
  await db.schedules.put(schedule);
}

/** Deletes a schedule and the list of its runs. */
export async function deleteSchedule(db: TidemarkDb, id: string): Promise<void> {
  await db.transaction('rw', db.schedules, db.exportRuns, async () => {
    await db.schedules.delete(id);
    await db.exportRuns.where('scheduleId').equals(id).delete();
  });
}

/**
 * Records a run and moves its schedule's `lastSlot` to the run's slot, in one transaction, so
 * a run is never listed without the schedule knowing it ran (nor the reverse). Returns false,
 * recording nothing, when the schedule is gone or already ran this slot (another tab won).
 */
export async function recordScheduledRun(
  db: TidemarkDb,
  run: ScheduledRunRecord
): Promise<boolean> {
  return db.transaction('rw', db.schedules, db.exportRuns, async () => {
    const s = (await db.schedules.get(run.scheduleId)) as ExportSchedule | undefined;
    if (!s || (s.lastSlot !== null && s.lastSlot >= run.slot)) return false;
    await db.schedules.update(run.scheduleId, { lastSlot: run.slot });
    await db.exportRuns.add(run);
    const ids = await db.exportRuns.where('scheduleId').equals(run.scheduleId).primaryKeys();
    const extra = ids.length - ScheduleStoreDefaults.runsKept;
    if (extra > 0)
      await db.exportRuns.bulkDelete((ids as number[]).sort((a, b) => a - b).slice(0, extra));
    return true;
  });
}

/** The newest runs of every schedule, newest first. */
export async function listScheduledRuns(
  db: TidemarkDb,
  limit = 100
): Promise<ScheduledRunRecord[]> {
  return (await db.exportRuns
    .orderBy('at')
    .reverse()
    .limit(limit)
    .toArray()) as ScheduledRunRecord[];
}
