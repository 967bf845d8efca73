import {
  TierWidthMs,
  type Aggregate,
  type Columnar,
  type SeriesDescriptor,
  type SeriesRecord
} from '../types';
import { ExportDefaults, type ExportResolution, type OutputSeries } from './types';

/**
 * How an export cuts its scope into reads: time slices sized for a bounded number of points,
 * clipped so neighbouring slices never repeat a point, and the output series a spec makes.
 */

/**
 * Slices of [from, to], each `widthMs` wide (at least 1 ms); the last one ends at `to`.
 *
 * Empty input (from > to, or NaN): []. Complexity O(slices).
 * @example
 * sliceRange(0, 25, 10) // [[0, 10], [10, 20], [20, 25]]
 */
export function sliceRange(from: number, to: number, widthMs: number): [number, number][] {
  const out: [number, number][] = [];
  if (!(from <= to)) return out;
  const w = Math.max(1, widthMs);
  for (let a = from; a <= to; a += w) {
    const b = Math.min(to, a + w);
    out.push([a, b]);
    if (b >= to) break;
  }
  return out;
}

/**
 * Keeps points in [a, b) — or [a, b] on the last slice, and from the start on the first —
 * so slices never repeat a point. Returns `c` itself when nothing is cut (subarrays otherwise;
 * the input is never copied or mutated).
 *
 * Empty input: empty columns. Complexity O(points cut).
 * @example
 * clip({ t: [0, 5, 10], v: [1, 2, 3] }, 0, 10, true, false) // { t: [0, 5], v: [1, 2] }
 */
export function clip(c: Columnar, a: number, b: number, first: boolean, last: boolean): Columnar {
  let lo = 0;
  let hi = c.t.length;
  if (!first) while (lo < hi && c.t[lo] < a) lo++;
  if (!last) while (hi > lo && c.t[hi - 1] >= b) hi--;
  return lo === 0 && hi === c.t.length ? c : { t: c.t.subarray(lo, hi), v: c.v.subarray(lo, hi) };
}

/**
 * The descriptor an output series is written under: the stored series, or for a rollup
 * aggregate the series with `aggregate` and `resolution` labels (and kind gauge, unless the
 * aggregate keeps the series' meaning: sum and last).
 *
 * Complexity O(labels).
 * @example
 * describeOutput(cpu, 'max', '1h').labels // { ...cpu.labels, aggregate: 'max', resolution: '1h' }
 */
export function describeOutput(
  record: SeriesRecord,
  aggregate: Aggregate | null,
  tier: ExportResolution
): SeriesDescriptor {
  const d: SeriesDescriptor = {
    name: record.name,
    labels:
      aggregate === null ? { ...record.labels } : { ...record.labels, aggregate, resolution: tier },
    unit: record.unit,
    kind: aggregate === null || aggregate === 'sum' || aggregate === 'last' ? record.kind : 'gauge',
    source: record.source,
    category: record.category
  };
  if (record.help !== undefined) d.help = record.help;
  return d;
}

/**
 * The output series of an export, in record order: one per record for raw points, one per
 * record and aggregate (in the spec's order) for a rollup tier.
 *
 * Empty input: []. Complexity O(records × aggregates).
 */
export function listOutputs(
  records: SeriesRecord[],
  spec: { resolution: ExportResolution; aggregates: Aggregate[] }
): OutputSeries[] {
  const outputs: OutputSeries[] = [];
  for (const record of records) {
    const aggs: (Aggregate | null)[] = spec.resolution === 'raw' ? [null] : spec.aggregates;
    for (const aggregate of aggs)
      outputs.push({
        record,
        aggregate,
        descriptor: describeOutput(record, aggregate, spec.resolution)
      });
  }
  return outputs;
}

/**
 * Width of one read slice of `record`: about `slicePoints` raw points at the series' mean
 * density (at least a second), or `sliceBuckets` buckets of a rollup tier.
 *
 * Complexity O(1).
 */
export function sliceWidthMs(record: SeriesRecord, resolution: ExportResolution): number {
  if (resolution !== 'raw') return ExportDefaults.sliceBuckets * TierWidthMs[resolution];
  const span = Math.max(1, (record.lastT ?? 0) - (record.firstT ?? 0));
  const density = Math.max(1e-12, (record.points ?? 1) / span);
  return Math.max(1000, ExportDefaults.slicePoints / density);
}

/**
 * Points the records hold in [from, to], assuming each is spread evenly over its span; the
 * progress bar's total.
 *
 * Empty input: 0. Complexity O(records).
 */
export function estimatePoints(records: SeriesRecord[], from: number, to: number): number {
  return records.reduce((sum, s) => {
    const span = Math.max(1, (s.lastT ?? 0) - (s.firstT ?? 0));
    const overlap = Math.max(
      0,
      Math.min(to, s.lastT ?? -Infinity) - Math.max(from, s.firstT ?? Infinity)
    );
    return sum + (s.firstT === s.lastT ? (s.points ?? 0) : ((s.points ?? 0) * overlap) / span);
  }, 0);
}

/**
 * Outputs grouped by their record, groups in order of first appearance and outputs in
 * their given order within a group: a record's aggregates are read in one pass.
 *
 * Empty input: []. Complexity O(outputs).
 * @example
 * groupByRecord([cpuMax, memMax, cpuAvg]) // [[cpuMax, cpuAvg], [memMax]]
 */
export function groupByRecord(outputs: OutputSeries[]): OutputSeries[][] {
  const byRecord = new Map<number, OutputSeries[]>();
  for (const o of outputs) {
    const list = byRecord.get(o.record.id);
    if (list) list.push(o);
    else byRecord.set(o.record.id, [o]);
  }
  return [...byRecord.values()];
}
