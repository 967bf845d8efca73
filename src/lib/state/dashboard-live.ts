import type { ChangeNotice } from '$lib/types';
import { idRangesHas, maxIdInRanges } from '$lib/types/id-ranges';
import type { Widget } from '$lib/types/dashboard';

export const DashboardLiveDefaults = {
  /** Widgets touched by new data re-query at most this often (notices come many a second). */
  throttleMs: 2_000
};

/** Notices after which every widget may show something else. */
const EveryWidget = new Set<ChangeNotice['kind']>([
  'series',
  'cleared',
  'retention',
  'import-ended'
]);

/**
 * The widgets a change notice makes stale, by id: for new points, the series widgets that
 * draw one of the written series (or may match a series newer than any they draw); for new
 * events, the widgets built from the result log; for anomalies, the anomaly tables; after a
 * new series, an import, retention or a clear, all of them. `seriesIdsOf` gives the ids a
 * widget drew last (undefined before its first answer: it is loading anyway).
 *
 * Empty input: no ids. O(widgets × log ranges).
 * @example
 * widgetsTouchedBy({ kind: 'events', count: 3 }, widgets, () => undefined) // ids of the event widgets
 */
export function widgetsTouchedBy(
  notice: ChangeNotice,
  widgets: readonly Widget[],
  seriesIdsOf: (widget: Widget) => readonly number[] | undefined
): string[] {
  const out: string[] = [];
  for (const w of widgets) {
    if (w.kind === 'note') continue;
    const source = w.source.kind;
    let touched = EveryWidget.has(notice.kind);
    if (notice.kind === 'points' && source === 'series') {
      const ids = seriesIdsOf(w);
      if (ids) {
        const newest = ids.reduce((m, id) => Math.max(m, id), -Infinity);
        touched =
          ids.some((id) => idRangesHas(notice.ids, id)) || maxIdInRanges(notice.ids) > newest;
      }
    }
    if (notice.kind === 'events')
      touched ||=
        source === 'view' ||
        source === 'question' ||
        source === 'summary' ||
        source === 'durations';
    if (notice.kind === 'anomalies') touched ||= source === 'anomalies';
    if (touched) out.push(w.id);
  }
  return out;
}

/**
 * Collects stale widget ids and hands them to `flush` together, at most once per `throttleMs`
 * (the first id starts the wait, later ones join it). `dispose` drops what is pending.
 */
export function createStaleBatch(options: {
  flush: (ids: string[]) => void;
  throttleMs?: number;
}): { add(ids: readonly string[]): void; dispose(): void } {
  const stale = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    add(ids) {
      for (const id of ids) stale.add(id);
      if (stale.size === 0 || timer !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        const list = [...stale];
        stale.clear();
        options.flush(list);
      }, options.throttleMs ?? DashboardLiveDefaults.throttleMs);
    },
    dispose() {
      clearTimeout(timer);
      timer = undefined;
      stale.clear();
    }
  };
}

/** `map` with each of `ids` set to `value`: a new map, so a `$state.raw` field is replaced. */
export function withEntries<T>(
  map: ReadonlyMap<string, T>,
  ids: readonly string[],
  value: T
): ReadonlyMap<string, T> {
  return new Map([...map, ...ids.map((id) => [id, value] as const)]);
}
