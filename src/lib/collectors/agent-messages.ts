/**
 * Turns agent stream messages (agent/README.md) into what the engine stores: columnar point
 * batches (source 'agent') and result-log events. Pure: no clock, no storage.
 */
import { createStreamParser } from '$lib/ingest';
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
  t: number[];
  v: number[];
}

/**
 * Groups the points of `messages` per series (name + labels) into columnar batches, sorted by
 * time within each series, and collects their events. Metrics texts (Prometheus / Influx
 * pushed to the agent) are parsed with lib/ingest; samples without a timestamp take the
 * message time. Empty input gives empty output. O(points · log points per series).
 * @example
 * convertAgentMessages([{ seq: 1, kind: 'sample', t: 1000, points: [{ name: 'load_average_1m',
 *   labels: {}, unit: '', kind: 'gauge', category: 'system', t: 1000, v: 0.5 }] }])
 * // → { batches: [{ series: { name: 'load_average_1m', source: 'agent', … }, t: [1000], v: [0.5] }], … }
 */
export function convertAgentMessages(messages: readonly AgentMessage[]): ConvertedMessages {
  const columns = new Map<string, Column>();
  const events: ResultEvent[] = [];
  let errors = 0;
  const add = (p: AgentPoint): void => {
    const key = seriesKey(p.name, p.labels);
    let col = columns.get(key);
    if (!col) {
      col = {
        series: {
          name: p.name,
          labels: { ...p.labels },
          unit: p.unit ?? '',
          kind: p.kind ?? 'gauge',
          source: 'agent',
          category: p.category ?? AgentMessageDefaults.category
        },
        t: [],
        v: []
      };
      columns.set(key, col);
    }
    col.t.push(p.t);
    col.v.push(p.v);
  };

  for (const m of messages) {
    if (m.kind === 'metrics') {
      const parsed = parseMetricsText(m);
      errors += parsed.errors;
      for (const b of parsed.batches) {
        for (let i = 0; i < b.t.length; i++) {
          add({
            name: b.series.name,
            labels: b.series.labels,
            unit: b.series.unit,
            kind: b.series.kind,
            category: b.series.category,
            t: b.t[i],
            v: b.v[i]
          });
        }
      }
      continue;
    }
    for (const p of m.points) {
      if (typeof p.t === 'number' && typeof p.v === 'number') add(p);
    }
    if (m.kind === 'event') events.push({ ...m.event });
  }

  let points = 0;
  const batches: PointBatch[] = [];
  for (const col of columns.values()) {
    const order = col.t.map((_, i) => i);
    order.sort((a, b) => col.t[a] - col.t[b]);
    const t = new Float64Array(order.length);
    const v = new Float64Array(order.length);
    order.forEach((src, i) => {
      t[i] = col.t[src];
      v[i] = col.v[src];
    });
    points += t.length;
    batches.push({ series: col.series, t, v });
  }
  return { batches, events, points, errors };
}

function parseMetricsText(m: Extract<AgentMessage, { kind: 'metrics' }>): {
  batches: PointBatch[];
  errors: number;
} {
  const parser = createStreamParser({
    fileName: m.format === 'influx' ? 'agent.lp' : 'agent.prom',
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
