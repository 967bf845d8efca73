import { describe, expect, it } from 'vitest';
import { resolveExportRange } from '$lib/state/export.svelte';

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
