import { describe, expect, it } from 'vitest';
import { chooseTimeLabelStyle, computeTimeTicks, formatTimeTick } from './time-axis';

describe('computeTimeTicks', () => {
  it('returns nothing for an empty or inverted range', () => {
    expect(computeTimeTicks({ min: 5, max: 5 })).toEqual([]);
    expect(computeTimeTicks({ min: 5, max: 1 })).toEqual([]);
    expect(computeTimeTicks({ min: NaN, max: 1 })).toEqual([]);
  });

  it('ticks every minute over 5 minutes', () => {
    expect(computeTimeTicks({ min: 0, max: 300_000, maxTicks: 6 })).toEqual([
      0, 60_000, 120_000, 180_000, 240_000, 300_000
    ]);
  });

  it('rounds the first tick up to the step', () => {
    expect(computeTimeTicks({ min: 1_500, max: 9_000, maxTicks: 4 })).toEqual([
      2_000, 4_000, 6_000, 8_000
    ]);
  });

  it('aligns day ticks to local midnight through the offset', () => {
    const day = 86_400_000;
    const offset = 3_600_000; // UTC+1: local midnight is 23:00 UTC the day before
    const ticks = computeTimeTicks({ min: 0, max: 5 * day, maxTicks: 6, offsetMs: offset });
    expect(ticks[0]).toBe(day - offset);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i] - ticks[i - 1]).toBe(day);
  });

  it('never gives more ticks than asked, across spans from seconds to years', () => {
    for (const span of [
      2_000,
      90_000,
      3_600_000,
      86_400_000,
      31_536_000_000,
      5 * 31_536_000_000,
      40 * 31_536_000_000
    ]) {
      const ticks = computeTimeTicks({
        min: 1_000_000_000_000,
        max: 1_000_000_000_000 + span,
        maxTicks: 6
      });
      expect(ticks.length).toBeGreaterThan(0);
      expect(ticks.length).toBeLessThanOrEqual(7);
    }
  });
});

describe('time labels', () => {
  it.each([
    [60_000, 'seconds'],
    [3_600_000, 'minutes'],
    [7 * 86_400_000, 'days'],
    [365 * 86_400_000, 'months'],
    [5 * 365 * 86_400_000, 'years']
  ] as const)('span %d → %s', (span, style) => {
    expect(chooseTimeLabelStyle(span)).toBe(style);
  });

  it('formats in the given zone', () => {
    const t = Date.UTC(2026, 10, 23, 14, 5, 9);
    expect(formatTimeTick(t, 'seconds', 'UTC')).toBe(
      new Intl.DateTimeFormat(undefined, {
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
        timeZone: 'UTC'
      }).format(t)
    );
    expect(formatTimeTick(t, 'years', 'UTC')).toBe('2026');
  });
});
