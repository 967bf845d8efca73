/**
 * V8 CPU profiles of a page and every worker it runs, through the page's CDP session (the
 * workers are reached by auto-attach, as `heapSampler` in browser.ts does), for finding
 * where a bench's time goes. `BENCH_CARD_PROFILE=<dir>` in the cardinality bench writes one
 * `.cpuprofile` per thread (open it in Chromium's DevTools) and prints the top self-time
 * functions per thread to stderr. Build with `BENCH_NO_MINIFY=1` to read real names.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CDPSession } from '@playwright/test';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface CpuProfiler {
  /** Stops every thread's profiler; writes `<dir>/<label>-<thread>.cpuprofile`. */
  stop(dir: string, label: string): Promise<string[]>;
}

export async function startCpuProfiler(cdp: CDPSession, intervalUs = 500): Promise<CpuProfiler> {
  const workers = new Map<string, string>();
  const replies = new Map<number, (r: unknown) => void>();
  let id = 1;
  cdp.on(
    'Target.attachedToTarget',
    (e: { sessionId: string; targetInfo: { type: string; url: string } }) => {
      if (e.targetInfo.type === 'worker') workers.set(e.sessionId, e.targetInfo.url);
    }
  );
  cdp.on('Target.receivedMessageFromTarget', (e: { message: string }) => {
    const m = JSON.parse(e.message) as { id?: number; result?: unknown };
    if (m.id !== undefined) replies.get(m.id)?.(m.result);
  });
  const send = (sessionId: string, method: string, params?: object): Promise<unknown> =>
    new Promise((resolve) => {
      const n = id++;
      replies.set(n, resolve);
      setTimeout(() => resolve(undefined), 60_000);
      void cdp
        .send('Target.sendMessageToTarget', {
          sessionId,
          message: JSON.stringify({ id: n, method, params })
        })
        .catch(() => resolve(undefined));
    });
  await cdp.send('Target.setAutoAttach', {
    autoAttach: true,
    waitForDebuggerOnStart: false,
    flatten: false
  });
  // Attach events arrive asynchronously after setAutoAttach.
  await new Promise((r) => setTimeout(r, 500));
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: intervalUs });
  await cdp.send('Profiler.start');
  for (const s of workers.keys()) {
    await send(s, 'Profiler.enable');
    await send(s, 'Profiler.setSamplingInterval', { interval: intervalUs });
    await send(s, 'Profiler.start');
  }
  return {
    async stop(dir, label) {
      const out: string[] = [];
      const save = (thread: string, p: Profile | undefined) => {
        if (!p) return;
        const file = path.join(dir, `${label}-${thread}.cpuprofile`);
        writeFileSync(file, JSON.stringify(p));
        out.push(file);
        process.stderr.write(`# ${label} ${thread}: ${summarise(p)}\n`);
      };
      save('page', ((await cdp.send('Profiler.stop')) as { profile: Profile }).profile);
      let k = 0;
      for (const [s, url] of workers) {
        const r = (await send(s, 'Profiler.stop')) as { profile: Profile } | undefined;
        save(`worker${k++}-${path.basename(url).replace(/[^\w.-]/g, '_')}`, r?.profile);
      }
      return out;
    }
  };
}

/** Busy share of the profile's span and the top self-time functions. */
export function summarise(p: Profile, top = 25): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++)
    self.set(samples[i], (self.get(samples[i]) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0));
  const byFn = new Map<string, number>();
  let busy = 0;
  let total = 0;
  for (const [nid, us] of self) {
    const n = byId.get(nid);
    if (!n) continue;
    total += us;
    const f = n.callFrame;
    if (f.functionName === '(idle)' || f.functionName === '(program)') continue;
    busy += us;
    const key = `${f.functionName || '(anon)'} ${path.basename(f.url)}:${f.lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
  }
  const rows = [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top);
  return (
    `busy ${(busy / 1e6).toFixed(1)} s of ${(total / 1e6).toFixed(1)} s\n` +
    rows.map(([k, us]) => `#   ${(us / 1e3).toFixed(0).padStart(7)} ms  ${k}`).join('\n')
  );
}
