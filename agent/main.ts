/**
 * Entry point: `npm run agent` (tsx agent/main.ts). Parses flags, loads or creates the
 * pairing token, binds the server (loopback unless told otherwise), samples the host on a
 * drift-free timer, and shuts down cleanly on SIGINT/SIGTERM.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import pkg from '../package.json' with { type: 'json' };
import type { AgentPoint, AgentStatus } from '../src/lib/types';
import { ConfigError, HelpText, parseAgentArgs, type AgentConfig } from './config';
import { createHandOff } from './forward';
import { RingBuffer } from './ring-buffer';
import { ModelCollector } from './model/collector';
import { describeEnergySources, RaplReader } from './model/energy';
import { HostSampler } from './sampler';
import {
  buildHostAllowList,
  digestToken,
  isLoopbackAddress,
  loadOrCreateToken,
  TokenDefaults
} from './security';
import { createAgentServer } from './server';

const ExitCodes = { ok: 0, failure: 1, usage: 2 } as const;
/** Shutdown waits this long for streams to close before exiting anyway. */
const ShutdownGraceMs = 2_000;
/**
 * Sequence numbers start at boot time × 1000, so they keep increasing across restarts (as
 * long as fewer than 1000 messages per millisecond were made) and a page's `after` from an
 * earlier run never hides new messages.
 */
const SeqPerMs = 1000;

function log(line: string): void {
  process.stdout.write(line + '\n');
}

function warn(line: string): void {
  process.stderr.write(`warning: ${line}\n`);
}

async function runAgent(config: AgentConfig): Promise<void> {
  const { token, source } = loadOrCreateToken({
    file: config.tokenFile,
    env: process.env,
    warn
  });
  const startedAt = Date.now();
  const bootId = randomUUID();
  const version = pkg.version;
  const ring = new RingBuffer({
    firstSeq: startedAt * SeqPerMs,
    capacity: config.bufferSize,
    maxBytes: config.bufferBytes,
    maxAgeMs: config.bufferSeconds * 1000
  });
  const sampler = new HostSampler({
    intervalMs: config.intervalMs,
    gpu: config.gpu,
    onWarning: warn
  });
  const hostAllowList = new Set<string>();
  // Which power sources are readable, for /v1/status (the model collector reads them itself).
  const rapl = config.model.energy ? new RaplReader(config.model.raplRoot) : undefined;
  const status = (): AgentStatus => ({
    version,
    bootId,
    startedAt,
    uptimeMs: Date.now() - startedAt,
    intervalMs: config.intervalMs,
    firstSeq: ring.firstSeq,
    lastSeq: ring.lastSeq,
    hostname: os.hostname(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    samples: sampler.sampled,
    bufferSize: ring.capacity,
    bufferMaxAgeMs: ring.maxAgeMs,
    bufferMaxBytes: ring.maxBytes,
    bufferBytes: ring.byteSize,
    bufferHeld: ring.size,
    bufferOldestAt: ring.oldestAt ?? null,
    bufferEvicted: ring.evictedCount,
    forwarding: handOff.forwarding(),
    energy: describeEnergySources({
      disabled: !config.model.energy,
      raplPackages: rapl?.packages ?? [],
      gpus: sampler.gpusReportingPower
    })
  });
  // /metrics and forwarding (agent/forward): nothing leaves the machine unless a URL is given.
  const handOff = createHandOff(config, { status, pairingToken: token, warn });
  const agent = createAgentServer({
    ring,
    tokenDigest: digestToken(token),
    origins: config.origins,
    hostAllowList,
    maxBodyBytes: config.maxBodyBytes,
    status,
    now: Date.now,
    metrics: handOff.metrics,
    onPush: (push) =>
      'points' in push
        ? handOff.take(push.points)
        : handOff.takeText(push.format, push.text, push.t)
  });

  await new Promise<void>((resolve, reject) => {
    agent.server.once('error', reject);
    agent.server.listen(config.port, config.host, () => resolve());
  });
  const address = agent.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  for (const h of buildHostAllowList({ port, extraHosts: extraHostNames(config.host) })) {
    hostAllowList.add(h);
  }

  const publish = (t: number, points: AgentPoint[]): void => {
    ring.push((seq) => JSON.stringify({ seq, kind: 'sample', t, points }));
    agent.hub.notify();
    // Host and model samples alike go to the forwarders (off unless the user started them).
    handOff.take(points);
  };
  const models = ModelCollector.isConfigured(config.model)
    ? new ModelCollector({ config: config.model, onPoints: publish, onWarning: warn })
    : undefined;

  // Drift-free ticks: each is scheduled from the start time, not from the previous tick.
  let tick = 0;
  let timer: NodeJS.Timeout | undefined;
  const firstTick = Date.now();
  const takeSample = (): void => {
    const t = Date.now();
    const points = sampler.sample(t);
    if (points.length > 0) {
      publish(t, points);
      models?.observeHost(points);
    }
    tick++;
    const due = firstTick + tick * config.intervalMs;
    timer = setTimeout(takeSample, Math.max(0, due - Date.now()));
  };
  takeSample();
  models?.start();

  // Handlers before the listening line: whoever reads that line may signal at once.
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log(`received ${signal}, shutting down`);
    if (timer) clearTimeout(timer);
    sampler.stop();
    models?.stop();
    const force = setTimeout(() => process.exit(ExitCodes.ok), ShutdownGraceMs);
    force.unref();
    // Forwarders put what they hold in their on-disk queues first.
    Promise.all([agent.close(), handOff.stop()]).then(() => process.exit(ExitCodes.ok));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  const urlHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  log(`Tidemark agent ${version} listening on http://${urlHost}:${port}`);
  log(`Allowed origins: ${config.origins.join(', ')}`);
  if (source === 'env') {
    log(`Pairing token: from ${TokenDefaults.envVar}`);
  } else {
    // Printed for the user at the terminal, like Jupyter's; never written anywhere else.
    log(`Pairing token: ${token}`);
    log(`Token file: ${config.tokenFile}${source === 'created' ? ' (created, mode 0600)' : ''}`);
  }
  log(`Open ${config.origins[0]}/settings and paste the token to pair.`);
  if (models) {
    const targets = [...config.model.metrics.map((m) => m.url), ...config.model.ollama];
    log(`Model runtimes: ${targets.join(', ')}`);
  }
  // The GPU joins once nvidia-smi reports a power draw; /v1/status always says what it found.
  log(`Energy: ${status().energy?.summary}`);
  for (const f of handOff.forwarding() ?? []) log(`Forwarding (${f.kind}) to ${f.url}`);
}

/** Host names a request may carry when the operator bound a non-loopback address. */
function extraHostNames(host: string): string[] {
  if (isLoopbackAddress(host)) return [];
  if (host !== '0.0.0.0' && host !== '::') return [host, os.hostname()];
  const names = [os.hostname()];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) names.push(a.address);
  }
  return names;
}

async function main(): Promise<void> {
  let config: AgentConfig | 'help';
  try {
    config = parseAgentArgs(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`error: ${err.message}\nRun with --help for the options.\n`);
    process.exit(ExitCodes.usage);
  }
  if (config === 'help') {
    process.stdout.write(HelpText);
    process.exit(ExitCodes.ok);
  }
  try {
    await runAgent(config);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const reason =
      e.code === 'EADDRINUSE'
        ? `port ${config.port} is in use (another agent running? try --port)`
        : e.message;
    process.stderr.write(`error: ${reason}\n`);
    process.exit(
      e.code === 'EADDRINUSE' || e instanceof ConfigError ? ExitCodes.usage : ExitCodes.failure
    );
  }
}

main();
