/**
 * Energy view (issue 25) in headless Chromium: `/energy?models=5` streams five synthetic
 * models through ingest → store → the view, whose ribbons animate on an OffscreenCanvas in a
 * worker. Figures, interleaved in BENCH_ENERGY_ROUNDS (default 2) rounds over
 * BENCH_ENERGY_SECONDS (default 20) per page:
 * - energy.fps_mean: requestAnimationFrame rate of the page's main thread on the energy view;
 *   baseline: the same on an empty page in the same browser; target ≥ 97 % of it.
 * - energy.worker_fps_mean: frames the worker actually drew per second (the animation the
 *   user sees), against the same baseline.
 */
import { frameDeltas, openBenchPage, summarizeFrames } from './browser';
import { emit } from './lib';

const seconds = Number(process.env.BENCH_ENERGY_SECONDS ?? 20);
const rounds = Number(process.env.BENCH_ENERGY_ROUNDS ?? 2);
const Models = 5;

const b = await openBenchPage('/');
const { page } = b;
page.setDefaultTimeout(0);
await page.setViewportSize({ width: 1400, height: 1000 });
try {
  await page.getByTestId('db-status').filter({ hasText: 'ready' }).waitFor({ timeout: 60_000 });
  const sliceMs = (seconds * 1000) / rounds;
  const empty: number[] = [];
  const energy: number[] = [];
  let workerFrames = 0;
  let workerMs = 0;
  const stage = page.getByTestId('energy-stage');
  for (let r = 0; r < rounds; r++) {
    await page.goto('about:blank');
    empty.push(...(await frameDeltas(page, sliceMs)));
    await page.goto(`${b.origin}/energy?models=${Models}`);
    await page
      .getByTestId('energy-table')
      .locator('tbody tr')
      .nth(Models - 1)
      .waitFor({ timeout: 60_000 });
    await page.waitForFunction(
      () =>
        Number(
          document.querySelector('[data-testid="energy-stage"]')?.getAttribute('data-frames')
        ) > 30,
      null,
      { timeout: 60_000, polling: 250 }
    );
    const f0 = Number(await stage.getAttribute('data-frames'));
    const t0 = Date.now();
    energy.push(...(await frameDeltas(page, sliceMs)));
    // The worker reports every 500 ms; wait for one report after the window.
    await page.waitForTimeout(600);
    workerFrames += Number(await stage.getAttribute('data-frames')) - f0;
    workerMs += Date.now() - t0;
  }
  const base = summarizeFrames(empty);
  const view = summarizeFrames(energy);
  const r1 = (x: number) => Math.round(x * 10) / 10;
  emit({
    name: 'energy.fps_mean',
    value: r1(view.fps),
    unit: 'fps (main thread)',
    baseline: r1(base.fps),
    ratio: Math.round((view.fps / base.fps) * 1000) / 1000,
    target: '≥ 0.97 × baseline',
    frame_p95_ms: r1(view.p95),
    baseline_frame_p95_ms: r1(base.p95),
    models: Models,
    seconds
  });
  const workerFps = (workerFrames * 1000) / workerMs;
  emit({
    name: 'energy.worker_fps_mean',
    value: r1(workerFps),
    unit: 'fps (frames the worker drew)',
    baseline: r1(base.fps),
    ratio: Math.round((workerFps / base.fps) * 1000) / 1000,
    models: Models,
    seconds
  });
} finally {
  await b.close();
}
