import {
  deleteSchedule,
  listScheduledRuns,
  listSchedules,
  putSchedule,
  recordScheduledRun
} from '$lib/db/schedule-store';
import type { ExportSchedule, ScheduledRunRecord } from '$lib/export/schedule';
import type { EngineContext } from './context';

/**
 * Scheduled exports' storage: the schedules (with their folder handles, which structured
 * clone keeps) and the list of their runs. Making the files is the page's part (the leader
 * tab's SchedulesState), since only a window can write to a picked folder or download.
 */
export function createSchedulesApi(ctx: EngineContext) {
  return {
    async listSchedules(): Promise<ExportSchedule[]> {
      const { db } = await ctx.ready();
      return listSchedules(db);
    },

    async saveSchedule(schedule: ExportSchedule): Promise<void> {
      const { db } = await ctx.ready();
      await putSchedule(db, schedule);
      ctx.broadcast({ kind: 'schedules' });
    },

    async deleteSchedule(id: string): Promise<void> {
      const { db } = await ctx.ready();
      await deleteSchedule(db, id);
      ctx.broadcast({ kind: 'schedules' });
    },

    /** Records a finished run (false when the slot was already recorded: nothing changes). */
    async recordScheduledRun(run: ScheduledRunRecord): Promise<boolean> {
      const { db } = await ctx.ready();
      const recorded = await recordScheduledRun(db, run);
      if (recorded) ctx.broadcast({ kind: 'schedules' });
      return recorded;
    },

    async listScheduledRuns(limit?: number): Promise<ScheduledRunRecord[]> {
      const { db } = await ctx.ready();
      return listScheduledRuns(db, limit);
    }
  };
}
