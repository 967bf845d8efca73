/**
 * Starting real agent processes for benchmarks, and reading a process's CPU and memory from
 * /proc. Shared by agent.bench.ts and cardinality.bench.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
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
