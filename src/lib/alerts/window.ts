/**
 * The value of a rule's expression over its window, from what the store answers: raw points
 * (exact) or rollup buckets (partials merged: avg = Σsum / Σcount, never an average of
 * averages). Pure; NaN values are gaps and are skipped; an empty window gives NaN.
 */
import type { WindowAggregate } from './types';

/** Columns of a window as the store's query returns them (raw points or buckets). */
export interface WindowColumns {
  /** 'raw' when `t` are point times and every column holds the points' values. */
  tier: string;
  t: Float64Array;
  count?: Float64Array;
  sum?: Float64Array;
  min?: Float64Array;
  max?: Float64Array;
  last?: Float64Array;
  stddev?: Float64Array;
  /** Per-bucket quantile (bucket data only): merged approximately, see computeWindowQuantile. */
  quantile?: Float64Array;
  /** Per-point or per-bucket rates (per second), for rate(). */
  rate?: Float64Array;
}

/** Which query columns each expression needs. */
export function listNeededColumns(
  kind: 'threshold' | 'percentile' | 'rate',
  aggregate?: WindowAggregate
): Array<'count' | 'sum' | 'min' | 'max' | 'last' | 'stddev'> {
  if (kind === 'rate') return ['last', 'count'];
  if (kind === 'percentile') return ['last', 'count'];
  switch (aggregate) {
    case 'avg':
    case 'stddev':
      return ['count', 'sum', 'stddev'];
    case 'sum':
      return ['sum', 'count'];
    case 'count':
      return ['count'];
    case 'min':
      return ['min'];
    case 'max':
      return ['max'];
    default:
      return ['last'];
  }
}

/**
 * An aggregate of the window. Raw points: exact. Buckets: count, sum, min, max and last
 * merge exactly; stddev merges from each bucket's count, mean and stddev (the parallel
 * variance formula), so it is exact too (population stddev).
 *
 * @example computeWindowAggregate('avg', { tier: 'raw', t, count: [1,1], sum: [2, 4] }) // 3
 */
export function computeWindowAggregate(aggregate: WindowAggregate, w: WindowColumns): number {
  const n = w.t.length;
  switch (aggregate) {
    case 'count': {
      let c = 0;
      for (let i = 0; i < n; i++) c += validCount(w, i);
      return c;
    }
    case 'sum': {
      let s = 0;
      let any = false;
      for (let i = 0; i < n; i++) {
        const x = w.sum![i];
        if (validCount(w, i) > 0 && Number.isFinite(x)) {
          s += x;
          any = true;
        }
      }
      return any ? s : NaN;
    }
    case 'avg': {
      let s = 0;
      let c = 0;
      for (let i = 0; i < n; i++) {
        const k = validCount(w, i);
        const x = w.sum![i];
        if (k > 0 && Number.isFinite(x)) {
          s += x;
          c += k;
        }
      }
      return c > 0 ? s / c : NaN;
    }
    case 'min':
    case 'max': {
      const col = w[aggregate]!;
      let best = NaN;
      for (let i = 0; i < n; i++) {
        const x = col[i];
        if (Number.isNaN(x)) continue;
        if (Number.isNaN(best) || (aggregate === 'min' ? x < best : x > best)) best = x;
      }
      return best;
    }
    case 'last': {
      const col = w.last!;
      for (let i = n - 1; i >= 0; i--) if (!Number.isNaN(col[i])) return col[i];
      return NaN;
    }
    case 'stddev': {
      // Merge (count, mean, M2) per bucket; a raw point is a bucket of one with M2 = 0.
      let c = 0;
      let mean = 0;
      let m2 = 0;
      for (let i = 0; i < n; i++) {
        const k = validCount(w, i);
        const x = w.sum![i];
        if (k <= 0 || !Number.isFinite(x)) continue;
        const m = x / k;
        const sd = w.tier === 'raw' ? 0 : (w.stddev?.[i] ?? 0);
        const bm2 = Number.isFinite(sd) ? sd * sd * k : 0;
        const total = c + k;
        const delta = m - mean;
        mean += (delta * k) / total;
        m2 += bm2 + (delta * delta * c * k) / total;
        c = total;
      }
      return c > 0 ? Math.sqrt(m2 / c) : NaN;
    }
  }
}

/** Points (raw) or points in the bucket (buckets) at index i; a NaN raw value counts 0. */
function validCount(w: WindowColumns, i: number): number {
  if (w.count) {
    const c = w.count[i];
    return Number.isFinite(c) ? c : 0;
  }
  const v = w.last?.[i] ?? w.sum?.[i] ?? NaN;
  return Number.isNaN(v) ? 0 : 1;
}

/**
 * The q-quantile of the window. Raw points: exact (type-7, the definition the analytics use).
 * Buckets: the count-weighted quantile of the buckets' own quantiles — approximate, the
 * price of windows longer than the raw points are kept (README states it).
 */
export function computeWindowQuantile(q: number, w: WindowColumns): number {
  if (w.tier === 'raw') {
    const vals: number[] = [];
    const col = w.last!;
    for (let i = 0; i < col.length; i++) if (!Number.isNaN(col[i])) vals.push(col[i]);
    if (vals.length === 0) return NaN;
    vals.sort((a, b) => a - b);
    const h = (vals.length - 1) * q;
    const lo = Math.floor(h);
    return vals[lo] + (h - lo) * (vals[Math.ceil(h)] - vals[lo]);
  }
  const pairs: Array<[number, number]> = [];
  let total = 0;
  const col = w.quantile ?? new Float64Array(0);
  for (let i = 0; i < col.length; i++) {
    const k = w.count?.[i] ?? 1;
    if (Number.isNaN(col[i]) || !(k > 0)) continue;
    pairs.push([col[i], k]);
    total += k;
  }
  if (total === 0) return NaN;
  pairs.sort((a, b) => a[0] - b[0]);
  const target = q * total;
  let acc = 0;
  for (const [v, k] of pairs) {
    acc += k;
    if (acc >= target) return v;
  }
  return pairs[pairs.length - 1][0];
}

/**
 * Average per-second rate of a counter over the window, reset-aware (a drop is a restart
 * from 0, as Prometheus' rate()). Raw points: increase / elapsed time between the first
 * and last valid point. Buckets: the mean of the finite bucket rates. Fewer than two
 * points → NaN.
 */
export function computeWindowRate(w: WindowColumns): number {
  if (w.tier === 'raw') {
    const col = w.last!;
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
