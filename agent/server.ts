/**
 * The agent's HTTP surface. Every request passes, in order: Host allow-list → Origin
 * allow-list (CORS) → preflight → no token in the URL → rate limit → bearer token → route.
 * Routes only read state or append to the ring; nothing a request says can write a file or
 * run a command.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { AgentPoint, AgentStatus } from '../src/lib/types';
import { parseEventsBody } from './events';
import { checkMetricsText, sniffMetricsFormat, type MetricsFormat } from './metrics-check';
import { checkOtlpJson, looksLikeOtlpJson } from './otlp';
import type { RingBuffer } from './ring-buffer';
import { isHostAllowed, RateLimitDefaults, readBearer, TokenGate } from './security';
import { StreamHub } from './stream';

export const ServerDefaults = {
  maxBodyBytes: 8 * 1024 * 1024,
  /** After a 413 the rest of the upload is discarded for this long so the client can read it. */
  drainAfterRejectMs: 1_000,
  /** …or until this many caps' worth of bytes were discarded. */
  maxDiscardFactor: 4,
  preflightMaxAgeS: 600,
  /**
   * Headers, and a whole request body, must arrive within this long (a stalled or trickled
   * body is answered 408 and closed); Node checks every `timeoutCheckMs`. A full 8 MiB body
   * over loopback takes milliseconds.
   */
  requestTimeoutMs: 8_000,
  timeoutCheckMs: 500,
  /** A page holds one stream and a few requests; other local programs post events. */
  maxConnections: 64,
  maxStreams: 16,
  /** What a refused connection or stream is told to wait. */
  busyRetryAfterS: 5
} as const;

/** Query parameters that look like credentials; refused so tokens never sit in URLs or logs. */
const TokenLikeParams = ['token', 'access_token', 'auth', 'authorization', 'key', 'api_key'];

const RouteMethods: Record<string, string> = {
  '/v1/status': 'GET',
  '/v1/stream': 'GET',
  '/v1/events': 'POST',
  '/v1/metrics': 'POST'
};

export interface AgentServerOptions {
  ring: RingBuffer;
  tokenDigest: Buffer;
  origins: string[];
  /** Filled once the port is known (port 0 binds a free one). */
  hostAllowList: Set<string>;
  maxBodyBytes?: number;
  status: () => AgentStatus;
  now: () => number;
  rateLimit?: typeof RateLimitDefaults;
  maxConnections?: number;
  maxStreams?: number;
  /** `GET /metrics` (metrics-endpoint.ts), which does its own authorisation. */
  metrics?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Every accepted push, for the forwarders: points, or a metrics text and its format. */
  onPush?: (
    push: { points: AgentPoint[] } | { format: PushFormat; text: string; t: number }
  ) => void;
}

type PushFormat = MetricsFormat | 'otlp-json';

export interface AgentServer {
  server: http.Server;
  hub: StreamHub;
  close(): Promise<void>;
}

/** Builds (but does not bind) the agent's HTTP server. */
export function createAgentServer(options: AgentServerOptions): AgentServer {
  const origins = new Set(options.origins);
  const gate = new TokenGate(options.tokenDigest, options.rateLimit);
  const hub = new StreamHub({ ring: options.ring, now: options.now });
  const maxBody = options.maxBodyBytes ?? ServerDefaults.maxBodyBytes;
  const maxConnections = options.maxConnections ?? ServerDefaults.maxConnections;
  const maxStreams = options.maxStreams ?? ServerDefaults.maxStreams;

  // Slow-loris guard: headers and a whole body are bounded. A stream's request ends with
  // its headers, so the long-lived response is not cut by this.
  const server = http.createServer(
    {
      headersTimeout: ServerDefaults.requestTimeoutMs,
      requestTimeout: ServerDefaults.requestTimeoutMs,
      connectionsCheckingInterval: ServerDefaults.timeoutCheckMs
    },
    (req, res) => {
      handle(req, res).catch((err: unknown) => {
        process.stderr.write(`request failed: ${(err as Error).message}\n`);
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.destroy();
      });
    }
  );
  const overCap = new WeakSet<object>();
  let connections = 0;
  // Ahead of http's own listener: a connection over the cap is answered 503 at once (Node's
  // own `maxConnections` would drop it without a word) and its requests are never routed.
  server.prependListener('connection', (socket: Socket) => {
    connections++;
    socket.once('close', () => connections--);
    if (connections <= maxConnections) return;
    overCap.add(socket);
    const body = JSON.stringify({ error: `agent busy: over ${maxConnections} connections` });
    socket.end(
      'HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n' +
        `Retry-After: ${ServerDefaults.busyRetryAfterS}\r\nConnection: close\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
    );
    const cut = setTimeout(() => socket.destroy(), ServerDefaults.drainAfterRejectMs);
    cut.unref();
    socket.once('close', () => clearTimeout(cut));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (overCap.has(req.socket)) return void res.destroy();
    res.setHeader('Vary', 'Origin');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');

    if (!isHostAllowed(req.headers.host, options.hostAllowList)) {
      return reject(req, res, 403, 'host not allowed');
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!origins.has(origin)) return reject(req, res, 403, 'origin not allowed');
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Expose-Headers', 'Retry-After');
    }
    if (req.method === 'OPTIONS') return preflight(req, res, origin);

    const url = new URL(req.url ?? '/', 'http://agent.invalid');
    if (TokenLikeParams.some((p) => url.searchParams.has(p))) {
      return reject(req, res, 400, 'send the token as Authorization: Bearer, never in a URL');
    }
    if (url.pathname === '/metrics' && req.method === 'GET' && options.metrics)
      return options.metrics(req, res);
    const presented = readBearer(req.headers.authorization);
    const verdict = gate.check(presented, options.now());
    if (!verdict.ok) {
      if (verdict.status === 429) {
        res.setHeader('Retry-After', String(verdict.retryAfterS));
        return reject(req, res, 429, 'too many bad tokens; wait and retry');
      }
      res.setHeader('WWW-Authenticate', 'Bearer realm="tidemark-agent"');
      return reject(req, res, 401, presented === undefined ? 'token required' : 'bad token');
    }

    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /v1/status':
        return sendJson(res, 200, { ...options.status(), subscribers: hub.subscribers() });
      case 'GET /v1/stream':
        return openStream(req, res, url);
      case 'POST /v1/events':
        return postEvents(req, res);
      case 'POST /v1/metrics':
        return postMetrics(req, res, url);
      default:
        if (RouteMethods[url.pathname]) {
          res.setHeader('Allow', RouteMethods[url.pathname]);
          return reject(req, res, 405, 'method not allowed');
        }
        return reject(req, res, 404, 'not found');
    }
  }

  function preflight(req: IncomingMessage, res: ServerResponse, origin: string | undefined): void {
    if (origin !== undefined) {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Last-Event-ID');
      res.setHeader('Access-Control-Max-Age', String(ServerDefaults.preflightMaxAgeS));
      // Chrome's Private Network Access asks this before a public page may reach loopback.
      if (req.headers['access-control-request-private-network'] === 'true') {
        res.setHeader('Access-Control-Allow-Private-Network', 'true');
      }
    }
    res.writeHead(204);
    res.end();
  }

  function openStream(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const raw = url.searchParams.get('after') ?? header(req, 'last-event-id');
    let after = options.ring.lastSeq;
    if (raw !== undefined && raw !== null && raw !== '') {
      if (!/^\d+$/.test(raw)) return reject(req, res, 400, 'after must be a sequence number');
      after = Number(raw);
    }
    if (hub.clientCount >= maxStreams) {
      res.setHeader('Retry-After', String(ServerDefaults.busyRetryAfterS));
      return reject(req, res, 503, `agent busy: ${maxStreams} streams already open`);
    }
    req.socket.setTimeout(0);
    hub.attach(res, { after, hello: options.status() });
  }

  async function postEvents(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, res, maxBody);
    if (body === undefined) return;
    const receivedAt = options.now();
    const parsed = parseEventsBody(body, { receivedAt });
    if (!parsed.ok) {
      return sendJson(res, 400, {
        error: 'bad record',
        line: parsed.line,
        record: parsed.record,
        message: parsed.message
      });
    }
    if (parsed.records.length === 0) {
      return sendJson(res, 202, { accepted: 0, firstSeq: null, lastSeq: null });
    }
    // Serialise everything before touching the ring, so a body is all-or-nothing.
    const payloads = parsed.records.map((r) =>
      r.event
        ? `"kind":"event","t":${r.t},"event":${r.eventJson ?? JSON.stringify(r.event)},"points":${JSON.stringify(r.points)}}`
        : `"kind":"point","t":${r.t},"points":${JSON.stringify(r.points)}}`
    );
    let firstSeq = -1;
    let lastSeq = -1;
    for (const payload of payloads) {
      lastSeq = options.ring.push((seq) => `{"seq":${seq},${payload}`);
      if (firstSeq < 0) firstSeq = lastSeq;
    }
    hub.notify();
    options.onPush?.({ points: parsed.records.flatMap((r) => r.points) });
    sendJson(res, 202, { accepted: parsed.records.length, firstSeq, lastSeq });
  }

  async function postMetrics(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const asked = url.searchParams.get('format');
    if (asked !== null && asked !== 'prometheus' && asked !== 'influx' && asked !== 'otlp') {
      return reject(req, res, 400, 'format must be prometheus, influx or otlp');
    }
    const body = await readBody(req, res, maxBody);
    if (body === undefined) return;
    let format: PushFormat;
    let accepted: number;
    if (
      asked === 'otlp' ||
      (asked === null && looksLikeOtlpJson(body, header(req, 'content-type')))
    ) {
      format = 'otlp-json';
      const check = checkOtlpJson(body);
      if (!check.ok)
        return sendJson(res, 400, { error: 'bad OTLP JSON', format, message: check.message });
      accepted = check.points;
    } else {
      format = asked ?? sniffMetricsFormat(body);
      const check = checkMetricsText(body, format);
      if (!check.ok) {
        return sendJson(res, 400, {
          error: 'bad line',
          format,
          line: check.line,
          message: check.message
        });
      }
      accepted = check.lines;
    }
    const t = options.now();
    const seq = options.ring.push((s) =>
      JSON.stringify({ seq: s, kind: 'metrics', t, format, text: body })
    );
    hub.notify();
    options.onPush?.({ format, text: body, t });
    sendJson(res, 202, { accepted, firstSeq: seq, lastSeq: seq, format });
  }

  return {
    server,
    hub,
    close: () =>
      new Promise<void>((resolve) => {
        hub.closeAll();
        server.close(() => resolve());
        server.closeAllConnections();
      })
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text)
  });
  res.end(text);
}

function reject(req: IncomingMessage, res: ServerResponse, status: number, message: string): void {
  const bodyPending =
    !req.complete &&
    (req.headers['transfer-encoding'] !== undefined ||
      Number(req.headers['content-length'] ?? 0) > 0);
  if (!bodyPending) return sendJson(res, status, { error: message });
  // A body still arriving after a refusal is read and discarded briefly (so a client still
  // writing reads the answer rather than a reset), then the connection is closed: a trickled
  // body must not hold a socket after the answer.
  res.setHeader('Connection', 'close');
  sendJson(res, status, { error: message });
  const cut = setTimeout(() => req.socket.destroy(), ServerDefaults.drainAfterRejectMs);
  req.socket.once('close', () => clearTimeout(cut));
  req.resume();
}

/**
 * Reads a request body as UTF-8, counting bytes as they arrive and answering 413 as soon as
 * the cap is passed, so at most `cap` bytes are ever held. Undefined when it answered.
 */
function readBody(
  req: IncomingMessage,
  res: ServerResponse,
  cap: number
): Promise<string | undefined> {
  return new Promise((resolve, fail) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > cap) {
      tooLarge(req, res, cap);
      return resolve(undefined);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer): void => {
      if (done) return;
      size += chunk.length;
      if (size > cap) {
        done = true;
        chunks.length = 0;
        req.off('data', onData);
        tooLarge(req, res, cap);
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks, size).toString('utf8'));
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      fail(err);
    });
  });
}

function tooLarge(req: IncomingMessage, res: ServerResponse, cap: number): void {
  // The rest of the upload is read and discarded (never buffered) before answering: a client
  // that is still writing when the server answers and closes sees a reset, not the 413.
  // Unbounded uploads are cut after a short time or a few caps' worth of bytes.
  let discarded = 0;
  let answered = false;
  const answer = (cut: boolean): void => {
    if (answered) return;
    answered = true;
    clearTimeout(timer);
    req.off('data', onData);
    if (cut) res.setHeader('Connection', 'close');
    sendJson(res, 413, { error: `body over ${cap} bytes` });
    if (cut) res.once('finish', () => req.socket.destroy());
  };
  const onData = (chunk: Buffer): void => {
    discarded += chunk.length;
    if (discarded > ServerDefaults.maxDiscardFactor * cap) answer(true);
  };
  const timer = setTimeout(() => answer(true), ServerDefaults.drainAfterRejectMs);
  req.on('data', onData);
  req.once('end', () => answer(false));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}
