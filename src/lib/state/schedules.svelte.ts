import { getContext, setContext } from 'svelte';
import {
  planRun,
  scheduledFileName,
  type ExportSchedule,
  type ScheduledOutput,
  type ScheduledRunRecord
} from '$lib/export/schedule';
import type { AppState } from './app.svelte';
import { busyWork } from './busy.svelte';

/** One file a scheduled output made, before it is named for its slot. */
export interface ProducedFile {
  dataset: string;
  ext: string;
  type: string;
  blob: Blob;
}

/** What one run asks of a producer: the schedule, the slot and the data window [from, to). */
export interface ScheduledJob {
  schedule: ExportSchedule;
  slot: number;
  from: number;
  to: number;
}

/** Makes the files of one output (data export, result table or report). */
export type ScheduleProducer = (
  output: ScheduledOutput,
  job: ScheduledJob
) => Promise<ProducedFile[]>;

/** A run whose files wait for the user to grant the folder again (after a restart). */
export interface WaitingRun {
  schedule: ExportSchedule;
  run: ScheduledRunRecord;
  files: { name: string; type: string; blob: Blob }[];
}

export const SchedulesDefaults = {
  /** The scheduler looks again at least this often (a sleeping laptop, a changed clock). */
  checkMs: 60_000,
  /** …and at most this often. */
  minCheckMs: 1_000
};

type PermissionHandle = FileSystemDirectoryHandle & {
  queryPermission?: (d: { mode: 'readwrite' }) => Promise<PermissionState>;
  requestPermission?: (d: { mode: 'readwrite' }) => Promise<PermissionState>;
};

/** Whether this browser can pick a folder and write into it (File System Access API). */
export function canPickFolder(): boolean {
  return (
    typeof (globalThis as { showDirectoryPicker?: unknown }).showDirectoryPicker === 'function'
  );
}

/**
 * Scheduled exports (issue 24): the schedules and their runs (stored by the engine), and in
 * the leader tab only the scheduler that writes due exports into the picked folder, or into
 * the downloads where the browser cannot write to a folder. Slot planning and catch-up are
 * export/schedule.ts (pure): when Tidemark was closed past several slots, the next leader
 * runs the latest one once, with a window covering the gap, and records the skipped ones.
 *
 * A folder handle loses its permission when the browser restarts, and only a user gesture may
 * ask for it again: such a run waits (listed in `waiting`, shown in a banner on every page)
 * until the user presses Allow, and its slot is not marked done meanwhile, so closing the tab
 * leaves it for the next open instead of dropping it.
 */
export class SchedulesState {
  schedules = $state.raw<ExportSchedule[]>([]);
  runs = $state.raw<ScheduledRunRecord[]>([]);
  loaded = $state(false);
  error = $state<string | null>(null);
  waiting = $state.raw<WaitingRun[]>([]);
  /** Schedules whose run is being made now. */
  running = $state.raw<string[]>([]);

  #app: AppState;
  #produce: ScheduleProducer;
  #now: () => number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stop: (() => void) | null = null;

  constructor(app: AppState, options: { produce: ScheduleProducer; now?: () => number }) {
    this.#app = app;
    this.#produce = options.produce;
    this.#now = options.now ?? (() => Date.now());
  }

  /** Follows the store (lists) and leadership (the scheduler); returns nothing, see dispose(). */
  start(): void {
    const unsubscribe = this.#app.subscribe((n) => {
      if (n.kind === 'schedules') void this.refresh();
    });
    const root = $effect.root(() => {
      $effect(() => {
        if (this.#app.lifecycle?.kind !== 'open') return;
        void this.refresh();
      });
      $effect(() => {
        // The leader (and only it) checks now, then at every due slot.
        if (this.#app.leader && this.#app.lifecycle?.kind === 'open') void this.check();
        else clearTimeout(this.#timer);
      });
    });
    this.#stop = () => {
      unsubscribe();
      root();
      clearTimeout(this.#timer);
    };
  }

  dispose(): void {
    this.#stop?.();
    this.#stop = null;
    clearTimeout(this.#timer);
  }

  async refresh(): Promise<void> {
    try {
      const [schedules, runs] = await Promise.all([
        this.#app.engine.listSchedules(),
        this.#app.engine.listScheduledRuns()
      ]);
      this.schedules = schedules;
      this.runs = runs;
      this.error = null;
    } catch (e) {
      this.error = `Could not read the export schedules: ${(e as Error).message}`;
    } finally {
      this.loaded = true;
    }
  }

  async save(schedule: ExportSchedule): Promise<void> {
    await this.#app.engine.saveSchedule($state.snapshot(schedule) as ExportSchedule);
    await this.refresh();
    if (this.#app.leader) void this.check();
  }

  async remove(id: string): Promise<void> {
    this.waiting = this.waiting.filter((w) => w.schedule.id !== id);
    await this.#app.engine.deleteSchedule(id);
    await this.refresh();
  }

  /** Asks for a folder (a user gesture); null when the user cancels or the API is missing. */
  async pickFolder(): Promise<FileSystemDirectoryHandle | null> {
    const picker = (
      globalThis as {
        showDirectoryPicker?: (o: {
          mode: 'readwrite';
          id: string;
        }) => Promise<FileSystemDirectoryHandle>;
      }
    ).showDirectoryPicker;
    if (!picker) return null;
    try {
      return await picker({ mode: 'readwrite', id: 'tidemark-exports' });
    } catch (e) {
      if ((e as Error).name === 'AbortError') return null;
      throw e;
    }
  }

  /** When the next run is due (the earliest of the enabled schedules), or null. */
  nextDue(now: number = this.#now()): number | null {
    let next: number | null = null;
    for (const s of this.schedules) {
      if (!s.enabled) continue;
      const p = planRun(s.timing, { lastSlot: s.lastSlot, createdAt: s.createdAt, now });
      const at = p.slot ?? p.next;
      if (next === null || at < next) next = at;
    }
    return next;
  }

  /** Runs every schedule that is due (leader only), then sleeps until the next slot. */
  async check(): Promise<void> {
    clearTimeout(this.#timer);
    if (!this.#app.leader) return;
    try {
      // Read afresh: another tab may have edited a schedule or (as leader before) run it.
      this.schedules = await this.#app.engine.listSchedules();
      const now = this.#now();
      await Promise.all(
        this.schedules.map((s) => {
          if (!s.enabled || this.running.includes(s.id)) return;
          if (this.waiting.some((w) => w.schedule.id === s.id)) return;
          const plan = planRun(s.timing, { lastSlot: s.lastSlot, createdAt: s.createdAt, now });
          if (plan.slot === null) return;
          return this.#run(s, { ...plan, slot: plan.slot });
        })
      );
    } catch (e) {
      this.error = `Scheduled exports could not run: ${(e as Error).message}`;
    } finally {
      this.#arm();
    }
  }

  #arm(): void {
    clearTimeout(this.#timer);
    if (!this.#app.leader) return;
    const now = this.#now();
    const next = this.nextDue(now);
    const wait =
      next === null
        ? SchedulesDefaults.checkMs
        : Math.min(SchedulesDefaults.checkMs, Math.max(SchedulesDefaults.minCheckMs, next - now));
    this.#timer = setTimeout(() => void this.check(), wait);
  }

  async #run(
    schedule: ExportSchedule,
    plan: { slot: number; from: number; skipped: number; skippedSlots: number[] }
  ): Promise<void> {
    this.running = [...this.running, schedule.id];
    const done = busyWork.begin('a scheduled export');
    const job: ScheduledJob = { schedule, slot: plan.slot, from: plan.from, to: plan.slot };
    const files: WaitingRun['files'] = [];
    const failures: string[] = [];
    try {
      for (const output of schedule.outputs) {
        try {
          for (const f of await this.#produce(output, job))
            files.push({
              name: scheduledFileName({
                label: schedule.label,
                dataset: f.dataset,
                slot: plan.slot,
                ext: f.ext
              }),
              type: f.type,
              blob: f.blob
            });
        } catch (e) {
          failures.push(`${describeOutput(output)}: ${(e as Error).message}`);
        }
      }
      const run: ScheduledRunRecord = {
        scheduleId: schedule.id,
        slot: plan.slot,
        from: plan.from,
        to: plan.slot,
        at: this.#now(),
        files: files.map((f) => ({ name: f.name, bytes: f.blob.size })),
        bytes: files.reduce((n, f) => n + f.blob.size, 0),
        outcome: failures.length ? 'failed' : 'ok',
        ...(failures.length ? { reason: failures.join('; ') } : {}),
        skipped: plan.skipped,
        skippedSlots: plan.skippedSlots
      };
      await this.#deliver({ schedule, run, files }, false);
    } finally {
      done();
      this.running = this.running.filter((id) => id !== schedule.id);
    }
  }

  /**
   * Writes a run's files where its schedule says and records the run. Without permission to
   * the folder the run waits for `grant` (a user gesture) unless `gesture` is true already.
   */
  async #deliver(w: WaitingRun, gesture: boolean): Promise<void> {
    const { schedule, files } = w;
    let run = w.run;
    if (schedule.target === 'folder' && schedule.folder && canPickFolder()) {
      const handle = schedule.folder as PermissionHandle;
      const mode = { mode: 'readwrite' } as const;
      let permission: PermissionState = (await handle.queryPermission?.(mode)) ?? 'granted';
      if (permission !== 'granted' && gesture)
        permission = (await handle.requestPermission?.(mode)) ?? 'denied';
      if (permission === 'prompt' && !gesture) {
        this.waiting = [...this.waiting.filter((x) => x.schedule.id !== schedule.id), w];
        return;
      }
      if (permission === 'granted') {
        try {
          for (const f of files) await writeToFolder(handle, f);
          return void (await this.#record(run));
        } catch (e) {
          run = fellBack(run, `could not write to the folder: ${(e as Error).message}`);
        }
      } else
        run = fellBack(
          run,
          `permission to write to “${schedule.folderName ?? 'the folder'}” was refused`
        );
    } else
      run = fellBack(
        run,
        canPickFolder()
          ? 'the schedule has no folder (it was made where folders could not be picked)'
          : 'this browser cannot write to a folder (no File System Access API)'
      );
    for (const f of files) saveFile(f);
    await this.#record(run);
  }

  async #record(run: ScheduledRunRecord): Promise<void> {
    await this.#app.engine.recordScheduledRun(run);
    await this.refresh();
  }

  /** The user allowed the folder again (call from a click): writes every waiting run. */
  async grant(): Promise<void> {
    const list = this.waiting;
    this.waiting = [];
    for (const w of list) await this.#deliver(w, true);
    if (this.#app.leader) void this.check();
  }
}

/** A run whose files went to the downloads instead: outcome and reason say so. */
function fellBack(run: ScheduledRunRecord, why: string): ScheduledRunRecord {
  if (run.outcome === 'failed') return { ...run, reason: `${run.reason}; ${why}` };
  return { ...run, outcome: 'download', reason: why };
}

async function writeToFolder(
  folder: FileSystemDirectoryHandle,
  file: { name: string; blob: Blob }
): Promise<void> {
  const handle = await folder.getFileHandle(file.name, { create: true });
  const writable = await handle.createWritable();
  // pipeTo closes the writable when the Blob's stream ends, which commits the file.
  await file.blob.stream().pipeTo(writable);
}

function saveFile(file: { name: string; blob: Blob }): void {
  const url = URL.createObjectURL(file.blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = file.name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** An output in words (run list, failure reasons). */
export function describeOutput(output: ScheduledOutput): string {
  if (output.kind === 'data') return output.format;
  if (output.kind === 'results') return `${output.view} (${output.format.toUpperCase()})`;
  return `${output.dashboard} report`;
}

const key = Symbol('schedules');
export function setSchedulesContext(state: SchedulesState): SchedulesState {
  return setContext(key, state);
}
export function getSchedulesContext(): SchedulesState {
  return getContext<SchedulesState>(key);
}
