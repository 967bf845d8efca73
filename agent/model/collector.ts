/**
 * The model collector: on its own timer it scrapes model servers' `/metrics`, polls Ollama's
 * loaded models, reads the host's energy counters, and turns them into Tidemark's model
 * series, labelled `{ runtime, model }`:
 *
 * | series | unit | from |
 * | --- | --- | --- |
 * | model_tokens_per_second | tokens/s | generated-token counter, rate over the interval |
 * | model_prompt_tokens_per_second | tokens/s | prompt-token counter, rate |
 * | model_time_to_first_token_ms {quantile 0.5/0.95} | ms | TTFT histogram, this interval's observations |
 * | model_request_latency_ms {quantile 0.5/0.95} | ms | end-to-end latency histogram, same |
 * | model_queue_depth, model_requests_running | count | gauges |
 * | model_kv_cache_usage_percent | % | KV-cache gauge (0..1 × 100) |
 * | model_tokens, model_energy_joules | tokens, J | per interval (the tracking API's names) |
 * | model_energy_joules_per_token, model_tokens_per_joule | J/token, tokens/J | energy ÷ tokens |
 * | model_loaded, model_memory_bytes, model_vram_bytes | 1/0, bytes | Ollama /api/ps |
 * | cpu_package_power_watts, cpu_package_energy_joules_total {package} | W, J | RAPL |
 * | gpu_energy_joules_total {gpu} | J | nvidia-smi power draw, integrated |
 *
 * Rates and quantiles need two scrapes, so the first tick of a target yields gauges only.
 */
import type { AgentPoint, SeriesKind } from '../../src/lib/types';
import type { ModelConfig } from './config';
import { ModelDefaults } from './config';
import { attributeEnergy, PowerIntegrator, RaplReader } from './energy';
import { parseExposition } from './exposition';
import { computeHistogramQuantile, diffBuckets } from './histogram';
import { parseOllamaPs } from './ollama';
import { detectRuntime, readModels, type ModelReading } from './runtimes';

/** Quantiles reported from each histogram. */
export const ModelQuantiles = [0.5, 0.95] as const;

export interface ModelCollectorOptions {
  config: ModelConfig;
  onPoints: (t: number, points: AgentPoint[]) => void;
  onWarning?: (message: string) => void;
  now?: () => number;
}

interface Previous {
  t: number;
  readings: Map<string, ModelReading>;
}

export class ModelCollector {
  private readonly warn: (message: string) => void;
  private readonly now: () => number;
  private readonly previous = new Map<string, Previous>();
  private readonly failing = new Set<string>();
  private readonly loaded = new Map<string, Set<string>>();
  private readonly rapl: RaplReader | undefined;
  private readonly gpu = new PowerIntegrator();
  private readonly totals = new Map<string, number>();
  private gpuSeen = false;
  private lastEnergyT: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;

  constructor(private readonly options: ModelCollectorOptions) {
    this.warn = options.onWarning ?? (() => {});
    this.now = options.now ?? Date.now;
    const { config } = options;
    this.rapl = config.energy ? new RaplReader(config.raplRoot) : undefined;
    // Prime the RAPL counters so the first tick already has a delta.
    this.rapl?.readJoules();
    this.lastEnergyT = this.now();
  }

  /** Whether the collector has anything to do. */
  static isConfigured(config: ModelConfig): boolean {
    return config.metrics.length > 0 || config.ollama.length > 0;
  }

  /** Energy sources in use, for the log line: [] means "not measured". */
  get energySources(): string[] {
    const sources: string[] = [];
    if (this.rapl?.available) sources.push('RAPL');
    if (this.gpuSeen) sources.push('nvidia-smi');
    return sources;
  }

  start(): void {
    const first = this.now();
    let tick = 0;
    const run = (): void => {
      if (this.stopped) return;
      // A tick still waiting on a slow server is not doubled up; its successor runs later.
      if (!this.running) {
        this.running = true;
        this.collect(this.now())
          .then((points) => {
            if (points.length > 0 && !this.stopped) this.options.onPoints(points[0].t, points);
          })
          .catch((err: Error) => this.warn(`model collector: ${err.message}`))
          .finally(() => (this.running = false));
      }
      tick++;
      const due = first + tick * this.options.config.intervalMs;
      this.timer = setTimeout(run, Math.max(0, due - this.now()));
    };
    run();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Feeds the host sampler's points: GPU power is integrated into energy. O(points). */
  observeHost(points: AgentPoint[]): void {
    if (!this.options.config.energy) return;
    for (const p of points) {
      if (p.name !== 'gpu_power_watts') continue;
      this.gpuSeen = true;
      this.gpu.observe(p.labels.gpu ?? '0', p.t, p.v);
    }
  }

  /** One collection at time `t`. Exposed for tests and the bench. */
  async collect(t: number): Promise<AgentPoint[]> {
    const { config } = this.options;
    const points: AgentPoint[] = [];
    const tokens = new Map<string, number>();
    await Promise.all([
      ...config.metrics.map((target) =>
        this.scrapeMetrics(target.url, target.model, t, points, tokens)
      ),
      ...config.ollama.map((base) => this.pollOllama(base, t, points))
    ]);
    if (config.energy) this.measureEnergy(t, points, tokens);
    return points;
  }

  private async scrapeMetrics(
    url: string,
    model: string | undefined,
    t: number,
    points: AgentPoint[],
    tokens: Map<string, number>
  ): Promise<void> {
    const text = await this.fetchText(url);
    if (text === undefined) return;
    const exposition = parseExposition(text);
    const spec = detectRuntime(exposition);
    if (!spec) {
      this.warnOnce(url, `${url} does not look like llama.cpp, vLLM or TGI metrics`);
      return;
    }
    const fallback = model ?? `${spec.runtime}@${new URL(url).host}`;
    const readings = readModels(exposition, spec, fallback);
    const prev = this.previous.get(url);
    this.previous.set(url, { t, readings });
    const dtS = prev ? (t - prev.t) / 1000 : 0;
    for (const [name, r] of readings) {
      const labels = { runtime: spec.runtime, model: name };
      const add = (metric: string, unit: string, v: number | undefined, extra = {}): void => {
        if (v !== undefined && Number.isFinite(v)) {
          points.push(point(metric, { ...labels, ...extra }, unit, t, v));
        }
      };
      add('model_queue_depth', 'count', r.queueDepth);
      add('model_requests_running', 'count', r.running);
      if (r.kvCacheRatio !== undefined)
        add('model_kv_cache_usage_percent', '%', r.kvCacheRatio * 100);
      const before = prev?.readings.get(name);
      if (!before || !(dtS > 0)) continue;
      const generated = counterDelta(before.generatedTokens, r.generatedTokens);
      const prompt = counterDelta(before.promptTokens, r.promptTokens);
      add(
        'model_tokens_per_second',
        'tokens/s',
        generated === undefined ? undefined : generated / dtS
      );
      add(
        'model_prompt_tokens_per_second',
        'tokens/s',
        prompt === undefined ? undefined : prompt / dtS
      );
      if (generated !== undefined) tokens.set(`${spec.runtime}\u0000${name}`, generated);
      for (const [metric, now, was] of [
        ['model_time_to_first_token_ms', r.ttft, before.ttft],
        ['model_request_latency_ms', r.latency, before.latency]
      ] as const) {
        if (!now) continue;
        const window = diffBuckets(was, now);
        for (const q of ModelQuantiles) {
          add(metric, 'ms', computeHistogramQuantile(q, window) * 1000, { quantile: String(q) });
        }
      }
    }
  }

  private async pollOllama(base: string, t: number, points: AgentPoint[]): Promise<void> {
    const text = await this.fetchText(`${base}/api/ps`);
    if (text === undefined) return;
    let models;
    try {
      models = parseOllamaPs(JSON.parse(text));
    } catch {
      models = undefined;
    }
    if (!models) {
      this.warnOnce(base, `${base}/api/ps did not answer Ollama's documented shape`);
      return;
    }
    const now = new Set(models.map((m) => m.name));
    for (const m of models) {
      const labels = { runtime: 'ollama', model: m.name };
      points.push(point('model_loaded', labels, '', t, 1));
      if (m.size !== undefined)
        points.push(point('model_memory_bytes', labels, 'bytes', t, m.size));
      if (m.sizeVram !== undefined) {
        points.push(point('model_vram_bytes', labels, 'bytes', t, m.sizeVram));
      }
    }
    // A model that was unloaded gets one 0 so charts show it leave.
    for (const gone of this.loaded.get(base) ?? []) {
      if (!now.has(gone))
        points.push(point('model_loaded', { runtime: 'ollama', model: gone }, '', t, 0));
    }
    this.loaded.set(base, now);
  }

  private measureEnergy(t: number, points: AgentPoint[], tokens: Map<string, number>): void {
    let joules = 0;
    let measured = false;
    const dtS = this.lastEnergyT === undefined ? 0 : (t - this.lastEnergyT) / 1000;
    this.lastEnergyT = t;
    for (const [pkg, j] of this.rapl?.readJoules() ?? []) {
      measured = true;
      joules += j;
      const total = this.addTotal(`rapl\u0000${pkg}`, j);
      if (dtS > 0)
        points.push(point('cpu_package_power_watts', { package: pkg }, 'W', t, j / dtS, 'system'));
      points.push(
        point(
          'cpu_package_energy_joules_total',
          { package: pkg },
          'J',
          t,
          total,
          'system',
          'counter'
        )
      );
    }
    for (const [gpu, j] of this.gpu.take()) {
      measured = true;
      joules += j;
      const total = this.addTotal(`gpu\u0000${gpu}`, j);
      points.push(point('gpu_energy_joules_total', { gpu }, 'J', t, total, 'system', 'counter'));
    }
    // No power source: energy per token is "not measured", so nothing is invented.
    if (!measured) return;
    for (const [key, j] of attributeEnergy(joules, tokens)) {
      const [runtime, model] = key.split('\u0000');
      const n = tokens.get(key) ?? 0;
      const labels = { runtime, model };
      points.push(point('model_tokens', labels, 'tokens', t, n));
      points.push(point('model_energy_joules', labels, 'J', t, j));
      if (n > 0) points.push(point('model_energy_joules_per_token', labels, 'J/token', t, j / n));
      if (j > 0) points.push(point('model_tokens_per_joule', labels, 'tokens/J', t, n / j));
    }
  }

  private addTotal(key: string, j: number): number {
    const total = (this.totals.get(key) ?? 0) + j;
    this.totals.set(key, total);
    return total;
  }

  private async fetchText(url: string): Promise<string | undefined> {
    try {
      const res = await fetch(url, {
        signal: AbortSignal.timeout(ModelDefaults.timeoutMs),
        redirect: 'error'
      });
      if (!res.ok) {
        this.warnOnce(url, `${url} answered ${res.status}`);
        return undefined;
      }
      const text = await res.text();
      if (this.failing.delete(url)) this.warn(`${url} answers again`);
      return text;
    } catch (err) {
      this.warnOnce(url, `${url} unreachable (${(err as Error).message})`);
      return undefined;
    }
  }

  /** One line per failing target until it recovers, so a stopped server does not spam. */
  private warnOnce(key: string, message: string): void {
    if (this.failing.has(key)) return;
    this.failing.add(key);
    this.warn(message);
  }
}

/** Growth of a running total; a total that went down means a restart, so it is taken whole. */
function counterDelta(before: number | undefined, after: number | undefined): number | undefined {
  if (after === undefined || before === undefined) return undefined;
  return after >= before ? after - before : after;
}

function point(
  name: string,
  labels: Record<string, string>,
  unit: string,
  t: number,
  v: number,
  category: AgentPoint['category'] = 'model',
  kind: SeriesKind = 'gauge'
): AgentPoint {
  return { name, labels, unit, kind, category, t, v };
}
