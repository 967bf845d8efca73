/**
 * `--otlp`: the agent forwards its samples as OTLP/HTTP JSON. The receiver here is a plain
 * HTTP server on loopback standing in for a Collector's OTLP/HTTP receiver; what it gets is
 * read with Tidemark's own OTLP reader. It answers 503 at first: the batches wait and arrive.
 */
import http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMetricFile } from '../../src/lib/ingest';
import { bearer, makeTempDir, request, startAgent, type RunningAgent } from './helpers';

describe('OTLP/HTTP JSON forwarding', () => {
  const received: { type: string | undefined; body: string }[] = [];
  let refused = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (refused < 2 || req.url !== '/v1/metrics') {
        refused++;
        res.writeHead(503).end();
        return;
      }
      received.push({ type: req.headers['content-type'], body });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  let agent: RunningAgent | undefined;
  afterAll(async () => {
    await agent?.stop();
    server.close();
  });

  it('delivers OTLP JSON that a reader takes, after the receiver refused the first tries', async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    agent = await startAgent({
      args: [
        '--interval',
        '200',
        '--otlp',
        `http://127.0.0.1:${port}/v1/metrics`,
        '--forward-dir',
        makeTempDir()
      ]
    });
    while (received.length < 2) await new Promise((r) => setTimeout(r, 100));
    expect(refused).toBe(2);
    expect(received[0].type).toBe('application/json');
    const parsed = await parseMetricFile(
      'forwarded.otlp.json',
      new TextEncoder().encode(received[0].body)
    );
    expect(JSON.parse(received[0].body)).toHaveProperty('resourceMetrics');
    expect(parsed.errors).toEqual([]);
    const memory = parsed.series.find((s) => s.name === 'memory_total_bytes');
    expect(memory?.labels.instance).toBeTruthy();
    expect(memory!.points).toBeGreaterThan(0);
  });

  it('forwards what programs push too: a Prometheus text posted to /v1/metrics', async () => {
    const a = agent!;
    const res = await request({
      port: a.port,
      method: 'POST',
      path: '/v1/metrics',
      headers: bearer(a.token),
      body: '# TYPE model_tokens counter\nmodel_tokens_total{model="m"} 42\n'
    });
    expect(res.status).toBe(202);
    for (;;) {
      const hit = received.find((r) => r.body.includes('model_tokens_total'));
      if (hit !== undefined) {
        const parsed = await parseMetricFile(
          'pushed.otlp.json',
          new TextEncoder().encode(hit.body)
        );
        const s = parsed.series.find((x) => x.name === 'model_tokens_total');
        expect(s?.labels).toMatchObject({ model: 'm' });
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
