import { IngestError } from '../errors';
import { parseDecimalAt } from '../fast-number';
import type { ResultEvent } from '../../types';
import type { LineContext } from '../types';
import { cleanCell, parseCsvNumber, parseCsvTime } from './cells';
import type { CsvMapping } from './detect';
import { makePlan, type CsvState, type RowGroup } from './plan';

/**
 * The text path: a record as fields (`emitRow`, any record the RFC 4180 reader returns), a
 * quote-free line located with indexOf and parsed in place (`emitPlainLine`), and the events
 * layout (`emitEvent`). The byte paths (fast-path.ts) must give exactly what this gives.
 */
export function createRowReader(st: CsvState): {
  emitRow(fields: string[], ctx: LineContext): void;
  emitPlainLine(line: string, ctx: LineContext): void;
} {
  const { sink, file, timeZone, defaultTimestamp } = st;
  const clean = (cell: string): string => cleanCell(cell, st.stripGuard);
  /** The text path's time cache: rows of a timestamp share its text. */
  let lastTimeText = '';
  let lastTime = NaN;
  /** The row was counted by `emitPlainLine` before it handed the row over. */
  let rowCounted = false;
  const cellStart: number[] = [];
  const cellEnd: number[] = [];
  const range = { start: 0, end: 0 };

  const emitRow = (fields: string[], ctx: LineContext): void => {
    const m = st.mapping as CsvMapping;
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
    const plan = (st.plan ??= makePlan(m));
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
        if (v !== '' && !(cols[i].name === 'labels' && expandLabels(v, labels)))
          labels[cols[i].name] = v;
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
      const slot = st.slots.valueSlot(m, group, j, cols[i].name);
      if (slot === null) {
        sink.error(ctx, 'empty metric name');
        continue;
      }
      sink.point(slot, t, v);
    }
  };

  /**
   * The hot path for quote-free rows once the mapping is known: cells are located with
   * indexOf and numbers parsed in place, so a row allocates only its time and label texts.
   * Anything unusual falls back to the general `emitRow`.
   */
  const emitPlainLine = (line: string, ctx: LineContext): void => {
    const m = st.mapping as CsvMapping;
    const cols = m.columns;
    const d = st.delimiter as string;
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
    const plan = (st.plan ??= makePlan(m));
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
      const guess = st.previousGroup?.next;
      if (guess !== undefined && le - ls === guess.key.length && line.startsWith(guess.key, ls))
        group = guess;
      else group = plan.groups.get(line.slice(ls, le));
    }
    if (group === undefined) {
      const fields = line.split(d);
      emitRowGroup(fields, ctx, t);
      return;
    }
    if (st.previousGroup !== undefined && st.previousGroup !== group) st.previousGroup.next = group;
    st.previousGroup = group;
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
      const slot = st.slots.valueSlot(m, group, j, cols[i].name);
      if (slot === null) {
        sink.error(ctx, 'empty metric name');
        continue;
      }
      sink.point(slot, t, v);
    }
  };

  /** First row of a new label group on the plain path: the general path registers it. */
  const emitRowGroup = (fields: string[], ctx: LineContext, _t: number): void => {
    rowCounted = true;
    emitRow(fields, ctx);
  };

  const emitEvent = (fields: string[], t: number, ctx: LineContext): void => {
    const cols = (st.mapping as CsvMapping).columns;
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
      'errormessage',
      'userid',
      'sessionid'
    ];
    const triggerId = get('triggerId');
    const organisationId = get('organisationId');
    const errorMessage = get('errorMessage');
    const retries = parseCsvNumber(get('retries') ?? '');
    if (triggerId) e.triggerId = triggerId;
    if (organisationId) e.organisationId = organisationId;
    if (errorMessage) e.errorMessage = errorMessage;
    if (retries !== undefined) e.retries = retries;
    const userId = get('userId');
    const sessionId = get('sessionId');
    if (userId) e.userId = userId;
    if (sessionId) e.sessionId = sessionId;
    const context: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rec))
      if (!known.includes(k.toLowerCase()) && v !== '') context[k] = v;
    if (Object.keys(context).length > 0) e.context = context;
    sink.event(e);
  };

  return { emitRow, emitPlainLine };
}

/**
 * A `labels` cell holding a JSON object of text values (the DuckDB layout of Tidemark's CSV
 * export, `time,name,labels,value`) is the series' labels: they are added to `into`. Returns
 * false, adding nothing, for any other text, which stays one label named `labels`.
 * Complexity O(cell length).
 */
function expandLabels(cell: string, into: Record<string, string>): boolean {
  if (cell.charCodeAt(0) !== 123) return false;
  let o: unknown;
  try {
    o = JSON.parse(cell);
  } catch {
    return false;
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return false;
  const entries = Object.entries(o as Record<string, unknown>);
  if (!entries.every(([, v]) => typeof v === 'string')) return false;
  for (const [k, v] of entries) if (v !== '') into[k] = v as string;
  return true;
}
