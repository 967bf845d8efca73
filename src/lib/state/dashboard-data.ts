/**
 * What a dashboard widget shows, asked of the engine: stored series (through Explore's
 * search and query), result-log views, analyst questions and the event summary. One
 * `DashboardFetcher` serves one refresh of one dashboard, so widgets that read the same
 * view share one answer.
 */
import { computeSummaryFigure } from '$lib/analytics/dashboard-summary';
import type { Heatmap } from '$lib/analytics/heatmap';
import { histogramFamily } from '$lib/analytics/histogram';
import type { OverallHealth } from '$lib/analytics/resultlog-queries';
import { HOUR_MS, DAY_MS } from '$lib/types';
import type { DashboardRange, Widget, WidgetSource } from '$lib/types/dashboard';
import type { EngineRemote } from '$lib/workers/engine-client';
import type { AnalyticsQueryName, ResultLogSnapshot } from '$lib/workers/engine/analytics';
import { flattenRow } from './analytics.svelte';
import { querySeriesResult, type SeriesResult } from './explore.svelte';

export const DashboardDataDefaults = {
  /** Series a widget draws at most (the palette has eight colours). */
  maxSeries: 8,
  /** Buckets asked per series: a widget is at most a screen wide. */
  maxPoints: 600,
  /** Rows a table or top-N widget keeps. */
  maxRows: 200
};

export const RangeMs: Record<DashboardRange, number> = {
  '15m': 15 * 60_000,
  '1h': HOUR_MS,
  '6h': 6 * HOUR_MS,
  '24h': DAY_MS,
  '7d': 7 * DAY_MS,
  '30d': 30 * DAY_MS
};

export type WidgetData =
  | { kind: 'series'; series: SeriesResult[]; range: { from: number; to: number } }
  | { kind: 'value'; value: number; unit: string; spark: number[]; detail: string }
  | { kind: 'rows'; rows: Record<string, unknown>[] }
  /** `unit` of the latency rows' bounds: 'ms' for event durations, the histogram's otherwise. */
  | { kind: 'heatmap'; heatmap: Heatmap; unit: string; what: string }
  | { kind: 'none' };

/**
 * Questions that compare periods of their own (this week with the last, idle for days):
 * the dashboard's range would cut their baseline off, so they see every stored event.
 */
const WholeHistoryQuestions = new Set(['weekOverWeekGrowth', 'idleTriggers', 'overallHealth']);

/** Why a widget has nothing to show, in words saying what to do. */
export class NoDataError extends Error {}

/** Answers the widgets of one dashboard refresh; shared reads are asked once. */
export class DashboardFetcher {
  readonly range: { from: number; to: number };
  #engine: EngineRemote;
  #memo = new Map<string, Promise<unknown>>();
  /** The stored series each selector found (for live refresh: whose new points matter). */
  #found = new Map<string, number[]>();

  /** `window` (a scheduled report's [from, to)) takes the place of `range` ending at `now`. */
  constructor(
    engine: EngineRemote,
    options: { range: DashboardRange; now: number; window?: { from: number; to: number } }
  ) {
    this.#engine = engine;
    this.range = options.window
      ? { ...options.window }
      : { from: options.now - RangeMs[options.range], to: options.now };
  }

  #once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.#memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = fn();
      this.#memo.set(key, p);
    }
    return p;
  }

  /** An analyst question's raw answer (the engine's API is generic over the name). */
  #ask(name: AnalyticsQueryName, params: Record<string, unknown>): Promise<unknown> {
    return this.#engine.analyticsQuery(name, params as never) as Promise<unknown>;
  }

  snapshot(): Promise<ResultLogSnapshot> {
    return this.#once('views', () => this.#engine.resultLogViews({}));
  }

  async question(
    name: string,
    params: Record<string, unknown> = {}
  ): Promise<Record<string, unknown>[]> {
    const key = `q:${name}:${JSON.stringify(params)}`;
    const answer = await this.#once(key, () =>
      this.#ask(name as AnalyticsQueryName, {
        ...(WholeHistoryQuestions.has(name) ? {} : this.range),
        ...(name === 'overallHealth' ? { windowMs: this.range.to - this.range.from } : {}),
        ...params
      })
    );
    const list = Array.isArray(answer) ? answer : [answer];
    return list.map((r) => flattenRow(r as Record<string, unknown>));
  }

  async series(match: string, limit = DashboardDataDefaults.maxSeries): Promise<SeriesResult[]> {
    return this.#once(`s:${match}:${limit}`, async () => {
      const found = await this.#engine.searchSeries({ text: match, limit });
      this.#found.set(
        match,
        found.series.map((s) => s.id)
      );
      return Promise.all(
        found.series.map((s) =>
          querySeriesResult(this.#engine, s, {
            range: this.range,
            maxPoints: DashboardDataDefaults.maxPoints,
            aggregates: ['avg']
          })
        )
      );
    });
  }

  async #summary(figure: Extract<WidgetSource, { kind: 'summary' }>['figure']) {
    const [snap, health, orgs] = await Promise.all([
      this.snapshot(),
      this.#once('health', () =>
        this.#ask('overallHealth', { windowMs: this.range.to - this.range.from })
      ) as Promise<OverallHealth>,
      this.#once('orgs', () => this.#ask('organisationUsage', this.range)) as Promise<unknown[]>
    ]);
    if (snap.status.events === 0)
      throw new NoDataError('No events stored: load the demo data or import a result log.');
    return computeSummaryFigure(figure, {
      ...snap,
      hourly: snap.hourly.filter((r) => r.hourStart >= this.range.from - HOUR_MS),
      health,
      organisations: orgs.length,
      rangeMs: this.range.to - this.range.from
    });
  }

  /** The ids of the series a widget drew from this fetcher; undefined when it drew none yet. */
  seriesIdsOf(widget: Widget): readonly number[] | undefined {
    return widget.kind !== 'note' && widget.source.kind === 'series'
      ? this.#found.get(widget.source.match)
      : undefined;
  }

  /** The widget's data in the shape its kind draws. */
  async load(widget: Widget): Promise<WidgetData> {
    if (widget.kind === 'note') return { kind: 'none' };
    const source = widget.source;
    if (widget.kind === 'timeseries') {
      if (source.kind !== 'series') throw new Error('A chart draws series: give a selector.');
      const series = await this.series(source.match, source.limit);
      if (series.length === 0) throw new NoDataError(`No stored series match "${source.match}".`);
      return { kind: 'series', series, range: this.range };
    }
    if (widget.kind === 'stat' || widget.kind === 'gauge') return this.#value(source);
    if (widget.kind === 'heatmap') return this.#heatmap(source);
    return {
      kind: 'rows',
      rows: (await this.rows(source)).slice(0, DashboardDataDefaults.maxRows)
    };
  }

  /**
   * A latency heatmap: of event durations, or of the first histogram family among the series
   * the selector finds (its `…_bucket{le=…}` series, one family's worth).
   */
  async #heatmap(source: WidgetSource): Promise<WidgetData> {
    const { from, to } = this.range;
    if (source.kind === 'durations') {
      const heatmap = await this.#engine.queryHeatmap({ from, to, source: { kind: 'durations' } });
      if (heatmap.total === 0)
        throw new NoDataError(
          'No events with durations in this range: load the demo data or import a result log.'
        );
      return { kind: 'heatmap', heatmap, unit: 'ms', what: 'events' };
    }
    if (source.kind !== 'series')
      throw new Error('A heatmap shows event durations or a histogram family.');
    const found = await this.#engine.searchSeries({ text: source.match, limit: 200 });
    const first = found.series.find((s) => histogramFamily(s) !== null);
    if (!first)
      throw new NoDataError(`No histogram bucket series (…_bucket{le=…}) match "${source.match}".`);
    const family = JSON.stringify(histogramFamily(first));
    const buckets = found.series.filter((s) => JSON.stringify(histogramFamily(s)) === family);
    this.#found.set(
      source.match,
      buckets.map((s) => s.id)
    );
    const heatmap = await this.#engine.queryHeatmap({
      from,
      to,
      source: {
        kind: 'histogram',
        buckets: buckets.map((s) => ({ seriesId: s.id, le: s.labels.le }))
      }
    });
    if (heatmap.total === 0)
      throw new NoDataError(`No observations in "${first.name}" in this range.`);
    return { kind: 'heatmap', heatmap, unit: first.unit, what: 'observations' };
  }

  async #value(source: WidgetSource): Promise<WidgetData> {
    if (source.kind === 'summary') {
      const v = await this.#summary(source.figure);
      return { kind: 'value', ...v, detail: '' };
    }
    if (source.kind !== 'series')
      throw new Error('A stat or gauge shows a series or a summary figure.');
    const [first] = await this.series(source.match, 1);
    if (!first) throw new NoDataError(`No stored series match "${source.match}".`);
    const v = first.result.columns.avg ?? new Float64Array();
    const spark = Array.from(v);
    let last = NaN;
    for (let i = v.length - 1; i >= 0 && Number.isNaN(last); i--)
      if (Number.isFinite(v[i])) last = v[i];
    return { kind: 'value', value: last, unit: first.unit, spark, detail: first.series.key };
  }

  /** A source's answer as table rows (what a table widget shows, and a scheduled result file holds). */
  async rows(source: WidgetSource): Promise<Record<string, unknown>[]> {
    switch (source.kind) {
      case 'view': {
        const snap = await this.snapshot();
        const rows = snap[source.view] as unknown as Record<string, unknown>[] | undefined;
        if (!rows) throw new Error(`Unknown result-log view "${source.view}".`);
        return rows.map(flattenRow);
      }
      case 'question':
        return this.question(source.name, source.params);
      case 'series': {
        const series = await this.series(source.match, source.limit);
        return series.map((s) => {
          const v = s.result.columns.avg ?? new Float64Array();
          const finite = Array.from(v).filter(Number.isFinite);
          return {
            series: s.series.key,
            last: finite.at(-1) ?? NaN,
            max: finite.length ? Math.max(...finite) : NaN,
            unit: s.unit
          };
        });
      }
      case 'summary': {
        const v = await this.#summary(source.figure);
        return [{ figure: source.figure, value: v.value }];
      }
      case 'durations':
        throw new Error('Event durations are drawn as a heatmap, not listed.');
      case 'anomalies': {
        const list = await this.#engine.listAnomalies({ ...this.range, limit: 200 });
        return list.map((a) => ({
          t: a.t,
          series: a.seriesKey,
          value: a.value,
          score: a.score,
          detector: a.detector
        }));
      }
    }
  }
}
