import { JSONParser } from '@streamparser/json';
import type { ResultEvent, SeriesKind } from '../types';
import { IngestError } from './errors';
import { formatSeriesKey, guessCategory, guessUnit } from './naming';
import type { BatchSink } from './sink';
import { detectEpochPrecision, parseDateTime, parseEpoch, shiftDecimal } from './time';
import type { LineContext, LineHandler, TimePrecision } from './types';
import { emitPoint, type SeriesMeta } from './emit';
import type { BundleTally } from './bundle-tally';
import {
  dispatchInfluxQuery,
  dispatchRecord,
  dispatchSadf,
  isInfluxQueryResult,
  isRecord,
  isSadfJson,
  parseJsonNumber
} from './json-shapes';

export { parseJsonNumber };

/**
 * JSON, NDJSON and OTLP JSON. Objects are recognised by shape:
 * - points `{ name|metric, labels?, t|time|timestamp, v|value }`;
 * - Prometheus API `{ metric: { __name__, ... }, values: [[t, "v"]] }` (or `value`), also
 *   wrapped in `{ status, data: { result: [...] } }`;
 * - result-log events `{ t, actionType, status, durationMs, ... }`;
 * - OTLP `{ resourceMetrics: [...] }`;
 * - Tidemark bundle lines (see src/lib/export/bundle.ts).
 * Nesting depth is checked on the raw text before JSON.parse, so a hostile `[[[[…` never
 * reaches the recursive parser.
 */

const QUOTE = 34;
const BACKSLASH = 92;
const OPENERS = new Set([91, 123]);
const CLOSERS = new Set([93, 125]);

/** Incremental nesting-depth scanner over text or UTF-8 bytes (brackets are ASCII in both). */
export class JsonDepthScanner {
  depth = 0;
  private inString = false;
  private escaped = false;

  constructor(private readonly maxDepth: number) {}

  /** Feeds one code unit; returns false when the depth limit is exceeded. */
  private step(c: number): boolean {
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (c === BACKSLASH) this.escaped = true;
      else if (c === QUOTE) this.inString = false;
    } else if (c === QUOTE) this.inString = true;
    else if (OPENERS.has(c)) {
      if (++this.depth > this.maxDepth) return false;
    } else if (CLOSERS.has(c)) this.depth--;
    return true;
  }

  /** Returns the index where the limit was exceeded, or -1. */
  scanText(text: string): number {
    for (let i = 0; i < text.length; i++) if (!this.step(text.charCodeAt(i))) return i;
    return -1;
  }

  scanBytes(bytes: Uint8Array): number {
    for (let i = 0; i < bytes.length; i++) if (!this.step(bytes[i])) return i;
    return -1;
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const isObject = (x: unknown): x is JsonObject =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * A JSON time → epoch ms: numbers by magnitude (s, ms, µs, ns), numeric strings likewise
 * (exactly, without double rounding), other strings as RFC 3339 (zone-less read as UTC).
 *
 * Empty or unparsable input: NaN. Complexity O(length).
 * @example
 * parseJsonTime('1700000000') // 1700000000000
 */
export function parseJsonTime(x: unknown): number {
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) return NaN;
    const p = detectEpochPrecision(x);
    return p === 'ms' ? x : parseEpoch(String(x).includes('e') ? x.toFixed(0) : String(x), p);
  }
  if (typeof x !== 'string') return NaN;
  const s = x.trim();
  if (/^[+-]?\d+(\.\d+)?$/.test(s)) return parseEpoch(s, detectEpochPrecision(Number(s)));
  return parseDateTime(s, 'UTC');
}

function toLabels(x: unknown): Record<string, string> | undefined {
  if (x === undefined || x === null) return {};
  if (!isObject(x)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(x)) {
    if (v === null || v === undefined) continue;
    out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

/** The series name of a Prometheus API result without `__name__` (`rate(x[5m])`, `sum(x)`). */
export const PromApiUnnamed = 'value';

const SeriesKinds: SeriesKind[] = ['gauge', 'counter', 'histogram_bucket'];

export interface JsonDispatchOptions {
  sink: BatchSink;
  file: string;
  /** Precision of numeric times in records and InfluxDB results; guessed when absent. */
  precision?: TimePrecision;
  /** Zone of zone-less date-times (records, sadf without UTC); default UTC. */
  timeZone?: string;
  /** A Tidemark bundle's reader: counts what the bundle holds, to check its manifest. */
  tally?: BundleTally;
  /** Times are epoch ms as written (Tidemark bundles): no magnitude guessing. */
  epochMs?: boolean;
}

/** Dispatches parsed JSON values to the sink by their shape. */
export class JsonDispatcher {
  /** Running totals of OTLP delta series, by series key. */
  private readonly deltaTotals = new Map<string, number>();

  constructor(private readonly options: JsonDispatchOptions) {}

  private addPoint(meta: SeriesMeta, t: number, v: number): void {
    emitPoint(this.options.sink, meta, t, v);
  }

  dispatch(value: unknown, ctx: LineContext, where = ''): void {
    const { sink } = this.options;
    if (Array.isArray(value)) {
      value.forEach((item, i) => this.dispatch(item, ctx, `${where}[${i}]`));
      return;
    }
    if (!isObject(value)) return sink.error(ctx, `${where || 'value'}: expected an object`);
    if (Array.isArray(value.resourceMetrics)) return this.dispatchOtlp(value, ctx);
    if (value.format === 'tidemark-bundle' || value.type === 'manifest') {
      this.options.tally?.manifest(value);
      return;
    }
    if (value.type === 'event' && isObject(value.event)) {
      if (this.options.tally) this.options.tally.events++;
      return this.dispatchEvent(value.event, ctx, where, true);
    }
    if (isObject(value.series) && Array.isArray(value.t) && Array.isArray(value.v))
      return this.dispatchBundleSeries(value, ctx, where);
    const shape = {
      sink,
      ctx,
      precision: this.options.precision,
      timeZone: this.options.timeZone
    };
    if (isInfluxQueryResult(value)) return dispatchInfluxQuery(value, shape);
    if (isSadfJson(value)) return dispatchSadf(value, shape);
    if (isObject(value.data) && typeof value.data.resultType === 'string')
      return this.dispatchPromResult(value.data, ctx, `${where}.data`);
    if (isObject(value.data) && Array.isArray(value.data.result))
      return this.dispatch(value.data.result, ctx, `${where}.data.result`);
    if (value.status === 'error' && 'error' in value) {
      sink.row();
      return sink.error(ctx, `Prometheus API error: ${String(value.error)}`);
    }
    if (isObject(value.metric) && (Array.isArray(value.values) || Array.isArray(value.value)))
      return this.dispatchPromApi(value, ctx, where);
    if (
      isObject(value.metric) &&
      (value.histogram !== undefined || value.histograms !== undefined)
    ) {
      sink.row();
      return sink.skip();
    }
    if (typeof value.actionType === 'string' && typeof value.status === 'string') {
      if (this.options.tally) this.options.tally.events++;
      return this.dispatchEvent(value, ctx, where);
    }
    const name = value.name ?? value.metric;
    if (typeof name === 'string' || isRecord(value)) {
      sink.row();
      const problem = dispatchRecord(value, shape);
      if (problem !== undefined) sink.error(ctx, where === '' ? problem : `${where}: ${problem}`);
      return;
    }
    sink.error(ctx, `${where || 'object'}: not a point, series or event`);
  }

  /** A Prometheus API `data`: `vector`/`matrix` results, or one `scalar`/`string` sample. */
  private dispatchPromResult(data: JsonObject, ctx: LineContext, where: string): void {
    const { sink } = this.options;
    const type = data.resultType;
    if (type === 'scalar')
      return this.dispatchPromApi({ metric: {}, value: data.result as Json }, ctx, where);
    if (type === 'string') {
      sink.row();
      return sink.skip();
    }
    if (!Array.isArray(data.result)) {
      sink.row();
      return sink.error(ctx, `${where}.result: expected an array`);
    }
    data.result.forEach((item, i) => {
      if (isObject(item)) this.dispatchPromApi(item, ctx, `${where}.result[${i}]`);
      else sink.error(ctx, `${where}.result[${i}]: expected an object`);
    });
  }

  private dispatchPromApi(o: JsonObject, ctx: LineContext, where: string): void {
    const { sink } = this.options;
    const all = toLabels(o.metric) ?? {};
    // A function or aggregation drops `__name__`; its series are told apart by their labels.
    const name = all.__name__ || PromApiUnnamed;
    delete all.__name__;
    if (o.histogram !== undefined || o.histograms !== undefined) sink.skip();
    const pairs = Array.isArray(o.values) ? o.values : Array.isArray(o.value) ? [o.value] : [];
    for (const pair of pairs) {
      sink.row();
      if (!Array.isArray(pair) || pair.length !== 2) {
        sink.error(ctx, `${where}: expected [time, "value"]`);
        continue;
      }
      // The Prometheus HTTP API gives Unix seconds with a fraction.
      const t = typeof pair[0] === 'number' ? shiftDecimal(String(pair[0]), 3) : NaN;
      const v = parseJsonNumber(pair[1]);
      if (!Number.isFinite(t) || v === undefined) {
        sink.error(ctx, `${where}: invalid sample`);
        continue;
      }
      this.addPoint({ name, labels: all }, t, v);
    }
  }

  private dispatchBundleSeries(o: JsonObject, ctx: LineContext, where: string): void {
    const { sink, tally } = this.options;
    const s = o.series as JsonObject;
    if (tally) {
      tally.addSeries(JSON.stringify([s.name, s.labels]));
      tally.points += (o.t as Json[]).length;
    }
    const t = o.t as Json[];
    const v = o.v as Json[];
    sink.row();
    const labels = toLabels(s.labels);
    if (typeof s.name !== 'string' || labels === undefined || t.length !== v.length)
      return sink.error(ctx, `${where}series: needs name, labels and t/v of equal length`);
    const kind = SeriesKinds.find((k) => k === s.kind) ?? 'gauge';
    const { sink: out } = this.options;
    const slot = out.slot(formatSeriesKey(s.name, labels), () => ({
      name: s.name as string,
      labels,
      unit: typeof s.unit === 'string' ? s.unit : '',
      kind,
      source: 'import',
      category:
        typeof s.category === 'string' &&
        ['system', 'model', 'ux', 'network', 'app', 'events'].includes(s.category)
          ? (s.category as 'system')
          : guessCategory(s.name as string),
      ...(typeof s.help === 'string' ? { help: s.help } : {})
    }));
    for (let i = 0; i < t.length; i++) {
      const ti = parseJsonNumber(t[i]) ?? NaN;
      const vi = parseJsonNumber(v[i]);
      if (!Number.isFinite(ti) || vi === undefined) {
        sink.error(ctx, `${where}point ${i}: invalid time or value`);
        continue;
      }
      out.point(slot, ti, vi === 0 && v[i] === '-0' ? -0 : vi);
    }
  }

  private dispatchEvent(o: JsonObject, ctx: LineContext, where: string, exact = false): void {
    const { sink } = this.options;
    sink.row();
    const rawT = o.t ?? o.time ?? o.timestamp;
    const t = exact || this.options.epochMs ? (parseJsonNumber(rawT) ?? NaN) : parseJsonTime(rawT);
    if (!Number.isFinite(t)) return sink.error(ctx, `${where}event: missing or invalid time`);
    const duration = parseJsonNumber(o.durationMs);
    const e: ResultEvent = {
      t,
      actionType: String(o.actionType),
      status: String(o.status),
      durationMs: duration ?? NaN
    };
    if (typeof o.triggerId === 'string') e.triggerId = o.triggerId;
    if (typeof o.organisationId === 'string') e.organisationId = o.organisationId;
    if (typeof o.errorMessage === 'string') e.errorMessage = o.errorMessage;
    if (typeof o.userId === 'string' && o.userId !== '') e.userId = o.userId;
    if (typeof o.sessionId === 'string' && o.sessionId !== '') e.sessionId = o.sessionId;
    const retries = parseJsonNumber(o.retries);
    if (retries !== undefined) e.retries = retries;
    const known = new Set([
      't',
      'time',
      'timestamp',
      'actionType',
      'status',
      'durationMs',
      'triggerId',
      'organisationId',
      'errorMessage',
      'retries',
      'userId',
      'sessionId',
      'type',
      'context'
    ]);
    const context: Record<string, unknown> = isObject(o.context) ? { ...o.context } : {};
    for (const [k, v] of Object.entries(o)) if (!known.has(k)) context[k] = v;
    if (Object.keys(context).length > 0) e.context = context;
    sink.event(e);
  }

  private dispatchOtlp(o: JsonObject, ctx: LineContext): void {
    const { sink } = this.options;
    for (const rm of o.resourceMetrics as Json[]) {
      if (!isObject(rm)) continue;
      const resource = isObject(rm.resource) ? otlpAttributes(rm.resource.attributes) : {};
      const scopes = Array.isArray(rm.scopeMetrics)
        ? rm.scopeMetrics
        : Array.isArray(rm.instrumentationLibraryMetrics)
          ? rm.instrumentationLibraryMetrics
          : [];
      for (const sm of scopes) {
        if (!isObject(sm) || !Array.isArray(sm.metrics)) continue;
        for (const m of sm.metrics) {
          if (!isObject(m) || typeof m.name !== 'string') {
            sink.error(ctx, 'OTLP metric without a name');
            continue;
          }
          this.dispatchOtlpMetric(m, m.name, resource, ctx);
        }
      }
    }
  }

  private dispatchOtlpMetric(
    m: JsonObject,
    name: string,
    resource: Record<string, string>,
    ctx: LineContext
  ): void {
    const { sink } = this.options;
    const unit = typeof m.unit === 'string' ? m.unit : undefined;
    const help =
      typeof m.description === 'string' && m.description !== '' ? m.description : undefined;
    const points = (x: Json | undefined): JsonObject[] =>
      isObject(x) && Array.isArray(x.dataPoints)
        ? (x.dataPoints.filter(isObject) as JsonObject[])
        : [];
    const at = (dp: JsonObject): { t: number; labels: Record<string, string> } => ({
      t:
        typeof dp.timeUnixNano === 'string' || typeof dp.timeUnixNano === 'number'
          ? parseEpoch(String(dp.timeUnixNano), 'ns')
          : NaN,
      labels: { ...resource, ...otlpAttributes(dp.attributes) }
    });
    const num = (dp: JsonObject): number | undefined =>
      dp.asDouble !== undefined ? parseJsonNumber(dp.asDouble) : parseJsonNumber(dp.asInt);
    // Delta temporality (1): each point holds the change since the previous one. Counters
    // and histogram counts become cumulative (a running total from the file's first point,
    // in file order); a non-monotonic delta sum stays a gauge of the deltas.
    const body = m.sum ?? m.histogram ?? m.exponentialHistogram;
    const delta = isObject(body) && body.aggregationTemporality === 1;
    const emit = (
      meta: { name: string; labels: Record<string, string>; kind: SeriesKind },
      t: number,
      v: number | undefined
    ): void => {
      sink.row();
      if (!Number.isFinite(t) || v === undefined)
        return sink.error(ctx, `OTLP ${name}: data point without a valid time or value`);
      let value = v;
      if (delta && meta.kind !== 'gauge') {
        const key = formatSeriesKey(meta.name, meta.labels);
        value = (this.deltaTotals.get(key) ?? 0) + v;
        this.deltaTotals.set(key, value);
      }
      this.addPoint({ ...meta, unit: unit ?? guessUnit(meta.name), help }, t, value);
    };
    if (delta)
      sink.note(
        isObject(m.sum) && m.sum.isMonotonic !== true
          ? `OTLP ${name}: a non-monotonic delta sum, stored as a gauge of the deltas`
          : `OTLP ${name}: delta temporality converted to cumulative (running totals from the file's first point)`
      );
    if (isObject(m.gauge) || isObject(m.sum)) {
      const sum = isObject(m.sum) ? m.sum : undefined;
      const kind: SeriesKind = sum?.isMonotonic === true ? 'counter' : 'gauge';
      for (const dp of points(m.gauge ?? m.sum)) {
        const { t, labels } = at(dp);
        // Flag 1 (NO_RECORDED_VALUE): the point says there is no value.
        if ((Number(dp.flags ?? 0) & 1) === 1) {
          sink.skip();
          sink.note(`OTLP ${name}: points flagged "no recorded value" skipped`);
          continue;
        }
        emit({ name, labels, kind }, t, num(dp));
      }
    } else if (isObject(m.exponentialHistogram)) {
      sink.note(
        `OTLP ${name}: exponential histogram stored as cumulative _bucket series (le = each bucket's upper bound), _count and _sum`
      );
      for (const dp of points(m.exponentialHistogram)) {
        const { t, labels } = at(dp);
        for (const [le, c] of exponentialBuckets(dp))
          emit(
            { name: `${name}_bucket`, labels: { ...labels, le }, kind: 'histogram_bucket' },
            t,
            c
          );
        if (dp.sum !== undefined)
          emit({ name: `${name}_sum`, labels, kind: 'counter' }, t, parseJsonNumber(dp.sum));
        emit({ name: `${name}_count`, labels, kind: 'counter' }, t, parseJsonNumber(dp.count));
      }
    } else if (isObject(m.histogram)) {
      for (const dp of points(m.histogram)) {
        const { t, labels } = at(dp);
        const bounds = Array.isArray(dp.explicitBounds) ? dp.explicitBounds : [];
        const counts = Array.isArray(dp.bucketCounts) ? dp.bucketCounts : [];
        let cumulative = 0;
        counts.forEach((c, i) => {
          cumulative += parseJsonNumber(c) ?? NaN;
          const le = i < bounds.length ? String(parseJsonNumber(bounds[i])) : '+Inf';
          emit(
            { name: `${name}_bucket`, labels: { ...labels, le }, kind: 'histogram_bucket' },
            t,
            cumulative
          );
        });
        if (dp.sum !== undefined)
          emit({ name: `${name}_sum`, labels, kind: 'counter' }, t, parseJsonNumber(dp.sum));
        emit({ name: `${name}_count`, labels, kind: 'counter' }, t, parseJsonNumber(dp.count));
      }
    } else if (isObject(m.summary)) {
      for (const dp of points(m.summary)) {
        const { t, labels } = at(dp);
        const qs = Array.isArray(dp.quantileValues) ? dp.quantileValues.filter(isObject) : [];
        for (const q of qs as JsonObject[])
          emit(
            {
              name,
              labels: { ...labels, quantile: String(parseJsonNumber(q.quantile ?? 0)) },
              kind: 'gauge'
            },
            t,
            parseJsonNumber(q.value ?? 0)
          );
        emit({ name: `${name}_sum`, labels, kind: 'counter' }, t, parseJsonNumber(dp.sum ?? 0));
        emit({ name: `${name}_count`, labels, kind: 'counter' }, t, parseJsonNumber(dp.count ?? 0));
      }
    } else {
      sink.skip();
      sink.note(
        `OTLP ${name}: skipped (not a gauge, sum, histogram, exponential histogram or summary)`
      );
    }
  }
}

/**
 * An OTLP exponential histogram point as cumulative buckets `[le, count]`, lowest first:
 * bucket index i of scale s covers (base^i, base^(i+1)] with base = 2^(2^-s); negative
 * buckets mirror that below zero, the zero bucket ends at 0 and `+Inf` holds the count.
 * Complexity O(buckets).
 */
export function exponentialBuckets(dp: { [k: string]: unknown }): [string, number | undefined][] {
  const scale = parseJsonNumber(dp.scale) ?? 0;
  // 2^(i·2^-s) rather than base^i: exact at whole powers of two (le="2", not 2.0000000000000004).
  const bound = (i: number): number => 2 ** (i * 2 ** -scale);
  const side = (x: unknown): { offset: number; counts: number[] } => {
    const o = isObject(x) ? x : {};
    const counts = Array.isArray(o.bucketCounts) ? o.bucketCounts : [];
    return {
      offset: parseJsonNumber(o.offset) ?? 0,
      counts: counts.map((c) => parseJsonNumber(c) ?? NaN)
    };
  };
  const out: [string, number | undefined][] = [];
  let total = 0;
  const neg = side(dp.negative);
  // Most negative first: index i covers [-base^(i+1), -base^i), so its upper bound is -base^i.
  for (let k = neg.counts.length - 1; k >= 0; k--) {
    total += neg.counts[k];
    out.push([String(-bound(neg.offset + k)), total]);
  }
  total += parseJsonNumber(dp.zeroCount) ?? 0;
  out.push(['0', total]);
  const pos = side(dp.positive);
  pos.counts.forEach((c, k) => {
    total += c;
    out.push([String(bound(pos.offset + k + 1)), total]);
  });
  out.push(['+Inf', parseJsonNumber(dp.count)]);
  return out;
}

function otlpAttributes(x: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(x)) return out;
  for (const a of x) {
    if (!isObject(a) || typeof a.key !== 'string' || !isObject(a.value)) continue;
    const v = a.value;
    const scalar = v.stringValue ?? v.intValue ?? v.doubleValue ?? v.boolValue;
    out[a.key] = typeof scalar === 'string' ? scalar : JSON.stringify(scalar ?? v);
  }
  return out;
}

function tooDeep(file: string, maxDepth: number, ctx: LineContext, at: number): IngestError {
  return new IngestError({
    code: 'too_deep',
    message: `JSON nested deeper than ${maxDepth} at byte ${ctx.byte + at}`,
    file,
    line: ctx.line,
    byte: ctx.byte + at
  });
}

/**
 * Builds the NDJSON line handler: one JSON value per line.
 *
 * Empty input: emits nothing. Complexity O(line length) per line.
 * @example
 * const h = createNdjsonHandler({ sink, file: 'a.ndjson', maxDepth: 64 });
 * h.onLine('{"name":"up","t":1700000000000,"v":1}', { line: 1, byte: 0 });
 */
export function createNdjsonHandler(options: {
  sink: BatchSink;
  file: string;
  maxDepth: number;
  epochMs?: boolean;
  tally?: BundleTally;
  precision?: TimePrecision;
  timeZone?: string;
}): LineHandler {
  const { sink, file, maxDepth } = options;
  const dispatcher = new JsonDispatcher({
    sink,
    file,
    epochMs: options.epochMs,
    tally: options.tally,
    precision: options.precision,
    timeZone: options.timeZone
  });
  return {
    onLine(raw: string, ctx: LineContext): void {
      const line = raw.trim();
      if (line === '') return;
      const scanner = new JsonDepthScanner(maxDepth);
      const at = scanner.scanText(line);
      if (at >= 0) throw tooDeep(file, maxDepth, ctx, at);
      let value: unknown;
      try {
        value = parseJsonLine(line);
      } catch (e) {
        sink.row();
        return sink.error(ctx, `invalid JSON: ${e instanceof Error ? e.message : String(e)}`);
      }
      dispatcher.dispatch(value, ctx);
    },
    onEnd: () => options.tally?.check()
  };
}

/**
 * One NDJSON line. `NaN`, `Infinity` and `-Infinity` written bare as values (DuckDB, pandas,
 * Python's json and Tidemark's NDJSON export write them so) are read as the strings the
 * number reader understands; only tried when the line is not plain JSON.
 * Complexity O(length).
 */
function parseJsonLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch (e) {
    if (!/NaN|Infinity/.test(line)) throw e;
    const quoted = line.replace(
      /("(?:[^"\\]|\\.)*")|([:,[]\s*)(-?Infinity|NaN)(?=\s*[,}\]])/g,
      (_all, str: string | undefined, pre: string, token: string) =>
        str !== undefined ? str : `${pre}"${token}"`
    );
    return JSON.parse(quoted);
  }
}

/**
 * A whole JSON document (array or pretty-printed object). Up to `maxJsonDocumentBytes` it is
 * held whole and parsed at its end (`JSON.parse`, the fastest way). Past that (past
 * `streamJsonArraysAfterBytes` for an array), a document whose top level is an array — what `jq -s`, pandas `to_json(orient='records')` and DuckDB's
 * `ARRAY true` write — is streamed: each element is parsed and dispatched as it completes
 * (`@streamparser/json`), so memory holds one element, not the document (a parsed document
 * takes about 4× its text). A larger object is refused with a pointer to NDJSON. Depth is
 * checked as bytes arrive either way.
 */
export class JsonDocumentReader {
  private text = '';
  private readonly decoder = new TextDecoder('utf-8');
  private length = 0;
  private readonly scanner: JsonDepthScanner;
  /** Set once the document outgrew its limit as a top-level array. */
  private stream: JsonArrayStream | undefined;
  /** The document's first character after white space ('' before there is one). */
  private first = '';

  constructor(
    private readonly options: {
      sink: BatchSink;
      file: string;
      maxDepth: number;
      maxBytes: number;
      /** A top-level array longer than this streams (see `IngestLimits`). */
      streamArraysAfter: number;
      precision?: TimePrecision;
      timeZone?: string;
    }
  ) {
    this.scanner = new JsonDepthScanner(options.maxDepth);
  }

  push(chunk: Uint8Array): void {
    const { file, maxDepth, maxBytes } = this.options;
    const at = this.scanner.scanBytes(chunk);
    if (at >= 0) throw tooDeep(file, maxDepth, { line: 0, byte: this.length }, at);
    // Decoded as it arrives: the bytes are not kept next to the text (one copy, not three).
    const text = this.decoder.decode(chunk, { stream: true });
    this.first ||= text.trimStart()[0] ?? '';
    const over = this.length + chunk.length;
    if (this.stream === undefined && over > Math.min(maxBytes, this.options.streamArraysAfter)) {
      const array = this.first === '[';
      if (!array && over <= maxBytes) {
        this.text += text;
        this.length = over;
        return;
      }
      if (!array)
        throw new IngestError({
          code: 'too_large',
          message: `JSON document over ${Math.round(maxBytes / 1048576)} MiB whose top level is an object: it would be read whole, which takes several times its size in memory. Write one JSON value per line (NDJSON, e.g. jq -c '.[]' or DuckDB COPY … (FORMAT json)) or a top-level array, which stream`,
          file,
          byte: this.length
        });
      this.stream = new JsonArrayStream(this.dispatcher());
      this.stream.write(this.text);
      this.text = '';
    }
    this.length += chunk.length;
    if (this.stream) this.stream.write(text);
    else this.text += text;
  }

  private dispatcher(): JsonDispatcher {
    const { sink, file, precision, timeZone } = this.options;
    return new JsonDispatcher({ sink, file, precision, timeZone });
  }

  finish(): void {
    const { sink } = this.options;
    const ctx = { line: 1, byte: 0 };
    if (this.stream) return this.stream.end(this.decoder.decode(), sink, ctx);
    const text = this.text + this.decoder.decode();
    this.text = '';
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      sink.row();
      return sink.error(ctx, `invalid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.dispatcher().dispatch(value, ctx);
  }
}

/**
 * The elements of a top-level JSON array, dispatched one by one as the text arrives.
 * Malformed JSON stops the stream: the elements before it are kept and one error says where.
 */
class JsonArrayStream {
  private readonly parser = new JSONParser({ paths: ['$.*'], keepStack: false });
  private index = 0;
  private failure: string | undefined;
  private fatal: unknown;
  private readonly ctx = { line: 1, byte: 0 };

  constructor(private readonly dispatcher: JsonDispatcher) {
    this.parser.onValue = ({ value }) => {
      if (this.fatal !== undefined) return;
      try {
        this.dispatcher.dispatch(value, this.ctx, `[${this.index++}]`);
      } catch (e) {
        this.fatal = e;
      }
    };
    this.parser.onError = (e) => {
      this.failure ??= e.message;
    };
  }

  write(text: string): void {
    if (text === '' || this.failure !== undefined) return;
    if (this.parser.isEnded) {
      if (text.trim() !== '') this.failure = 'unexpected text after the end of the array';
      return;
    }
    this.parser.write(text);
    if (this.fatal !== undefined) throw this.fatal;
  }

  end(rest: string, sink: BatchSink, ctx: LineContext): void {
    this.write(rest);
    if (this.failure === undefined && !this.parser.isEnded)
      this.failure = `the document ends inside its array, after ${this.index} elements`;
    if (this.failure !== undefined) {
      sink.row();
      sink.error(ctx, `invalid JSON after element ${this.index}: ${this.failure}`);
    }
  }
}
