/**
 * One live family chart: a line per series, each from its own constant-memory window
 * buffer. The same code draws in the live-charts worker (OffscreenCanvas) and on the main
 * thread (`/?charts=main`), so both paths show the same thing.
 */
import { PointPool, type ChartPoint } from './decimate';
import { LiveBuffer } from './live-buffer';
import { createLineChart, type ChartTheme, type LineChartHandle } from './line-chart';

export interface LiveLineSpec {
  label: string;
  color: string;
}

/** The plot area in CSS pixels, for mapping a pointer to a time. */
export interface ChartArea {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export interface LiveChartSpec {
  canvas: HTMLCanvasElement | OffscreenCanvas;
  lines: LiveLineSpec[];
  theme: ChartTheme;
  formatY: (v: number) => string;
  /** Labels for the y ticks together, so neighbours differ (format.ts `formatTicks`). */
  formatTicks?: (values: number[]) => string[];
  unit: string;
  windowMs: number;
  devicePixelRatio?: number;
}

/**
 * Where the window ends: now, or, when every line's newest point is older than the window
 * (an idle source, an old import), at that newest point, so the data stays in view.
 */
export function chooseWindowEnd(newest: number, now: number, windowMs: number): number {
  return Number.isFinite(newest) && newest < now - windowMs ? newest : now;
}

/**
 * The windows of several lines as table rows, one per distinct time, oldest first, with
 * each line's value at that time or null (a missing buffer: null throughout). O(r log r).
 * @example mergeWindowRows([a, b], now); // [{ t, values: [1, null] }, { t, values: [2, 5] }]
 */
export function mergeWindowRows(
  buffers: readonly (LiveBuffer | null)[],
  end: number
): { t: number; values: (number | null)[] }[] {
  const byTime = new Map<number, (number | null)[]>();
  buffers.forEach((b, i) => {
    for (const p of b?.toRows(end) ?? []) {
      let row = byTime.get(p.x);
      if (!row) byTime.set(p.x, (row = buffers.map(() => null)));
      row[i] = p.y;
    }
  });
  return [...byTime.entries()].sort((a, b) => a[0] - b[0]).map(([t, values]) => ({ t, values }));
}

export class LiveChartModel {
  readonly windowMs: number;
  #spec: LiveChartSpec;
  #handle: LineChartHandle;
  #lines: { buffer: LiveBuffer; pool: PointPool; view: ChartPoint[]; hidden: boolean }[] = [];

  constructor(spec: LiveChartSpec) {
    this.#spec = spec;
    this.windowMs = spec.windowMs;
    this.#handle = this.#create(spec.lines);
  }

  get chart() {
    return this.#handle.chart;
  }

  /** Replaces the lines (top N changed, "show all"): their buffers start empty. */
  setLines(lines: LiveLineSpec[]): void {
    this.#handle.destroy();
    this.#handle = this.#create(lines);
  }

  append(line: number, t: ArrayLike<number>, v: ArrayLike<number>): void {
    this.#lines[line]?.buffer.append(t, v);
  }

  setHidden(line: number, hidden: boolean): void {
    const l = this.#lines[line];
    if (!l) return;
    l.hidden = hidden;
    this.#handle.chart.setDatasetVisibility(line, !hidden);
  }

  clear(): void {
    for (const l of this.#lines) l.buffer.clear();
  }

  /** Draws the window ending now (or at the newest point); returns points drawn and area. */
  draw(now: number): { points: number; area: ChartArea; end: number } {
    const newest = this.#lines.reduce((m, l) => Math.max(m, l.buffer.lastT), -Infinity);
    const end = chooseWindowEnd(newest, now, this.windowMs);
    let points = 0;
    this.#lines.forEach((l, i) => {
      const n = l.hidden ? 0 : l.buffer.toPoints(end, l.pool);
      this.#handle.setPoints(i, l.pool.view(n, l.view));
      points += n;
    });
    this.#handle.setXRange(end - this.windowMs, end);
    this.#handle.render();
    const a = this.#handle.chart.chartArea;
    return {
      points,
      end,
      area: { left: a?.left ?? 0, right: a?.right ?? 0, top: a?.top ?? 0, bottom: a?.bottom ?? 0 }
    };
  }

  resize(width: number, height: number): void {
    this.#handle.chart.resize(width, height);
  }

  destroy(): void {
    this.#handle.destroy();
  }

  #create(lines: LiveLineSpec[]): LineChartHandle {
    this.#lines = lines.map(() => ({
      buffer: new LiveBuffer({ windowMs: this.windowMs }),
      pool: new PointPool(),
      view: [],
      hidden: false
    }));
    const s = this.#spec;
    return createLineChart({
      canvas: s.canvas,
      series: lines,
      theme: s.theme,
      formatY: s.formatY,
      formatTicks: s.formatTicks,
      unit: s.unit,
      devicePixelRatio: s.devicePixelRatio
    });
  }
}
