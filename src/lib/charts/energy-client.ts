/**
 * The page side of the energy view's drawing: hands the canvas to a worker as an
 * OffscreenCanvas where the browser can, else draws the same scene on the main thread with
 * its own animation frames. Either way the page learns frames drawn through `onFrames`.
 */
import { EnergyLoop, EnergyScene, type EnergyTheme, type RibbonModel } from './energy-scene';
import type { EnergyFrameReport, ToEnergyWorker } from './energy-protocol';

export interface EnergyDrawing {
  setModels(models: RibbonModel[]): void;
  setMotion(motion: boolean): void;
  setTheme(theme: EnergyTheme): void;
  dispose(): void;
}

/** Reads the view's colours from the page's theme variables. */
export function readEnergyTheme(element: Element): EnergyTheme {
  const style = getComputedStyle(element);
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    text: read('--text', '#1f2d30'),
    muted: read('--muted', '#4b5f63'),
    background: read('--panel', '#ffffff')
  };
}

export function startEnergyDrawing(options: {
  canvas: HTMLCanvasElement;
  box: HTMLElement;
  theme: EnergyTheme;
  motion: boolean;
  onFrames?: (report: EnergyFrameReport) => void;
}): EnergyDrawing {
  const { canvas, box } = options;
  const size = () => ({ width: box.clientWidth, height: box.clientHeight });
  if (typeof OffscreenCanvas !== 'undefined' && 'transferControlToOffscreen' in canvas) {
    const worker = new Worker(new URL('./energy.worker.ts', import.meta.url), {
      type: 'module',
      name: 'tidemark-energy'
    });
    worker.onmessage = (ev: MessageEvent<EnergyFrameReport>) => options.onFrames?.(ev.data);
    const post = (msg: ToEnergyWorker, transfer: Transferable[] = []) =>
      worker.postMessage(msg, transfer);
    const offscreen = canvas.transferControlToOffscreen();
    post(
      {
        kind: 'attach',
        canvas: offscreen,
        ...size(),
        dpr: window.devicePixelRatio || 1,
        theme: options.theme,
        motion: options.motion
      },
      [offscreen]
    );
    const resize = new ResizeObserver(() => post({ kind: 'resize', ...size() }));
    resize.observe(box);
    return {
      setModels: (models) => post({ kind: 'models', models }),
      setMotion: (motion) => post({ kind: 'motion', motion }),
      setTheme: (theme) => post({ kind: 'theme', theme }),
      dispose: () => {
        resize.disconnect();
        worker.terminate();
      }
    };
  }
  return drawOnMainThread(options, size);
}

/** The fallback: the same scene, loop and reports, on this thread. */
function drawOnMainThread(
  options: Parameters<typeof startEnergyDrawing>[0],
  size: () => { width: number; height: number }
): EnergyDrawing {
  const { canvas } = options;
  const ctx = canvas.getContext('2d');
  const scene = new EnergyScene();
  let theme = options.theme;
  const dpr = window.devicePixelRatio || 1;
  let frame = 0;
  const loop = new EnergyLoop(scene, {
    target: () => (ctx ? { ctx, dpr, theme } : null),
    nextFrame: (cb) => (frame = requestAnimationFrame(cb)),
    motion: options.motion
  });
  const fit = () => {
    const { width, height } = size();
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    scene.setSize(width, height);
    loop.restart();
  };
  fit();
  const resize = new ResizeObserver(fit);
  resize.observe(options.box);
  let reported = 0;
  let reportedAt = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const fps = ((loop.frames - reported) * 1000) / Math.max(1, now - reportedAt);
    reported = loop.frames;
    reportedAt = now;
    options.onFrames?.({
      kind: 'frames',
      frames: loop.frames,
      updates: loop.updates,
      fps,
      motion: loop.motion
    });
  }, 500);
  return {
    setModels: (models) => loop.setModels(models),
    setMotion: (motion) => loop.setMotion(motion),
    setTheme: (t) => {
      theme = t;
      loop.restart();
    },
    dispose: () => {
      resize.disconnect();
      clearInterval(timer);
      cancelAnimationFrame(frame);
    }
  };
}
