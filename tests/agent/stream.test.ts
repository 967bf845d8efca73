/**
 * Sampling, POSTs and the SSE stream against the real agent: series names and plausible
 * values, events and metrics appearing with their seq, resume exactly once, gap messages.
 */
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentMessage, AgentPoint } from '../../src/lib/types';
import {
  bearer,
  actionOf,
  collectMessages,
  pointsOf,
  openStream,
  request,
  startAgent,
  type RunningAgent
} from './helpers';

const BufferSize = 50;
let agent: RunningAgent;

beforeAll(async () => {
  agent = await startAgent({ args: ['--interval', '200', '--buffer', String(BufferSize)] });
});

afterAll(async () => {
  await agent?.stop();
});

function post(path: string, body: string): ReturnType<typeof request> {
  return request({
    port: agent.port,
    method: 'POST',
    path,
    headers: { 'Content-Type': 'text/plain', ...bearer(agent.token) },
    body
  });
}

function ndjson(n: number, tag: string): string {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({ t: 1_700_000_000_000 + i, actionType: tag, status: 'success', durationMs: i })
  ).join('\n');
}

async function status(): Promise<{ firstSeq: number; lastSeq: number }> {
  const res = await request({ port: agent.port, headers: bearer(agent.token) });
  return JSON.parse(res.body);
}

describe('host sampling', () => {
  it('streams samples with the expected series and plausible values', async () => {
    const stream = await openStream({ port: agent.port, token: agent.token });
    try {
      // The second sample onwards carries rates (CPU %, disk and network per second); load
      // averages and the process count come at most once a second (SamplerDefaults.slowEveryMs).
      await stream.waitFor((_, all) => {
        const seen = new Set(
          collectMessages(all)
            .filter((m) => m.kind === 'sample')
            .flatMap((m) => pointsOf(m).map((p) => p.name))
        );
        return ['cpu_usage_percent', 'load_average_1m', 'processes'].every((n) => seen.has(n));
      });
      const samples = collectMessages(stream.events).filter((m) => m.kind === 'sample') as Extract<
        AgentMessage,
        { kind: 'sample' }
      >[];
      const points = samples.flatMap((s) => s.points);
      const names = new Set(points.map((p) => p.name));
      for (const name of [
        'cpu_usage_percent',
        'load_average_1m',
        'load_average_5m',
        'load_average_15m',
        'memory_used_bytes',
        'memory_available_bytes',
        'memory_total_bytes',
        'swap_total_bytes',
        'swap_used_bytes',
        'processes'
      ]) {
        expect(names, name).toContain(name);
      }
      const cpu = points.filter((p) => p.name === 'cpu_usage_percent');
      const cores = new Set(cpu.map((p) => p.labels.cpu));
      expect(cores).toContain('total');
      expect(cores.size).toBe(os.cpus().length + 1);
      for (const p of cpu) {
        expect(p.v).toBeGreaterThanOrEqual(0);
        expect(p.v).toBeLessThanOrEqual(100);
        expect(p).toMatchObject({ unit: '%', kind: 'gauge', category: 'system' });
      }
      const total = points.find((p) => p.name === 'memory_total_bytes') as AgentPoint;
      // /proc/meminfo's MemTotal excludes kernel-reserved memory, like os.totalmem().
      expect(total.v).toBe(os.totalmem());
      const used = points.find((p) => p.name === 'memory_used_bytes') as AgentPoint;
      expect(used.v).toBeGreaterThan(0);
      expect(used.v).toBeLessThan(total.v);
      const processes = points.find((p) => p.name === 'processes') as AgentPoint;
      expect(processes.v).toBeGreaterThan(1);
      for (const p of points) {
        expect(Number.isFinite(p.v)).toBe(true);
        expect(p.t).toBe(samples.find((s) => s.points.includes(p))?.t);
      }
    } finally {
      stream.close();
    }
  });

  it('reports filesystem space and per-device rates where the machine has them', async () => {
    const stream = await openStream({
      port: agent.port,
      token: agent.token,
      path: '/v1/stream?after=0'
    });
    try {
      await stream.waitFor((e) => e.event === 'batch');
      const points = collectMessages(stream.events)
        .filter((m) => m.kind === 'sample')
        .flatMap(pointsOf);
      const fsSize = points.filter((p) => p.name === 'filesystem_size_bytes');
      // The first sample always includes filesystems; it may have left the 50-message ring.
      for (const p of fsSize) {
        const free = points.find(
          (q) =>
            q.name === 'filesystem_free_bytes' && q.labels.mount === p.labels.mount && q.t === p.t
        ) as AgentPoint;
        expect(free.v).toBeLessThanOrEqual(p.v);
      }
      for (const p of points.filter((q) => q.name.endsWith('_per_second'))) {
        expect(p.v).toBeGreaterThanOrEqual(0);
      }
    } finally {
      stream.close();
    }
  });
});

describe('POST /v1/events', () => {
  it('accepts NDJSON and streams each event with its seq', async () => {
    const stream = await openStream({ port: agent.port, token: agent.token });
    try {
      await stream.waitFor((e) => e.event === 'hello');
      const res = await post('/v1/events', ndjson(5, 'ndjson-test'));
      expect(res.status).toBe(202);
      const body = JSON.parse(res.body);
      expect(body.accepted).toBe(5);
      expect(body.lastSeq - body.firstSeq).toBe(4);
      await stream.waitFor((_, all) => collectMessages(all).some((m) => m.seq === body.lastSeq));
      const events = collectMessages(stream.events).filter((m) => m.kind === 'event');
      const mine = events.filter((m) => actionOf(m) === 'ndjson-test');
      expect(mine.map((m) => m.seq)).toEqual([0, 1, 2, 3, 4].map((i) => body.firstSeq + i));
      expect(mine.map((m) => (m.kind === 'event' ? m.event.durationMs : -1))).toEqual([
        0, 1, 2, 3, 4
      ]);
    } finally {
      stream.close();
    }
  });

  it('accepts a JSON array of tracking calls and normalises them', async () => {
    const stream = await openStream({ port: agent.port, token: agent.token });
    try {
      await stream.waitFor((e) => e.event === 'hello');
      const res = await post(
        '/v1/events',
        JSON.stringify([
          {
            type: 'model_process',
            t: 1_700_000_000_000,
            model: 'llama-3-8b',
            tokens: 200,
            promptTokens: 50,
            ttftMs: 120,
            durationMs: 4000,
            energyJoules: 100
          },
          { type: 'api_request', method: 'post', route: '/chat', status: 503, durationMs: 30 },
          { type: 'error', message: 'boom', stack: 'at x' },
          { type: 'system_metrics', metrics: { queue_depth: 7 }, labels: { queue: 'a' } }
        ])
      );
      expect(res.status).toBe(202);
      const { firstSeq, lastSeq } = JSON.parse(res.body);
      await stream.waitFor((_, all) => collectMessages(all).some((m) => m.seq === lastSeq));
      const mine = collectMessages(stream.events).filter((m) => m.seq >= firstSeq);
      expect(mine.map((m) => m.kind)).toEqual(['event', 'event', 'event', 'point']);
      const model = mine[0] as Extract<AgentMessage, { kind: 'event' }>;
      expect(model.event).toMatchObject({ actionType: 'model_process', durationMs: 4000 });
      const tps = model.points.find((p) => p.name === 'model_tokens_per_second');
      expect(tps?.v).toBe(50);
      expect(tps?.labels).toEqual({ model: 'llama-3-8b' });
      expect(model.points.find((p) => p.name === 'model_tokens_per_joule')?.v).toBe(2);
      const api = mine[1] as Extract<AgentMessage, { kind: 'event' }>;
      expect(api.event.status).toBe('error');
      expect(api.points[0]).toMatchObject({
        name: 'api_request_duration_ms',
        labels: { method: 'POST', route: '/chat', status_class: '5xx' },
        v: 30
      });
      const err = mine[2] as Extract<AgentMessage, { kind: 'event' }>;
      expect(err.event).toMatchObject({ status: 'error', errorMessage: 'boom' });
      const metric = mine[3] as Extract<AgentMessage, { kind: 'point' }>;
      expect(metric.points).toEqual([
        expect.objectContaining({ name: 'queue_depth', labels: { queue: 'a' }, v: 7 })
      ]);
    } finally {
      stream.close();
    }
  });

  it.each([
    ['bad JSON on line 3', '{"actionType":"a","status":"ok","durationMs":1}\n\n{oops\n', 3],
    [
      'missing status on line 2',
      '{"actionType":"a","status":"ok","durationMs":1}\n{"actionType":"a","durationMs":1}',
      2
    ],
    ['unknown type on line 1', '{"type":"nope"}', 1],
    ['JSON bomb', '['.repeat(1_000_000), 1],
    [
      'deep context on line 2',
      '\n{"actionType":"a","status":"ok","durationMs":1,"context":' +
        '{"a":'.repeat(3000) +
        '1' +
        '}'.repeat(3001),
      2
    ],
    [
      'negative duration in an array',
      '[\n{"actionType":"a","status":"ok","durationMs":1},\n{"actionType":"a","status":"ok","durationMs":-1}\n]',
      3
    ]
  ])('400 with the line of the first bad record: %s', async (_, body, line) => {
    const before = await status();
    const res = await post('/v1/events', body);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).line).toBe(line);
    // All-or-nothing: a rejected body adds nothing to the ring (samples aside).
    const after = await status();
    const stream = await openStream({
      port: agent.port,
      token: agent.token,
      path: `/v1/stream?after=${before.lastSeq}`
    });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const kinds = collectMessages(stream.events).map((m) => m.kind);
      expect(kinds.every((k) => k === 'sample')).toBe(true);
    } finally {
      stream.close();
    }
    expect(after.lastSeq).toBeGreaterThanOrEqual(before.lastSeq);
  });
});

describe('POST /v1/metrics', () => {
  it.each([
    ['prometheus', '', '# HELP up Up.\n# TYPE up gauge\nup{job="a"} 1 1700000000000\n'],
    ['influx', '', 'cpu,host=a usage=0.5,idle=99i 1700000000000000000\n'],
    ['influx', '?format=influx', 'mem free=1\n']
  ])('streams a %s text (query %j)', async (format, query, text) => {
    const stream = await openStream({ port: agent.port, token: agent.token });
    try {
      await stream.waitFor((e) => e.event === 'hello');
      const res = await post(`/v1/metrics${query}`, text);
      expect(res.status).toBe(202);
      const body = JSON.parse(res.body);
      expect(body.format).toBe(format);
      expect(body.firstSeq).toBe(body.lastSeq);
      await stream.waitFor((_, all) => collectMessages(all).some((m) => m.seq === body.lastSeq));
      const msg = collectMessages(stream.events).find((m) => m.seq === body.lastSeq);
      expect(msg).toMatchObject({ kind: 'metrics', format, text });
    } finally {
      stream.close();
    }
  });

  it.each([
    ['?format=prometheus', 'up 1\nup{job="a"} notanumber\n', 2],
    ['?format=influx', 'cpu usage=1\ncpu\n', 2],
    ['', 'up 1\n\n# comment\nthis is not metrics\n', 4]
  ])('400 with the bad line number (%s)', async (query, text, line) => {
    const res = await post(`/v1/metrics${query}`, text);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).line).toBe(line);
  });

  it('400 on an unknown format', async () => {
    expect((await post('/v1/metrics?format=csv', 'a,b')).status).toBe(400);
  });
});

describe('resume', () => {
  it('gives a reconnecting page what it missed, exactly once (after=)', async () => {
    const first = await openStream({ port: agent.port, token: agent.token });
    const a = JSON.parse((await post('/v1/events', ndjson(3, 'resume-a'))).body);
    await first.waitFor((_, all) => collectMessages(all).some((m) => m.seq === a.lastSeq));
    const seen = collectMessages(first.events);
    const lastSeen = seen[seen.length - 1].seq;
    first.close();

    // Closed page: messages arrive meanwhile.
    const b = JSON.parse((await post('/v1/events', ndjson(4, 'resume-b'))).body);
    const second = await openStream({
      port: agent.port,
      token: agent.token,
      path: `/v1/stream?after=${lastSeen}`
    });
    try {
      await second.waitFor((_, all) => collectMessages(all).some((m) => m.seq === b.lastSeq));
      const resumed = collectMessages(second.events);
      expect(second.events.some((e) => e.event === 'gap')).toBe(false);
      const seqs = resumed.map((m) => m.seq);
      expect(seqs[0]).toBe(lastSeen + 1);
      // Contiguous, strictly increasing: nothing missed, nothing twice.
      seqs.forEach((s, i) => expect(s).toBe(lastSeen + 1 + i));
      const bEvents = resumed.filter((m) => m.kind === 'event' && actionOf(m) === 'resume-b');
      expect(bEvents.map((m) => m.seq)).toEqual([0, 1, 2, 3].map((i) => b.firstSeq + i));
      expect(resumed.some((m) => actionOf(m) === 'resume-a')).toBe(false);
    } finally {
      second.close();
    }
  });

  it('resumes from Last-Event-ID the same way', async () => {
    const a = JSON.parse((await post('/v1/events', ndjson(2, 'leid-a'))).body);
    const b = JSON.parse((await post('/v1/events', ndjson(2, 'leid-b'))).body);
    const stream = await openStream({
      port: agent.port,
      token: agent.token,
      headers: { 'Last-Event-ID': String(a.lastSeq) }
    });
    try {
      await stream.waitFor((_, all) => collectMessages(all).some((m) => m.seq === b.lastSeq));
      const seqs = collectMessages(stream.events).map((m) => m.seq);
      expect(seqs[0]).toBe(a.lastSeq + 1);
      expect(new Set(seqs).size).toBe(seqs.length);
    } finally {
      stream.close();
    }
  });

  it('the SSE id of each batch is the last seq it carries', async () => {
    const stream = await openStream({ port: agent.port, token: agent.token });
    try {
      await post('/v1/events', ndjson(10, 'ids'));
      await stream.waitFor((e) => e.event === 'batch');
      for (const e of stream.events.filter((x) => x.event === 'batch')) {
        const msgs = JSON.parse(e.data).messages as { seq: number }[];
        expect(Number(e.id)).toBe(msgs[msgs.length - 1].seq);
      }
    } finally {
      stream.close();
    }
  });

  it('400 on a non-numeric after', async () => {
    const res = await request({
      port: agent.port,
      path: '/v1/stream?after=abc',
      headers: bearer(agent.token)
    });
    expect(res.status).toBe(400);
  });
});

describe('ring buffer gap', () => {
  it('says which seq is the first still available when the page fell off the buffer', async () => {
    const a = JSON.parse((await post('/v1/events', ndjson(1, 'gap-a'))).body);
    const b = JSON.parse((await post('/v1/events', ndjson(BufferSize * 2, 'gap-b'))).body);
    const stream = await openStream({
      port: agent.port,
      token: agent.token,
      path: `/v1/stream?after=${a.lastSeq}`
    });
    try {
      const gap = await stream.waitFor((e) => e.event === 'gap');
      const { after, firstAvailableSeq } = JSON.parse(gap.data);
      expect(after).toBe(a.lastSeq);
      expect(firstAvailableSeq).toBeGreaterThan(a.lastSeq + 1);
      expect(firstAvailableSeq).toBeLessThanOrEqual(b.lastSeq - BufferSize + 1 + 5);
      await stream.waitFor((_, all) => collectMessages(all).some((m) => m.seq === b.lastSeq));
      const seqs = collectMessages(stream.events).map((m) => m.seq);
      expect(seqs[0]).toBe(firstAvailableSeq);
      seqs.forEach((s, i) => expect(s).toBe(firstAvailableSeq + i));
      // The gap comes before any message.
      const order = stream.events.map((e) => e.event).filter((e) => e !== 'heartbeat');
      expect(order.indexOf('gap')).toBeLessThan(order.indexOf('batch'));
    } finally {
      stream.close();
    }
  });

  it('coalesces many messages into few SSE events', async () => {
    const stream = await openStream({ port: agent.port, token: agent.token });
    try {
      await stream.waitFor((e) => e.event === 'hello');
      const b = JSON.parse((await post('/v1/events', ndjson(BufferSize - 5, 'burst'))).body);
      await stream.waitFor((_, all) => collectMessages(all).some((m) => m.seq === b.lastSeq));
      const batches = stream.events.filter((e) => e.event === 'batch');
      expect(batches.length).toBeLessThan(10);
      expect(collectMessages(stream.events).filter((m) => m.kind === 'event')).toHaveLength(
        BufferSize - 5
      );
    } finally {
      stream.close();
    }
  });
});
