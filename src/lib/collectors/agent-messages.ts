/**
 * Turns agent stream messages (agent/README.md) into what the engine stores: columnar point
 * batches (source 'agent') and result-log events. Pure: no clock, no storage.
 */
import { createStreamParser } from '$lib/ingest';
import { createScrapeParser, type ScrapeParser } from '$lib/ingest/scrape-parser';
import type {
  AgentMessage,
  AgentPoint,
  PointBatch,
  ResultEvent,
  SeriesCategory,
  SeriesDescriptor
} from '$lib/types';
import { seriesKey } from '$lib/types/series-key';

/** Category for points that carry none (metrics texts parsed by lib/ingest keep theirs). */
export const AgentMessageDefaults = { category: 'system' as SeriesCategory };

export interface ConvertedMessages {
  batches: PointBatch[];
  events: ResultEvent[];
  points: number;
  /** Line errors in forwarded metrics texts (the agent checked syntax; values may still fail). */
  errors: number;
}

interface Column {
  series: SeriesDescriptor;
  /** Runs of points: whole parsed batches, or single points from sample messages. */
  parts: { t: Float64Array | number[]; v: Float64Array | number[] }[];
  n: number;
  sorted: boolean;
  lastT: number;
}

/**
 * What a stream's conversions keep between calls (one per agent connection): a scrape
 * parser per text format, whose series caches make a repeated push cost its values only,
 * and each parsed series' agent descriptor and key, made once per series (the parser hands
 * out the same descriptor object every time). Without it every call starts from nothing.
 */
export class AgentStreamState {
  /**
   * A parser that remembers more series than this starts over (series that churn, e.g. a
   * label with a request id, would otherwise grow its caches without end).
   */
  static maxSeries = 250_000;
  readonly parsers = new Map<'prometheus' | 'influx', ScrapeParser>();
  readonly described = new WeakMap<SeriesDescriptor, { key: string; series: SeriesDescriptor }>();
  readonly #encoder = new TextEncoder();
  #buffer = new Uint8Array(0);

  /**
   * `text` as UTF-8 in a buffer reused for every message (valid until the next call; the
   * scrape parser keeps no view of its input). `encodeInto` a kept buffer took 21 ms for a
   * 1.1 MB push in Chromium where `encode` took 120 ms (a new buffer, filled and copied).
   */
  utf8(text: string): Uint8Array {
    // UTF-8 needs at most 3 bytes per UTF-16 unit.
    if (this.#buffer.length < text.length * 3)
      this.#buffer = new Uint8Array(Math.max(text.length * 3, this.#buffer.length * 2));
    const { written } = this.#encoder.encodeInto(text, this.#buffer);
    return this.#buffer.subarray(0, written);
  }
}

/**
 * Groups the points of `messages` per series (name + labels) into columnar batches, sorted by
 * time within each series, and collects their events. Metrics texts (Prometheus / Influx
 * pushed to the agent) are parsed with lib/ingest; samples without a timestamp take the
 * message time. A parsed batch joins its series as one run (one key per batch, not per
 * point: at 10,000 series a message is 10,000 batches of one point). Empty input gives empty
 * output. O(points), O(points · log points) for a series whose runs arrive out of order.
 * @example
 * convertAgentMessages([{ seq: 1, kind: 'sample', t: 1000, points: [{ name: 'load_average_1m',
 *   labels: {}, unit: '', kind: 'gauge', category: 'system', t: 1000, v: 0.5 }] }])
 * // → { batches: [{ series: { name: 'load_average_1m', source: 'agent', … }, t: [1000], v: [0.5] }], … }
 */
export function convertAgentMessages(
  messages: readonly AgentMessage[],
  state?: AgentStreamState
): ConvertedMessages {
  const columns = new Map<string, Column>();
  const events: ResultEvent[] = [];
  let errors = 0;
  const describe = (p: Omit<AgentPoint, 't' | 'v'>) => ({
    key: seriesKey(p.name, p.labels),
    series: {
      name: p.name,
      labels: { ...p.labels },
      unit: p.unit ?? '',
      kind: p.kind ?? 'gauge',
      source: 'agent' as const,
      category: p.category ?? AgentMessageDefaults.category
    }
  });
  /** A parsed series' descriptor is the parser's own object: described once per stream. */
  const describeParsed = (d: SeriesDescriptor) => {
    if (!state) return describe(d);
    let known = state.described.get(d);
    if (!known) state.described.set(d, (known = describe(d)));
    return known;
  };
  const column = (described: { key: string; series: SeriesDescriptor }): Column => {
    const key = described.key;
    let col = columns.get(key);
    if (!col) {
      col = {
        series: described.series,
        parts: [],
        n: 0,
        sorted: true,
        lastT: -Infinity
      };
      columns.set(key, col);
    }
    return col;
  };
  const addRun = (col: Column, t: Float64Array | number[], v: Float64Array | number[]): void => {
    if (t.length === 0) return;
    let ok = col.sorted && t[0] >= col.lastT;
    for (let i = 1; ok && i < t.length; i++) if (t[i] < t[i - 1]) ok = false;
    col.sorted = ok;
    col.parts.push({ t, v });
    col.n += t.length;
    if (t[t.length - 1] > col.lastT) col.lastT = t[t.length - 1];
  };

  for (const m of messages) {
    if (m.kind === 'metrics') {
      const parsed = parseMetricsText(m, state);
      errors += parsed.errors;
      for (const b of parsed.batches) addRun(column(describeParsed(b.series)), b.t, b.v);
      continue;
    }
    for (const p of m.points) {
      if (typeof p.t === 'number' && typeof p.v === 'number')
        addRun(column(describe(p)), [p.t], [p.v]);
    }
    if (m.kind === 'event') events.push({ ...m.event });
  }

  let points = 0;
  const batches: PointBatch[] = [];
  for (const col of columns.values()) {
    const only = col.parts.length === 1 ? col.parts[0] : undefined;
    if (only && col.sorted && only.t instanceof Float64Array && only.v instanceof Float64Array) {
      // One parsed run (the usual case: one push per delivery): its own arrays, no copy.
      points += col.n;
      batches.push({ series: col.series, t: only.t, v: only.v });
      continue;
    }
    const t = new Float64Array(col.n);
    const v = new Float64Array(col.n);
    let o = 0;
    for (const part of col.parts) {
      t.set(part.t, o);
      v.set(part.v, o);
      o += part.t.length;
    }
    points += col.n;
    batches.push(
      col.sorted ? { series: col.series, t, v } : { series: col.series, ...sortByTime(t, v) }
    );
  }
  return { batches, events, points, errors };
}

/** Stable sort of points by time (equal times keep their arrival order). */
function sortByTime(t: Float64Array, v: Float64Array): { t: Float64Array; v: Float64Array } {
  const order = Array.from({ length: t.length }, (_, i) => i);
  order.sort((a, b) => t[a] - t[b] || a - b);
  return { t: Float64Array.from(order, (i) => t[i]), v: Float64Array.from(order, (i) => v[i]) };
}

function parseMetricsText(
  m: Extract<AgentMessage, { kind: 'metrics' }>,
  state: AgentStreamState | undefined
): {
  batches: PointBatch[];
  errors: number;
} {
  if (state && m.format !== 'otlp-json') {
    let scrape = state.parsers.get(m.format);
    if (!scrape || scrape.series > AgentStreamState.maxSeries) {
      scrape = createScrapeParser({
        fileName: m.format === 'influx' ? 'agent.lp' : 'agent.prom',
        format: m.format
      });
      state.parsers.set(m.format, scrape);
    }
    return scrape.parse(state.utf8(m.text), m.t);
  }
  const parser = createStreamParser({
    fileName:
      m.format === 'influx'
        ? 'agent.lp'
        : m.format === 'otlp-json'
          ? 'agent.otlp.json'
          : 'agent.prom',
    format: m.format,
    defaultTimestamp: m.t
  });
  try {
    const first = parser.push(new TextEncoder().encode(m.text));
    const last = parser.finish();
    return {
      batches: [...first.batches, ...last.batches],
      errors: first.errors.length + last.errors.length
    };
  } catch {
    // A text the agent accepted but the full parser rejects as a whole: counted, not fatal.
    return { batches: [], errors: 1 };
  }
}
