/**
 * GPU series through nvidia-smi, with a fake `nvidia-smi` on PATH that prints what the real
 * one prints for `--query-gpu=… --format=csv,noheader,nounits --loop-ms=N`.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentPoint, AgentStatus } from '../../src/lib/types';
import {
  bearer,
  collectMessages,
  makeTempDir,
  openStream,
  pointsOf,
  request,
  startAgent,
  type RunningAgent
} from './helpers';

function fakeNvidiaSmi(script: string): string {
  const dir = makeTempDir();
  const file = path.join(dir, 'nvidia-smi');
  writeFileSync(file, `#!/bin/sh\n${script}\n`);
  chmodSync(file, 0o755);
  return dir;
}

async function gpuPoints(agent: RunningAgent, wantSamples: number): Promise<AgentPoint[]> {
  const stream = await openStream({
    port: agent.port,
    token: agent.token,
    path: '/v1/stream?after=0'
  });
  try {
    await stream.waitFor(
      (_, all) => collectMessages(all).filter((m) => m.kind === 'sample').length >= wantSamples
    );
    return collectMessages(stream.events)
      .flatMap(pointsOf)
      .filter((p) => p.name.startsWith('gpu_'));
  } finally {
    stream.close();
  }
}

describe('GPU sampling', () => {
  it('reports utilisation, memory, power and temperature per GPU, skipping [N/A] fields', async () => {
    const dir = fakeNvidiaSmi(
      [
        'case "$*" in *--query-gpu=index,name,utilization.gpu,memory.used,memory.total,power.draw,temperature.gpu*) ;; *) exit 3 ;; esac',
        'while true; do',
        '  echo "0, NVIDIA A10, 37, 1024, 23028, 61.50, 48"',
        '  echo "1, NVIDIA T4, [N/A], 512, 15360, [N/A], 40"',
        '  sleep 0.1',
        'done'
      ].join('\n')
    );
    const agent = await startAgent({
      gpu: true,
      args: ['--interval', '200'],
      env: { PATH: `${dir}${path.delimiter}${process.env.PATH}` }
    });
    try {
      const points = await gpuPoints(agent, 3);
      const last = (name: string, gpu: string): number | undefined =>
        points.filter((p) => p.name === name && p.labels.gpu === gpu).at(-1)?.v;
      expect(last('gpu_utilization_percent', '0')).toBe(37);
      expect(last('gpu_memory_used_bytes', '0')).toBe(1024 * 1024 * 1024);
      expect(last('gpu_memory_total_bytes', '0')).toBe(23028 * 1024 * 1024);
      expect(last('gpu_power_watts', '0')).toBe(61.5);
      expect(last('gpu_temperature_celsius', '0')).toBe(48);
      expect(last('gpu_utilization_percent', '1')).toBeUndefined();
      expect(last('gpu_power_watts', '1')).toBeUndefined();
      expect(last('gpu_memory_used_bytes', '1')).toBe(512 * 1024 * 1024);
      expect(points.find((p) => p.labels.gpu === '1')?.labels.model).toBe('NVIDIA T4');
      // /v1/status names the GPU that reports its power draw as an energy source (not GPU 1).
      const status = JSON.parse(
        (await request({ port: agent.port, headers: bearer(agent.token) })).body
      ) as AgentStatus;
      expect(status.energy?.gpus).toEqual(['0']);
      expect(status.energy?.sources).toContain('nvidia-smi');
      expect(status.energy?.summary).toContain('nvidia-smi (GPU 0)');
    } finally {
      await agent.stop();
    }
  });

  it('has no GPU series and no warnings when nvidia-smi is absent', async () => {
    const agent = await startAgent({
      gpu: true,
      args: ['--interval', '200'],
      env: { PATH: path.dirname(process.execPath) }
    });
    try {
      expect(await gpuPoints(agent, 2)).toEqual([]);
      expect(agent.output()).not.toMatch(/warning|nvidia/i);
    } finally {
      await agent.stop();
    }
  });

  it('warns once, not every tick, when nvidia-smi fails', async () => {
    const dir = fakeNvidiaSmi('echo "NVIDIA-SMI has failed" >&2; exit 9');
    const agent = await startAgent({
      gpu: true,
      args: ['--interval', '100'],
      env: { PATH: `${dir}${path.delimiter}${process.env.PATH}` }
    });
    try {
      expect(await gpuPoints(agent, 5)).toEqual([]);
      expect(agent.output().match(/nvidia-smi exited/g)).toHaveLength(1);
    } finally {
      await agent.stop();
    }
  });
});
