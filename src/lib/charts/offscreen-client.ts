/**
 * The page side of the live-charts worker: hands each chart's canvas to the worker as an
 * OffscreenCanvas, forwards new points, and reports visibility (IntersectionObserver) and
 * size (ResizeObserver) so the worker draws only what is on screen, at the right size.
 */
import type { ChartTheme } from './line-chart';
import type { FromChartsWorker, ToChartsWorker } from './offscreen-protocol';

export interface OffscreenChart {
  /** New points (copied, then transferred to the worker). */
  append(t: Float64Array, v: Float64Array): void;
  detach(): void;
}

export class OffscreenLiveCharts {
  #worker: Worker | null = null;
  #nextId = 1;
  #drawn = new Map<number, (points: number) => void>();

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
        this.#drawn.get(ev.data.id)?.(ev.data.points);
    }
    this.#worker.postMessage(msg, transfer);
  }

  /** Moves `canvas` to the worker; `box` is its sized parent, observed for size and view. */
  attach(options: {
    canvas: HTMLCanvasElement;
    box: HTMLElement;
    label: string;
    color: string;
    unit: string;
    theme: ChartTheme;
    windowMs: number;
    onDrawn?: (points: number) => void;
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
        label: options.label,
        color: options.color,
        unit: options.unit,
        theme: options.theme,
        width: box.clientWidth,
        height: box.clientHeight,
        dpr: window.devicePixelRatio || 1,
        windowMs: options.windowMs
      },
      [offscreen]
    );
    const visibility = new IntersectionObserver(
      (entries) => {
        const visible = entries[entries.length - 1]?.isIntersecting ?? false;
        this.#post({ kind: 'visible', id, visible });
      },
      { rootMargin: '100px' }
    );
    visibility.observe(box);
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
      append: (t, v) => {
        const tc = t.slice();
        const vc = v.slice();
        this.#post({ kind: 'append', id, t: tc, v: vc }, [tc.buffer, vc.buffer]);
      },
      detach: () => {
        visibility.disconnect();
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
