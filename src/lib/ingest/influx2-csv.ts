import { emitPoint } from './emit';
import { parseJsonNumber } from './json-shapes';
import type { BatchSink } from './sink';
import { parseDateTime } from './time';
import type { LineContext, LineHandler } from './types';

/**
 * InfluxDB 2.x annotated CSV, as Flux, the `/api/v2/query` endpoint and `influx query --raw`
 * write it (https://docs.influxdata.com/influxdb/v2/reference/syntax/annotated-csv/): tables
 * separated by blank lines, each led by `#datatype`, `#group` and `#default` rows and a header
 * whose first cell (the annotation column) is empty.
 *
 * A row becomes the series `_measurement_field` valued `_value` (the raw query layout), or,
 * for a pivoted table without `_value`, one series per numeric column. Every other string
 * column (tags; not `result`, `table`, `_field`, `_measurement`) is a label. Time is `_time`,
 * else `_stop` (an aggregate window's end). Strings, booleans as text and empty values are
 * counted as skipped; an `error` table is a line error.
 *
 * Kept apart from csv.ts on purpose: every table brings its own schema and types in its
 * annotations, which the generic CSV reader's one-header model has no place for. Cells are
 * split here by hand (RFC 4180 quotes within one line) because the stream parser hands
 * lines over with their numbers and offsets, which a CSV library's stream does not report.
 */
export interface Influx2CsvOptions {
  sink: BatchSink;
  file: string;
  timeZone: string;
}

const NumericTypes = new Set(['double', 'long', 'unsignedLong']);
const NotLabels = new Set(['', 'result', 'table', '_field', '_measurement', '_value', '_time']);

/** Splits one CSV line (RFC 4180 quotes); undefined when a quote is left open. */
export function splitCsvLine(line: string): string[] | undefined {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (line.charCodeAt(i) === 34) {
      let out = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) return undefined;
        out += line.slice(j, q);
        if (line.charCodeAt(q + 1) === 34) {
          out += '"';
          j = q + 2;
          continue;
        }
        j = q + 1;
        break;
      }
      cells.push(out);
      if (j >= line.length) return cells;
      if (line.charCodeAt(j) !== 44) return undefined;
      i = j + 1;
    } else {
      const comma = line.indexOf(',', i);
      if (comma < 0) {
        cells.push(line.slice(i));
        return cells;
      }
      cells.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
}

interface Table {
  columns: string[];
  types: string[];
  defaults: string[];
  time: number;
  value: number;
  field: number;
  measurement: number;
  labels: number[];
  numeric: number[];
  error: number;
}

/**
 * Builds the annotated CSV line handler.
 *
 * Empty input: emits nothing. Complexity O(line length) per line.
 * @example
 * const h = createInflux2CsvHandler({ sink, file: 'q.csv', timeZone: 'UTC' });
 * h.onLine('#datatype,string,long,dateTime:RFC3339,double,string,string', { line: 1, byte: 0 });
 */
export function createInflux2CsvHandler(options: Influx2CsvOptions): LineHandler {
  const { sink, timeZone } = options;
  let types: string[] = [];
  let defaults: string[] = [];
  let table: Table | undefined;

  const header = (cells: string[]): Table => {
    const at = (name: string): number => cells.indexOf(name);
    const time = at('_time') >= 0 ? at('_time') : at('_stop');
    const value = at('_value');
    const labels: number[] = [];
    const numeric: number[] = [];
    cells.forEach((c, i) => {
      const type = types[i] ?? '';
      if (i === 0 || i === time) return;
      if (NumericTypes.has(type) || type === 'boolean') {
        if (value < 0 && c !== 'table') numeric.push(i);
      } else if (!NotLabels.has(c) && !type.startsWith('dateTime')) labels.push(i);
    });
    return {
      columns: cells,
      types,
      defaults,
      time,
      value,
      field: at('_field'),
      measurement: at('_measurement'),
      labels,
      numeric,
      error: at('error')
    };
  };

  const row = (cells: string[], t: Table, ctx: LineContext): void => {
    sink.row();
    const cell = (i: number): string =>
      cells[i] === '' ? (t.defaults[i] ?? '') : (cells[i] ?? '');
    if (t.error >= 0) return sink.error(ctx, `query error: ${cell(t.error)}`);
    if (t.time < 0) return sink.error(ctx, 'table without a _time or _stop column');
    const time = parseDateTime(cell(t.time), timeZone);
    if (!Number.isFinite(time))
      return sink.error(ctx, `invalid time "${cell(t.time).slice(0, 40)}"`);
    const labels: Record<string, string> = {};
    for (const i of t.labels) if (cell(i) !== '') labels[t.columns[i]] = cell(i);
    const measurement = t.measurement >= 0 ? cell(t.measurement) : '';
    const prefix = measurement === '' ? '' : `${measurement}_`;
    const read = (i: number): number | undefined => {
      const text = cell(i);
      if (t.types[i] === 'boolean') return text === 'true' ? 1 : text === 'false' ? 0 : undefined;
      return NumericTypes.has(t.types[i] ?? '') || t.types[i] === undefined
        ? parseJsonNumber(text)
        : undefined;
    };
    if (t.value >= 0) {
      const v = read(t.value);
      if (v === undefined) return sink.skip();
      const field = t.field >= 0 ? cell(t.field) : '_value';
      return emitPoint(sink, { name: prefix + field, labels }, time, v);
    }
    for (const i of t.numeric) {
      const v = read(i);
      if (v === undefined) sink.skip();
      else emitPoint(sink, { name: prefix + t.columns[i], labels }, time, v);
    }
  };

  return {
    onLine(raw: string, ctx: LineContext): void {
      const line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
      if (line.trim() === '') {
        table = undefined;
        return;
      }
      const cells = splitCsvLine(line);
      if (cells === undefined) {
        sink.row();
        return sink.error(ctx, 'unterminated quoted cell (a value spanning lines is not read)');
      }
      if (cells[0] === '#datatype') {
        types = cells;
        table = undefined;
        return;
      }
      if (cells[0] === '#default') {
        defaults = cells;
        return;
      }
      if (cells[0].startsWith('#')) return;
      if (table === undefined) {
        table = header(cells);
        return;
      }
      row(cells, table, ctx);
    },
    onEnd: () => undefined
  };
}
