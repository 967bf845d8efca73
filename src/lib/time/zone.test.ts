import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertTimeZone,
  dateTimeFormat,
  findOffsetChange,
  getZoneOffset,
  isUtcZone,
  wallClock,
  zonedTimeToInstant
} from './zone';

const U = Date.UTC;
const H = 3_600_000;

describe('wallClock', () => {
  it.each([
    ['Europe/London', U(2026, 6, 1, 12), U(2026, 6, 1, 13)],
    ['America/New_York', U(2026, 0, 1, 3), U(2025, 11, 31, 22)],
    ['Asia/Kathmandu', U(2026, 0, 1), U(2026, 0, 1, 5, 45)],
    ['UTC', U(2026, 0, 1, 0, 0, 7, 999), U(2026, 0, 1, 0, 0, 7)]
  ])('reads %s at %d as wall time %d (whole seconds)', (zone, t, wall) => {
    expect(wallClock(t, zone)).toBe(wall);
  });
});

describe('findOffsetChange', () => {
  it.each([
    ['America/New_York', U(2026, 2, 8), U(2026, 2, 9), U(2026, 2, 8, 7)],
    ['Europe/London', U(2026, 9, 24), U(2026, 9, 26), U(2026, 9, 25, 1)],
    ['Australia/Lord_Howe', U(2026, 3, 4), U(2026, 3, 6), U(2026, 3, 4, 15)]
  ])('finds the %s transition between %d and %d at %d', (zone, a, b, at) => {
    expect(findOffsetChange(a, b, zone)).toBe(at);
    expect(getZoneOffset(at - 1000, zone)).not.toBe(getZoneOffset(at, zone));
  });
});

describe('zonedTimeToInstant', () => {
  it('inverts wallClock wherever the wall time is unambiguous', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('Europe/London', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'),
        fc.integer({ min: U(2000, 0, 1) / 1000, max: U(2040, 0, 1) / 1000 }),
        (zone, sec) => {
          const t = sec * 1000;
          const local = wallClock(t, zone);
          // In a fold the earlier instant wins: only check where the offset 3 h either side agrees.
          fc.pre(getZoneOffset(t - 3 * H, zone) === getZoneOffset(t + 3 * H, zone));
          expect(zonedTimeToInstant(local, zone)).toBe(t);
        }
      )
    );
  });
});

describe('isUtcZone / assertTimeZone / dateTimeFormat', () => {
  it.each([
    ['UTC', true],
    ['Etc/UTC', true],
    ['GMT', true],
    ['Europe/London', false]
  ])('%s is UTC: %s', (zone, utc) => {
    expect(isUtcZone(zone)).toBe(utc);
  });

  it('rejects an unknown zone and accepts a known one', () => {
    expect(() => assertTimeZone('Mars/Olympus')).toThrow(RangeError);
    expect(() => assertTimeZone('Asia/Tokyo')).not.toThrow();
  });

  it('returns one formatter per locale and options', () => {
    const a = dateTimeFormat({ year: 'numeric', timeZone: 'UTC' }, 'en-US');
    expect(dateTimeFormat({ year: 'numeric', timeZone: 'UTC' }, 'en-US')).toBe(a);
    expect(dateTimeFormat({ year: 'numeric', timeZone: 'Asia/Tokyo' }, 'en-US')).not.toBe(a);
    expect(a.format(0)).toBe('1970');
  });
});
