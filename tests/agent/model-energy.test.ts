/**
 * Energy: power integration against a hand-computed series, RAPL read from a fixture
 * powercap tree (wraparound, sub-zones ignored, unreadable → not measured), and energy per
 * token from a collector fed by both.
 */
import { chmodSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelCollector } from '../../agent/model/collector';
import { readModelConfig } from '../../agent/model/config';
import {
  attributeEnergy,
  computeRaplDeltaUj,
  integratePowerJoules,
  PowerIntegrator,
  RaplReader
} from '../../agent/model/energy';
import type { AgentPoint } from '../../src/lib/types';
import { makeRaplTree, startRuntimeServer, type RuntimeServer } from './model-fixtures';

const f64 = (...xs: number[]) => Float64Array.from(xs);

describe('integratePowerJoules', () => {
  it.each([
    // 0–1 s at 100→200 W: 150 J; 1–2 s at 200 W: 200 J; 2–4 s at 200→50 W: 250 J.
    { t: [0, 1000, 2000, 4000], w: [100, 200, 200, 50], gap: Infinity, joules: 600 },
    // The same with gaps over 1.5 s left out: the last 2 s contribute nothing.
    { t: [0, 1000, 2000, 4000], w: [100, 200, 200, 50], gap: 1500, joules: 350 },
    // A NaN reading drops both intervals that touch it.
    { t: [0, 1000, 2000, 3000], w: [10, NaN, 10, 30], gap: Infinity, joules: 20 },
    { t: [0], w: [100], gap: Infinity, joules: 0 },
    { t: [], w: [], gap: Infinity, joules: 0 },
    // Duplicate timestamps add nothing.
    { t: [0, 0, 500], w: [40, 80, 80], gap: Infinity, joules: 40 }
  ])('integrates $w W at $t ms (max gap $gap) to $joules J', ({ t, w, gap, joules }) => {
    expect(integratePowerJoules(f64(...t), f64(...w), gap)).toBeCloseTo(joules, 12);
  });

  it('gives the same joules when the series is fed one reading at a time', () => {
    const p = new PowerIntegrator(Infinity);
    [100, 200, 200, 50].forEach((w, i) => p.observe('gpu0', [0, 1000, 2000, 4000][i], w));
    expect(p.take().get('gpu0')).toBeCloseTo(600, 12);
    expect(p.take().size).toBe(0);
  });
});

describe('RAPL', () => {
  it('handles the counter wrapping at max_energy_range_uj', () => {
    expect(
      computeRaplDeltaUj({ before: 5_000_000, after: 7_500_000, maxRangeUj: 10_000_000 })
    ).toBe(2_500_000);
    expect(
      computeRaplDeltaUj({ before: 9_000_000, after: 1_000_000, maxRangeUj: 10_000_000 })
    ).toBe(2_000_000);
  });

  it('reads top-level package zones only, in joules since the previous read', () => {
    const tree = makeRaplTree([
      { zone: 'intel-rapl:0', name: 'package-0', uj: 9_000_000, max: 10_000_000 },
      { zone: 'intel-rapl:0:0', name: 'core', uj: 1_000_000, max: 10_000_000 },
      { zone: 'intel-rapl:1', name: 'package-1', uj: 100, max: 10_000_000 }
    ]);
    const rapl = new RaplReader(tree.root);
    expect(rapl.available).toBe(true);
    expect(rapl.readJoules().size).toBe(0);
    tree.set('intel-rapl:0', 1_500_000); // wrapped: 1 J to the top, 1.5 J after
    tree.set('intel-rapl:0:0', 2_000_000);
    tree.set('intel-rapl:1', 3_000_100);
    expect(Object.fromEntries(rapl.readJoules())).toEqual({ 'package-0': 2.5, 'package-1': 3 });
  });

  it('is not a source when the directory is missing or the counter unreadable', () => {
    expect(new RaplReader('/nonexistent/powercap').available).toBe(false);
    const tree = makeRaplTree([{ zone: 'intel-rapl:0', name: 'package-0', uj: 1, max: 10 }]);
    chmodSync(path.join(tree.root, 'intel-rapl:0', 'energy_uj'), 0o000);
    // Root reads anything, so only check the permission case when not root.
    if (process.getuid?.() !== 0) expect(new RaplReader(tree.root).available).toBe(false);
  });
});

describe('attributeEnergy', () => {
  it('splits by tokens and charges nobody for idle energy', () => {
    expect(
      Object.fromEntries(
        attributeEnergy(
          30,
          new Map([
            ['a', 10],
            ['b', 20]
          ])
        )
      )
    ).toEqual({
      a: 10,
      b: 20
    });
    expect(attributeEnergy(30, new Map([['a', 0]])).size).toBe(0);
    expect(attributeEnergy(30, new Map()).size).toBe(0);
  });
});

describe('energy per token from the collector', () => {
  let server: RuntimeServer;
  beforeAll(async () => {
    server = await startRuntimeServer();
  });
  afterAll(() => server.close());

  const gpuPoint = (t: number, v: number): AgentPoint => ({
    name: 'gpu_power_watts',
    labels: { gpu: '0', model: 'NVIDIA A10' },
    unit: 'W',
    kind: 'gauge',
    category: 'system',
    t,
    v
  });

  it('charges RAPL package energy plus integrated GPU energy to the tokens generated', async () => {
    const tree = makeRaplTree([
      { zone: 'intel-rapl:0', name: 'package-0', uj: 1_000_000, max: 262_143_328_850 }
    ]);
    const collector = new ModelCollector({
      config: readModelConfig({
        'model-metrics': [`qwen=${server.url('/llamacpp/metrics')}`],
        'rapl-root': tree.root
      }),
      onPoints: () => {},
      now: () => 0
    });
    tree.set('intel-rapl:0', 11_000_000);
    const first = await collector.collect(2000);
    expect(first.find((p) => p.name === 'cpu_package_power_watts')?.v).toBe(5);
    expect(first.some((p) => p.name === 'model_energy_joules_per_token')).toBe(false);
    // Next interval: 40 J from RAPL, 100 W GPU for 2 s = 200 J; 120 tokens.
    tree.set('intel-rapl:0', 51_000_000);
    collector.observeHost([gpuPoint(2000, 100)]);
    collector.observeHost([gpuPoint(4000, 100)]);
    const second = await collector.collect(4000);
    const get = (name: string) =>
      second.find((p) => p.name === name && p.labels.model === 'qwen')?.v;
    expect(get('model_tokens')).toBe(120);
    expect(get('model_energy_joules')).toBeCloseTo(240, 9);
    expect(get('model_energy_joules_per_token')).toBeCloseTo(2, 12);
    expect(get('model_tokens_per_joule')).toBeCloseTo(0.5, 12);
    expect(second.find((p) => p.name === 'gpu_energy_joules_total')?.v).toBeCloseTo(200, 9);
    expect(second.find((p) => p.name === 'cpu_package_energy_joules_total')?.v).toBeCloseTo(50, 9);
    expect(collector.energySources).toEqual(['RAPL', 'nvidia-smi']);
  });

  it('reports no energy per token where the host has no power source', async () => {
    server.setStep(undefined);
    server.hits.clear();
    const collector = new ModelCollector({
      config: readModelConfig({
        'model-metrics': [server.url('/llamacpp/metrics')],
        'rapl-root': '/nonexistent'
      }),
      onPoints: () => {}
    });
    await collector.collect(0);
    const points = await collector.collect(2000);
    expect(points.some((p) => p.name === 'model_tokens_per_second')).toBe(true);
    expect(points.some((p) => p.name.startsWith('model_energy') || p.name === 'model_tokens')).toBe(
      false
    );
    expect(collector.energySources).toEqual([]);
  });
});
