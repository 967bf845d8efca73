/**
 * Draws the energy view off the main thread: the page transfers its canvas here as an
 * OffscreenCanvas and sends the models each time their figures change; with motion the
 * worker animates on its own animation frames, without it (prefers-reduced-motion) it draws
 * once per change. Reports frame counts so the page (and its tests and bench) can see it.
 */
import { EnergyLoop, EnergyScene, type EnergyTheme } from './energy-scene';
import type { EnergyFrameReport, ToEnergyWorker } from './energy-protocol';

/** How often the worker reports its frame count, ms. */
export const EnergyReportMs = 500;

const scene = new EnergyScene();
let ctx: OffscreenCanvasRenderingContext2D | null = null;
let canvas: OffscreenCanvas | null = null;
let dpr = 1;
let theme: EnergyTheme = { text: '#0f1c1e', muted: '#4b5f63', background: '#ffffff' };

const loop = new EnergyLoop(scene, {
  target: () => (ctx ? { ctx, dpr, theme } : null),
  nextFrame:
    typeof requestAnimationFrame === 'function'
      ? (cb) => requestAnimationFrame(cb)
      : (cb) => setTimeout(() => cb(performance.now()), 16) as unknown as number,
  motion: true
});

let reportedFrames = 0;
let reportedAt = performance.now();
setInterval(() => {
  const now = performance.now();
  const report: EnergyFrameReport = {
    kind: 'frames',
    frames: loop.frames,
    updates: loop.updates,
    fps: ((loop.frames - reportedFrames) * 1000) / Math.max(1, now - reportedAt),
    motion: loop.motion
  };
  reportedFrames = loop.frames;
  reportedAt = now;
  postMessage(report);
}, EnergyReportMs);

onmessage = (ev: MessageEvent<ToEnergyWorker>) => {
  const msg = ev.data;
  switch (msg.kind) {
    case 'attach':
      canvas = msg.canvas;
      dpr = msg.dpr;
      theme = msg.theme;
      canvas.width = Math.round(msg.width * dpr);
      canvas.height = Math.round(msg.height * dpr);
      ctx = canvas.getContext('2d');
      scene.setSize(msg.width, msg.height);
      loop.setMotion(msg.motion);
      return;
    case 'models':
      loop.setModels(msg.models);
      return;
    case 'resize':
      if (!canvas || msg.width <= 0 || msg.height <= 0) return;
      canvas.width = Math.round(msg.width * dpr);
      canvas.height = Math.round(msg.height * dpr);
      scene.setSize(msg.width, msg.height);
      loop.restart();
      return;
    case 'motion':
      loop.setMotion(msg.motion);
      return;
    case 'theme':
      theme = msg.theme;
      loop.restart();
      return;
  }
};
