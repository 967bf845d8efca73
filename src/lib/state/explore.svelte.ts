/**
 * State of the Explore page: the series list, the query result of the current view (at the
 * tier the store chose or the one asked for), the previous period, anomaly markers and the
 * raw points behind a drilled-down bucket. The view itself lives in the URL (explore-view.ts);
 * this class only loads what a view needs and drops answers to views no longer shown.
 */
import { queryAggregates, resolveRange, type ExploreView } from '$lib/charts/explore-view';
import {
  DefaultRetention,
  type AnomalyRecord,
  type Columnar,
  type QueryResult,
  type SeriesRecord
} from '$lib/types';
import type { EngineRemote } from '$lib/workers/engine-client';

/** Tunables of Explore. */
export const ExploreDefaults = {
  /** Buckets asked of the store: about two per pixel column of a wide chart. */
  maxPoints: 2_400,
  anomalyLimit: 500,
  /** Series shown in the list before the search narrows it. */
  listLimit: 200,
  /** Raw points shown for one drilled-down bucket. */
  drillLimit: 1_000,
  seriesRefreshMs: 2_000
};

export interface DrillDown {
  /** The bucket (or, on raw data, the neighbourhood) drilled into. */
  from: number;
  to: number;
  points: Columnar;
  /** True when the store no longer holds raw points that old (retention). */
  expired: boolean;
}

export class ExploreState {
  series = $state.raw<SeriesRecord[]>([]);
  seriesLoaded = $state(false);
  result = $state.raw<QueryResult | null>(null);
  previous = $state.raw<QueryResult | null>(null);
  anomalies = $state.raw<AnomalyRecord[]>([]);
  range = $state.raw<{ from: number; to: number } | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  drill = $state.raw<DrillDown | null>(null);
  drillLoading = $state(false);
  /** The view last loaded, to tell a reload from a new view. */
  #viewKey = '';

  #engine: () => EngineRemote;
  #request = 0;
  #seriesTimer: ReturnType<typeof setTimeout> | undefined;
  #seriesAt = -Infinity;

  constructor(engine: () => EngineRemote) {
    this.#engine = engine;
  }

  /**
   * Reloads the series list now, or — when it was read within the last
   * `seriesRefreshMs` — once that time has passed: change notices can arrive many times a
   * second under load.
   */
  refreshSeriesSoon(): void {
    if (this.#seriesTimer !== undefined) return;
    const wait = Math.max(0, this.#seriesAt + ExploreDefaults.seriesRefreshMs - Date.now());
    this.#seriesTimer = setTimeout(() => {
      this.#seriesTimer = undefined;
      this.#seriesAt = Date.now();
      void this.loadSeries();
    }, wait);
  }

  async loadSeries(): Promise<void> {
    try {
      const list = await this.#engine().listSeries();
      list.sort((a, b) => a.key.localeCompare(b.key));
      this.series = list;
    } catch (e) {
      this.error = `Could not read the series list: ${(e as Error).message}`;
    } finally {
      this.seriesLoaded = true;
    }
  }

  /** The selected series of a view, if it exists. */
  selected(view: ExploreView): SeriesRecord | null {
    return this.series.find((s) => s.key === view.series) ?? null;
  }

  /** Loads what `view` shows; answers to an older call are dropped. */
  async load(view: ExploreView, now: number): Promise<void> {
    const request = ++this.#request;
    const s = this.selected(view);
    // A reload of the same view (new data arrived) keeps the drill-down the user opened.
    const viewKey = JSON.stringify(view);
    if (viewKey !== this.#viewKey) this.drill = null;
    this.#viewKey = viewKey;
    if (!s) {
      this.result = this.previous = null;
      this.anomalies = [];
      this.range = null;
      return;
    }
    const range = resolveRange(view, now);
    const engine = this.#engine();
    const aggregates = queryAggregates(view.agg);
    const tier = view.res === 'auto' ? undefined : view.res;
    const span = range.to - range.from;
    this.loading = true;
    try {
      const [result, previous, anomalies] = await Promise.all([
        engine.query({
          seriesId: s.id,
          ...range,
          maxPoints: ExploreDefaults.maxPoints,
          aggregates,
          tier
        }),
        view.compare
          ? engine.query({
              seriesId: s.id,
              from: range.from - span,
              to: range.to - span,
              maxPoints: ExploreDefaults.maxPoints,
              aggregates: [aggregates.includes('avg') ? 'avg' : aggregates[0]],
              tier
            })
          : Promise.resolve(null),
        engine.listAnomalies({ seriesKey: s.key, ...range, limit: ExploreDefaults.anomalyLimit })
      ]);
      if (request !== this.#request) return;
      if (previous) previous.t = previous.t.map((t) => t + span);
      this.result = result;
      this.previous = previous;
      this.anomalies = anomalies;
      this.range = range;
      this.error = null;
    } catch (e) {
      if (request === this.#request) this.error = `The query failed: ${(e as Error).message}`;
    } finally {
      if (request === this.#request) this.loading = false;
    }
  }

  /**
   * The raw points behind the bucket containing `t` (or, on raw data, the ±10 points
   * around it), for the drill-down table.
   */
  async drillDown(t: number, now: number): Promise<void> {
    const result = this.result;
    if (!result || result.t.length === 0) return;
    let i = 0;
    while (i + 1 < result.t.length && result.t[i + 1] <= t) i++;
    const raw = result.stepMs === 0;
    const from = raw ? result.t[Math.max(0, i - 10)] : result.t[i];
    const to = raw
      ? result.t[Math.min(result.t.length - 1, i + 10)]
      : result.t[i] + result.stepMs - 1;
    this.drillLoading = true;
    try {
      const points = await this.#engine().readRaw(result.seriesId, from, to);
      const s = this.series.find((x) => x.id === result.seriesId);
      // Raw points older than the raw horizon (1 h by default) were removed by retention.
      const expired =
        points.t.length === 0 && s?.firstT !== undefined && from < now - DefaultRetention.raw;
      this.drill = { from, to, points, expired };
    } catch (e) {
      this.error = `Could not read the raw points: ${(e as Error).message}`;
    } finally {
      this.drillLoading = false;
    }
  }
}
