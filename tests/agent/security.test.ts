/**
 * RELIABILITY.md rows 11–14 against the real agent process: Host allow-list, Origin
 * allow-list and private-network preflight, stream hijack, token checks, body cap.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, openStream, request, startAgent, type RunningAgent } from './helpers';

const AllowedOrigin = 'http://127.0.0.1:4173';
const SecondOrigin = 'https://tidemark.example';

let agent: RunningAgent;

beforeAll(async () => {
  agent = await startAgent({
    args: ['--origin', AllowedOrigin, '--origin', SecondOrigin, '--interval', '1000']
  });
});

afterAll(async () => {
  await agent?.stop();
});

describe('Host allow-list (DNS rebinding)', () => {
  it.each([
    ['127.0.0.1:P', 200],
    ['localhost:P', 200],
    ['LOCALHOST:P', 200],
    ['[::1]:P', 200],
    ['', 403],
    ['evil.example:P', 403],
    ['127.0.0.1.nip.io:P', 403],
    ['localhost.evil.example:P', 403],
    ['127.0.0.1', 403],
    ['localhost', 403],
    ['127.0.0.1:1', 403],
    ['127.0.0.2:P', 403],
    ['0.0.0.0:P', 403]
  ])('Host %j → %i', async (hostTemplate, expected) => {
    const host = hostTemplate.replace('P', String(agent.port));
    const res = await request({
      port: agent.port,
      headers: { Host: host, ...bearer(agent.token) }
    });
    expect(res.status).toBe(expected);
    if (expected === 403) {
      expect(JSON.parse(res.body).error).toBe('host not allowed');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('rejects a bad Host before routing or auth (no token, unknown path → still 403)', async () => {
    const res = await request({
      port: agent.port,
      path: '/does-not-exist',
      headers: { Host: `evil.example:${agent.port}` }
    });
    expect(res.status).toBe(403);
  });
});

describe('Origin allow-list and CORS', () => {
  it.each([AllowedOrigin, SecondOrigin])('echoes the allowed origin %s exactly', async (origin) => {
    const res = await request({
      port: agent.port,
      headers: { Origin: origin, ...bearer(agent.token) }
    });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(origin);
    expect(res.headers.vary).toMatch(/\bOrigin\b/);
  });

  it.each([
    'https://evil.example',
    'http://127.0.0.1:4174',
    'http://localhost:4173',
    'http://127.0.0.1:4173/',
    'null',
    ''
  ])('refuses foreign Origin %j with 403 and no CORS grant', async (origin) => {
    const res = await request({
      port: agent.port,
      headers: { Origin: origin, ...bearer(agent.token) }
    });
    expect(res.status).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers.vary).toMatch(/\bOrigin\b/);
  });

  it('never answers with a wildcard origin', async () => {
    const res = await request({
      port: agent.port,
      headers: { Origin: AllowedOrigin, ...bearer(agent.token) }
    });
    expect(res.headers['access-control-allow-origin']).not.toBe('*');
  });

  it('answers a private-network preflight from an allowed origin', async () => {
    const res = await request({
      port: agent.port,
      method: 'OPTIONS',
      path: '/v1/stream',
      headers: {
        Origin: AllowedOrigin,
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization',
        'Access-Control-Request-Private-Network': 'true'
      }
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(AllowedOrigin);
    expect(res.headers['access-control-allow-private-network']).toBe('true');
    expect(res.headers['access-control-allow-headers']).toMatch(/Authorization/);
    expect(res.headers.vary).toMatch(/\bOrigin\b/);
  });

  it('does not grant private-network access unless asked', async () => {
    const res = await request({
      port: agent.port,
      method: 'OPTIONS',
      path: '/v1/events',
      headers: { Origin: AllowedOrigin, 'Access-Control-Request-Method': 'POST' }
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-private-network']).toBeUndefined();
  });

  it('refuses a preflight from a foreign origin', async () => {
    const res = await request({
      port: agent.port,
      method: 'OPTIONS',
      path: '/v1/stream',
      headers: {
        Origin: 'https://evil.example',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Private-Network': 'true'
      }
    });
    expect(res.status).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-private-network']).toBeUndefined();
  });

  it('lets a program without Origin POST with the token', async () => {
    const res = await request({
      port: agent.port,
      method: 'POST',
      path: '/v1/events',
      headers: { 'Content-Type': 'application/x-ndjson', ...bearer(agent.token) },
      body: '{"t":1700000000000,"actionType":"build","status":"success","durationMs":12}\n'
    });
    expect(res.status).toBe(202);
    expect(JSON.parse(res.body).accepted).toBe(1);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('token', () => {
  it.each([
    ['missing', {}],
    ['wrong', bearer('x'.repeat(43))],
    ['empty bearer', { Authorization: 'Bearer ' }],
    ['basic scheme', { Authorization: 'Basic dXNlcjpwYXNz' }],
    ['token with a suffix', { Authorization: '' }]
  ])('%s → 401', async (label, headers) => {
    const h = label === 'token with a suffix' ? bearer(agent.token + 'x') : headers;
    const res = await request({ port: agent.port, headers: h as Record<string, string> });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('truncated token → 401', async () => {
    const res = await request({ port: agent.port, headers: bearer(agent.token.slice(0, -1)) });
    expect(res.status).toBe(401);
  });

  it.each(['token', 'access_token', 'api_key'])(
    'never accepts the token in the URL (?%s=)',
    async (param) => {
      const res = await request({
        port: agent.port,
        path: `/v1/status?${param}=${encodeURIComponent(agent.token)}`
      });
      expect(res.status).toBe(400);
      expect(res.body).not.toContain(agent.token);
      // Even together with a valid header, a URL token is refused rather than ignored.
      const both = await request({
        port: agent.port,
        path: `/v1/stream?${param}=${encodeURIComponent(agent.token)}`,
        headers: bearer(agent.token)
      });
      expect(both.status).toBe(400);
    }
  );

  it('status with the token describes the agent', async () => {
    const res = await request({ port: agent.port, headers: bearer(agent.token) });
    expect(res.status).toBe(200);
    const status = JSON.parse(res.body);
    expect(status).toMatchObject({
      intervalMs: 1000,
      bufferSize: 1_000_000,
      bufferMaxAgeMs: 120_000,
      bufferMaxBytes: 64 * 1024 * 1024,
      subscribers: []
    });
    expect(typeof status.version).toBe('string');
    expect(status.hostname.length).toBeGreaterThan(0);
    expect(status.lastSeq).toBeGreaterThanOrEqual(status.firstSeq - 1);
    expect(Array.isArray(status.samples)).toBe(true);
  });
});

describe('stream hijack', () => {
  it('refuses a stream without a token', async () => {
    const res = await request({ port: agent.port, path: '/v1/stream' });
    expect(res.status).toBe(401);
    expect(res.body).not.toContain('event:');
  });

  it('refuses a stream with a valid token but a foreign Origin', async () => {
    const res = await request({
      port: agent.port,
      path: '/v1/stream',
      headers: { Origin: 'https://evil.example', ...bearer(agent.token) }
    });
    expect(res.status).toBe(403);
  });

  it('opens a stream with the token and an allowed Origin', async () => {
    const stream = await openStream({
      port: agent.port,
      token: agent.token,
      headers: { Origin: AllowedOrigin }
    });
    try {
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(stream.headers['access-control-allow-origin']).toBe(AllowedOrigin);
      await stream.waitFor((e) => e.event === 'hello');
    } finally {
      stream.close();
    }
  });
});

describe('request body cap', () => {
  const cap = 8 * 1024 * 1024;

  it('413 on a declared Content-Length over 8 MiB', async () => {
    const res = await request({
      port: agent.port,
      method: 'POST',
      path: '/v1/events',
      headers: bearer(agent.token),
      body: Buffer.alloc(cap + 1, 0x20)
    });
    expect(res.status).toBe(413);
  });

  it('413 on a chunked body that grows past 8 MiB', async () => {
    const res = await request({
      port: agent.port,
      method: 'POST',
      path: '/v1/metrics',
      headers: bearer(agent.token),
      body: Buffer.alloc(cap + 64 * 1024, 0x20),
      chunked: true
    });
    expect(res.status).toBe(413);
  });

  it('answers 413 and cuts an upload that never ends', async () => {
    const result = await new Promise<{ status: number; closed: boolean }>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port: agent.port,
        method: 'POST',
        path: '/v1/events',
        headers: { Host: `127.0.0.1:${agent.port}`, ...bearer(agent.token) },
        setHost: false,
        agent: false
      });
      const chunk = Buffer.alloc(256 * 1024, 0x20);
      const pump = setInterval(() => req.write(chunk), 5);
      req.on('error', () => {});
      req.on('response', (res) => {
        res.resume();
        req.socket?.once('close', () => {
          clearInterval(pump);
          resolve({ status: res.statusCode ?? 0, closed: true });
        });
      });
      setTimeout(() => {
        clearInterval(pump);
        reject(new Error('no answer within 10 s'));
      }, 10_000);
    });
    expect(result).toEqual({ status: 413, closed: true });
  });

  it('accepts a body just under the cap', async () => {
    const line = 'up{job="x"} 1\n';
    const body = line.repeat(Math.floor((cap - 1) / line.length));
    const res = await request({
      port: agent.port,
      method: 'POST',
      path: '/v1/metrics?format=prometheus',
      headers: bearer(agent.token),
      body
    });
    expect(res.status).toBe(202);
  });
});

describe('nothing that changes the machine', () => {
  it.each([
    ['PUT', '/v1/events'],
    ['DELETE', '/v1/stream'],
    ['POST', '/v1/exec'],
    ['POST', '/v1/config'],
    ['GET', '/'],
    ['GET', '/../../etc/passwd']
  ])('%s %s is not a route', async (method, path) => {
    const res = await request({ port: agent.port, method, path, headers: bearer(agent.token) });
    expect([404, 405]).toContain(res.status);
  });
});

describe('logs', () => {
  it('never writes the env token to its output', () => {
    expect(agent.output()).not.toContain(agent.token);
    expect(agent.output()).toContain('Pairing token: from TIDEMARK_AGENT_TOKEN');
  });
});
