import {
  DashboardRanges,
  DashboardRefreshes,
  type Dashboard,
  type GridRect,
  type Widget,
  type WidgetKind
} from '$lib/types/dashboard';

/** The `format` tag of a dashboard file, and its version. */
export const DashboardFileFormat = 'tidemark-dashboard';
export const DashboardFileVersion = 1;

const WidgetKinds: readonly WidgetKind[] = [
  'timeseries',
  'stat',
  'gauge',
  'table',
  'topn',
  'heatmap',
  'note'
];
const SourceKinds = ['series', 'view', 'question', 'summary', 'anomalies', 'durations'];

/** A dashboard as the text of a JSON file (pretty-printed, one dashboard per file). */
export function serializeDashboard(dashboard: Dashboard): string {
  const { builtIn: _builtIn, ...kept } = dashboard;
  return JSON.stringify(
    { format: DashboardFileFormat, version: DashboardFileVersion, dashboard: kept },
    null,
    2
  );
}

/** A file name for the dashboard: its title in lower-case words, safe on every file system. */
export function dashboardFileName(dashboard: Pick<Dashboard, 'title'>): string {
  const slug = dashboard.title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `tidemark-dashboard-${slug || 'untitled'}.json`;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

function checkRect(v: unknown, where: string): GridRect {
  if (!isObject(v) || ![v.x, v.y, v.w, v.h].every(isInt))
    throw new Error(`${where}: "rect" must have whole numbers x, y, w and h.`);
  return { x: v.x as number, y: v.y as number, w: v.w as number, h: v.h as number };
}

function checkWidget(v: unknown, i: number): Widget {
  const where = `Widget ${i + 1}`;
  if (!isObject(v)) throw new Error(`${where} is not an object.`);
  if (typeof v.id !== 'string' || v.id === '') throw new Error(`${where} has no "id".`);
  if (typeof v.title !== 'string') throw new Error(`${where} has no "title".`);
  if (!WidgetKinds.includes(v.kind as WidgetKind))
    throw new Error(`${where}: unknown kind "${String(v.kind)}".`);
  checkRect(v.rect, where);
  if (v.kind === 'note') {
    if (typeof v.text !== 'string') throw new Error(`${where}: a note needs "text".`);
  } else if (!isObject(v.source) || !SourceKinds.includes(v.source.kind as string)) {
    throw new Error(`${where}: "source" must be one of ${SourceKinds.join(', ')}.`);
  }
  return v as unknown as Widget;
}

/**
 * Reads a dashboard file back, checking its shape so a bad file is refused with a reason
 * instead of stored half-broken. `now` stamps `updatedAt`. Throws an Error saying what is wrong.
 */
export function parseDashboardFile(text: string, now: number): Dashboard {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error('The file is not JSON.');
  }
  if (!isObject(data) || data.format !== DashboardFileFormat)
    throw new Error(`The file is not a Tidemark dashboard ("format": "${DashboardFileFormat}").`);
  if (typeof data.version !== 'number' || data.version > DashboardFileVersion)
    throw new Error(`Dashboard file version ${String(data.version)} is newer than this Tidemark.`);
  const d = data.dashboard;
  if (!isObject(d)) throw new Error('The file has no "dashboard".');
  if (typeof d.id !== 'string' || d.id === '') throw new Error('The dashboard has no "id".');
  if (typeof d.title !== 'string') throw new Error('The dashboard has no "title".');
  if (!DashboardRanges.includes(d.range as Dashboard['range']))
    throw new Error(`Unknown time range "${String(d.range)}".`);
  if (!DashboardRefreshes.includes(d.refreshMs as Dashboard['refreshMs']))
    throw new Error(`Unknown refresh interval "${String(d.refreshMs)}".`);
  if (!Array.isArray(d.widgets)) throw new Error('The dashboard has no "widgets" list.');
  const widgets = d.widgets.map(checkWidget);
  if (new Set(widgets.map((w) => w.id)).size !== widgets.length)
    throw new Error('Two widgets share one "id".');
  return {
    id: d.id,
    title: d.title,
    range: d.range as Dashboard['range'],
    refreshMs: d.refreshMs as Dashboard['refreshMs'],
    widgets,
    createdAt: typeof d.createdAt === 'number' ? d.createdAt : now,
    updatedAt: now
  };
}
