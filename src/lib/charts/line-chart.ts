/**
 * Chart.js line charts configured for streaming and large ranges (STYLE.md, issue 8):
 * parsing off and normalized data (points arrive as `{x, y}` in order, from a recycled
 * pool), no animation, LTTB decimation on for anything still larger than the canvas,
 * `spanGaps: false` so NaN draws a gap, and a linear x axis in epoch ms with round time
 * ticks from time-axis.ts instead of a date adapter.
 */
import {
  Chart,
  Decimation,
  Filler,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
  type Scale
} from 'chart.js';
import { withAlpha } from './colors';
import type { ChartPoint } from './decimate';
import {
  chooseTimeLabelStyle,
  computeTimeTicks,
  DefaultMaxTicks,
  formatTimeTick
} from './time-axis';

// Only the pieces used, so the rest of Chart.js is tree-shaken away. Filler and Tooltip are
// given per chart (below), so live charts run none of their hooks on 60 updates a second.
Chart.register(LineController, LineElement, PointElement, LinearScale, Decimation);

/** How a dataset is drawn. */
export type SeriesRole = 'line' | 'band-low' | 'band-high' | 'previous' | 'markers';

export interface ChartSeriesSpec {
  label: string;
  color: string;
  role?: SeriesRole;
  /** Dashed line (a second aggregate of the same series, in its colour). */
  dash?: number[];
  /**
   * Draw a marker on every point without a neighbour (a single sample, or a point between
   * gaps), which a line alone would not show. Scriptable, so only for charts drawn once.
   */
  markIsolated?: boolean;
  /** Draw a marker on every point (a sparse series, whose few points a line hides). */
  markAll?: boolean;
  hidden?: boolean;
}

/** Colours a chart takes from the page's theme (CSS variables in app.css). */
export interface ChartTheme {
  text: string;
  grid: string;
  marker: string;
}

/** Reads the chart colours of the current theme from an element's computed style. */
export function readChartTheme(element: Element): ChartTheme {
  const style = getComputedStyle(element);
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    text: read('--muted', '#4b5f63'),
    grid: read('--border', '#d3dfe0'),
    marker: read('--bad', '#b91c1c')
  };
}

export interface LineChartSpec {
  /** A page canvas, or an OffscreenCanvas in a worker (then sized by the caller). */
  canvas: HTMLCanvasElement | OffscreenCanvas;
  series: ChartSeriesSpec[];
  theme: ChartTheme;
  /** Formats a y value with its unit (ticks and tooltips). */
  formatY: (v: number) => string;
  /** Labels for a whole set of y ticks at once, so neighbours can be told apart. */
  formatTicks?: (values: number[]) => string[];
  /** Unit shown as the y axis title. */
  unit?: string;
  /** Tooltips and pointer events; off for live charts, where hover work costs frames. */
  interactive?: boolean;
  /** Set for an OffscreenCanvas (a worker has no window.devicePixelRatio). */
  devicePixelRatio?: number;
  /** Points of each dataset and the x range for the first draw, so it is the only one. */
  initial?: { points: ChartPoint[][]; xRange: { min: number; max: number } };
}

export interface LineChartHandle {
  readonly chart: Chart<'line', ChartPoint[]>;
  /** Replaces dataset `i`'s points (the array may be the same, refilled, object). */
  setPoints(i: number, points: ChartPoint[]): void;
  setXRange(min: number, max: number): void;
  /** Draws now, synchronously, without animation. */
  render(): void;
  destroy(): void;
}

/** Default line width and LTTB threshold factor (samples per CSS pixel). */
export const ChartDefaults = { lineWidth: 1.5, markerRadius: 4 };

/** Marker radius of a point whose neighbours are gaps (NaN) or absent. */
function isolatedRadius(ctx: { dataIndex: number; dataset: { data: unknown[] } }): number {
  const data = ctx.dataset.data as ChartPoint[];
  const i = ctx.dataIndex;
  const here = data[i];
  if (!here || Number.isNaN(here.y)) return 0;
  const before = data[i - 1];
  const after = data[i + 1];
  const lonely = (p: ChartPoint | undefined) => !p || Number.isNaN(p.y);
  return lonely(before) && lonely(after) ? ChartDefaults.markerRadius - 1 : 0;
}

function buildDataset(spec: ChartSeriesSpec): ChartDataset<'line', ChartPoint[]> {
  const role = spec.role ?? 'line';
  const base: ChartDataset<'line', ChartPoint[]> = {
    label: spec.label,
    data: [],
    borderColor: spec.color,
    backgroundColor: spec.color,
    borderWidth: ChartDefaults.lineWidth,
    pointRadius: 0,
    pointHitRadius: 4,
    spanGaps: false,
    tension: 0,
    fill: false,
    hidden: spec.hidden ?? false,
    ...(spec.dash ? { borderDash: spec.dash } : {}),
    ...(spec.markIsolated ? { pointRadius: isolatedRadius } : {}),
    ...(spec.markAll ? { pointRadius: ChartDefaults.markerRadius - 1 } : {})
  };
  if (role === 'band-low') return { ...base, borderWidth: 0, borderColor: 'transparent' };
  if (role === 'band-high')
    return {
      ...base,
      borderWidth: 0,
      borderColor: 'transparent',
      backgroundColor: withAlpha(spec.color, 0.22),
      fill: '-1'
    };
  if (role === 'previous') return { ...base, borderDash: [5, 4], borderWidth: 1.2 };
  if (role === 'markers')
    return {
      ...base,
      showLine: false,
      pointRadius: ChartDefaults.markerRadius,
      pointStyle: 'triangle',
      pointHitRadius: 6
    };
  return base;
}

/**
 * Creates a line chart on `canvas` (its parent should be a sized, relatively positioned
 * box: Chart.js follows the parent's size).
 * @example const c = createLineChart({ canvas, series: [{ label: 'cpu', color }], theme, formatY });
 */
export function createLineChart(spec: LineChartSpec): LineChartHandle {
  const interactive = spec.interactive ?? false;
  let xMin = spec.initial?.xRange.min ?? 0;
  let xMax = spec.initial?.xRange.max ?? 1;
  const datasets = spec.series.map(buildDataset);
  // The y tick labels of the last tick set (Chart.js asks for them one at a time).
  let tickSet: unknown = null;
  let tickLabels: string[] = [];
  spec.initial?.points.forEach((points, i) => {
    if (datasets[i]) datasets[i].data = points;
  });
  const offscreen =
    typeof OffscreenCanvas !== 'undefined' && spec.canvas instanceof OffscreenCanvas;
  // Chart.js accepts an OffscreenCanvas at run time (its BasicPlatform); its types do not say so.
  const item = spec.canvas as HTMLCanvasElement;
  const chart = new Chart<'line', ChartPoint[]>(item, {
    type: 'line',
    data: { datasets },
    plugins: [
      ...(interactive ? [Tooltip] : []),
      ...(spec.series.some((s) => s.role === 'band-high') ? [Filler] : [])
    ],
    options: {
      parsing: false,
      normalized: true,
      animation: false,
      // An OffscreenCanvas cannot watch its size: the page posts resizes instead.
      responsive: !offscreen,
      maintainAspectRatio: false,
      devicePixelRatio: spec.devicePixelRatio,
      spanGaps: false,
      events: interactive ? ['mousemove', 'mouseout', 'click', 'touchstart', 'touchmove'] : [],
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      plugins: {
        decimation: { enabled: true, algorithm: 'lttb' },
        tooltip: {
          callbacks: {
            title: (items) =>
              items.length ? formatTimeTick(items[0].parsed.x ?? 0, 'seconds') : '',
            label: (item) => `${item.dataset.label}: ${spec.formatY(item.parsed.y ?? NaN)}`
          }
        }
      },
      scales: {
        x: {
          type: 'linear',
          min: spec.initial?.xRange.min,
          max: spec.initial?.xRange.max,
          afterBuildTicks: (axis: Scale) => {
            const offsetMs = -new Date(axis.min).getTimezoneOffset() * 60_000;
            // A label such as "14:09:00" needs about 70 px; narrow live charts get fewer ticks.
            const room = axis.width || axis.maxWidth || 600;
            const maxTicks = Math.max(2, Math.min(DefaultMaxTicks, Math.floor(room / 72)));
            axis.ticks = computeTimeTicks({ min: axis.min, max: axis.max, offsetMs, maxTicks }).map(
              (value) => ({ value })
            );
          },
          ticks: {
            color: spec.theme.text,
            maxRotation: 0,
            autoSkip: true,
            callback: (value) => formatTimeTick(Number(value), chooseTimeLabelStyle(xMax - xMin))
          },
          grid: { color: spec.theme.grid }
        },
        y: {
          type: 'linear',
          ticks: {
            color: spec.theme.text,
            callback: (value, index, ticks) => {
              if (!spec.formatTicks) return spec.formatY(Number(value));
              if (ticks !== tickSet) {
                tickSet = ticks;
                tickLabels = spec.formatTicks(ticks.map((t) => t.value));
              }
              return tickLabels[index] ?? spec.formatY(Number(value));
            }
          },
          grid: { color: spec.theme.grid },
          title: { display: Boolean(spec.unit), text: spec.unit ?? '', color: spec.theme.text }
        }
      }
    }
  });
  return {
    chart,
    setPoints(i, points) {
      chart.data.datasets[i].data = points;
    },
    setXRange(min, max) {
      xMin = min;
      xMax = max;
      const x = chart.options.scales!.x!;
      x.min = min;
      x.max = max;
    },
    render() {
      chart.update('none');
    },
    destroy() {
      chart.destroy();
    }
  };
}
