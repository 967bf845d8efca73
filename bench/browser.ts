/**
 * Browser benchmarks: build the site, serve it with `vite preview`, and drive Debian's
 * Chromium headless through Playwright, as the end-to-end tests do.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type CDPSession, type Page } from '@playwright/test';
import { percentile } from './lib';

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run'
];

export interface BenchBrowser {
  page: Page;
  /** The profile folder: its IndexedDB files are the real on-disk size. */
  profileDir: string;
  context: BrowserContext;
  origin: string;
  close(): Promise<void>;
}

let server: ChildProcess | null = null;

export async function openBenchPage(
  route: string,
  port = Number(process.env.BENCH_PORT ?? 4399)
): Promise<BenchBrowser> {
  if (!process.env.BENCH_NO_BUILD) {
    // The benchmark variant of the site (BENCH=1: the (dev) pages and the bench workers).
    // The build's output goes to stderr: stdout carries only the bench's JSON lines (the
    // service worker's build logs whatever --logLevel says).
    const b = spawnSync('npx', ['vite', 'build', '--logLevel', 'error'], {
      stdio: ['ignore', 2, 'inherit'],
      env: { ...process.env, BENCH: '1' }
    });
    if (b.status !== 0) throw new Error('build failed');
  }
  server = spawn(
    'npx',
    ['vite', 'preview', '--port', String(port), '--strictPort', '--host', '127.0.0.1'],
    // BENCH=1 here too, so vite.config.ts and svelte.config.js agree with the build.
    // Its own process group, so close() stops vite itself and not only the npx wrapper
    // (a stray server kept the port and served a stale build to the next run).
    { stdio: 'ignore', detached: true, env: { ...process.env, BENCH: '1' } }
  );
  const origin = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(origin + '/')).ok) break;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'tidemark-bench-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: chromiumArgs
  });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(origin + route);
  return {
    page,
    profileDir: dir,
    context,
    origin,
    async close() {
      await context.close();
      if (server?.pid) {
        try {
          process.kill(-server.pid);
        } catch {
          server.kill();
        }
      }
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** Bytes of every file below `dir` whose path contains `match` (e.g. the IndexedDB folders). */
/** Bytes of the IndexedDB files by kind: LevelDB log, sorted tables, blob files, other. */
export function diskBreakdown(dir: string): Record<string, number> {
  const out: Record<string, number> = { log: 0, ldb: 0, blob: 0, other: 0 };
  const walk = (d: string, inside: boolean) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p, inside || p.includes('IndexedDB'));
      else if (inside) {
        const kind = p.includes('.blob')
          ? 'blob'
          : name.endsWith('.log')
            ? 'log'
            : name.endsWith('.ldb')
              ? 'ldb'
              : 'other';
        out[kind] += st.size;
      }
    }
  };
  walk(dir, false);
  return out;
}

export function diskBytes(dir: string, match = 'IndexedDB'): number {
  let total = 0;
  const walk = (d: string, inside: boolean) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p, inside || p.includes(match));
      else if (inside) total += st.size;
    }
  };
  walk(dir, false);
  return total;
}

/** rAF deltas (ms) over `ms` on the page's main thread. */
export async function frameDeltas(page: Page, ms: number): Promise<number[]> {
  // A string, not a function: tsx would wrap named inner functions in a helper the page lacks.
  const deltas = (await page.evaluate(`new Promise((resolve) => {
    const out = [];
    let last = 0;
    let start = 0;
    function step(now) {
      out.push(now - last);
      last = now;
      if (now - start < ${ms}) requestAnimationFrame(step);
      else resolve(out);
    }
    requestAnimationFrame((now) => {
      last = start = now;
      requestAnimationFrame(step);
    });
  })`)) as number[];
  return deltas;
}

/** Mean fps (frames / time) and p95 frame time of a set of rAF deltas. */
export function summarizeFrames(deltas: number[]): { fps: number; p95: number } {
  const total = deltas.reduce((s, d) => s + d, 0);
  return { fps: (deltas.length / total) * 1000, p95: percentile(deltas, 95) };
}

/**
 * JS heap in use plus ArrayBuffer backing stores of the page and each dedicated worker,
 * after a GC in each, in bytes. Workers are reached as non-flat child targets.
 */
export async function heapSampler(cdp: CDPSession): Promise<() => Promise<number>> {
  const workers = new Set<string>();
  const replies = new Map<number, (r: unknown) => void>();
  let id = 1;
  cdp.on('Target.attachedToTarget', (e: { sessionId: string; targetInfo: { type: string } }) => {
    if (e.targetInfo.type === 'worker') workers.add(e.sessionId);
  });
  cdp.on('Target.detachedFromTarget', (e: { sessionId: string }) => workers.delete(e.sessionId));
  cdp.on('Target.receivedMessageFromTarget', (e: { message: string }) => {
    const m = JSON.parse(e.message) as { id?: number; result?: unknown };
    if (m.id !== undefined) replies.get(m.id)?.(m.result);
  });
  const send = (sessionId: string, method: string): Promise<unknown> =>
    new Promise((resolve) => {
      const n = id++;
      replies.set(n, resolve);
      setTimeout(() => resolve(undefined), 5_000);
      void cdp
        .send('Target.sendMessageToTarget', {
          sessionId,
          message: JSON.stringify({ id: n, method })
        })
        .catch(() => resolve(undefined));
    });
  await cdp.send('Target.setAutoAttach', {
    autoAttach: true,
    waitForDebuggerOnStart: false,
    flatten: false
  });
  type Usage = { usedSize: number; backingStorageSize?: number } | undefined;
  const bytes = (u: Usage): number => (u ? u.usedSize + (u.backingStorageSize ?? 0) : 0);
  return async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    let total = bytes((await cdp.send('Runtime.getHeapUsage')) as Usage);
    for (const sid of workers) {
      await send(sid, 'HeapProfiler.collectGarbage');
      total += bytes((await send(sid, 'Runtime.getHeapUsage')) as Usage);
    }
    return total;
  };
}

/**
 * Drops the page's `window.__benchFile` (a File the bench generated in the page) on the page
 * the way a user's drag does, and lets go of the page's reference to it.
 */
export async function dropBenchFile(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const dt = new DataTransfer();
    dt.items.add(window.__benchFile);
    window.__benchFile = null;
    for (const type of ['dragenter', 'dragover', 'drop'])
      document.body.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
  })()`);
}
