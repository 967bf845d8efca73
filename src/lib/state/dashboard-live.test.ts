import { describe, expect, it, vi } from 'vitest';
import type { ChangeNotice } from '$lib/types';
import type { Widget } from '$lib/types/dashboard';
import { createStaleBatch, widgetsTouchedBy } from './dashboard-live';

const rect = { x: 0, y: 0, w: 4, h: 2 };
const widgets: Widget[] = [
  { id: 'cpu', kind: 'timeseries', title: 'CPU', rect, source: { kind: 'series', match: 'cpu' } },
  { id: 'mem', kind: 'stat', title: 'Mem', rect, source: { kind: 'series', match: 'mem' } },
  { id: 'ok', kind: 'stat', title: 'OK', rect, source: { kind: 'summary', figure: 'successRate' } },
  { id: 'tr', kind: 'table', title: 'T', rect, source: { kind: 'view', view: 'triggers' } },
  {
    id: 'q',
    kind: 'topn',
    title: 'Q',
    rect,
    limit: 5,
    source: { kind: 'question', name: 'errorsByTrigger' }
  },
  { id: 'an', kind: 'table', title: 'A', rect, source: { kind: 'anomalies' } },
  { id: 'hm', kind: 'heatmap', title: 'H', rect, source: { kind: 'durations' } },
  { id: 'n', kind: 'note', title: 'N', rect, text: 'hi' }
];
/** cpu drew series 3 and 4, mem series 10; nothing else drew series. */
const drawn: Record<string, number[]> = { cpu: [3, 4], mem: [10] };
const idsOf = (w: Widget) => drawn[w.id];

describe('widgetsTouchedBy', () => {
  it.each<[string, ChangeNotice, string[]]>([
    ['points of a drawn series', { kind: 'points', ids: [4, 4], to: 1 }, ['cpu']],
    ['points of both widgets’ series', { kind: 'points', ids: [2, 10], to: 1 }, ['cpu', 'mem']],
    [
      'points of a series no widget drew, older than theirs',
      { kind: 'points', ids: [1, 2], to: 1 },
      []
    ],
    // id 11 is newer than every series drawn: it may match either selector.
    ['points of a new series', { kind: 'points', ids: [11, 11], to: 1 }, ['cpu', 'mem']],
    ['events', { kind: 'events', count: 5 }, ['ok', 'tr', 'q', 'hm']],
    ['anomalies', { kind: 'anomalies', count: 1 }, ['an']],
    ['a new series', { kind: 'series' }, ['cpu', 'mem', 'ok', 'tr', 'q', 'an', 'hm']],
    ['a clear', { kind: 'cleared' }, ['cpu', 'mem', 'ok', 'tr', 'q', 'an', 'hm']],
    ['settings', { kind: 'settings' }, []],
    ['a dashboard saved', { kind: 'dashboards' }, []]
  ])('%s', (_name, notice, expected) => {
    expect(widgetsTouchedBy(notice, widgets, idsOf)).toEqual(expected);
  });

  it('a series widget that has not answered yet is not touched by points (it is loading)', () => {
    expect(
      widgetsTouchedBy({ kind: 'points', ids: [1, 100], to: 1 }, widgets, () => undefined)
    ).toEqual([]);
  });

  it('no widgets, no ids', () => {
    expect(widgetsTouchedBy({ kind: 'series' }, [], idsOf)).toEqual([]);
  });
});

describe('createStaleBatch', () => {
  it('flushes the ids gathered during one throttle window once, then starts again', () => {
    vi.useFakeTimers();
    try {
      const flushed: string[][] = [];
      const batch = createStaleBatch({ flush: (ids) => flushed.push(ids), throttleMs: 2000 });
      batch.add([]);
      vi.advanceTimersByTime(5000);
      expect(flushed).toEqual([]);
      batch.add(['a']);
      vi.advanceTimersByTime(1000);
      batch.add(['b', 'a']);
      expect(flushed).toEqual([]);
      vi.advanceTimersByTime(1000);
      expect(flushed).toEqual([['a', 'b']]);
      batch.add(['c']);
      batch.dispose();
      vi.advanceTimersByTime(5000);
      expect(flushed).toEqual([['a', 'b']]);
    } finally {
      vi.useRealTimers();
    }
  });
});
