/**
 * The page's side of the localhost agent: reads `GET /v1/stream` with `fetch` (the token
 * goes in an `Authorization` header, never in the URL), hands each run of messages to the
 * engine, and only then moves its cursor, so a message is acknowledged exactly when it is
 * stored. Reconnects with capped, jittered exponential backoff and resumes with
 * `?after=<seq>`. Everything that touches the outside (fetch, clock, randomness, storage) is
 * injected, so the whole protocol is tested in Node against fakes and real agents.
 */
import type { AgentLagged, AgentMessage, AgentStatus, PointBatch, ResultEvent } from '$lib/types';
import { AgentStreamState, convertAgentMessages } from './agent-messages';
import { createSseParser, type SseEvent } from './sse-parser';

/** Reconnect delays: 0.5 s doubling to 15 s, each drawn in [½, 1] of the step ("equal jitter"). */
export const BackoffDefaults = { initialMs: 500, maxMs: 15_000, factor: 2 };

export const AgentClientDefaults = {
  url: 'http://127.0.0.1:9470',
  /** Delivery latencies kept for the p95 shown in Settings. */
  latencyWindow: 600,
  /** At most this many messages per storage transaction (a resumed backlog is split). */
  maxMessagesPerStore: 2_000,
  /** Stop reading the stream while this many messages wait for storage. */
  maxQueuedMessages: 20_000
};

export type AgentConnectionState = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'error';

export type AgentErrorKind =
  | 'unauthorized'
  | 'forbidden'
  | 'unreachable'
  | 'rate-limited'
  | 'bad-url'
  | 'protocol'
  | 'storage';

/** Where the page stands in one agent's stream: the last seq durably stored, and its boot. */
export interface AgentCheckpoint {
  bootId: string;
  seq: number;
}

/** What the client hands to storage: it must resolve only after everything is durable. */
export interface AgentDelivery {
  batches: PointBatch[];
  events: ResultEvent[];
  checkpoint: AgentCheckpoint;
  messages: number;
}

export interface AgentGapInfo {
  after: number;
  firstAvailableSeq: number;
  /** True when the agent restarted since the checkpoint (its seqs jumped with the boot time). */
  restart: boolean;
  /** Messages lost off the agent's buffer, when known (same boot). */
  missed: number | null;
}

export interface AgentClientStatus {
  state: AgentConnectionState;
  error: { kind: AgentErrorKind; message: string } | null;
  /** Epoch ms of the last byte from the agent (batch or heartbeat). */
  lastSeen: number | null;
  agent: AgentStatus | null;
  /** Totals stored in this session. */
  received: { messages: number; points: number; events: number };
  lastSeq: number | null;
  lastGap: AgentGapInfo | null;
  /**
   * The agent's last `lagged` event on this connection (this page stopped reading for a
   * while; `cutOff`: the agent then ended the stream), and when it came (epoch ms).
   */
  lastLag: (AgentLagged & { at: number }) | null;
  /** When the next connection attempt starts, while waiting. */
  retryAt: number | null;
  /** Sample taken → stored, median and p95 over the recent window (ms), and how many samples. */
  latencyP50: number | null;
  latencyP95: number | null;
  latencySamples: number;
}

export interface AgentClientOptions {
  url: string;
  token: string;
  /** The durable checkpoint, read once when the client starts. */
  loadCheckpoint: () => Promise<AgentCheckpoint | null>;
  /** Stores points, events and the checkpoint together; resolves when durable. */
  deliver: (delivery: AgentDelivery) => Promise<void>;
  onStatus?: (status: AgentClientStatus) => void;
  /** The page's origin, for the "start the agent with --origin" hint. */
  origin?: string;
  fetch?: typeof fetch;
  now?: () => number;
  random?: () => number;
  backoff?: Partial<typeof BackoffDefaults>;
}

/**
 * Delay before reconnect attempt `attempt` (0-based): `initial · factor^attempt` capped at
 * `max`, scaled by a random factor in [0.5, 1] so many pages do not reconnect in lockstep.
 * @example computeBackoffMs(0, { random: () => 1 }) // 500
 */
export function computeBackoffMs(
  attempt: number,
  options: { random: () => number } & Partial<typeof BackoffDefaults>
): number {
  const initial = options.initialMs ?? BackoffDefaults.initialMs;
  const max = options.maxMs ?? BackoffDefaults.maxMs;
  const factor = options.factor ?? BackoffDefaults.factor;
  const step = Math.min(max, initial * Math.pow(factor, Math.max(0, attempt)));
  return step * (0.5 + 0.5 * options.random());
}

/**
 * Checks a user-typed agent URL: http(s) on a loopback host only, because the token is sent
 * to it and the app's CSP only lets the page reach loopback. Returns the normalised origin
 * or throws an Error with the reason.
 * @example normaliseAgentUrl('http://localhost:9470/') // 'http://localhost:9470'
 */
export function normaliseAgentUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new Error(`“${raw}” is not a URL; expected something like ${AgentClientDefaults.url}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`The agent URL must start with http://, got ${url.protocol}`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
    throw new Error(
      `The agent runs on this machine only: use 127.0.0.1 or localhost, not ${url.hostname}`
    );
  }
  if (url.username || url.password || url.search) {
    throw new Error('The agent URL takes no user, password or query; paste the token below');
  }
  return url.origin;
}

class StreamEnd extends Error {
  constructor(
    readonly kind: AgentErrorKind | 'closed' | 'resume',
    message: string,
    readonly retryAfterMs?: number,
    /** 401/403: retrying cannot help until the user changes something. */
    readonly fatal = false
  ) {
    super(message);
  }
}

/** One connection loop to one agent. `start()` runs until `stop()`. */
export class AgentClient {
  #options: AgentClientOptions;
  #fetch: typeof fetch;
  #now: () => number;
  #random: () => number;
  #abort: AbortController | null = null;
  #stopped = false;
  /** Parsers and series descriptors kept across this client's messages (see AgentStreamState). */
  #convertState = new AgentStreamState();
  #running: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  /** The last durably stored position; undefined until loaded. */
  #cursor: AgentCheckpoint | null = null;
  /** Set when a restarted agent's seqs overlap the cursor: resume from this seq instead. */
  #resumeAfter: number | null = null;
  #latencies: number[] = [];
  #status: AgentClientStatus = {
    state: 'idle',
    error: null,
    lastSeen: null,
    agent: null,
    received: { messages: 0, points: 0, events: 0 },
    lastSeq: null,
    lastGap: null,
    lastLag: null,
    retryAt: null,
    latencyP50: null,
    latencyP95: null,
    latencySamples: 0
  };

  constructor(options: AgentClientOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#now = options.now ?? (() => Date.now());
    this.#random = options.random ?? Math.random;
  }

  get status(): AgentClientStatus {
    return this.#status;
  }

  /** Starts connecting (idempotent); resolves when stopped. */
  start(): Promise<void> {
    this.#stopped = false;
    this.#running ??= this.#run().finally(() => (this.#running = null));
    return this.#running;
  }

  /** Closes the stream and stops reconnecting; resolves once the loop has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort?.abort();
    this.#wake?.();
    await this.#running;
    this.#update({ state: 'idle', retryAt: null });
  }

  /** Skips the wait before the next attempt (the "Reconnect" button). */
  retryNow(): void {
    this.#wake?.();
  }

  #update(patch: Partial<AgentClientStatus>): void {
    this.#status = { ...this.#status, ...patch };
    this.#options.onStatus?.(this.#status);
  }

  async #run(): Promise<void> {
    let base: string;
    try {
      base = normaliseAgentUrl(this.#options.url);
    } catch (e) {
      this.#update({ state: 'error', error: { kind: 'bad-url', message: (e as Error).message } });
      return;
    }
    try {
      this.#cursor = await this.#options.loadCheckpoint();
    } catch (e) {
      this.#update({
        state: 'error',
        error: { kind: 'storage', message: `Could not read the stream position: ${e}` }
      });
      return;
    }
    this.#update({ lastSeq: this.#cursor?.seq ?? null });
    let attempt = 0;
    while (!this.#stopped) {
      this.#update({ state: 'connecting', retryAt: null });
      let end: StreamEnd;
      let helloSeen = false;
      try {
        await this.#stream(base, () => (helloSeen = true));
        end = new StreamEnd('closed', 'The agent closed the stream');
      } catch (e) {
        end = e instanceof StreamEnd ? e : new StreamEnd('protocol', String(e));
      }
      if (this.#stopped) break;
      if (end.kind === 'resume') continue;
      if (helloSeen) attempt = 0;
      if (end.kind === 'closed') {
        this.#update({ state: 'disconnected', error: null });
      } else {
        this.#update({ state: 'error', error: { kind: end.kind, message: end.message } });
      }
      if (end.fatal) {
        // Waits for retryNow() (the user fixed the token or restarted the agent) or stop().
        await this.#sleep(Infinity);
        attempt = 0;
        continue;
      }
      const delay =
        end.retryAfterMs ??
        computeBackoffMs(attempt++, {
          random: this.#random,
          ...this.#options.backoff
        });
      this.#update({ retryAt: this.#now() + delay });
      await this.#sleep(delay);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = null;
        done();
      };
      if (this.#stopped) done();
    });
  }

  async #stream(base: string, onHello: () => void): Promise<void> {
    const abort = new AbortController();
    this.#abort = abort;
    const after = this.#resumeAfter ?? this.#cursor?.seq ?? 0;
    this.#resumeAfter = null;
    const url = `${base}/v1/stream?after=${after}`;
    let res: Response;
    try {
      res = await this.#fetch(url, {
        headers: { Authorization: `Bearer ${this.#options.token}`, Accept: 'text/event-stream' },
        cache: 'no-store',
        signal: abort.signal
      });
    } catch (e) {
      if (this.#stopped) throw new StreamEnd('closed', 'stopped');
      throw await this.#explainFetchFailure(base, e);
    }
    if (res.status !== 200 || !res.body) {
      const body = await res.text().catch(() => '');
      throw explainStatus(res.status, body, {
        origin: this.#options.origin,
        retryAfter: res.headers.get('Retry-After')
      });
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = createSseParser();
    // Seqs within one stream strictly increase; anything at or below this was queued already.
    let lastQueued = after;
    let bootId: string | null = null;
    // Only messages made after we connected count for latency, not the backlog we resumed.
    let liveAfter = Infinity;
    // Group commit: the stream is read while the previous run is being stored, and whatever
    // arrived meanwhile is stored in the next transaction, so a slow disk adds one
    // transaction of delay instead of a growing queue.
    const queue: AgentMessage[] = [];
    let writer: Promise<void> | null = null;
    let writeError: StreamEnd | null = null;
    const startWriter = (): void => {
      if (writer || writeError || queue.length === 0 || bootId === null) return;
      const id = bootId;
      const live = liveAfter;
      writer = (async () => {
        while (queue.length > 0) {
          const run = queue.splice(0, AgentClientDefaults.maxMessagesPerStore);
          await this.#deliver(run, id, live);
        }
      })()
        .catch((e: unknown) => {
          writeError = e instanceof StreamEnd ? e : new StreamEnd('storage', String(e));
          abort.abort();
        })
        .finally(() => {
          writer = null;
          startWriter();
        });
    };
    const drain = async (): Promise<void> => {
      while (writer) await writer;
      if (writeError) throw writeError;
    };
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          // Store what was read before the agent went away.
          await drain();
          return;
        }
        this.#update({ lastSeen: this.#now() });
        for (const e of parser.push(value)) {
          if (e.event === 'batch') {
            const list = parseJson<{ messages: AgentMessage[] }>(e)?.messages ?? [];
            for (const m of list) {
              if (m.seq > lastQueued) {
                queue.push(m);
                lastQueued = m.seq;
              }
            }
          } else if (e.event === 'hello') {
            const hello = parseJson<AgentStatus>(e);
            if (!hello) throw new StreamEnd('protocol', 'The agent sent an unreadable hello');
            bootId = hello.bootId;
            liveAfter = hello.lastSeq;
            const cursor = this.#cursor;
            if (
              cursor &&
              cursor.bootId !== hello.bootId &&
              after >= hello.firstSeq &&
              after <= hello.lastSeq
            ) {
              // A restarted agent whose seqs overlap ours (clock stepped back, or a burst of
              // more than 1000 messages per ms before the restart): every message of this
              // boot is new to us, so ask again for all of them.
              this.#resumeAfter = hello.firstSeq - 1;
              throw new StreamEnd('resume', 'resume from the new boot');
            }
            if (cursor && cursor.bootId !== hello.bootId) lastQueued = -Infinity;
            onHello();
            this.#update({ state: 'connected', error: null, agent: hello, retryAt: null });
          } else if (e.event === 'lagged') {
            const lag = parseJson<AgentLagged>(e);
            if (lag) this.#update({ lastLag: { ...lag, at: this.#now() } });
          } else if (e.event === 'gap') {
            const gap = parseJson<{ after: number; firstAvailableSeq: number }>(e);
            // The first connection ever asks for everything held; that gap is expected.
            if (gap && this.#cursor) {
              const restart = this.#cursor.bootId !== bootId;
              this.#update({
                lastGap: {
                  ...gap,
                  restart,
                  missed: restart ? null : Math.max(0, gap.firstAvailableSeq - gap.after - 1)
                }
              });
            }
          }
        }
        startWriter();
        // Backpressure: while storage is far behind, stop reading (the agent then holds it).
        if (queue.length >= AgentClientDefaults.maxQueuedMessages) await drain();
      }
    } catch (e) {
      if (writeError) throw writeError;
      if (e instanceof StreamEnd) throw e;
      if (this.#stopped) throw new StreamEnd('closed', 'stopped');
      throw new StreamEnd('closed', `The stream broke: ${(e as Error)?.message ?? e}`);
    } finally {
      abort.abort();
      reader.cancel().catch(() => {});
    }
  }

  async #deliver(messages: AgentMessage[], bootId: string, liveAfter: number): Promise<void> {
    const converted = convertAgentMessages(messages, this.#convertState);
    const last = messages[messages.length - 1].seq;
    const checkpoint = { bootId, seq: last };
    try {
      await this.#options.deliver({
        batches: converted.batches,
        events: converted.events,
        checkpoint,
        messages: messages.length
      });
    } catch (e) {
      throw new StreamEnd(
        'storage',
        `Storing agent data failed, nothing was acknowledged: ${(e as Error)?.message ?? e}`
      );
    }
    this.#cursor = checkpoint;
    const stored = this.#now();
    for (const m of messages) {
      if (m.kind === 'sample' && m.seq > liveAfter) this.#latencies.push(stored - m.t);
    }
    if (this.#latencies.length > AgentClientDefaults.latencyWindow) {
      this.#latencies.splice(0, this.#latencies.length - AgentClientDefaults.latencyWindow);
    }
    const r = this.#status.received;
    this.#update({
      lastSeq: last,
      received: {
        messages: r.messages + messages.length,
        points: r.points + converted.points,
        events: r.events + converted.events.length
      },
      latencyP50: quantile(this.#latencies, 0.5),
      latencyP95: quantile(this.#latencies, 0.95),
      latencySamples: this.#latencies.length
    });
  }

  /**
   * A failed fetch hides why: a refused CORS preflight (origin not allowed) and a closed port
   * both reject with a TypeError. A no-cors request needs no preflight and succeeds whenever
   * something answers, which tells the two apart.
   */
  async #explainFetchFailure(base: string, error: unknown): Promise<StreamEnd> {
    const reachable = await this.#fetch(`${base}/v1/status`, { mode: 'no-cors', cache: 'no-store' })
      .then(() => true)
      .catch(() => false);
    if (reachable) {
      const origin = this.#options.origin ?? 'this page’s origin';
      return new StreamEnd(
        'forbidden',
        `The agent at ${base} answered but refused this page (${origin}). Start it with ` +
          `--origin ${origin}.`,
        undefined,
        true
      );
    }
    return new StreamEnd(
      'unreachable',
      `No agent answers at ${base} (${(error as Error)?.message ?? error}). Is it running? ` +
        'Start it with npm run agent.'
    );
  }
}

function explainStatus(
  status: number,
  body: string,
  context: { origin?: string; retryAfter: string | null }
): StreamEnd {
  let reason: string;
  try {
    reason = (JSON.parse(body) as { error?: string }).error ?? '';
  } catch {
    reason = body.slice(0, 200);
  }
  switch (status) {
    case 401:
      return new StreamEnd(
        'unauthorized',
        'The agent rejected the token (401). Copy the pairing token the agent printed and pair again.',
        undefined,
        true
      );
    case 403:
      return new StreamEnd(
        'forbidden',
        reason === 'host not allowed'
          ? 'The agent refused the Host name (403). Use http://127.0.0.1:<port> or http://localhost:<port>.'
          : `The agent refused this page’s origin (403). Start it with --origin ${context.origin ?? '<this origin>'}.`,
        undefined,
        true
      );
    case 429: {
      const seconds = Number(context.retryAfter);
      const wait = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 30_000;
      return new StreamEnd(
        'rate-limited',
        `Too many wrong tokens; the agent blocks this page for ${Math.round(wait / 1000)} s (429).`,
        wait
      );
    }
    default:
      return new StreamEnd(
        'protocol',
        `The agent answered ${status}${reason ? `: ${reason}` : ''}`
      );
  }
}

function parseJson<T>(e: SseEvent): T | null {
  try {
    return JSON.parse(e.data) as T;
  } catch {
    return null;
  }
}

/** Nearest-rank quantile; null when empty. */
function quantile(xs: number[], q: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
