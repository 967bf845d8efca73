/**
 * State of the Live page: the series grouped into families (one chart each), the live feed
 * (a constant-memory window per charted series, fed incrementally from change notices), the
 * health score and recent anomalies. Drawing is the frame scheduler's job (at most once per
 * frame, visible charts only). A notice names its series as id ranges: the charted series
 * are looked up in them, and the list is re-read only when an id beyond the largest known
 * appears (a new series), at most every few seconds.
 */
import { transfer } from 'comlink';
import { computeSignalsHealth, type HealthScore } from '$lib/analytics/health';
import { FrameScheduler } from '$lib/charts/frame-scheduler';
import { filterFamilies, groupFamilies } from '$lib/charts/live-families';
import { LiveFeed } from '$lib/charts/live-feed';
import { OffscreenLiveCharts } from '$lib/charts/offscreen-client';
import { LiveWindowDefaults } from '$lib/charts/live-buffer';
import type { AnomalyRecord, ChangeNotice, PointBatch, SeriesRecord } from '$lib/types';
import { maxIdInRanges } from '$lib/types/id-ranges';
import { CHANGES_CHANNEL } from '$lib/workers/channels';
import type { EngineRemote } from '$lib/workers/engine-client';
import { startSyntheticLoad, type SyntheticLoad, type SyntheticLoadStats } from './load';

/** Tunables of the Live page. */
export const LiveDefaults = {
  /** Family charts shown per category before "Show all". */
  chartsPerCategory: 12,
  /** The series list is re-read (new series appeared) at most this often. */
  seriesRefreshMs: 3_000,
  healthRefreshMs: 10_000,
  /** Recent events the health score is computed from. */
  healthEvents: 2_000,
  /** Latency the health score's SLA allows (ms, p95 of event durations). */
  slaMs: 2_000,
  anomalyLimit: 8,
  /** The window slides even without new points: redraw visible charts this often. */
  slideMs: 1_000
};

export class LiveState {
  series = $state.raw<SeriesRecord[]>([]);
  /** One chart per family (series sharing a name), recomputed when the list is re-read. */
  readonly families = $derived(groupFamilies(this.series));
  /** The search box: families and series whose name or labels match. */
  query = $state('');
  readonly shownFamilies = $derived(filterFamilies(this.families, this.query));
  /** The time under the pointer on any chart: every chart draws its crosshair there. */
  hoverT = $state<number | null>(null);
  loaded = $state(false);
  error = $state<string | null>(null);
  health = $state.raw<HealthScore | null>(null);
  anomalies = $state.raw<AnomalyRecord[]>([]);
  loadRate = $state<number | null>(null);
  loadStats = $state.raw<SyntheticLoadStats | null>(null);
  readonly scheduler = new FrameScheduler();
  readonly windowMs = LiveWindowDefaults.windowMs;

  readonly feed: LiveFeed;
  #engine: () => EngineRemote;
  #channel: BroadcastChannel | null = null;
  #timers: ReturnType<typeof setInterval>[] = [];
  #seriesTimer: ReturnType<typeof setTimeout> | undefined;
  /** The largest id in the current series list: a notice naming a larger one has new series. */
  #maxKnown = -Infinity;
  #lastRefresh = -Infinity;
  #leader: () => boolean;
  #demoOn = false;
  #continuing = false;
  #load: SyntheticLoad | null = null;
  #stopped = false;

  /** Draws the charts in a worker (OffscreenCanvas); null: on the main thread. */
  readonly offscreen: OffscreenLiveCharts | null;

  /**
   * `drawing: 'main'` keeps Chart.js on the main thread (`/?charts=main`, for comparison);
   * by default charts are drawn in a worker where the browser supports OffscreenCanvas.
   */
  constructor(
    engine: () => EngineRemote,
    options: { drawing?: 'auto' | 'main'; leader?: () => boolean } = {}
  ) {
    this.#engine = engine;
    this.#leader = options.leader ?? (() => false);
    this.offscreen =
      options.drawing !== 'main' && OffscreenLiveCharts.isSupported()
        ? new OffscreenLiveCharts()
        : null;
    this.feed = new LiveFeed({
      readRaw: (id, from, to) => this.#engine().readRaw(id, from, to),
      now: () => Date.now()
    });
  }

  /** Opens the change channel and starts the refresh timers. */
  async start(): Promise<void> {
    this.#stopped = false;
    this.#channel = new BroadcastChannel(CHANGES_CHANNEL);
    this.#channel.onmessage = (ev: MessageEvent<ChangeNotice>) => this.#noticed(ev.data);
    this.#timers.push(
      setInterval(() => this.#slide(), LiveDefaults.slideMs),
      setInterval(() => void this.refreshHealth(), LiveDefaults.healthRefreshMs)
    );
    await this.refreshSeries();
    await this.refreshHealth();
  }

  stop(): void {
    this.#stopped = true;
    this.#channel?.close();
    this.#channel = null;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    clearTimeout(this.#seriesTimer);
    this.stopLoad();
    this.feed.stop();
    this.scheduler.dispose();
    this.offscreen?.dispose();
  }

  /** Starts `/?load=N`: N points/s over 10 series through ingest, store and notices. */
  startLoad(rate: number): void {
    this.stopLoad();
    this.loadRate = rate;
    const engine = this.#engine();
    this.#load = startSyntheticLoad({
      rate,
      ingest: (batches: PointBatch[]) =>
        engine.ingest(
          transfer(
            batches,
            batches.flatMap((b) => [b.t.buffer as ArrayBuffer, b.v.buffer as ArrayBuffer])
          )
        )
    });
    const load = this.#load;
    this.#timers.push(setInterval(() => (this.loadStats = { ...load.stats }), 1_000));
  }

  stopLoad(): void {
    this.#load?.stop();
    this.#load = null;
  }

  /** The page's "now" (tests install a fake clock; the charts worker follows it). */
  now(): number {
    return Date.now();
  }

  async refreshSeries(): Promise<void> {
    this.#lastRefresh = this.now();
    try {
      const list = await this.#engine().listSeries();
      this.#maxKnown = list.reduce((m, s) => Math.max(m, s.id), -Infinity);
      this.#demoOn = list.some((s) => s.source === 'demo');
      this.series = list;
      this.error = null;
    } catch (e) {
      this.error = `Could not read the series list: ${(e as Error).message}`;
    } finally {
      this.loaded = true;
    }
  }

  async refreshHealth(): Promise<void> {
    if (this.#stopped) return;
    try {
      const engine = this.#engine();
      const [events, anomalies] = await Promise.all([
        engine.recentEvents(LiveDefaults.healthEvents),
        engine.listAnomalies({ limit: LiveDefaults.anomalyLimit })
      ]);
      this.anomalies = anomalies;
      // The same signals and the same definition of success and latency as Insights.
      this.health = computeSignalsHealth({
        events,
        slaMs: LiveDefaults.slaMs,
        series: this.series
      }).health;
    } catch {
      // The health card keeps its last figure; the next refresh retries.
    }
  }

  #noticed(notice: ChangeNotice): void {
    if (notice.kind === 'cleared') {
      this.feed.clear();
      this.offscreen?.clear();
      this.#scheduleSeries(0);
      return;
    }
    // The demo load's progress: its points and events come with their own notices.
    if (notice.kind === 'demo') return;
    if (notice.kind === 'events') {
      void this.refreshHealth();
      return;
    }
    if (notice.kind !== 'points') {
      this.#scheduleSeries(0);
      return;
    }
    if (maxIdInRanges(notice.ids) > this.#maxKnown) {
      // New series (ids only grow): re-read the list, not more often than seriesRefreshMs.
      const since = this.now() - this.#lastRefresh;
      this.#scheduleSeries(Math.max(0, LiveDefaults.seriesRefreshMs - since));
    }
    this.feed.markRanges(notice.ids);
  }

  /** Once a second: the window slides; while the demo is on, the leader continues it. */
  #slide(): void {
    const now = this.now();
    this.offscreen?.clock(now);
    this.scheduler.requestVisible();
    if (!this.#demoOn || this.#continuing || !this.#leader() || this.#stopped) return;
    this.#continuing = true;
    this.#engine()
      .continueDemo({ now })
      .catch(() => {
        // The next second tries again (a closed database during an upgrade).
      })
      .finally(() => (this.#continuing = false));
  }

  #scheduleSeries(delay: number): void {
    if (this.#seriesTimer !== undefined) {
      if (delay > 0) return;
      clearTimeout(this.#seriesTimer);
    }
    this.#seriesTimer = setTimeout(() => {
      this.#seriesTimer = undefined;
      void this.refreshSeries();
    }, delay);
  }
}

/** The Live page's panels, in order. */
export const LiveCategories: { id: SeriesRecord['category']; title: string }[] = [
  { id: 'system', title: 'System' },
  { id: 'model', title: 'Model' },
  { id: 'ux', title: 'UX' },
  { id: 'network', title: 'Network' },
  { id: 'app', title: 'App' },
  { id: 'events', title: 'Events' }
];
