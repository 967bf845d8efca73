import type { ResultEvent } from '../types';
import { IngestError } from './errors';
import { ByteKeyMap, equalBytesAt } from './byte-keys';
import { parseDecimalAt, parseDecimalBytes } from './fast-number';
import { decodeLine } from './lines';
import { formatSeriesKey, guessCategory, guessUnit } from './naming';
import { parsePromFloat } from './prometheus';
import type { BatchSink, SeriesSlot } from './sink';
import { detectEpochPrecision, parseDateTime, parseEpoch } from './time';
import type {
  BlockBytes,
  CsvColumnRole,
  CsvOverrides,
  CsvTimeFormat,
  LineBytes,
  LineContext,
  LineHandler,
  TimePrecision
} from './types';

/**
 * CSV / TSV / semicolon files. A hand-written RFC 4180 record reader rather than papaparse:
 * the stream parser already splits bytes into lines with exact byte offsets and line numbers
 * (needed for per-line errors and resume checkpoints), and papaparse's chunked mode does not
 * report either; the reader below resumes a quoted field across lines, so a record may span
 * lines and chunks, and its length is bounded by `maxLineBytes` like a line.
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

const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r', "'"]);

/** What the block path does with a column. */
const CellRole = { skip: 0, time: 1, label: 2, value: 3 } as const;
const POW10 = Array.from({ length: 23 }, (_v, i) => 10 ** i);
/** Below 2^53 digits form an exact integer (see fast-number.ts, Clinger's fast path). */
const MAX_EXACT_INT = 2 ** 53;

/** Resumable RFC 4180 record reader: feed it lines, it returns fields once a record closes. */
export class CsvRecordReader {
  private fields: string[] = [];
  private field = '';
  private inQuotes = false;
  private quoted = false;
  /** Bytes (UTF-16 units, an upper bound proxy) held for a record that spans lines. */
  pendingLength = 0;

  constructor(private readonly delimiter: string) {}

  get pending(): boolean {
    return this.inQuotes;
  }

  /**
   * Takes one physical line without its '\n' but with any '\r': a CR before the newline ends
   * the record outside quotes and is kept as data inside a quoted field (RFC 4180 CRLF).
   */
  feed(line: string): string[] | undefined {
    if (!this.inQuotes && line.indexOf('"') < 0)
      return (line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line).split(
        this.delimiter
      );
    const d = this.delimiter.charCodeAt(0);
    if (this.inQuotes) this.field += '\n';
    const last = line.length - 1;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if (c === 13 && i === last && !this.inQuotes) break;
      if (this.inQuotes) {
        if (c === 34) {
          if (line.charCodeAt(i + 1) === 34) {
            this.field += '"';
            i++;
          } else this.inQuotes = false;
        } else this.field += line[i];
      } else if (c === d) {
        this.fields.push(this.field);
        this.field = '';
        this.quoted = false;
      } else if (c === 34 && this.field === '' && !this.quoted) {
        this.inQuotes = true;
        this.quoted = true;
      } else this.field += line[i];
    }
    if (this.inQuotes) {
      this.pendingLength += line.length + 1;
      return undefined;
    }
    this.fields.push(this.field);
    const out = this.fields;
    this.fields = [];
    this.field = '';
    this.quoted = false;
    this.pendingLength = 0;
    return out;
  }

  reset(): void {
    this.fields = [];
    this.field = '';
    this.inQuotes = false;
    this.quoted = false;
    this.pendingLength = 0;
  }
}

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

/**
 * Parses a numeric cell: a float, or the NaN/±Inf spellings Prometheus and JS use.
 *
 * Empty or non-numeric input: undefined. Complexity O(length).
 * @example
 * parseCsvNumber(' -Inf ') // -Infinity
 */
export function parseCsvNumber(cell: string): number | undefined {
  const s = cell.trim();
  if (s === '') return undefined;
  const special = parsePromFloat(s);
  if (special !== undefined) return special;
  if (s === 'Infinity' || s === '+Infinity') return Infinity;
  if (s === '-Infinity') return -Infinity;
  if (s === 'nan' || s === 'NAN') return NaN;
  return undefined;
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

/**
 * Converts one time cell to epoch ms.
 *
 * Empty or unparsable input: NaN. Complexity O(length).
 * @example
 * parseCsvTime('1795357559304000000', { format: 'epoch-ns', timeZone: 'UTC' }) // 1795357559304
 */
export function parseCsvTime(
  cell: string,
  options: { format: CsvTimeFormat; timeZone: string }
): number {
  const s = cell.trim();
  switch (options.format) {
    case 'epoch-s': {
      const v = +s;
      return Number.isSafeInteger(v) && s !== '' ? v * 1000 : parseEpoch(s, 's');
    }
    case 'epoch-ms': {
      const v = +s;
      return Number.isSafeInteger(v) && s !== '' ? v : parseEpoch(s, 'ms');
    }
    case 'epoch-us':
      return parseEpoch(s, 'us');
    case 'epoch-ns':
      return parseEpoch(s, 'ns');
    default:
      return parseDateTime(s, options.timeZone);
  }
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
function looksLikeHeader(cells: string[]): boolean {
  return cells.every((c) => {
    const s = c.trim();
    return s === '' || (parseCsvNumber(s) === undefined && !DATE_LIKE.test(s));
  });
}

export interface CsvHandlerOptions {
  sink: BatchSink;
  file: string;
  timeZone: string;
  overrides?: CsvOverrides;
  maxLineBytes: number;
  /** Rows starting before this byte are parsed (headers matter) but not emitted. */
  skipToOffset?: number;
  /** Time for every row of a file without a time column; without it such a file is refused. */
  defaultTimestamp?: number;
}

interface BufferedRow {
  fields: string[];
  ctx: LineContext;
}

/**
 * Builds the line handler for CSV-family files. A commented line that contains the delimiter
 * (sysstat `sadf -d`: `# hostname;interval;timestamp;...`) is a header, and every later one
 * starts a new record type with its own columns.
 *
 * Empty input: emits nothing. Complexity O(length) per record after a probe of
 * `CsvDefaults.probeRows` rows per header section.
 * @example
 * const h = createCsvHandler({ sink, file: 'a.csv', timeZone: 'UTC', maxLineBytes: 1 << 20 });
 * h.onLine('timestamp,value', { line: 1, byte: 0 });
 */
export function createCsvHandler(options: CsvHandlerOptions): LineHandler & {
  pendingByte(): number | undefined;
} {
  const { sink, file, timeZone, overrides, maxLineBytes, defaultTimestamp } = options;
  const skipFrom = options.skipToOffset ?? 0;
  const fileStem = file.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '');
  const stripGuard = overrides?.stripFormulaGuard ?? true;
  let delimiter: string | undefined = overrides?.delimiter;
  let reader: CsvRecordReader | undefined;
  const probe: { text: string; ctx: LineContext }[] = [];
  let probeNonEmpty = 0;
  let header: string[] | undefined;
  let headerFromComment = false;
  let mapping: CsvMapping | undefined;
  let sectionRows: BufferedRow[] = [];
  let recordCtx: LineContext | undefined;
  let sectionId = 0;
  const slots = new Map<string, SeriesSlot>();

  const clean = (cell: string): string =>
    stripGuard && cell.length > 1 && cell[0] === "'" && FORMULA_START.has(cell[1])
      ? cell.slice(1)
      : cell;

  const slotFor = (name: string, labels: Record<string, string>, labelKey: string): SeriesSlot => {
    const id = `${sectionId}\u0000${name}\u0000${labelKey}`;
    let s = slots.get(id);
    if (s === undefined) {
      s = sink.slot(formatSeriesKey(name, labels), () => ({
        name,
        labels,
        unit: guessUnit(name),
        kind: 'gauge',
        source: 'import',
        category: guessCategory(name)
      }));
      slots.set(id, s);
    }
    return s;
  };

  /** Per-mapping precomputation so a row costs one map lookup plus one parse per value. */
  interface RowGroup {
    key: string;
    labels: Record<string, string>;
    metricName: string;
    slots: (SeriesSlot | null | undefined)[];
    next: RowGroup | undefined;
    /** `key` as UTF-8 once the byte path has met the group. */
    keyBytes: Uint8Array | undefined;
  }
  let previousGroup: RowGroup | undefined;
  let rowCounted = false;
  interface RowPlan {
    labelIdx: number[];
    nameIdx: number;
    valueIdx: number[];
    groups: Map<string, RowGroup>;
    /** The same groups by the bytes of their one label cell (byte path). */
    byteGroups: ByteKeyMap<RowGroup>;
    /** Per column, what the block path does with it (`CellRole`). */
    roles: Uint8Array;
  }
  let plan: RowPlan | undefined;
  let lastTimeText = '';
  let lastTime = NaN;
  const prefix = overrides?.namePrefix ? `${overrides.namePrefix}_` : '';

  const makePlan = (m: CsvMapping): RowPlan => {
    const labelIdx: number[] = [];
    const valueIdx: number[] = [];
    let nameIdx = -1;
    m.columns.forEach((c, i) => {
      if (c.role === 'label') labelIdx.push(i);
      else if (c.role === 'value') valueIdx.push(i);
      else if (c.role === 'name' && nameIdx < 0) nameIdx = i;
    });
    const roles = new Uint8Array(m.columns.length);
    m.columns.forEach((c, i) => {
      roles[i] =
        i === m.timeIndex
          ? CellRole.time
          : c.role === 'label'
            ? CellRole.label
            : c.role === 'value'
              ? CellRole.value
              : CellRole.skip;
    });
    return {
      labelIdx,
      nameIdx,
      valueIdx,
      groups: new Map(),
      byteGroups: new ByteKeyMap(),
      roles
    };
  };

  const seriesName = (m: CsvMapping, group: RowGroup, column: string): string =>
    m.layout === 'long'
      ? prefix + group.metricName
      : group.metricName !== ''
        ? `${prefix}${group.metricName}_${column}`
        : /^_?value$/i.test(column)
          ? prefix + fileStem
          : prefix + column;

  /** The slot of a group's `j`-th value column, made on first use; null for an empty name. */
  const valueSlot = (
    m: CsvMapping,
    group: RowGroup,
    j: number,
    column: string
  ): SeriesSlot | null => {
    let slot = group.slots[j];
    if (slot === undefined) {
      const name = seriesName(m, group, column);
      slot = name === '' ? null : slotFor(name, group.labels, group.key);
      group.slots[j] = slot;
    }
    return slot;
  };

  const emitRow = (fields: string[], ctx: LineContext): void => {
    const m = mapping as CsvMapping;
    const cols = m.columns;
    if (rowCounted) rowCounted = false;
    else sink.row();
    if (fields.length !== cols.length) {
      if (!(fields.length === 1 && fields[0].trim() === ''))
        sink.error(ctx, `expected ${cols.length} fields, got ${fields.length}`);
      return;
    }
    if (m.timeIndex < 0 && defaultTimestamp === undefined)
      throw new IngestError({
        code: 'no_time_column',
        message: 'no time column found; set csv.roles to mark one or give a defaultTimestamp',
        file,
        line: ctx.line,
        byte: ctx.byte
      });
    const timeText = m.timeIndex < 0 ? '' : fields[m.timeIndex];
    let t: number;
    if (m.timeIndex < 0) t = defaultTimestamp as number;
    else if (timeText === lastTimeText) t = lastTime;
    else {
      t = parseCsvTime(timeText, { format: m.timeFormat ?? 'rfc3339', timeZone });
      lastTimeText = timeText;
      lastTime = t;
    }
    if (!Number.isFinite(t)) return sink.error(ctx, `invalid time "${timeText.slice(0, 40)}"`);
    if (m.layout === 'events') return emitEvent(fields, t, ctx);
    plan ??= makePlan(m);
    const { labelIdx, nameIdx, valueIdx, groups } = plan;
    let key: string;
    // One label column and no name column is the common wide layout: the cell is the key.
    if (nameIdx < 0 && labelIdx.length === 1) key = fields[labelIdx[0]];
    else {
      key = nameIdx < 0 ? '' : fields[nameIdx];
      for (let k = 0; k < labelIdx.length; k++) key += '\u0001' + fields[labelIdx[k]];
    }
    let group = groups.get(key);
    if (group === undefined) {
      const labels: Record<string, string> = {};
      for (const i of labelIdx) {
        const v = clean(fields[i]);
        if (v !== '') labels[cols[i].name] = v;
      }
      group = {
        key,
        labels,
        metricName: nameIdx < 0 ? '' : clean(fields[nameIdx]),
        slots: new Array(valueIdx.length),
        next: undefined,
        keyBytes: undefined
      };
      groups.set(key, group);
    }
    for (let j = 0; j < valueIdx.length; j++) {
      const i = valueIdx[j];
      const cell = fields[i];
      if (cell.length === 0) continue;
      let v: number | undefined;
      const c0 = cell.charCodeAt(0);
      if ((c0 >= 48 && c0 <= 57) || c0 === 45) {
        v = +cell;
        if (v !== v) v = parseCsvNumber(cell);
      } else {
        if (cell.trim() === '') continue;
        v = parseCsvNumber(cell);
      }
      if (v === undefined) {
        sink.error(ctx, `column ${cols[i].name}: "${cell.slice(0, 40)}" is not a number`);
        continue;
      }
      const slot = valueSlot(m, group, j, cols[i].name);
      if (slot === null) {
        sink.error(ctx, 'empty metric name');
        continue;
      }
      sink.point(slot, t, v);
    }
  };

  const cellStart: number[] = [];
  const cellEnd: number[] = [];
  const range = { start: 0, end: 0 };

  /**
   * The hot path for quote-free rows once the mapping is known: cells are located with
   * indexOf and numbers parsed in place, so a row allocates only its time and label texts.
   * Anything unusual falls back to the general `emitRow`.
   */
  const emitPlainLine = (line: string, ctx: LineContext): void => {
    const m = mapping as CsvMapping;
    const cols = m.columns;
    const d = delimiter as string;
    let count = 0;
    let pos = 0;
    for (;;) {
      const next = line.indexOf(d, pos);
      const end = next < 0 ? line.length : next;
      cellStart[count] = pos;
      cellEnd[count] = end;
      count++;
      if (next < 0 || count > cols.length) break;
      pos = next + 1;
    }
    plan ??= makePlan(m);
    const { labelIdx, nameIdx, valueIdx } = plan;
    if (count !== cols.length || nameIdx >= 0 || labelIdx.length > 1)
      return emitRow(line.split(d), ctx);
    const ts = cellStart[m.timeIndex];
    const te = cellEnd[m.timeIndex];
    let t: number;
    if (te - ts === lastTimeText.length && line.startsWith(lastTimeText, ts)) t = lastTime;
    else {
      lastTimeText = line.slice(ts, te);
      t = parseCsvTime(lastTimeText, { format: m.timeFormat ?? 'rfc3339', timeZone });
      lastTime = t;
    }
    sink.row();
    if (!Number.isFinite(t)) return sink.error(ctx, `invalid time "${lastTimeText.slice(0, 40)}"`);
    let group: RowGroup | undefined;
    if (labelIdx.length === 0) group = plan.groups.get('');
    else {
      const ls = cellStart[labelIdx[0]];
      const le = cellEnd[labelIdx[0]];
      const guess = previousGroup?.next;
      if (guess !== undefined && le - ls === guess.key.length && line.startsWith(guess.key, ls))
        group = guess;
      else group = plan.groups.get(line.slice(ls, le));
    }
    if (group === undefined) {
      const fields = line.split(d);
      emitRowGroup(fields, ctx, t);
      return;
    }
    if (previousGroup !== undefined && previousGroup !== group) previousGroup.next = group;
    previousGroup = group;
    for (let j = 0; j < valueIdx.length; j++) {
      const i = valueIdx[j];
      range.start = cellStart[i];
      range.end = cellEnd[i];
      if (range.start === range.end) continue;
      let v: number | undefined = parseDecimalAt(line, range);
      if (v !== v) {
        const cell = line.slice(range.start, range.end);
        if (cell.trim() === '') continue;
        v = parseCsvNumber(cell);
        if (v === undefined) {
          sink.error(ctx, `column ${cols[i].name}: "${cell.slice(0, 40)}" is not a number`);
          continue;
        }
      }
      const slot = valueSlot(m, group, j, cols[i].name);
      if (slot === null) {
        sink.error(ctx, 'empty metric name');
        continue;
      }
      sink.point(slot, t, v);
    }
  };

  /** The byte path's own time cache (the text path's is keyed on text, this one on bytes). */
  let lastTimeBytes = new Uint8Array(32);
  let lastTimeLength = -1;
  let lastTimeMapping: CsvMapping | undefined;
  let lastTimeValue = NaN;
  const encoder = new TextEncoder();

  /**
   * Epoch ms of the time cell `b[range]`: a plain integer epoch straight from its bytes (the
   * exact fast path equals Number(text), and a safe integer is what parseCsvTime keeps);
   * anything else through parseCsvTime, cached on the cell's bytes as rows share times.
   */
  const timeOfBytes = (
    b: Uint8Array,
    range: { start: number; end: number },
    m: CsvMapping
  ): number => {
    const format = m.timeFormat ?? 'rfc3339';
    if (format === 'epoch-ms' || format === 'epoch-s') {
      // Parsing a plain epoch costs no more than comparing it with the previous one.
      const v = parseDecimalBytes(b, range);
      if (Number.isSafeInteger(v)) return format === 'epoch-s' ? v * 1000 : v;
    }
    const length = range.end - range.start;
    if (lastTimeMapping === m && length === lastTimeLength) {
      let i = 0;
      while (i < length && b[range.start + i] === lastTimeBytes[i]) i++;
      if (i === length) return lastTimeValue;
    }
    const t = parseCsvTime(decodeLine({ bytes: b, start: range.start, end: range.end }), {
      format,
      timeZone
    });
    if (length > lastTimeBytes.length) lastTimeBytes = new Uint8Array(length * 2);
    lastTimeBytes.set(b.subarray(range.start, range.end));
    lastTimeLength = length;
    lastTimeMapping = m;
    lastTimeValue = t;
    return t;
  };

  /** The mapping when rows can be read from bytes: known, with a time, outside a quoted record. */
  const bytePathMapping = (): CsvMapping | undefined =>
    reader === undefined ||
    reader.pending ||
    mapping === undefined ||
    mapping.layout === 'events' ||
    mapping.timeIndex < 0 ||
    delimiter === undefined
      ? undefined
      : mapping;

  const fallback = (view: LineBytes): void =>
    handler.onLine(decodeLine(view), { line: view.line, byte: view.byte });
  const cell = { start: 0, end: 0 };

  /**
   * The byte path for quote-free rows of a known mapping with at most one label column: cells
   * are found by scanning bytes for the delimiter, numbers parsed from bytes, the label group
   * interned by bytes. Nothing is decoded unless a cell is off the fast path. It changes no
   * state before it knows the row is on its path; anything else goes to `onLine` as text.
   */
  const onLineBytes = (view: LineBytes): void => {
    const m = bytePathMapping();
    if (m === undefined) return fallback(view);
    const b = view.bytes;
    const start = view.start;
    let end = view.end;
    if (end > start && b[end - 1] === 13) end--;
    // Empty, comment and blank-led (maybe blank-only: `trim` knows more blanks than ASCII)
    // lines take the text path.
    const c0 = b[start];
    if (end === start || c0 === 35 || c0 <= 32 || c0 >= 0x80) return fallback(view);
    plan ??= makePlan(m);
    const { labelIdx, nameIdx, valueIdx } = plan;
    if (nameIdx >= 0 || labelIdx.length > 1) return fallback(view);
    const cols = m.columns;
    const ncols = cols.length;
    const d = (delimiter as string).charCodeAt(0);
    let count = 0;
    let from = start;
    for (let i = start; i < end; i++) {
      const c = b[i];
      if (c === d) {
        if (count + 1 >= ncols) return fallback(view);
        cellStart[count] = from;
        cellEnd[count] = i;
        count++;
        from = i + 1;
      } else if (c === 34) return fallback(view);
    }
    cellStart[count] = from;
    cellEnd[count] = end;
    count++;
    if (count !== ncols) return fallback(view);
    let group: RowGroup | undefined;
    if (labelIdx.length === 0) group = plan.groups.get('');
    else {
      cell.start = cellStart[labelIdx[0]];
      cell.end = cellEnd[labelIdx[0]];
      const guess = previousGroup?.next;
      if (guess?.keyBytes !== undefined && equalBytesAt(b, cell, guess.keyBytes)) group = guess;
      else group = plan.byteGroups.get(b, cell);
      if (group === undefined) {
        // A group the text path created: index it by its bytes from now on.
        group = plan.groups.get(decodeLine({ bytes: b, start: cell.start, end: cell.end }));
        if (group === undefined) return fallback(view);
        group.keyBytes = encoder.encode(group.key);
        plan.byteGroups.set(group.keyBytes, group);
        if (!equalBytesAt(b, cell, group.keyBytes)) return fallback(view);
      }
    }
    if (group === undefined) return fallback(view);
    recordCtx = undefined;
    sink.emitting = view.byte >= skipFrom;
    cell.start = cellStart[m.timeIndex];
    cell.end = cellEnd[m.timeIndex];
    const t = timeOfBytes(b, cell, m);
    sink.row();
    if (!Number.isFinite(t)) {
      const text = decodeLine({ bytes: b, start: cell.start, end: cell.end });
      return sink.error(
        { line: view.line, byte: view.byte },
        `invalid time "${text.slice(0, 40)}"`
      );
    }
    if (previousGroup !== undefined && previousGroup !== group) previousGroup.next = group;
    previousGroup = group;
    for (let j = 0; j < valueIdx.length; j++) {
      const i = valueIdx[j];
      cell.start = cellStart[i];
      cell.end = cellEnd[i];
      if (cell.start === cell.end) continue;
      let v: number | undefined = parseDecimalBytes(b, cell);
      if (v !== v) {
        const text = decodeLine({ bytes: b, start: cell.start, end: cell.end });
        if (text.trim() === '') continue;
        v = parseCsvNumber(text);
        if (v === undefined) {
          sink.error(
            { line: view.line, byte: view.byte },
            `column ${cols[i].name}: "${text.slice(0, 40)}" is not a number`
          );
          continue;
        }
      }
      const slot = valueSlot(m, group, j, cols[i].name);
      if (slot === null) {
        sink.error({ line: view.line, byte: view.byte }, 'empty metric name');
        continue;
      }
      sink.point(slot, t, v);
    }
  };

  /** Values of the row being read by the block path, by value position (NaN: empty cell). */
  let rowValues = new Float64Array(0);

  /**
   * The block path: the rows of a run of complete lines parsed in ONE pass over their bytes
   * — cells delimited, numbers parsed and the row's end found as the bytes go by — for
   * quote-free rows of a known mapping with at most one label column whose group and series
   * exist. The per-line path finds each newline first, then the cells, then parses each
   * number: three passes over the same bytes, which made parsing the import's bound.
   *
   * A row changes nothing until it is read whole; at the first byte off the path (a quote, a
   * blank, an exponent, a cell count that differs, a new label, a long line) the block stops
   * before that row and the stream parser hands the row to `onLineBytes`, which knows every
   * case. So both paths store the same points and report the same errors.
   */
  const onBlockBytes = (block: BlockBytes): number => {
    const m = bytePathMapping();
    if (m === undefined) return block.start;
    plan ??= makePlan(m);
    const p = plan;
    if (p.nameIdx >= 0 || p.labelIdx.length > 1) return block.start;
    const roles = p.roles;
    const ncols = roles.length;
    const nvalues = p.valueIdx.length;
    if (rowValues.length < nvalues) rowValues = new Float64Array(nvalues);
    const values = rowValues;
    const d = (delimiter as string).charCodeAt(0);
    const epochMs = m.timeFormat === 'epoch-ms';
    const epochS = m.timeFormat === 'epoch-s';
    // Rows before a resume point are only re-read: the per-line path skips them.
    if (block.byte < skipFrom) return block.start;
    const b = block.bytes;
    const end = block.end;
    const maxLine = block.maxLineBytes;
    const unlabelled = p.labelIdx.length === 0 ? p.groups.get('') : undefined;
    // Hot state in locals, written back once: closure slots cost a load and store per row.
    let previous = previousGroup;
    const out = sink;
    out.emitting = true;
    let row = block.start;
    let lines = 0;
    rows: while (row < end) {
      // Empty, comment and blank-led lines take the per-line path (as in `onLineBytes`).
      const c0 = b[row];
      if (c0 === 35 || c0 <= 32 || c0 >= 0x80) break;
      let i = row;
      let t = NaN;
      let group = unlabelled;
      let j = 0;
      for (let c = 0; c < ncols; c++) {
        const role = roles[c];
        const cellStart = i;
        let ch = b[i];
        if (role === CellRole.value) {
          // `parseDecimalToken`'s rules, inline: a call per value in this loop was not
          // inlined by Chromium (measured with BatchSink.point), and the cell ends at the
          // delimiter, which the token reader does not stop at.
          let negative = false;
          if (ch === 45 || ch === 43) {
            negative = ch === 45;
            ch = b[++i];
          }
          // Up to 9 digits in an int32, as in `parseDecimalToken` (a float accumulator runs
          // at half the speed in Chromium); a longer mantissa goes on in a float.
          let small = 0;
          let digits = 0;
          let frac = -1;
          for (;;) {
            if (ch >= 48 && ch <= 57) {
              if (digits === 9) break;
              small = (small * 10 + (ch - 48)) | 0;
              digits++;
              if (frac >= 0) frac++;
            } else if (ch === 46 && frac < 0) frac = 0;
            else break;
            ch = b[++i];
          }
          let mant = small;
          if (digits === 9 && ch >= 48 && ch <= 57)
            for (;;) {
              if (ch >= 48 && ch <= 57) {
                mant = mant * 10 + (ch - 48);
                digits++;
                if (frac >= 0) frac++;
              } else if (ch === 46 && frac < 0) frac = 0;
              else break;
              ch = b[++i];
            }
          if (digits === 0) {
            // An empty cell is no point; anything else unusual takes the per-line path.
            if (i !== cellStart) break rows;
            values[j++] = NaN;
          } else {
            if (mant >= MAX_EXACT_INT || frac > 22) break rows;
            const v = frac > 0 ? mant / POW10[frac] : mant;
            values[j++] = negative ? -v : v;
          }
        } else if (role === CellRole.time && (epochMs || epochS)) {
          let negative = false;
          if (ch === 45) {
            negative = true;
            ch = b[++i];
          }
          // Two int32 accumulators of up to 9 digits each (a 13-digit epoch ms needs both).
          let hi = 0;
          let hiDigits = 0;
          while (ch >= 48 && ch <= 57 && hiDigits < 9) {
            hi = (hi * 10 + (ch - 48)) | 0;
            hiDigits++;
            ch = b[++i];
          }
          let lo = 0;
          let loDigits = 0;
          while (ch >= 48 && ch <= 57 && loDigits < 9) {
            lo = (lo * 10 + (ch - 48)) | 0;
            loDigits++;
            ch = b[++i];
          }
          let ms = loDigits === 0 ? hi : hi * POW10[loDigits] + lo;
          // A fraction, an exponent or a huge number: the general time parser decides.
          if (hiDigits === 0 || (ch >= 48 && ch <= 57) || ms > Number.MAX_SAFE_INTEGER) break rows;
          if (negative) ms = -ms;
          t = epochS ? ms * 1000 : ms;
        } else {
          while (ch !== d && ch !== 10 && ch !== 13 && ch !== 34) ch = b[++i];
          if (ch === 34) break rows;
          if (role === CellRole.time) {
            cell.start = cellStart;
            cell.end = i;
            t = timeOfBytes(b, cell, m);
            // An invalid time is an error the per-line path words.
            if (!Number.isFinite(t)) break rows;
          } else if (role === CellRole.label) {
            cell.start = cellStart;
            cell.end = i;
            // The group that followed the previous row's last time, compared in place.
            const guess = previous?.next;
            const key = guess?.keyBytes;
            let same = key !== undefined && key.length === i - cellStart;
            for (let q = 0; same && q < (key as Uint8Array).length; q++)
              same = b[cellStart + q] === (key as Uint8Array)[q];
            group = same ? guess : p.byteGroups.get(b, cell);
            if (group === undefined) break rows;
          }
        }
        // Each cell ends with the delimiter, the last one with the line.
        if (c < ncols - 1) {
          if (ch !== d) break rows;
          i++;
        } else if (ch === 13 && b[i + 1] === 10) i++;
        else if (ch !== 10) break rows;
      }
      if (group === undefined || i - row > maxLine) break;
      const slots = group.slots;
      for (let k = 0; k < nvalues; k++) {
        const slot = slots[k];
        if (slot == null && values[k] === values[k]) break rows;
      }
      // The row is read whole and every series exists: store it.
      if (previous !== undefined && previous !== group) previous.next = group;
      previous = group;
      for (let k = 0; k < nvalues; k++) {
        const v = values[k];
        if (v !== v) continue;
        const slot = slots[k] as SeriesSlot;
        const n = slot.n;
        // `sink.point` inlined for an active slot with room (see `SeriesSlot`).
        if (slot.active && n < slot.t.length) {
          slot.t[n] = t;
          slot.v[n] = v;
          slot.n = n + 1;
        } else out.point(slot, t, v);
      }
      row = i + 1;
      lines++;
    }
    previousGroup = previous;
    if (lines > 0) {
      recordCtx = undefined;
      out.row(lines);
    }
    block.lines = lines;
    return row;
  };

  /** First row of a new label group on the plain path: the general path registers it. */
  const emitRowGroup = (fields: string[], ctx: LineContext, _t: number): void => {
    rowCounted = true;
    emitRow(fields, ctx);
  };

  const emitEvent = (fields: string[], t: number, ctx: LineContext): void => {
    const cols = (mapping as CsvMapping).columns;
    const rec: Record<string, string> = {};
    for (let i = 0; i < cols.length; i++)
      if (cols[i].role !== 'time') rec[cols[i].name] = clean(fields[i]);
    const get = (k: string): string | undefined => {
      const key = Object.keys(rec).find((n) => n.toLowerCase() === k.toLowerCase());
      return key === undefined ? undefined : rec[key];
    };
    const duration = parseCsvNumber(get('durationMs') ?? '');
    const e: ResultEvent = {
      t,
      actionType: get('actionType') ?? '',
      status: get('status') ?? '',
      durationMs: duration ?? NaN
    };
    if (e.actionType === '') return sink.error(ctx, 'event without actionType');
    const known = [
      'actiontype',
      'status',
      'durationms',
      'triggerid',
      'organisationid',
      'retries',
      'errormessage'
    ];
    const triggerId = get('triggerId');
    const organisationId = get('organisationId');
    const errorMessage = get('errorMessage');
    const retries = parseCsvNumber(get('retries') ?? '');
    if (triggerId) e.triggerId = triggerId;
    if (organisationId) e.organisationId = organisationId;
    if (errorMessage) e.errorMessage = errorMessage;
    if (retries !== undefined) e.retries = retries;
    const context: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rec))
      if (!known.includes(k.toLowerCase()) && v !== '') context[k] = v;
    if (Object.keys(context).length > 0) e.context = context;
    sink.event(e);
  };

  const decide = (): void => {
    const hdr = header ?? sectionRows[0]?.fields.map((_c, i) => `col${i + 1}`) ?? [];
    mapping = detectCsvMapping({ header: hdr, rows: sectionRows.map((r) => r.fields), overrides });
    plan = undefined;
    previousGroup = undefined;
    const rows = sectionRows;
    sectionRows = [];
    for (const r of rows) {
      sink.emitting = r.ctx.byte >= skipFrom;
      emitRow(r.fields, r.ctx);
    }
  };

  const onRecord = (fields: string[], ctx: LineContext, commentHeader: boolean): void => {
    if (commentHeader) {
      if (header !== undefined && mapping === undefined && sectionRows.length > 0) decide();
      header = fields;
      headerFromComment = true;
      mapping = undefined;
      sectionId++;
      return;
    }
    if (header === undefined && mapping === undefined && sectionRows.length === 0) {
      const isHeader = overrides?.header ?? looksLikeHeader(fields);
      if (isHeader) {
        header = fields.map((f) => f.trim());
        sectionId++;
        return;
      }
    }
    if (mapping !== undefined) return emitRow(fields, ctx);
    sectionRows.push({ fields, ctx });
    if (sectionRows.length >= CsvDefaults.probeRows) decide();
  };

  const processLine = (raw: string, ctx: LineContext): void => {
    const r = reader as CsvRecordReader;
    const line = r.pending || raw.charCodeAt(raw.length - 1) !== 13 ? raw : raw.slice(0, -1);
    if (!r.pending) {
      if (line.trim() === '') return;
      if (line.charCodeAt(0) === 35) {
        const body = line.replace(/^#\s*/, '');
        const d = delimiter as string;
        // Only a commented line carrying the delimiter is a header (sysstat); others are notes.
        if (body.includes(d) && (headerFromComment || header === undefined))
          onRecord(
            body.split(d).map((f) => f.trim()),
            ctx,
            true
          );
        return;
      }
      recordCtx = ctx;
    }
    if (
      !r.pending &&
      mapping !== undefined &&
      mapping.layout !== 'events' &&
      mapping.timeIndex >= 0 &&
      line.indexOf('"') < 0
    ) {
      recordCtx = undefined;
      sink.emitting = ctx.byte >= skipFrom;
      return emitPlainLine(line, ctx);
    }
    const fields = r.feed(raw);
    if (fields === undefined) {
      if (r.pendingLength > maxLineBytes) {
        const start = recordCtx ?? ctx;
        throw new IngestError({
          code: 'line_too_long',
          message: `record over ${Math.round(maxLineBytes / 1024)} KiB at byte ${start.byte}`,
          file,
          line: start.line,
          byte: start.byte
        });
      }
      return;
    }
    const start = recordCtx ?? ctx;
    recordCtx = undefined;
    sink.emitting = start.byte >= skipFrom;
    onRecord(fields, start, false);
  };

  const flushProbe = (): void => {
    delimiter ??= detectDelimiter(
      probe.map((p) => p.text.replace(/^#\s*/, '')).filter((t) => t.trim() !== '')
    );
    reader = new CsvRecordReader(delimiter);
    for (const p of probe) processLine(p.text, p.ctx);
    probe.length = 0;
  };

  const handler = {
    onLineBytes,
    onBlockBytes,
    onLine(text: string, ctx: LineContext): void {
      if (reader !== undefined) return processLine(text, ctx);
      probe.push({ text, ctx });
      if (text.trim() !== '') probeNonEmpty++;
      if (probeNonEmpty >= CsvDefaults.probeLines) flushProbe();
    },
    onEnd(): void {
      if (reader === undefined) flushProbe();
      const r = reader as CsvRecordReader;
      if (r.pending && recordCtx !== undefined) {
        sink.emitting = recordCtx.byte >= skipFrom;
        sink.error(recordCtx, 'unterminated quoted field at end of file');
        r.reset();
      }
      if (mapping === undefined && sectionRows.length > 0) decide();
    },
    pendingByte(): number | undefined {
      if (reader === undefined) return probe[0]?.ctx.byte;
      if (mapping === undefined && sectionRows.length > 0) return sectionRows[0].ctx.byte;
      return reader.pending ? recordCtx?.byte : undefined;
    }
  };
  return handler;
}

/** The detected mapping and first rows, for the column-mapping preview before import. */
export interface CsvPreview {
  delimiter: string;
  header: string[] | undefined;
  headerFromComment: boolean;
  mapping: CsvMapping;
  rows: string[][];
}

export const CsvPreviewDefaults = {
  /** Bytes of the file head read for a preview. */
  headBytes: 64 * 1024,
  /** Rows returned for display. */
  rows: 20
};

/**
 * Detects delimiter, header, column roles, time format and layout from the head of a
 * CSV-family file, for the column-mapping preview; pass the returned choices back as
 * `csv` overrides to import with them.
 *
 * Empty input: no header, no columns, layout 'wide'. Complexity O(head bytes).
 * @example
 * previewCsv(new TextEncoder().encode('timestamp,value\n2014-07-01 00:00:00,1\n')).mapping.timeFormat
 * // 'datetime-local'
 */
export function previewCsv(bytes: Uint8Array, options: { csv?: CsvOverrides } = {}): CsvPreview {
  const head = bytes.subarray(0, CsvPreviewDefaults.headBytes);
  let text = new TextDecoder('utf-8').decode(head);
  // The last line of a truncated head is probably cut short.
  if (bytes.length > head.length) text = text.slice(0, Math.max(0, text.lastIndexOf('\n')));
  const lines = text.split('\n');
  const overrides = options.csv;
  const delimiter =
    overrides?.delimiter ??
    detectDelimiter(
      lines
        .slice(0, 50)
        .map((l) => l.replace(/^#\s*/, ''))
        .filter((l) => l.trim() !== '')
        .slice(0, CsvDefaults.probeLines)
    );
  const reader = new CsvRecordReader(delimiter);
  let header: string[] | undefined;
  let headerFromComment = false;
  const rows: string[][] = [];
  for (const line of lines) {
    if (rows.length >= Math.max(CsvPreviewDefaults.rows, CsvDefaults.probeRows)) break;
    if (!reader.pending) {
      if (line.trim() === '') continue;
      if (line.startsWith('#')) {
        const body = line.replace(/^#\s*/, '');
        if (
          body.includes(delimiter) &&
          rows.length === 0 &&
          (header === undefined || headerFromComment)
        ) {
          header = body.split(delimiter).map((f) => f.trim());
          headerFromComment = true;
        } else if (body.includes(delimiter) && headerFromComment) break;
        continue;
      }
    }
    const fields = reader.feed(line);
    if (fields === undefined) continue;
    if (
      header === undefined &&
      rows.length === 0 &&
      (overrides?.header ?? looksLikeHeader(fields))
    ) {
      header = fields.map((f) => f.trim());
      continue;
    }
    rows.push(fields);
  }
  const names = header ?? rows[0]?.map((_c, i) => `col${i + 1}`) ?? [];
  const mapping = detectCsvMapping({ header: names, rows, overrides });
  return {
    delimiter,
    header,
    headerFromComment,
    mapping,
    rows: rows.slice(0, CsvPreviewDefaults.rows)
  };
}
