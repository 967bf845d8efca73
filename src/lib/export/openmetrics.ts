import type { PointBatch, SeriesDescriptor } from '../types';
import { formatMsAsSeconds, formatPromValue } from './encode';
import { mergeBatches } from './merge';

/**
 * OpenMetrics 1.0 text writer
 * (https://github.com/OpenObservability/OpenMetrics/blob/main/specification/OpenMetrics.md).
 * Families: `*_total` counters → `counter` family without the suffix; `*_bucket` histogram
 * buckets (with their `_sum`/`_count`) → `histogram`; gauges → `gauge`; counters without
 * `_total` → `unknown` (OpenMetrics requires the suffix, so they read back as gauges).
 * Timestamps are written in seconds with exact decimal ms; the file ends with `# EOF`.
 */

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

type FamilyType = 'counter' | 'gauge' | 'histogram' | 'unknown';

interface Family {
  name: string;
  type: FamilyType;
  help?: string;
  members: PointBatch[];
}

function familyOf(b: { series: SeriesDescriptor }): { name: string; type: FamilyType } {
  const { name, kind } = b.series;
  if (kind === 'histogram_bucket' && name.endsWith('_bucket'))
    return { name: name.slice(0, -7), type: 'histogram' };
  if (kind === 'counter' && name.endsWith('_total'))
    return { name: name.slice(0, -6), type: 'counter' };
  return { name, type: kind === 'counter' ? 'unknown' : 'gauge' };
}

/**
 * The OpenMetrics family a series is written under, given every series of the export (a
 * histogram's `_sum`/`_count` counters join the histogram family). Streaming writers order
 * series by this key so each family's samples are contiguous, as the format requires.
 *
 * Empty input: not applicable. Complexity O(series) per call.
 * @example
 * openMetricsFamily(desc, all) // { name: 'req', type: 'counter', key: 'counter\u0000req' }
 */
export function openMetricsFamily(
  series: SeriesDescriptor,
  all: SeriesDescriptor[]
): { name: string; type: FamilyType; key: string } {
  let f = familyOf({ series });
  const m = /^(.*)_(sum|count)$/.exec(series.name);
  if (
    m !== null &&
    series.kind !== 'histogram_bucket' &&
    all.some(
      (s) => familyOf({ series: s }).type === 'histogram' && familyOf({ series: s }).name === m[1]
    )
  )
    f = { name: m[1], type: 'histogram' };
  return { ...f, key: `${f.type}\u0000${f.name}` };
}

/** Escapes a label value for the text formats. */
export function formatOpenMetricsLabels(labels: Record<string, string>): string {
  const keys = Object.keys(labels);
  return keys.length === 0
    ? ''
    : `{${keys.map((k) => `${k}="${escapeLabelValue(labels[k])}"`).join(',')}}`;
}

/** The `# TYPE`/`# HELP` lines that open a family. */
export function formatOpenMetricsFamilyHead(f: {
  name: string;
  type: string;
  help?: string;
}): string {
  return `# TYPE ${f.name} ${f.type}\n${f.help !== undefined ? `# HELP ${f.name} ${escapeHelp(f.help)}\n` : ''}`;
}

/**
 * Writes batches as OpenMetrics text. Batches of the same series are merged; points keep
 * their order. A histogram's `_sum`/`_count` counters join the histogram family.
 *
 * Empty input: just '# EOF\n'. Complexity O(points + series log series).
 * @example
 * writeOpenMetrics([{ series: { name: 'up', labels: {}, unit: '', kind: 'gauge', source: 'import', category: 'app' }, t: Float64Array.of(1000), v: Float64Array.of(1) }])
 * // '# TYPE up gauge\nup 1 1\n# EOF\n'
 */
export function writeOpenMetrics(batches: PointBatch[]): string {
  const merged = mergeBatches(batches);
  const families = new Map<string, Family>();
  const histograms = new Set(
    merged.filter((b) => familyOf(b).type === 'histogram').map((b) => familyOf(b).name)
  );
  for (const b of merged) {
    let f = familyOf(b);
    const m = /^(.*)_(sum|count)$/.exec(b.series.name);
    if (m !== null && histograms.has(m[1]) && b.series.kind !== 'histogram_bucket')
      f = { name: m[1], type: 'histogram' };
    const key = `${f.type}\u0000${f.name}`;
    let family = families.get(key);
    if (family === undefined) {
      family = { name: f.name, type: f.type, help: b.series.help, members: [] };
      families.set(key, family);
    }
    family.members.push(b);
  }
  const out: string[] = [];
  for (const f of families.values()) {
    out.push(`# TYPE ${f.name} ${f.type}\n`);
    if (f.help !== undefined) out.push(`# HELP ${f.name} ${escapeHelp(f.help)}\n`);
    for (const b of f.members) {
      const keys = Object.keys(b.series.labels);
      const labels =
        keys.length === 0
          ? ''
          : `{${keys.map((k) => `${k}="${escapeLabelValue(b.series.labels[k])}"`).join(',')}}`;
      const prefix = b.series.name + labels + ' ';
      for (let i = 0; i < b.t.length; i++)
        out.push(`${prefix}${formatPromValue(b.v[i])} ${formatMsAsSeconds(b.t[i])}\n`);
    }
  }
  out.push('# EOF\n');
  return out.join('');
}
