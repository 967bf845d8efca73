/**
 * `GET /metrics` for scrapers (the Prometheus text format passes `promtool check metrics`; the
 * OpenMetrics form passes Tidemark's strict reader), its optional token, and OTLP JSON on
 * `POST /v1/metrics`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMetricFile } from '../../src/lib/ingest';
import { promtool } from '../interop/engines';
import {
  bearer,
  makeTempDir,
  makeToken,
  readBuffered,
  RepoRoot,
  request,
  startAgent,
  type RunningAgent
} from './helpers';

/** Polls `/metrics` until it holds a host series (the first samples take a tick or two). */
async function scrape(
  agent: RunningAgent,
  headers: Record<string, string> = {}
): Promise<{ status: number; type: string; body: string }> {
  for (;;) {
    const res = await request({ port: agent.port, path: '/metrics', headers });
    if (res.status !== 200 || /memory_total_bytes/.test(res.body))
      return { status: res.status, type: String(res.headers['content-type']), body: res.body };
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('GET /metrics', () => {
  let agent: RunningAgent;
  const metricsToken = makeToken();
  beforeAll(async () => {
    agent = await startAgent({
      args: ['--interval', '100', '--forward-dir', makeTempDir()],
      env: { TIDEMARK_METRICS_TOKEN: metricsToken }
    });
  });
  afterAll(() => agent.stop());

  it('serves Prometheus text 0.0.4 that promtool check metrics passes', async () => {
    const res = await scrape(agent, bearer(metricsToken));
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toMatch(/^# TYPE memory_total_bytes gauge$/m);
    expect(res.body).toMatch(/^tidemark_agent_buffer_evicted_total 0$/m);
    const lint = spawnSync(promtool, ['check', 'metrics'], { input: res.body, encoding: 'utf8' });
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
  });

  it('serves OpenMetrics to a scraper that asks for it, which the strict reader accepts', async () => {
    const res = await scrape(agent, {
      ...bearer(metricsToken),
      Accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5'
    });
    expect(res.type).toMatch(/^application\/openmetrics-text; version=1\.0\.0/);
    expect(res.body.endsWith('# EOF\n')).toBe(true);
    expect(res.body).toMatch(/^# TYPE tidemark_agent_buffer_evicted counter$/m);
    expect(res.body).toMatch(/^# UNIT memory_total_bytes bytes$/m);
    const strict = await parseMetricFile('scrape.om', new TextEncoder().encode(res.body), {
      format: 'openmetrics',
      defaultTimestamp: 0
    });
    expect(strict.errors).toEqual([]);
    expect(strict.points).toBeGreaterThan(3);
  });

  it('with --metrics-token, refuses a scrape without it; the pairing token works too', async () => {
    expect((await request({ port: agent.port, path: '/metrics' })).status).toBe(401);
    expect(
      (await request({ port: agent.port, path: '/metrics', headers: bearer('x'.repeat(43)) }))
        .status
    ).toBe(401);
    expect((await scrape(agent, bearer(agent.token))).status).toBe(200);
  });

  it('is open on loopback when no metrics token is set', async () => {
    const open = await startAgent({ args: ['--forward-dir', makeTempDir()] });
    try {
      expect((await scrape(open)).status).toBe(200);
    } finally {
      await open.stop();
    }
  });
});

describe('POST /v1/metrics with OTLP JSON', () => {
  it('accepts an OTLP JSON request, counting its data points, and streams it to the page', async () => {
    const agent = await startAgent({ args: ['--forward-dir', makeTempDir()] });
    try {
      const body = readFileSync(
        path.join(RepoRoot, 'tests', 'fixtures', 'otlp', 'otel-histograms-delta.otlp.json'),
        'utf8'
      );
      const res = await request({
        port: agent.port,
        method: 'POST',
        path: '/v1/metrics',
        headers: { ...bearer(agent.token), 'Content-Type': 'application/json' },
        body
      });
      expect(res.status).toBe(202);
      expect(JSON.parse(res.body)).toMatchObject({ accepted: 40, format: 'otlp-json' });
      const messages = await readBuffered(agent, (all) => all.some((m) => m.kind === 'metrics'));
      expect(messages.find((x) => x.kind === 'metrics')).toMatchObject({
        format: 'otlp-json',
        text: body
      });
      const bad = await request({
        port: agent.port,
        method: 'POST',
        path: '/v1/metrics',
        headers: { ...bearer(agent.token), 'Content-Type': 'application/json' },
        body: '{"resourceMetrics": 5}'
      });
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.body).message).toMatch(/resourceMetrics/);
    } finally {
      await agent.stop();
    }
  });
});
