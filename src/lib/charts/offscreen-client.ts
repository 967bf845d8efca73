/**
 * The page side of the live-charts worker: hands each chart's canvas to the worker as an
 * OffscreenCanvas, forwards new points, the page's clock and each chart's visibility and
 * size (ResizeObserver), so the worker draws only what is on screen, at the right size.
 */
import type { LiveLineSpec } from './live-chart';
import type { ChartTheme } from './line-chart';
import type { FromChartsWorker, ToChartsWorker } from './offscreen-protocol';

export interface OffscreenChart {
  /** New points of line `line` (copied, then transferred to the worker). */
  append(line: number, t: Float64Array, v: Float64Array): void;
  /** Replaces the lines; their windows start empty (append again). */
  setLines(lines: LiveLineSpec[]): void;
  setHidden(line: number, hidden: boolean): void;
  /** Whether the chart is on screen (the page observes it). */
  setVisible(visible: boolean): void;
  detach(): void;
}

/** What the worker drew, for hover mapping and tests. */
export type DrawnReport = Omit<FromChartsWorker, 'kind' | 'id'>;

export class OffscreenLiveCharts {
  #worker: Worker | null = null;
  #nextId = 1;
  #drawn = new Map<number, (drawn: DrawnReport) => void>();

  /** Whether this browser can draw charts in a worker. */
  static isSupported(): boolean {
    return (
      typeof OffscreenCanvas !== 'undefined' &&
      typeof HTMLCanvasElement !== 'undefined' &&
      'transferControlToOffscreen' in HTMLCanvasElement.prototype
    );
  }

  #post(msg: ToChartsWorker, transfer: Transferable[] = []): void {
    if (!this.#worker) {
      this.#worker = new Worker(new URL('./live-charts.worker.ts', import.meta.url), {
        type: 'module',
        name: 'tidemark-live-charts'
      });
      this.#worker.onmessage = (ev: MessageEvent<FromChartsWorker>) =>
        this.#drawn.get(ev.data.id)?.(ev.data);
      this.#post({ kind: 'clock', now: Date.now() });
    }
    this.#worker.postMessage(msg, transfer);
  }

  /** Tells the worker the page's time (call when the window slides). */
  clock(now: number): void {
    if (this.#worker) this.#post({ kind: 'clock', now });
  }

  /** Moves `canvas` to the worker; `box` is its sized parent, observed for size. */
  attach(options: {
    canvas: HTMLCanvasElement;
    box: HTMLElement;
    lines: LiveLineSpec[];
    unit: string;
    theme: ChartTheme;
    windowMs: number;
    onDrawn?: (drawn: DrawnReport) => void;
  }): OffscreenChart {
    const id = this.#nextId++;
    const { box } = options;
    const offscreen = options.canvas.transferControlToOffscreen();
    if (options.onDrawn) this.#drawn.set(id, options.onDrawn);
    this.#post(
      {
        kind: 'attach',
        id,
        canvas: offscreen,
        lines: options.lines,
        unit: options.unit,
        theme: options.theme,
        width: box.clientWidth,
        height: box.clientHeight,
        dpr: window.devicePixelRatio || 1,
        windowMs: options.windowMs
      },
      [offscreen]
    );
    let size = { w: box.clientWidth, h: box.clientHeight };
    const resize = new ResizeObserver(() => {
      const w = box.clientWidth;
      const h = box.clientHeight;
      if (w === size.w && h === size.h) return;
      size = { w, h };
      // The placeholder canvas keeps its CSS size; the worker resizes the drawing buffer.
      this.#post({ kind: 'resize', id, width: w, height: h });
    });
    resize.observe(box);
    return {
      append: (line, t, v) => {
        const tc = t.slice();
        const vc = v.slice();
        this.#post({ kind: 'append', id, line, t: tc, v: vc }, [tc.buffer, vc.buffer]);
      },
      setLines: (lines) => this.#post({ kind: 'lines', id, lines }),
      setHidden: (line, hidden) => this.#post({ kind: 'hidden', id, line, hidden }),
      setVisible: (visible) => this.#post({ kind: 'visible', id, visible }),
      detach: () => {
        resize.disconnect();
        this.#drawn.delete(id);
        this.#post({ kind: 'detach', id });
      }
    };
  }

  /** The store was cleared. */
  clear(): void {
    if (this.#worker) this.#post({ kind: 'clear' });
  }

  dispose(): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#drawn.clear();
  }
}
