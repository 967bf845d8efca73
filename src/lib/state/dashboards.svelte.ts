import {
  dashboardFileName,
  parseDashboardFile,
  serializeDashboard
} from '$lib/export/dashboard-file';
import type { Dashboard, Widget } from '$lib/types/dashboard';
import type { AppState } from './app.svelte';
import { BuiltInDashboards } from './dashboard-builtins';

/** A new dashboard's id: random, so files from two machines never collide. */
export function newDashboardId(): string {
  return crypto.randomUUID();
}

/**
 * The Dashboards page: the built-in dashboards and the user's own (stored by the engine in
 * the `dashboards` table), the one shown, and its edits. Every edit of a user dashboard is
 * saved at once, so a reload shows exactly what was on screen.
 */
export class DashboardsState {
  saved = $state.raw<Dashboard[]>([]);
  loaded = $state(false);
  error = $state<string | null>(null);
  /** Saves and deletes sent to the engine and not yet stored. */
  pending = $state(0);
  /** The id shown (from the URL). */
  currentId = $state<string>('executive');
  #app: AppState;
  #now: () => number;
  /** Local edits (saves and deletes) so far: a refresh started before one is stale. */
  #edits = 0;

  constructor(app: AppState, now: () => number = () => Date.now()) {
    this.#app = app;
    this.#now = now;
  }

  get all(): Dashboard[] {
    return [...BuiltInDashboards, ...this.saved];
  }

  get current(): Dashboard | null {
    return this.all.find((d) => d.id === this.currentId) ?? null;
  }

  async refresh(): Promise<void> {
    const edits = this.#edits;
    try {
      const list = await this.#app.engine.listDashboards();
      // An edit made meanwhile, or one not stored yet, is newer than this answer: showing the
      // answer would drop it for a moment (and an edit made on top would lose it). The last
      // save's own notice refreshes again once everything is stored.
      if (this.pending > 0 || edits !== this.#edits) return;
      this.saved = list;
      this.error = null;
    } catch (e) {
      this.error = `Could not read the saved dashboards: ${(e as Error).message}`;
    } finally {
      this.loaded = true;
    }
  }

  async #store(d: Dashboard): Promise<void> {
    this.#edits++;
    const next = { ...d, updatedAt: this.#now() };
    // Shown at once; the list order follows the store's answer.
    this.saved = [next, ...this.saved.filter((s) => s.id !== d.id)];
    this.pending++;
    try {
      await this.#app.engine.saveDashboard($state.snapshot(next) as Dashboard);
      this.error = null;
    } catch (e) {
      this.error = `The dashboard was not saved: ${(e as Error).message}`;
    } finally {
      this.pending--;
    }
  }

  /**
   * Makes an empty dashboard (or a copy of `from`) and returns its id at once: it is shown
   * while the engine stores it (behind a busy background pass that can take seconds).
   */
  create(from?: Dashboard): string {
    const at = this.#now();
    const d: Dashboard = {
      id: newDashboardId(),
      title: from ? `${from.title} (copy)` : 'New dashboard',
      range: from?.range ?? '24h',
      refreshMs: from?.refreshMs ?? 0,
      widgets: from ? structuredClone($state.snapshot(from.widgets) as Widget[]) : [],
      createdAt: at,
      updatedAt: at
    };
    void this.#store(d);
    return d.id;
  }

  /** Applies `patch` to the dashboard shown; built-ins change for this visit only. */
  async update(patch: Partial<Omit<Dashboard, 'id' | 'builtIn'>>): Promise<void> {
    const d = this.current;
    if (!d || d.builtIn) return;
    await this.#store({ ...d, ...patch });
  }

  async remove(id: string): Promise<void> {
    this.#edits++;
    this.saved = this.saved.filter((d) => d.id !== id);
    this.pending++;
    try {
      await this.#app.engine.deleteDashboard(id);
    } catch (e) {
      this.error = `The dashboard was not deleted: ${(e as Error).message}`;
    } finally {
      this.pending--;
    }
  }

  /** The dashboard as a JSON file's name and text. */
  exportFile(d: Dashboard): { name: string; text: string } {
    return { name: dashboardFileName(d), text: serializeDashboard(d) };
  }

  /**
   * Stores a dashboard read from a file; returns its id. One whose id is taken (a built-in,
   * or one already here) comes in as a copy beside it rather than over it.
   */
  async importFile(text: string): Promise<string> {
    const d = parseDashboardFile(text, this.#now());
    const taken = this.all.some((x) => x.id === d.id);
    const stored = taken ? { ...d, id: newDashboardId(), title: `${d.title} (imported)` } : d;
    await this.#store(stored);
    return stored.id;
  }
}
