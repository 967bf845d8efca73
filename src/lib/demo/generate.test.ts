import { describe, expect, it } from 'vitest';
import { DemoDefaults, generateDemoData } from './generate';

const end = Date.UTC(2026, 10, 23, 12, 0, 0);

describe('generateDemoData', () => {
  it('is deterministic', () => {
    const a = generateDemoData({ end });
    const b = generateDemoData({ end });
    expect(a.events).toEqual(b.events);
    expect(a.batches.map((x) => Array.from(x.v.subarray(0, 50)))).toEqual(
      b.batches.map((x) => Array.from(x.v.subarray(0, 50)))
    );
  });

  it('covers one day at the default step for host, model and UX series, plus events', () => {
    const { batches, events } = generateDemoData({ end });
    const n = DemoDefaults.durationMs / DemoDefaults.stepMs;
    // Every series covers the day: at the default step, or (the extra demo models) every
    // `otherModelsEvery` steps.
    const coarse = Math.floor(n / DemoDefaults.otherModelsEvery);
    expect(batches.every((b) => b.t.length === n || b.t.length === coarse)).toBe(true);
    expect(batches.filter((b) => b.t.length === coarse).length).toBeLessThan(batches.length / 2);
    expect(new Set(batches.map((b) => b.series.category))).toEqual(
      new Set(['system', 'network', 'model', 'ux'])
    );
    for (const b of batches) {
      expect(b.t[b.t.length - 1]).toBe(end);
      const step =
        b.t.length === n
          ? DemoDefaults.stepMs
          : DemoDefaults.stepMs * DemoDefaults.otherModelsEvery;
      expect(b.t[0]).toBe(end - DemoDefaults.durationMs + step);
    }
    expect(events.length).toBeGreaterThan(10_000);
    expect(events.every((e, i) => i === 0 || e.t >= events[i - 1].t)).toBe(true);
    const statuses = new Set(events.map((e) => e.status));
    expect(statuses).toEqual(new Set(['success', 'failure', 'timeout']));
    expect(events.filter((e) => e.status !== 'success').every((e) => e.errorMessage)).toBe(true);
  });

  it('keeps CPU within 0–100 % and memory below the total', () => {
    const { batches } = generateDemoData({ end });
    for (const b of batches.filter((x) => x.series.name === 'cpu_usage_percent')) {
      expect(Math.min(...b.v)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...b.v)).toBeLessThanOrEqual(100);
    }
    const used = batches.find((x) => x.series.name === 'memory_used_bytes')!;
    const total = batches.find((x) => x.series.name === 'memory_total_bytes')!;
    expect(Math.max(...used.v)).toBeLessThanOrEqual(total.v[0]);
  });

  it("labels model series as the agent's model collector does: runtime, model, TTFT quantile", () => {
    const { batches } = generateDemoData({ end, durationMs: 60_000 });
    const models = batches.filter((b) => b.series.category === 'model');
    expect(models.length).toBeGreaterThan(0);
    for (const b of models) {
      expect(['llamacpp', 'vllm', 'tgi', 'ollama']).toContain(b.series.labels.runtime);
      expect(b.series.labels.model).toBeTruthy();
    }
    const ttft = models.filter((b) => b.series.name === 'model_time_to_first_token_ms');
    expect(ttft.map((b) => b.series.labels.quantile).sort()).toEqual(['0.5', '0.95']);
    const tps = models.filter((b) => b.series.name === 'model_tokens_per_second');
    expect(new Set(tps.map((b) => b.series.labels.runtime))).toEqual(
      new Set(['vllm', 'llamacpp', 'ollama'])
    );
    // One model reports no entropy (Ollama gives no log-probabilities).
    const entropy = models.filter((b) => b.series.name === 'model_token_entropy');
    expect(entropy.map((b) => b.series.labels.runtime).sort()).toEqual(['llamacpp', 'vllm']);
  });

  it('is empty for a zero duration', () => {
    const { batches, events } = generateDemoData({ end, durationMs: 0 });
    expect(batches.every((b) => b.t.length === 0)).toBe(true);
    expect(events).toEqual([]);
  });
});
