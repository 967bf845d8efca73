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
  const { t, v } = series;
  const outT: number[] = [];
  const outV: number[] = [];
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
      outT.push(ti);
      outV.push((pending * 1000) / dt);
      pending = 0;
      lastT = ti;
    }
  }
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
