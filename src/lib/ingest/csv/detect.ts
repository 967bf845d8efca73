import { detectEpochPrecision } from '../time';
import type { CsvColumnRole, CsvOverrides, CsvTimeFormat, TimePrecision } from '../types';
import { parseCsvNumber } from './cells';

/**
 * What a CSV-family file looks like, from its first lines: the delimiter, whether a row is a
 * header, each column's role, the time format and the layout (wide, long or events).
 */

/** Columns whose name says they identify a series even when their content is numeric. */
export const LabelColumnNames = new Set([
  'tags',
  'host',
  'hostname',
  'instance',
  'type',
  'type_instance',
  'plugin',
  'plugin_instance',
  'cpu',
  'core',
  'dev',
  'device',
  'iface',
  'interface',
  'job',
  'region',
  'zone',
  'id',
  'pid',
  'node',
  'source'
]);
/** Columns that describe the sampling, not a measurement (sysstat's `interval`). */
export const IgnoredColumnNames = new Set(['interval']);
export const NameColumnNames = new Set(['name', 'metric', 'measurement', '__name__', 'series']);
export const TimeColumnNames = new Set([
  'time',
  'timestamp',
  'ts',
  't',
  'date',
  'datetime',
  '_time',
  'time_ms',
  'epoch'
]);
export const CsvDefaults = {
  /** Data rows looked at before deciding column roles. */
  probeRows: 20,
  /** Non-empty lines looked at before deciding the delimiter. */
  probeLines: 10,
  delimiters: [',', '\t', ';', '|'] as const
};

/**
 * Picks the delimiter whose per-line count is most consistent over the first lines.
 *
 * Empty input: ','. Complexity O(total length × candidates).
 * @example
 * detectDelimiter(['a;b;c', '1;2;3']) // ';'
 */
export function detectDelimiter(lines: string[]): ',' | '\t' | ';' | '|' {
  let best: ',' | '\t' | ';' | '|' = ',';
  let bestScore = 0;
  // The first line is usually the header and never spans lines, so it decides when it can:
  // later lines may be pieces of quoted multi-line values.
  if (lines.length > 0) {
    let firstBest = 0;
    for (const d of CsvDefaults.delimiters) {
      const n = countOutsideQuotes(lines[0], d);
      if (n > firstBest) {
        firstBest = n;
        best = d;
      }
    }
    if (firstBest > 0) return best;
  }
  for (const d of CsvDefaults.delimiters) {
    const counts = new Map<number, number>();
    for (const line of lines) {
      const n = countOutsideQuotes(line, d);
      if (n > 0) counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    let score = 0;
    for (const [n, lineCount] of counts) score = Math.max(score, lineCount * 1000 + n);
    if (score > bestScore) {
      bestScore = score;
      best = d;
    }
  }
  return best;
}

function countOutsideQuotes(line: string, d: string): number {
  let n = 0;
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') q = !q;
    else if (c === d && !q) n++;
  }
  return n;
}

const DATE_LIKE =
  /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?)?\s*(Z|z|UTC|GMT|[+-]\d{2}(:?\d{2})?)?$/;
const ZONED = /(Z|z|UTC|GMT|[+-]\d{2}(:?\d{2})?)$/;

function detectTimeFormat(samples: string[], byName: boolean): CsvTimeFormat | undefined {
  const cells = samples.map((s) => s.trim()).filter((s) => s !== '');
  if (cells.length === 0) return undefined;
  if (cells.every((c) => DATE_LIKE.test(c))) {
    return cells.every((c) => c.includes('T') || ZONED.test(c.slice(10)))
      ? 'rfc3339'
      : 'datetime-local';
  }
  if (!byName) return undefined;
  const nums = cells.map((c) => Number(c));
  if (nums.some((n) => !Number.isFinite(n))) return undefined;
  const p: TimePrecision = detectEpochPrecision(nums[0]);
  return `epoch-${p}` as CsvTimeFormat;
}

export type CsvLayout = 'wide' | 'long' | 'events';

export interface CsvColumn {
  name: string;
  role: CsvColumnRole;
}

/** The detected mapping of one header section, as previewed before import. */
export interface CsvMapping {
  columns: CsvColumn[];
  layout: CsvLayout;
  timeFormat: CsvTimeFormat | undefined;
  /** Index of the time column, -1 when there is none. */
  timeIndex: number;
}

/** A value column: most non-empty samples are numbers (a few bad cells become row errors). */
function isMostlyNumeric(samples: string[]): boolean {
  let numeric = 0;
  let filled = 0;
  for (const c of samples) {
    const s = c.trim();
    if (s === '') continue;
    filled++;
    if (parseCsvNumber(s) !== undefined) numeric++;
  }
  return numeric * 2 > filled || filled === 0;
}

/**
 * Decides column roles, layout and time format from a header and a few rows, applying
 * the caller's overrides last so they always win.
 *
 * Empty rows: roles come from names only. Complexity O(columns × rows).
 * @example
 * detectCsvMapping({ header: ['timestamp', 'value'], rows: [['2014-07-01 00:00:00', '1']] }).layout // 'wide'
 */
export function detectCsvMapping(input: {
  header: string[];
  rows: string[][];
  overrides?: CsvOverrides;
}): CsvMapping {
  const { header, rows } = input;
  const roles = input.overrides?.roles ?? {};
  const columns: CsvColumn[] = [];
  let timeIndex = -1;
  let timeFormat: CsvTimeFormat | undefined;
  for (let i = 0; i < header.length; i++) {
    const name = header[i];
    const lower = name.trim().toLowerCase();
    const samples = rows.map((r) => r[i] ?? '');
    const forced = roles[name] ?? roles[String(i)];
    let role: CsvColumnRole;
    if (forced !== undefined) role = forced;
    else if (timeIndex < 0 && detectTimeFormat(samples, TimeColumnNames.has(lower)) !== undefined)
      role = 'time';
    else if (NameColumnNames.has(lower)) role = 'name';
    else if (IgnoredColumnNames.has(lower)) role = 'ignored';
    else if (LabelColumnNames.has(lower)) role = 'label';
    else if (isMostlyNumeric(samples)) role = 'value';
    else role = 'label';
    if (role === 'time' && timeIndex < 0) {
      timeIndex = i;
      timeFormat =
        input.overrides?.timeFormat ??
        (lower === 'time_ms' ? 'epoch-ms' : detectTimeFormat(samples, true)) ??
        'rfc3339';
    } else if (role === 'time') role = 'ignored';
    columns.push({ name, role });
  }
  const lowerNames = header.map((h) => h.trim().toLowerCase());
  let layout: CsvLayout = 'wide';
  if (lowerNames.includes('actiontype') && lowerNames.includes('status')) layout = 'events';
  else {
    const hasName = columns.some((c) => c.role === 'name');
    const valueColumn = columns.find((c) => c.role === 'value' && /^_?value$/i.test(c.name));
    // `name,labels…,value`: every other column is a label, even a numeric-looking one.
    if (hasName && valueColumn !== undefined && roles[valueColumn.name] === undefined) {
      layout = 'long';
      for (const c of columns) {
        const byContent =
          c.role === 'value' ||
          (c.role === 'ignored' && IgnoredColumnNames.has(c.name.toLowerCase()));
        if (c !== valueColumn && byContent && roles[c.name] === undefined) c.role = 'label';
      }
    }
  }
  if (layout === 'events') {
    for (const c of columns) if (c.role !== 'time') c.role = 'label';
  }
  return { columns, layout, timeFormat, timeIndex };
}

/** A header row has no numeric cell and no time cell. */
export function looksLikeHeader(cells: string[]): boolean {
  return cells.every((c) => {
    const s = c.trim();
    return s === '' || (parseCsvNumber(s) === undefined && !DATE_LIKE.test(s));
  });
}
