import type { Dashboard } from '$lib/types/dashboard';
import type { TidemarkDb } from './database';

/** The user's dashboards, most recently changed first. */
export async function listDashboards(db: TidemarkDb): Promise<Dashboard[]> {
  return (await db.dashboards.orderBy('updatedAt').reverse().toArray()) as Dashboard[];
}

export async function getDashboard(db: TidemarkDb, id: string): Promise<Dashboard | null> {
  return ((await db.dashboards.get(id)) as Dashboard | undefined) ?? null;
}

/** Stores a dashboard whole (a new one, or the new state of one). Built-ins are never stored. */
export async function putDashboard(db: TidemarkDb, dashboard: Dashboard): Promise<void> {
  if (dashboard.builtIn) throw new Error('Built-in dashboards are not stored; save a copy.');
  await db.dashboards.put(dashboard);
}

export async function deleteDashboard(db: TidemarkDb, id: string): Promise<void> {
  await db.dashboards.delete(id);
}
