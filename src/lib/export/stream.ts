import type { PointBatch, ResultEvent, SeriesDescriptor } from '../types';
import { formatBundleSeriesLine } from './bundle';
import {
  CsvDuckdbHeader,
  CsvWriterDefaults,
  formatCsvDuckdbPoints,
  formatCsvTextCell
} from './csv';
import { encodeJsonNumber, formatPromValue } from './encode';
import { encodeEvent, formatNdjsonPoints } from './ndjson';
import { createOpenMetricsStream, orderOpenMetricsSeries, planOpenMetrics } from './openmetrics';
import type { EventDimension, EventGroup } from './privacy';

/**
 * Streaming forms of the writers: an export is written slice by slice (a few hundred
 * thousand points at a time) into Blob parts, so no export is ever one giant string. The
 * output is byte for byte what the whole-batch writers give for the same points, with one
 * difference: a series read in several slices is several bundle lines (readers merge them).
 */
export type PointStreamFormat =
  'csv-long' | 'csv-duckdb' | 'ndjson' | 'openmetrics' | 'bundle-ndjson' | 'bundle-zip';

/** A writer fed series slices in order; `write` may be called many times per series. */
export interface PointStreamWriter {
  begin(): string;
  write(batch: PointBatch): string;
  end(): string;
  /** Samples the format cannot carry, left out so far (OpenMetrics counters: NaN, negative). */
  skipped?: () => number;
}

const MAX_DATE_MS = 8.64e15;

function formatCsvTime(t: number, timeFormat: 'rfc3339' | 'epoch-ms'): string {
  const iso = timeFormat === 'rfc3339' && Math.abs(t) <= MAX_DATE_MS;
  return iso ? new Date(t).toISOString() : String(t);
}

/**
 * RFC 3339 times for a run of points: consecutive points mostly share their second, so the
 * `YYYY-MM-DDTHH:MM:SS.` prefix is formatted once per second and only the milliseconds are
 * appended (toISOString per point was most of the CSV writer's time). Same text as
 * `formatCsvTime`.
 */
function createTimeFormatter(timeFormat: 'rfc3339' | 'epoch-ms'): (t: number) => string {
  if (timeFormat === 'epoch-ms') return (t) => String(t);
  let second = NaN;
  let prefix = '';
  return (t) => {
    if (!Number.isInteger(t) || Math.abs(t) > MAX_DATE_MS || t < 0)
      return formatCsvTime(t, timeFormat);
    const ms = t % 1000;
    const s = t - ms;
    if (s !== second) {
      second = s;
      prefix = new Date(s).toISOString().slice(0, -4);
    }
    return `${prefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
  };
}

/**
 * Label keys of the long CSV layout: the sorted union over every series of the export, so
 * the header can be written before the first point.
 *
 * Empty input: []. Complexity O(series × labels).
 * @example
 * csvLabelKeys([{ labels: { b: '1', a: '2' } }]) // ['a', 'b']
 */
export function csvLabelKeys(series: Pick<SeriesDescriptor, 'labels'>[]): string[] {
  return [...new Set(series.flatMap((s) => Object.keys(s.labels)))].sort();
}

/**
 * Creates a streaming writer. `series` lists every series the export will write (the CSV
 * header needs the label keys up front; OpenMetrics needs the histogram families), and the
 * caller writes series in `orderSeriesForFormat` order.
 *
 * Empty input: the format's empty file. Complexity O(points) overall.
 * @example
 * const w = createPointWriter('csv-long', { series: [desc] });
 * const text = w.begin() + w.write(batch) + w.end();
 */
export function createPointWriter(
  format: PointStreamFormat,
  options: {
    series: SeriesDescriptor[];
    delimiter?: ',' | ';' | '\t';
    timeFormat?: 'rfc3339' | 'epoch-ms';
  }
): PointStreamWriter {
  switch (format) {
    case 'csv-long': {
      const d = options.delimiter ?? ',';
      const timeFormat = options.timeFormat ?? 'rfc3339';
      const keys = csvLabelKeys(options.series);
      const column = (k: string): string =>
        CsvWriterDefaults.reservedColumns.has(k.toLowerCase()) ? `label_${k}` : k;
      const timeHeader = timeFormat === 'epoch-ms' ? 'time_ms' : 'timestamp';
      const time = createTimeFormatter(timeFormat);
      return {
        begin: () =>
          [timeHeader, 'name', ...keys.map(column), 'value']
            .map((h) => formatCsvTextCell(h, d))
            .join(d) + '\r\n',
        write: (b) => {
          const middle = [
            formatCsvTextCell(b.series.name, d),
            ...keys.map((k) => formatCsvTextCell(b.series.labels[k] ?? '', d))
          ].join(d);
          const out: string[] = [];
          for (let i = 0; i < b.t.length; i++)
            out.push(`${time(b.t[i])}${d}${middle}${d}${formatPromValue(b.v[i])}\r\n`);
          return out.join('');
        },
        end: () => ''
      };
    }
    case 'ndjson': {
      const keys = csvLabelKeys(options.series);
      return { begin: () => '', write: (b) => formatNdjsonPoints(b, keys), end: () => '' };
    }
    case 'csv-duckdb':
      return {
        begin: () => CsvDuckdbHeader,
        write: (b) => formatCsvDuckdbPoints(b),
        end: () => ''
      };
    case 'openmetrics': {
      const w = createOpenMetricsStream(planOpenMetrics(options.series));
      return { skipped: w.skipped, begin: () => '', write: w.write, end: w.end };
    }
    case 'bundle-ndjson':
    case 'bundle-zip': {
      const typed = format === 'bundle-ndjson';
      return {
        begin: () => '',
        write: (b) => (b.t.length === 0 ? '' : formatBundleSeriesLine(b, typed) + '\n'),
        end: () => ''
      };
    }
  }
}

/**
 * The order a format needs series written in: OpenMetrics keeps each family contiguous
 * (stable within a family); the other formats keep the given order.
 *
 * Empty input: []. Complexity O(series log series) for OpenMetrics.
 * @example
 * orderSeriesForFormat('openmetrics', [a_total, b, a_total2]) // [0, 2, 1]
 */
export function orderSeriesForFormat(
  format: PointStreamFormat,
  series: SeriesDescriptor[]
): number[] {
  if (format !== 'openmetrics') return series.map((_, i) => i);
  return orderOpenMetricsSeries(planOpenMetrics(series), series);
}

/** Event columns of the events CSV, in order. */
export const EventCsvColumns = [
  'timestamp',
  'actionType',
  'status',
  'durationMs',
  'triggerId',
  'organisationId',
  'retries',
  'errorMessage',
  'context'
] as const;

/**
 * Result events as CSV rows (RFC 4180, formula-guarded text); `header` adds the header row.
 *
 * Empty input: the header only (or ''). Complexity O(events).
 * @example
 * writeEventsCsv([{ t: 0, actionType: 'run', status: 'ok', durationMs: 5 }], { header: true })
 */
export function writeEventsCsv(events: ResultEvent[], options: { header: boolean }): string {
  const d = ',';
  const out: string[] = options.header ? [EventCsvColumns.join(d) + '\r\n'] : [];
  for (const e of events) {
    out.push(
      [
        formatCsvTime(e.t, 'rfc3339'),
        formatCsvTextCell(e.actionType, d),
        formatCsvTextCell(e.status, d),
        formatPromValue(e.durationMs),
        formatCsvTextCell(e.triggerId ?? '', d),
        formatCsvTextCell(e.organisationId ?? '', d),
        e.retries === undefined ? '' : formatPromValue(e.retries),
        formatCsvTextCell(e.errorMessage ?? '', d),
        formatCsvTextCell(e.context === undefined ? '' : JSON.stringify(e.context), d)
      ].join(d) + '\r\n'
    );
  }
  return out.join('');
}

/**
 * Result events as bundle lines (`{"type":"event","event":…}` when `typed`) or plain NDJSON.
 *
 * Empty input: ''. Complexity O(events).
 * @example
 * writeEventLines([e], true) // '{"type":"event","event":{…}}\n'
 */
export function writeEventLines(events: ResultEvent[], typed: boolean): string {
  return events
    .map(
      (e) =>
        JSON.stringify(typed ? { type: 'event', event: encodeEvent(e) } : encodeEvent(e)) + '\n'
    )
    .join('');
}

/**
 * k-anonymous event groups as CSV (`format: 'csv'`) or NDJSON lines.
 *
 * Empty input: the CSV header only, or ''. Complexity O(groups).
 * @example
 * writeEventGroups(groups, { by: ['actionType'], format: 'csv' })
 */
export function writeEventGroups(
  groups: EventGroup[],
  options: { by: EventDimension[]; format: 'csv' | 'ndjson' }
): string {
  const { by } = options;
  if (options.format === 'ndjson')
    return groups
      .map(
        (g) =>
          JSON.stringify({
            ...g.key,
            count: g.count,
            failures: g.failures,
            meanDurationMs: encodeJsonNumber(g.meanDurationMs)
          }) + '\n'
      )
      .join('');
  const out = [[...by, 'count', 'failures', 'meanDurationMs'].join(',') + '\r\n'];
  for (const g of groups)
    out.push(
      [
        ...by.map((d) => formatCsvTextCell(g.key[d] ?? '', ',')),
        g.count,
        g.failures,
        formatPromValue(g.meanDurationMs)
      ].join(',') + '\r\n'
    );
  return out.join('');
}

/** One column of a wide CSV: a series (and aggregate) with its own points. */
export interface WideColumn {
  name: string;
  t: Float64Array;
  v: Float64Array;
}

/**
 * A wide CSV: one `timestamp` column then one column per series, one row per distinct time
 * (bucket start); a series without a value at that time has an empty cell. Meant for one
 * rollup tier, where every series shares the same bucket grid.
 *
 * Empty input: the header only (or ''). Complexity O(points log points).
 * @example
 * writeWideCsv([{ name: 'cpu', t: Float64Array.of(0), v: Float64Array.of(1) }], { header: true })
 * // 'timestamp,cpu\r\n1970-01-01T00:00:00.000Z,1\r\n'
 */
export function writeWideCsv(
  columns: WideColumn[],
  options: { header: boolean; timeFormat?: 'rfc3339' | 'epoch-ms' }
): string {
  const timeFormat = options.timeFormat ?? 'rfc3339';
  const out: string[] = [];
  if (options.header)
    out.push(
      [
        timeFormat === 'epoch-ms' ? 'time_ms' : 'timestamp',
        ...columns.map((c) => formatCsvTextCell(c.name, ','))
      ].join(',') + '\r\n'
    );
  const times = new Set<number>();
  for (const c of columns) for (const t of c.t) times.add(t);
  const sorted = Float64Array.from(times).sort();
  const cursors = columns.map(() => 0);
  for (const t of sorted) {
    const cells = [formatCsvTime(t, timeFormat)];
    columns.forEach((c, j) => {
      let i = cursors[j];
      while (i < c.t.length && c.t[i] < t) i++;
      cursors[j] = i;
      cells.push(i < c.t.length && c.t[i] === t ? formatPromValue(c.v[i]) : '');
    });
    out.push(cells.join(',') + '\r\n');
  }
  return out.join('');
}
