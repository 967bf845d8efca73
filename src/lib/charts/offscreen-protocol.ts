/** Messages between the page and the live-charts worker (plain data and transferables). */
import type { ChartArea, LiveLineSpec } from './live-chart';
import type { ChartTheme } from './line-chart';

export type ToChartsWorker =
  | {
      kind: 'attach';
      id: number;
      canvas: OffscreenCanvas;
      lines: LiveLineSpec[];
      unit: string;
      theme: ChartTheme;
      width: number;
      height: number;
      dpr: number;
      windowMs: number;
    }
  | { kind: 'lines'; id: number; lines: LiveLineSpec[] }
  | { kind: 'append'; id: number; line: number; t: Float64Array; v: Float64Array }
  | { kind: 'hidden'; id: number; line: number; hidden: boolean }
  | { kind: 'visible'; id: number; visible: boolean }
  | { kind: 'resize'; id: number; width: number; height: number }
  /** The page's clock (the worker draws the window ending at the page's "now"). */
  | { kind: 'clock'; now: number }
  | { kind: 'clear' }
  | { kind: 'detach'; id: number };

/** The worker reports what it drew (points, plot area, window end) for hover and tests. */
export type FromChartsWorker = {
  kind: 'drawn';
  id: number;
  points: number;
  area: ChartArea;
  end: number;
};
