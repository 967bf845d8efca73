/**
 * State of the Live page: the series, the live feed (a constant-memory window per charted
 * series, fed incrementally from change notices), the health score and recent anomalies.
 * Drawing is the frame scheduler's job (at most once per frame, visible charts only).
 */
import { transfer } from 'comlink';
import { computeHealthScore, type HealthScore } from '$lib/analytics/health';
import { computeQuantile } from '$lib/analytics/stats';
import { FrameScheduler } from '$lib/charts/frame-scheduler';
import { LiveFeed } from '$lib/charts/live-feed';
import { OffscreenLiveCharts } from '$lib/charts/offscreen-client';
import { LiveWindowDefaults } from '$lib/charts/live-buffer';
import type { AnomalyRecord, ChangeNotice, PointBatch, SeriesRecord } from '$lib/types';
import { CHANGES_CHANNEL } from '$lib/workers/channels';
import type { EngineRemote } from '$lib/workers/engine-client';
import { startSyntheticLoad, type SyntheticLoad, type SyntheticLoadStats } from './load';

/** Tunables of the Live page. */
export const LiveDefaults = {
  /** Charts shown per category before "Show all". */
  chartsPerCategory: 12,
  /** The series list (current values of uncharted tiles) refreshes at most this often. */
  seriesRefreshMs: 1_000,
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
  /** Ids in the current series list (a plain array: read only to spot new series). */
  #known: number[] = [];
  #load: SyntheticLoad | null = null;
  #stopped = false;

  /** Draws the charts in a worker (OffscreenCanvas); null: on the main thread. */
  readonly offscreen: OffscreenLiveCharts | null;

  /**
   * `drawing: 'main'` keeps Chart.js on the main thread (`/?charts=main`, for comparison);
   * by default charts are drawn in a worker where the browser supports OffscreenCanvas.
   */
  constructor(engine: () => EngineRemote, options: { drawing?: 'auto' | 'main' } = {}) {
    this.#engine = engine;
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
      setInterval(() => this.scheduler.requestVisible(), LiveDefaults.slideMs),
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

  async refreshSeries(): Promise<void> {
    try {
      const list = await this.#engine().listSeries();
      list.sort((a, b) => a.key.localeCompare(b.key));
      this.#known = list.map((s) => s.id).sort((a, b) => a - b);
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
      const ok = events.filter((e) => e.status === 'success').length;
      const durations = Float64Array.from(events, (e) => e.durationMs);
      const used = this.series.find((s) => s.name === 'memory_used_bytes')?.lastV;
      const total = this.series.find((s) => s.name === 'memory_total_bytes')?.lastV;
      this.health = computeHealthScore({
        successRate: events.length ? ok / events.length : null,
        errorRate: events.length ? 1 - ok / events.length : null,
        latencyMs: events.length ? computeQuantile(durations, 0.95) : null,
        slaMs: LiveDefaults.slaMs,
        resourceHeadroom: used !== undefined && total ? 1 - used / total : null
      });
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
    if (notice.kind === 'events') {
      void this.refreshHealth();
      return;
    }
    if (notice.kind !== 'points') {
      this.#scheduleSeries(0);
      return;
    }
    const unknown = notice.seriesIds.some((id) => !this.#known.includes(id));
    this.#scheduleSeries(unknown ? 0 : LiveDefaults.seriesRefreshMs);
    this.feed.mark(notice.seriesIds);
  }

  #scheduleSeries(delay: number): void {
    if (this.#seriesTimer !== undefined && delay > 0) return;
    clearTimeout(this.#seriesTimer);
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
