/**
 * Draws the live charts off the main thread: each chart's canvas was transferred here as
 * an OffscreenCanvas, new points arrive by message, and the worker's own animation frames
 * draw every dirty, visible chart at most once per frame. The page keeps only its text
 * (current value, table) — Chart.js's layout, ticks and drawing never block its frames.
 */
import { formatValue } from '$lib/components/format';
import { PointPool, type ChartPoint } from './decimate';
import { LiveBuffer } from './live-buffer';
import { createLineChart, type LineChartHandle } from './line-chart';
import type { FromChartsWorker, ToChartsWorker } from './offscreen-protocol';

interface WorkerChart {
  handle: LineChartHandle;
  buffer: LiveBuffer;
  pool: PointPool;
  view: ChartPoint[];
  visible: boolean;
  windowMs: number;
}

/** The window slides even without new points: redraw visible charts this often. */
const SlideMs = 1_000;

const charts = new Map<number, WorkerChart>();
const dirty = new Set<number>();
let frame = 0;

function schedule(): void {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    const now = Date.now();
    for (const id of dirty) {
      const c = charts.get(id);
      if (!c) {
        dirty.delete(id);
        continue;
      }
      if (!c.visible) continue;
      dirty.delete(id);
      const n = c.buffer.toPoints(now, c.pool);
      c.handle.setPoints(0, c.pool.view(n, c.view));
      c.handle.setXRange(now - c.windowMs, now);
      c.handle.render();
      const msg: FromChartsWorker = { kind: 'drawn', id, points: n };
      postMessage(msg);
    }
  });
}

function markDirty(id: number): void {
  dirty.add(id);
  if (charts.get(id)?.visible) schedule();
}

setInterval(() => {
  for (const [id, c] of charts) if (c.visible) dirty.add(id);
  if (dirty.size) schedule();
}, SlideMs);

onmessage = (ev: MessageEvent<ToChartsWorker>) => {
  const msg = ev.data;
  switch (msg.kind) {
    case 'attach': {
      msg.canvas.width = Math.round(msg.width * msg.dpr);
      msg.canvas.height = Math.round(msg.height * msg.dpr);
      const handle = createLineChart({
        canvas: msg.canvas,
        series: [{ label: msg.label, color: msg.color }],
        theme: msg.theme,
        formatY: (v) => formatValue(v, msg.unit),
        unit: msg.unit,
        devicePixelRatio: msg.dpr
      });
      charts.set(msg.id, {
        handle,
        buffer: new LiveBuffer({ windowMs: msg.windowMs }),
        pool: new PointPool(),
        view: [],
        visible: false,
        windowMs: msg.windowMs
      });
      break;
    }
    case 'append': {
      const c = charts.get(msg.id);
      if (!c) return;
      c.buffer.append(msg.t, msg.v);
      markDirty(msg.id);
      break;
    }
    case 'visible': {
      const c = charts.get(msg.id);
      if (!c) return;
      c.visible = msg.visible;
      if (msg.visible) markDirty(msg.id);
      break;
    }
    case 'resize': {
      const c = charts.get(msg.id);
      if (!c || msg.width <= 0 || msg.height <= 0) return;
      c.handle.chart.resize(msg.width, msg.height);
      markDirty(msg.id);
      break;
    }
    case 'clear':
      for (const [id, c] of charts) {
        c.buffer.clear();
        markDirty(id);
      }
      break;
    case 'detach':
      charts.get(msg.id)?.handle.destroy();
      charts.delete(msg.id);
      dirty.delete(msg.id);
      break;
  }
};
