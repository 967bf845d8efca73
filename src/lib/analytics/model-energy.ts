import type { Columnar, SeriesRecord } from '../types';
import { computeStatistic } from './stats';

/** What the energy view shows for one model over a window. */
export interface ModelEnergySummary {
  /** Mean measured generation rate; NaN without points. */
  tokensPerSecond: number;
  /** Energy per generated token, weighted by tokens; null when no energy was measured. */
  joulesPerToken: number | null;
  /** The `energy_efficiency` statistic (Σ tokens / Σ joules); null when not measured. */
  tokensPerJoule: number | null;
  /** Mean token entropy (nats); null when the model reports none. */
  entropy: number | null;
}

/**
 * Summarises one model's series over a window: `tps` (tokens/s), and where reported
 * `joulesPerToken` (J/token) and `entropy` (nats). Energy pairs with throughput at equal
 * timestamps (the collector and the demo stamp both alike): at each such point the power
 * drawn for the model is tps × J/token, so tokens per joule over the window is
 * `energy_efficiency(tps, power)` — Σ tps·Δt / Σ P·Δt with equal Δt. Empty or unpaired
 * energy → null ("not measured"), never 0. O(n).
 * @example summariseModelEnergy({ tps: { t: Float64Array.of(1, 2), v: Float64Array.of(10, 30) },
 *   joulesPerToken: { t: Float64Array.of(1, 2), v: Float64Array.of(1, 0.5) } })
 * // { tokensPerSecond: 20, joulesPerToken: 0.625, tokensPerJoule: 1.6, entropy: null }
 */
export function summariseModelEnergy(input: {
  tps: Columnar;
  joulesPerToken?: Columnar;
  entropy?: Columnar;
}): ModelEnergySummary {
  const tokensPerSecond = computeStatistic('avg', input.tps);
  let tokensPerJoule: number | null = null;
  if (input.joulesPerToken && input.joulesPerToken.t.length > 0) {
    const paired = pairByTime(input.tps, input.joulesPerToken);
    const power = new Float64Array(paired.a.length);
    for (let i = 0; i < power.length; i++) power[i] = paired.a[i] * paired.b[i];
    const eff = computeStatistic(
      'energy_efficiency',
      { t: paired.t, v: paired.a },
      { t: paired.t, v: power }
    );
    tokensPerJoule = Number.isFinite(eff) && eff > 0 ? eff : null;
  }
  const entropy =
    input.entropy && input.entropy.t.length > 0 ? computeStatistic('avg', input.entropy) : NaN;
  return {
    tokensPerSecond,
    joulesPerToken: tokensPerJoule === null ? null : 1 / tokensPerJoule,
    tokensPerJoule,
    entropy: Number.isFinite(entropy) ? entropy : null
  };
}

/** The values of two time-sorted series at the timestamps both have. O(n + m). */
function pairByTime(
  a: Columnar,
  b: Columnar
): { t: Float64Array; a: Float64Array; b: Float64Array } {
  const t: number[] = [];
  const va: number[] = [];
  const vb: number[] = [];
  let j = 0;
  for (let i = 0; i < a.t.length; i++) {
    while (j < b.t.length && b.t[j] < a.t[i]) j++;
    if (j < b.t.length && b.t[j] === a.t[i]) {
      t.push(a.t[i]);
      va.push(a.v[i]);
      vb.push(b.v[j]);
    }
  }
  return { t: Float64Array.from(t), a: Float64Array.from(va), b: Float64Array.from(vb) };
}

/** The series names the view reads, as the agent's model collector and the demo write them. */
export const EnergySeries = {
  tokensPerSecond: 'model_tokens_per_second',
  joulesPerToken: 'model_energy_joules_per_token',
  entropy: 'model_token_entropy'
} as const;

export interface ModelSeries {
  runtime: string;
  model: string;
  tps?: SeriesRecord;
  jpt?: SeriesRecord;
  entropy?: SeriesRecord;
}

/** Groups the model series by (runtime, model). O(series). */
export function groupModelSeries(list: SeriesRecord[]): ModelSeries[] {
  const groups = new Map<string, ModelSeries>();
  for (const s of list) {
    const role =
      s.name === EnergySeries.tokensPerSecond
        ? 'tps'
        : s.name === EnergySeries.joulesPerToken
          ? 'jpt'
          : s.name === EnergySeries.entropy
            ? 'entropy'
            : null;
    if (!role) continue;
    const model = s.labels.model ?? 'unknown';
    const runtime = s.labels.runtime ?? '';
    const key = `${runtime}\u0000${model}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { runtime, model }));
    g[role] = s;
  }
  return [...groups.values()].sort((a, b) =>
    `${a.runtime} ${a.model}`.localeCompare(`${b.runtime} ${b.model}`)
  );
}
