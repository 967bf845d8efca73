import { transfer } from 'comlink';
import { computeHistogramQuantiles, parseBucketBound } from '$lib/analytics/histogram';
import {
  addHistogramIncreases,
  addObservations,
  createHeatmap,
  DurationBoundsMs,
  HeatmapDefaults,
  type Heatmap
} from '$lib/analytics/heatmap';
import { resultBuffers, runQuery } from '$lib/db/query';
import type { QueryResult, TierName } from '$lib/types';
import type { EngineContext } from './context';

/** What `queryHistogram` answers: the quantile columns, and what they were taken of. */
export interface HistogramAnswer {
  /** `columns` holds one column per quantile asked, named `q<q × 100>` (p50, p95, p99). */
  result: QueryResult;
  /** True when taken of per-second rates; false: of stored counts (one scrape in range). */
  rates: boolean;
}

/**
 * Histogram quantiles in the engine, next to the store: every bucket series of a family is
 * read as per-second rates at the tier the store chooses for the range (the stored counts
 * when no bucket has two samples in range) and the quantiles are estimated per time
 * (analytics/histogram.ts), so the page gets three columns instead of a column per bucket.
 */
export function createHistogramApi(ctx: EngineContext) {
  return {
    async queryHistogram(request: {
      buckets: { seriesId: number; le: string }[];
      from: number;
      to: number;
      maxPoints: number;
      tier?: TierName | 'raw';
      /** Quantiles, 0..1; columns are named p50, p95, p99 (only those three are drawn). */
      quantiles: readonly (0.5 | 0.95 | 0.99)[];
    }): Promise<HistogramAnswer> {
      const { db, metrics, rollups } = await ctx.ready();
      const answers = await Promise.all(
        request.buckets.map((b) =>
          runQuery({
            db,
            metrics,
            rollups,
            request: {
              seriesId: b.seriesId,
              from: request.from,
              to: request.to,
              maxPoints: request.maxPoints,
              aggregates: ['last'],
              tier: request.tier,
              rate: true
            },
            timeZone: ctx.timeZone(),
            retention: ctx.retention()
          })
        )
      );
      const rates = answers.some((a) => a.rate?.some(Number.isFinite));
      const q = computeHistogramQuantiles({
        buckets: answers.map((a, i) => ({
          le: parseBucketBound(request.buckets[i].le),
          t: a.t,
          v: (rates ? a.rate : a.columns.last) ?? new Float64Array(a.t.length).fill(NaN)
        })),
        quantiles: request.quantiles
      });
      const first = answers[0];
      const result: QueryResult = {
        seriesId: request.buckets[0]?.seriesId ?? -1,
        tier: first?.tier ?? 'raw',
        stepMs: first?.stepMs ?? 0,
        t: q.t,
        columns: Object.fromEntries(
          request.quantiles.map((quantile, k) => [`p${Math.round(quantile * 100)}`, q.values[k]])
        )
      };
      return transfer({ result, rates }, resultBuffers(result));
    },

    /**
     * A latency heatmap over [from, to): of result-log event durations (ms), or of a histogram
     * family's bucket series (the increase of each bucket per time bucket, de-cumulated).
     */
    async queryHeatmap(request: {
      from: number;
      to: number;
      columns?: number;
      source:
        { kind: 'durations' } | { kind: 'histogram'; buckets: { seriesId: number; le: string }[] };
    }): Promise<Heatmap> {
      const { db, metrics, rollups, events } = await ctx.ready();
      const columns = request.columns ?? HeatmapDefaults.columns;
      const { from, to, source } = request;
      if (source.kind === 'durations') {
        const h = createHeatmap({ from, to, columns, bounds: DurationBoundsMs });
        const pageSize = 5_000;
        for (let offset = 0; ; offset += pageSize) {
          const page = await events.page({ from, to, offset, limit: pageSize });
          addObservations(
            h,
            page.map((e) => e.t),
            page.map((e) => e.durationMs)
          );
          if (page.length < pageSize) break;
        }
        return transfer(h, [h.counts.buffer]);
      }
      const bounds = source.buckets.map((b) => parseBucketBound(b.le));
      const h = createHeatmap({
        from,
        to,
        columns,
        bounds: bounds.filter((b) => !Number.isNaN(b))
      });
      const answers = await Promise.all(
        source.buckets.map((b) =>
          runQuery({
            db,
            metrics,
            rollups,
            request: {
              seriesId: b.seriesId,
              from,
              to,
              maxPoints: columns,
              aggregates: ['last'],
              rate: true
            },
            timeZone: ctx.timeZone(),
            retention: ctx.retention()
          })
        )
      );
      addHistogramIncreases(
        h,
        answers.map((a, i) => ({
          le: bounds[i],
          // Increase over each answered step: its per-second rate times the step's seconds
          // (a rollup's width, or the gap to the previous raw point).
          t: a.t,
          v: Float64Array.from(a.t, (t, k) => {
            const r = a.rate?.[k] ?? NaN;
            const dt = a.stepMs > 0 ? a.stepMs : k > 0 ? t - a.t[k - 1] : NaN;
            return (r * dt) / 1000;
          })
        }))
      );
      return transfer(h, [h.counts.buffer]);
    }
  };
}
