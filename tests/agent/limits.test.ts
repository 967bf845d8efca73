/**
 * RELIABILITY.md row 14, the connection side: a stalled or trickled request cannot hold a
 * socket (headers and body are bounded, and a refused body is cut after the answer), and
 * connections and streams are capped with a clear 503. Real agent process, raw sockets.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerDefaults } from '../../agent/server';
import {
  bearer,
  openStream,
  request,
  startAgent,
  type RunningAgent,
  type SseClient
} from './helpers';

/** The row's bound: a stalled request is closed within this long. */
const StalledCloseBoundMs = 10_000;

interface RawSocket {
  socket: net.Socket;
  /** Everything the agent sent so far. */
  received: () => string;
  /** Resolves with ms from connect until the agent closed the socket. */
  closed: Promise<number>;
}

function connect(port: number): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    let start = 0;
    const closed = new Promise<number>((done) =>
      socket.once('close', () => done(performance.now() - start))
    );
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (data += c));
    socket.on('error', () => {});
    socket.once('connect', () => {
      start = performance.now();
      resolve({ socket, received: () => data, closed });
    });
    socket.once('error', reject);
  });
}

function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const poll = (): void => {
      if (check()) return resolve();
      if (performance.now() - started > timeoutMs) return reject(new Error('condition not met'));
      setTimeout(poll, 20);
    };
    poll();
  });
}

/** Writes one byte a second until the socket closes. */
function trickle(socket: net.Socket): void {
  const timer = setInterval(() => {
    if (socket.destroyed || !socket.writable) return clearInterval(timer);
    socket.write('x');
  }, 1000);
  socket.once('close', () => clearInterval(timer));
}

let agent: RunningAgent;

beforeAll(async () => {
  agent = await startAgent();
});

afterAll(async () => {
  await agent?.stop();
});

describe('header and body timeouts', () => {
  it('closes a connection whose headers never finish', async () => {
    const raw = await connect(agent.port);
    raw.socket.write(`POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${agent.port}\r\n`);
    trickle(raw.socket);
    const ms = await raw.closed;
    expect(ms).toBeLessThan(StalledCloseBoundMs);
  });

  it('answers an authorised body trickled at one byte a second 408 and closes it', async () => {
    const raw = await connect(agent.port);
    raw.socket.write(
      `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${agent.port}\r\n` +
        `Authorization: Bearer ${agent.token}\r\nContent-Type: application/x-ndjson\r\n` +
        `Content-Length: 100000\r\n\r\n`
    );
    trickle(raw.socket);
    const ms = await raw.closed;
    expect(raw.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeLessThan(StalledCloseBoundMs);
  });

  it('answers a tokenless trickled body 401 and cuts it soon after', async () => {
    const raw = await connect(agent.port);
    raw.socket.write(
      `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${agent.port}\r\nContent-Length: 100000\r\n\r\n`
    );
    trickle(raw.socket);
    const ms = await raw.closed;
    expect(raw.received()).toMatch(/^HTTP\/1\.1 401 /);
    expect(raw.received()).toMatch(/connection: close/i);
    // Cut after the short drain, well before the request timeout would have.
    expect(ms).toBeLessThan(ServerDefaults.requestTimeoutMs);
  });

  it('keeps a stream open past the request timeout', async () => {
    const stream = await openStream({ port: agent.port, token: agent.token });
    expect(stream.status).toBe(200);
    const heartbeatsNeeded = 2;
    // Heartbeats every 5 s: two of them take the stream well past the 8 s request bound.
    await stream.waitFor(
      (_e, all) => all.filter((x) => x.event === 'heartbeat').length >= heartbeatsNeeded,
      30_000
    );
    stream.close();
  });
});

describe('connection and stream caps', () => {
  it('answers connections over the cap 503 at once and serves again when they close', async () => {
    const Extra = 3;
    // All at once: idle connections are closed by the header timeout, so they must be
    // opened well inside it for the cap to be what refuses them.
    const held = await Promise.all(
      Array.from({ length: ServerDefaults.maxConnections + Extra }, () => connect(agent.port))
    );
    const refused = (): RawSocket[] => held.filter((r) => /^HTTP\/1\.1 503 /.test(r.received()));
    await until(() => refused().length >= Extra, 5_000);
    // Only the ones over the cap (and perhaps one more if a closed socket was still counted).
    expect(refused().length).toBeLessThanOrEqual(Extra + 1);
    const answer = refused()[0].received();
    expect(answer).toMatch(/retry-after: \d+/i);
    expect(answer).toMatch(/over \d+ connections/);
    for (const raw of held) raw.socket.destroy();
    // The agent sees the closes a moment later; it serves again once it has.
    let status = 0;
    await until(() => {
      void request({ port: agent.port, headers: bearer(agent.token) }).then(
        (r) => (status = r.status),
        () => {}
      );
      return status === 200;
    });
  });

  it('answers streams over the cap 503 with Retry-After and takes a new one when one closes', async () => {
    const streams: SseClient[] = [];
    for (let i = 0; i < ServerDefaults.maxStreams; i++) {
      const s = await openStream({ port: agent.port, token: agent.token });
      expect(s.status).toBe(200);
      streams.push(s);
    }
    const over = await request({
      port: agent.port,
      path: '/v1/stream',
      headers: bearer(agent.token)
    });
    expect(over.status).toBe(503);
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(JSON.parse(over.body).error).toMatch(/streams already open/);
    // Status and posts still work while the stream slots are full.
    expect((await request({ port: agent.port, headers: bearer(agent.token) })).status).toBe(200);
    streams.pop()?.close();
    let reopened: SseClient | undefined;
    await until(() => {
      if (reopened) return reopened.status === 200;
      void openStream({ port: agent.port, token: agent.token }).then((s) => {
        if (s.status === 200 && !reopened) reopened = s;
        else s.close();
      });
      return false;
    });
    reopened?.close();
    for (const s of streams) s.close();
  });
});
