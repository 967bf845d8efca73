import { getContext, setContext, untrack } from 'svelte';
import { CollectorCatalog, type CollectorInfo } from '$lib/collectors/catalog';
import {
  PointBuffer,
  type Collector,
  type CollectorContext,
  type CollectorId
} from '$lib/collectors/collector';
import { claimTabSlot, type TabSlot } from '$lib/collectors/tab-slot';
import type { ResultEvent } from '$lib/types';
import type { AppState } from './app.svelte';

/** Tabs tell each other that the collector toggles changed. */
export const COLLECTORS_CHANNEL = 'tidemark-collectors';

export const CollectorStateDefaults = {
  /** Aggregates close and are sent to the engine once a second. */
  tickMs: 1_000,
  /** Overhead is averaged over this many recent seconds. */
  overheadWindow: 5,
  /** Events buffered at most while the store is not open. */
  maxEvents: 1_000
};

/** What Settings shows per collector. */
export interface CollectorView {
  id: CollectorId;
  title: string;
  description: string;
  enabled: boolean;
  running: boolean;
  unsupported: string | null;
  /** Time spent in this collector's code, ms per second of wall time (recent average). */
  overheadMsPerS: number | null;
  /** Points recorded in this tab since it opened. */
  points: number;
}

interface Running {
  info: CollectorInfo;
  collector: Collector;
  /** ms spent since the last tick, and per recent tick. */
  spent: number;
  recent: number[];
  points: number;
}

/**
 * The in-page collectors of this tab. Each tab measures its own page (frame timing is only
 * meaningful for the page that draws), labelled `tab=<slot>` with a small stable slot number;
 * origin-wide figures (storage) come from the leader tab only. Collectors aggregate per
 * second; this class sends everything to the engine in one `ingest` per second and measures
 * the time spent in collector code, shown in Settings.
 *
 * Create it during a component's initialisation (the layout).
 */
export class CollectorsState {
  enabled = $state.raw<Partial<Record<CollectorId, boolean>>>({});
  views = $state.raw<CollectorView[]>([]);
  /** Time spent sending to the engine (draining buffers, posting to the worker), ms/s. */
  sendMsPerS = $state<number | null>(null);
  tab = $state<string | null>(null);
  lastError = $state<string | null>(null);
  #loaded = $state(false);
  #app: AppState;
  #running: Running[] = [];
  #buffer = new PointBuffer();
  #events: ResultEvent[] = [];
  #send = { spent: 0, recent: [] as number[] };
  #sending = false;

  constructor(app: AppState) {
    this.#app = app;
    this.views = CollectorCatalog.map((info) => this.#view(info, undefined));
    $effect(() => {
      let slot: TabSlot | null = null;
      let closed = false;
      const channel = new BroadcastChannel(COLLECTORS_CHANNEL);
      channel.onmessage = () => void this.#load(true);
      void claimTabSlot().then((s) => {
        if (closed) return s.release();
        slot = s;
        this.tab = s.slot;
      });
      void this.#load();
      const timer = setInterval(() => this.#tick(), CollectorStateDefaults.tickMs);
      this.#channel = channel;
      return () => {
        closed = true;
        clearInterval(timer);
        channel.close();
        this.#channel = null;
        for (const r of this.#running) r.collector.stop();
        this.#running = [];
        slot?.release();
      };
    });
    $effect(() => {
      const want = this.#loaded && this.tab !== null ? this.#wanted() : [];
      untrack(() => this.#reconcile(want));
    });
  }

  #channel: BroadcastChannel | null = null;

  /** Turns a collector on or off, for every tab, and remembers it. */
  async setEnabled(id: CollectorId, on: boolean): Promise<void> {
    this.enabled = { ...this.enabled, [id]: on };
    try {
      await this.#app.settings.update({ collectors: { ...this.enabled } });
      this.#channel?.postMessage({ kind: 'config' });
    } catch (e) {
      this.lastError = `Could not save the setting: ${(e as Error).message}`;
    }
  }

  /** Reads which collectors are on; `fresh` re-reads them (another tab changed them). */
  async #load(fresh = false): Promise<void> {
    const settings = this.#app.settings;
    const current = await (fresh ? settings.reload() : settings.load());
    this.enabled = { ...current.collectors } as Partial<Record<CollectorId, boolean>>;
    this.#loaded = true;
  }

  /** Which collectors should run in this tab now. */
  #wanted(): CollectorId[] {
    const leader = this.#app.leader;
    return CollectorCatalog.filter((c) => this.enabled[c.id] && (!c.leaderOnly || leader)).map(
      (c) => c.id
    );
  }

  #reconcile(want: CollectorId[]): void {
    for (const r of [...this.#running]) {
      if (!want.includes(r.info.id)) {
        r.collector.stop();
        this.#running = this.#running.filter((x) => x !== r);
      }
    }
    for (const id of want) {
      if (this.#running.some((r) => r.info.id === id)) continue;
      const info = CollectorCatalog.find((c) => c.id === id)!;
      const collector = info.create();
      if (collector.unsupported() !== null) continue;
      const running: Running = { info, collector, spent: 0, recent: [], points: 0 };
      this.#running.push(running);
      try {
        collector.start(this.#contextFor(running));
      } catch (e) {
        this.lastError = `${info.title} could not start: ${(e as Error).message}`;
        this.#running = this.#running.filter((x) => x !== running);
      }
    }
    this.#refreshViews();
  }

  #contextFor(running: Running): CollectorContext {
    const labels = { tab: this.tab ?? '?' };
    return {
      labels,
      add: (p) => {
        running.points++;
        this.#buffer.add(p);
      },
      addEvent: (e) => {
        if (this.#events.length < CollectorStateDefaults.maxEvents) this.#events.push(e);
      },
      timed: <T>(fn: () => T): T => {
        const t0 = performance.now();
        try {
          return fn();
        } finally {
          running.spent += performance.now() - t0;
        }
      },
      now: () => Date.now()
    };
  }

  #tick(): void {
    const t = Date.now();
    for (const r of this.#running) {
      const t0 = performance.now();
      try {
        r.collector.tick(t);
      } catch {
        // A collector that throws loses one second of its own data, nothing else.
      }
      r.spent += performance.now() - t0;
      pushRecent(r.recent, r.spent);
      r.spent = 0;
    }
    const t0 = performance.now();
    this.#flush();
    this.#send.spent += performance.now() - t0;
    pushRecent(this.#send.recent, this.#send.spent);
    this.#send.spent = 0;
    this.#refreshViews();
  }

  #flush(): void {
    if (this.#app.lifecycle?.kind !== 'open' || this.#sending) return;
    if (this.#buffer.size === 0 && this.#events.length === 0) return;
    const batches = this.#buffer.drain();
    const events = this.#events;
    this.#events = [];
    const engine = this.#app.engine;
    this.#sending = true;
    void Promise.all([
      batches.length > 0 ? engine.ingest(batches) : null,
      events.length > 0 ? engine.ingestEvents(events) : null
    ])
      .then(() => (this.lastError = null))
      .catch((e: Error) => {
        // Dropped: a second of browser timings is not worth blocking on a full disk.
        this.lastError = `Storing collector data failed: ${e.message}`;
      })
      .finally(() => (this.#sending = false));
  }

  #refreshViews(): void {
    this.views = CollectorCatalog.map((info) =>
      this.#view(
        info,
        this.#running.find((r) => r.info.id === info.id)
      )
    );
    this.sendMsPerS = averagePerSecond(this.#send.recent);
  }

  #support: Partial<Record<CollectorId, string | null>> = {};

  #view(info: CollectorInfo, running: Running | undefined): CollectorView {
    if (!(info.id in this.#support)) {
      try {
        this.#support[info.id] = typeof window === 'undefined' ? null : info.create().unsupported();
      } catch (e) {
        this.#support[info.id] = (e as Error).message;
      }
    }
    const unsupported = this.#support[info.id] ?? null;
    return {
      id: info.id,
      title: info.title,
      description: info.description,
      enabled: this.enabled[info.id] === true,
      running: running !== undefined,
      unsupported,
      overheadMsPerS: running ? averagePerSecond(running.recent) : null,
      points: running?.points ?? 0
    };
  }
}

function pushRecent(recent: number[], value: number): void {
  recent.push(value);
  if (recent.length > CollectorStateDefaults.overheadWindow) recent.shift();
}

/** Mean of per-tick figures, i.e. ms per second of wall time (ticks are one second apart). */
function averagePerSecond(recent: number[]): number | null {
  if (recent.length === 0) return null;
  return (
    (recent.reduce((a, b) => a + b, 0) / recent.length) * (1000 / CollectorStateDefaults.tickMs)
  );
}

const KEY = Symbol('tidemark-collectors');

export function setCollectorsContext(state: CollectorsState): CollectorsState {
  return setContext(KEY, state);
}

export function getCollectorsContext(): CollectorsState {
  return getContext<CollectorsState>(KEY);
}
