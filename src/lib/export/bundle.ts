import { strToU8, zipSync } from 'fflate';
import type { PointBatch, ResultEvent, SeriesDescriptor } from '../types';
import { encodeJsonNumber } from './encode';
import { mergeBatches } from './merge';
import { encodeEvent } from './ndjson';

/**
 * The Tidemark export bundle, version 1.
 *
 * As a zip (fflate, deflate):
 * - `manifest.json`: `{ "format": "tidemark-bundle", "version": 1, "createdAt": ISO-8601,
 *   "seriesCount", "pointCount", "eventCount" }`;
 * - `series.ndjson`: one line per series,
 *   `{ "series": SeriesDescriptor, "t": [epoch ms…], "v": [values…] }` (columnar points);
 * - `events.ndjson`: one `ResultEvent` per line.
 * As a single NDJSON file, the same content with a `type` on each line:
 * `{"type":"manifest",…manifest}`, then `{"type":"series","series":…,"t":…,"v":…}` lines, then
 * `{"type":"event","event":{…}}` lines.
 * Numbers that JSON cannot carry (NaN, ±Infinity, -0) are the strings "NaN", "+Inf", "-Inf",
 * "-0". Readers must ignore unknown entries and fields; `version` changes when a reader of
 * the previous version would misread a bundle.
 */
export const BundleFormat = { format: 'tidemark-bundle', version: 1 } as const;

export interface BundleContent {
  series: PointBatch[];
  events: ResultEvent[];
  /** Epoch ms the bundle is stamped with (the caller's clock). */
  createdAt: number;
}

export interface BundleManifest {
  format: 'tidemark-bundle';
  version: 1;
  createdAt: string;
  seriesCount: number;
  pointCount: number;
  eventCount: number;
}

/**
 * The manifest for some content.
 *
 * Empty input: counts of 0. Complexity O(series).
 * @example
 * createManifest({ series: [], events: [], createdAt: 0 }).createdAt // '1970-01-01T00:00:00.000Z'
 */
export function createManifest(content: BundleContent): BundleManifest {
  const merged = mergeBatches(content.series);
  return {
    ...BundleFormat,
    createdAt: new Date(content.createdAt).toISOString(),
    seriesCount: merged.length,
    pointCount: merged.reduce((s, b) => s + b.t.length, 0),
    eventCount: content.events.length
  };
}

function describe(s: SeriesDescriptor): SeriesDescriptor {
  const d: SeriesDescriptor = {
    name: s.name,
    labels: s.labels,
    unit: s.unit,
    kind: s.kind,
    source: s.source,
    category: s.category
  };
  if (s.help !== undefined) d.help = s.help;
  return d;
}

/**
 * One `series` line of a bundle (`type: 'series'` in the single-file form).
 *
 * Empty input: a line with empty `t` and `v`. Complexity O(points).
 * @example
 * formatBundleSeriesLine(batch, true) // '{"type":"series","series":{…},"t":[…],"v":[…]}'
 */
export function formatBundleSeriesLine(b: PointBatch, type: boolean): string {
  return JSON.stringify({
    ...(type ? { type: 'series' } : {}),
    series: describe(b.series),
    t: Array.from(b.t, encodeJsonNumber),
    v: Array.from(b.v, encodeJsonNumber)
  });
}

/**
 * Writes a bundle zip.
 *
 * Empty input: a zip with a manifest and two empty NDJSON files. Complexity O(points).
 * @example
 * const zip = writeBundleZip({ series: [], events: [], createdAt: 0 });
 */
export function writeBundleZip(content: BundleContent): Uint8Array {
  const merged = mergeBatches(content.series);
  const series = merged.map((b) => formatBundleSeriesLine(b, false) + '\n').join('');
  const events = content.events.map((e) => JSON.stringify(encodeEvent(e)) + '\n').join('');
  return zipSync({
    'manifest.json': strToU8(JSON.stringify(createManifest(content), null, 2)),
    'series.ndjson': strToU8(series),
    'events.ndjson': strToU8(events)
  });
}

/**
 * Writes the single-file NDJSON form of a bundle.
 *
 * Empty input: the manifest line only. Complexity O(points).
 * @example
 * writeBundleNdjson({ series: [], events: [], createdAt: 0 }).startsWith('{"type":"manifest"') // true
 */
export function writeBundleNdjson(content: BundleContent): string {
  const merged = mergeBatches(content.series);
  const lines = [JSON.stringify({ type: 'manifest', ...createManifest(content) })];
  for (const b of merged) lines.push(formatBundleSeriesLine(b, true));
  for (const e of content.events)
    lines.push(JSON.stringify({ type: 'event', event: encodeEvent(e) }));
  return lines.join('\n') + '\n';
}
