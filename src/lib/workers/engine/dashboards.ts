import {
  deleteDashboard,
  getDashboard,
  listDashboards,
  putDashboard
} from '$lib/db/dashboard-store';
import type { Dashboard } from '$lib/types/dashboard';
import type { EngineContext } from './context';

/** The user's dashboards: stored in the `dashboards` table; other tabs hear of changes. */
export function createDashboardsApi(ctx: EngineContext) {
  return {
    async listDashboards(): Promise<Dashboard[]> {
      const { db } = await ctx.ready();
      return listDashboards(db);
    },

    async getDashboard(id: string): Promise<Dashboard | null> {
      const { db } = await ctx.ready();
      return getDashboard(db, id);
    },

    async saveDashboard(dashboard: Dashboard): Promise<void> {
      const { db } = await ctx.ready();
      await putDashboard(db, dashboard);
      ctx.broadcast({ kind: 'dashboards' });
    },

    async deleteDashboard(id: string): Promise<void> {
      const { db } = await ctx.ready();
      await deleteDashboard(db, id);
      ctx.broadcast({ kind: 'dashboards' });
    }
  };
}
