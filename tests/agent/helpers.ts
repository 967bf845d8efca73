/**
 * Test helpers: spawn the real agent on loopback, make raw HTTP requests with crafted
 * headers, and read its server-sent event stream.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AgentMessage, AgentPoint } from '../../src/lib/types';

export const RepoRoot = path.resolve(new URL('../..', import.meta.url).pathname);
const TsxBin = path.join(RepoRoot, 'node_modules', '.bin', 'tsx');

/**
 * How to run the agent: the bundle global-setup.ts built (what `npm run agent` runs), else
 * the sources through tsx (a single test file run without the config).
 */
function agentCommand(args: string[]): [string, string[]] {
  const bundle = process.env.TIDEMARK_AGENT_BUNDLE;
  return bundle ? [process.execPath, [bundle, ...args]] : [TsxBin, ['agent/main.ts', ...args]];
}

/** Generous: a loaded two-core machine can take seconds to start even a small process. */
const AgentStartTimeoutMs = 45_000;

export interface RunningAgent {
  port: number;
  token: string;
  proc: ChildProcess;
  output: () => string;
  stop: () => Promise<number | null>;
}

export function makeToken(): string {
  return randomBytes(32).toString('base64url');
}

export function makeTempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'tidemark-agent-test-'));
}

/**
 * Starts `tsx agent/main.ts --port 0 …` and resolves once it prints its listening line.
 * `token: null` runs without the env token (the file token is then printed and parsed).
 */
export function startAgent(
  options: {
    args?: string[];
    token?: string | null;
    tokenFile?: string;
    /** Look for nvidia-smi (off by default so tests do not depend on the machine). */
    gpu?: boolean;
    env?: NodeJS.ProcessEnv;
  } = {}
): Promise<RunningAgent> {
  const tokenFile = options.tokenFile ?? path.join(makeTempDir(), 'agent-token');
  const envToken = options.token === undefined ? makeToken() : options.token;
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  delete env.TIDEMARK_AGENT_TOKEN;
  if (envToken !== null) env.TIDEMARK_AGENT_TOKEN = envToken;
  const [cmd, argv] = agentCommand([
    '--port',
    '0',
    ...(options.gpu ? [] : ['--no-gpu']),
    '--token-file',
    tokenFile,
    ...(options.args ?? [])
  ]);
  const proc = spawn(cmd, argv, { cwd: RepoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.setEncoding('utf8');
  proc.stderr?.setEncoding('utf8');
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`agent did not start:\n${out}`)),
      AgentStartTimeoutMs
    );
    const onData = (chunk: string): void => {
      out += chunk;
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
      const tokenLine = /Pairing token: (\S+)/.exec(out);
      if (m && tokenLine) {
        clearTimeout(timer);
        resolve({
          port: Number(m[1]),
          token: envToken ?? tokenLine[1],
          proc,
          output: () => out,
          stop: async () => {
            if (proc.exitCode === null) proc.kill('SIGTERM');
            return exited;
          }
        });
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', (c: string) => (out += c));
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code} before listening:\n${out}`));
    });
  });
}

/** Runs the agent expecting it to exit; resolves with its exit code and output. */
export function runAgentToExit(
  args: string[],
  env: NodeJS.ProcessEnv = {}
): Promise<{ code: number | null; output: string }> {
  const fullEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (!('TIDEMARK_AGENT_TOKEN' in env)) delete fullEnv.TIDEMARK_AGENT_TOKEN;
  const [cmd, argv] = agentCommand(args);
  const proc = spawn(cmd, argv, {
    cwd: RepoRoot,
    env: fullEnv,
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let output = '';
  proc.stdout?.on('data', (c) => (output += c));
  proc.stderr?.on('data', (c) => (output += c));
  return new Promise((resolve) => proc.on('exit', (code) => resolve({ code, output })));
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 8 });

/** One HTTP request with exactly the headers given (Host included, or none). */
export function request(options: {
  port: number;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Write the body in chunks without Content-Length. */
  chunked?: boolean;
  keepAlive?: boolean;
}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    const hasHost = Object.keys(headers).some((k) => k.toLowerCase() === 'host');
    if (!hasHost) headers.Host = `127.0.0.1:${options.port}`;
    if (options.body !== undefined && !options.chunked) {
      headers['Content-Length'] = String(Buffer.byteLength(options.body));
    }
    const req = http.request({
      host: '127.0.0.1',
      port: options.port,
      method: options.method ?? 'GET',
      path: options.path ?? '/v1/status',
      headers,
      setHost: false,
      agent: options.keepAlive ? keepAlive : false
    });
    let answered: RawResponse | undefined;
    req.on('response', (res) => {
      answered = { status: res.statusCode ?? 0, headers: res.headers, body: '' };
      res.setEncoding('utf8');
      res.on('data', (c) => ((answered as RawResponse).body += c));
      res.on('end', () => resolve(answered as RawResponse));
      // A server that answered early (413) may cut the upload; the answer is what counts.
      res.on('error', () => resolve(answered as RawResponse));
    });
    req.on('error', (err) => (answered ? resolve(answered) : reject(err)));
    if (options.body !== undefined && options.chunked) {
      const buf = Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body);
      const step = 64 * 1024;
      let i = 0;
      const writeMore = (): void => {
        while (i < buf.length) {
          const ok = req.write(buf.subarray(i, i + step));
          i += step;
          if (!ok) return void req.once('drain', writeMore);
        }
        req.end();
      };
      req.on('error', () => {});
      writeMore();
    } else {
      req.end(options.body);
    }
  });
}

export interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

export interface SseClient {
  events: SseEvent[];
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Resolves with the first event (from the start) that matches. */
  waitFor: (
    predicate: (e: SseEvent, all: SseEvent[]) => boolean,
    timeoutMs?: number
  ) => Promise<SseEvent>;
  close: () => void;
  /** Stops reading the response (the socket fills up, as with a page that stalls). */
  pause: () => void;
  resume: () => void;
}

/** Opens `GET /v1/stream` and parses events as they arrive. */
export function openStream(options: {
  port: number;
  token?: string;
  path?: string;
  headers?: Record<string, string>;
}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      Host: `127.0.0.1:${options.port}`,
      Accept: 'text/event-stream',
      ...options.headers
    };
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    const req = http.request({
      host: '127.0.0.1',
      port: options.port,
      path: options.path ?? '/v1/stream',
      headers,
      setHost: false,
      agent: false
    });
    const events: SseEvent[] = [];
    const waiters: (() => void)[] = [];
    req.on('response', (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let sep: number;
        while ((sep = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, sep);
          buffer = buffer.slice(sep + 2);
          const e: SseEvent = { event: 'message', data: '' };
          for (const line of block.split('\n')) {
            const colon = line.indexOf(':');
            const field = colon === -1 ? line : line.slice(0, colon);
            const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') e.event = value;
            else if (field === 'id') e.id = value;
            else if (field === 'data') e.data += (e.data ? '\n' : '') + value;
          }
          if (e.event !== 'message' || e.data !== '') events.push(e);
          for (const w of [...waiters]) w();
        }
      });
      res.on('error', () => {});
      resolve({
        events,
        status: res.statusCode ?? 0,
        headers: res.headers,
        waitFor: (predicate, timeoutMs = 10_000) =>
          new Promise((resolveWait, rejectWait) => {
            const check = (): boolean => {
              const hit = events.find((e) => predicate(e, events));
              if (hit) {
                waiters.splice(waiters.indexOf(check2), 1);
                clearTimeout(timer);
                resolveWait(hit);
                return true;
              }
              return false;
            };
            const check2 = (): void => void check();
            waiters.push(check2);
            const timer = setTimeout(() => {
              waiters.splice(waiters.indexOf(check2), 1);
              rejectWait(
                new Error(`timed out; saw events: ${events.map((e) => e.event).join(',')}`)
              );
            }, timeoutMs);
            check();
          }),
        close: () => req.destroy(),
        pause: () => void res.pause(),
        resume: () => void res.resume()
      });
    });
    req.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
    });
    req.end();
  });
}

/** All ring messages carried by `batch` events so far, in arrival order. */
export function collectMessages(events: SseEvent[]): AgentMessage[] {
  return events
    .filter((e) => e.event === 'batch')
    .flatMap((e) => (JSON.parse(e.data) as { messages: AgentMessage[] }).messages);
}

/** The points of a sample, event or point message; none for metrics texts. */
export function pointsOf(m: AgentMessage): AgentPoint[] {
  return m.kind === 'metrics' ? [] : m.points;
}

/** The action type of an event message, else undefined. */
export function actionOf(m: AgentMessage): string | undefined {
  return m.kind === 'event' ? m.event.actionType : undefined;
}

export function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

/**
 * Reads the agent's whole buffer (`/v1/stream?after=0`) until `done` holds for the messages
 * seen so far, and returns them.
 */
export async function readBuffered(
  agent: RunningAgent,
  done: (messages: AgentMessage[]) => boolean
): Promise<AgentMessage[]> {
  const stream = await openStream({
    port: agent.port,
    token: agent.token,
    path: '/v1/stream?after=0'
  });
  try {
    await stream.waitFor(() => done(collectMessages(stream.events)));
    return collectMessages(stream.events);
  } finally {
    stream.close();
  }
}
