import type { PointBatch } from '../types';
import { formatPromValue } from './encode';
import { formatIsoTime } from './ndjson';
import { mergeBatches } from './merge';

/**
 * CSV writer, long layout: `timestamp,name,<label keys…>,value`, one row per point, RFC 3339
 * UTC times with milliseconds (or epoch ms), RFC 4180 quoting. Text cells (names, labels)
 * that a spreadsheet would run as a formula — starting with `= + - @ \t \r` — get a leading
 * `'` (OWASP CSV injection); so does a cell already starting with `'`, so the ingest CSV
 * parser's `stripFormulaGuard` can undo exactly one guard and round-trip the value.
 * Label keys that would collide with the fixed columns are written as `label_<key>`.
 */
export const CsvWriterDefaults = {
  delimiter: ',',
  timeFormat: 'rfc3339' as 'rfc3339' | 'epoch-ms',
  reservedColumns: new Set([
    'timestamp',
    'time',
    'name',
    'value',
    'metric',
    'measurement',
    'series',
    '__name__',
    'ts',
    't',
    'date',
    'datetime',
    '_time',
    'time_ms',
    'epoch',
    '_value'
  ])
};

const MAX_DATE_MS = 8.64e15;
const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r', "'"]);

/**
 * Guards and quotes one text cell.
 *
 * Empty input: ''. Complexity O(length).
 * @example
 * formatCsvTextCell('=SUM(A1)', ',') // "'=SUM(A1)"
 */
export function formatCsvTextCell(value: string, delimiter: string): string {
  const guarded = value.length > 0 && FORMULA_START.has(value[0]) ? `'${value}` : value;
  return quoteCsv(guarded, delimiter);
}

function quoteCsv(cell: string, delimiter: string, always = false): string {
  if (
    always ||
    cell.includes(delimiter) ||
    cell.includes('"') ||
    cell.includes('\n') ||
    cell.includes('\r') ||
    cell !== cell.trim()
  )
    return `"${cell.replace(/"/g, '""')}"`;
  return cell;
}

/**
 * Writes batches as a long-layout CSV. Batches of the same series are merged.
 *
 * Empty input: the header row `timestamp,name,value` only. Complexity O(points × columns).
 * @example
 * writeCsv([{ series: { name: 'up', labels: { job: 'a' }, unit: '', kind: 'gauge', source: 'import', category: 'app' }, t: Float64Array.of(0), v: Float64Array.of(1) }])
 * // 'timestamp,name,job,value\r\n1970-01-01T00:00:00.000Z,up,a,1\r\n'
 */
export function writeCsv(
  batches: PointBatch[],
  options: { delimiter?: ',' | ';' | '\t'; timeFormat?: 'rfc3339' | 'epoch-ms' } = {}
): string {
  const d = options.delimiter ?? CsvWriterDefaults.delimiter;
  const timeFormat = options.timeFormat ?? CsvWriterDefaults.timeFormat;
  const merged = mergeBatches(batches);
  const keys = [...new Set(merged.flatMap((b) => Object.keys(b.series.labels)))].sort();
  const column = (k: string): string =>
    CsvWriterDefaults.reservedColumns.has(k.toLowerCase()) ? `label_${k}` : k;
  const timeHeader = timeFormat === 'epoch-ms' ? 'time_ms' : 'timestamp';
  const header = [timeHeader, 'name', ...keys.map(column), 'value'].map((h) => quoteCsv(h, d));
  const out: string[] = [header.join(d) + '\r\n'];
  for (const b of merged) {
    const middle = [
      formatCsvTextCell(b.series.name, d),
      ...keys.map((k) => formatCsvTextCell(b.series.labels[k] ?? '', d))
    ].join(d);
    for (let i = 0; i < b.t.length; i++) {
      const t = b.t[i];
      // Outside Date's range (±8.64e15 ms) or NaN there is no ISO form: write the number.
      const iso = timeFormat === 'rfc3339' && Math.abs(t) <= MAX_DATE_MS;
      const time = iso ? new Date(t).toISOString() : String(t);
      out.push(`${time}${d}${middle}${d}${formatPromValue(b.v[i])}\r\n`);
    }
  }
  return out.join('');
}

/**
 * The long CSV for DuckDB and ClickHouse: `time,name,labels,value`, `labels` one JSON object
 * per row (`{"cpu":"0","mode":"idle"}`). Label values cannot each be a column here:
 * `read_csv_auto` types a column from a sample of rows and ignores quotes, so a `cpu` column
 * of `0`, `1`, … read as BIGINT aborts the load at the first `total` past the sample (and a
 * label column of numbers is not text). One JSON text column is always VARCHAR;
 * `labels::JSON->>'cpu'` reads a label. Times are RFC 3339 UTC (TIMESTAMP WITH TIME ZONE),
 * values numbers or `NaN`/`+Inf`/`-Inf` (DOUBLE); names are formula-guarded like the other
 * CSV.
 */
export const CsvDuckdbHeader = 'time,name,labels,value\r\n';

/**
 * Rows of one series in the DuckDB layout.
 *
 * Empty input: ''. Complexity O(points).
 * @example
 * formatCsvDuckdbPoints(batch) // '2023-11-14T22:13:20.000Z,up,"{""job"":""a""}",1\r\n'
 */
export function formatCsvDuckdbPoints(b: PointBatch): string {
  const keys = Object.keys(b.series.labels).sort();
  const labels = JSON.stringify(Object.fromEntries(keys.map((k) => [k, b.series.labels[k]])));
  const middle = `,${formatCsvTextCell(b.series.name, ',')},${quoteCsv(labels, ',', true)},`;
  const out: string[] = [];
  for (let i = 0; i < b.t.length; i++)
    out.push(`${formatIsoTime(b.t[i])}${middle}${formatPromValue(b.v[i])}\r\n`);
  return out.join('');
}
