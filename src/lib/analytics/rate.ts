/**
 * Counter arithmetic. Counters are stored as they arrive; rates are derived at query time.
 * A decrease is a counter reset (the process restarted and counted up from 0), so the
 * increase across it is the new value itself — Prometheus' `rate()`/`increase()` rule,
 * here without the extrapolation to the window edges.
 * Times are epoch ms, rates are per second. NaN values are gaps and are skipped.
 */
import type { Columnar } from '$lib/types';

/** Increase from a to b, treating b < a as a reset to 0 in between. */
function stepIncrease(a: number, b: number): number {
  return b >= a ? b - a : b;
}

/**
 * Per-second rate between consecutive valid points, stamped at the later point.
 * Points sharing a timestamp with the previous one are folded into the next interval
 * (their increase is kept, no division by zero). Input must be sorted by time.
 * Fewer than two valid points → empty output. O(n).
 *
 * @example
 * computeRate({ t: new Float64Array([0, 1000, 2000, 3000]), v: new Float64Array([10, 20, 5, 15]) });
 * // { t: [1000, 2000, 3000], v: [10, 5, 10] } — the drop to 5 is a reset: +5 over 1 s
 */
export function computeRate(series: Columnar): Columnar {
  const outT: number[] = [];
  const outV: number[] = [];
  visitRates(series, (i, rate) => {
    outT.push(series.t[i]);
    outV.push(rate);
  });
  return { t: Float64Array.from(outT), v: Float64Array.from(outV) };
}

/**
 * Total increase over the series with reset correction (Prometheus `increase()` without
 * extrapolation). Fewer than two valid points → NaN. O(n).
 *
 * @example
 * computeIncrease({ t: new Float64Array([0, 1, 2]), v: new Float64Array([5, 8, 2]) }); // 3 + 2 = 5
 */
export function computeIncrease(series: Columnar): number {
  const { t, v } = series;
  let prev = NaN;
  let total = 0;
  let valid = 0;
  for (let i = 0; i < t.length; i++) {
    const x = v[i];
    if (Number.isNaN(x) || !Number.isFinite(t[i])) continue;
    if (valid > 0) total += stepIncrease(prev, x);
    prev = x;
    valid++;
  }
  return valid >= 2 ? total : NaN;
}

/**
 * Average per-second rate over the whole series: increase / (last t - first t) in seconds.
 * Fewer than two valid points, or no time elapsed → NaN. O(n).
 *
 * @example
 * computeAverageRate({ t: new Float64Array([0, 10_000]), v: new Float64Array([0, 50]) }); // 5
 */
export function computeAverageRate(series: Columnar): number {
  const { t, v } = series;
  let first = NaN;
  let last = NaN;
  for (let i = 0; i < t.length; i++) {
    if (Number.isNaN(v[i]) || !Number.isFinite(t[i])) continue;
    if (Number.isNaN(first)) first = t[i];
    last = t[i];
  }
  const increase = computeIncrease(series);
  const seconds = (last - first) / 1000;
  return seconds > 0 ? increase / seconds : NaN;
}

/**
 * Per-second rate at each point, aligned with the input: out[i] is the reset-aware increase
 * from the previous valid point to point i divided by the time between them. The first valid
 * point, NaN points (gaps) and points sharing the previous point's timestamp are NaN (a
 * duplicate's increase is carried to the next point, as in computeRate). Input sorted by
 * time. O(n).
 *
 * @example
 * computePointRates({ t: new Float64Array([0, 1000, 2000]), v: new Float64Array([10, 20, 5]) });
 * // [NaN, 10, 5] — the drop to 5 is a reset: +5 over 1 s
 */
export function computePointRates(series: Columnar): Float64Array {
  const out = new Float64Array(series.t.length).fill(NaN);
  visitRates(series, (i, rate) => (out[i] = rate));
  return out;
}

/**
 * The one walk behind computeRate and computePointRates: calls `emit(i, rate)` for each point
 * that closes an interval (dt > 0), carrying the increase of same-timestamp points forward.
 */
function visitRates(series: Columnar, emit: (i: number, rate: number) => void): void {
  const { t, v } = series;
  let prevV = NaN;
  let lastT = NaN;
  let pending = 0;
  for (let i = 0; i < t.length; i++) {
    const x = v[i];
    const ti = t[i];
    if (Number.isNaN(x) || !Number.isFinite(ti)) continue;
    if (Number.isNaN(prevV)) {
      prevV = x;
      lastT = ti;
      continue;
    }
    pending += stepIncrease(prevV, x);
    prevV = x;
    const dt = ti - lastT;
    if (dt > 0) {
      emit(i, (pending * 1000) / dt);
      pending = 0;
      lastT = ti;
    }
  }
}

/** The partial fields of rollup buckets that a counter rate needs, ascending by start. */
export interface CounterBuckets {
  count: Float64Array;
  min: Float64Array;
  first: Float64Array;
  firstT: Float64Array;
  last: Float64Array;
  lastT: Float64Array;
}

/**
 * Per-second rate of a counter in each rollup bucket, from its mergeable partials: the
 * increase from the previous bucket's last value (or, for the first bucket, from its own
 * first value) to this bucket's last value, over the time between those two samples.
 * Resets: a bucket whose minimum is below the previous value saw the counter restart, and
 * counts its last value as the increase (Prometheus' rule). That is exact when the bucket
 * holds one reset and no pre-reset rise; otherwise a lower bound, since partials do not keep
 * the pre-reset peak. Empty buckets (count 0) are NaN and do not break the chain.
 * O(buckets).
 *
 * @example
 * computeBucketRates({ count: [2, 2], min: [0, 5], first: [0, 5], firstT: [0, 60_000],
 *   last: [30, 90], lastT: [30_000, 90_000] }); // [1, 1] (per second)
 */
export function computeBucketRates(buckets: CounterBuckets): Float64Array {
  const n = buckets.count.length;
  const out = new Float64Array(n).fill(NaN);
  let prevV = NaN;
  let prevT = NaN;
  for (let i = 0; i < n; i++) {
    if (!(buckets.count[i] > 0) || Number.isNaN(buckets.last[i])) continue;
    let fromV = prevV;
    let fromT = prevT;
    if (Number.isNaN(fromV)) {
      fromV = buckets.first[i];
      fromT = buckets.firstT[i];
    }
    const reset = buckets.min[i] < fromV;
    const increase = reset ? buckets.last[i] : buckets.last[i] - fromV;
    const dt = buckets.lastT[i] - fromT;
    if (dt > 0) out[i] = (increase * 1000) / dt;
    prevV = buckets.last[i];
    prevT = buckets.lastT[i];
  }
  return out;
}
