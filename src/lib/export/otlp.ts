import type { PointBatch } from '../types';
import { mergeBatches } from './merge';
import { planOpenMetrics, sortBatch, type OpenMetricsSeries } from './openmetrics';

/**
 * OTLP JSON metrics (the protobuf JSON mapping of opentelemetry-proto's
 * `ExportMetricsServiceRequest`, as the Collector's `otlpjsonfile` receiver and OTLP/HTTP
 * read it): one resource, one scope (`tidemark`), one metric per family, names as stored.
 * Gauges → `gauge`; counters → cumulative monotonic `sum`; `x_bucket`/`x_sum`/`x_count`
 * → `histogram` with explicit bounds (bucket counts de-cumulated); `x{quantile}`/`x_sum`/
 * `x_count` → `summary`. A histogram or summary whose points are not whole (a bucket
 * missing at a time, counts not cumulative) is written as its plain series instead. Times are
 * `timeUnixNano` strings; NaN and ±Infinity are the mapping's "NaN"/"Infinity"/"-Infinity".
 */

type Json = Record<string, unknown>;

function nanos(t: number): string {
  const ms = Math.floor(t);
  return (BigInt(ms) * 1_000_000n + BigInt(Math.round((t - ms) * 1e6))).toString();
}

function double(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

function attributes(labels: Record<string, string>, drop?: string): Json[] {
  return Object.keys(labels)
    .filter((k) => k !== drop)
    .map((key) => ({ key, value: { stringValue: labels[key] } }));
}

interface Member {
  b: PointBatch;
  p: OpenMetricsSeries;
}

function plainMetric(b: PointBatch): Json {
  const points = Array.from(b.t, (t, i) => ({
    attributes: attributes(b.series.labels),
    timeUnixNano: nanos(t),
    asDouble: double(b.v[i])
  }));
  const head: Json = { name: b.series.name, unit: b.series.unit };
  if (b.series.help !== undefined) head.description = b.series.help;
  if (b.series.kind === 'counter')
    return { ...head, sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: points } };
  return { ...head, gauge: { dataPoints: points } };
}

/** A histogram or summary family as one metric, or undefined when a point is not whole. */
function complexMetric(members: Member[], type: 'histogram' | 'summary'): Json | undefined {
  const by = type === 'histogram' ? 'le' : 'quantile';
  const first = members.find((m) => m.p.role === 'bucket' || m.p.role === 'quantile') ?? members[0];
  const suffix =
    first.p.role === 'bucket' ? '_bucket' : first.p.role === 'quantile' ? '' : `_${first.p.role}`;
  const name = first.b.series.name.slice(0, first.b.series.name.length - suffix.length);
  const metrics = new Map<string, Member[]>();
  for (const m of members) {
    const { [by]: _, ...rest } = m.b.series.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const list = metrics.get(key);
    if (list === undefined) metrics.set(key, [m]);
    else list.push(m);
  }
  const dataPoints: Json[] = [];
  for (const list of metrics.values()) {
    const times = [...new Set(list.flatMap((m) => [...m.b.t]))].sort((a, b) => a - b);
    const at = list.map((m) => new Map(Array.from(m.b.t, (t, i) => [t, m.b.v[i]])));
    const bounds = list.map((m) =>
      m.p.role === 'bucket' || m.p.role === 'quantile'
        ? Number(m.b.series.labels[by].replace(/^\+?Inf$/i, 'Infinity'))
        : NaN
    );
    const order = list
      .map((_, i) => i)
      .filter((i) => !Number.isNaN(bounds[i]))
      .sort((a, b) => bounds[a] - bounds[b]);
    const sumAt = list.findIndex((m) => m.p.role === 'sum');
    const countAt = list.findIndex((m) => m.p.role === 'count');
    for (const t of times) {
      const dp: Json = {
        attributes: attributes(list[0].b.series.labels, by),
        timeUnixNano: nanos(t)
      };
      const sum = sumAt >= 0 ? at[sumAt].get(t) : undefined;
      const count = countAt >= 0 ? at[countAt].get(t) : undefined;
      if (sum !== undefined) dp.sum = double(sum);
      if (type === 'summary') {
        if (count === undefined || sum === undefined) return undefined;
        dp.count = String(count);
        dp.quantileValues = order.flatMap((i) => {
          const v = at[i].get(t);
          return v === undefined ? [] : [{ quantile: bounds[i], value: double(v) }];
        });
      } else {
        let previous = 0;
        const counts: string[] = [];
        const explicit: number[] = [];
        for (const i of order) {
          const v = at[i].get(t);
          if (v === undefined || !(v >= previous) || !Number.isInteger(v)) return undefined;
          counts.push(String(v - previous));
          previous = v;
          if (bounds[i] !== Infinity) explicit.push(bounds[i]);
        }
        if (order.length === 0 || bounds[order[order.length - 1]] !== Infinity) return undefined;
        if (count !== undefined && count !== previous) return undefined;
        dp.count = String(previous);
        dp.bucketCounts = counts;
        dp.explicitBounds = explicit;
      }
      dataPoints.push(dp);
    }
  }
  const head: Json = { name, unit: first.b.series.unit };
  if (first.b.series.help !== undefined) head.description = first.b.series.help;
  return type === 'histogram'
    ? { ...head, histogram: { aggregationTemporality: 2, dataPoints } }
    : { ...head, summary: { dataPoints } };
}

/**
 * Writes batches as one OTLP JSON metrics document (see the module comment). Batches of the
 * same series are merged and sorted by time.
 *
 * Empty input: a document with no metrics. Complexity O(points log points).
 * @example
 * writeOtlpJson([batch]) // '{"resourceMetrics":[{"resource":{"attributes":[]},"scopeMetrics":[…]}]}'
 */
export function writeOtlpJson(batches: PointBatch[]): string {
  const merged = mergeBatches(batches).map(sortBatch);
  const plan = planOpenMetrics(merged.map((b) => b.series));
  const families = new Map<object, Member[]>();
  const plain: PointBatch[] = [];
  for (const b of merged) {
    const p = plan.of(b.series);
    if (p === undefined || (p.family.type !== 'histogram' && p.family.type !== 'summary')) {
      plain.push(b);
      continue;
    }
    const list = families.get(p.family);
    if (list === undefined) families.set(p.family, [{ b, p }]);
    else list.push({ b, p });
  }
  const metrics: Json[] = plain.map(plainMetric);
  for (const members of families.values()) {
    const type = members[0].p.family.type as 'histogram' | 'summary';
    const m = complexMetric(members, type);
    if (m !== undefined) metrics.push(m);
    else for (const x of members) metrics.push(plainMetric(x.b));
  }
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: [] },
        scopeMetrics: [{ scope: { name: 'tidemark' }, metrics }]
      }
    ]
  });
}
