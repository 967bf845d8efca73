/** Messages between the page and the live-charts worker (plain data and transferables). */
import type { ChartTheme } from './line-chart';

export type ToChartsWorker =
  | {
      kind: 'attach';
      id: number;
      canvas: OffscreenCanvas;
      label: string;
      color: string;
      unit: string;
      theme: ChartTheme;
      width: number;
      height: number;
      dpr: number;
      windowMs: number;
    }
  | { kind: 'append'; id: number; t: Float64Array; v: Float64Array }
  | { kind: 'visible'; id: number; visible: boolean }
  | { kind: 'resize'; id: number; width: number; height: number }
  | { kind: 'clear' }
  | { kind: 'detach'; id: number };

/** The worker reports what it drew, for tests and benchmarks. */
export type FromChartsWorker = { kind: 'drawn'; id: number; points: number };
