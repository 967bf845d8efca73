/**
 * Command-line flags of the agent, their defaults and validation. Errors carry the reason so
 * main.ts can print it and exit with code 2.
 */
import { parseArgs } from 'node:util';
import {
  ForwardFlagOptions,
  ForwardHelpText,
  readForwardConfig,
  type ForwardConfig
} from './forward/config';
import { RingDefaults } from './ring-buffer';
import { isLoopbackAddress, resolveDefaultTokenFile, TokenDefaults } from './security';
import { ServerDefaults } from './server';
import {
  ModelArgOptions,
  ModelConfigError,
  ModelHelpText,
  readModelConfig,
  type ModelConfig
} from './model/config';

export const AgentDefaults = {
  port: 9470,
  host: '127.0.0.1',
  origin: 'http://127.0.0.1:4173',
  intervalMs: 1_000,
  /** 10 Hz: faster sampling costs CPU for detail no panel can show. */
  minIntervalMs: 100,
  maxIntervalMs: 60_000
} as const;

export interface AgentConfig extends ForwardConfig {
  port: number;
  host: string;
  origins: string[];
  intervalMs: number;
  bufferSize: number;
  bufferBytes: number;
  bufferSeconds: number;
  maxBodyBytes: number;
  tokenFile: string;
  gpu: boolean;
  /** Model runtimes and energy (agent/model); off until a target is given. */
  model: ModelConfig;
}

export class ConfigError extends Error {}

export const HelpText = `Tidemark agent — streams host metrics and app events to your Tidemark page.

Usage: npm run agent -- [options]

Options:
  --port <n>          TCP port (default ${AgentDefaults.port}; 0 picks a free one)
  --host <addr>       bind address (default ${AgentDefaults.host}). A non-loopback address is
                      refused unless ${TokenDefaults.envVar} is set, because anyone who can
                      reach it could then try tokens.
  --origin <url>      Tidemark origin allowed to read the agent (default
                      ${AgentDefaults.origin}); repeat for several
  --interval <ms>     sampling interval (default ${AgentDefaults.intervalMs}, min ${AgentDefaults.minIntervalMs} = 10 Hz)
  --buffer-seconds <s> how long messages are kept for pages that fall behind or reconnect
                      (default ${RingDefaults.maxAgeMs / 1000}); the byte cap below may bind first
  --buffer-bytes <n>  byte cap on the same buffer (default ${RingDefaults.maxBytes})
  --buffer <n>        count cap on the same buffer (default ${RingDefaults.capacity})
  --max-body <n>      largest accepted request body in bytes (default ${ServerDefaults.maxBodyBytes})
  --token-file <path> where the pairing token is kept (default ~/.config/tidemark/agent-token,
                      mode 0600); ${TokenDefaults.envVar} overrides it
  --no-gpu            do not look for nvidia-smi
${ForwardHelpText}  --help              show this text
${ModelHelpText}
Endpoints (all need "Authorization: Bearer <token>"; see agent/README.md):
  GET  /v1/status     GET /v1/stream (server-sent events; ?after=<seq> or Last-Event-ID)
  POST /v1/events     JSON array or NDJSON      POST /v1/metrics  Prometheus text / Influx lines /
                                                                  OTLP JSON
  GET  /metrics       OpenMetrics / Prometheus text for scrapers (token only with --metrics-token)
`;

/**
 * Parses and validates argv (without node and script). Returns 'help' for --help.
 * Throws ConfigError with a human reason on bad input. O(argv).
 * @example parseAgentArgs(['--port', '0'], {}) // { port: 0, host: '127.0.0.1', ... }
 */
export function parseAgentArgs(argv: string[], env: NodeJS.ProcessEnv): AgentConfig | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        origin: { type: 'string', multiple: true },
        interval: { type: 'string' },
        buffer: { type: 'string' },
        'buffer-bytes': { type: 'string' },
        'max-body': { type: 'string' },
        'token-file': { type: 'string' },
        'buffer-seconds': { type: 'string' },
        'no-gpu': { type: 'boolean' },
        help: { type: 'boolean' },
        ...ModelArgOptions,
        ...ForwardFlagOptions
      }
    }));
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  if (values.help) return 'help';

  const port = readInt(values.port, 'port', { fallback: AgentDefaults.port, min: 0, max: 65535 });
  const intervalMs = readInt(values.interval, 'interval', {
    fallback: AgentDefaults.intervalMs,
    min: AgentDefaults.minIntervalMs,
    max: AgentDefaults.maxIntervalMs
  });
  const bufferSize = readInt(values.buffer, 'buffer', {
    fallback: RingDefaults.capacity,
    min: 1,
    max: 10_000_000
  });
  const bufferBytes = readInt(values['buffer-bytes'], 'buffer-bytes', {
    fallback: RingDefaults.maxBytes,
    min: 1024,
    max: 4 * 1024 ** 3
  });
  const bufferSeconds = readInt(values['buffer-seconds'], 'buffer-seconds', {
    fallback: RingDefaults.maxAgeMs / 1000,
    min: 1,
    max: 24 * 3600
  });
  const maxBodyBytes = readInt(values['max-body'], 'max-body', {
    fallback: ServerDefaults.maxBodyBytes,
    min: 1,
    max: 1024 ** 3
  });

  const host = values.host ?? AgentDefaults.host;
  if (!isLoopbackAddress(host) && !env[TokenDefaults.envVar]) {
    throw new ConfigError(
      `refusing to listen on ${host}: it is not a loopback address, so other machines could ` +
        `reach the agent and guess tokens. Set ${TokenDefaults.envVar} to a long random token ` +
        `to do this on purpose.`
    );
  }

  const origins = values.origin ?? [AgentDefaults.origin];
  for (const o of origins) {
    let parsed: URL;
    try {
      parsed = new URL(o);
    } catch {
      throw new ConfigError(`--origin ${o} is not a URL`);
    }
    // Browsers send the serialised origin, so anything else (path, slash) would never match.
    if (parsed.origin !== o || parsed.origin === 'null') {
      throw new ConfigError(
        `--origin must be an exact origin like ${AgentDefaults.origin}, got ${o}`
      );
    }
  }

  return {
    port,
    host,
    origins,
    intervalMs,
    bufferSize,
    bufferBytes,
    bufferSeconds,
    maxBodyBytes,
    tokenFile: values['token-file'] ?? resolveDefaultTokenFile(),
    gpu: !values['no-gpu'],
    model: readModelOptions(values),
    ...readForwardConfig(values, env, (message) => {
      throw new ConfigError(message);
    })
  };
}

function readModelOptions(values: Parameters<typeof readModelConfig>[0]): ModelConfig {
  try {
    return readModelConfig(values);
  } catch (err) {
    if (err instanceof ModelConfigError) throw new ConfigError(err.message);
    throw err;
  }
}

function readInt(
  raw: string | undefined,
  name: string,
  range: { fallback: number; min: number; max: number }
): number {
  if (raw === undefined) return range.fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`--${name} must be a whole number, got ${raw}`);
  const n = Number(raw);
  if (n < range.min || n > range.max) {
    throw new ConfigError(`--${name} must be between ${range.min} and ${range.max}, got ${n}`);
  }
  return n;
}
