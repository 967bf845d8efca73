/**
 * Import throughput and memory through the real import path in headless Chromium: a file
 * generated in the page (a Blob built from many 4 MiB chunks, default 1 GB) is dropped on
 * the Import page; the import worker streams it, the engine worker stores it (batch +
 * checkpoint per transaction) while the leader's background engine rolls up as in real use.
 *
 * Figures (JSON lines):
 * - import.csv_mb_per_s, import.prom_mb_per_s: file MB / import duration (hash + parse +
 *   store, from the summary). Baseline: the same parser, parse only, on the same generated
 *   bytes in Node in this run (the ceiling the import could reach with free storage).
 *   Also reported: the page streaming the Blob and counting lines (the I/O floor).
 * - import.peak_heap_mb: the largest sum of JS heap in use over the page and its workers
 *   (CDP Runtime.getHeapUsage per target, sampled every 250 ms) during the imports (and,
 *   reported beside it, while the leader rolls the imported series up afterwards);
 *   baseline: the same sum before the imports started.
 * - Beside each rate, `cpu`: CPU seconds per Chromium thread over the import (from /proc),
 *   which says where the two cores went whatever else ran on the machine.
 *
 * Run: BENCH_PORT=4402 npx tsx bench/import.bench.ts   (BENCH_IMPORT_MB=50 for a quick pass;
 * BENCH_IMPORT_KINDS=prom for one format; BENCH_IMPORT_PROFILE=dir writes each worker's CPU
 * profile — build with `npx vite build --minify false` and BENCH_NO_BUILD=1 for names)
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createStreamParser } from '../src/lib/ingest';
import type { IngestFormat } from '../src/lib/ingest';
import { dropBenchFile, openBenchPage } from './browser';
import { GENERATOR, generateBenchChunks, ROW_BYTES } from './ingest-generator';
import { emit } from './lib';

const MB = 1e6;
const TARGET_MB = Number(process.env.BENCH_IMPORT_MB ?? 1000);
/** Node parse-only baseline size: enough for a stable rate without doubling the run. */
const BASELINE_MB = Math.min(TARGET_MB, 100);
const CHUNK_CHARS = 4 * 1024 * 1024;
const SAMPLE_MS = 250;
/** When set, each worker's CPU profile over the imports is written there (.cpuprofile). */
const PROFILE_DIR = process.env.BENCH_IMPORT_PROFILE;
const KINDS = (process.env.BENCH_IMPORT_KINDS ?? 'csv,prom').split(',') as ('csv' | 'prom')[];

interface HeapUsage {
  usedSize: number;
  /** ArrayBuffer backing stores (typed arrays live there), when Chromium reports it. */
  backingStorageSize?: number;
}

/** JS heap in use plus ArrayBuffer backing stores: parsed columns are typed arrays. */
function heapBytes(u: HeapUsage): number {
  return u.usedSize + (u.backingStorageSize ?? 0);
}

function nodeBaseline(kind: 'csv' | 'prom', end: number): number {
  const chunks = generateBenchChunks({ kind, mb: BASELINE_MB, end, chunkChars: CHUNK_CHARS / 4 });
  const size = chunks.reduce((s, c) => s + c.length, 0);
  const format: IngestFormat = kind === 'csv' ? 'csv' : 'prometheus';
  const parser = createStreamParser({ fileName: `bench.${kind}`, format });
  const t0 = performance.now();
  let points = 0;
  for (const c of chunks) {
    for (let o = 0; o < c.length; o += 1024 * 1024)
      for (const b of parser.push(c.subarray(o, o + 1024 * 1024)).batches) points += b.t.length;
  }
  for (const b of parser.finish().batches) points += b.t.length;
  const ms = performance.now() - t0;
  if (points === 0) throw new Error('baseline parsed nothing');
  return size / MB / (ms / 1000);
}

/** Proportional memory (PSS) of the Chromium processes of this profile (browser and children), bytes. */
function chromiumPss(profileDir: string): number {
  const parent = new Map<number, number>();
  const rss = new Map<number, number>();
  let root = -1;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the parenthesised command: state, ppid, …
      parent.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      // PSS, not RSS: Chromium's processes share many pages, and RSS would count them each time.
      const m = /Pss:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      rss.set(pid, m ? Number(m[1]) * 1024 : 0);
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (root < 0 && cmd.includes(`--user-data-dir=${profileDir}`) && !cmd.includes('--type='))
        root = pid;
    } catch {
      // The process ended between listing and reading.
    }
  }
  if (root < 0) return 0;
  let total = 0;
  for (const [pid, bytes] of rss) {
    let p: number | undefined = pid;
    while (p !== undefined && p > 1 && p !== root) p = parent.get(p);
    if (p === root) total += bytes;
  }
  return total;
}

/**
 * CPU seconds (user + system) of every thread of this profile's Chromium processes, keyed
 * `process type/thread name/tid`: two readings around an import say which threads spent the
 * CPU (the import, engine and leader workers are the renderer's DedicatedWorker threads, the
 * browser's ThreadPool threads run IndexedDB's LevelDB). CPU time, unlike wall time, is not
 * inflated when a neighbour holds the cores.
 */
function chromiumThreadCpu(profileDir: string): Map<string, number> {
  const out = new Map<string, number>();
  const ticks = 100; // USER_HZ on Linux
  const ours = new Set<number>();
  const parents = new Map<number, number>();
  const cmds = new Map<number, string>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      cmds.set(Number(name), readFileSync(`/proc/${name}/cmdline`, 'utf8'));
    } catch {
      // Gone between listing and reading.
    }
  }
  for (const pid of cmds.keys()) {
    let p: number | undefined = pid;
    while (p !== undefined && p > 1) {
      if (cmds.get(p)?.includes(`--user-data-dir=${profileDir}`)) {
        ours.add(pid);
        break;
      }
      p = parents.get(p);
    }
  }
  for (const pid of ours) {
    const type = /--type=([a-z-]+)/.exec(cmds.get(pid) ?? '')?.[1] ?? 'browser';
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const thread = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(`${type}/${thread}/${tid}`, (Number(f[11]) + Number(f[12])) / ticks);
      } catch {
        // Thread ended.
      }
    }
  }
  return out;
}

/** The threads that used the most CPU between two readings, summed per process type and thread name. */
function cpuBetween(before: Map<string, number>, after: Map<string, number>) {
  const byKind = new Map<string, number>();
  let total = 0;
  for (const [key, cpu] of after) {
    const d = cpu - (before.get(key) ?? 0);
    if (d <= 0) continue;
    total += d;
    // DedicatedWorker threads stay apart (one per worker); pools are summed.
    const [type, thread, tid] = key.split('/');
    const kind = thread.startsWith('DedicatedWorker')
      ? `${type}/worker-${tid}`
      : `${type}/${thread}`;
    byKind.set(kind, (byKind.get(kind) ?? 0) + d);
  }
  const top = [...byKind].sort((a, b) => b[1] - a[1]).slice(0, 8);
  return {
    totalCpuSeconds: Math.round(total * 100) / 100,
    threads: Object.fromEntries(top.map(([k, v]) => [k, Math.round(v * 100) / 100]))
  };
}

async function main(): Promise<void> {
  const end = Date.now();
  const baselines: Partial<Record<'csv' | 'prom', number>> = {};
  for (const kind of KINDS) baselines[kind] = nodeBaseline(kind, end);
  const bench = await openBenchPage('/import', Number(process.env.BENCH_PORT ?? 4402));
  const { page } = bench;
  try {
    await page.getByTestId('db-status').filter({ hasText: 'ready' }).waitFor({ timeout: 60_000 });
    const cdp = await page.context().newCDPSession(page);
    // Dedicated workers (engine, background engine, import) are attached as child targets;
    // non-flat sessions let this one CDP session ask each of them for its heap.
    const workers = new Map<string, string>();
    const pending = new Map<number, (used: number) => void>();
    let msgId = 1;
    cdp.on(
      'Target.attachedToTarget',
      (e: { sessionId: string; targetInfo: { type: string; title: string } }) => {
        if (e.targetInfo.type !== 'worker') return;
        workers.set(e.sessionId, e.targetInfo.title);
        // The import worker starts with the first import: profile it from its start.
        if (profiling) void startProfiler(e.sessionId);
      }
    );
    cdp.on('Target.detachedFromTarget', (e: { sessionId: string }) => workers.delete(e.sessionId));
    const replies = new Map<number, (result: unknown) => void>();
    cdp.on('Target.receivedMessageFromTarget', (e: { message: string }) => {
      const m = JSON.parse(e.message) as { id?: number; result?: HeapUsage };
      if (m.id !== undefined) pending.get(m.id)?.(m.result ? heapBytes(m.result) : 0);
      if (m.id !== undefined) replies.get(m.id)?.(m.result);
      if (m.id !== undefined) pending.delete(m.id);
      if (m.id !== undefined) replies.delete(m.id);
    });
    let profiling = false;
    const startProfiler = async (sid: string) => {
      await sendToWorker(sid, 'Profiler.enable');
      await sendToWorker(sid, 'Profiler.setSamplingInterval', { interval: 200 });
      await sendToWorker(sid, 'Profiler.start');
    };
    /** Sends one CDP command to a worker and resolves with its result. */
    const sendToWorker = (sessionId: string, method: string, params: object = {}) =>
      new Promise<unknown>((resolve) => {
        const id = msgId++;
        replies.set(id, resolve);
        void cdp
          .send('Target.sendMessageToTarget', {
            sessionId,
            message: JSON.stringify({ id, method, params })
          })
          .catch(() => resolve(undefined));
      });
    await cdp.send('Target.setAutoAttach', {
      autoAttach: true,
      waitForDebuggerOnStart: false,
      flatten: false
    });
    const workerHeap = (sessionId: string) =>
      new Promise<number>((resolve) => {
        const id = msgId++;
        pending.set(id, resolve);
        void cdp
          .send('Target.sendMessageToTarget', {
            sessionId,
            message: JSON.stringify({ id, method: 'Runtime.getHeapUsage' })
          })
          .catch(() => resolve(0));
        setTimeout(() => resolve(0), 2000);
      });
    const sampleHeap = async (): Promise<{ total: number; parts: Record<string, number> }> => {
      const parts: Record<string, number> = {};
      const pageHeap = (await cdp.send('Runtime.getHeapUsage')) as HeapUsage;
      parts.page = heapBytes(pageHeap);
      for (const [sid, title] of workers)
        parts[title || sid] = (parts[title || sid] ?? 0) + (await workerHeap(sid));
      return { total: Object.values(parts).reduce((a, b) => a + b, 0), parts };
    };

    await page.evaluate(`window.__gen = ${GENERATOR}`);
    const collectGarbage = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      for (const sid of workers.keys())
        await cdp
          .send('Target.sendMessageToTarget', {
            sessionId: sid,
            message: JSON.stringify({ id: msgId++, method: 'HeapProfiler.collectGarbage' })
          })
          .catch(() => {});
    };
    await collectGarbage();
    const idle = await sampleHeap();
    const idleRss = chromiumPss(bench.profileDir);
    let peak = idle;
    let peakRss = idleRss;
    let sampling = false;
    /** Peak while the rollups of the imported series catch up, after the imports. */
    let rollupPeak: typeof idle | null = null;
    const timer = setInterval(() => {
      if (!sampling) return;
      peakRss = Math.max(peakRss, chromiumPss(bench.profileDir));
      void sampleHeap().then((s) => {
        if (rollupPeak) {
          if (s.total > rollupPeak.total) rollupPeak = s;
        } else if (s.total > peak.total) peak = s;
      });
    }, SAMPLE_MS);

    if (PROFILE_DIR) {
      profiling = true;
      for (const sid of workers.keys()) await startProfiler(sid);
    }

    for (const kind of KINDS) {
      const built = (await page.evaluate(
        `(async () => {
          const target = ${TARGET_MB * MB};
          const totalRows = Math.ceil(target / ${ROW_BYTES[kind]});
          const parts = [];
          let size = 0, row = 0;
          while (size < target) {
            const r = window.__gen('${kind}', row, ${CHUNK_CHARS}, ${end}, totalRows);
            row = r.row;
            const blob = new Blob([r.text]);
            parts.push(blob);
            size += blob.size;
          }
          window.__benchFile = new File(parts, 'bench-${kind}.${kind === 'csv' ? 'csv' : 'prom'}', { lastModified: ${end} });
          // I/O floor: stream the Blob and count lines, nothing else.
          const t0 = performance.now();
          let lines = 0;
          const reader = window.__benchFile.stream().getReader();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            for (let i = 0; i < value.length; i++) if (value[i] === 10) lines++;
          }
          return { size: window.__benchFile.size, lines, readMs: performance.now() - t0 };
        })()`
      )) as { size: number; lines: number; readMs: number };

      // The generator's strings are garbage now; collect them so the peak is the import's.
      await collectGarbage();
      sampling = true;
      const cpuBefore = chromiumThreadCpu(bench.profileDir);
      const before = await page.getByTestId('import-job').count();
      await dropBenchFile(page);
      const settled = () =>
        page.waitForFunction(
          (n) => {
            const jobs = document.querySelectorAll('[data-testid="import-job"]');
            if (jobs.length <= n) return false;
            const s = jobs[0].getAttribute('data-status');
            return s !== 'inspecting' && s !== 'queued' && s !== 'running';
          },
          before,
          { timeout: 0, polling: 500 }
        );
      await settled();
      // A CSV waits for its column mapping: accept the detected one.
      if ((await page.getByTestId('import-job').first().getAttribute('data-status')) === 'review') {
        await page.getByTestId('csv-confirm').click();
        await settled();
      }
      sampling = false;
      const cpu = cpuBetween(cpuBefore, chromiumThreadCpu(bench.profileDir));
      const job = page.getByTestId('import-job').first();
      const status = await job.getAttribute('data-status');
      if (status !== 'done') {
        const message = await job
          .getByTestId('job-message')
          .innerText()
          .catch(() => '');
        throw new Error(`${kind} import ended ${status}: ${message}`);
      }
      const summary = job.getByTestId('import-summary');
      const ms = Number(await summary.getAttribute('data-duration-ms'));
      const points = Number(await summary.getAttribute('data-points'));
      const parseMs = Number(await summary.getAttribute('data-parse-ms'));
      const storeWaitMs = Number(await summary.getAttribute('data-store-wait-ms'));
      const readWaitMs = Number(await summary.getAttribute('data-read-wait-ms'));
      const commitMs = Number(await summary.getAttribute('data-commit-ms'));
      emit({
        name: `import.${kind}_mb_per_s`,
        value: built.size / MB / (ms / 1000),
        unit: 'MB/s',
        baseline: baselines[kind],
        baselineKind: `parse only, same parser and generator, Node, ${BASELINE_MB} MB`,
        readOnlyMbPerS: built.size / MB / (built.readMs / 1000),
        fileMb: built.size / MB,
        lines: built.lines,
        points,
        pointsPerS: points / (ms / 1000),
        seconds: ms / 1000,
        // In the import worker: time parsing, blocked on the engine storing, waiting for
        // the next slice of the file, and taking and posting commits.
        parseSeconds: parseMs / 1000,
        storeWaitSeconds: storeWaitMs / 1000,
        readWaitSeconds: readWaitMs / 1000,
        commitSeconds: commitMs / 1000,
        // CPU of the browser's threads from the drop to the end (including the CSV review).
        cpu
      });
      await page.getByRole('button', { name: 'Clear finished' }).click();
    }
    // The leader rolls imported series up once no import is running (engine rollupPass):
    // how long that takes after the last import, and the heap it needs meanwhile.
    rollupPeak = idle;
    sampling = true;
    const r0 = Date.now();
    // Polled from here: waitForFunction would take the async predicate's promise as truthy.
    for (;;) {
      const caughtUp = await page.evaluate(async () => {
        const engine = (
          globalThis as unknown as {
            tidemarkEngine: {
              listSeries(): Promise<{ source: string; lastT?: number; rolledUntil?: number }[]>;
            };
          }
        ).tidemarkEngine;
        const series = await engine.listSeries();
        return series.every((x) => x.source !== 'import' || x.rolledUntil === x.lastT);
      });
      if (caughtUp) break;
      if (Date.now() - r0 > 15 * 60_000) throw new Error('rollups did not catch up in 15 min');
      await new Promise((r) => setTimeout(r, 500));
    }
    const rollupSeconds = (Date.now() - r0) / 1000;
    sampling = false;
    clearInterval(timer);
    if (PROFILE_DIR) {
      mkdirSync(PROFILE_DIR, { recursive: true });
      for (const [sid, title] of workers) {
        const r = (await sendToWorker(sid, 'Profiler.stop')) as { profile?: unknown } | undefined;
        if (r?.profile)
          writeFileSync(
            path.join(PROFILE_DIR, `${title || sid}.cpuprofile`),
            JSON.stringify(r.profile)
          );
      }
    }
    emit({
      name: 'import.peak_heap_mb',
      value: peak.total / MB,
      unit: 'MB',
      baseline: idle.total / MB,
      baselineKind: 'same targets before the imports',
      targets: Object.fromEntries(
        Object.entries(peak.parts).map(([k, v]) => [k, Math.round(v / MB)])
      ),
      peakPssMb: peakRss / MB,
      idlePssMb: idleRss / MB,
      after_imports: {
        rollup_catch_up_s: rollupSeconds,
        peak_heap_mb: rollupPeak!.total / MB,
        targets: Object.fromEntries(
          Object.entries(rollupPeak!.parts).map(([k, v]) => [k, Math.round(v / MB)])
        )
      },
      note: 'heap: JS heap + ArrayBuffer backing stores of page + workers (Blob bytes are outside it); pss: all Chromium processes of the profile, including the generated Blob held by the browser'
    });
  } finally {
    await bench.close();
  }
}

await main();
