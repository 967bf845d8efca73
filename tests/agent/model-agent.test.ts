/**
 * The model collector inside a real agent process: flags, the loopback-only default, and
 * model series arriving on the stream from fixture servers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentPoint } from '../../src/lib/types';
import type { AgentStatus } from '../../src/lib/types';
import {
  bearer,
  collectMessages,
  openStream,
  pointsOf,
  request,
  runAgentToExit,
  startAgent
} from './helpers';
import { makeRaplTree, startRuntimeServer, type RuntimeServer } from './model-fixtures';

let server: RuntimeServer;
beforeAll(async () => {
  server = await startRuntimeServer();
});
afterAll(() => server.close());

describe('agent with model runtimes configured', () => {
  it('streams model series from llama.cpp and Ollama and reports its energy source', async () => {
    const tree = makeRaplTree([
      { zone: 'intel-rapl:0', name: 'package-0', uj: 1_000_000, max: 262_143_328_850 }
    ]);
    const agent = await startAgent({
      args: [
        '--model-metrics',
        `qwen=${server.url('/llamacpp/metrics')}`,
        '--ollama',
        server.url('/ollama'),
        '--model-interval',
        '250',
        '--rapl-root',
        tree.root
      ]
    });
    const stream = await openStream({
      port: agent.port,
      token: agent.token,
      path: '/v1/stream?after=0'
    });
    try {
      const points = (): AgentPoint[] => collectMessages(stream.events).flatMap(pointsOf);
      await stream.waitFor(() =>
        points().some((p) => p.name === 'model_tokens_per_second' && p.labels.model === 'qwen')
      );
      await stream.waitFor(() => points().some((p) => p.name === 'model_loaded'));
      const all = points();
      const tps = all.find((p) => p.name === 'model_tokens_per_second');
      expect(tps?.labels).toEqual({ runtime: 'llamacpp', model: 'qwen' });
      expect(tps?.v).toBeGreaterThan(0);
      expect(all.find((p) => p.name === 'model_loaded')?.labels).toEqual({
        runtime: 'ollama',
        model: 'mistral:latest'
      });
      expect(all.some((p) => p.name === 'cpu_package_energy_joules_total')).toBe(true);
      expect(agent.output()).toMatch(/Energy: RAPL \(package-0\)/);
      const status = JSON.parse(
        (await request({ port: agent.port, headers: bearer(agent.token) })).body
      ) as AgentStatus;
      expect(status.energy).toMatchObject({
        sources: ['RAPL'],
        raplPackages: ['package-0'],
        gpus: [],
        disabled: false
      });
    } finally {
      stream.close();
      await agent.stop();
    }
  });

  it.each([
    [['--rapl-root', '/nonexistent'], false, /no readable RAPL energy counter/],
    [['--no-energy'], true, /--no-energy/]
  ])('says energy is not measured with %j', async (args, disabled, why) => {
    // No model runtime configured: /v1/status and the start-up line still say what is readable.
    const agent = await startAgent({ args });
    try {
      const status = JSON.parse(
        (await request({ port: agent.port, headers: bearer(agent.token) })).body
      ) as AgentStatus;
      expect(status.energy).toMatchObject({ sources: [], raplPackages: [], gpus: [], disabled });
      expect(status.energy?.summary).toMatch(/^not measured/);
      expect(status.energy?.summary).toMatch(why);
      expect(agent.output()).toMatch(/Energy: not measured/);
    } finally {
      await agent.stop();
    }
  });

  it('refuses a model target that is not on this machine', async () => {
    const { code, output } = await runAgentToExit(
      ['--port', '0', '--no-gpu', '--model-metrics', 'http://192.0.2.1:8000/metrics'],
      { TIDEMARK_AGENT_TOKEN: 'x'.repeat(43) }
    );
    expect(code).toBe(2);
    expect(output).toMatch(/not on this machine; add --allow-remote-models/);
  });
});
