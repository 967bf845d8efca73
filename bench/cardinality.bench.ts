/**
 * Cardinality: thousands of series pushed at 1 Hz through a real agent into a paired page
 * (issue 28). Per series count (BENCH_CARD_SERIES, default "10,1000,10000") for
 * BENCH_CARD_SECONDS (default 600) a pusher in this process POSTs node_exporter-like
 * Prometheus text (families with label sets: node_cpu_seconds_total{cpu,mode},
 * node_network_*{device}, node_disk_*{device}, node_filesystem_*{device,fstype,mountpoint},
 * node_memory_*, …, one `instance` per 133 series, `job="node"`) to the agent's
 * `POST /v1/metrics`, each line carrying its sample time. The smallest count is the baseline:
 * it pushes as many points per second as the largest (10 series × 1,000/s against
 * 10,000 × 1 Hz), in the same run.
 *
 * How each figure is observed, without a test hook in the page:
 * - stored / lost: the `points` counter of every pushed series in the page's IndexedDB
 *   (`series` records, the SeriesRecord shape), read from a second tab of the same origin
 *   after the pushes stop and the page drained (or BENCH_CARD_DRAIN_S passed).
 * - sample → stored latency: the engine announces each committed batch on the
 *   `tidemark-changes` BroadcastChannel ({kind:'points', ids, to}, ids as flat inclusive
 *   [lo, hi] ranges, src/lib/types/id-ranges.ts); the second tab,
 *   which runs no app code (it shows /favicon.svg), listens, and a sample of series s at
 *   time t counts as stored when the first notice naming s with `to ≥ t` arrives.
 * - rollup lag: now − `rolledUntil` of each pushed series at the end of the push window, and
 *   how many were never rolled up; scored: `detectors` records of pushed series.
 * - Live fps / longest frame: requestAnimationFrame on the Live page for BENCH_CARD_FPS_S,
 *   right after the same in the second tab (an empty page: the baseline) brought to front.
 * - Explore: click on a pushed series in the list → the chart's `data-points` > 0.
 * - heap: JS heap + ArrayBuffer stores of the page and its workers (CDP), after a GC.
 * - browser CPU: user + system time of the profile's Chromium processes (/proc) over the
 *   push window, in cores.
 * - federation import (BENCH_CARD_IMPORT_SERIES, default 100,000; 0 skips): a Prometheus
 *   file with that many series imported through the Import page's file input, then the time
 *   from typing a series' name in Explore's search to the list showing it.
 *
 *   npx tsx bench/cardinality.bench.ts
 *   BENCH_CARD_SERIES=10,1000 BENCH_CARD_SECONDS=60 npx tsx bench/cardinality.bench.ts
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { rssMb, startAgent, type Proc } from './agent-proc';
import { heapSampler, openBenchPage, type BenchBrowser } from './browser';
import { startCpuProfiler } from './cpu-profile';
import { emit, percentile, skip } from './lib';

const SeriesCounts = (process.env.BENCH_CARD_SERIES ?? '10,1000,10000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0)
  .sort((a, b) => a - b);
const Seconds = Number(process.env.BENCH_CARD_SECONDS ?? 600);
const DrainS = Number(process.env.BENCH_CARD_DRAIN_S ?? 120);
const FpsS = Number(process.env.BENCH_CARD_FPS_S ?? 10);
const ImportSeries = Number(process.env.BENCH_CARD_IMPORT_SERIES ?? 100_000);
/** The baseline run is split into at most this many POSTs per second. */
const MaxPostsPerSecond = 20;
const Job = 'node';
const MB = 1024 * 1024;

interface SeriesDef {
  name: string;
  /** Prometheus label text without braces, e.g. `cpu="0",mode="idle",instance="…"`. */
  labels: string;
  counter: boolean;
}

/** The 133 series of one node_exporter host. */
function hostFamilies(instance: string): SeriesDef[] {
  const out: SeriesDef[] = [];
  const add = (name: string, labels: Record<string, string>, counter: boolean): void => {
    const all = { ...labels, instance, job: Job };
    const text = Object.entries(all)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
    out.push({ name, labels: text, counter });
  };
  for (let cpu = 0; cpu < 8; cpu++)
    for (const mode of ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'])
      add('node_cpu_seconds_total', { cpu: String(cpu), mode }, true);
  for (const device of ['eth0', 'eth1', 'lo', 'docker0'])
    for (const m of [
      'receive_bytes',
      'transmit_bytes',
      'receive_packets',
      'transmit_packets',
      'receive_errs'
    ])
      add(`node_network_${m}_total`, { device }, true);
  for (const device of ['sda', 'sdb', 'nvme0n1'])
    for (const m of ['read_bytes', 'written_bytes', 'reads_completed', 'writes_completed'])
      add(`node_disk_${m}_total`, { device }, true);
  for (const device of ['sda', 'sdb', 'nvme0n1'])
    add('node_disk_io_time_seconds_total', { device }, true);
  for (const [device, fstype, mountpoint] of [
    ['/dev/sda1', 'ext4', '/'],
    ['/dev/sda2', 'ext4', '/home'],
    ['/dev/sdb1', 'xfs', '/data'],
    ['tmpfs', 'tmpfs', '/run']
  ])
    for (const m of ['avail_bytes', 'size_bytes', 'files_free'])
      add(`node_filesystem_${m}`, { device, fstype, mountpoint }, false);
  for (const m of [
    'MemTotal',
    'MemFree',
    'MemAvailable',
    'Buffers',
    'Cached',
    'SwapTotal',
    'SwapFree',
    'Active',
    'Inactive',
    'Dirty'
  ])
    add(`node_memory_${m}_bytes`, {}, false);
  for (const m of ['load1', 'load5', 'load15', 'procs_running', 'procs_blocked'])
    add(`node_${m}`, {}, false);
  for (const m of ['context_switches', 'intr', 'forks']) add(`node_${m}_total`, {}, true);
  for (const [chip, sensor] of [
    ['coretemp', 'temp1'],
    ['coretemp', 'temp2'],
    ['nvme', 'temp1'],
    ['acpitz', 'temp1']
  ])
    add('node_hwmon_temp_celsius', { chip, sensor }, false);
  return out;
}

/** `n` series over as many hosts as it takes. */
function makeSeries(n: number): SeriesDef[] {
  const out: SeriesDef[] = [];
  for (let h = 0; out.length < n; h++) {
    const host = `host-${String(h).padStart(4, '0')}:9100`;
    for (const s of hostFamilies(host)) if (out.length < n) out.push(s);
  }
  return out;
}

/** Prometheus text of every series at each of `times` (ms), with TYPE lines per family. */
function exposition(series: SeriesDef[], times: number[], tick: number): string {
  const parts: string[] = [];
  let family = '';
  for (let i = 0; i < series.length; i++) {
    const s = series[i];
    if (s.name !== family) {
      family = s.name;
      parts.push(`# TYPE ${s.name} ${s.counter ? 'counter' : 'gauge'}`);
    }
    for (let j = 0; j < times.length; j++) {
      const step = tick * times.length + j;
      const v = s.counter ? step * (i + 1) : 50 + 40 * Math.sin(step / 30 + i);
      parts.push(`${s.name}{${s.labels}} ${v.toFixed(3)} ${times[j]}`);
    }
  }
  return parts.join('\n') + '\n';
}

function post(port: number, token: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/metrics?format=prometheus',
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'text/plain',
          'Content-Length': Buffer.byteLength(body)
        }
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      }
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs in the second tab: listens for the engine's commit notices, reads the store. */
const ProbeScript = `(() => {
  const C = (window.__card = {
    pushes: [], newest: new Map(), bench: new Set(), known: new Set(), pending: [],
    lat: [], notices: 0, covered: 0, maxKnown: -Infinity
  });
  new BroadcastChannel('tidemark-changes').onmessage = (e) => {
    const n = e.data;
    if (!n || n.kind !== 'points') return;
    C.notices++;
    C.pending.push([Date.now(), n.to, n.ids]);
  };
  C.openDb = () => new Promise((resolve, reject) => {
    const req = indexedDB.open('tidemark');
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  C.readAll = async (store) => {
    const db = await C.openDb();
    try {
      if (!db.objectStoreNames.contains(store)) return null;
      return await new Promise((resolve, reject) => {
        const req = db.transaction(store).objectStore(store).getAll();
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    } finally { db.close(); }
  };
  C.classify = async () => {
    const series = (await C.readAll('series')) || [];
    for (const s of series) {
      C.known.add(s.id);
      if (s.id > C.maxKnown) C.maxKnown = s.id;
      if (s.labels && s.labels.job === '${Job}') C.bench.add(s.id);
    }
    return series;
  };
  // First push time > x, by binary search over the sorted push times.
  const firstAfter = (x) => {
    let lo = 0, hi = C.pushes.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (C.pushes[mid] > x) hi = mid; else lo = mid + 1; }
    return lo;
  };
  C.process = async () => {
    // Ids only grow: a notice names a new series when its largest id is beyond the known.
    if (C.pending.some((p) => p[2].length && p[2][p[2].length - 1] > C.maxKnown)) await C.classify();
    for (const [at, to, ranges] of C.pending.splice(0)) {
      for (let r = 0; r < ranges.length; r += 2) for (let id = ranges[r]; id <= ranges[r + 1]; id++) {
        if (!C.bench.has(id)) continue;
        const prev = C.newest.has(id) ? C.newest.get(id) : -Infinity;
        if (!(to > prev)) continue;
        for (let k = firstAfter(prev); k < C.pushes.length && C.pushes[k] <= to; k++) {
          C.lat.push(at - C.pushes[k]);
          C.covered++;
        }
        C.newest.set(id, to);
      }
    }
    return C.covered;
  };
  C.frames = (ms) => new Promise((resolve) => {
    const out = [];
    let last = 0, start = 0;
    const step = (now) => {
      out.push(now - last);
      last = now;
      if (now - start < ms) requestAnimationFrame(step); else resolve(out);
    };
    requestAnimationFrame((now) => { last = start = now; requestAnimationFrame(step); });
  });
  C.storeFigures = async (now) => {
    const series = (await C.classify()).filter((s) => C.bench.has(s.id));
    const detectors = (await C.readAll('detectors')) || [];
    const lags = [];
    let stored = 0, never = 0;
    for (const s of series) {
      stored += s.points || 0;
      if (s.rolledUntil === undefined || s.rolledUntil === null) never++;
      else lags.push(now - s.rolledUntil);
    }
    // Points in the live write-ahead log (acknowledged, not yet cut into chunks) count too:
    // those after each series' stored tail.
    const tails = new Map(series.map((s) => [s.id, s.lastT ?? -Infinity]));
    for (const r of (await C.readAll('wal')) || []) {
      for (let k = 0; k < r.ids.length; k++) {
        const tail = tails.get(r.ids[k]);
        if (tail === undefined) continue;
        for (let i = r.offsets[k]; i < r.offsets[k + 1]; i++) if (r.t[i] > tail) stored++;
      }
    }
    const scored = new Set(detectors.filter((d) => C.bench.has(d.seriesId)).map((d) => d.seriesId)).size;
    return { series: series.length, stored, never, lags, scored };
  };
})()`;

/** rAF deltas summarised: mean fps and the longest frame. */
function fps(deltas: number[]): { fps: number; longest: number } {
  const total = deltas.reduce((s, d) => s + d, 0);
  return { fps: (deltas.length / total) * 1000, longest: Math.max(...deltas) };
}

async function frameDeltas(page: Page, ms: number): Promise<number[]> {
  // A string: the page has no __card; the rAF loop is the same as the probe's.
  return (await page.evaluate(`new Promise((resolve) => {
    const out = [];
    let last = 0, start = 0;
    const step = (now) => {
      out.push(now - last);
      last = now;
      if (now - start < ${ms}) requestAnimationFrame(step); else resolve(out);
    };
    requestAnimationFrame((now) => { last = start = now; requestAnimationFrame(step); });
  })`)) as number[];
}

/**
 * User + system CPU seconds of every process of this Chromium profile, by process type
 * (`browser` for the main process, which runs IndexedDB).
 */
function chromiumCpuByType(profileDir: string): Record<string, number> {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  const kind = new Map<number, string>();
  let root = -1;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(pid, Number(f[1]));
      ticks.set(pid, Number(f[11]) + Number(f[12]));
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      kind.set(pid, /--type=([\w-]+)/.exec(cmd)?.[1] ?? 'browser');
      if (root < 0 && cmd.includes(`--user-data-dir=${profileDir}`) && !cmd.includes('--type='))
        root = pid;
    } catch {
      // The process ended between listing and reading.
    }
  }
  const out: Record<string, number> = {};
  for (const [pid, t] of ticks) {
    let p: number | undefined = pid;
    while (p !== undefined && p > 1 && p !== root) p = parent.get(p);
    if (p !== root) continue;
    const k = kind.get(pid) ?? 'other';
    out[k] = (out[k] ?? 0) + t / 100; // USER_HZ
  }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function pair(page: Page, port: number, token: string): Promise<void> {
  await page.getByTestId('db-status').filter({ hasText: 'ready' }).waitFor({ timeout: 60_000 });
  await page.getByLabel('Agent URL').fill(`http://127.0.0.1:${port}`);
  await page.getByLabel('Pairing token').fill(token);
  await page.getByRole('button', { name: 'Pair', exact: true }).click();
  await page.locator('[data-testid="agent-state"][data-state="connected"]').waitFor();
}

/** Search → one option → click → chart has points: the click → drawn time in ms. */
async function exploreClickToDrawn(page: Page, query: string): Promise<number> {
  await page.getByRole('link', { name: 'Explore' }).first().click();
  await page.getByTestId('series-search').fill(query);
  const option = page.getByTestId('series-option').first();
  await option.waitFor({ timeout: 60_000 });
  const t0 = Date.now();
  await option.click();
  await page.waitForFunction(
    () =>
      Number(
        document.querySelector('[data-testid="explore-chart"]')?.getAttribute('data-points') ?? 0
      ) > 0,
    null,
    { timeout: 60_000, polling: 'raf' }
  );
  return Date.now() - t0;
}

interface RunFigures {
  series: number;
  pushed: number;
  stored: number;
  lost: number;
  p50: number;
  p95: number;
  covered: number;
  rollupLagP95: number;
  neverRolled: number;
  scored: number;
  liveFps: number;
  liveLongest: number;
  emptyFps: number;
  emptyLongest: number;
  exploreMs: number;
  heapMb: number;
  cpuCores: number;
  cpuByType: Record<string, number>;
  /** Chromium CPU seconds from the first push until drained, per second of pushes. */
  cpuWork: number;
  agentRssMb: number;
}

async function runOne(
  bench: BenchBrowser,
  n: number,
  pointsPerSecond: number
): Promise<RunFigures> {
  const token = randomBytes(32).toString('base64url');
  const agent: Proc = await startAgent(1000, token, 'npm', ['--origin', bench.origin, '--no-gpu']);
  const { page, context } = bench;
  const probe = await context.newPage();
  try {
    await page.goto(bench.origin + '/settings');
    await pair(page, agent.port, token);
    await probe.goto(bench.origin + '/favicon.svg');
    await probe.evaluate(ProbeScript);
    await page.bringToFront();
    // Live, with the agent connected; a full load, so the Live page starts as a user sees it.
    await page.goto(bench.origin + '/');
    await page.getByTestId('db-status').filter({ hasText: 'ready' }).waitFor({ timeout: 60_000 });
    const heapOf = await heapSampler(await context.newCDPSession(page));

    const series = makeSeries(n);
    const perSeriesHz = pointsPerSecond / n;
    const posts = Math.min(MaxPostsPerSecond, Math.max(1, Math.round(perSeriesHz)));
    const samplesPerPost = Math.max(1, Math.round(perSeriesHz / posts));
    const gapMs = 1000 / posts;
    let pushed = 0;
    let tick = 0;
    const unsentTimes: number[] = [];
    let failed = 0;
    const cpu0 = chromiumCpuByType(bench.profileDir);
    const start = Date.now();
    const pusher = (async () => {
      while (Date.now() - start < Seconds * 1000) {
        const due = start + tick * gapMs;
        if (due > Date.now()) await sleep(due - Date.now());
        // Sample times on the schedule, strictly increasing across posts even when a post
        // goes out late (a repeated time would be stored once, not lost).
        const times = Array.from({ length: samplesPerPost }, (_, j) =>
          Math.round(due - ((samplesPerPost - 1 - j) * gapMs) / samplesPerPost)
        );
        // Known to the probe before any notice can cover them: handed over with the next
        // processing call, which only sees notices of posts already sent.
        unsentTimes.push(...times);
        const status = await post(agent.port, token, exposition(series, times, tick));
        if (status !== 202) failed++;
        else pushed += series.length * times.length;
        tick++;
      }
    })();
    const processNotices = (): Promise<number> =>
      probe.evaluate((ts) => {
        const c = (
          window as unknown as { __card: { pushes: number[]; process(): Promise<number> } }
        ).__card;
        c.pushes.push(...ts);
        return c.process();
      }, unsentTimes.splice(0));
    const processLoop = setInterval(() => void processNotices().catch(() => {}), 1000);
    // BENCH_CARD_PROFILE=<dir>: V8 profiles of the page and its workers over the push window's
    // second half-minute (steady state), one file per thread.
    const profileDir = process.env.BENCH_CARD_PROFILE;
    const profiling = profileDir
      ? sleep(Math.min(20_000, Seconds * 300)).then(async () => {
          const prof = await startCpuProfiler(await context.newCDPSession(page));
          await sleep(Math.min(30_000, Seconds * 400));
          await prof.stop(profileDir, `card${n}`);
        })
      : Promise.resolve();

    // Live fps against the empty tab, one after the other, past the first half. Only the
    // tab in front draws (a hidden tab gets 1 frame/s), so the Live page is in front at all
    // other times.
    await sleep(Math.max(0, Seconds * 500 - FpsS * 2000));
    await probe.bringToFront();
    const emptyDeltas = (await probe.evaluate(`window.__card.frames(${FpsS * 1000})`)) as number[];
    await page.bringToFront();
    const liveDeltas = await frameDeltas(page, FpsS * 1000);
    const live = fps(liveDeltas);
    const empty = fps(emptyDeltas);
    // Explore under load: a series of the last host, as a user would pick one.
    const last = series[series.length - 1];
    const instance = /instance="([^":]+)/.exec(last.labels)?.[1] ?? '';
    const exploreMs = await exploreClickToDrawn(page, `${last.name} ${instance}`).catch((e) => {
      console.error(`cardinality: the Explore step failed: ${(e as Error).message}`);
      return NaN;
    });
    await page.getByRole('link', { name: 'Live' }).first().click();
    await pusher;
    const pushEnd = Date.now();
    await profiling;
    const cpu1 = chromiumCpuByType(bench.profileDir);
    const cpuByType: Record<string, number> = {};
    for (const k of Object.keys(cpu1))
      cpuByType[k] = +((cpu1[k] - (cpu0[k] ?? 0)) / ((pushEnd - start) / 1000)).toFixed(3);
    const cpuCores = Object.values(cpuByType).reduce((a, b) => a + b, 0);
    const atEnd = (await probe.evaluate(`window.__card.storeFigures(${pushEnd})`)) as {
      never: number;
      lags: number[];
      scored: number;
    };
    const heapMb = (await heapOf()) / MB;
    const agentRssMb = rssMb(agent.child.pid as number);

    // Drain: until every pushed point is stored, or DrainS passed.
    let final = { series: 0, stored: 0, never: 0, lags: [] as number[], scored: 0 };
    const drainUntil = Date.now() + DrainS * 1000;
    while (Date.now() < drainUntil) {
      final = (await probe.evaluate(`window.__card.storeFigures(${Date.now()})`)) as typeof final;
      if (final.stored >= pushed) break;
      await sleep(1000);
    }
    const cpuDrained = chromiumCpuByType(bench.profileDir);
    const cpuWork =
      Object.keys(cpuDrained).reduce((a, k) => a + cpuDrained[k] - (cpu0[k] ?? 0), 0) / Seconds;
    clearInterval(processLoop);
    await processNotices();
    const lat = (await probe.evaluate('window.__card.lat')) as number[];
    if (failed > 0) process.stderr.write(`# ${failed} pushes were refused by the agent\n`);
    return {
      series: n,
      pushed,
      stored: final.stored,
      lost: Math.max(0, pushed - final.stored),
      p50: percentile(lat, 50),
      p95: percentile(lat, 95),
      covered: lat.length,
      rollupLagP95: percentile(atEnd.lags, 95),
      neverRolled: atEnd.never,
      scored: Math.max(atEnd.scored, final.scored),
      liveFps: live.fps,
      liveLongest: live.longest,
      emptyFps: empty.fps,
      emptyLongest: empty.longest,
      exploreMs,
      heapMb,
      cpuCores,
      cpuByType,
      cpuWork,
      agentRssMb
    };
  } finally {
    await probe.close();
    agent.child.kill('SIGTERM');
  }
}

function report(r: RunFigures, base: RunFigures | undefined, pointsPerSecond: number): void {
  const common = {
    series: r.series,
    seconds: Seconds,
    points_per_s: pointsPerSecond,
    baseline_series: base?.series
  };
  const b = <K extends keyof RunFigures>(k: K): number | undefined => base?.[k] as number;
  emit({
    name: 'cardinality.stored_points',
    value: r.stored,
    unit: 'points',
    pushed: r.pushed,
    lost: r.lost,
    target: 'lost = 0',
    ...common
  });
  emit({
    name: 'cardinality.stored_latency_ms',
    value: r.p95,
    unit: 'ms (p95, sample time → engine committed)',
    baseline: b('p95'),
    p50: r.p50,
    baseline_p50: b('p50'),
    samples: r.covered,
    target: 1000,
    ...common
  });
  emit({
    name: 'cardinality.rollup_lag_ms',
    value: r.rollupLagP95,
    unit: 'ms (p95 over series of now − rolledUntil, at the end of the pushes)',
    baseline: b('rollupLagP95'),
    never_rolled_up: r.neverRolled,
    target: 10_000,
    ...common
  });
  emit({
    name: 'cardinality.series_scored',
    value: r.scored,
    unit: 'series with anomaly detector state stored',
    of: r.series,
    note: 'the engine checkpoints a detector every 5 min (or on an anomaly), so runs shorter than that show 0',
    ...common
  });
  emit({
    name: 'cardinality.live_fps',
    value: r.liveFps,
    unit: 'fps (Live page)',
    baseline: r.emptyFps,
    baseline_is: 'empty tab, measured just before',
    ratio: r.liveFps / r.emptyFps,
    longest_frame_ms: r.liveLongest,
    baseline_longest_frame_ms: r.emptyLongest,
    target: '≥ 97 % of the empty page',
    ...common
  });
  emit({
    name: 'cardinality.explore_draw_ms',
    value: r.exploreMs,
    unit: 'ms (click on a series → chart has points)',
    baseline: b('exploreMs'),
    target: 1000,
    ...common
  });
  emit({
    name: 'cardinality.heap_mb',
    value: r.heapMb,
    unit: 'MiB (page + workers, JS heap + ArrayBuffers, after GC)',
    baseline: b('heapMb'),
    target: 200,
    ...common
  });
  emit({
    name: 'cardinality.browser_cpu_cores',
    value: r.cpuCores,
    unit: 'cores (all Chromium processes of the profile, over the pushes)',
    baseline: b('cpuCores'),
    target: 0.5,
    by_process: r.cpuByType,
    baseline_by_process: base?.cpuByType,
    note: 'includes the probe tab (BroadcastChannel listener, store reads each second); by_process: browser = the main process, which runs IndexedDB',
    ...common
  });
  emit({
    name: 'cardinality.browser_cpu_work',
    value: +r.cpuWork.toFixed(3),
    unit: 'Chromium CPU seconds from the first push until every point is stored, per second pushed',
    baseline: base ? +base.cpuWork.toFixed(3) : undefined,
    note: 'the work, whether done during the pushes or after: comparable on a loaded machine, where the cores figure is capped by what the machine gives',
    ...common
  });
  emit({
    name: 'cardinality.agent_rss_mb',
    value: r.agentRssMb,
    unit: 'MiB',
    baseline: b('agentRssMb'),
    ...common
  });
}

/** A federation-style file: `n` series, two samples each, node_exporter names. */
function federationFile(n: number, dir: string): { file: string; query: string } {
  const series = makeSeries(n);
  const t = Date.now() - 60_000;
  const file = path.join(dir, `federation-${n}.prom`);
  writeFileSync(file, exposition(series, [t, t + 30_000], 0));
  const pick = series[Math.floor(n * 0.77)];
  const instance = /instance="([^":]+)/.exec(pick.labels)?.[1] ?? '';
  return { file, query: `${pick.name} ${instance}` };
}

async function federationImport(bench: BenchBrowser): Promise<void> {
  const { page } = bench;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tidemark-card-'));
  const { file, query } = federationFile(ImportSeries, dir);
  await page.goto(bench.origin + '/import');
  await page.getByTestId('db-status').filter({ hasText: 'ready' }).waitFor({ timeout: 60_000 });
  const t0 = Date.now();
  await page.getByTestId('file-input').setInputFiles(file);
  const job = page.getByTestId('import-job').first();
  await job.and(page.locator('[data-status="done"]')).waitFor({ timeout: 30 * 60_000 });
  const importMs = Date.now() - t0;
  const open0 = Date.now();
  await page.getByRole('link', { name: 'Explore' }).first().click();
  const search = page.getByTestId('series-search');
  await page.getByTestId('series-option').first().waitFor({ timeout: 120_000 });
  const listMs = Date.now() - open0;
  // Then the search, with the list loaded: from filling the box to the list showing only
  // matches of it.
  const s0 = Date.now();
  await search.fill(query);
  const [name, instance] = query.split(' ');
  await page.waitForFunction(
    ([n, i]) => {
      const opts = [...document.querySelectorAll('[data-testid="series-option"]')];
      return (
        opts.length > 0 &&
        opts.every((o) => o.textContent?.includes(n) && o.textContent.includes(i))
      );
    },
    [name, instance],
    { timeout: 120_000, polling: 'raf' }
  );
  const searchMs = Date.now() - s0;
  emit({
    name: 'cardinality.federation_search_ms',
    value: searchMs,
    unit: 'ms (typed a series name → Explore lists only its matches)',
    series: ImportSeries,
    import_ms: importMs,
    list_ms: listMs,
    list_is: 'Explore link clicked → first series listed',
    query,
    target: 100
  });
}

async function main(): Promise<void> {
  if (SeriesCounts.length === 0 && ImportSeries <= 0)
    return skip('cardinality', 'BENCH_CARD_SERIES is empty and BENCH_CARD_IMPORT_SERIES is 0');
  const pointsPerSecond = SeriesCounts[SeriesCounts.length - 1];
  let base: RunFigures | undefined;
  for (const n of SeriesCounts) {
    // A fresh profile per run: each starts with an empty store.
    const bench = await openBenchPage('/settings', Number(process.env.BENCH_PORT ?? 4403));
    process.env.BENCH_NO_BUILD = '1';
    try {
      const rate = n === SeriesCounts[0] ? pointsPerSecond : n;
      const r = await runOne(bench, n, rate);
      report(r, n === SeriesCounts[0] ? undefined : base, rate);
      if (n === SeriesCounts[0]) base = r;
    } finally {
      await bench.close();
    }
  }
  if (ImportSeries > 0) {
    const bench = await openBenchPage('/import', Number(process.env.BENCH_PORT ?? 4403));
    process.env.BENCH_NO_BUILD = '1';
    try {
      await federationImport(bench);
    } finally {
      await bench.close();
    }
  }
}

main().catch((err: unknown) => {
  skip('cardinality', (err as Error).stack ?? String(err));
  process.exitCode = 1;
});
