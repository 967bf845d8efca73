/**
 * A dashboard as stored, exported and linked: plain data only (it crosses the worker
 * boundary and goes into a JSON file). Built-in dashboards use the same shape.
 */

/** Where a widget sits on the 12-column grid: column `x`, row `y`, `w` columns by `h` rows. */
export interface GridRect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Result-log views a table widget can show (ResultLogSnapshot's tables). */
export type DashboardViewName = 'triggers' | 'recentFailures' | 'distribution' | 'hourly';

/**
 * Where a widget's figures come from: stored series matching a selector or words (Explore's
 * search), a result-log view, an analyst question by name, or a figure of the event summary.
 */
export type WidgetSource =
  | { kind: 'series'; match: string; limit?: number }
  | { kind: 'view'; view: DashboardViewName }
  | { kind: 'question'; name: string; params?: Record<string, unknown> }
  | { kind: 'summary'; figure: SummaryFigure }
  /** Detected anomalies in the range (newest first). */
  | { kind: 'anomalies' }
  /** Durations of the result-log events in the range (a heatmap's latencies). */
  | { kind: 'durations' };

/** Figures of the event summary (the Events page's totals). */
export type SummaryFigure =
  | 'events'
  | 'successRate'
  | 'failures'
  | 'throughputPerHour'
  | 'activeTriggers'
  | 'activeOrganisations'
  | 'p95Ms'
  | 'health';

/** Colour steps of a stat or gauge: at or past `warn` amber, at or past `bad` red. */
export interface Thresholds {
  warn: number;
  bad: number;
  /** True when a smaller value is worse (a success rate); larger is worse otherwise. */
  lowerIsWorse?: boolean;
}

export type WidgetKind = 'timeseries' | 'stat' | 'gauge' | 'table' | 'topn' | 'heatmap' | 'note';

interface WidgetBase {
  id: string;
  title: string;
  rect: GridRect;
}

export type Widget = WidgetBase &
  (
    | { kind: 'timeseries'; source: WidgetSource }
    | { kind: 'stat'; source: WidgetSource; thresholds?: Thresholds; unit?: string }
    | {
        kind: 'gauge';
        source: WidgetSource;
        min: number;
        max: number;
        thresholds?: Thresholds;
        unit?: string;
      }
    | { kind: 'table'; source: WidgetSource }
    | {
        kind: 'topn';
        source: WidgetSource;
        limit: number;
        /** The column ranked by; the first numeric column when left out. */
        field?: string;
      }
    /** Latency over time: event durations, or a histogram family (`series` matching `…_bucket`). */
    | { kind: 'heatmap'; source: WidgetSource }
    | { kind: 'note'; text: string }
  );

/** Time ranges a dashboard can show, newest data last. */
export const DashboardRanges = ['15m', '1h', '6h', '24h', '7d', '30d'] as const;
export type DashboardRange = (typeof DashboardRanges)[number];

/** Refresh intervals in ms; 0 is off. */
export const DashboardRefreshes = [0, 5_000, 30_000, 60_000] as const;
export type DashboardRefresh = (typeof DashboardRefreshes)[number];

export interface Dashboard {
  id: string;
  title: string;
  range: DashboardRange;
  refreshMs: DashboardRefresh;
  widgets: Widget[];
  /** True for the executive and technical dashboards (not stored, not deletable). */
  builtIn?: boolean;
  createdAt: number;
  updatedAt: number;
}

/** A widget before it has an id and a place (what the "Add widget" form makes). */
export type WidgetSpec = Widget extends infer W
  ? W extends Widget
    ? Omit<W, 'id' | 'rect'>
    : never
  : never;
