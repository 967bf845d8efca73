import type { PointBatch, SeriesDescriptor } from '../types';
import { seriesKey } from '../types/series-key';
import { formatMsAsSeconds, formatPromValue } from './encode';
import { mergeBatches } from './merge';
import { formatPromUnit, sanitizePromLabels, translateMetricName } from './prom-names';

/**
 * OpenMetrics 1.0 text writer
 * (https://github.com/OpenObservability/OpenMetrics/blob/main/specification/OpenMetrics.md),
 * written so that promtool (`tsdb create-blocks-from openmetrics`) and strict parsers (the
 * rules ingest/openmetrics-validate.ts checks) accept it for any input:
 * - names and label names translated from OpenTelemetry (prom-names.ts);
 * - families keyed by their full name, each with `# TYPE`, `# UNIT` when the name ends with
 *   the unit's word, and `# HELP`; counters as `<family>_total`;
 * - `x_bucket` (with `le`) + `x_sum` + `x_count` as one histogram family, `x{quantile}` +
 *   `x_sum` + `x_count` as one summary family, each metric written whole per timestamp
 *   (buckets ascending, then `_count`, `_sum`);
 * - two series that want one family name with different types (Go's gauge `x` beside its
 *   counter `x_total`): the gauge keeps the name, the other is written as an `unknown` family
 *   under its own sample name, so no sample changes its name or is lost;
 * - samples OpenMetrics forbids are left out and counted (`skipped`): a counter or histogram
 *   value that is NaN or negative, a histogram point without a `+Inf` bucket or not
 *   cumulative, a timestamp not after the previous one of the same metric;
 * - `# EOF` last. Timestamps are seconds with exact decimal milliseconds.
 */

export type OpenMetricsType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'unknown';

/** One family of the output. */
export interface OpenMetricsFamily {
  name: string;
  type: OpenMetricsType;
  /** Written as `# UNIT` (the name ends with `_<unit>`). */
  unit?: string;
  help?: string;
}

/** Where one series goes: its family, its role in it, and its labels as written. */
export interface OpenMetricsSeries {
  family: OpenMetricsFamily;
  role: 'value' | 'bucket' | 'quantile' | 'sum' | 'count';
  /** The sample name written. */
  sample: string;
  labels: Record<string, string>;
}

/** Every series of an export mapped to its family; `of` returns undefined for one left out. */
export interface OpenMetricsPlan {
  families: OpenMetricsFamily[];
  of(series: Pick<SeriesDescriptor, 'name' | 'labels'>): OpenMetricsSeries | undefined;
  /** Series left out because even their own name was taken by a family of another type. */
  leftOut: SeriesDescriptor[];
}

const TypeRank: Record<OpenMetricsType, number> = {
  gauge: 0,
  summary: 1,
  histogram: 2,
  counter: 3,
  unknown: 4
};

const ROLE_SUFFIX: Record<OpenMetricsSeries['role'], string> = {
  value: '',
  bucket: '_bucket',
  quantile: '',
  sum: '_sum',
  count: '_count'
};

function familyKind(type: OpenMetricsType): 'gauge' | 'counter' | 'histogram' {
  return type === 'counter'
    ? 'counter'
    : type === 'gauge' || type === 'unknown'
      ? 'gauge'
      : 'histogram';
}

/**
 * Maps every series of an export to an OpenMetrics family. Deterministic: the same series give
 * the same plan whatever their order, except which of two same-typed series names a family's
 * HELP (the first).
 *
 * Empty input: no families. Complexity O(series × labels).
 * @example
 * planOpenMetrics([{ name: 'system.cpu.time', unit: 's', kind: 'counter', labels: {}, … }])
 *   .of(desc) // { family: { name: 'system_cpu_time_seconds', type: 'counter', unit: 'seconds' }, sample: 'system_cpu_time_seconds_total', … }
 */
export function planOpenMetrics(all: SeriesDescriptor[]): OpenMetricsPlan {
  // Families are found on the names as stored (`http.server.duration_bucket` with `le` is a
  // histogram bucket), then the family's base name is translated once, with its unit word.
  const histograms = new Set<string>();
  const summaries = new Set<string>();
  const counters = new Set<string>();
  for (const d of all) {
    if (d.kind === 'histogram_bucket' && d.name.endsWith('_bucket') && 'le' in d.labels)
      histograms.add(d.name.slice(0, -7));
    if (d.kind === 'counter') counters.add(d.name);
  }
  for (const d of all) {
    if (d.kind !== 'histogram_bucket' && 'quantile' in d.labels && !histograms.has(d.name))
      summaries.add(d.name);
    // A summary without quantiles: `x_sum` and `x_count` counters and no histogram `x`.
    const m = /^(.*)_count$/.exec(d.name);
    if (m !== null && counters.has(d.name) && counters.has(`${m[1]}_sum`) && !histograms.has(m[1]))
      summaries.add(m[1]);
  }

  interface Want {
    d: SeriesDescriptor;
    family: string;
    type: OpenMetricsType;
    role: OpenMetricsSeries['role'];
    labels: Record<string, string>;
  }
  const wants: Want[] = all.map((d) => {
    const labels = sanitizePromLabels(d.labels);
    const part = /^(.*)_(sum|count)$/.exec(d.name);
    const base = (name: string, kind: 'gauge' | 'counter' | 'histogram') =>
      translateMetricName(name, d.unit, kind).name;
    if (d.kind === 'histogram_bucket' && histograms.has(d.name.slice(0, -7)) && 'le' in d.labels)
      return {
        d,
        family: base(d.name.slice(0, -7), 'histogram'),
        type: 'histogram',
        role: 'bucket',
        labels
      };
    if (
      part !== null &&
      d.kind !== 'histogram_bucket' &&
      histograms.has(part[1]) &&
      !('le' in d.labels)
    )
      return {
        d,
        family: base(part[1], 'histogram'),
        type: 'histogram',
        role: part[2] as 'sum' | 'count',
        labels
      };
    if (summaries.has(d.name) && 'quantile' in d.labels)
      return { d, family: base(d.name, 'histogram'), type: 'summary', role: 'quantile', labels };
    if (part !== null && summaries.has(part[1]) && !('quantile' in d.labels))
      return {
        d,
        family: base(part[1], 'histogram'),
        type: 'summary',
        role: part[2] as 'sum' | 'count',
        labels
      };
    if (d.kind === 'counter') {
      const name = base(d.name, 'counter');
      return {
        d,
        family: name.endsWith('_total') ? name.slice(0, -6) : name,
        type: 'counter',
        role: 'value',
        labels
      };
    }
    return { d, family: base(d.name, 'gauge'), type: 'gauge', role: 'value', labels };
  });

  // One type per family name: the lowest rank keeps it; the others fall back to `unknown`
  // under their own sample name.
  const owner = new Map<string, OpenMetricsType>();
  for (const w of wants) {
    const had = owner.get(w.family);
    if (had === undefined || TypeRank[w.type] < TypeRank[had]) owner.set(w.family, w.type);
  }
  const families = new Map<string, OpenMetricsFamily>();
  const bySeries = new Map<string, OpenMetricsSeries>();
  const leftOut: SeriesDescriptor[] = [];
  const sampleOf = (family: string, type: OpenMetricsType, role: OpenMetricsSeries['role']) =>
    type === 'counter' ? `${family}_total` : family + ROLE_SUFFIX[role];
  // Sample names of the families that keep their name, which a fallback must not take.
  const taken = new Set<string>();
  for (const w of wants)
    if (owner.get(w.family) === w.type) taken.add(sampleOf(w.family, w.type, w.role));
  for (const w of wants) {
    let { family, type, role } = w;
    if (owner.get(family) !== type) {
      const own = sampleOf(family, type, role);
      if (owner.has(own) || taken.has(own)) {
        leftOut.push(w.d);
        continue;
      }
      family = own;
      type = 'unknown';
      role = 'value';
      owner.set(own, 'unknown');
    }
    let f = families.get(family);
    if (f === undefined) {
      const word = formatPromUnit(w.d.unit, familyKind(type));
      f = {
        name: family,
        type,
        ...(word !== '' && family.endsWith(`_${word}`) ? { unit: word } : {}),
        ...(w.d.help !== undefined ? { help: w.d.help } : {})
      };
      families.set(family, f);
    }
    bySeries.set(seriesKey(w.d.name, w.d.labels), {
      family: f,
      role,
      sample: sampleOf(family, type, role),
      labels: w.labels
    });
  }
  return {
    families: [...families.values()],
    of: (d) => bySeries.get(seriesKey(d.name, d.labels)),
    leftOut
  };
}

/**
 * A family's key for ordering writers: series of one family are written together.
 *
 * Empty input: not applicable. Complexity O(1) once planned.
 * @example
 * openMetricsFamilyKey(plan, desc) // 'node_cpu_seconds'
 */
export function openMetricsFamilyKey(
  plan: OpenMetricsPlan,
  series: Pick<SeriesDescriptor, 'name' | 'labels'>
): string {
  return plan.of(series)?.family.name ?? '';
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** Escapes a label value for the text formats. */
export function formatOpenMetricsLabels(labels: Record<string, string>): string {
  const keys = Object.keys(labels);
  return keys.length === 0
    ? ''
    : `{${keys.map((k) => `${k}="${escapeLabelValue(labels[k])}"`).join(',')}}`;
}

/** The `# TYPE`/`# UNIT`/`# HELP` lines that open a family. */
export function formatOpenMetricsFamilyHead(f: OpenMetricsFamily): string {
  return (
    `# TYPE ${f.name} ${f.type}\n` +
    (f.unit !== undefined ? `# UNIT ${f.name} ${f.unit}\n` : '') +
    (f.help !== undefined ? `# HELP ${f.name} ${escapeHelp(f.help)}\n` : '')
  );
}

/** Sorting key of a bucket bound or quantile (`+Inf` last). */
function boundOf(text: string): number {
  const n = Number(text);
  if (!Number.isNaN(n)) return n;
  return /^\+?inf/i.test(text) ? Infinity : /^-inf/i.test(text) ? -Infinity : NaN;
}

interface Held {
  plan: OpenMetricsSeries;
  t: Float64Array;
  v: Float64Array;
}

/**
 * Writes one histogram or summary family, given every series of it: per metric (labels
 * without `le`/`quantile`, first-seen order), per timestamp ascending, the buckets ascending
 * (or quantiles), `_count`, `_sum`. A metric point that breaks OpenMetrics is left out whole.
 */
function formatComplexFamily(
  members: Held[],
  type: 'histogram' | 'summary'
): { text: string; skipped: number; written: Set<Held> } {
  const written = new Set<Held>();
  const by = type === 'histogram' ? 'le' : 'quantile';
  const metrics = new Map<string, { labels: Record<string, string>; series: Held[] }>();
  for (const h of members) {
    const { [by]: _, ...rest } = h.plan.labels;
    const k = seriesKey('', rest);
    let m = metrics.get(k);
    if (m === undefined) metrics.set(k, (m = { labels: rest, series: [] }));
    m.series.push(h);
  }
  const out: string[] = [];
  let skipped = 0;
  for (const m of metrics.values()) {
    const parts = m.series
      .map((h) => ({
        h,
        bound:
          h.plan.role === 'bucket' || h.plan.role === 'quantile' ? boundOf(h.plan.labels[by]) : NaN
      }))
      .sort((a, b) => {
        const rank = (x: typeof a) =>
          x.h.plan.role === 'count' ? 1 : x.h.plan.role === 'sum' ? 2 : 0;
        return rank(a) - rank(b) || a.bound - b.bound;
      });
    // value per part at each timestamp
    const at = parts.map((p) => {
      const map = new Map<number, number>();
      for (let i = 0; i < p.h.t.length; i++) map.set(p.h.t[i], p.h.v[i]);
      return map;
    });
    const times = [...new Set(parts.flatMap((p) => [...p.h.t]))].sort((a, b) => a - b);
    const prefixes = parts.map(
      (p) => p.h.plan.sample + formatOpenMetricsLabels(p.h.plan.labels) + ' '
    );
    for (const t of times) {
      const values = at.map((a) => a.get(t));
      const present = values.filter((v) => v !== undefined).length;
      if (!validPoint(parts, values, type)) {
        skipped += present;
        continue;
      }
      const ts = formatMsAsSeconds(t);
      for (let i = 0; i < parts.length; i++) {
        const v = values[i];
        if (v === undefined) continue;
        out.push(`${prefixes[i]}${formatPromValue(v)} ${ts}\n`);
        written.add(parts[i].h);
      }
    }
  }
  return { text: out.join(''), skipped, written };
}

function validPoint(
  parts: { h: Held; bound: number }[],
  values: (number | undefined)[],
  type: 'histogram' | 'summary'
): boolean {
  let inf: number | undefined;
  let previous = -Infinity;
  let bound = -Infinity;
  for (let i = 0; i < parts.length; i++) {
    const v = values[i];
    if (v === undefined) continue;
    const { role } = parts[i].h.plan;
    if (role === 'quantile') {
      const q = parts[i].bound;
      // A quantile's value may be NaN (no observations yet), never negative.
      if (!(q >= 0 && q <= 1) || q === bound || v < 0) return false;
      bound = q;
      continue;
    }
    // Counts are non-negative integers; a sum is non-negative.
    if (!(v >= 0) || (role !== 'sum' && !Number.isInteger(v))) return false;
    if (role === 'bucket') {
      if (parts[i].bound === bound || Number.isNaN(parts[i].bound) || v < previous) return false;
      bound = parts[i].bound;
      previous = v;
      if (bound === Infinity) inf = v;
    }
    if (role === 'sum' && type === 'histogram' && parts.some((p) => p.bound < 0)) return false;
    if (role === 'count' && type === 'histogram' && inf !== undefined && v !== inf) return false;
  }
  return type === 'summary' || inf !== undefined;
}

/** A writer of OpenMetrics text fed series in family order (see `orderSeriesForFormat`). */
export interface OpenMetricsStream {
  write(batch: PointBatch): string;
  end(): string;
  skipped(): number;
  /** Series with at least one sample written. */
  series(): number;
}

/**
 * The streaming OpenMetrics writer: gauges and counters are written as they come; the series of
 * a histogram or summary family are held until the family ends, then written whole per
 * timestamp. Series must come one family at a time, each series' points in time order.
 *
 * Empty input: '# EOF\n' from `end`. Complexity O(points); memory O(points of one
 * histogram/summary family).
 * @example
 * const w = createOpenMetricsStream(plan); w.write(batch) + w.end()
 */
export function createOpenMetricsStream(plan: OpenMetricsPlan): OpenMetricsStream {
  let family: OpenMetricsFamily | undefined;
  let held: Held[] = [];
  let skipped = 0;
  let series = 0;
  const lastT = new Map<string, number>();
  const flush = (): string => {
    if (family === undefined || held.length === 0) return '';
    const r = formatComplexFamily(held, family.type as 'histogram' | 'summary');
    held = [];
    skipped += r.skipped;
    series += r.written.size;
    return r.text;
  };
  return {
    skipped: () => skipped,
    series: () => series,
    write(b) {
      const p = plan.of(b.series);
      if (p === undefined) {
        skipped += b.t.length;
        return '';
      }
      let out = '';
      if (p.family !== family) {
        out += flush();
        family = p.family;
        out += formatOpenMetricsFamilyHead(family);
      }
      const key = seriesKey(p.sample, p.labels);
      let last = lastT.get(key) ?? -Infinity;
      if (family.type === 'histogram' || family.type === 'summary') {
        // Hold the points, each series' timestamps strictly increasing.
        const keep: number[] = [];
        for (let i = 0; i < b.t.length; i++) {
          if (b.t[i] > last) {
            keep.push(i);
            last = b.t[i];
          } else skipped++;
        }
        lastT.set(key, last);
        const prior = held.find((h) => h.plan === p);
        const t = Float64Array.from(keep, (i) => b.t[i]);
        const v = Float64Array.from(keep, (i) => b.v[i]);
        if (prior === undefined) held.push({ plan: p, t, v });
        else {
          prior.t = concat(prior.t, t);
          prior.v = concat(prior.v, v);
        }
        return out;
      }
      const prefix = p.sample + formatOpenMetricsLabels(p.labels) + ' ';
      const lines: string[] = [out];
      const before = last;
      const counter = family.type === 'counter';
      for (let i = 0; i < b.t.length; i++) {
        const t = b.t[i];
        // OpenMetrics: a counter's value MUST NOT be NaN or negative, and a metric's
        // timestamps increase; such samples (a gap, a reset recorded as a negative, a
        // duplicate time) are left out and counted, never written invalid.
        if ((counter && !(b.v[i] >= 0)) || !(t > last)) {
          skipped++;
          continue;
        }
        last = t;
        lines.push(`${prefix}${formatPromValue(b.v[i])} ${formatMsAsSeconds(t)}\n`);
      }
      lastT.set(key, last);
      if (before === -Infinity && last !== -Infinity) series++;
      return lines.join('');
    },
    end: () => flush() + '# EOF\n'
  };
}

function concat(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * The order series must be written in: each family contiguous (families in first-seen order,
 * series stable within a family).
 *
 * Empty input: []. Complexity O(series log series).
 * @example
 * orderOpenMetricsSeries(plan, [a_total, b, a_total2]) // [0, 2, 1]
 */
export function orderOpenMetricsSeries(
  plan: OpenMetricsPlan,
  series: Pick<SeriesDescriptor, 'name' | 'labels'>[]
): number[] {
  const keys = series.map((s) => openMetricsFamilyKey(plan, s));
  const first = new Map<string, number>();
  keys.forEach((k, i) => {
    if (!first.has(k)) first.set(k, i);
  });
  return series.map((_, i) => i).sort((a, b) => first.get(keys[a])! - first.get(keys[b])! || a - b);
}

/**
 * Writes batches as OpenMetrics text (see the module comment). Batches of the same series
 * are merged; each series' points are sorted by time.
 *
 * Empty input: just '# EOF\n'. Complexity O(points log points).
 * @example
 * writeOpenMetrics([{ series: { name: 'up', labels: {}, unit: '', kind: 'gauge', source: 'import', category: 'app' }, t: Float64Array.of(1000), v: Float64Array.of(1) }])
 * // '# TYPE up gauge\nup 1 1\n# EOF\n'
 */
export function writeOpenMetrics(batches: PointBatch[]): string {
  const merged = mergeBatches(batches).map(sortBatch);
  const plan = planOpenMetrics(merged.map((b) => b.series));
  const w = createOpenMetricsStream(plan);
  const out: string[] = [];
  for (const i of orderOpenMetricsSeries(
    plan,
    merged.map((b) => b.series)
  ))
    out.push(w.write(merged[i]));
  out.push(w.end());
  return out.join('');
}

/**
 * A batch with its points in time order (stable for equal times); the batch itself when
 * already sorted.
 *
 * Empty input: the batch. Complexity O(n log n).
 * @example
 * sortBatch({ series, t: [2, 1], v: [20, 10] }) // t [1, 2], v [10, 20]
 */
export function sortBatch(b: PointBatch): PointBatch {
  let sorted = true;
  for (let i = 1; i < b.t.length && sorted; i++) if (b.t[i] < b.t[i - 1]) sorted = false;
  if (sorted) return b;
  const idx = Array.from(b.t.keys()).sort((i, j) => b.t[i] - b.t[j] || i - j);
  return {
    series: b.series,
    t: Float64Array.from(idx, (i) => b.t[i]),
    v: Float64Array.from(idx, (i) => b.v[i])
  };
}
