/**
 * Draws the live charts off the main thread: each chart's canvas was transferred here as
 * an OffscreenCanvas, new points arrive by message, and the worker's own animation frames
 * draw every dirty, visible chart at most once per frame. The page keeps only its text
 * (legend values, tooltip, table) — Chart.js's layout, ticks and drawing never block its
 * frames.
 */
import { formatTicks, formatValue } from '$lib/components/format';
import { LiveChartModel } from './live-chart';
import type { FromChartsWorker, ToChartsWorker } from './offscreen-protocol';

/** The window slides even without new points: redraw visible charts this often. */
const SlideMs = 1_000;

const charts = new Map<number, { model: LiveChartModel; visible: boolean }>();
const dirty = new Set<number>();
let frame = 0;
/** The page's clock minus this worker's: the page decides what "now" is (tests fake it). */
let clockOffset = 0;

function schedule(): void {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    const now = Date.now() + clockOffset;
    for (const id of dirty) {
      const c = charts.get(id);
      if (!c) {
        dirty.delete(id);
        continue;
      }
      if (!c.visible) continue;
      dirty.delete(id);
      const drawn = c.model.draw(now);
      const msg: FromChartsWorker = { kind: 'drawn', id, ...drawn };
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
  if (msg.kind === 'clock') {
    clockOffset = msg.now - Date.now();
    return;
  }
  if (msg.kind === 'clear') {
    for (const [id, c] of charts) {
      c.model.clear();
      markDirty(id);
    }
    return;
  }
  if (msg.kind === 'attach') {
    msg.canvas.width = Math.round(msg.width * msg.dpr);
    msg.canvas.height = Math.round(msg.height * msg.dpr);
    const model = new LiveChartModel({
      canvas: msg.canvas,
      lines: msg.lines,
      theme: msg.theme,
      formatY: (v) => formatValue(v, msg.unit),
      formatTicks: (values) => formatTicks(values, msg.unit),
      unit: msg.unit,
      windowMs: msg.windowMs,
      devicePixelRatio: msg.dpr
    });
    charts.set(msg.id, { model, visible: false });
    return;
  }
  const c = charts.get(msg.id);
  if (!c) return;
  switch (msg.kind) {
    case 'lines':
      c.model.setLines(msg.lines);
      break;
    case 'append':
      c.model.append(msg.line, msg.t, msg.v);
      break;
    case 'hidden':
      c.model.setHidden(msg.line, msg.hidden);
      break;
    case 'visible':
      c.visible = msg.visible;
      break;
    case 'resize':
      if (msg.width <= 0 || msg.height <= 0) return;
      c.model.resize(msg.width, msg.height);
      break;
    case 'detach':
      c.model.destroy();
      charts.delete(msg.id);
      dirty.delete(msg.id);
      return;
  }
  markDirty(msg.id);
};
