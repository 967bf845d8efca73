import { describe, expect, it } from 'vitest';
import type { AgentMessage, AgentPoint } from '$lib/types';
import { AgentStreamState, convertAgentMessages } from './agent-messages';

const point = (
  name: string,
  t: number,
  v: number,
  labels: Record<string, string> = {}
): AgentPoint => ({
  name,
  labels,
  unit: '%',
  kind: 'gauge',
  category: 'system',
  t,
  v
});

describe('convertAgentMessages', () => {
  it('returns nothing for no messages', () => {
    expect(convertAgentMessages([])).toEqual({ batches: [], events: [], points: 0, errors: 0 });
  });

  it('groups points per series (labels in any order), sorted by time, source agent', () => {
    const messages: AgentMessage[] = [
      {
        seq: 2,
        kind: 'sample',
        t: 2000,
        points: [point('cpu', 2000, 20, { cpu: '0', host: 'a' }), point('load', 2000, 1)]
      },
      {
        seq: 1,
        kind: 'sample',
        t: 1000,
        points: [point('cpu', 1000, 10, { host: 'a', cpu: '0' })]
      }
    ];
    const out = convertAgentMessages(messages);
    expect(out.points).toBe(3);
    const cpu = out.batches.find((b) => b.series.name === 'cpu')!;
    expect([...cpu.t]).toEqual([1000, 2000]);
    expect([...cpu.v]).toEqual([10, 20]);
    expect(cpu.series).toMatchObject({ source: 'agent', category: 'system', unit: '%' });
    expect(out.batches).toHaveLength(2);
  });

  it('keeps events and their points, and the category the agent gave', () => {
    const out = convertAgentMessages([
      {
        seq: 5,
        kind: 'event',
        t: 3000,
        event: { t: 3000, actionType: 'model_process', status: 'success', durationMs: 840 },
        points: [
          { ...point('model_tokens_per_second', 3000, 42, { model: 'm' }), category: 'model' }
        ]
      }
    ]);
    expect(out.events).toEqual([
      { t: 3000, actionType: 'model_process', status: 'success', durationMs: 840 }
    ]);
    expect(out.batches[0].series).toMatchObject({
      name: 'model_tokens_per_second',
      category: 'model'
    });
  });

  it('parses forwarded Prometheus and Influx texts; samples without time take the message time', () => {
    const out = convertAgentMessages([
      {
        seq: 7,
        kind: 'metrics',
        t: 5000,
        format: 'prometheus',
        text: '# TYPE tokens_per_second gauge\ntokens_per_second{model="m"} 41.5\n'
      },
      {
        seq: 8,
        kind: 'metrics',
        t: 6000,
        format: 'influx',
        text: 'gpu,gpu=0 power_watts=120 1700000006000000000\n'
      }
    ]);
    const tps = out.batches.find((b) => b.series.name === 'tokens_per_second')!;
    expect([...tps.t]).toEqual([5000]);
    expect([...tps.v]).toEqual([41.5]);
    expect(tps.series.source).toBe('agent');
    const power = out.batches.find((b) => b.series.name.includes('power_watts'))!;
    expect([...power.t]).toEqual([1_700_000_006_000]);
    expect([...power.v]).toEqual([120]);
    expect(out.points).toBe(2);
  });

  it('joins the runs of many series across messages, and keeps arrival order on equal times', () => {
    const text = (v: number) =>
      Array.from({ length: 1000 }, (_, i) => `node_cpu_seconds_total{cpu="${i}"} ${v + i}`).join(
        '\n'
      ) + '\n';
    const out = convertAgentMessages([
      { seq: 1, kind: 'metrics', t: 1000, format: 'prometheus', text: text(0) },
      { seq: 2, kind: 'metrics', t: 2000, format: 'prometheus', text: text(5000) },
      {
        seq: 3,
        kind: 'sample',
        t: 2000,
        points: [point('node_cpu_seconds_total', 1500, 7, { cpu: '3' })]
      },
      {
        seq: 4,
        kind: 'sample',
        t: 2000,
        points: [point('node_cpu_seconds_total', 1500, 8, { cpu: '3' })]
      }
    ]);
    expect(out.batches).toHaveLength(1000);
    expect(out.points).toBe(2002);
    const c3 = out.batches.find((b) => b.series.labels.cpu === '3')!;
    expect([...c3.t]).toEqual([1000, 1500, 1500, 2000]);
    expect([...c3.v]).toEqual([3, 7, 8, 5003]);
    const c999 = out.batches.find((b) => b.series.labels.cpu === '999')!;
    expect([...c999.v]).toEqual([999, 5999]);
  });

  it('gives the same with a stream state kept across calls, reusing each series’ descriptor', () => {
    const text = (v: number) =>
      '# TYPE node_cpu_seconds_total counter\n' +
      Array.from({ length: 50 }, (_, i) => `node_cpu_seconds_total{cpu="${i}"} ${v + i}`).join(
        '\n'
      ) +
      '\nup 1\n';
    const calls: AgentMessage[][] = [
      [{ seq: 1, kind: 'metrics', t: 1000, format: 'prometheus', text: text(0) }],
      [
        { seq: 2, kind: 'metrics', t: 2000, format: 'prometheus', text: text(10) },
        { seq: 3, kind: 'metrics', t: 3000, format: 'influx', text: 'cpu,host=a usage=5\n' },
        { seq: 4, kind: 'sample', t: 3000, points: [point('load', 3000, 1)] }
      ],
      [{ seq: 5, kind: 'metrics', t: 4000, format: 'prometheus', text: text(20) }]
    ];
    const state = new AgentStreamState();
    const outs = calls.map((m) => [convertAgentMessages(m, state), convertAgentMessages(m)]);
    for (const [kept, fresh] of outs) expect(kept).toEqual(fresh);
    const up = (k: number) => outs[k][0].batches.find((b) => b.series.name === 'up')!.series;
    expect(up(2)).toBe(up(0));
    expect(up(0).source).toBe('agent');
    expect(outs[0][0].batches[0].series.kind).toBe('counter');
  });
});
