import { getContext, setContext } from 'svelte';
import { browser } from '$app/environment';
import type { DbLifecycle } from '$lib/db/database';
import type { Theme } from '$lib/db/settings';
import {
  RollupLagDefaults,
  type ChangeNotice,
  type RetentionKey,
  type StorageStatus
} from '$lib/types';
import { CHANGES_CHANNEL } from '$lib/workers/channels';
import { EngineHandle, proxy, type EngineRemote } from '$lib/workers/engine-client';
import type { EngineCounts } from '$lib/workers/engine/data';
import { LEADER_LOCK } from '$lib/workers/channels';
import { electLeader } from '$lib/workers/leader';
import {
  firstTimeFor,
  forgetDataHeld,
  noteDataHeld,
  readDataHeld,
  readLastBackup,
  type DataHeld,
  type PersistReason
} from './durability';
import { SettingsState } from './settings.svelte';

/**
 * What every page reads: the engine of this tab, whether this tab leads, the database's
 * lifecycle, storage figures and a change counter that bumps whenever any tab writes data.
 */
export class AppState {
  lifecycle = $state.raw<DbLifecycle | null>(null);
  leader = $state(false);
  /**
   * Who runs background work, as far as this tab can tell: 'this', 'other' (the leader
   * lock is held by another tab) or 'unknown' (the election has not answered yet).
   */
  leaderWhere = $state<'this' | 'other' | 'unknown'>('unknown');
  counts = $state.raw<EngineCounts | null>(null);
  storage = $state.raw<StorageStatus>({ usage: null, quota: null, persisted: null });
  /** The user's settings, for every page and state class (one copy per tab). */
  readonly settings = new SettingsState();
  /** Bumps on every change notice, so pages can re-query. */
  changes = $state(0);
  lastNotice = $state.raw<ChangeNotice | null>(null);
  /**
   * The demo load (any tab's), while it runs or after it ran in this session: steps stored
   * of total. Null when none ran; `error` when this tab's run of it failed.
   */
  demo = $state.raw<{ stored: number; total: number; error?: string } | null>(null);
  /**
   * When retention last removed raw points (any tab), so the status bar can say why its
   * point count dropped: the points live on as rollups. Null when it never did.
   */
  rawCutAt = $state<number | null>(null);
  /** The leader's rollups are behind the data by this much (null while they keep up). */
  rollupLag = $state<{ lagMs: number; series: number } | null>(null);
  /** Set when the browser refused a write for lack of space (any tab): what to tell the user. */
  storageFull = $state<string | null>(null);
  /**
   * Set when the store is empty although this browser held data (the marker outside
   * IndexedDB says so): the browser evicted it or site data was cleared. The layout then
   * guides a re-import from the last backup.
   */
  dataGone = $state.raw<DataHeld | null>(null);
  #evictionChecked = false;
  /** Opens tried since the first failed (the recovery screen shows that retrying happened). */
  openRetries = $state(0);

  #handle: EngineHandle | null = null;
  #channel: BroadcastChannel | null = null;
  #resign: (() => void) | null = null;
  #storageTimer: ReturnType<typeof setTimeout> | undefined;
  #countsTimer: ReturnType<typeof setTimeout> | undefined;
  #listeners: ((notice: ChangeNotice) => void)[] = [];

  /** This tab's one engine worker, made on first use in the browser; stop() ends it. */
  get engine(): EngineRemote {
    if (!browser) throw new Error('The engine runs in the browser only.');
    this.#handle ??= new EngineHandle();
    return this.#handle.remote;
  }

  async start(): Promise<void> {
    const settings = await this.settings.load();
    applyTheme(settings.theme);
    const engine = this.engine;
    // Browser tests (crash, quota) drive this tab's own engine; only under automation.
    if (navigator.webdriver)
      (globalThis as { tidemarkEngine?: EngineRemote }).tidemarkEngine = engine;
    await engine.onLifecycle(proxy((e: DbLifecycle) => (this.lifecycle = e)));
    this.#channel = new BroadcastChannel(CHANGES_CHANNEL);
    this.#channel.onmessage = (ev: MessageEvent<ChangeNotice>) => this.#noticed(ev.data);
    const zone = settings.timeZone;
    if (zone) await engine.setTimeZone(zone);
    await engine.setRetention(settings.retentionOverrides);
    const lifecycle = await engine.init();
    this.lifecycle = lifecycle;
    document.documentElement.dataset.leader = 'false';
    this.#resign = electLeader((isLeader) => {
      this.leader = isLeader;
      this.leaderWhere = isLeader ? 'this' : 'unknown';
      document.documentElement.dataset.leader = String(isLeader);
      void this.engine.setLeader(isLeader);
    });
    void this.#checkLeaderElsewhere();
    if (lifecycle.kind === 'open') {
      await this.refreshCounts();
      void this.#resumeDemo();
      void this.#readLastCut();
    }
    await this.refreshStorage();
    // Installing is a sign the user means to keep using Tidemark: ask to keep its data.
    window.addEventListener('appinstalled', () => void this.keepData('install'));
    if (window.matchMedia?.('(display-mode: standalone)').matches) void this.keepData('install');
  }

  /**
   * Asks the browser to keep this site's data (`navigator.storage.persist()`) the first time
   * `reason` happens: the first import, the first pairing, the install (RELIABILITY.md row 5).
   * Chromium answers from engagement without a prompt; Firefox may ask the user.
   */
  async keepData(reason: PersistReason): Promise<void> {
    if (!firstTimeFor(globalThis.localStorage, reason, Date.now())) return;
    if (await navigator.storage?.persisted?.()) return;
    await this.requestPersistence();
  }

  /** Deletes every metric and event on the user's word: an empty store is then no eviction. */
  async clearAll(): Promise<void> {
    forgetDataHeld(globalThis.localStorage);
    await this.engine.clearAll();
  }

  /** The user read the eviction notice: it is not shown again. */
  dismissDataGone(): void {
    forgetDataHeld(globalThis.localStorage);
    this.dataGone = null;
  }

  /** The last export saved from this browser, if any (kept outside IndexedDB). */
  lastBackup() {
    return readLastBackup(globalThis.localStorage);
  }

  /** Keeps the "data was here" marker current and notices when the store came back empty. */
  #noteCounts(counts: EngineCounts): void {
    const storage = globalThis.localStorage;
    if (counts.series > 0 || counts.events > 0) {
      noteDataHeld(storage, counts, Date.now());
      this.dataGone = null;
    } else if (!this.#evictionChecked) {
      this.dataGone = readDataHeld(storage);
    }
    this.#evictionChecked = true;
  }

  /** Tries to open the store again (the recovery screen's "Try again"). */
  async retryOpen(): Promise<DbLifecycle> {
    this.openRetries++;
    const lifecycle = await this.engine.init();
    this.lifecycle = lifecycle;
    if (lifecycle.kind === 'open') await this.#opened();
    return lifecycle;
  }

  /** Every record still readable, as an NDJSON Blob (the recovery screen's export). */
  salvage() {
    return this.engine.salvage();
  }

  /** Deletes and recreates the store; `confirmation` is the phrase the user typed. */
  async resetStore(confirmation: string): Promise<DbLifecycle> {
    const lifecycle = await this.engine.resetStore(confirmation);
    this.lifecycle = lifecycle;
    if (lifecycle.kind === 'open') await this.#opened();
    return lifecycle;
  }

  /** After a late open: the leader takes up its work, pages re-query. */
  async #opened(): Promise<void> {
    void this.engine.setLeader(this.leader);
    await this.refreshCounts();
    await this.refreshStorage();
    this.changes++;
  }

  async #readLastCut(): Promise<void> {
    const last = await this.engine.lastCleanup().catch(() => null);
    if (last && last.chunks > 0) this.rawCutAt = last.at;
  }

  /** Whether a demo load is running (in any tab): pages keep showing its progress. */
  get demoLoading(): boolean {
    return this.demo !== null && this.demo.stored < this.demo.total && !this.demo.error;
  }

  /**
   * Loads the demo day, or joins the load already running; resolves when its last event is
   * stored. The job is the engine's, checkpointed in the store: leaving the page loses nothing.
   */
  async loadDemo(): Promise<void> {
    this.demo = { stored: 0, total: 1 };
    await this.#runDemo(() => this.engine.loadDemo());
  }

  /** A demo load a reload interrupted goes on where its checkpoint says. */
  async #resumeDemo(): Promise<void> {
    try {
      const job = await this.engine.demoStatus();
      if (!job || job.stored >= job.total) return;
      this.demo = { stored: job.stored, total: job.total };
      await this.#runDemo(() => this.engine.resumeDemo());
    } catch {
      // The database closed (an upgrade); the next start resumes.
    }
  }

  async #runDemo(run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
      const job = await this.engine.demoStatus();
      this.demo = job ? { stored: job.stored, total: job.total } : null;
    } catch (e) {
      this.demo = { ...(this.demo ?? { stored: 0, total: 1 }), error: (e as Error).message };
    }
    await this.refreshCounts();
  }

  /** Asks the lock manager whether another tab holds the leader lock (no guessing). */
  async #checkLeaderElsewhere(): Promise<void> {
    const locks = globalThis.navigator?.locks;
    if (!locks || this.leader) return;
    const state = await locks.query();
    if (this.leader) return;
    const held = state.held?.some((l) => l.name === LEADER_LOCK) ?? false;
    this.leaderWhere = held ? 'other' : 'unknown';
  }

  /** Background figures for Settings (the leader tab only). */
  async backgroundStats() {
    return this.leader ? this.engine.backgroundStats() : null;
  }

  /** Applies retention now. */
  async runCleanup() {
    const freed = await this.engine.cleanup();
    await this.refreshCounts();
    await this.refreshStorage();
    return freed;
  }

  /** What the last cleanup freed, whichever tab ran it. */
  async lastCleanup() {
    return this.engine.lastCleanup();
  }

  /** Gives up leadership, stops listening and ends this tab's engine worker. */
  stop(): void {
    this.#resign?.();
    this.#channel?.close();
    clearTimeout(this.#storageTimer);
    clearTimeout(this.#countsTimer);
    this.#handle?.dispose();
    this.#handle = null;
  }

  /** Calls `listener` with every change notice from any tab; returns the unsubscribe. */
  subscribe(listener: (notice: ChangeNotice) => void): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => (this.#listeners = this.#listeners.filter((l) => l !== listener));
  }

  /** The engine of this tab posts on its own channel object, so its notices arrive here too. */
  #noticed(notice: ChangeNotice): void {
    this.lastNotice = notice;
    for (const listener of this.#listeners) listener(notice);
    if (notice.kind === 'storage-full') this.storageFull = notice.message;
    if (notice.kind === 'settings') void this.#reloadSettings();
    if (notice.kind === 'cleared') {
      // Emptied on purpose (Settings, the recovery reset): not an eviction.
      this.storageFull = null;
      this.demo = null;
      this.rawCutAt = null;
      forgetDataHeld(globalThis.localStorage);
    }
    if (notice.kind === 'import-ended') void this.keepData('import');
    if (notice.kind === 'retention' && notice.chunks > 0) this.rawCutAt = Date.now();
    if (notice.kind === 'rollup-lag')
      this.rollupLag =
        notice.lagMs > RollupLagDefaults.behindMs
          ? { lagMs: notice.lagMs, series: notice.series }
          : null;
    if (notice.kind === 'demo') this.demo = { stored: notice.stored, total: notice.total };
    this.changes++;
    // counts() is one read (kept totals), but notices come many times a second under load:
    // at most once a second.
    if (this.#countsTimer === undefined)
      this.#countsTimer = setTimeout(() => {
        this.#countsTimer = undefined;
        void this.refreshCounts();
      }, 1000);
    // Storage estimates are cheap but not free: at most one every 2 s.
    clearTimeout(this.#storageTimer);
    this.#storageTimer = setTimeout(() => void this.refreshStorage(), 2000);
  }

  async refreshCounts(): Promise<void> {
    if (this.lifecycle?.kind !== 'open') return;
    try {
      this.counts = await this.engine.counts();
      this.#noteCounts(this.counts);
    } catch {
      // The database may have closed for an upgrade; the banner says so.
    }
  }

  async refreshStorage(): Promise<void> {
    const storage = navigator.storage;
    if (!storage?.estimate) return;
    const [estimate, persisted] = await Promise.all([
      storage.estimate(),
      storage.persisted ? storage.persisted() : Promise.resolve(null)
    ]);
    this.storage = { usage: estimate.usage ?? null, quota: estimate.quota ?? null, persisted };
  }

  async requestPersistence(): Promise<boolean> {
    const granted = (await navigator.storage?.persist?.()) ?? false;
    await this.refreshStorage();
    return granted;
  }

  /**
   * Saves retention overrides (ms per tier; missing = default) and applies them in every tab:
   * this tab's engines now, the others when the settings notice reaches them.
   */
  async setRetention(overrides: Partial<Record<RetentionKey, number>>): Promise<void> {
    await this.settings.update({ retentionOverrides: { ...overrides } });
    await this.#applyRetention();
    this.#channel?.postMessage({ kind: 'settings' } satisfies ChangeNotice);
  }

  async #reloadSettings(): Promise<void> {
    await this.settings.reload();
    await this.#applyRetention();
  }

  async #applyRetention(): Promise<void> {
    const overrides = this.settings.current.retentionOverrides;
    await this.engine.setRetention(overrides);
  }

  async setTheme(theme: Theme): Promise<void> {
    applyTheme(theme);
    await this.settings.update({ theme });
  }
}

function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
}

const KEY = Symbol('tidemark-app');

export function setAppContext(app: AppState): AppState {
  return setContext(KEY, app);
}

export function getAppContext(): AppState {
  return getContext<AppState>(KEY);
}
