/**
 * State of the Explore page: the series list, the query result of the current view (at the
 * tier the store chose or the one asked for), the previous period, anomaly markers and the
 * raw points behind a drilled-down bucket. The view itself lives in the URL (explore-view.ts);
 * this class only loads what a view needs and drops answers to views no longer shown.
 */
import { histogramFamily, parseBucketBound } from '$lib/analytics/histogram';
import {
  queryAggregates,
  resolveRange,
  zoomToData,
  type ExploreView
} from '$lib/charts/explore-view';
import {
  DefaultRetention,
  type AnomalyRecord,
  type ChangeNotice,
  type Columnar,
  type QueryResult,
  type SeriesRecord
} from '$lib/types';
import { idRangesHas, maxIdInRanges } from '$lib/types/id-ranges';
import { seriesKey } from '$lib/types/series-key';
import type { EngineRemote } from '$lib/workers/engine-client';

/** Tunables of Explore. */
export const ExploreDefaults = {
  /** Buckets asked of the store: about two per pixel column of a wide chart. */
  maxPoints: 2_400,
  anomalyLimit: 500,
  /** Series shown in the list before the search narrows it. */
  listLimit: 200,
  /** Series drawn together at most (the palette has eight colours). */
  maxDrawn: 8,
  /** Raw points shown for one drilled-down bucket. */
  drillLimit: 1_000,
  seriesRefreshMs: 2_000,
  /** Bucket series of one histogram read at most (Prometheus' defaults have 11–15). */
  histogramBuckets: 100,
  /** What a histogram family is drawn as. */
  histogramQuantiles: [0.5, 0.95, 0.99] as const
};

/** One drawn series: its record, the answer for the view's range, and how it is shown. */
export interface SeriesResult {
  series: SeriesRecord;
  result: QueryResult;
  /** True when a counter is drawn as its per-second rate (in `result.columns.avg`). */
  rate: boolean;
  /** The unit values are shown in (a counter's unit per second when `rate`). */
  unit: string;
  /** Why the series is drawn otherwise than asked, in words. */
  note: string | null;
  /**
   * A histogram family drawn as p50/p95/p99 estimated from its buckets (`result.columns`
   * holds p50, p95 and p99); `series` then names the family, not one bucket.
   */
  quantiles?: boolean;
}

/** The unit of a counter's per-second rate: "bytes" → "bytes/s", a count → "/s". */
export function rateUnit(unit: string): string {
  return !unit || unit === 'count' ? '/s' : `${unit}/s`;
}

/**
 * Queries one series for a chart; a counter comes back as its per-second rate unless
 * `rawCounter`. Explore and the dashboards' widgets draw what this returns.
 */
export async function querySeriesResult(
  engine: EngineRemote,
  s: SeriesRecord,
  options: {
    range: { from: number; to: number };
    maxPoints: number;
    aggregates: ReturnType<typeof queryAggregates>;
    tier?: Exclude<ExploreView['res'], 'auto'>;
    rawCounter?: boolean;
  }
): Promise<SeriesResult> {
  const rate = s.kind === 'counter' && !options.rawCounter;
  const result = await engine.query({
    seriesId: s.id,
    ...options.range,
    maxPoints: options.maxPoints,
    // A cumulative counter's min/max/percentiles say little; its rate is what is drawn.
    aggregates: rate ? ['last'] : options.aggregates,
    tier: options.tier,
    rate
  });
  if (rate) {
    const r = result.rate ?? new Float64Array(result.t.length).fill(NaN);
    // A rate needs two samples: a single scrape has none, so its stored value is shown.
    if (r.some(Number.isFinite) || result.t.length === 0) {
      result.columns = { avg: r };
      return { series: s, result, rate, unit: rateUnit(s.unit), note: null };
    }
    result.columns = { avg: result.columns.last ?? new Float64Array(result.t.length) };
    return {
      series: s,
      result,
      rate: false,
      unit: s.unit,
      note: 'One sample in range: a rate needs two, so the counter is shown as stored.'
    };
  }
  return { series: s, result, rate, unit: s.unit, note: null };
}

export interface DrillDown {
  /** The bucket (or, on raw data, the neighbourhood) drilled into. */
  from: number;
  to: number;
  points: Columnar;
  /** True when the store no longer holds raw points that old (retention). */
  expired: boolean;
}

export class ExploreState {
  /** The series list as searched (the first `listLimit` matches, by key). */
  series = $state.raw<SeriesRecord[]>([]);
  /** How many series match the search, and how many are stored. */
  matchTotal = $state(0);
  allTotal = $state(0);
  /** The search `series` answers: until a new search's answer arrives, the old one. */
  seriesFor = $state<string | null>(null);
  /** The records of the view's series, read by key (not from the list). */
  chosen = $state.raw<SeriesRecord[]>([]);
  seriesLoaded = $state(false);
  chosenLoaded = $state(false);
  /** The drawn series' answers, in the view's order (the first is the primary one). */
  results = $state.raw<SeriesResult[]>([]);
  /** Set when the view's range held no data and the chart opened on the data's extent. */
  zoomedToData = $state(false);
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
  /** What the pending refresh re-reads. */
  #due = { list: false, chosen: false };
  /** The largest series id any notice named, and its value when the list was last read. */
  #seenMax = -Infinity;
  #listedMax = -Infinity;

  constructor(engine: () => EngineRemote) {
    this.#engine = engine;
  }

  #q = '';
  #keys: string[] = [];
  #searchRequest = 0;

  /**
   * The search text and the chosen keys of the view: the list is searched and the chosen
   * series read at once when either changes (the chart does not wait for the list).
   */
  setQuery(q: string, keys: string[]): void {
    const qChanged = q !== this.#q || !this.seriesLoaded;
    const keysChanged = keys.join('\n') !== this.#keys.join('\n') || !this.chosenLoaded;
    this.#q = q;
    this.#keys = keys;
    if (keysChanged) void this.loadChosen();
    if (qChanged) void this.loadSeries();
  }

  /** Searches the list for `q` now (typing); the URL catches up later through setQuery. */
  search(q: string): void {
    if (q === this.#q) return;
    this.#q = q;
    void this.loadSeries();
  }

  /**
   * Re-reads the list and the chosen series now, or — when read within the last
   * `seriesRefreshMs` — once that time has passed: change notices can arrive many times a
   * second under load.
   */
  refreshSeriesSoon(what: { list: boolean; chosen: boolean } = { list: true, chosen: true }): void {
    this.#due.list ||= what.list;
    this.#due.chosen ||= what.chosen;
    if (this.#seriesTimer !== undefined || !(this.#due.list || this.#due.chosen)) return;
    const wait = Math.max(0, this.#seriesAt + ExploreDefaults.seriesRefreshMs - Date.now());
    this.#seriesTimer = setTimeout(() => {
      this.#seriesTimer = undefined;
      this.#seriesAt = Date.now();
      const { list, chosen } = this.#due;
      this.#due = { list: false, chosen: false };
      if (list) void this.loadSeries();
      if (chosen) void this.loadChosen();
    }, wait);
  }

  /**
   * A change notice from any tab: new points re-read the list only when they name a series
   * newer than any seen when it was last read (ids only grow), and the chosen series only
   * when they name one of them; at 10,000 series × 1 Hz most notices need neither search.
   * Any other kind of notice (a clear, an import's end) re-reads both.
   */
  noticed(notice: ChangeNotice): void {
    if (notice.kind !== 'points') {
      this.refreshSeriesSoon();
      return;
    }
    const max = maxIdInRanges(notice.ids);
    if (max > this.#seenMax) this.#seenMax = max;
    this.refreshSeriesSoon({
      list: max > this.#listedMax,
      chosen: this.chosen.some((s) => idRangesHas(notice.ids, s.id))
    });
  }

  /** Searches the engine's series index for the list. */
  async loadSeries(): Promise<void> {
    const request = ++this.#searchRequest;
    const q = this.#q;
    this.#listedMax = this.#seenMax;
    try {
      const engine = this.#engine();
      const [found, all] = await Promise.all([
        engine.searchSeries({ text: q, limit: ExploreDefaults.listLimit }),
        q ? engine.searchSeries({ text: '', limit: 0 }) : null
      ]);
      if (request !== this.#searchRequest) return;
      this.series = found.series;
      this.seriesFor = q;
      this.matchTotal = found.total;
      this.allTotal = all?.total ?? found.total;
    } catch (e) {
      this.error = `Could not read the series list: ${(e as Error).message}`;
    } finally {
      if (request === this.#searchRequest) this.seriesLoaded = true;
    }
  }

  /** Reads the view's series by key. */
  async loadChosen(): Promise<void> {
    const keys = this.#keys;
    try {
      const found = keys.length ? await this.#engine().seriesByKeys(keys) : [];
      if (keys !== this.#keys) return;
      // Same records as before: keep the array, so the chart is not queried again.
      const same =
        found.length === this.chosen.length &&
        found.every((r, i) => r.id === this.chosen[i].id && r.lastT === this.chosen[i].lastT);
      if (!same) this.chosen = found;
    } catch (e) {
      this.error = `Could not read the series: ${(e as Error).message}`;
    } finally {
      if (keys === this.#keys) this.chosenLoaded = true;
    }
  }

  /** The primary (first) drawn series' answer, for the table and the drill-down. */
  get result(): QueryResult | null {
    return this.results[0]?.result ?? null;
  }

  /** The series of a view that exist, in the view's order. */
  selectedAll(view: ExploreView): SeriesRecord[] {
    return view.series.flatMap((k) => this.chosen.find((s) => s.key === k) ?? []);
  }

  /** The primary selected series of a view, if it exists. */
  selected(view: ExploreView): SeriesRecord | null {
    return this.selectedAll(view)[0] ?? null;
  }

  /** Loads what `view` shows; answers to an older call are dropped. */
  async load(view: ExploreView, now: number): Promise<void> {
    const request = ++this.#request;
    const chosen = this.selectedAll(view);
    // A reload of the same view (new data arrived) keeps the drill-down the user opened.
    const viewKey = JSON.stringify(view);
    if (viewKey !== this.#viewKey) this.drill = null;
    this.#viewKey = viewKey;
    if (chosen.length === 0) {
      this.results = [];
      this.previous = null;
      this.anomalies = [];
      this.range = null;
      this.zoomedToData = false;
      return;
    }
    let range = resolveRange(view, now);
    // A relative range that holds none of the data opens on the data instead ("zoom to
    // data"): an import of last week's file should not open on an empty last hour.
    const zoomed = view.from === null ? zoomToData(range, chosen) : null;
    if (zoomed) range = zoomed;
    const engine = this.#engine();
    const aggregates = queryAggregates(view.agg);
    const tier = view.res === 'auto' ? undefined : view.res;
    const span = range.to - range.from;
    const primary = chosen[0];
    this.loading = true;
    try {
      const [results, previous, anomalies] = await Promise.all([
        this.#queryAll(chosen, view, range, aggregates, tier),
        view.compare
          ? engine.query({
              seriesId: primary.id,
              from: range.from - span,
              to: range.to - span,
              maxPoints: ExploreDefaults.maxPoints,
              aggregates: [aggregates.includes('avg') ? 'avg' : aggregates[0]],
              tier
            })
          : Promise.resolve(null),
        engine.listAnomalies({
          seriesKey: primary.key,
          ...range,
          limit: ExploreDefaults.anomalyLimit
        })
      ]);
      if (request !== this.#request) return;
      if (previous) previous.t = previous.t.map((t) => t + span);
      this.results = results;
      this.previous = previous;
      this.anomalies = anomalies;
      this.range = range;
      this.zoomedToData = zoomed !== null;
      this.error = null;
    } catch (e) {
      if (request === this.#request) this.error = `The query failed: ${(e as Error).message}`;
    } finally {
      if (request === this.#request) this.loading = false;
    }
  }

  /**
   * Queries the drawn series. Bucket series of a histogram (unless asked as stored) are
   * drawn once per family, as its p50/p95/p99 over time; the rest one by one.
   */
  async #queryAll(
    chosen: SeriesRecord[],
    view: ExploreView,
    range: { from: number; to: number },
    aggregates: ReturnType<typeof queryAggregates>,
    tier: ExploreView['res'] | undefined
  ): Promise<SeriesResult[]> {
    const families: string[] = [];
    const answers = await Promise.all(
      chosen.map(async (s) => {
        const family = view.rawHistogram ? null : histogramFamily(s);
        if (family) {
          const id = seriesKey(family.name, family.labels);
          if (families.includes(id)) return null;
          families.push(id);
          const drawn = await this.#queryHistogram(s, family, range, tier);
          if (drawn) return drawn;
        }
        return this.#querySeries(s, view, range, aggregates, tier);
      })
    );
    return answers.filter((a): a is SeriesResult => a !== null);
  }

  /**
   * A histogram family's p50/p95/p99 over time, like PromQL's
   * `histogram_quantile(q, rate(x_bucket[…]))`: every bucket series of the family is queried
   * as a per-second rate (one scrape: its stored counts, since a rate needs two) and the
   * quantiles are estimated per time (analytics/histogram.ts). Null when the family has no
   * `+Inf` bucket stored (not a whole histogram): the bucket is then drawn as it is.
   */
  async #queryHistogram(
    primary: SeriesRecord,
    family: { name: string; labels: Record<string, string> },
    range: { from: number; to: number },
    tier: ExploreView['res'] | undefined
  ): Promise<SeriesResult | null> {
    const engine = this.#engine();
    const familyKey = seriesKey(family.name, family.labels);
    const selector = Object.keys(family.labels).length ? familyKey : `${family.name}{}`;
    const found = await engine.searchSeries({
      text: selector,
      limit: ExploreDefaults.histogramBuckets
    });
    const wanted = Object.keys(family.labels).length + 1;
    const buckets = found.series.filter(
      (s) =>
        s.name === family.name &&
        Object.keys(s.labels).length === wanted &&
        Object.entries(family.labels).every(([k, v]) => s.labels[k] === v) &&
        !Number.isNaN(parseBucketBound(s.labels.le))
    );
    if (!buckets.some((s) => parseBucketBound(s.labels.le) === Infinity)) return null;
    const { result, rates } = await engine.queryHistogram({
      buckets: buckets.map((s) => ({ seriesId: s.id, le: s.labels.le })),
      ...range,
      maxPoints: ExploreDefaults.maxPoints,
      tier: tier === 'auto' ? undefined : tier,
      quantiles: ExploreDefaults.histogramQuantiles
    });
    const name = family.name.replace(/_bucket$/, '');
    return {
      series: {
        ...primary,
        key: `histogram_quantile(${familyKey})`,
        name,
        labels: family.labels,
        firstT: Math.min(...buckets.map((b) => b.firstT ?? Infinity)),
        lastT: Math.max(...buckets.map((b) => b.lastT ?? -Infinity))
      },
      result,
      rate: false,
      quantiles: true,
      unit: primary.unit,
      note: rates
        ? `p50, p95 and p99 estimated from the per-second rates of ${buckets.length} buckets (linear inside a bucket, as Prometheus' histogram_quantile).`
        : `One scrape in range: p50, p95 and p99 of the ${buckets.length} buckets' counts since the process started (a rate needs two scrapes).`
    };
  }

  /** Queries one series; a counter comes back as its per-second rate unless asked raw. */
  #querySeries(
    s: SeriesRecord,
    view: ExploreView,
    range: { from: number; to: number },
    aggregates: ReturnType<typeof queryAggregates>,
    tier: ExploreView['res'] | undefined
  ): Promise<SeriesResult> {
    return querySeriesResult(this.#engine(), s, {
      range,
      maxPoints: ExploreDefaults.maxPoints,
      aggregates,
      tier: tier === 'auto' ? undefined : tier,
      rawCounter: view.rawCounter
    });
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
      const s = this.chosen.find((x) => x.id === result.seriesId);
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
