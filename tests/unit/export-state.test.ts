import { describe, expect, it } from 'vitest';
import { estimateScopePoints, resolveExportRange } from '$lib/state/export.svelte';
import type { SeriesRecord } from '$lib/types';

const NOW = Date.UTC(2026, 10, 23, 12);

describe('resolveExportRange', () => {
  it.each([
    ['1h', NOW - 3_600_000],
    ['24h', NOW - 86_400_000],
    ['7d', NOW - 7 * 86_400_000]
  ] as const)('%s ends now and starts that long before', (preset, from) => {
    expect(
      resolveExportRange({ preset, customFrom: '', customTo: '' }, { now: NOW, earliest: 0 })
    ).toEqual({
      from,
      to: NOW
    });
  });

  it('"everything" starts at the earliest stored point', () => {
    const r = resolveExportRange(
      { preset: 'all', customFrom: '', customTo: '' },
      { now: NOW, earliest: 123 }
    );
    expect(r).toEqual({ from: 123, to: NOW });
  });

  it('custom ranges parse, and say what is wrong when they cannot', () => {
    const custom = (customFrom: string, customTo: string) =>
      resolveExportRange({ preset: 'custom', customFrom, customTo }, { now: NOW, earliest: 0 });
    expect(custom('2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z')).toEqual({
      from: Date.UTC(2026, 0, 1),
      to: Date.UTC(2026, 0, 2)
    });
    expect(custom('', '2026-01-02T00:00:00Z')).toEqual({
      error: expect.stringMatching(/both a start and an end/)
    });
    expect(custom('2026-01-03T00:00:00Z', '2026-01-02T00:00:00Z')).toEqual({
      error: expect.stringMatching(/starts after it ends/)
    });
  });
});

describe('estimateScopePoints', () => {
  const series = (over: Partial<SeriesRecord>): SeriesRecord =>
    ({
      id: 1,
      key: 'cpu',
      name: 'cpu',
      labels: {},
      unit: '%',
      kind: 'gauge',
      source: 'demo',
      category: 'system',
      firstT: NOW - 86_400_000,
      lastT: NOW,
      points: 8_640,
      ...over
    }) as SeriesRecord;

  it('counts raw points only where retention kept them', () => {
    const day = { from: NOW - 86_400_000, to: NOW, resolution: 'raw' as const, aggregates: 1 };
    // A day at 10 s is 8,640 points; with raw points kept for the last hour, 360 remain.
    expect(estimateScopePoints({ ...day, series: [series({})] })).toBe(8_640);
    const kept = series({ horizons: { raw: NOW - 3_600_000 } } as Partial<SeriesRecord>);
    expect(estimateScopePoints({ ...day, series: [kept] })).toBe(360);
  });

  it('counts one value per bucket and aggregate for a tier', () => {
    expect(
      estimateScopePoints({
        series: [series({})],
        from: NOW - 86_400_000,
        to: NOW,
        resolution: '1h',
        aggregates: 3
      })
    ).toBe(72);
  });
});
