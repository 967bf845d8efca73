import type { ResultEvent } from '../types';
import { IngestError } from './errors';
import { parseDecimalAt } from './fast-number';
import { formatSeriesKey, guessCategory, guessUnit } from './naming';
import type { BatchSink, SeriesSlot } from './sink';
import { detectEpochPrecision, parseEpoch } from './time';
import type { LineContext, LineHandler, TimePrecision } from './types';

/**
 * InfluxDB line protocol (https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/):
 * `measurement[,tag=v...] field=v[,field=v...] [timestamp]`. Each numeric or boolean field
 * becomes series `measurement_field` with the tags as labels. String fields are counted as
 * skipped, except on event-like lines (string fields `actionType` and `status`), which become
 * result events.
 */
export interface InfluxHandlerOptions {
  sink: BatchSink;
  file: string;
  precision?: TimePrecision;
  /** Read per line (see PrometheusHandlerOptions.defaultTimestamp). */
  defaultTimestamp?: number;
}

interface KeyPart {
  measurement: string;
  tags: Record<string, string>;
}

type FieldValue = number | string;

/** Splits on `sep` outside double quotes, honouring backslash escapes. */
function splitUnescaped(text: string, sep: number, quotes: boolean): string[] | undefined {
  const out: string[] = [];
  let from = 0;
  let inQuote = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) {
      i++;
      continue;
    }
    if (quotes && c === 34) inQuote = !inQuote;
    else if (c === sep && !inQuote) {
      out.push(text.slice(from, i));
      from = i + 1;
    }
  }
  if (inQuote) return undefined;
  out.push(text.slice(from));
  return out;
}

function indexOfUnescaped(text: string, ch: number, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) i++;
    else if (c === ch) return i;
  }
  return -1;
}

function unescapeKey(text: string): string {
  return text.indexOf('\\') < 0 ? text : text.replace(/\\([ ,="\\])/g, '$1');
}

function parseKeyPart(text: string): KeyPart | string {
  const parts = splitUnescaped(text, 44, false);
  if (parts === undefined || parts[0] === '') return 'missing measurement';
  const tags: Record<string, string> = {};
  for (let i = 1; i < parts.length; i++) {
    const eq = indexOfUnescaped(parts[i], 61, 0);
    if (eq <= 0 || eq === parts[i].length - 1) return `invalid tag "${parts[i].slice(0, 60)}"`;
    tags[unescapeKey(parts[i].slice(0, eq))] = unescapeKey(parts[i].slice(eq + 1));
  }
  return { measurement: unescapeKey(parts[0]), tags };
}

const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseFieldValue(text: string): FieldValue | undefined {
  const c = text.charCodeAt(0);
  if (c === 34) {
    if (text.length < 2 || text.charCodeAt(text.length - 1) !== 34) return undefined;
    return text.slice(1, -1).replace(/\\(["\\])/g, '$1');
  }
  const last = text.charCodeAt(text.length - 1);
  if (last === 105 || last === 117) {
    const body = text.slice(0, -1);
    return INT.test(body) ? Number(body) : undefined;
  }
  // Plain decimals: Number() is exact; the checks keep out what it would wrongly accept.
  if (
    ((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46) &&
    ((last >= 48 && last <= 57) || last === 46)
  ) {
    const v = +text;
    if (v === v && text.indexOf('x') < 0 && text.indexOf('X') < 0) return v;
    return undefined;
  }
  switch (text) {
    case 't':
    case 'T':
    case 'true':
    case 'True':
    case 'TRUE':
      return 1;
    case 'f':
    case 'F':
    case 'false':
    case 'False':
    case 'FALSE':
      return 0;
  }
  return FLOAT.test(text) ? Number(text) : undefined;
}

/** Finds the end of the field set: the first space outside a quoted string value. */
function fieldSetEnd(line: string, from: number): number {
  let inQuote = false;
  for (let i = from; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 34) inQuote = !inQuote;
    else if (c === 32 && !inQuote) return i;
  }
  return inQuote ? -2 : line.length;
}

function toEvent(
  t: number,
  fields: Map<string, FieldValue>,
  tags: Record<string, string>
): ResultEvent {
  const num = (k: string): number | undefined => {
    const v = fields.get(k);
    return typeof v === 'number' ? v : undefined;
  };
  const str = (k: string): string | undefined => {
    const v = fields.get(k) ?? tags[k];
    return typeof v === 'string' ? v : undefined;
  };
  const e: ResultEvent = {
    t,
    actionType: String(fields.get('actionType')),
    status: String(fields.get('status')),
    durationMs: num('durationMs') ?? NaN
  };
  const triggerId = str('triggerId');
  const organisationId = str('organisationId');
  const errorMessage = str('errorMessage');
  const retries = num('retries');
  if (triggerId !== undefined) e.triggerId = triggerId;
  if (organisationId !== undefined) e.organisationId = organisationId;
  if (errorMessage !== undefined) e.errorMessage = errorMessage;
  if (retries !== undefined) e.retries = retries;
  const userId = str('userId');
  const sessionId = str('sessionId');
  if (userId !== undefined && userId !== '') e.userId = userId;
  if (sessionId !== undefined && sessionId !== '') e.sessionId = sessionId;
  const known = new Set([
    'actionType',
    'status',
    'durationMs',
    'triggerId',
    'organisationId',
    'errorMessage',
    'retries',
    'userId',
    'sessionId'
  ]);
  const context: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(tags)) if (!known.has(k)) context[k] = v;
  for (const [k, v] of fields) if (!known.has(k)) context[k] = v;
  if (Object.keys(context).length > 0) e.context = context;
  return e;
}

/**
 * Builds the line handler for InfluxDB line protocol.
 *
 * Empty input: emits nothing. Complexity O(line length) per line; the measurement+tags part is
 * parsed once per distinct spelling and cached.
 * @example
 * const h = createInfluxHandler({ sink, file: 'a.lp', precision: 'ms' });
 * h.onLine('cpu,host=a usage=1.5 1700000000000', { line: 1, byte: 0 });
 */
export function createInfluxHandler(options: InfluxHandlerOptions): LineHandler {
  const { sink, file } = options;
  let precision = options.precision;
  const keys = new Map<string, KeyPart | string>();
  const slots = new Map<string, SeriesSlot>();

  const slotFor = (keyText: string, key: KeyPart, field: string): SeriesSlot => {
    const id = keyText + '\u0000' + field;
    let s = slots.get(id);
    if (s === undefined) {
      const name = `${key.measurement}_${field}`;
      s = sink.slot(formatSeriesKey(name, key.tags), () => ({
        name,
        labels: key.tags,
        unit: guessUnit(name),
        kind: 'gauge',
        source: 'import',
        category: guessCategory(name)
      }));
      slots.set(id, s);
    }
    return s;
  };

  const parseTimestamp = (tsText: string, ctx: LineContext): number | undefined => {
    if (tsText === '') {
      const defaultTimestamp = options.defaultTimestamp;
      if (defaultTimestamp === undefined)
        throw new IngestError({
          code: 'invalid_option',
          message: `line ${ctx.line} has no timestamp and no defaultTimestamp option was given`,
          file,
          line: ctx.line,
          byte: ctx.byte
        });
      return defaultTimestamp;
    }
    if (!INT.test(tsText)) return undefined;
    precision ??= detectEpochPrecision(Number(tsText));
    // Whole-ms timestamps (the usual case) skip the exact decimal shift.
    if (precision === 'ms') return +tsText;
    if (precision === 'ns' && tsText.endsWith('000000')) return +tsText.slice(0, -6);
    if (precision === 'us' && tsText.endsWith('000')) return +tsText.slice(0, -3);
    return parseEpoch(tsText, precision);
  };

  interface KeyEntry {
    key: KeyPart | string;
    keyText: string;
    fields: Map<string, SeriesSlot>;
    /** Field names and slots in the order the last line with this key had them. */
    order: { name: string; slot: SeriesSlot }[];
    next: KeyEntry | undefined;
  }
  let previous: KeyEntry | undefined;
  const range = { start: 0, end: 0 };
  const entries = new Map<string, KeyEntry>();
  const fieldSlots: SeriesSlot[] = [];
  const fieldValues: number[] = [];

  /** Lines without escapes or quotes (nearly all of them): plain indexOf scanning. */
  const onPlainLine = (line: string, ctx: LineContext): void => {
    sink.row();
    const keyEnd = line.indexOf(' ');
    if (keyEnd <= 0) return sink.error(ctx, 'expected "measurement[,tags] fields [timestamp]"');
    // Same trick as the Prometheus parser: try the key that followed the previous line's key.
    let entry: KeyEntry | undefined;
    const guess = previous?.next;
    if (guess !== undefined && keyEnd === guess.keyText.length && line.startsWith(guess.keyText))
      entry = guess;
    const keyText = entry === undefined ? line.slice(0, keyEnd) : entry.keyText;
    if (entry === undefined) {
      entry = entries.get(keyText);
      if (entry === undefined) {
        entry = {
          key: parseKeyPart(keyText),
          keyText,
          fields: new Map(),
          order: [],
          next: undefined
        };
        entries.set(keyText, entry);
      }
      if (previous !== undefined) previous.next = entry;
    }
    previous = entry;
    const key = entry.key;
    if (typeof key === 'string') return sink.error(ctx, key);
    const sp = line.indexOf(' ', keyEnd + 1);
    const fieldsEnd = sp < 0 ? line.length : sp;
    if (fieldsEnd === keyEnd + 1) return sink.error(ctx, 'missing field set');
    let t: number | undefined = NaN;
    if (sp >= 0 && precision !== undefined && line.charCodeAt(line.length - 1) !== 32) {
      // Whole-ms timestamps in ms or ns precision: digits parsed in place, no substring.
      range.start = sp + 1;
      range.end = line.length;
      if (precision === 'ns' && line.endsWith('000000')) range.end -= 6;
      else if (precision !== 'ms') range.end = -1;
      if (range.end > range.start) {
        t = parseDecimalAt(line, range);
        if (!Number.isInteger(t)) t = NaN;
      }
    }
    if (t !== t) t = parseTimestamp(sp < 0 ? '' : line.slice(sp + 1).trim(), ctx);
    if (t === undefined)
      return sink.error(ctx, `invalid timestamp "${line.slice(sp + 1, sp + 41)}"`);
    fieldSlots.length = 0;
    fieldValues.length = 0;
    let start = keyEnd + 1;
    while (start < fieldsEnd) {
      let end = line.indexOf(',', start);
      if (end < 0 || end > fieldsEnd) end = fieldsEnd;
      const eq = line.indexOf('=', start);
      if (eq <= start || eq >= end)
        return sink.error(ctx, `invalid field "${line.slice(start, Math.min(end, start + 60))}"`);
      range.start = eq + 1;
      const last = line.charCodeAt(end - 1);
      // Integer fields (`12i`, `12u`) parse the same way without their suffix.
      const integer = last === 105 || last === 117;
      range.end = integer ? end - 1 : end;
      let value: FieldValue | undefined = parseDecimalAt(line, range);
      if (integer && !Number.isInteger(value)) value = NaN;
      if (value !== value) value = parseFieldValue(line.slice(eq + 1, end));
      if (value === undefined || typeof value === 'string')
        return sink.error(
          ctx,
          `invalid field value "${line.slice(start, Math.min(end, start + 60))}"`
        );
      // Fields usually come in the same order: compare in place before slicing the name.
      const f = fieldSlots.length;
      const known = entry.order[f];
      let slot: SeriesSlot | undefined;
      if (
        known !== undefined &&
        eq - start === known.name.length &&
        line.startsWith(known.name, start)
      )
        slot = known.slot;
      else {
        const field = line.slice(start, eq);
        slot = entry.fields.get(field);
        if (slot === undefined) {
          slot = slotFor(keyText, key, field);
          entry.fields.set(field, slot);
        }
        entry.order[f] = { name: field, slot };
      }
      fieldSlots.push(slot);
      fieldValues.push(value);
      start = end + 1;
    }
    for (let i = 0; i < fieldSlots.length; i++) sink.point(fieldSlots[i], t, fieldValues[i]);
  };

  const onLine = (raw: string, ctx: LineContext): void => {
    const line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
    const first = line.charCodeAt(0);
    if (line.length === 0 || first === 35) return;
    if (first === 32 || first === 9) {
      if (line.trim() === '') return;
    }
    if (line.indexOf('\\') < 0 && line.indexOf('"') < 0 && line.indexOf('\t') < 0)
      return onPlainLine(line, ctx);
    sink.row();
    const keyEnd = indexOfUnescaped(line, 32, 0);
    if (keyEnd <= 0) return sink.error(ctx, 'expected "measurement[,tags] fields [timestamp]"');
    const keyText = line.slice(0, keyEnd);
    let key = keys.get(keyText);
    if (key === undefined) {
      key = parseKeyPart(keyText);
      keys.set(keyText, key);
    }
    if (typeof key === 'string') return sink.error(ctx, key);
    const fieldsEnd = fieldSetEnd(line, keyEnd + 1);
    if (fieldsEnd === -2) return sink.error(ctx, 'unterminated string field');
    const fieldText = line.slice(keyEnd + 1, fieldsEnd);
    const tsText = line.slice(fieldsEnd + 1).trim();
    const t = parseTimestamp(tsText, ctx);
    if (t === undefined) return sink.error(ctx, `invalid timestamp "${tsText.slice(0, 40)}"`);
    const parts = splitUnescaped(fieldText, 44, true);
    if (parts === undefined || fieldText === '') return sink.error(ctx, 'missing field set');
    const fields = new Map<string, FieldValue>();
    for (const part of parts) {
      const eq = indexOfUnescaped(part, 61, 0);
      if (eq <= 0) return sink.error(ctx, `invalid field "${part.slice(0, 60)}"`);
      const value = parseFieldValue(part.slice(eq + 1));
      if (value === undefined) return sink.error(ctx, `invalid field value "${part.slice(0, 60)}"`);
      fields.set(unescapeKey(part.slice(0, eq)), value);
    }
    if (typeof fields.get('actionType') === 'string' && typeof fields.get('status') === 'string') {
      sink.event(toEvent(t, fields, key.tags));
      return;
    }
    for (const [name, value] of fields) {
      if (typeof value === 'string') sink.skip();
      else sink.point(slotFor(keyText, key, name), t, value);
    }
  };

  return {
    onLine,
    onEnd: () => undefined,
    // A precision guessed from one document's timestamps is guessed again for the next.
    nextDocument: () => {
      precision = options.precision;
    }
  };
}
