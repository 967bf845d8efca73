/**
 * Scheduled exports, the pure part: when a schedule is due, what a run covers after Tidemark
 * was closed for a while, and the names its files get. No clock is read here: `now` comes in.
 *
 * Slots are instants in UTC (hourly at minute 0; daily at a UTC hour; weekly on a UTC weekday
 * at a UTC hour), as the file names are, so a slot never moves or repeats with daylight
 * saving time.
 *
 * Catch-up policy: when several slots passed while no leader tab was open, ONE run is made,
 * for the latest missed slot, and the earlier ones are recorded as skipped. That run's data
 * window starts where the last completed run's ended (at most `maxWindowPeriods` periods
 * back), so a watch folder gets one file covering the gap instead of a burst of files, and no
 * data between runs is left out.
 */
import type { ResultFormat } from './results';
import type { ExportFormat, ExportSpec } from './types';

/** How often a schedule runs. */
export const ScheduleEveries = ['hourly', 'daily', 'weekly'] as const;
export type ScheduleEvery = (typeof ScheduleEveries)[number];

const HourMs = 3_600_000;
const DayMs = 24 * HourMs;

export const SchedulePeriodMs: Record<ScheduleEvery, number> = {
  hourly: HourMs,
  daily: DayMs,
  weekly: 7 * DayMs
};

export const ScheduleDefaults = {
  /** A catch-up run's window reaches back at most this many periods (a day of hourly runs). */
  maxWindowPeriods: 24,
  /** Skipped slots kept by value in a run record (the count is always exact). */
  maxSkippedListed: 24
};

/** When a schedule fires: `hour` (0–23, UTC) for daily and weekly, `weekday` (0 = Sunday, UTC) for weekly. */
export interface ScheduleTiming {
  every: ScheduleEvery;
  hour: number;
  weekday: number;
}

/** 1970-01-01 (epoch 0) was a Thursday. */
const EpochWeekday = 4;

/** Where the slot grid starts, as an offset from epoch 0 within one period. */
function slotOffset(timing: ScheduleTiming): number {
  const hour = Math.min(23, Math.max(0, Math.trunc(timing.hour)));
  if (timing.every === 'hourly') return 0;
  if (timing.every === 'daily') return hour * HourMs;
  const weekday = ((Math.trunc(timing.weekday) % 7) + 7) % 7;
  return ((weekday - EpochWeekday + 7) % 7) * DayMs + hour * HourMs;
}

/**
 * The latest slot at or before `t`. O(1).
 * @example slotAtOrBefore({ every: 'hourly', hour: 0, weekday: 0 }, Date.UTC(2026, 0, 1, 10, 20)) // 10:00Z
 */
export function slotAtOrBefore(timing: ScheduleTiming, t: number): number {
  const period = SchedulePeriodMs[timing.every];
  const offset = slotOffset(timing);
  return Math.floor((t - offset) / period) * period + offset;
}

/** The first slot strictly after `t`. O(1). */
export function slotAfter(timing: ScheduleTiming, t: number): number {
  return slotAtOrBefore(timing, t) + SchedulePeriodMs[timing.every];
}

/** What the scheduler should do at `now` for one schedule. */
export interface RunPlan {
  /** The slot to run now (the latest one due), or null when nothing is due. */
  slot: number | null;
  /** The data window of that run: [from, to) with `to` the slot. */
  from: number;
  /** Earlier due slots not run (a catch-up run replaces them). */
  skipped: number;
  /** The first `maxSkippedListed` of them, oldest first. */
  skippedSlots: number[];
  /** The next slot after this run (or the next one due when nothing is due now). */
  next: number;
}

/**
 * Plans one schedule at `now`. `lastSlot` is the slot of the last completed run (null before
 * the first); a new schedule's first slot is the first one after `createdAt`.
 *
 * Empty case: nothing due gives `slot: null` and the next slot. O(1) plus the listed skips.
 * @example
 * planRun({ every: 'hourly', hour: 0, weekday: 0 }, { lastSlot: T10, createdAt: 0, now: T13_30 })
 * // { slot: T13, from: T10, skipped: 2, skippedSlots: [T11, T12], next: T14 }
 */
export function planRun(
  timing: ScheduleTiming,
  options: { lastSlot: number | null; createdAt: number; now: number; maxWindowPeriods?: number }
): RunPlan {
  const period = SchedulePeriodMs[timing.every];
  const maxPeriods = options.maxWindowPeriods ?? ScheduleDefaults.maxWindowPeriods;
  const first =
    options.lastSlot === null
      ? slotAfter(timing, options.createdAt)
      : slotAfter(timing, options.lastSlot);
  const latest = slotAtOrBefore(timing, options.now);
  if (latest < first) return { slot: null, from: NaN, skipped: 0, skippedSlots: [], next: first };
  const skipped = Math.round((latest - first) / period);
  const skippedSlots: number[] = [];
  for (let k = 0; k < Math.min(skipped, ScheduleDefaults.maxSkippedListed); k++)
    skippedSlots.push(first + k * period);
  const since = options.lastSlot ?? latest - period;
  return {
    slot: latest,
    from: Math.max(since, latest - maxPeriods * period),
    skipped,
    skippedSlots,
    next: latest + period
  };
}

/**
 * A time as `yyyymmddTHHMMZ` (UTC): sorts as text in time order, and has no characters a file
 * system or a BI tool's pattern dislikes.
 * @example formatSlotStamp(Date.UTC(2026, 11, 8, 14, 0)) // '20261208T1400Z'
 */
export function formatSlotStamp(t: number): string {
  const iso = new Date(t).toISOString(); // 2026-12-08T14:00:00.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
}

/** Lower-case words joined by dashes; what is left of a label in a file name. */
export function slugify(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * A scheduled file's name: `tidemark-[<label>-]<dataset>-<yyyymmddTHHMMZ>.<ext>`, stamped with
 * the slot (not the moment it ran), so a re-run of a slot replaces its file and names sort in
 * time order. Watch-folder patterns such as `tidemark-metrics-*.csv` pick one dataset.
 * @example scheduledFileName({ label: '', dataset: 'metrics', slot: T, ext: 'csv' }) // 'tidemark-metrics-20261208T1400Z.csv'
 */
export function scheduledFileName(options: {
  label: string;
  dataset: string;
  slot: number;
  ext: string;
}): string {
  const parts = [slugify(options.label), slugify(options.dataset) || 'export'].filter(Boolean);
  const ext = options.ext.toLowerCase().replace(/[^a-z0-9.]+/g, '');
  return `tidemark-${parts.join('-')}-${formatSlotStamp(options.slot)}.${ext}`;
}

/** The stem every export file starts with (export/progress.ts `exportFilePrefix`). */
const ExportPrefix = /^tidemark-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ-/;

/**
 * The dataset and extension of a file an export produced, named `<prefix>-<dataset>.<ext>`
 * (export/formats name every file so): `tidemark-2026-12-08T14-00-00Z-events.csv` gives
 * `{ dataset: 'events', ext: 'csv' }`. A name without the prefix keeps its stem.
 */
export function splitProducedName(name: string): { dataset: string; ext: string } {
  const rest = name.replace(ExportPrefix, '');
  const dot = rest.lastIndexOf('.');
  if (dot <= 0) return { dataset: rest, ext: 'dat' };
  return { dataset: rest.slice(0, dot), ext: rest.slice(dot + 1) };
}

/** One kind of file a schedule writes on every run. */
export type ScheduledOutput =
  /** A data export in one of the Export page's formats. */
  | { kind: 'data'; format: ExportFormat }
  /** An analytics result table (a result-log view or the anomalies found) as CSV, JSON or XML. */
  | { kind: 'results'; view: ScheduledResultView; format: ResultFormat }
  /** One of the three HTML reports (built-in dashboards). */
  | { kind: 'report'; dashboard: ScheduledReport };

export const ScheduledResultViews = [
  'triggers',
  'recentFailures',
  'distribution',
  'hourly',
  'anomalies'
] as const;
export type ScheduledResultView = (typeof ScheduledResultViews)[number];
export const ScheduledReports = ['executive', 'technical', 'behaviour'] as const;
export type ScheduledReport = (typeof ScheduledReports)[number];

/** The Export page's scope and privacy choices, saved with a schedule and applied to every run. */
export type ScheduledExportOptions = Pick<
  ExportSpec,
  | 'resolution'
  | 'aggregates'
  | 'events'
  | 'pii'
  | 'k'
  | 'groupBy'
  | 'outliers'
  | 'anomalies'
  | 'insights'
  | 'sparklines'
> & {
  /** The series exported; 'all' takes every series stored at run time. */
  seriesIds: number[] | 'all';
};

/**
 * A copy of the Export page's scope and privacy choices (arrays and the PII policy copied, so
 * later edits on the page do not reach what was taken): the one list of them the page's own
 * export and a new schedule both read.
 */
export function copyExportChoices(
  c: Omit<ScheduledExportOptions, 'seriesIds'>
): Omit<ScheduledExportOptions, 'seriesIds'> {
  return {
    resolution: c.resolution,
    aggregates: [...c.aggregates],
    events: c.events,
    pii: { ...c.pii },
    k: c.k,
    groupBy: [...c.groupBy],
    outliers: c.outliers,
    anomalies: c.anomalies,
    insights: c.insights,
    sparklines: c.sparklines
  };
}

/** A schedule as stored (the `schedules` table). Plain data plus the folder's handle. */
export interface ExportSchedule {
  id: string;
  /** Put in every file name after `tidemark-` (may be empty). */
  label: string;
  timing: ScheduleTiming;
  outputs: ScheduledOutput[];
  options: ScheduledExportOptions;
  /** Where files go: a folder the user picked (File System Access API) or the downloads. */
  target: 'folder' | 'downloads';
  /** The picked folder (structured-cloneable, kept in IndexedDB); permission is asked again after a restart. */
  folder?: FileSystemDirectoryHandle;
  folderName?: string;
  enabled: boolean;
  createdAt: number;
  /** The slot of the last run made (ok, fell back or failed); null before the first. */
  lastSlot: number | null;
}

/** How a run ended: written to the folder, saved as downloads instead, or failed. */
export type ScheduledRunOutcome = 'ok' | 'download' | 'failed';

/** One run of a schedule, as listed on the Export page (the `exportRuns` table). */
export interface ScheduledRunRecord {
  id?: number;
  scheduleId: string;
  /** The slot this run is for (its files are stamped with it). */
  slot: number;
  /** The data window [from, to). */
  from: number;
  to: number;
  /** When it ran. */
  at: number;
  files: { name: string; bytes: number }[];
  bytes: number;
  outcome: ScheduledRunOutcome;
  /** Why it failed or fell back to downloads. */
  reason?: string;
  /** Due slots this run replaced (catch-up), their count and the first few. */
  skipped: number;
  skippedSlots: number[];
}
