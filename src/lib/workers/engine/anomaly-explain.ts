import { DEFAULT_ANOMALY_THRESHOLD } from '$lib/analytics/anomaly';
import {
  MINUTE_MS,
  readAnomaliesNear,
  readAnomaly,
  readClosedBuckets,
  type StoredDetectedAnomaly
} from '$lib/db/anomaly-store';
import { findSeriesByKey } from '$lib/db/series-store';
import type { EngineContext } from './context';

export interface AnomalyExplanationView {
  anomaly: StoredDetectedAnomaly;
  /** The 1-minute bucket means around the anomaly (series anomalies; empty for events). */
  context: { t: number[]; v: number[] };
  /** Other anomalies of the series within the context window. */
  neighbours: number;
  text: string;
}

/**
 * Why an anomaly fired: the detector member and model, the evidence in σ, and the
 * 1-minute bucket means around it (series anomalies). Undefined for an unknown id.
 */
export async function explainAnomaly(
  ctx: EngineContext,
  id: number,
  options: { contextBuckets?: number } = {}
): Promise<AnomalyExplanationView | undefined> {
  const { db, rollups } = await ctx.ready();
  const anomaly = await readAnomaly(db, id);
  if (!anomaly) return undefined;
  const span = (options.contextBuckets ?? 30) * MINUTE_MS;
  const from = anomaly.t - span;
  const to = anomaly.t + span;
  const context: { t: number[]; v: number[] } = { t: [], v: [] };
  const series = await findSeriesByKey(db, anomaly.seriesKey);
  if (series) {
    const closed = await readClosedBuckets({
      db,
      rollups,
      seriesId: series.id,
      from,
      closedEnd: to + MINUTE_MS,
      maxBuckets: Math.round((2 * span) / MINUTE_MS) + 1
    });
    context.t = Array.from(closed.t);
    context.v = Array.from(closed.v);
  }
  const neighbours =
    (await readAnomaliesNear({ db, seriesKey: anomaly.seriesKey, from, to })).length - 1;
  const model = anomaly.model ? ` (${anomaly.model} profile)` : '';
  // ARTime's evidence is its score, not a σ: it reports a pattern unlike those it learnt.
  const sigma =
    anomaly.detector === 'artime'
      ? 'unlike every pattern it had learnt'
      : anomaly.evidence !== undefined
        ? `${anomaly.evidence.toFixed(1)} σ from its prediction`
        : 'far from its prediction';
  const short = (v: number) => Number(v.toPrecision(4));
  const band = anomaly.expected
    ? ` It expected ${short(anomaly.expected.low)}–${short(anomaly.expected.high)}` +
      (anomaly.departure
        ? `; the value was ${short(Math.abs(anomaly.departure))} ${anomaly.departure > 0 ? 'above' : 'below'}`
        : '') +
      (anomaly.since !== undefined ? `, since ${new Date(anomaly.since).toISOString()}` : '') +
      '.'
    : '';
  const text =
    `The ${anomaly.detector} detector${model} found the 1-minute mean ${Number(anomaly.value.toPrecision(4))} ` +
    `${sigma}; its calibrated score ${anomaly.score.toFixed(2)} reached the threshold ` +
    `${(anomaly.threshold ?? DEFAULT_ANOMALY_THRESHOLD).toFixed(2)}.${band}`;
  return { anomaly, context, neighbours: Math.max(0, neighbours), text };
}
