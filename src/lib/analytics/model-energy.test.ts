import { describe, expect, it } from 'vitest';
import { groupModelSeries, summariseModelEnergy } from './model-energy';

const col = (t: number[], v: number[]) => ({ t: Float64Array.from(t), v: Float64Array.from(v) });

describe('summariseModelEnergy', () => {
  it('weights energy per token by tokens (hand-computed)', () => {
    // Powers 10 W and 15 W; tokens/s 10 and 30 → 40 tokens per 25 J → 1.6 tokens/J.
    const s = summariseModelEnergy({
      tps: col([1, 2], [10, 30]),
      joulesPerToken: col([1, 2], [1, 0.5]),
      entropy: col([1, 2], [2, 3])
    });
    expect(s.tokensPerSecond).toBe(20);
    expect(s.tokensPerJoule).toBeCloseTo(1.6, 12);
    expect(s.joulesPerToken).toBeCloseTo(0.625, 12);
    expect(s.entropy).toBe(2.5);
  });

  it('pairs only equal timestamps and says "not measured" (null) without energy', () => {
    const s = summariseModelEnergy({
      tps: col([1, 2, 3], [10, 20, 30]),
      joulesPerToken: col([2, 4], [2, 9])
    });
    expect(s.tokensPerJoule).toBeCloseTo(0.5, 12);
    expect(summariseModelEnergy({ tps: col([1], [5]) })).toEqual({
      tokensPerSecond: 5,
      joulesPerToken: null,
      tokensPerJoule: null,
      entropy: null
    });
    expect(
      summariseModelEnergy({ tps: col([1], [5]), joulesPerToken: col([7], [1]) }).tokensPerJoule
    ).toBeNull();
  });

  it('is NaN tokens/s for an empty window', () => {
    expect(summariseModelEnergy({ tps: col([], []) }).tokensPerSecond).toBeNaN();
  });
});

describe('groupModelSeries', () => {
  it('groups throughput, energy and entropy series by runtime and model', () => {
    const rec = (id: number, name: string, labels: Record<string, string>) =>
      ({
        id,
        name,
        labels,
        key: name,
        unit: '',
        kind: 'gauge',
        source: 'agent',
        category: 'model'
      }) as const;
    const groups = groupModelSeries([
      rec(1, 'model_tokens_per_second', { runtime: 'vllm', model: 'a' }),
      rec(2, 'model_energy_joules_per_token', { runtime: 'vllm', model: 'a' }),
      rec(3, 'model_tokens_per_second', { model: 'b' }),
      rec(4, 'model_token_entropy', { runtime: 'vllm', model: 'a' }),
      rec(5, 'cpu_usage_percent', {})
    ]);
    expect(groups.map((g) => [g.runtime, g.model, g.tps?.id, g.jpt?.id, g.entropy?.id])).toEqual([
      ['', 'b', 3, undefined, undefined],
      ['vllm', 'a', 1, 2, 4]
    ]);
  });
});
