/**
 * Anomaly detection over result-log events: per action type two derived series, the
 * 1-minute p95 latency and failure rate, each fed to its own detector and reported only
 * above its running level (high is bad for both). All event detectors and the events
 * cursor commit together (see anomaly.ts for the exactly-once rules).
 */
import {
  createDetector,
  DEFAULT_DETECTOR,
  type AnomalyDetectorState,
  type StreamingAnomalyDetector
} from '$lib/analytics/anomaly';
import { checkSuccess, readActionType, readDuration } from '$lib/analytics/resultlog-common';
import { computeQuantileSorted } from '$lib/analytics/stats';
import {
  commitDetections,
  DetectorKeyPrefix,
  MINUTE_MS,
  readDetectorRecord,
  readDetectorRecords,
  readEventsBetween,
  readFirstEventTime,
  readNewestEventTime,
  type DetectedAnomaly
} from '$lib/db/anomaly-store';
import type { ResultEvent } from '$lib/types';
import { seriesKey as toSeriesKey } from '$lib/types/series-key';
import type { EngineContext } from './context';

/** The pass limits the event detectors use (AnomalyWiringDefaults holds the values). */
export interface EventDetectorLimits {
  eventSliceMinutes: number;
  eventSliceEvents: number;
  maxAnomaliesPerSeries: number;
}

export const EVENTS_CURSOR_KEY = `${DetectorKeyPrefix.events}cursor`;

/**
 * Event series keep, beside the detector, an exponential mean of their values: an anomaly
 * is reported only above it (latency and failure rate are one-sided).
 */
export interface EventDetectorState {
  detector: AnomalyDetectorState;
  level: number;
}

/** Weight of the newest minute in an event series' level. */
export const EVENT_LEVEL_RATE = 0.05;

/** The next exponential mean of an event series (NaN until the first finite value). */
export function updateLevel(level: number, value: number): number {
  if (!Number.isFinite(value)) return level;
  return Number.isNaN(level) ? value : level + EVENT_LEVEL_RATE * (value - level);
}

/** Series keys of the derived event series of one action type. */
export function describeEventSeries(actionType: string): { latency: string; failure: string } {
  return {
    latency: `events:${toSeriesKey('latency_p95', { actionType })}`,
    failure: `events:${toSeriesKey('failure_rate', { actionType })}`
  };
}

/** An anomaly record with what the detector says of it (member, model, evidence, band, departure, since). */
export const describeDetection = (
  d: StreamingAnomalyDetector,
  base: Omit<DetectedAnomaly, 'detector' | 'threshold'>
): DetectedAnomaly => {
  const e = d.explain();
  const out: DetectedAnomaly = { ...base, detector: e.detector, threshold: d.threshold };
  if (e.model) out.model = e.model;
  if (Number.isFinite(e.evidence)) out.evidence = e.evidence;
  if (e.expected) out.expected = e.expected;
  if (e.departure !== undefined) out.departure = e.departure;
  if (e.since !== undefined) out.since = e.since;
  return out;
};

/** Per minute, per action type: the durations, the number of events and of failures. */
export function groupEventMinutes(
  list: readonly ResultEvent[]
): Map<number, Map<string, { durations: number[]; n: number; bad: number }>> {
  const minutes = new Map<number, Map<string, { durations: number[]; n: number; bad: number }>>();
  for (const e of list) {
    const m = Math.floor(e.t / MINUTE_MS) * MINUTE_MS;
    let byAction = minutes.get(m);
    if (!byAction) minutes.set(m, (byAction = new Map()));
    const action = readActionType(e);
    let g = byAction.get(action);
    if (!g) byAction.set(action, (g = { durations: [], n: 0, bad: 0 }));
    g.n++;
    if (!checkSuccess(e)) g.bad++;
    const d = readDuration(e);
    if (!Number.isNaN(d)) g.durations.push(d);
  }
  return minutes;
}

/**
 * Event minutes since the cursor: per action type, the minute's p95 duration and failure
 * rate, each pushed to its own detector. All event detectors and the cursor commit together.
 */
export async function runEventDetectors(
  ctx: EngineContext,
  config: EventDetectorLimits
): Promise<{ fed: number; more: boolean; found: number }> {
  const { db } = await ctx.ready();
  const newest = await readNewestEventTime(db);
  if (newest === null) return { fed: 0, more: false, found: 0 };
  // The newest event's minute stays open until a later event arrives.
  const closedEnd = Math.floor(newest / MINUTE_MS) * MINUTE_MS;
  const cursorRecord = await readDetectorRecord(db, EVENTS_CURSOR_KEY);
  const cursor = cursorRecord?.upTo ?? -Infinity;
  if (cursor >= closedEnd) return { fed: 0, more: false, found: 0 };
  const first = await readFirstEventTime(db, Number.isFinite(cursor) ? cursor : -Infinity);
  if (first === null) return { fed: 0, more: false, found: 0 };
  const from = Math.max(cursor, Math.floor(first / MINUTE_MS) * MINUTE_MS);
  let to = Math.min(closedEnd, from + config.eventSliceMinutes * MINUTE_MS);
  let list = await readEventsBetween({ db, from, to, limit: config.eventSliceEvents });
  if (list.length === config.eventSliceEvents) {
    // Too dense: stop at the last complete minute (or read one whole minute).
    const lastMinute = Math.floor(list[list.length - 1].t / MINUTE_MS) * MINUTE_MS;
    to = lastMinute > from ? lastMinute : from + MINUTE_MS;
    list =
      lastMinute > from
        ? list.filter((e) => e.t < to)
        : await readEventsBetween({ db, from, to, limit: Infinity });
  }
  const minutes = groupEventMinutes(list);
  const actions = new Set<string>();
  for (const byAction of minutes.values()) for (const a of byAction.keys()) actions.add(a);
  const keys = [...actions].flatMap((a) => {
    const k = describeEventSeries(a);
    return [k.latency, k.failure];
  });
  const records = await readDetectorRecords(
    db,
    keys.map((k) => DetectorKeyPrefix.events + k)
  );
  const detectors = new Map<string, { d: StreamingAnomalyDetector; upTo: number; level: number }>();
  keys.forEach((k, i) => {
    const saved = records[i]?.state as EventDetectorState | undefined;
    detectors.set(k, {
      d: saved?.detector
        ? createDetector({ state: saved.detector })
        : createDetector({ detector: DEFAULT_DETECTOR }),
      upTo: records[i]?.upTo ?? -Infinity,
      level: saved?.level ?? NaN
    });
  });
  const found: DetectedAnomaly[] = [];
  let fed = 0;
  const feed = (key: string, t: number, value: number) => {
    const entry = detectors.get(key)!;
    const score = entry.d.push(t, value);
    entry.upTo = t + MINUTE_MS;
    fed++;
    // Latency and failure rate are only bad when high: a quiet minute is not an incident.
    if (score >= entry.d.threshold && !(value <= entry.level)) {
      found.push(describeDetection(entry.d, { seriesKey: key, t, value, score }));
    }
    entry.level = updateLevel(entry.level, value);
  };
  for (const m of [...minutes.keys()].sort((a, b) => a - b)) {
    for (const [action, g] of minutes.get(m)!) {
      const k = describeEventSeries(action);
      g.durations.sort((a, b) => a - b);
      feed(k.latency, m, g.durations.length ? computeQuantileSorted(g.durations, 0.95) : NaN);
      feed(k.failure, m, g.bad / g.n);
    }
  }
  const committed = await commitDetections({
    db,
    detectors: [
      {
        record: { key: EVENTS_CURSOR_KEY, seriesId: null, upTo: to, state: null },
        expectedUpTo: cursor
      },
      ...[...detectors].map(([k, entry], i) => ({
        record: {
          key: DetectorKeyPrefix.events + k,
          seriesId: null,
          upTo: entry.upTo,
          state: { detector: entry.d.state(), level: entry.level } satisfies EventDetectorState
        },
        expectedUpTo: records[i]?.upTo ?? -Infinity
      }))
    ],
    anomalies: found,
    maxPerSeries: config.maxAnomaliesPerSeries
  });
  if (!committed) return { fed: 0, more: true, found: 0 };
  return { fed, more: to < closedEnd, found: found.length };
}
