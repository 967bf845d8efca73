import type { SeriesKind } from '../types';
import { IngestError } from './errors';
import { ByteKeyMap, startsWithBytes } from './byte-keys';
import { parseDecimalAt, parseDecimalToken, parsePromFloat } from './fast-number';
import { decodeLine } from './lines';
import { omNumber, OpenMetricsValidator } from './openmetrics-validate';
import { guessCategory, guessUnit, formatSeriesKey } from './naming';
import type { BatchSink, SeriesSlot } from './sink';
import { detectEpochPrecision, EpochMagnitude, parseEpoch, shiftDecimal } from './time';
import type { BlockBytes, LineBytes, LineContext, LineHandler } from './types';

/**
 * Prometheus text exposition 0.0.4 and OpenMetrics 1.0 sample lines
 * (https://github.com/prometheus/docs/blob/main/content/docs/instrumenting/exposition_formats.md,
 * https://github.com/OpenObservability/OpenMetrics/blob/main/specification/OpenMetrics.md).
 * Timestamps are ms in 0.0.4 and seconds in OpenMetrics; a 0.0.4 file whose timestamps have a
 * fraction or seconds magnitude is read as seconds so a large OpenMetrics file whose `# EOF`
 * lies beyond the sniff window still lands on the right dates.
 */
export interface PrometheusHandlerOptions {
  sink: BatchSink;
  file: string;
  openMetrics: boolean;
  /**
   * For samples without a timestamp. Read when such a sample is read, so a long-lived
   * handler (`createScrapeParser`: one per agent stream) moves it per document.
   */
  defaultTimestamp?: number;
  /** Resume: samples on lines starting before this byte are not emitted (see the stream parser). */
  skipToOffset?: number;
}

type FamilyType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'gaugehistogram'
  | 'summary'
  | 'untyped'
  | 'unknown'
  | 'info'
  | 'stateset';

const FAMILY_SUFFIXES = [
  '_bucket',
  '_count',
  '_sum',
  '_total',
  '_created',
  '_gcount',
  '_gsum',
  '_info'
];
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function skipBlankBytes(b: Uint8Array, from: number, end: number): number {
  let i = from;
  while (i < end && (b[i] === 32 || b[i] === 9)) i++;
  return i;
}

function skipBlanks(line: string, from: number): number {
  let i = from;
  while (i < line.length) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9) break;
    i++;
  }
  return i;
}

function tokenEnd(line: string, from: number): number {
  let i = from;
  while (i < line.length) {
    const c = line.charCodeAt(i);
    if (c === 32 || c === 9) break;
    i++;
  }
  return i;
}

/**
 * Unescapes a quoted label value (`\\`, `\"`, `\n`); returns the value and the index after the
 * closing quote, or undefined when the quote never closes.
 */
function readQuoted(line: string, start: number): { value: string; end: number } | undefined {
  let out = '';
  let from = start;
  for (let i = start; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 34) return { value: out + line.slice(from, i), end: i + 1 };
    if (c === 92) {
      out += line.slice(from, i);
      const n = line[i + 1];
      out += n === 'n' ? '\n' : n === '\\' ? '\\' : n === '"' ? '"' : '\\' + (n ?? '');
      i++;
      from = i + 1;
    }
  }
  return undefined;
}

interface ParsedSeries {
  name: string;
  labels: Record<string, string>;
  end: number;
}

/**
 * A series as `name{labels}`, or as a bare label set carrying `__name__` (`promtool tsdb dump`
 * writes `{__name__="up", job="x"} 1 1700000000000`).
 */
function parseSeries(line: string): ParsedSeries | string {
  const parsed = parseNamedSeries(line);
  if (typeof parsed === 'string' || parsed.name !== '') return parsed;
  const name = parsed.labels.__name__;
  if (name === undefined || !METRIC_NAME.test(name))
    return name === undefined
      ? 'label set without __name__'
      : `invalid metric name "${name.slice(0, 80)}"`;
  delete parsed.labels.__name__;
  return { ...parsed, name };
}

function parseNamedSeries(line: string): ParsedSeries | string {
  let i = 0;
  while (i < line.length) {
    const c = line.charCodeAt(i);
    if (c === 123 || c === 32 || c === 9) break;
    i++;
  }
  const name = line.slice(0, i);
  if (!METRIC_NAME.test(name) && !(name === '' && line.charCodeAt(0) === 123))
    return `invalid metric name "${name.slice(0, 80)}"`;
  const labels: Record<string, string> = {};
  if (line.charCodeAt(i) !== 123) return { name, labels, end: i };
  i++;
  for (;;) {
    while (line.charCodeAt(i) === 32) i++;
    if (line.charCodeAt(i) === 125) return { name, labels, end: i + 1 };
    const eq = line.indexOf('=', i);
    if (eq < 0) return 'label without "="';
    const key = line.slice(i, eq).trim();
    if (!LABEL_NAME.test(key)) return `invalid label name "${key.slice(0, 80)}"`;
    if (line.charCodeAt(eq + 1) !== 34) return `label ${key}: value must be quoted`;
    const q = readQuoted(line, eq + 2);
    if (q === undefined) return `label ${key}: unterminated quoted value`;
    if (Object.prototype.hasOwnProperty.call(labels, key)) return `duplicate label ${key}`;
    labels[key] = q.value;
    i = q.end;
    while (line.charCodeAt(i) === 32) i++;
    if (line.charCodeAt(i) === 44) {
      i++;
      continue;
    }
    if (line.charCodeAt(i) === 125) return { name, labels, end: i + 1 };
    return 'expected "," or "}" after a label';
  }
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

/**
 * Builds the line handler for Prometheus text / OpenMetrics.
 *
 * Empty input: emits nothing. Complexity O(line length) per line; series parsing is cached by
 * the raw series text so repeated scrapes only parse the value and timestamp.
 * @example
 * const h = createPrometheusHandler({ sink, file: 'a.prom', openMetrics: false, defaultTimestamp: 0 });
 * h.onLine('up 1', { line: 1, byte: 0 });
 */
export function createPrometheusHandler(
  options: PrometheusHandlerOptions
): LineHandler & { pendingByte: () => number | undefined } {
  const { sink, file, openMetrics } = options;
  const skipFrom = options.skipToOffset ?? 0;
  const types = new Map<string, FamilyType>();
  const units = new Map<string, string>();
  const helps = new Map<string, string>();
  /** Known series by their exact text; `next` predicts the series of the following line. */
  interface CacheEntry {
    key: string;
    /** `key` as UTF-8, for the byte path. */
    keyBytes: Uint8Array;
    slot: SeriesSlot | null;
    next: CacheEntry | undefined;
  }
  const cache = new Map<string, CacheEntry>();
  const byteCache = new ByteKeyMap<CacheEntry>();
  const encoder = new TextEncoder();
  let previous: CacheEntry | undefined;
  const range = { start: 0, end: 0 };
  let eofSeen = false;
  // OpenMetrics: every line is checked against the spec first, and a family's points are held
  // until it ends, then stored only when none of its lines broke a rule.
  const held: { slot: SeriesSlot; t: number; v: number }[] = [];
  let heldByte: number | undefined;
  let lineByte = 0;
  let lastLine = 0;
  const om = openMetrics
    ? new OpenMetricsValidator(
        // A rule found broken at a metric point's end is reported at that point's first line,
        // with the byte of the line being read then.
        (line, message) => sink.error({ line, byte: lineByte }, message),
        (keep) => {
          if (keep && held.length > 0) {
            const emitting = sink.emitting;
            sink.emitting = true;
            for (const h of held) sink.point(h.slot, h.t, h.v);
            sink.emitting = emitting;
          }
          held.length = 0;
          heldByte = undefined;
        }
      )
    : undefined;

  const familyOf = (name: string): { family: string; suffix: string } => {
    if (types.has(name)) return { family: name, suffix: '' };
    for (const suffix of FAMILY_SUFFIXES) {
      if (name.endsWith(suffix)) {
        const base = name.slice(0, -suffix.length);
        if (types.has(base)) return { family: base, suffix };
      }
    }
    return { family: name, suffix: '' };
  };

  /** Returns the slot, or null when the sample is deliberately not a point (`_created`). */
  const resolve = (parsed: ParsedSeries): SeriesSlot | null => {
    const { family, suffix } = familyOf(parsed.name);
    const type = types.get(family);
    if (suffix === '_created') return null;
    let kind: SeriesKind = 'gauge';
    if (type === 'counter') kind = 'counter';
    else if ((type === 'histogram' || type === 'gaugehistogram') && suffix === '_bucket')
      kind = 'histogram_bucket';
    else if (
      (type === 'histogram' || type === 'summary') &&
      (suffix === '_count' || suffix === '_sum')
    )
      kind = 'counter';
    const unit = units.get(family) ?? guessUnit(parsed.name);
    const help = helps.get(family);
    return sink.slot(formatSeriesKey(parsed.name, parsed.labels), () => ({
      name: parsed.name,
      labels: parsed.labels,
      unit,
      kind,
      source: 'import',
      category: guessCategory(parsed.name),
      ...(help === undefined ? {} : { help })
    }));
  };

  const onComment = (line: string, ctx: LineContext): void => {
    if (line === '# EOF' || line === '# EOF ') {
      eofSeen = true;
      return;
    }
    const m = /^#\s+(HELP|TYPE|UNIT)\s+(\S+)(?:\s+(.*))?$/.exec(line);
    if (m === null) return;
    const [, keyword, name, rest = ''] = m;
    if (keyword === 'HELP') helps.set(name, unescapeHelp(rest));
    else if (keyword === 'UNIT') units.set(name, rest.trim());
    else {
      const t = rest.trim().toLowerCase();
      const known = [
        'counter',
        'gauge',
        'histogram',
        'gaugehistogram',
        'summary',
        'untyped',
        'unknown',
        'info',
        'stateset'
      ];
      if (known.includes(t)) types.set(name, t as FamilyType);
      else sink.error(ctx, `unknown metric type "${t.slice(0, 40)}"`);
    }
  };

  const toMs = (token: string): number => {
    if (openMetrics) return shiftDecimal(token, 3);
    const v = Number(token);
    // Fast path for the common case, integer ms; anything else goes through exact parsing.
    if (Number.isSafeInteger(v) && Math.abs(v) >= EpochMagnitude.s && !token.includes('e'))
      return v;
    if (token.includes('.') || detectEpochPrecision(v) === 's') return shiftDecimal(token, 3);
    return parseEpoch(token, 'ms');
  };

  const onLine = (raw: string, ctx: LineContext): void => {
    if (om !== undefined) {
      lineByte = ctx.byte;
      lastLine = ctx.line;
      if (!om.line(raw, ctx.line)) {
        if (raw !== '' && raw.charCodeAt(0) !== 35) sink.row();
        return;
      }
    }
    const line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
    if (line.length === 0) return;
    if (line.charCodeAt(0) === 35) return onComment(line, ctx);
    if (eofSeen) {
      sink.error(ctx, 'content after # EOF');
      return;
    }
    // Scrapes repeat their series in the same order, so the series that followed this one
    // last time is checked first with startsWith: no substring, no hashing.
    let entry: CacheEntry | undefined;
    const guess = previous?.next;
    if (guess !== undefined && line.startsWith(guess.key)) {
      const c = line.charCodeAt(guess.key.length);
      if (c === 32 || c === 9) entry = guess;
    }
    if (entry === undefined) {
      const brace = line.indexOf('{');
      const space = line.indexOf(' ');
      if (brace < 0 || (space >= 0 && space < brace))
        entry = cache.get(line.slice(0, space < 0 ? line.length : space));
      else {
        // A '}' inside a quoted label value is legal, so only a full parse finds the end;
        // the cache is keyed on the text up to the last '}' which a value cannot follow.
        const close = line.lastIndexOf('}');
        entry = close > 0 ? cache.get(line.slice(0, close + 1)) : undefined;
      }
      if (entry === undefined) {
        const parsed = parseSeries(line);
        if (typeof parsed === 'string') {
          sink.row();
          return sink.error(ctx, parsed);
        }
        const key = line.slice(0, parsed.end);
        entry = { key, keyBytes: encoder.encode(key), slot: resolve(parsed), next: undefined };
        cache.set(key, entry);
        byteCache.set(entry.keyBytes, entry);
      }
      if (previous !== undefined) previous.next = entry;
    }
    previous = entry;
    sink.row();
    const slot = entry.slot;
    // Hand tokenising: a regex split per sample costs more than the rest of the line.
    const n = line.length;
    let i = skipBlanks(line, entry.key.length);
    const valueEnd = tokenEnd(line, i);
    range.start = i;
    range.end = valueEnd;
    let v = parseDecimalAt(line, range);
    const valueText = v === v ? '' : line.slice(i, valueEnd);
    i = skipBlanks(line, valueEnd);
    let tsStart = -1;
    let tsEnd = -1;
    if (i < n && line.charCodeAt(i) !== 35) {
      tsStart = i;
      tsEnd = tokenEnd(line, i);
      i = skipBlanks(line, tsEnd);
    }
    if (valueEnd === range.start || (i < n && line.charCodeAt(i) !== 35))
      return sink.error(ctx, 'expected "<value> [timestamp]"');
    if (v !== v) {
      // OpenMetrics spells Inf and NaN in any case (checked by the validator already).
      const parsedValue = parsePromFloat(valueText) ?? (om ? omNumber(valueText) : undefined);
      if (parsedValue === undefined)
        return sink.error(ctx, `invalid value "${valueText.slice(0, 40)}"`);
      v = parsedValue;
    }
    let tsText = '';
    let tsFast = NaN;
    if (tsStart >= 0) {
      range.start = tsStart;
      range.end = tsEnd;
      tsFast = openMetrics ? NaN : parseDecimalAt(line, range);
      // Integer ms of a plausible date: the common Prometheus case, already exact.
      if (!(Number.isInteger(tsFast) && Math.abs(tsFast) >= EpochMagnitude.s)) {
        tsFast = NaN;
        tsText = line.slice(tsStart, tsEnd);
      }
    }
    let t: number;
    if (tsFast === tsFast) t = tsFast;
    else if (tsText !== '') {
      t = toMs(tsText);
      if (!Number.isFinite(t)) return sink.error(ctx, `invalid timestamp "${tsText.slice(0, 40)}"`);
    } else if (options.defaultTimestamp !== undefined) t = options.defaultTimestamp;
    else
      throw new IngestError({
        code: 'invalid_option',
        message: `sample without a timestamp at line ${ctx.line} and no defaultTimestamp option`,
        file,
        line: ctx.line,
        byte: ctx.byte
      });
    if (slot === null) return sink.skip();
    if (om === undefined) return sink.point(slot, t, v);
    if (!sink.emitting) return;
    heldByte ??= ctx.byte;
    held.push({ slot, t, v });
  };

  const fallback = (view: LineBytes): void =>
    onLine(decodeLine(view), { line: view.line, byte: view.byte });
  const keyRange = { start: 0, end: 0 };

  /**
   * The byte path: a sample of a known series with a plain decimal value and an integer ms
   * timestamp (or none) is stored without decoding anything. It changes no state until it
   * knows the line is on that path; every other line goes to `onLine` as text.
   */
  const onLineBytes = (view: LineBytes): void => {
    const b = view.bytes;
    const start = view.start;
    let end = view.end;
    if (end > start && b[end - 1] === 13) end--;
    if (end === start || b[start] === 35 || eofSeen || om !== undefined) return fallback(view);
    let entry: CacheEntry | undefined;
    const guess = previous?.next;
    keyRange.start = start;
    keyRange.end = end;
    if (guess !== undefined && startsWithBytes(b, keyRange, guess.keyBytes)) {
      const c = b[start + guess.keyBytes.length];
      if (c === 32 || c === 9) entry = guess;
    }
    if (entry === undefined) {
      // Same keys as the text path: up to the last '}' with labels, else up to a space.
      let i = start;
      while (i < end && b[i] !== 123 && b[i] !== 32) i++;
      if (i < end && b[i] === 123) {
        let close = end - 1;
        while (close > i && b[close] !== 125) close--;
        if (close === i) return fallback(view);
        keyRange.end = close + 1;
      } else keyRange.end = i;
      entry = byteCache.get(b, keyRange);
      if (entry === undefined) return fallback(view);
    }
    let i = skipBlankBytes(b, start + entry.keyBytes.length, end);
    range.start = i;
    range.end = end;
    const v = parseDecimalToken(b, range);
    if (v !== v) return fallback(view);
    i = skipBlankBytes(b, range.end, end);
    let t: number;
    if (i < end && b[i] !== 35) {
      if (openMetrics) return fallback(view);
      range.start = i;
      range.end = end;
      t = parseDecimalToken(b, range);
      if (!(Number.isInteger(t) && Math.abs(t) >= EpochMagnitude.s)) return fallback(view);
      i = skipBlankBytes(b, range.end, end);
      if (i < end && b[i] !== 35) return fallback(view);
    } else if (options.defaultTimestamp !== undefined) t = options.defaultTimestamp;
    else return fallback(view);
    if (entry !== guess && previous !== undefined) previous.next = entry;
    previous = entry;
    sink.row();
    if (entry.slot === null) return sink.skip();
    sink.point(entry.slot, t, v);
  };

  /**
   * The block path: samples of a run of lines read in one pass, each line checked against the
   * series predicted by the line before (`next`), its value and integer ms timestamp parsed
   * as the bytes go by. A line it cannot take whole — a comment, another series order, a
   * special value, seconds, an exemplar, a long line — ends the block before it, and the
   * stream parser hands that line to `onLineBytes`. It changes nothing before a line is read.
   */
  const onBlockBytes = (block: BlockBytes): number => {
    const b = block.bytes;
    const end = block.end;
    const base = block.byte - block.start;
    const maxLine = block.maxLineBytes;
    let row = block.start;
    let lines = 0;
    if (eofSeen || openMetrics) return row;
    while (row < end) {
      const entry = previous?.next;
      if (entry === undefined) break;
      const key = entry.keyBytes;
      const k = key.length;
      if (row + k >= end) break;
      let same = true;
      for (let j = 0; j < k; j++)
        if (b[row + j] !== key[j]) {
          same = false;
          break;
        }
      let i = row + k;
      if (!same || (b[i] !== 32 && b[i] !== 9)) break;
      while (b[i] === 32 || b[i] === 9) i++;
      range.start = i;
      range.end = end;
      const v = parseDecimalToken(b, range);
      if (v !== v) break;
      i = range.end;
      while (b[i] === 32 || b[i] === 9) i++;
      let t: number;
      if (b[i] === 10 || b[i] === 13) {
        if (options.defaultTimestamp === undefined) break;
        t = options.defaultTimestamp;
      } else {
        range.start = i;
        range.end = end;
        t = parseDecimalToken(b, range);
        if (!(Number.isInteger(t) && Math.abs(t) >= EpochMagnitude.s)) break;
        i = range.end;
        while (b[i] === 32 || b[i] === 9) i++;
      }
      if (b[i] === 13 && b[i + 1] === 10) i++;
      if (b[i] !== 10 || i - row > maxLine) break;
      // Read whole: store it.
      sink.emitting = base + row >= skipFrom;
      previous = entry;
      sink.row();
      const slot = entry.slot;
      if (slot === null) sink.skip();
      else if (sink.emitting && slot.active && slot.n < slot.t.length) {
        // `sink.point` inlined for an active slot with room (see `SeriesSlot`).
        slot.t[slot.n] = t;
        slot.v[slot.n] = v;
        slot.n++;
      } else sink.point(slot, t, v);
      row = i + 1;
      lines++;
    }
    block.lines = lines;
    return row;
  };

  return {
    onLine,
    onLineBytes,
    onBlockBytes,
    onEnd: () => om?.end(lastLine + 1),
    nextDocument: () => {
      // Family metadata and the series caches stay: the next scrape repeats them.
      eofSeen = false;
      held.length = 0;
      heldByte = undefined;
      previous = undefined;
    },
    // Held OpenMetrics points are not stored yet: a resume must start before them.
    pendingByte: () => heldByte
  };
}
