import { equalBytesAt } from '../byte-keys';
import { parseDecimalBytes } from '../fast-number';
import { decodeLine } from '../lines';
import type { SeriesSlot } from '../sink';
import type { BlockBytes, LineBytes, LineContext } from '../types';
import { parseCsvNumber, parseCsvTime } from './cells';
import type { CsvMapping } from './detect';
import { CellRole, makePlan, type CsvState, type RowGroup } from './plan';

// Module-local number constants for the block loop: an imported binding costs a load (and a
// hole check) per use in the hot loop, a local const is folded.
const TIME: number = CellRole.time;
const LABEL: number = CellRole.label;
const VALUE: number = CellRole.value;
const POW10 = Array.from({ length: 23 }, (_v, i) => 10 ** i);
/** Below 2^53 digits form an exact integer (see fast-number.ts, Clinger's fast path). */
const MAX_EXACT_INT = 2 ** 53;

/**
 * The byte paths: rows read straight from the stream's bytes, one line at a time
 * (`onLineBytes`) or a run of lines in one pass (`onBlockBytes`). Both take only the rows
 * they are sure of and hand any other to `onLine` (the text path) untouched, so all three
 * paths store the same points and report the same errors (tests/unit/ingest-property.test.ts).
 */
export function createFastPath(
  st: CsvState,
  onLine: (text: string, ctx: LineContext) => void
): { onLineBytes(view: LineBytes): void; onBlockBytes(block: BlockBytes): number } {
  const { sink, timeZone, skipFrom } = st;
  const cellStart: number[] = [];
  const cellEnd: number[] = [];

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
    st.reader === undefined ||
    st.reader.pending ||
    st.mapping === undefined ||
    st.mapping.layout === 'events' ||
    st.mapping.timeIndex < 0 ||
    st.delimiter === undefined
      ? undefined
      : st.mapping;

  const fallback = (view: LineBytes): void =>
    onLine(decodeLine(view), { line: view.line, byte: view.byte });
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
    const plan = (st.plan ??= makePlan(m));
    const { labelIdx, nameIdx, valueIdx } = plan;
    if (nameIdx >= 0 || labelIdx.length > 1) return fallback(view);
    const cols = m.columns;
    const ncols = cols.length;
    const d = (st.delimiter as string).charCodeAt(0);
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
      const guess = st.previousGroup?.next;
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
    st.recordCtx = undefined;
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
    if (st.previousGroup !== undefined && st.previousGroup !== group) st.previousGroup.next = group;
    st.previousGroup = group;
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
      const slot = st.slots.valueSlot(m, group, j, cols[i].name);
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
    const p = (st.plan ??= makePlan(m));
    if (p.nameIdx >= 0 || p.labelIdx.length > 1) return block.start;
    const roles = p.roles;
    const ncols = roles.length;
    const nvalues = p.valueIdx.length;
    if (rowValues.length < nvalues) rowValues = new Float64Array(nvalues);
    const values = rowValues;
    const d = (st.delimiter as string).charCodeAt(0);
    const epochMs = m.timeFormat === 'epoch-ms';
    const epochS = m.timeFormat === 'epoch-s';
    // Rows before a resume point are only re-read: the per-line path skips them.
    if (block.byte < skipFrom) return block.start;
    const b = block.bytes;
    const end = block.end;
    const maxLine = block.maxLineBytes;
    const unlabelled = p.labelIdx.length === 0 ? p.groups.get('') : undefined;
    // Hot state in locals, written back once: closure slots cost a load and store per row.
    let previous = st.previousGroup;
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
        if (role === VALUE) {
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
        } else if (role === TIME && (epochMs || epochS)) {
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
          if (role === TIME) {
            cell.start = cellStart;
            cell.end = i;
            t = timeOfBytes(b, cell, m);
            // An invalid time is an error the per-line path words.
            if (!Number.isFinite(t)) break rows;
          } else if (role === LABEL) {
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
    st.previousGroup = previous;
    if (lines > 0) {
      st.recordCtx = undefined;
      out.row(lines);
    }
    block.lines = lines;
    return row;
  };

  return { onLineBytes, onBlockBytes };
}
