import { IngestError } from '../errors';
import type { BatchSink } from '../sink';
import type { CsvOverrides, LineContext, LineHandler } from '../types';
import { createFastPath } from './fast-path';
import {
  CsvDefaults,
  detectCsvMapping,
  detectDelimiter,
  looksLikeHeader,
  type CsvMapping
} from './detect';
import { SeriesSlots, type CsvState } from './plan';
import { CsvRecordReader } from './record-reader';
import { createRowReader } from './rows';

/**
 * CSV / TSV / semicolon files. A hand-written RFC 4180 record reader rather than papaparse:
 * the stream parser already splits bytes into lines with exact byte offsets and line numbers
 * (needed for per-line errors and resume checkpoints), and papaparse's chunked mode does not
 * report either; the reader resumes a quoted field across lines, so a record may span
 * lines and chunks, and its length is bounded by `maxLineBytes` like a line.
 *
 * Layered like PapaParse: record-reader.ts (RFC 4180 only) → detect.ts (delimiter, header,
 * column roles, time format) → plan.ts (per-mapping plan, label groups, series) → the
 * decode paths: rows.ts (text) and fast-path.ts (bytes, one line or a block of lines),
 * which give the same points and errors; this module keeps the header-section state and
 * dispatches lines to them.
 */

export { CsvRecordReader } from './record-reader';
export {
  CsvDefaults,
  detectCsvMapping,
  detectDelimiter,
  IgnoredColumnNames,
  LabelColumnNames,
  NameColumnNames,
  TimeColumnNames
} from './detect';
export type { CsvColumn, CsvLayout, CsvMapping } from './detect';
export { parseCsvNumber, parseCsvTime } from './cells';

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
  const { sink, file, overrides, maxLineBytes } = options;
  const skipFrom = options.skipToOffset ?? 0;
  const fileStem = file.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '');
  const st: CsvState = {
    sink,
    file,
    timeZone: options.timeZone,
    defaultTimestamp: options.defaultTimestamp,
    skipFrom,
    stripGuard: overrides?.stripFormulaGuard ?? true,
    slots: new SeriesSlots(sink, fileStem, overrides?.namePrefix),
    delimiter: overrides?.delimiter,
    reader: undefined,
    mapping: undefined,
    plan: undefined,
    previousGroup: undefined,
    recordCtx: undefined
  };
  const textPath = createRowReader(st);
  const fast = createFastPath(st, (text, ctx) => handler.onLine(text, ctx));
  const probe: { text: string; ctx: LineContext }[] = [];
  let probeNonEmpty = 0;
  let header: string[] | undefined;
  let headerFromComment = false;
  let sectionRows: BufferedRow[] = [];

  const decide = (): void => {
    const hdr = header ?? sectionRows[0]?.fields.map((_c, i) => `col${i + 1}`) ?? [];
    st.mapping = detectCsvMapping({
      header: hdr,
      rows: sectionRows.map((r) => r.fields),
      overrides
    });
    st.plan = undefined;
    st.previousGroup = undefined;
    const rows = sectionRows;
    sectionRows = [];
    for (const r of rows) {
      sink.emitting = r.ctx.byte >= skipFrom;
      textPath.emitRow(r.fields, r.ctx);
    }
  };

  const onRecord = (fields: string[], ctx: LineContext, commentHeader: boolean): void => {
    if (commentHeader) {
      if (header !== undefined && st.mapping === undefined && sectionRows.length > 0) decide();
      header = fields;
      headerFromComment = true;
      st.mapping = undefined;
      st.slots.section++;
      return;
    }
    if (header === undefined && st.mapping === undefined && sectionRows.length === 0) {
      const isHeader = overrides?.header ?? looksLikeHeader(fields);
      if (isHeader) {
        header = fields.map((f) => f.trim());
        st.slots.section++;
        return;
      }
    }
    if (st.mapping !== undefined) return textPath.emitRow(fields, ctx);
    sectionRows.push({ fields, ctx });
    if (sectionRows.length >= CsvDefaults.probeRows) decide();
  };

  const processLine = (raw: string, ctx: LineContext): void => {
    const r = st.reader as CsvRecordReader;
    const line = r.pending || raw.charCodeAt(raw.length - 1) !== 13 ? raw : raw.slice(0, -1);
    if (!r.pending) {
      if (line.trim() === '') return;
      if (line.charCodeAt(0) === 35) {
        const body = line.replace(/^#\s*/, '');
        const d = st.delimiter as string;
        // Only a commented line carrying the delimiter is a header (sysstat); others are notes.
        if (body.includes(d) && (headerFromComment || header === undefined))
          onRecord(
            body.split(d).map((f) => f.trim()),
            ctx,
            true
          );
        return;
      }
      st.recordCtx = ctx;
    }
    if (
      !r.pending &&
      st.mapping !== undefined &&
      st.mapping.layout !== 'events' &&
      st.mapping.timeIndex >= 0 &&
      line.indexOf('"') < 0
    ) {
      st.recordCtx = undefined;
      sink.emitting = ctx.byte >= skipFrom;
      return textPath.emitPlainLine(line, ctx);
    }
    const fields = r.feed(raw);
    if (fields === undefined) {
      if (r.pendingLength > maxLineBytes) {
        const start = st.recordCtx ?? ctx;
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
    const start = st.recordCtx ?? ctx;
    st.recordCtx = undefined;
    sink.emitting = start.byte >= skipFrom;
    onRecord(fields, start, false);
  };

  const flushProbe = (): void => {
    st.delimiter ??= detectDelimiter(
      probe.map((p) => p.text.replace(/^#\s*/, '')).filter((t) => t.trim() !== '')
    );
    st.reader = new CsvRecordReader(st.delimiter);
    for (const p of probe) processLine(p.text, p.ctx);
    probe.length = 0;
  };

  const handler = {
    onLineBytes: fast.onLineBytes,
    onBlockBytes: fast.onBlockBytes,
    onLine(text: string, ctx: LineContext): void {
      if (st.reader !== undefined) return processLine(text, ctx);
      probe.push({ text, ctx });
      if (text.trim() !== '') probeNonEmpty++;
      if (probeNonEmpty >= CsvDefaults.probeLines) flushProbe();
    },
    onEnd(): void {
      if (st.reader === undefined) flushProbe();
      const r = st.reader as CsvRecordReader;
      if (r.pending && st.recordCtx !== undefined) {
        sink.emitting = st.recordCtx.byte >= skipFrom;
        sink.error(st.recordCtx, 'unterminated quoted field at end of file');
        r.reset();
      }
      if (st.mapping === undefined && sectionRows.length > 0) decide();
    },
    pendingByte(): number | undefined {
      if (st.reader === undefined) return probe[0]?.ctx.byte;
      if (st.mapping === undefined && sectionRows.length > 0) return sectionRows[0].ctx.byte;
      return st.reader.pending ? st.recordCtx?.byte : undefined;
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
