/**
 * The model collector against loopback servers serving the committed runtime fixtures:
 * series names, labels, rates and histogram quantiles checked against the hand-computed
 * advances listed in tests/fixtures/model-runtimes/README.md. Times are passed in, so the
 * rates are exact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelCollector } from '../../agent/model/collector';
import { readModelConfig } from '../../agent/model/config';
import type { AgentPoint } from '../../src/lib/types';
import { readModelFixture, startRuntimeServer, type RuntimeServer } from './model-fixtures';

let server: RuntimeServer;
beforeAll(async () => {
  server = await startRuntimeServer();
});
afterAll(() => server.close());

function find(points: AgentPoint[], name: string, labels: Record<string, string> = {}) {
  return points.filter(
    (p) => p.name === name && Object.entries(labels).every(([k, v]) => p.labels[k] === v)
  );
}

function value(points: AgentPoint[], name: string, labels: Record<string, string> = {}): number {
  const found = find(points, name, labels);
  expect(found, `${name} ${JSON.stringify(labels)}`).toHaveLength(1);
  return found[0].v;
}

async function twoScrapes(target: string, model?: string): Promise<AgentPoint[][]> {
  server.setStep(undefined);
  server.hits.clear();
  const collector = new ModelCollector({
    config: readModelConfig({
      'model-metrics': [model ? `${model}=${server.url(target)}` : server.url(target)],
      'no-energy': true
    }),
    onPoints: () => {}
  });
  const first = await collector.collect(1_000_000);
  const second = await collector.collect(1_002_000);
  return [first, second];
}

describe('model collector: llama.cpp /metrics', () => {
  it('reports gauges at once and token rates from the second scrape, labelled with runtime and model', async () => {
    const [first, second] = await twoScrapes('/llamacpp/metrics', 'qwen2.5-7b');
    const labels = { runtime: 'llamacpp', model: 'qwen2.5-7b' };
    expect(value(first, 'model_kv_cache_usage_percent', labels)).toBeCloseTo(49.1063, 6);
    expect(value(first, 'model_queue_depth', labels)).toBe(0);
    expect(find(first, 'model_tokens_per_second')).toHaveLength(0);
    // 120 predicted and 512 prompt tokens over 2 s.
    expect(value(second, 'model_tokens_per_second', labels)).toBe(60);
    expect(value(second, 'model_prompt_tokens_per_second', labels)).toBe(256);
    expect(value(second, 'model_queue_depth', labels)).toBe(2);
    expect(value(second, 'model_requests_running', labels)).toBe(1);
    expect(value(second, 'model_kv_cache_usage_percent', labels)).toBeCloseTo(52, 9);
    // llama.cpp exports no histograms, so no quantiles are invented.
    expect(find(second, 'model_time_to_first_token_ms')).toHaveLength(0);
    expect(second.every((p) => p.category === 'model' && p.t === 1_002_000)).toBe(true);
  });

  it('labels the model by runtime and address when no name is given', async () => {
    const [first] = await twoScrapes('/llamacpp/metrics');
    expect(find(first, 'model_queue_depth')[0].labels).toEqual({
      runtime: 'llamacpp',
      model: `llamacpp@127.0.0.1:${server.port}`
    });
  });
});

describe('model collector: vLLM /metrics', () => {
  it('takes the model from model_name and TTFT/latency p50/p95 from this interval’s histogram observations', async () => {
    const [first, second] = await twoScrapes('/vllm/metrics');
    const labels = { runtime: 'vllm', model: 'meta-llama/Llama-3.1-8B-Instruct' };
    expect(value(first, 'model_requests_running', labels)).toBe(8);
    expect(value(first, 'model_kv_cache_usage_percent', labels)).toBe(18.75);
    expect(find(first, 'model_time_to_first_token_ms')).toHaveLength(0);
    expect(value(second, 'model_tokens_per_second', labels)).toBe(600);
    expect(value(second, 'model_prompt_tokens_per_second', labels)).toBe(1024);
    expect(value(second, 'model_queue_depth', labels)).toBe(3);
    const ms = (name: string, q: string) => value(second, name, { ...labels, quantile: q });
    expect(ms('model_time_to_first_token_ms', '0.5')).toBeCloseTo(60, 9);
    expect(ms('model_time_to_first_token_ms', '0.95')).toBeCloseTo(100, 9);
    expect(ms('model_request_latency_ms', '0.5')).toBeCloseTo(1500, 9);
    expect(ms('model_request_latency_ms', '0.95')).toBeCloseTo(3750, 9);
  });

  it('reports no quantile for an interval without requests', async () => {
    server.setStep(2);
    const collector = new ModelCollector({
      config: readModelConfig({
        'model-metrics': [server.url('/vllm/metrics')],
        'no-energy': true
      }),
      onPoints: () => {}
    });
    await collector.collect(0);
    const idle = await collector.collect(1000);
    expect(find(idle, 'model_time_to_first_token_ms')).toHaveLength(0);
    expect(value(idle, 'model_tokens_per_second', { runtime: 'vllm' })).toBe(0);
  });
});

describe('model collector: TGI /metrics', () => {
  it('reads tokens from the token histograms’ sums and latency quantiles from tgi_request_duration', async () => {
    const [, second] = await twoScrapes('/tgi/metrics', 'mistral-7b');
    const labels = { runtime: 'tgi', model: 'mistral-7b' };
    expect(value(second, 'model_tokens_per_second', labels)).toBe(400);
    expect(value(second, 'model_prompt_tokens_per_second', labels)).toBe(800);
    expect(value(second, 'model_queue_depth', labels)).toBe(5);
    expect(value(second, 'model_requests_running', labels)).toBe(4);
    const lo = 1.683411219602823;
    const hi = 2.5251168294042348;
    expect(value(second, 'model_request_latency_ms', { ...labels, quantile: '0.5' })).toBeCloseTo(
      (lo + (hi - lo) * 0.5) * 1000,
      6
    );
    expect(value(second, 'model_request_latency_ms', { ...labels, quantile: '0.95' })).toBeCloseTo(
      (lo + (hi - lo) * 0.95) * 1000,
      6
    );
    // TGI exports no time to first token.
    expect(find(second, 'model_time_to_first_token_ms')).toHaveLength(0);
  });
});

describe('model collector: Ollama /api/ps', () => {
  it('reports loaded models with their memory, and a 0 once when one is unloaded', async () => {
    const collector = new ModelCollector({
      config: readModelConfig({ ollama: [server.url('/ollama')], 'no-energy': true }),
      onPoints: () => {}
    });
    const points = await collector.collect(5000);
    const labels = { runtime: 'ollama', model: 'mistral:latest' };
    expect(value(points, 'model_loaded', labels)).toBe(1);
    expect(value(points, 'model_memory_bytes', labels)).toBe(5137025024);
    expect(value(points, 'model_vram_bytes', labels)).toBe(5137025024);
    server.setOllamaPs('{"models":[]}');
    try {
      expect(value(await collector.collect(6000), 'model_loaded', labels)).toBe(0);
      expect(find(await collector.collect(7000), 'model_loaded')).toHaveLength(0);
    } finally {
      server.setOllamaPs(readModelFixture('ollama-ps.json'));
    }
  });

  it('warns once, not every tick, about a target that is down', async () => {
    const warnings: string[] = [];
    const collector = new ModelCollector({
      config: readModelConfig({
        'model-metrics': [server.url('/nothing/metrics')],
        'no-energy': true
      }),
      onPoints: () => {},
      onWarning: (m) => warnings.push(m)
    });
    expect(await collector.collect(0)).toEqual([]);
    await collector.collect(1000);
    expect(warnings).toEqual([`${server.url('/nothing/metrics')} answered 404`]);
  });
});

describe('model collector configuration', () => {
  it('is off with no target and refuses non-loopback targets unless allowed', () => {
    expect(ModelCollector.isConfigured(readModelConfig({}))).toBe(false);
    expect(() => readModelConfig({ 'model-metrics': ['http://10.0.0.5:8000/metrics'] })).toThrow(
      /not on this machine/
    );
    expect(() => readModelConfig({ ollama: ['ftp://127.0.0.1/'] })).toThrow(/http or https/);
    expect(
      readModelConfig({
        'model-metrics': ['http://10.0.0.5:8000/metrics'],
        'allow-remote-models': true
      }).metrics
    ).toEqual([{ url: 'http://10.0.0.5:8000/metrics' }]);
    expect(
      readModelConfig({ 'model-metrics': ['phi=http://localhost:8080/metrics'] }).metrics
    ).toEqual([{ url: 'http://localhost:8080/metrics', model: 'phi' }]);
  });
});
