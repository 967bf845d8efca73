/**
 * Lighthouse mobile performance of every page (issue 20: "Lighthouse mobile performance ≥ 0.9").
 *
 * Builds the production site (what users get; BENCH_NO_BUILD=1 reuses the last build), serves
 * it with `vite preview` on BENCH_PORT, and runs Lighthouse's default config (mobile: Moto
 * G Power viewport, simulated slow 4G and 4× CPU slowdown) against each route with an empty
 * store (a fresh Chromium profile per run), BENCH_LH_RUNS (default 3) times, reporting
 * medians. Figures per route, e.g. for `/explore`:
 * - lighthouse.explore.performance (score 0–1), lighthouse.explore.lcp_ms,
 *   lighthouse.explore.tbt_ms, lighthouse.explore.cls;
 * baseline: the same figure for a trivial static page (one heading, one paragraph) served by
 * the same server in the same run, so a loaded machine shows up in the baseline too.
 * The machine's 1-minute load average at the start and end is printed with each figure.
 * BENCH_LH_ROUTES=/,/explore limits the routes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { emit, median, skip } from './lib';

const AllRoutes = [
  '/',
  '/explore',
  '/import',
  '/events',
  '/usage',
  '/insights',
  '/alerts',
  '/dashboards',
  '/energy',
  '/export',
  '/settings'
];
const routes = process.env.BENCH_LH_ROUTES?.split(',') ?? AllRoutes;
const runs = Number(process.env.BENCH_LH_RUNS ?? 3);
const port = Number(process.env.BENCH_PORT ?? 4399);
const chromePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BaselineFile = 'lighthouse-baseline.html';
const BaselineHtml = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="Lighthouse baseline"><title>Baseline</title></head>
<body><h1>Baseline</h1><p>A static page served by the same server, to measure the machine.</p></body></html>`;

interface Sample {
  performance: number;
  lcp_ms: number;
  tbt_ms: number;
  cls: number;
}

type LighthouseFn = (
  url: string,
  flags: Record<string, unknown>
) => Promise<{ lhr: LighthouseResult } | undefined>;
interface LighthouseResult {
  categories: { performance: { score: number | null } };
  audits: Record<string, { numericValue?: number }>;
  runtimeError?: { message: string };
}

async function loadLighthouse(): Promise<{
  lighthouse: LighthouseFn;
  launch: (o: { chromePath: string; chromeFlags: string[] }) => Promise<{
    port: number;
    kill(): Promise<void> | void;
  }>;
} | null> {
  try {
    const lh = await import('lighthouse');
    const cl = await import('chrome-launcher');
    return {
      lighthouse: lh.default as unknown as LighthouseFn,
      launch: cl.launch as never
    };
  } catch {
    return null;
  }
}

const lib = await loadLighthouse();
if (!lib) {
  skip('lighthouse', 'the lighthouse package is not installed (npm install)');
  process.exit(0);
}
if (!existsSync(chromePath)) {
  skip('lighthouse', `no Chromium at ${chromePath} (apt-get install chromium, or CHROMIUM_PATH)`);
  process.exit(0);
}

if (!process.env.BENCH_NO_BUILD) {
  // Build output on stderr: stdout carries only the JSON lines.
  const b = spawnSync('npx', ['vite', 'build', '--logLevel', 'error'], {
    stdio: ['ignore', 2, 'inherit']
  });
  if (b.status !== 0) throw new Error('build failed');
}
// `vite preview` serves SvelteKit's output folder; the baseline page goes beside the assets.
writeFileSync(path.join('.svelte-kit', 'output', 'client', BaselineFile), BaselineHtml);

const server: ChildProcess = spawn(
  'npx',
  ['vite', 'preview', '--port', String(port), '--strictPort', '--host', '127.0.0.1'],
  { stdio: 'ignore', detached: true }
);
const origin = `http://127.0.0.1:${port}`;

async function stopServer(): Promise<void> {
  if (!server.pid) return;
  try {
    process.kill(-server.pid);
  } catch {
    server.kill();
  }
}

async function measure(url: string): Promise<Sample> {
  const chrome = await lib!.launch({
    chromePath,
    chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu']
  });
  try {
    const r = await lib!.lighthouse(url, {
      port: chrome.port,
      output: 'json',
      logLevel: 'error',
      onlyCategories: ['performance']
    });
    const lhr = r?.lhr;
    if (!lhr || lhr.runtimeError) throw new Error(lhr?.runtimeError?.message ?? 'no result');
    const a = lhr.audits;
    return {
      performance: lhr.categories.performance.score ?? NaN,
      lcp_ms: a['largest-contentful-paint'].numericValue ?? NaN,
      tbt_ms: a['total-blocking-time'].numericValue ?? NaN,
      cls: a['cumulative-layout-shift'].numericValue ?? NaN
    };
  } finally {
    await chrome.kill();
  }
}

async function medians(url: string): Promise<Sample> {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) samples.push(await measure(url));
  const m = (k: keyof Sample) => median(samples.map((s) => s[k]));
  return { performance: m('performance'), lcp_ms: m('lcp_ms'), tbt_ms: m('tbt_ms'), cls: m('cls') };
}

try {
  let up = false;
  for (let i = 0; i < 150 && !up; i++) {
    try {
      up = (await fetch(origin + '/')).ok;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  if (!up) throw new Error(`vite preview did not answer on ${origin}`);
  const loadStart = loadavg()[0];
  const baseline = await medians(`${origin}/${BaselineFile}`);
  for (const route of routes) {
    const s = await medians(origin + route);
    const name = route === '/' ? 'live' : route.slice(1);
    const load = [loadStart, loadavg()[0]].map((x) => Math.round(x * 100) / 100);
    const units: Record<keyof Sample, string> = {
      performance: 'score',
      lcp_ms: 'ms',
      tbt_ms: 'ms',
      cls: 'score'
    };
    for (const k of Object.keys(units) as (keyof Sample)[]) {
      emit({
        name: `lighthouse.${name}.${k}`,
        value: s[k],
        unit: units[k],
        baseline: baseline[k],
        runs,
        loadavg: load
      });
    }
  }
} finally {
  await stopServer();
}
