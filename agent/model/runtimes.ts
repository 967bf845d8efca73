/**
 * What each model server's `/metrics` means in Tidemark's model series. One table per
 * runtime, from the metric lists the runtimes publish:
 * - llama.cpp server: tools/server/README.md "GET /metrics" (`--metrics` flag), names
 *   `llamacpp:*`; no histograms, so no TTFT or latency quantiles.
 * - vLLM: docs "Production Metrics" / design/metrics.md, names `vllm:*` with a `model_name`
 *   label; TTFT and end-to-end latency are histograms in seconds.
 * - Hugging Face TGI: docs reference/metrics, names `tgi_*`; token counts are histograms
 *   (their `_sum` is a running total) and it exports no time-to-first-token.
 */
import type { Exposition } from './exposition';
import type { Bucket } from './histogram';

export type RuntimeName = 'llamacpp' | 'vllm' | 'tgi';

export interface RuntimeSpec {
  runtime: RuntimeName;
  /** Sample-name prefix that identifies the runtime. */
  prefix: string;
  /** Label naming the model, when the runtime labels its samples with it. */
  modelLabel?: string;
  /** Running totals (counter samples, or a histogram's `_sum`). */
  generatedTokens: string[];
  promptTokens: string[];
  /** Histogram base names, in seconds. */
  ttftSeconds?: string;
  latencySeconds?: string;
  queueDepth?: string;
  running?: string;
  /** Gauges of KV-cache use as a fraction 0..1 (first present wins). */
  kvCacheRatio: string[];
}

export const RuntimeSpecs: readonly RuntimeSpec[] = [
  {
    runtime: 'llamacpp',
    prefix: 'llamacpp:',
    generatedTokens: ['llamacpp:tokens_predicted_total'],
    promptTokens: ['llamacpp:prompt_tokens_total'],
    queueDepth: 'llamacpp:requests_deferred',
    running: 'llamacpp:requests_processing',
    kvCacheRatio: ['llamacpp:kv_cache_usage_ratio']
  },
  {
    runtime: 'vllm',
    prefix: 'vllm:',
    modelLabel: 'model_name',
    generatedTokens: ['vllm:generation_tokens_total'],
    promptTokens: ['vllm:prompt_tokens_total'],
    ttftSeconds: 'vllm:time_to_first_token_seconds',
    latencySeconds: 'vllm:e2e_request_latency_seconds',
    queueDepth: 'vllm:num_requests_waiting',
    running: 'vllm:num_requests_running',
    // v1 engine name first, then the v0 name it replaced.
    kvCacheRatio: ['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc']
  },
  {
    runtime: 'tgi',
    prefix: 'tgi_',
    generatedTokens: ['tgi_request_generated_tokens_sum'],
    promptTokens: ['tgi_request_input_length_sum'],
    latencySeconds: 'tgi_request_duration',
    queueDepth: 'tgi_queue_size',
    running: 'tgi_batch_current_size',
    kvCacheRatio: []
  }
];

/** The runtime whose prefix most samples carry; undefined when none matches. O(samples). */
export function detectRuntime(exposition: Exposition): RuntimeSpec | undefined {
  let best: RuntimeSpec | undefined;
  let bestCount = 0;
  for (const spec of RuntimeSpecs) {
    let n = 0;
    for (const s of exposition.samples) if (s.name.startsWith(spec.prefix)) n++;
    if (n > bestCount) {
      best = spec;
      bestCount = n;
    }
  }
  return best;
}

/** One scrape reduced to what the collector keeps, per model. */
export interface ModelReading {
  generatedTokens?: number;
  promptTokens?: number;
  ttft?: Bucket[];
  latency?: Bucket[];
  queueDepth?: number;
  running?: number;
  kvCacheRatio?: number;
}

/**
 * Groups a scrape by model (the runtime's model label, else `fallbackModel`) and picks the
 * samples the spec names. Samples of one model with other labels (e.g. vLLM's
 * `finished_reason`) are summed. O(samples).
 */
export function readModels(
  exposition: Exposition,
  spec: RuntimeSpec,
  fallbackModel: string
): Map<string, ModelReading> {
  const out = new Map<string, ModelReading>();
  const histograms = new Map<string, Map<number, number>>();
  const get = (model: string): ModelReading => {
    let r = out.get(model);
    if (!r) out.set(model, (r = {}));
    return r;
  };
  const add = (r: ModelReading, key: 'generatedTokens' | 'promptTokens', v: number): void => {
    r[key] = (r[key] ?? 0) + v;
  };
  for (const s of exposition.samples) {
    if (!s.name.startsWith(spec.prefix)) continue;
    const model = (spec.modelLabel && s.labels[spec.modelLabel]) || fallbackModel;
    const r = get(model);
    if (spec.generatedTokens.includes(s.name)) add(r, 'generatedTokens', s.value);
    else if (spec.promptTokens.includes(s.name)) add(r, 'promptTokens', s.value);
    else if (s.name === spec.queueDepth) r.queueDepth = (r.queueDepth ?? 0) + s.value;
    else if (s.name === spec.running) r.running = (r.running ?? 0) + s.value;
    else if (spec.kvCacheRatio.includes(s.name)) {
      // The first name in the spec wins when a server exports both.
      const rank = spec.kvCacheRatio.indexOf(s.name);
      if (r.kvCacheRatio === undefined || rank === 0) r.kvCacheRatio = s.value;
    } else if (s.name.endsWith('_bucket') && s.labels.le !== undefined) {
      const base = s.name.slice(0, -'_bucket'.length);
      if (base !== spec.ttftSeconds && base !== spec.latencySeconds) continue;
      const key = `${base}\u0000${model}`;
      let buckets = histograms.get(key);
      if (!buckets) histograms.set(key, (buckets = new Map()));
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      buckets.set(le, (buckets.get(le) ?? 0) + s.value);
    }
  }
  for (const [key, buckets] of histograms) {
    const [base, model] = key.split('\u0000');
    const list = [...buckets].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
    if (base === spec.ttftSeconds) get(model).ttft = list;
    else get(model).latency = list;
  }
  return out;
}
