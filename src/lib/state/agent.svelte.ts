import { getContext, setContext, untrack } from 'svelte';
import {
  AgentClientDefaults,
  normaliseAgentUrl,
  type AgentClientStatus
} from '$lib/collectors/agent-client';
import { proxy, type EngineRemote } from '$lib/workers/engine-client';
import type { AppState } from './app.svelte';

/** BroadcastChannel on which the leader tab shares the agent connection's status. */
export const AGENT_CHANNEL = 'tidemark-agent';

type AgentNotice =
  { kind: 'status'; status: AgentClientStatus } | { kind: 'config' } | { kind: 'ask' };

const IdleStatus: AgentClientStatus = {
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

/** A `lagged` event counts as news for this long: then the status line forgets it. */
export const AgentLagShownMs = 60_000;

/**
 * What to tell the user about the agent's last `lagged` event, or null when there is none
 * or it is older than AgentLagShownMs: the page stopped reading the stream (a busy tab, a
 * store that could not keep up), the agent held the messages and caught the page up, or —
 * `cutOff` — ended the stream after messages fell off its buffer.
 */
export function describeAgentLag(
  status: Pick<AgentClientStatus, 'lastLag'>,
  now: number
): { short: string; long: string; cutOff: boolean } | null {
  const lag = status.lastLag;
  if (!lag || now - lag.at > AgentLagShownMs) return null;
  const behind = `${Math.round(lag.behindMs / 1000)} s (${lag.behindMessages} messages)`;
  const lost =
    lag.dropped > 0
      ? ` ${lag.dropped} messages fell off the agent’s buffer and are lost.`
      : ' Nothing was lost: the agent held every message.';
  return lag.cutOff
    ? {
        short: 'cut off: page fell behind',
        long: `This page stopped reading the agent for ${Math.round(lag.blockedMs / 1000)} s and fell ${behind} behind; the agent ended the stream and the page reconnects.${lost}`,
        cutOff: true
      }
    : {
        short: `fell ${Math.round(lag.behindMs / 1000)} s behind`,
        long: `This page stopped reading the agent for ${Math.round(lag.blockedMs / 1000)} s and fell ${behind} behind; it is catching up.${lost}`,
        cutOff: false
      };
}

/**
 * The agent pairing as the pages see it. Only the leader tab (Web Locks, `app.leader`)
 * holds the stream, so two tabs never ingest the same samples; it shares its status with
 * the other tabs over a BroadcastChannel. A new leader starts from the checkpoint stored with
 * the data, so a hand-over neither skips nor repeats a message.
 *
 * Create it during a component's initialisation (the layout): its effect lives as long as
 * that component.
 */
export class AgentState {
  url = $state(AgentClientDefaults.url);
  /** The stored token; the UI shows only whether one is set. */
  token = $state('');
  status = $state.raw<AgentClientStatus>(IdleStatus);
  /** True while this tab holds the connection. */
  here = $state(false);
  #loaded = $state(false);
  #app: AppState;
  #client: EngineAgentStream | null = null;
  #clientKey = '';
  #channel: BroadcastChannel | null = null;

  constructor(app: AppState) {
    this.#app = app;
    $effect(() => {
      this.#channel = new BroadcastChannel(AGENT_CHANNEL);
      this.#channel.onmessage = (ev: MessageEvent<AgentNotice>) => this.#noticed(ev.data);
      void this.#load().then(() => this.#post({ kind: 'ask' }));
      return () => {
        this.#channel?.close();
        this.#channel = null;
        void this.#client?.stop();
        this.#client = null;
      };
    });
    $effect(() => {
      const key = this.#runKey();
      untrack(() => this.#reconcile(key));
    });
  }

  get paired(): boolean {
    return this.token !== '';
  }

  /**
   * Checks and stores the agent URL and token, then (re)connects. Throws an Error with a
   * user-facing reason when the URL or token cannot be right.
   */
  async pair(input: { url: string; token: string }): Promise<void> {
    const url = normaliseAgentUrl(input.url);
    const token = input.token.trim();
    if (token.length < 24 || /\s/.test(token)) {
      throw new Error(
        'That is not a pairing token: the agent prints one of 43 characters after “Pairing token:”.'
      );
    }
    await this.#app.settings.update({ agentUrl: url, agentToken: token });
    this.url = url;
    this.token = token;
    this.#restart();
    this.#post({ kind: 'config' });
    // Live data is worth keeping: the first pairing asks the browser not to evict it.
    void this.#app.keepData('pairing');
  }

  /** Forgets the token and closes the connection. */
  async unpair(): Promise<void> {
    await this.#app.settings.update({ agentToken: '' });
    this.token = '';
    this.#post({ kind: 'config' });
  }

  /** Reconnects now instead of waiting for the backoff (or after fixing the agent). */
  retry(): void {
    this.#client?.retryNow();
  }

  /** Reads URL and token from the settings; `fresh` re-reads them (another tab paired). */
  async #load(fresh = false): Promise<void> {
    const settings = this.#app.settings;
    const current = await (fresh ? settings.reload() : settings.load());
    this.url = current.agentUrl || AgentClientDefaults.url;
    this.token = current.agentToken ?? '';
    this.#loaded = true;
  }

  /** What the connection should be: '' for none, else URL and token. */
  #runKey(): string {
    const run =
      this.#loaded && this.#app.leader && this.#app.lifecycle?.kind === 'open' && this.token !== '';
    return run ? `${this.url}\n${this.token}` : '';
  }

  /** Reconnects even when URL and token are unchanged (re-pairing after a 401 retries at once). */
  #restart(): void {
    const key = untrack(() => this.#runKey());
    if (key === '' && this.#client === null) return;
    this.#reconcile(key, true);
  }

  #reconcile(key: string, force = false): void {
    if (!force && key === this.#clientKey) return;
    const old = this.#client;
    this.#client = null;
    this.#clientKey = key;
    const previous = old ? old.stop() : Promise.resolve();
    if (key === '') {
      this.here = false;
      void previous.then(() => {
        if (this.#client === null) this.#setStatus(IdleStatus, this.#app.leader);
      });
      return;
    }
    const client = new EngineAgentStream(this.#app.engine, {
      url: this.url,
      token: this.token,
      origin: location.origin,
      onStatus: (s) => {
        if (this.#client === client) this.#setStatus(s, true);
      }
    });
    this.#client = client;
    this.here = true;
    // The old stream must be closed before the new one reads the checkpoint.
    void previous.then(() => {
      if (this.#client === client) void client.start();
    });
  }

  #setStatus(status: AgentClientStatus, share: boolean): void {
    this.status = status;
    if (share) this.#post({ kind: 'status', status });
  }

  #post(notice: AgentNotice): void {
    try {
      this.#channel?.postMessage(notice);
    } catch {
      // Closed channel during teardown.
    }
  }

  #noticed(notice: AgentNotice): void {
    if (notice.kind === 'status') {
      if (!this.here) this.status = notice.status;
    } else if (notice.kind === 'ask') {
      if (this.here) this.#post({ kind: 'status', status: this.status });
    } else if (notice.kind === 'config') {
      void this.#load(true).then(() => {
        this.#restart();
        if (!this.here && !this.paired) this.status = IdleStatus;
      });
    }
  }
}

/**
 * The page's handle on the agent stream, which the engine worker reads (startAgent): the
 * same start / stop / retryNow as an AgentClient, so the connection logic above is unchanged.
 */
class EngineAgentStream {
  #id: Promise<number> | null = null;

  constructor(
    private readonly engine: EngineRemote,
    private readonly options: {
      url: string;
      token: string;
      origin: string;
      onStatus: (status: AgentClientStatus) => void;
    }
  ) {}

  start(): Promise<number> {
    const { onStatus, ...connection } = this.options;
    this.#id = this.engine.startAgent(connection, proxy(onStatus));
    return this.#id;
  }

  async stop(): Promise<void> {
    if (this.#id) await this.engine.stopAgent(await this.#id);
  }

  retryNow(): void {
    void this.#id?.then((id) => this.engine.retryAgentNow(id));
  }
}

const KEY = Symbol('tidemark-agent');

export function setAgentContext(agent: AgentState): AgentState {
  return setContext(KEY, agent);
}

export function getAgentContext(): AgentState {
  return getContext<AgentState>(KEY);
}
