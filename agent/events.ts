/**
 * Parsing and normalisation of `POST /v1/events` bodies: a JSON array or NDJSON of
 * result-log events and tracking calls (action, api_request, model_process,
 * system_metrics, error), turned into result events and points.
 */
import type { AgentPoint, ResultEvent } from '../src/lib/types';
import { readOllamaTimings } from './model/ollama';

export const EventLimits = {
  /** Longer strings are cut so one client cannot bloat every page's event table. */
  maxStringLength: 4096,
  /** Serialised size cap for `context`. */
  maxContextBytes: 16 * 1024,
  /** Nesting cap for `context`: deeper values would overflow JSON.stringify's stack later. */
  maxContextDepth: 32
} as const;

/** One normalised record: an event and/or points. */
export interface NormalisedRecord {
  t: number;
  event?: ResultEvent;
  points: AgentPoint[];
  /**
   * JSON text equivalent to `event`, when the source line already was exactly that (a plain
   * result event with every field valid and nothing to fill in or cut), so it need not be
   * serialised again.
   */
  eventJson?: string;
}

export type ParseEventsResult =
  | { ok: true; records: NormalisedRecord[] }
  | { ok: false; line: number; record: number; message: string };

type Json = Record<string, unknown>;

class RecordError extends Error {}

export interface NormaliseOptions {
  /** Time used for records without `t`. */
  receivedAt: number;
  /** Length of the text the record came from; bounds its context's size for free. */
  sourceLength?: number;
  /** The record's own JSON text (one NDJSON line), reused when it needs no changes. */
  sourceText?: string;
}

/**
 * Parses an events body. NDJSON unless the first non-blank character is `[`; blank lines
 * are skipped. Stops at the first bad record and reports its 1-based physical `line`
 * (for a JSON array: the line where the record starts) and 1-based `record` index.
 * Empty body → ok with no records. O(n) in the body length.
 * @example parseEventsBody('{"t":1,"actionType":"a","status":"ok","durationMs":3}', { receivedAt: 5 })
 */
export function parseEventsBody(body: string, options: { receivedAt: number }): ParseEventsResult {
  const start = body.search(/\S/);
  if (start === -1) return { ok: true, records: [] };
  return body[start] === '['
    ? parseJsonArray(body, options.receivedAt)
    : parseNdjson(body, options.receivedAt);
}

function parseNdjson(body: string, receivedAt: number): ParseEventsResult {
  const records: NormalisedRecord[] = [];
  let line = 0;
  let pos = 0;
  while (pos <= body.length) {
    let end = body.indexOf('\n', pos);
    if (end === -1) end = body.length;
    line++;
    const text = body.slice(pos, end);
    pos = end + 1;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return fail(line, records.length + 1, `invalid JSON: ${(err as Error).message}`);
    }
    try {
      records.push(
        normaliseRecord(value, { receivedAt, sourceLength: text.length, sourceText: text })
      );
    } catch (err) {
      if (!(err instanceof RecordError)) throw err;
      return fail(line, records.length + 1, err.message);
    }
  }
  return { ok: true, records };
}

function parseJsonArray(body: string, receivedAt: number): ParseEventsResult {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    return locateSyntaxError(body, (err as Error).message);
  }
  if (!Array.isArray(value)) return fail(1, 0, 'expected a JSON array or NDJSON');
  const records: NormalisedRecord[] = [];
  const options = { receivedAt, sourceLength: body.length };
  for (let i = 0; i < value.length; i++) {
    try {
      records.push(normaliseRecord(value[i], options));
    } catch (err) {
      if (!(err instanceof RecordError)) throw err;
      return fail(splitArrayElements(body)[i]?.line ?? 1, i + 1, err.message);
    }
  }
  return { ok: true, records };
}

/**
 * V8's JSON errors do not always carry a position, so on the (rare) error path the array is
 * split into its top-level elements and each is parsed alone to find the first bad one.
 */
function locateSyntaxError(body: string, message: string): ParseEventsResult {
  const elements = splitArrayElements(body);
  for (let i = 0; i < elements.length; i++) {
    const { start, end, line } = elements[i];
    try {
      JSON.parse(body.slice(start, end));
    } catch (err) {
      return fail(line, i + 1, `invalid JSON: ${(err as Error).message}`);
    }
  }
  const last = elements[elements.length - 1];
  return fail(last ? last.line : 1, 0, `invalid JSON: ${message}`);
}

interface ElementSpan {
  start: number;
  end: number;
  /** 1-based line of the element's first non-blank character. */
  line: number;
}

/** Top-level element spans of a JSON array text, tolerant of errors inside elements. O(n). */
function splitArrayElements(body: string): ElementSpan[] {
  const spans: ElementSpan[] = [];
  let depth = 0;
  let inString = false;
  let line = 1;
  let start = -1;
  let startLine = 1;
  const open = (i: number): void => {
    start = i;
    startLine = line;
  };
  const close = (i: number): void => {
    if (start >= 0 && body.slice(start, i).trim() !== '') {
      // Move the start past leading blanks so the line is the element's own line.
      let s = start;
      let l = startLine;
      while (s < i && /\s/.test(body[s])) if (body[s++] === '\n') l++;
      spans.push({ start: s, end: i, line: l });
    }
    start = -1;
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\n') line++;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    if (c === '[' || c === '{') {
      depth++;
      if (depth === 1) open(i + 1);
    } else if (c === ']' || c === '}') {
      if (depth === 1) close(i);
      depth--;
    } else if (c === ',' && depth === 1) {
      close(i);
      open(i + 1);
    }
  }
  if (depth >= 1) close(body.length);
  return spans;
}

function fail(line: number, record: number, message: string): ParseEventsResult {
  return { ok: false, line, record, message };
}

/**
 * Normalises one decoded record. Throws a RecordError naming the bad field.
 * @example normaliseRecord({ type: 'error', message: 'boom' }, { receivedAt: 1000 })
 */
export function normaliseRecord(value: unknown, options: NormaliseOptions): NormalisedRecord {
  const ctx: Ctx = {
    sourceLength: options.sourceLength ?? Infinity,
    sourceText: options.sourceText
  };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RecordError('record must be a JSON object');
  }
  const r = value as Json;
  const t = readTime(r, options.receivedAt);
  const type = r.type;
  if (type === undefined) return normaliseResultEvent(r, t, ctx);
  switch (type) {
    case 'action':
      return normaliseAction(r, t, ctx);
    case 'api_request':
      return normaliseApiRequest(r, t, ctx);
    case 'model_process':
      return normaliseModelProcess(r, t, ctx);
    case 'system_metrics':
      return normaliseSystemMetrics(r, t, ctx);
    case 'error':
      return normaliseError(r, t, ctx);
    default:
      throw new RecordError(
        `unknown type ${JSON.stringify(type)} (expected action, api_request, model_process, system_metrics or error)`
      );
  }
}

function readTime(r: Json, receivedAt: number): number {
  const raw = r.t ?? r.timestamp;
  if (raw === undefined) return receivedAt;
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
  if (typeof raw === 'string') {
    const ms = Date.parse(raw);
    if (Number.isFinite(ms)) return ms;
  }
  throw new RecordError('t must be epoch milliseconds or an ISO 8601 string');
}

function readString(r: Json, key: string, required: true): string;
function readString(r: Json, key: string, required: false): string | undefined;
function readString(r: Json, key: string, required: boolean): string | undefined {
  const v = r[key];
  if (v === undefined || v === null) {
    if (required) throw new RecordError(`${key} is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new RecordError(`${key} must be a string`);
  if (required && v === '') throw new RecordError(`${key} must not be empty`);
  return v.length > EventLimits.maxStringLength ? v.slice(0, EventLimits.maxStringLength) : v;
}

function readNumber(r: Json, key: string, required: true): number;
function readNumber(r: Json, key: string, required: false): number | undefined;
function readNumber(r: Json, key: string, required: boolean): number | undefined {
  const v = r[key];
  if (v === undefined || v === null) {
    if (required) throw new RecordError(`${key} is required`);
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new RecordError(`${key} must be a finite number`);
  }
  if (v < 0) throw new RecordError(`${key} must not be negative`);
  return v;
}

function readContext(r: Json, ctx: Ctx): Record<string, unknown> | undefined {
  const c = r.context;
  if (c === undefined || c === null) return undefined;
  if (typeof c !== 'object' || Array.isArray(c)) throw new RecordError('context must be an object');
  if (!isShallow(c, EventLimits.maxContextDepth)) {
    throw new RecordError(`context nested deeper than ${EventLimits.maxContextDepth}`);
  }
  // A context cannot be longer than the source text it came from, so short records skip
  // the re-serialisation that measuring it would cost.
  if (
    ctx.sourceLength > EventLimits.maxContextBytes &&
    measureJson(c) > EventLimits.maxContextBytes
  ) {
    throw new RecordError(`context over ${EventLimits.maxContextBytes} bytes`);
  }
  return c as Record<string, unknown>;
}

/**
 * One object shape for every event (absent fields stay undefined, which JSON.stringify
 * drops) keeps the hot path monomorphic: this runs for every event at 50k+/s.
 */
interface Ctx {
  sourceLength: number;
  sourceText?: string;
}

const ResultEventKeys = new Set([
  't',
  'actionType',
  'status',
  'durationMs',
  'triggerId',
  'organisationId',
  'retries',
  'errorMessage',
  'userId',
  'sessionId',
  'context'
]);

/**
 * True when the decoded record already is its normalised event: numeric `t`, only known
 * keys, no nulls, no string that was cut. Then the source text can stand for the event.
 */
function isCanonicalResultEvent(r: Json): boolean {
  if (typeof r.t !== 'number') return false;
  for (const key in r) {
    if (!ResultEventKeys.has(key)) return false;
    const v = r[key];
    if (v === null) return false;
    if (typeof v === 'string' && v.length > EventLimits.maxStringLength) return false;
  }
  return true;
}

/** Iterative depth check, so a hostile value cannot overflow the stack while being checked. */
function isShallow(value: object, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    if (depth > maxDepth) return false;
    for (const child of Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return true;
}

function measureJson(value: unknown): number {
  try {
    return JSON.stringify(value).length;
  } catch {
    // Too deep to serialise (RangeError): certainly too big.
    return Infinity;
  }
}

function buildEvent(base: ResultEvent, r: Json): ResultEvent {
  return {
    t: base.t,
    actionType: base.actionType,
    status: base.status,
    durationMs: base.durationMs,
    triggerId: readString(r, 'triggerId', false),
    organisationId: readString(r, 'organisationId', false),
    retries: readNumber(r, 'retries', false),
    errorMessage: base.errorMessage ?? readString(r, 'errorMessage', false),
    userId: readString(r, 'userId', false),
    sessionId: readString(r, 'sessionId', false),
    context: undefined
  };
}

function normaliseResultEvent(r: Json, t: number, ctx: Ctx): NormalisedRecord {
  const event = buildEvent(
    {
      t,
      actionType: readString(r, 'actionType', true),
      status: readString(r, 'status', true),
      durationMs: readNumber(r, 'durationMs', true)
    },
    r
  );
  const context = readContext(r, ctx);
  if (context) event.context = context;
  if (ctx.sourceText !== undefined && isCanonicalResultEvent(r)) {
    return { t, event, points: [], eventJson: ctx.sourceText.trim() };
  }
  return { t, event, points: [] };
}

function normaliseAction(r: Json, t: number, ctx: Ctx): NormalisedRecord {
  const actionType = readString(r, 'actionType', false) ?? readString(r, 'name', true);
  const event = buildEvent(
    {
      t,
      actionType,
      status: readString(r, 'status', false) ?? 'success',
      durationMs: readNumber(r, 'durationMs', false) ?? 0
    },
    r
  );
  const context = readContext(r, ctx);
  if (context) event.context = context;
  return { t, event, points: [] };
}

function normaliseApiRequest(r: Json, t: number, ctx: Ctx): NormalisedRecord {
  const method = (readString(r, 'method', false) ?? 'GET').toUpperCase();
  const route = readString(r, 'route', true);
  const httpStatus = readNumber(r, 'status', true);
  const durationMs = readNumber(r, 'durationMs', true);
  const statusClass = `${Math.floor(httpStatus / 100)}xx`;
  const event = buildEvent(
    {
      t,
      actionType: 'api_request',
      status: httpStatus >= 500 ? 'error' : httpStatus >= 400 ? 'client_error' : 'success',
      durationMs
    },
    r
  );
  event.context = { ...readContext(r, ctx), method, route, httpStatus };
  const labels = { method, route, status_class: statusClass };
  const points: AgentPoint[] = [
    point({
      name: 'api_request_duration_ms',
      labels,
      unit: 'ms',
      category: 'network',
      t,
      v: durationMs
    })
  ];
  return { t, event, points };
}

function normaliseModelProcess(r: Json, t: number, ctx: Ctx): NormalisedRecord {
  const model = readString(r, 'model', false) ?? 'unknown';
  const runtime = readString(r, 'runtime', false);
  // Ollama's final /api/generate or /api/chat object can be forwarded as it is: its timing
  // fields (nanoseconds) fill in whatever the record does not say itself.
  const ollama = readOllamaTimings(r);
  const tokens = readNumber(r, 'tokens', false) ?? ollama.tokens;
  const promptTokens = readNumber(r, 'promptTokens', false) ?? ollama.promptTokens;
  const ttftMs = readNumber(r, 'ttftMs', false) ?? ollama.ttftMs;
  const durationMs = readNumber(r, 'durationMs', false) ?? ollama.durationMs;
  const energyJoules = readNumber(r, 'energyJoules', false);
  const entropy = readNumber(r, 'entropy', false);
  let tokensPerSecond = readNumber(r, 'tokensPerSecond', false) ?? ollama.tokensPerSecond;
  if (tokensPerSecond === undefined && tokens !== undefined && durationMs) {
    tokensPerSecond = tokens / (durationMs / 1000);
  }
  const labels: Record<string, string> = runtime ? { runtime, model } : { model };
  const points: AgentPoint[] = [];
  const add = (name: string, unit: string, v: number | undefined): void => {
    if (v !== undefined) points.push(point({ name, labels, unit, category: 'model', t, v }));
  };
  add('model_tokens', 'tokens', tokens);
  add('model_prompt_tokens', 'tokens', promptTokens);
  add('model_ttft_ms', 'ms', ttftMs);
  add('model_duration_ms', 'ms', durationMs);
  add('model_tokens_per_second', 'tokens/s', tokensPerSecond);
  add('model_prompt_tokens_per_second', 'tokens/s', ollama.promptTokensPerSecond);
  add('model_load_ms', 'ms', ollama.loadMs);
  add('model_energy_joules', 'J', energyJoules);
  add('model_token_entropy', 'nats', entropy);
  if (energyJoules && tokens !== undefined) {
    add('model_tokens_per_joule', 'tokens/J', tokens / energyJoules);
  }
  if (energyJoules !== undefined && tokens) {
    add('model_energy_joules_per_token', 'J/token', energyJoules / tokens);
  }
  const event = buildEvent(
    {
      t,
      actionType: 'model_process',
      status: readString(r, 'status', false) ?? 'success',
      durationMs: durationMs ?? 0
    },
    r
  );
  // /api/generate's own `context` is an array of token ids, not a Tidemark context.
  const ownContext = Array.isArray(r.context) && ollama.tokens !== undefined ? undefined : r;
  const context: Record<string, unknown> = {
    ...(ownContext && readContext(ownContext, ctx)),
    model
  };
  if (runtime !== undefined) context.runtime = runtime;
  if (tokens !== undefined) context.tokens = tokens;
  if (promptTokens !== undefined) context.promptTokens = promptTokens;
  if (ttftMs !== undefined) context.ttftMs = ttftMs;
  if (tokensPerSecond !== undefined) context.tokensPerSecond = tokensPerSecond;
  if (energyJoules !== undefined) context.energyJoules = energyJoules;
  if (entropy !== undefined) context.entropy = entropy;
  event.context = context;
  return { t, event, points };
}

const MetricNamePattern = /^[a-zA-Z_:][a-zA-Z0-9_:.]*$/;

function normaliseSystemMetrics(r: Json, t: number, _ctx: Ctx): NormalisedRecord {
  const labels = readLabels(r.labels);
  const units = r.units && typeof r.units === 'object' ? (r.units as Json) : {};
  const points: AgentPoint[] = [];
  const addMetric = (name: string, v: unknown, unit: unknown): void => {
    if (!MetricNamePattern.test(name))
      throw new RecordError(`bad metric name ${JSON.stringify(name)}`);
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new RecordError(`metric ${name} must be a finite number`);
    }
    points.push(
      point({ name, labels, unit: typeof unit === 'string' ? unit : '', category: 'system', t, v })
    );
  };
  if (typeof r.name === 'string') {
    addMetric(r.name, r.value, r.unit);
  } else if (r.metrics && typeof r.metrics === 'object' && !Array.isArray(r.metrics)) {
    for (const [name, v] of Object.entries(r.metrics as Json)) addMetric(name, v, units[name]);
  } else {
    throw new RecordError('system_metrics needs name and value, or a metrics object');
  }
  if (points.length === 0) throw new RecordError('system_metrics has no metrics');
  return { t, points };
}

function normaliseError(r: Json, t: number, ctx: Ctx): NormalisedRecord {
  const message = readString(r, 'message', true);
  const stack = readString(r, 'stack', false);
  const event = buildEvent(
    {
      t,
      actionType: readString(r, 'actionType', false) ?? 'error',
      status: 'error',
      durationMs: readNumber(r, 'durationMs', false) ?? 0,
      errorMessage: message
    },
    r
  );
  const context = readContext(r, ctx);
  if (context || stack !== undefined) event.context = { ...context, ...(stack ? { stack } : {}) };
  return { t, event, points: [] };
}

function readLabels(raw: unknown): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new RecordError('labels must be an object');
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Json)) {
    if (typeof v !== 'string') throw new RecordError(`label ${k} must be a string`);
    labels[k] = v;
  }
  return labels;
}

function point(p: Omit<AgentPoint, 'kind'>): AgentPoint {
  return {
    name: p.name,
    labels: p.labels,
    unit: p.unit,
    kind: 'gauge',
    category: p.category,
    t: p.t,
    v: p.v
  };
}
