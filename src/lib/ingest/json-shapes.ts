import type { BatchSink } from './sink';
import { emitPoint } from './emit';
import { detectEpochPrecision, parseDateTime, parseEpoch } from './time';
import type { LineContext, TimePrecision } from './types';

/**
 * JSON shapes other programs write, each read into points. The generic value readers
 * (`parseJsonNumber`, `parseJsonTime`) live in json.ts; these functions take a parsed value.
 *
 * - InfluxDB 1.x query results (HTTP `/query` and `influx -format json`):
 *   `{ results: [{ series: [{ name, tags?, columns, values }] }] }`;
 * - sysstat `sadf -j`: `{ sysstat: { hosts: [{ nodename, statistics: [...] }] } }`;
 * - records (DuckDB/pandas/ClickHouse `JSONEachRow` rows): a time field, then either a
 *   name field and a value field, or one series per numeric field; every other scalar field
 *   is a label, so rows that differ only in a label column stay apart.
 */

type JsonObject = { [k: string]: unknown };
const isObject = (x: unknown): x is JsonObject =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

export interface ShapeContext {
  sink: BatchSink;
  ctx: LineContext;
  /** Epoch precision for numeric times; guessed from magnitude when absent. */
  precision?: TimePrecision;
  timeZone?: string;
}

/** A numeric or textual time → epoch ms, with a known precision when given. */
export function readTime(x: unknown, precision: TimePrecision | undefined, zone = 'UTC'): number {
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) return NaN;
    const text = Number.isInteger(x) ? BigInt(x).toString() : String(x);
    return parseEpoch(text, precision ?? detectEpochPrecision(x));
  }
  if (typeof x !== 'string') return NaN;
  const s = x.trim();
  if (/^[+-]?\d+(\.\d+)?$/.test(s)) return parseEpoch(s, precision ?? detectEpochPrecision(+s));
  return parseDateTime(s, zone);
}

/** Numbers as they are, booleans as 1/0 (like Influx boolean fields); else undefined. */
function numeric(x: unknown): number | undefined {
  if (typeof x === 'number') return x;
  if (typeof x === 'boolean') return x ? 1 : 0;
  return undefined;
}

/** Whether `value` is an InfluxDB 1.x query response. */
export function isInfluxQueryResult(value: JsonObject): boolean {
  return (
    Array.isArray(value.results) &&
    value.results.every(
      (r) => isObject(r) && ('series' in r || 'error' in r || 'statement_id' in r)
    )
  );
}

/**
 * InfluxDB 1.x `{ results: [...] }`: each numeric column of each series becomes the series
 * `measurement_column` (as line protocol fields do), labelled by the series' `tags` (GROUP BY)
 * and by the string columns of the row (tag keys in a `SELECT *`). `time` is RFC 3339 or, with
 * `epoch=…`, a number in that precision (`precision`, else guessed from magnitude). Nulls
 * (`fill(null)`) and string fields are counted as skipped; a statement error is a line error.
 */
export function dispatchInfluxQuery(value: JsonObject, s: ShapeContext): void {
  const { sink, ctx } = s;
  for (const result of value.results as JsonObject[]) {
    if (typeof result.error === 'string') {
      sink.row();
      sink.error(
        ctx,
        `InfluxDB statement ${String(result.statement_id ?? '')} failed: ${result.error}`
      );
      continue;
    }
    if (!Array.isArray(result.series)) continue;
    for (const series of result.series) {
      if (!isObject(series) || !Array.isArray(series.columns) || !Array.isArray(series.values)) {
        sink.error(ctx, 'InfluxDB series without columns and values');
        continue;
      }
      const measurement = typeof series.name === 'string' ? series.name : '';
      const columns = series.columns.map(String);
      const timeIdx = columns.indexOf('time');
      if (timeIdx < 0) {
        sink.error(ctx, `InfluxDB series ${measurement}: no time column`);
        continue;
      }
      const tags: Record<string, string> = {};
      if (isObject(series.tags))
        for (const [k, v] of Object.entries(series.tags))
          if (v !== null && v !== '') tags[k] = String(v);
      for (const row of series.values) {
        sink.row();
        if (!Array.isArray(row) || row.length !== columns.length) {
          sink.error(ctx, `InfluxDB series ${measurement}: a row does not match its columns`);
          continue;
        }
        const t = readTime(row[timeIdx], s.precision);
        if (!Number.isFinite(t)) {
          sink.error(
            ctx,
            `InfluxDB series ${measurement}: invalid time ${JSON.stringify(row[timeIdx])}`
          );
          continue;
        }
        const labels = { ...tags };
        for (let i = 0; i < columns.length; i++)
          if (i !== timeIdx && typeof row[i] === 'string') labels[columns[i]] = row[i] as string;
        for (let i = 0; i < columns.length; i++) {
          if (i === timeIdx || typeof row[i] === 'string') continue;
          const v = numeric(row[i]);
          if (v === undefined) {
            sink.skip();
            continue;
          }
          const name = measurement === '' ? columns[i] : `${measurement}_${columns[i]}`;
          emitPoint(sink, { name, labels }, t, v);
        }
      }
    }
  }
}

/** Whether `value` is sysstat's `sadf -j` document. */
export function isSadfJson(value: JsonObject): boolean {
  return isObject(value.sysstat) && Array.isArray(value.sysstat.hosts);
}

const clean = (s: string): string => s.replace(/[^a-zA-Z0-9_]+/g, '_').replace(/^_+|_+$/g, '');

/**
 * sysstat `sadf -j`: every numeric field of every statistics record becomes the series
 * `sysstat_<group path>_<field>` (`sysstat_cpu_load_usr`, `sysstat_network_net_dev_rxpck`),
 * labelled `host` (the nodename) and, inside arrays, by the item's string fields (`cpu`,
 * `iface`, `disk-device`…). Times are the record's `date` + `time` (UTC when `utc` is 1, else
 * in `timeZone`).
 */
export function dispatchSadf(value: JsonObject, s: ShapeContext): void {
  const { sink, ctx } = s;
  const hosts = (value.sysstat as JsonObject).hosts as unknown[];
  for (const host of hosts) {
    if (!isObject(host) || !Array.isArray(host.statistics)) continue;
    const base: Record<string, string> =
      typeof host.nodename === 'string' ? { host: host.nodename } : {};
    for (const stat of host.statistics) {
      if (!isObject(stat)) continue;
      const ts = isObject(stat.timestamp) ? stat.timestamp : undefined;
      sink.row();
      if (ts === undefined || typeof ts.date !== 'string' || typeof ts.time !== 'string') {
        sink.error(ctx, 'sadf record without a timestamp');
        continue;
      }
      const zone = ts.utc === 1 || ts.utc === true ? 'UTC' : (s.timeZone ?? 'UTC');
      const t = parseDateTime(`${ts.date} ${ts.time}`, zone);
      if (!Number.isFinite(t)) {
        sink.error(ctx, `sadf record with an invalid time "${ts.date} ${ts.time}"`);
        continue;
      }
      for (const [key, group] of Object.entries(stat))
        if (key !== 'timestamp') walkSadf(sink, `sysstat_${clean(key)}`, group, base, t);
    }
  }
}

function walkSadf(
  sink: BatchSink,
  prefix: string,
  node: unknown,
  labels: Record<string, string>,
  t: number
): void {
  const v = numeric(node);
  if (v !== undefined) return emitPoint(sink, { name: prefix, labels }, t, v);
  if (Array.isArray(node)) {
    for (const item of node) {
      if (!isObject(item)) {
        walkSadf(sink, prefix, item, labels, t);
        continue;
      }
      const own = { ...labels };
      for (const [k, x] of Object.entries(item)) if (typeof x === 'string') own[clean(k)] = x;
      for (const [k, x] of Object.entries(item))
        if (typeof x !== 'string') walkSadf(sink, `${prefix}_${clean(k)}`, x, own, t);
    }
    return;
  }
  if (isObject(node)) {
    for (const [k, x] of Object.entries(node))
      if (typeof x !== 'string') walkSadf(sink, `${prefix}_${clean(k)}`, x, labels, t);
    return;
  }
  if (node !== null && node !== undefined) sink.skip();
}

const TimeKeys = [
  't',
  'time',
  'timestamp',
  'ts',
  '_time',
  'Time',
  'date',
  'datetime',
  '@timestamp'
];
const NameKeys = [
  'name',
  'metric',
  '__name__',
  'measurement',
  '_measurement',
  'metric_name',
  'series'
];
const ValueKeys = ['v', 'value', '_value', 'val'];
/** Keys of Tidemark's own point records that describe the series, not label it. */
const MetaKeys = new Set(['labels', 'unit', 'kind', 'help', 'category']);

/** The first of `keys` present in `o`, or undefined. */
function firstKey(o: JsonObject, keys: readonly string[]): string | undefined {
  return keys.find((k) => o[k] !== undefined && o[k] !== null);
}

/** Whether `o` looks like a record: it has a time field and a value or numeric field. */
export function isRecord(o: JsonObject): boolean {
  if (firstKey(o, TimeKeys) === undefined) return false;
  return Object.values(o).some((x) => typeof x === 'number');
}

/**
 * A record row: with a name field, one point of that series, its value from `v`/`value`;
 * without one, one point per numeric field named after the field. Scalar fields that are
 * neither time, name nor value are labels (numbers among them only in the named form, where
 * the value field is known); a `labels` object adds more.
 * Returns an error message, or undefined when the row was read.
 */
export function dispatchRecord(o: JsonObject, s: ShapeContext): string | undefined {
  const { sink } = s;
  const timeKey = firstKey(o, TimeKeys);
  if (timeKey === undefined) return 'missing or invalid time';
  const t = readTime(o[timeKey], s.precision, s.timeZone);
  if (!Number.isFinite(t)) return 'missing or invalid time';
  const nameKey = firstKey(o, NameKeys);
  const labels: Record<string, string> = {};
  if (isObject(o.labels)) {
    for (const [k, v] of Object.entries(o.labels))
      // An empty value is no label (Prometheus; Tidemark's NDJSON writes "" for absent keys).
      if (v !== null && v !== undefined && v !== '')
        labels[k] = typeof v === 'string' ? v : JSON.stringify(v);
  } else if (o.labels !== undefined && o.labels !== null) return 'labels: expected an object';
  const valueKey = firstKey(o, ValueKeys);
  if (nameKey !== undefined && typeof o[nameKey] === 'string' && valueKey !== undefined) {
    const v = parseRecordNumber(o[valueKey]);
    if (v === undefined) return 'missing or invalid value';
    for (const [k, x] of Object.entries(o)) {
      if (k === timeKey || k === nameKey || k === valueKey || MetaKeys.has(k)) continue;
      if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean')
        labels[k] = String(x);
    }
    const kind = o.kind === 'counter' || o.kind === 'histogram_bucket' ? o.kind : undefined;
    const unit = typeof o.unit === 'string' ? o.unit : undefined;
    emitPoint(sink, { name: o[nameKey] as string, labels, unit, kind }, t, v);
    return undefined;
  }
  // A name without a value field: a wide row of that measurement (`cpu_user`, `cpu_sys`).
  const prefix = nameKey !== undefined && typeof o[nameKey] === 'string' ? `${o[nameKey]}_` : '';
  for (const [k, x] of Object.entries(o))
    if (k !== timeKey && k !== nameKey && !MetaKeys.has(k) && typeof x === 'string') labels[k] = x;
  let any = false;
  for (const [k, x] of Object.entries(o)) {
    if (k === timeKey || MetaKeys.has(k) || typeof x === 'string') continue;
    const v = numeric(x);
    if (v === undefined) {
      if (x !== null) sink.skip();
      continue;
    }
    emitPoint(sink, { name: prefix + k, labels }, t, v);
    any = true;
  }
  return any ? undefined : prefix === '' ? 'no numeric field' : 'missing or invalid value';
}

/** A record value: a number, a boolean (1/0) or a numeric string (see `parseJsonNumber`). */
function parseRecordNumber(x: unknown): number | undefined {
  return numeric(x) ?? parseJsonNumber(x);
}

/**
 * A JSON value → number, accepting the strings Tidemark's writers use for NaN/±Inf/-0.
 *
 * Empty string, other types or non-numeric text: undefined. Complexity O(length).
 * @example
 * parseJsonNumber('-0') // -0
 */
export function parseJsonNumber(x: unknown): number | undefined {
  if (typeof x === 'number') return x;
  if (typeof x !== 'string') return undefined;
  switch (x) {
    case 'NaN':
      return NaN;
    case '+Inf':
    case 'Inf':
    case 'Infinity':
    case '+Infinity':
      return Infinity;
    case '-Inf':
    case '-Infinity':
      return -Infinity;
  }
  const s = x.trim();
  if (s === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}
