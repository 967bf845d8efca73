/**
 * Flags of the model collector, kept apart from agent/config.ts so that file only spreads
 * them in. The collector is off until a target is given, and only loopback targets are
 * accepted unless `--allow-remote-models` says otherwise: the agent should not become a way
 * to make requests to other machines.
 */
import { isLoopbackAddress } from '../security';

export const ModelDefaults = {
  intervalMs: 1_000,
  minIntervalMs: 250,
  maxIntervalMs: 60_000,
  /** A scrape slower than this is abandoned (the next tick tries again). */
  timeoutMs: 2_000
} as const;

export interface MetricsTarget {
  url: string;
  /** Model label for runtimes whose samples do not name the model (llama.cpp, TGI). */
  model?: string;
}

export interface ModelConfig {
  metrics: MetricsTarget[];
  ollama: string[];
  intervalMs: number;
  energy: boolean;
  raplRoot?: string;
}

export class ModelConfigError extends Error {}

/** Option specs for node:util parseArgs, spread into the agent's own. */
export const ModelArgOptions = {
  'model-metrics': { type: 'string', multiple: true },
  ollama: { type: 'string', multiple: true },
  'model-interval': { type: 'string' },
  'rapl-root': { type: 'string' },
  'no-energy': { type: 'boolean' },
  'allow-remote-models': { type: 'boolean' }
} as const;

export const ModelHelpText = `
Model runtimes (off unless a target is given; loopback URLs only by default):
  --model-metrics [name=]<url>  scrape a llama.cpp / vLLM / TGI /metrics URL (repeatable);
                      name= labels the model when the runtime does not (llama.cpp, TGI)
  --ollama <url>      poll an Ollama server's /api/ps, e.g. http://127.0.0.1:11434 (repeatable)
  --model-interval <ms> scrape interval (default ${ModelDefaults.intervalMs}, min ${ModelDefaults.minIntervalMs})
  --rapl-root <dir>   powercap directory for CPU package energy (default /sys/class/powercap)
  --no-energy         do not measure energy (RAPL, GPU power)
  --allow-remote-models  accept model targets that are not on this machine
`;

type ModelArgValues = {
  'model-metrics'?: string[];
  ollama?: string[];
  'model-interval'?: string;
  'rapl-root'?: string;
  'no-energy'?: boolean;
  'allow-remote-models'?: boolean;
};

/**
 * Validates the model flags. Throws ModelConfigError naming the bad flag. O(targets).
 * @example readModelConfig({ 'model-metrics': ['llama=http://127.0.0.1:8080/metrics'] })
 */
export function readModelConfig(values: ModelArgValues): ModelConfig {
  const allowRemote = values['allow-remote-models'] === true;
  const metrics = (values['model-metrics'] ?? []).map((spec) => {
    const m = /^([^=:/]+)=(.*)$/.exec(spec);
    const url = checkUrl(m ? m[2] : spec, '--model-metrics', allowRemote);
    return m ? { url, model: m[1] } : { url };
  });
  const ollama = (values.ollama ?? []).map((u) =>
    checkUrl(u, '--ollama', allowRemote).replace(/\/+$/, '')
  );
  let intervalMs: number = ModelDefaults.intervalMs;
  const raw = values['model-interval'];
  if (raw !== undefined) {
    intervalMs = Number(raw);
    if (
      !/^\d+$/.test(raw) ||
      intervalMs < ModelDefaults.minIntervalMs ||
      intervalMs > ModelDefaults.maxIntervalMs
    ) {
      throw new ModelConfigError(
        `--model-interval must be a whole number between ${ModelDefaults.minIntervalMs} and ${ModelDefaults.maxIntervalMs}, got ${raw}`
      );
    }
  }
  return {
    metrics,
    ollama,
    intervalMs,
    energy: values['no-energy'] !== true,
    raplRoot: values['rapl-root']
  };
}

function checkUrl(raw: string, flag: string, allowRemote: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ModelConfigError(`${flag} ${raw} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ModelConfigError(`${flag} ${raw} must be http or https`);
  }
  if (!allowRemote && !isLoopbackAddress(url.hostname)) {
    throw new ModelConfigError(
      `${flag} ${raw} is not on this machine; add --allow-remote-models to scrape it anyway`
    );
  }
  return url.toString();
}
