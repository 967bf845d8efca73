/**
 * The value of a rule's expression over its window, from what the store answers: raw points
 * (exact) or rollup buckets, whose partials (count, sum, M2, min, max, first, last and a
 * quantile sketch) are merged into one with tsdb's mergePartialInto and read with its
 * `Aggregators`: avg is Σsum / Σcount, stddev merges M2 (exact), percentiles come from the
 * merged sketch (≤ 1% relative error), never averages of averages or quantiles of quantiles.
 * Pure; NaN values are gaps and are skipped; an empty window gives NaN (count gives 0).
 */
import { countBuckets, getPartial, unpackColumns, type RollupColumns } from '$lib/tsdb/columns';
import {
  Aggregators,
  createEmptyPartial,
  mergePartialInto,
  needsSketch,
  quantileOfPartial,
  type BucketPartial
} from '$lib/tsdb/partial';
import type { Aggregate, QueryResult } from '$lib/types';

/** A window as the store's query returns it: raw points, or rollup buckets' partials. */
export type WindowColumns =
  | {
      tier: 'raw';
      /** Point times and values. */
      t: Float64Array;
      v: Float64Array;
      /** Per-point rates (per second), for rate(). */
      rate?: Float64Array;
    }
  | {
      tier: Exclude<QueryResult['tier'], 'raw'>;
      partials: RollupColumns;
      /** Per-bucket rates (per second), for rate(). */
      rate?: Float64Array;
    };

/**
 * The window of a query answered with `{ aggregates: ['last'], partials: true }`: the
 * points' values for raw data, the unpacked partials for buckets.
 *
 * @example
 * windowOfResult(await runQuery({ …, request: { …, aggregates: ['last'], partials: true } }));
 */
export function windowOfResult(r: QueryResult): WindowColumns {
  if (r.tier === 'raw' || !r.partials) {
    return { tier: 'raw', t: r.t, v: r.columns.last ?? new Float64Array(0), rate: r.rate };
  }
  return { tier: r.tier, partials: unpackColumns(r.partials), rate: r.rate };
}

/**
 * The whole window as one partial: buckets merged with mergePartialInto, or raw points folded
 * in time order (Welford's M2; the sketch only when `sketch`, raw quantiles being exact).
 * O(buckets · sketch bins) or O(points).
 *
 * @example
 * foldWindow({ tier: 'raw', t, v }).count;
 */
export function foldWindow(w: WindowColumns, options: { sketch?: boolean } = {}): BucketPartial {
  const acc = createEmptyPartial();
  if (w.tier !== 'raw') {
    const p = w.partials;
    for (let i = 0; i < countBuckets(p); i++) mergePartialInto(acc, getPartial(p, i));
    return acc;
  }
  let mean = 0;
  for (let i = 0; i < w.v.length; i++) {
    const x = w.v[i];
    if (Number.isNaN(x)) continue;
    if (acc.count === 0) {
      acc.first = x;
      acc.firstT = w.t[i];
    }
    acc.count++;
    acc.sum += x;
    const delta = x - mean;
    mean += delta / acc.count;
    acc.sumSq += delta * (x - mean);
    if (x < acc.min) acc.min = x;
    if (x > acc.max) acc.max = x;
    acc.last = x;
    acc.lastT = w.t[i];
    if (options.sketch) acc.sketch.add(x);
  }
  return acc;
}

/**
 * An aggregate of the window: `Aggregators[aggregate]` of the window folded into one
 * partial. Exact from raw points and from buckets (population stddev from the merged M2),
 * percentiles to the sketch's 1%.
 *
 * @example computeWindowAggregate('avg', { tier: 'raw', t, v: Float64Array.of(2, 4) }) // 3
 */
export function computeWindowAggregate(aggregate: Aggregate, w: WindowColumns): number {
  const p = foldWindow(w, { sketch: needsSketch(aggregate) });
  if (p.count === 0) return aggregate === 'count' ? 0 : NaN;
  return Aggregators[aggregate](p);
}

/**
 * The q-quantile of the window. Raw points: exact (type-7, the definition the analytics use).
 * Buckets: the quantile of the buckets' merged sketches, ≤ 1% relative error.
 */
export function computeWindowQuantile(q: number, w: WindowColumns): number {
  if (w.tier !== 'raw') return quantileOfPartial(foldWindow(w), q);
  const vals: number[] = [];
  for (let i = 0; i < w.v.length; i++) if (!Number.isNaN(w.v[i])) vals.push(w.v[i]);
  if (vals.length === 0) return NaN;
  vals.sort((a, b) => a - b);
  const h = (vals.length - 1) * q;
  const lo = Math.floor(h);
  return vals[lo] + (h - lo) * (vals[Math.ceil(h)] - vals[lo]);
}

/**
 * Average per-second rate of a counter over the window, reset-aware (a drop is a restart
 * from 0, as Prometheus' rate()). Raw points: increase / elapsed time between the first
 * and last valid point. Buckets: the mean of the finite bucket rates. Fewer than two
 * points → NaN.
 */
export function computeWindowRate(w: WindowColumns): number {
  if (w.tier === 'raw') {
    const col = w.v;
    let prev = NaN;
    let firstT = NaN;
    let lastT = NaN;
    let increase = 0;
    let valid = 0;
    for (let i = 0; i < col.length; i++) {
      const x = col[i];
      if (Number.isNaN(x)) continue;
      if (valid > 0) increase += x >= prev ? x - prev : x;
      else firstT = w.t[i];
      prev = x;
      lastT = w.t[i];
      valid++;
    }
    if (valid < 2 || !(lastT > firstT)) return NaN;
    return increase / ((lastT - firstT) / 1000);
  }
  const rates = w.rate ?? new Float64Array(0);
  let s = 0;
  let c = 0;
  for (let i = 0; i < rates.length; i++) {
    if (Number.isFinite(rates[i])) {
      s += rates[i];
      c++;
    }
  }
  return c > 0 ? s / c : NaN;
}

/** The highest anomaly score in the window (0 when the detector found nothing there). */
export function computeAnomalyScore(scores: readonly number[]): number {
  let best = 0;
  for (const s of scores) if (Number.isFinite(s) && s > best) best = s;
  return best;
}
