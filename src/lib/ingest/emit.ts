import type { SeriesKind } from '../types';
import { formatSeriesKey, guessCategory, guessUnit } from './naming';
import type { BatchSink, SeriesSlot } from './sink';

/** What a reader knows about a series when it first meets it. */
export interface SeriesMeta {
  name: string;
  labels: Record<string, string>;
  unit?: string;
  kind?: SeriesKind;
  help?: string;
}

/**
 * The sink slot of a series, its descriptor made once from `meta` (unit and category
 * guessed from the name when not given). Shared by the readers that have no byte path.
 *
 * Empty name: a series named ''. Complexity O(labels).
 * @example
 * sink.point(seriesSlot(sink, { name: 'up', labels: {} }), 1_700_000_000_000, 1);
 */
export function seriesSlot(sink: BatchSink, meta: SeriesMeta): SeriesSlot {
  return sink.slot(formatSeriesKey(meta.name, meta.labels), () => ({
    name: meta.name,
    labels: meta.labels,
    unit: meta.unit ?? guessUnit(meta.name),
    kind: meta.kind ?? 'gauge',
    source: 'import',
    category: guessCategory(meta.name),
    ...(meta.help ? { help: meta.help } : {})
  }));
}

/** Adds one point to the series `meta` names. Complexity O(labels). */
export function emitPoint(sink: BatchSink, meta: SeriesMeta, t: number, v: number): void {
  sink.point(seriesSlot(sink, meta), t, v);
}
