/**
 * The flags of `/metrics` and forwarding, kept apart from config.ts so the agent's core flags
 * and these can change without touching each other. Forwarding is off unless a URL is given.
 */
import os from 'node:os';
import path from 'node:path';
import { DiskQueueDefaults } from './disk-queue';

export interface ForwardConfig {
  /** Bearer token `GET /metrics` requires; open (loopback) when unset. */
  metricsToken?: string;
  remoteWrite?: string;
  otlp?: string;
  /** Where the forwarding queues live (one folder per target). */
  forwardDir: string;
  forwardQueueBytes: number;
}

export const ForwardFlagOptions = {
  'metrics-token': { type: 'string' },
  'remote-write': { type: 'string' },
  otlp: { type: 'string' },
  'forward-dir': { type: 'string' },
  'forward-queue-bytes': { type: 'string' }
} as const;

export const ForwardHelpText = `  --metrics-token <t> require this bearer token on GET /metrics (or set TIDEMARK_METRICS_TOKEN);
                      without it /metrics is open to local processes
  --remote-write <url> forward samples with Prometheus remote-write (e.g.
                      http://127.0.0.1:9090/api/v1/write); off unless given
  --otlp <url>        forward samples as OTLP/HTTP JSON (e.g. http://127.0.0.1:4318/v1/metrics)
  --forward-dir <dir> on-disk queues of the forwarders (default ~/.local/state/tidemark/forward)
  --forward-queue-bytes <n> cap of each queue (default ${DiskQueueDefaults.maxBytes}); the oldest
                      batches are dropped past it
`;

/** The default queue folder (XDG state directory). */
export function resolveDefaultForwardDir(): string {
  const base = process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'tidemark', 'forward');
}

/**
 * Reads and checks the flags; `fail` throws the caller's configuration error.
 * @example readForwardConfig({ 'remote-write': 'http://127.0.0.1:9090/api/v1/write' }, {}, fail)
 */
export function readForwardConfig(
  values: Partial<Record<keyof typeof ForwardFlagOptions, string>>,
  env: NodeJS.ProcessEnv,
  fail: (message: string) => never
): ForwardConfig {
  for (const flag of ['remote-write', 'otlp'] as const) {
    const url = values[flag];
    if (url === undefined) continue;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      fail(`--${flag} ${url} is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      fail(`--${flag} must be an http or https URL, got ${url}`);
  }
  const rawBytes = values['forward-queue-bytes'];
  let forwardQueueBytes: number = DiskQueueDefaults.maxBytes;
  if (rawBytes !== undefined) {
    if (!/^\d+$/.test(rawBytes) || Number(rawBytes) < 1024)
      fail(`--forward-queue-bytes must be a whole number of at least 1024, got ${rawBytes}`);
    forwardQueueBytes = Number(rawBytes);
  }
  const metricsToken = values['metrics-token'] ?? env.TIDEMARK_METRICS_TOKEN;
  if (metricsToken !== undefined && metricsToken.length < 16)
    fail('--metrics-token must be at least 16 characters');
  return {
    ...(metricsToken !== undefined ? { metricsToken } : {}),
    ...(values['remote-write'] !== undefined ? { remoteWrite: values['remote-write'] } : {}),
    ...(values.otlp !== undefined ? { otlp: values.otlp } : {}),
    forwardDir: values['forward-dir'] ?? resolveDefaultForwardDir(),
    forwardQueueBytes
  };
}
