import type { PointBatch, ResultEvent } from '../types';
import { encodeJsonNumber } from './encode';

/**
 * NDJSON writers for DuckDB/ClickHouse and for round trips: one JSON object per line,
 * `\n`-terminated.
 *
 * Points are `{"time","name","labels","value"}`, shaped for DuckDB's `read_json_auto` with its
 * defaults (and ClickHouse's `JSONEachRow`): `time` is RFC 3339 UTC (DuckDB reads TIMESTAMP;
 * microseconds when the time has a fraction of a millisecond), `labels` is an object holding
 * every label key of the file, `""` where a series has no such label (DuckDB infers one
 * STRUCT from a sample of lines, and a key missing from that sample would fail the load;
 * in Prometheus an empty label value is the same as no label, and Tidemark's reader drops
 * them), `value` a number, with `NaN`, `Infinity`, `-Infinity` bare as DuckDB, ClickHouse and
 * Python read them (Tidemark's reader too). Events keep non-finite numbers as strings.
 */

const MAX_DATE_MS = 8.64e15;

/**
 * Epoch ms as RFC 3339 UTC: milliseconds, or microseconds when the time has a fraction of a
 * millisecond; the number itself outside Date's range.
 *
 * Empty input: not applicable. Complexity O(1).
 * @example
 * formatIsoTime(1700000000123.5) // '2023-11-14T22:13:20.123500Z'
 */
export function formatIsoTime(t: number): string {
  if (!(Math.abs(t) <= MAX_DATE_MS)) return String(t);
  const ms = Math.floor(t);
  const iso = new Date(ms).toISOString();
  if (ms === t) return iso;
  const us = Math.round((t - ms) * 1000);
  return `${iso.slice(0, -1)}${String(Math.min(us, 999)).padStart(3, '0')}Z`;
}

/**
 * A point value as a JSON-ish number token: `NaN`, `Infinity`, `-Infinity` bare, `-0` kept.
 *
 * Empty input: not applicable. Complexity O(1).
 * @example
 * formatNdjsonValue(-Infinity) // '-Infinity'
 */
export function formatNdjsonValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return Object.is(v, -0) ? '-0' : String(v);
}

/**
 * The `"labels"` object of a series, every key of `keys` present (`""` when absent).
 *
 * Empty input: '{}'. Complexity O(keys).
 * @example
 * formatNdjsonLabels({ cpu: '0' }, ['cpu', 'mode']) // '{"cpu":"0","mode":""}'
 */
export function formatNdjsonLabels(labels: Record<string, string>, keys: string[]): string {
  return `{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(labels[k] ?? '')}`).join(',')}}`;
}

/**
 * Points of one series as NDJSON lines, given the file's label keys.
 *
 * Empty input: ''. Complexity O(points).
 * @example
 * formatNdjsonPoints(batch, ['a']) // '{"time":"…","name":"m","labels":{"a":"b"},"value":1}\n'
 */
export function formatNdjsonPoints(b: PointBatch, keys: string[]): string {
  const head = `","name":${JSON.stringify(b.series.name)},"labels":${formatNdjsonLabels(b.series.labels, keys)},"value":`;
  const out: string[] = [];
  for (let i = 0; i < b.t.length; i++)
    out.push(`{"time":"${formatIsoTime(b.t[i])}${head}${formatNdjsonValue(b.v[i])}}\n`);
  return out.join('');
}

/**
 * One line per point (see the module comment).
 *
 * Empty input: ''. Complexity O(points).
 * @example
 * writePointsNdjson([batch]) // '{"time":"2023-11-14T22:13:20.000Z","name":"up","labels":{},"value":1}\n'
 */
export function writePointsNdjson(batches: PointBatch[]): string {
  const keys = [...new Set(batches.flatMap((b) => Object.keys(b.series.labels)))].sort();
  return batches.map((b) => formatNdjsonPoints(b, keys)).join('');
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
