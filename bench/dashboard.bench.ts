/**
 * Live dashboard and Explore benchmarks in headless Chromium (issue 8).
 *
 * - dashboard.fps_mean / dashboard.frame_p95_ms: requestAnimationFrame on the main thread
 *   over BENCH_DASH_SECONDS (default 30) on Live at `/?load=10000` with its 10 live charts
 *   all on screen, drawn in a worker; the same with Chart.js on the main thread beside it;
 *   baseline: the same two figures on an empty page in the same browser. The three are
 *   interleaved in BENCH_DASH_ROUNDS (default 2) rounds.
 * - dashboard.heap_mb: the page's JS heap (after a forced GC) after BENCH_DASH_MINUTES
 *   (default 10) of that load, from a fresh page; baseline: right after the page settled.
 * - explore.render_1m_points_ms: first paint of 1,000,000 points with Tidemark's chart path
 *   (typed arrays → min/max per pixel column → Chart.js), baseline the naive Chart.js way
 *   (build {x, y} objects, default parsing, no decimation), and Chart.js's own LTTB
 *   decimation with parsing off as a second reference.
 */
import type { CDPSession } from '@playwright/test';
import { frameDeltas, openBenchPage, summarizeFrames as summarize } from './browser';
import { emit } from './lib';

const seconds = Number(process.env.BENCH_DASH_SECONDS ?? 30);
const minutes = Number(process.env.BENCH_DASH_MINUTES ?? 10);
const rate = 10_000;

async function heapMb(cdp: CDPSession): Promise<number> {
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  return usedSize / 1024 / 1024;
}

const b = await openBenchPage('/bench/charts');
const { page } = b;
page.setDefaultTimeout(0);
await page.setViewportSize({ width: 1600, height: 1100 });

// --- explore.render_1m_points_ms ---
await page.getByTestId('chart-bench-ready').waitFor();
type RenderBench = (
  how: 'tidemark' | 'naive' | 'chartjs-lttb',
  n: number
) => Promise<{ ms: number; prepareMs: number }>;
const render = (how: Parameters<RenderBench>[0]) =>
  page.evaluate(
    ([h, n]) =>
      (globalThis as unknown as { tidemarkChartBench: RenderBench }).tidemarkChartBench(
        h as Parameters<RenderBench>[0],
        n as number
      ),
    [how, 1_000_000] as const
  );
type Run = { ms: number; prepareMs: number };
const runs = { tidemark: [] as Run[], naive: [] as Run[], lttb: [] as Run[] };
for (let i = 0; i < 9; i++) {
  runs.tidemark.push(await render('tidemark'));
  runs.lttb.push(await render('chartjs-lttb'));
  if (i < 3) runs.naive.push(await render('naive'));
}
/** The run with the median total, so its parts belong together. */
const med = (xs: Run[]) => [...xs].sort((a, c) => a.ms - c.ms)[xs.length >> 1];
const r1 = (x: number) => Math.round(x * 10) / 10;
emit({
  name: 'explore.render_1m_points_ms',
  value: med(runs.tidemark).ms,
  unit: 'ms',
  baseline: med(runs.naive).ms,
  target: 100,
  decimateMs: r1(med(runs.tidemark).prepareMs),
  naiveBuildObjectsMs: r1(med(runs.naive).prepareMs),
  chartjsLttbMs: r1(med(runs.lttb).ms),
  chartjsLttbBuildObjectsMs: r1(med(runs.lttb).prepareMs),
  runs: runs.tidemark.length
});

// --- Live with 10 charts at /?load=10000, drawn in a worker (the default) and on the main
// thread (/?charts=main), and an empty page as the baseline: interleaved in rounds so that
// load from outside (the machine is shared) falls on all three alike.
const storedAt = async () =>
  Number(
    ((await page.getByTestId('load-status').textContent()) ?? '')
      .match(/([\d,]+)\s+stored/)?.[1]
      .replace(/,/g, '') ?? 0
  );

async function openLive(query: string): Promise<number> {
  await page.goto(`${b.origin}/?load=${rate}${query}`);
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll('[data-testid="family-chart"] [data-points]')].filter(
        (el) => Number(el.getAttribute('data-points')) > 0
      ).length >= 1,
    null,
    { timeout: 60_000, polling: 500 }
  );
  await page.waitForTimeout(5_000);
  return page.locator('[data-testid="family-chart"] [data-points]').count();
}

const rounds = Number(process.env.BENCH_DASH_ROUNDS ?? 2);
const sliceMs = (seconds * 1000) / rounds;
const frames = { empty: [] as number[], main: [] as number[], worker: [] as number[] };
const stored = { points: 0, ms: 0 };
let charts = 0;
for (let r = 0; r < rounds; r++) {
  await page.goto('about:blank');
  frames.empty.push(...(await frameDeltas(page, sliceMs)));
  const order = r % 2 ? (['worker', 'main'] as const) : (['main', 'worker'] as const);
  for (const mode of order) {
    charts = await openLive(mode === 'main' ? '&charts=main' : '');
    const s0 = await storedAt();
    const t0 = Date.now();
    frames[mode].push(...(await frameDeltas(page, sliceMs)));
    if (mode === 'worker') {
      stored.points += (await storedAt()) - s0;
      stored.ms += Date.now() - t0;
    }
  }
}
const empty = summarize(frames.empty);
const live = summarize(frames.worker);
const mainThread = summarize(frames.main);
emit({
  name: 'dashboard.fps_mean',
  value: live.fps,
  unit: 'fps',
  baseline: empty.fps,
  target: 58,
  charts,
  drawing: 'worker (OffscreenCanvas)',
  mainThreadDrawingFps: Math.round(mainThread.fps * 10) / 10,
  loadPerS: rate,
  storedPerS: Math.round((stored.points / stored.ms) * 1000),
  seconds,
  rounds
});
emit({
  name: 'dashboard.frame_p95_ms',
  value: live.p95,
  unit: 'ms',
  baseline: empty.p95,
  target: 16.7,
  charts,
  drawing: 'worker (OffscreenCanvas)',
  mainThreadDrawingP95Ms: Math.round(mainThread.p95 * 10) / 10,
  seconds,
  rounds
});

// --- heap after `minutes` of the load ---
await openLive('');
const cdp = await page.context().newCDPSession(page);
const heapStart = await heapMb(cdp);
await page.waitForTimeout(Math.max(0, minutes * 60_000 - 5_000));
const heap = await heapMb(cdp);
const workers = page.workers();
let workerMb: number | null = null;
for (const w of workers) {
  if (!w.url().includes('engine')) continue;
  const used = await w.evaluate(
    () =>
      (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ??
      null
  );
  if (used !== null) workerMb = (workerMb ?? 0) + used / 1024 / 1024;
}
emit({
  name: 'dashboard.heap_mb',
  value: heap,
  unit: 'MB',
  baseline: heapStart,
  target: 100,
  minutes,
  engineWorkerHeapMb: workerMb,
  storedPoints: await storedAt()
});
await b.close();
