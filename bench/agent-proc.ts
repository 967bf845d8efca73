/**
 * Starting real agent processes for benchmarks, and reading a process's CPU and memory from
 * /proc. Shared by agent.bench.ts and cardinality.bench.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

export const Root = path.resolve(new URL('..', import.meta.url).pathname);

export interface Proc {
  child: ChildProcess;
  port: number;
}

/** Spawns `node <args>` and resolves once it prints its listening line. */
export function startProcess(args: string[], env: NodeJS.ProcessEnv): Promise<Proc> {
  const child = spawn(process.execPath, args, {
    cwd: Root,
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line:\n${out}`)), 20_000);
    const onData = (c: Buffer): void => {
      out += c.toString();
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => reject(new Error(`exited ${code}:\n${out}`)));
  });
}

/**
 * Starts the agent on a free port: `bundle` 'npm' is what `npm run agent` runs
 * (scripts/agent.mjs: the esbuild bundle in the same process), a path runs that bundle, and
 * none runs the sources under `node --import tsx` (so the measured pid is the agent itself).
 */
export function startAgent(
  intervalMs: number,
  token: string,
  bundle?: string,
  extraArgs: string[] = []
): Promise<Proc> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tidemark-agent-bench-'));
  const entry =
    bundle === 'npm'
      ? ['scripts/agent.mjs']
      : bundle
        ? [bundle]
        : ['--import', 'tsx', 'agent/main.ts'];
  return startProcess(
    [
      ...entry,
      '--port',
      '0',
      '--interval',
      String(intervalMs),
      '--token-file',
      path.join(dir, 'token'),
      ...extraArgs
    ],
    { ...process.env, TIDEMARK_AGENT_TOKEN: token }
  );
}

/** CPU time of a process in clock ticks (utime + stime). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * Opens a server-sent event stream on loopback and calls `onEvent` with each event's block
 * (its `event:` line included), its `data:` text and the time it arrived. Returns a closer.
 */
export function readSse(
  options: { port: number; path: string; headers?: Record<string, string> },
  onEvent: (block: string, data: string, receivedAt: number) => void
): () => void {
  const req = http.request({
    host: '127.0.0.1',
    port: options.port,
    path: options.path,
    headers: options.headers ?? {},
    agent: false
  });
  req.on('response', (res) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      const now = Date.now();
      buf += chunk;
      let sep: number;
      while ((sep = buf.indexOf('\n\n')) !== -1) {
        const block = buf.slice(0, sep);
        buf = buf.slice(sep + 2);
        const data = block
          .split('\n')
          .find((l) => l.startsWith('data: '))
          ?.slice(6);
        if (data) onEvent(block, data, now);
      }
    });
    res.on('error', () => {});
  });
  req.on('error', () => {});
  req.end();
  return () => req.destroy();
}
