/**
 * Agent benchmarks: CPU and memory of the real agent process while sampling (1 Hz and 10 Hz,
 * one page connected), event intake through POST /v1/events, and sample → SSE client latency.
 * Baselines run in the same window: an idle node process (CPU, RSS), a bare node HTTP server
 * that reads and discards the body (intake), and a bare SSE server (latency).
 *
 *   npx tsx bench/agent.bench.ts
 *   AGENT_BENCH_WINDOW_S=60 npx tsx bench/agent.bench.ts   # the full 60 s window at 1 Hz
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { buildAgentBundle } from '../agent/build';
import { cpuTicks, readSse, rssMb, startAgent, startProcess } from './agent-proc';
import { openBenchPage } from './browser';
import { emit, percentile, skip } from './lib';

/** 1 Hz window; the default keeps the whole file well under a minute. */
const WindowS = Number(process.env.AGENT_BENCH_WINDOW_S ?? 30);
/** 10 Hz runs alongside for at most 20 s (the figure the task asks for). */
const Window10HzS = Math.min(20, WindowS);
const SettleMs = 2_000;
const EventBatches = Number(process.env.AGENT_BENCH_BATCHES ?? 100);
const BatchSize = 1_000;
const Concurrency = 4;

const BareServer = `
const http = require('node:http');
const s = http.createServer((req, res) => {
  if (req.url === '/sse') {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const t = setInterval(() => res.write('data: ' + Date.now() + '\\n\\n'), 100);
    req.on('close', () => clearInterval(t));
    return;
  }
  let n = 0;
  req.on('data', (c) => (n += c.length));
  req.on('end', () => {
    res.writeHead(202, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ accepted: n }));
  });
});
s.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + s.address().port));
`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Connects an SSE client and records receive time minus sample time for each sample. */
function measureLatency(port: number, token: string | undefined, out: number[]): () => void {
  return readSse(
    {
      port,
      path: token ? '/v1/stream' : '/sse',
      headers: token ? { Authorization: `Bearer ${token}` } : {}
    },
    (block, data, now) => {
      if (!token) {
        out.push(now - Number(data));
      } else if (block.includes('event: batch')) {
        for (const m of JSON.parse(data).messages as { kind: string; t: number }[]) {
          if (m.kind === 'sample') out.push(now - m.t);
        }
      }
    }
  );
}

async function postBatches(port: number, token: string | undefined, body: string): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Concurrency });
  let next = 0;
  let accepted = 0;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/v1/events',
          agent,
          headers: {
            'Content-Type': 'application/x-ndjson',
            'Content-Length': Buffer.byteLength(body),
            ...(token ? { Authorization: `Bearer ${token}` } : {})
          }
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c) => (text += c));
          res.on('end', () => {
            if (res.statusCode !== 202) return reject(new Error(`${res.statusCode} ${text}`));
            accepted += token ? JSON.parse(text).accepted : BatchSize;
            resolve();
          });
        }
      );
      req.on('error', reject);
      req.end(body);
    });
  const worker = async (): Promise<void> => {
    while (next < EventBatches) {
      next++;
      await one();
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return accepted / seconds;
}

async function main(): Promise<void> {
  if (!readFileSync('/proc/self/stat', { encoding: 'utf8', flag: 'r' })) return;
  const clkTck = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  const token = randomBytes(32).toString('base64url');
  const bundle = await buildAgentBundle({
    outFile: path.join(mkdtempSync(path.join(os.tmpdir(), 'tidemark-agent-bundle-')), 'agent.mjs')
  });
  const [agent1, agent10, agentBundle, agentNpm, idle, bare] = await Promise.all([
    startAgent(1000, token),
    startAgent(100, token),
    startAgent(1000, token, bundle),
    startAgent(1000, token, 'npm'),
    startProcess(['-e', "console.log('listening on http://x:0'); setInterval(() => {}, 1000)"], {}),
    startProcess(['-e', BareServer], {})
  ]);
  const procs = [agent1, agent10, agentBundle, agentNpm, idle, bare];
  try {
    await sleep(SettleMs);
    const latency: number[] = [];
    const latencyBase: number[] = [];
    // One page connected to each agent, as in real use.
    const closers = [
      measureLatency(agent1.port, token, []),
      measureLatency(agentBundle.port, token, []),
      measureLatency(agent10.port, token, latency),
      measureLatency(bare.port, undefined, latencyBase),
      measureLatency(agentNpm.port, token, [])
    ];
    await sleep(500);
    latency.length = 0;
    latencyBase.length = 0;
    const pid1 = agent1.child.pid as number;
    const pid10 = agent10.child.pid as number;
    const pidIdle = idle.child.pid as number;
    const pidBundle = agentBundle.child.pid as number;
    const start = {
      a1: cpuTicks(pid1),
      a10: cpuTicks(pid10),
      bundle: cpuTicks(pidBundle),
      idle: cpuTicks(pidIdle)
    };
    await sleep(Window10HzS * 1000);
    const at20 = { a10: cpuTicks(pid10), idle: cpuTicks(pidIdle) };
    closers[2]();
    closers[3]();
    await sleep((WindowS - Window10HzS) * 1000);
    const end = { a1: cpuTicks(pid1), bundle: cpuTicks(pidBundle), idle: cpuTicks(pidIdle) };
    const pct = (ticks: number, seconds: number): number => (100 * ticks) / clkTck / seconds;
    emit({
      name: 'agent.cpu_percent',
      value: pct(end.a1 - start.a1, WindowS),
      unit: '% of one core',
      baseline: pct(end.idle - start.idle, WindowS),
      rate_hz: 1,
      window_s: WindowS,
      runtime: 'tsx',
      target: 2
    });
    emit({
      name: 'agent.cpu_percent',
      value: pct(end.bundle - start.bundle, WindowS),
      unit: '% of one core',
      baseline: pct(end.idle - start.idle, WindowS),
      rate_hz: 1,
      window_s: WindowS,
      runtime: 'node bundle',
      target: 2
    });
    emit({
      name: 'agent.cpu_percent',
      value: pct(at20.a10 - start.a10, Window10HzS),
      unit: '% of one core',
      baseline: pct(at20.idle - start.idle, Window10HzS),
      rate_hz: 10,
      window_s: Window10HzS,
      runtime: 'tsx'
    });
    emit({
      name: 'agent.rss_mb',
      value: rssMb(pid1),
      unit: 'MiB',
      baseline: rssMb(pidIdle),
      rate_hz: 1,
      target: 50,
      runtime: 'tsx',
      note: 'node --import tsx: the loader thread alone adds ~35 MiB'
    });
    emit({
      name: 'agent.rss_mb',
      value: rssMb(pidBundle),
      unit: 'MiB',
      baseline: rssMb(pidIdle),
      rate_hz: 1,
      target: 50,
      runtime: 'node bundle'
    });
    emit({
      name: 'agent.rss_mb',
      value: rssMb(agentNpm.child.pid as number),
      unit: 'MiB',
      baseline: rssMb(pidIdle),
      rate_hz: 1,
      target: 50,
      runtime: 'npm run agent (scripts/agent.mjs)',
      note: `after ${WindowS} s at 1 Hz with one page streaming`
    });
    if (latency.length > 0) {
      emit({
        name: 'agent.stream_latency_local_ms',
        value: percentile(latency, 95),
        unit: 'ms (p95)',
        baseline: percentile(latencyBase, 95),
        samples: latency.length,
        rate_hz: 10
      });
    } else {
      skip('agent.stream_latency_local_ms', 'no samples received');
    }
    closers[0]();
    closers[1]();
    closers[4]();
    agentNpm.child.kill('SIGTERM');

    const body =
      Array.from({ length: BatchSize }, (_, i) =>
        JSON.stringify({
          t: 1_700_000_000_000 + i,
          actionType: i % 3 ? 'generate' : 'embed',
          status: i % 10 ? 'success' : 'failure',
          durationMs: (i * 7) % 1000,
          triggerId: `trigger-${i % 50}`,
          organisationId: `org-${i % 5}`,
          retries: i % 4,
          context: { agent: 'bench', project: `p${i % 7}` }
        })
      ).join('\n') + '\n';
    // The 10 Hz agent is stopped so it does not compete for the two cores.
    agent10.child.kill('SIGTERM');
    const baseRate = await postBatches(bare.port, undefined, body);
    for (const [runtime, proc] of [
      ['tsx', agent1],
      ['node bundle', agentBundle]
    ] as const) {
      const rate = await postBatches(proc.port, token, body);
      emit({
        name: 'agent.events_per_s',
        value: rate,
        unit: 'events/s',
        baseline: baseRate,
        batch: BatchSize,
        batches: EventBatches,
        concurrency: Concurrency,
        runtime,
        target: 50_000
      });
      emit({
        name: 'agent.rss_mb_after_events',
        value: rssMb(proc.child.pid as number),
        unit: 'MiB',
        baseline: rssMb(pidIdle),
        runtime,
        note: 'right after the event batches; the buffer holds them all (120 s window, 64 MiB cap)'
      });
    }
  } finally {
    for (const p of procs) p.child.kill('SIGTERM');
  }
}

/** Page side: how long the page needs from a sample taken to it stored (10 Hz, headless). */
const PageWindowS = Number(process.env.AGENT_BENCH_PAGE_WINDOW_S ?? 30);

/**
 * `agent.stream_latency_ms`: sample taken by the agent → stored in the page's IndexedDB (the
 * engine's transaction completed), p95 over live samples, measured by the page's agent client
 * and read from Settings. Baseline in the same run: a Node SSE client on the same agent
 * (sample → received, nothing stored).
 */
async function benchPageLatency(intervalMs: number): Promise<void> {
  const token = randomBytes(32).toString('base64url');
  const bench = await openBenchPage('/settings');
  // The site is built once per run.
  process.env.BENCH_NO_BUILD = '1';
  const agent = await startAgent(intervalMs, token, 'npm', ['--origin', bench.origin, '--no-gpu']);
  const base: number[] = [];
  const close = measureLatency(agent.port, token, base);
  try {
    const { page } = bench;
    await page.getByTestId('db-status').filter({ hasText: 'ready' }).waitFor();
    await page.getByLabel('Agent URL').fill(`http://127.0.0.1:${agent.port}`);
    await page.getByLabel('Pairing token').fill(token);
    await page.getByRole('button', { name: 'Pair', exact: true }).click();
    await page.locator('[data-testid="agent-state"][data-state="connected"]').waitFor();
    base.length = 0;
    await sleep(PageWindowS * 1000);
    const figure = page.getByTestId('agent-latency');
    const p95 = Number(await figure.getAttribute('data-p95'));
    const p50 = Number(await figure.getAttribute('data-p50'));
    const samples = Number(await figure.getAttribute('data-samples'));
    emit({
      name: 'agent.stream_latency_ms',
      value: p95,
      unit: 'ms (p95, sample → stored in the page)',
      baseline: percentile(base, 95),
      baseline_is: 'Node SSE client on the same agent, sample → received',
      p50,
      samples,
      rate_hz: 1000 / intervalMs,
      note: 'bounded by the page store transaction: MetricStore.append over ~30 host series took 50-250 ms per sample on a loaded 2-core VM (relaxed durability or parallel per-series requests did not change it)',
      window_s: PageWindowS,
      target: 100
    });
  } finally {
    close();
    agent.child.kill('SIGTERM');
    await bench.close();
  }
}

const only = process.env.AGENT_BENCH_ONLY;
(only === 'page' ? Promise.resolve() : main())
  .then(() => (only === 'process' ? undefined : benchPageLatency(1000)))
  .then(() => (only === 'process' ? undefined : benchPageLatency(100)))
  .catch((err: unknown) => {
    skip('agent', (err as Error).message);
    process.exitCode = 1;
  });
