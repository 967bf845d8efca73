/**
 * `--remote-write`: the agent's samples land in a real Prometheus (Debian's, started here on
 * loopback with its own data folder and port, `--web.enable-remote-write-receiver`), read back
 * through its HTTP API — including across a Prometheus stop and restart in the middle of the
 * stream, after which every sample the agent took is there (the outage is far within the
 * queue's size). The agent's own buffer, read from `/v1/stream`, is the list of samples taken.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentStatus } from '../../src/lib/types';
import { prometheus as prometheusBin } from '../interop/engines';
import {
  bearer,
  makeTempDir,
  pointsOf,
  readBuffered,
  request,
  startAgent,
  type RunningAgent
} from './helpers';

/** Polls `check` until it returns a value, failing with `what` after `timeoutMs`. */
async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

class Prometheus {
  private proc: ChildProcess | undefined;
  private log = '';
  constructor(
    readonly port: number,
    private readonly dir: string
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (!existsSync(prometheusBin))
      throw new Error(`prometheus not found at ${prometheusBin}: apt-get install prometheus`);
    const config = path.join(this.dir, 'prometheus.yml');
    writeFileSync(config, 'global:\n  scrape_interval: 1m\n');
    this.proc = spawn(
      prometheusBin,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(this.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${this.port}`,
        '--web.enable-remote-write-receiver'
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] }
    );
    this.proc.stdout?.on('data', (c) => (this.log += c));
    this.proc.stderr?.on('data', (c) => (this.log += c));
    await until(
      `Prometheus to be ready:\n${this.log}`,
      async () => ((await fetch(`${this.url}/-/ready`)).ok ? true : undefined),
      90_000
    );
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (p === undefined || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  }

  /** Raw samples of a series in (at - 1h, at], as epoch ms. */
  async sampleTimes(selector: string, atMs: number): Promise<number[]> {
    const q = new URLSearchParams({ query: `${selector}[1h]`, time: String(atMs / 1000) });
    const res = await fetch(`${this.url}/api/v1/query?${q}`);
    const body = (await res.json()) as {
      data: { result: { values: [number, string][] }[] };
    };
    return body.data.result.flatMap((r) => r.values.map(([t]) => Math.round(t * 1000)));
  }
}

async function forwarding(agent: RunningAgent): Promise<NonNullable<AgentStatus['forwarding']>[0]> {
  const res = await request({ port: agent.port, headers: bearer(agent.token) });
  return (JSON.parse(res.body) as AgentStatus).forwarding![0];
}

/** Times of the `memory_total_bytes` samples the agent took, from its own buffer. */
async function sampledTimes(agent: RunningAgent, upTo: number): Promise<number[]> {
  const messages = await readBuffered(agent, (all) =>
    all.some((m) => m.kind === 'sample' && m.t > upTo)
  );
  return messages
    .flatMap(pointsOf)
    .filter((p) => p.name === 'memory_total_bytes' && p.t <= upTo)
    .map((p) => p.t);
}

describe('remote-write into a real Prometheus', () => {
  const dir = makeTempDir();
  let prom: Prometheus;
  let agent: RunningAgent | undefined;
  afterAll(async () => {
    await agent?.stop();
    await prom?.stop();
  });

  it('lands every sample, also across a Prometheus stop and restart mid-stream', async () => {
    prom = new Prometheus(await freePort(), dir);
    await prom.start();
    agent = await startAgent({
      args: [
        '--interval',
        '200',
        '--remote-write',
        `${prom.url}/api/v1/write`,
        '--forward-dir',
        path.join(dir, 'queue')
      ]
    });
    const a = agent;
    expect(a.output()).toMatch(
      /Forwarding \(remote-write\) to http:\/\/127\.0\.0\.1:\d+\/api\/v1\/write/
    );
    await until('three batches delivered', async () =>
      (await forwarding(a)).sentBatches >= 3 ? true : undefined
    );

    // Prometheus goes away: batches wait on disk, and the sender keeps retrying.
    await prom.stop();
    const down = await until('batches to queue up while Prometheus is down', async () => {
      const f = await forwarding(a);
      return f.queuedBatches >= 4 && f.failedAttempts >= 2 ? f : undefined;
    });
    expect(down.lastError).not.toBeNull();
    expect(down.droppedBatches).toBe(0);

    await prom.start();
    // Samples up to `cut` are in batches flushed (1 s) before the queue is seen empty.
    const cut = Date.now();
    await new Promise((r) => setTimeout(r, 2_500));
    const drained = await until('the queue to drain', async () => {
      const f = await forwarding(a);
      return f.queuedBatches === 0 ? f : undefined;
    });
    expect(drained.droppedBatches).toBe(0);
    expect(drained.rejectedBatches).toBe(0);

    const taken = await sampledTimes(a, cut);
    expect(taken.length).toBeGreaterThan(10);
    const landed = await prom.sampleTimes('memory_total_bytes', cut);
    expect(landed.sort((x, y) => x - y)).toEqual(taken.sort((x, y) => x - y));
    // For the record (the report lists the counts): samples taken, landed, batches queued.
    console.log(
      JSON.stringify({
        remoteWrite: {
          taken: taken.length,
          landed: landed.length,
          queuedWhileDown: down.queuedBatches
        }
      })
    );
    // The outage really was in the middle: samples from before, during and after it.
    expect(landed[0]).toBeLessThan(down.lastSentAt!);
  });
});
