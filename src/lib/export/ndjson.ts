import type { PointBatch, ResultEvent } from '../types';
import { encodeJsonNumber } from './encode';

/**
 * NDJSON writers for DuckDB/ClickHouse-style tools and for round trips: one JSON object per
 * line, `\n`-terminated. Non-finite values and -0 are strings ("NaN", "+Inf", "-Inf", "-0").
 */

/**
 * One line per point: `{"name","labels","t","v"}` with `t` in epoch ms.
 *
 * Empty input: ''. Complexity O(points).
 * @example
 * writePointsNdjson([batch]) // '{"name":"up","labels":{},"t":1700000000000,"v":1}\n'
 */
export function writePointsNdjson(batches: PointBatch[]): string {
  const out: string[] = [];
  for (const b of batches) {
    const head = `{"name":${JSON.stringify(b.series.name)},"labels":${JSON.stringify(b.series.labels)},"t":`;
    for (let i = 0; i < b.t.length; i++)
      out.push(
        `${head}${JSON.stringify(encodeJsonNumber(b.t[i]))},"v":${JSON.stringify(encodeJsonNumber(b.v[i]))}}\n`
      );
  }
  return out.join('');
}

/**
 * A result event as a plain JSON object with non-finite numbers spelled as strings.
 *
 * Empty input: not applicable. Complexity O(fields).
 * @example
 * encodeEvent({ t: 1, actionType: 'a', status: 'ok', durationMs: NaN }).durationMs // 'NaN'
 */
export function encodeEvent(e: ResultEvent): Record<string, unknown> {
  const o: Record<string, unknown> = {
    t: encodeJsonNumber(e.t),
    actionType: e.actionType,
    status: e.status,
    durationMs: encodeJsonNumber(e.durationMs)
  };
  if (e.triggerId !== undefined) o.triggerId = e.triggerId;
  if (e.organisationId !== undefined) o.organisationId = e.organisationId;
  if (e.retries !== undefined) o.retries = encodeJsonNumber(e.retries);
  if (e.errorMessage !== undefined) o.errorMessage = e.errorMessage;
  if (e.context !== undefined) o.context = e.context;
  return o;
}

/**
 * One line per result event.
 *
 * Empty input: ''. Complexity O(events).
 * @example
 * writeEventsNdjson([{ t: 1700000000000, actionType: 'run', status: 'ok', durationMs: 5 }])
 */
export function writeEventsNdjson(events: ResultEvent[]): string {
  return events.map((e) => JSON.stringify(encodeEvent(e)) + '\n').join('');
}
