import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TierNames, type TierName } from '$lib/types';
import {
  bucketStart,
  createBucketer,
  getZoneOffset,
  MinBucketMs,
  nextBucketStart,
  zonedTimeToInstant
} from './calendar';

const U = Date.UTC;
const H = 3_600_000;
const Zones = [
  'UTC',
  'Europe/London',
  'America/New_York',
  'Australia/Lord_Howe',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'America/Santiago'
];

describe('getZoneOffset / zonedTimeToInstant', () => {
  it.each([
    ['Europe/London', U(2026, 0, 15), 0],
    ['Europe/London', U(2026, 6, 15), H],
    ['America/New_York', U(2026, 0, 15), -5 * H],
    ['America/New_York', U(2026, 6, 15), -4 * H],
    ['Asia/Kolkata', U(2026, 6, 15), 5.5 * H],
    ['Australia/Lord_Howe', U(2026, 6, 15), 10.5 * H],
    ['Australia/Lord_Howe', U(2026, 0, 15), 11 * H],
    ['UTC', U(2026, 0, 15), 0]
  ])('%s offset at %d is %d', (zone, t, off) => {
    expect(getZoneOffset(t, zone)).toBe(off);
  });

  it.each([
    // Spring-forward gap: 02:00 does not exist, the next valid instant is the transition.
    ['America/New_York', U(2026, 2, 8, 2), U(2026, 2, 8, 7)],
    ['America/New_York', U(2026, 2, 8, 2, 30), U(2026, 2, 8, 7)],
    ['Europe/London', U(2026, 2, 29, 1, 30), U(2026, 2, 29, 1)],
    // Fall-back fold: 01:30 happens twice, the earlier (EDT) instant wins.
    ['America/New_York', U(2026, 10, 1, 1, 30), U(2026, 10, 1, 5, 30)],
    ['Australia/Lord_Howe', U(2026, 9, 4, 2, 15), U(2026, 9, 3, 15, 30)],
    ['Asia/Kolkata', U(2026, 0, 1), U(2025, 11, 31, 18, 30)]
  ])('%s wall time %d → instant %d', (zone, local, instant) => {
    expect(zonedTimeToInstant(local, zone)).toBe(instant);
  });

  it('rejects an unknown zone', () => {
    expect(() => getZoneOffset(0, 'Not/AZone')).toThrow(RangeError);
  });
});

describe('bucketStart / nextBucketStart', () => {
  it.each<[TierName, string, number, number, number]>([
    ['1s', 'UTC', U(2026, 0, 7, 15, 4, 59, 999), U(2026, 0, 7, 15, 4, 59), U(2026, 0, 7, 15, 5)],
    ['10s', 'UTC', U(2026, 0, 7, 15, 4, 59), U(2026, 0, 7, 15, 4, 50), U(2026, 0, 7, 15, 5)],
    ['1m', 'Asia/Kolkata', U(2026, 0, 7, 15, 4, 59), U(2026, 0, 7, 15, 4), U(2026, 0, 7, 15, 5)],
    ['5m', 'UTC', U(2026, 0, 7, 15, 4, 59), U(2026, 0, 7, 15, 0), U(2026, 0, 7, 15, 5)],
    ['15m', 'UTC', U(2026, 0, 7, 15, 29), U(2026, 0, 7, 15, 15), U(2026, 0, 7, 15, 30)],
    ['1h', 'UTC', U(2026, 0, 7, 15, 29), U(2026, 0, 7, 15), U(2026, 0, 7, 16)],
    ['1h', 'Europe/London', U(2026, 6, 7, 15, 29), U(2026, 6, 7, 15), U(2026, 6, 7, 16)],
    // 30/45-minute zones: local hours start at :30 / :15 UTC.
    ['1h', 'Asia/Kolkata', U(2026, 0, 7, 15, 29), U(2026, 0, 7, 14, 30), U(2026, 0, 7, 15, 30)],
    ['1h', 'Asia/Kathmandu', U(2026, 0, 7, 15, 29), U(2026, 0, 7, 15, 15), U(2026, 0, 7, 16, 15)],
    // Lord Howe DST start (02:00 +10:30 → 02:30 +11 at 15:30 UTC): a 30-minute bucket.
    ['1h', 'Australia/Lord_Howe', U(2026, 9, 3, 15, 40), U(2026, 9, 3, 15, 30), U(2026, 9, 3, 16)],
    [
      '1h',
      'Australia/Lord_Howe',
      U(2026, 9, 3, 15, 10),
      U(2026, 9, 3, 14, 30),
      U(2026, 9, 3, 15, 30)
    ],
    // Lord Howe DST end (02:00 +11 → 01:30 +10:30 at 15:00 UTC).
    ['1h', 'Australia/Lord_Howe', U(2026, 3, 4, 14, 50), U(2026, 3, 4, 14), U(2026, 3, 4, 15)],
    ['1h', 'Australia/Lord_Howe', U(2026, 3, 4, 15, 10), U(2026, 3, 4, 15), U(2026, 3, 4, 15, 30)],
    ['1d', 'UTC', U(2026, 0, 7, 15), U(2026, 0, 7), U(2026, 0, 8)],
    // London spring forward: 23-hour day; autumn: 25-hour day.
    ['1d', 'Europe/London', U(2026, 2, 29, 12), U(2026, 2, 29), U(2026, 2, 29, 23)],
    ['1d', 'Europe/London', U(2026, 9, 25, 12), U(2026, 9, 24, 23), U(2026, 9, 26)],
    ['1d', 'America/New_York', U(2026, 2, 8, 12), U(2026, 2, 8, 5), U(2026, 2, 9, 4)],
    ['1d', 'America/New_York', U(2026, 10, 1, 12), U(2026, 10, 1, 4), U(2026, 10, 2, 5)],
    ['1d', 'Asia/Kolkata', U(2026, 0, 7, 20), U(2026, 0, 7, 18, 30), U(2026, 0, 8, 18, 30)],
    ['1d', 'Australia/Lord_Howe', U(2026, 9, 4, 0), U(2026, 9, 3, 13, 30), U(2026, 9, 4, 13)],
    // Santiago: DST starts at 00:00 (2026-09-06), midnight does not exist → day starts 01:00.
    ['1d', 'America/Santiago', U(2026, 8, 6, 12), U(2026, 8, 6, 4), U(2026, 8, 7, 3)],
    // ISO week: 2026-01-07 is a Wednesday; week starts Monday 2026-01-05.
    ['1w', 'UTC', U(2026, 0, 7, 15), U(2026, 0, 5), U(2026, 0, 12)],
    ['1w', 'Europe/London', U(2026, 2, 31, 12), U(2026, 2, 29, 23), U(2026, 3, 5, 23)],
    ['1w', 'UTC', U(2026, 0, 4, 23, 59), U(2025, 11, 29), U(2026, 0, 5)],
    ['1M', 'UTC', U(2026, 1, 14), U(2026, 1, 1), U(2026, 2, 1)],
    ['1M', 'Europe/London', U(2026, 3, 14), U(2026, 2, 31, 23), U(2026, 3, 30, 23)],
    ['1M', 'America/New_York', U(2026, 11, 31, 12), U(2026, 11, 1, 5), U(2027, 0, 1, 5)]
  ])('%s in %s: t=%d → [%d, %d)', (tier, timeZone, t, start, next) => {
    expect(bucketStart(t, { tier, timeZone })).toBe(start);
    expect(nextBucketStart(t, { tier, timeZone })).toBe(next);
    // Fresh, unmemoised bucketer agrees.
    const b = createBucketer({ tier, timeZone });
    expect(b.next(t)).toBe(next);
    expect(b.start(t)).toBe(start);
  });

  it.each([NaN, Infinity, -Infinity])('non-finite t=%d → NaN', (t) => {
    expect(bucketStart(t, { tier: '1d', timeZone: 'UTC' })).toBeNaN();
    expect(nextBucketStart(t, { tier: '1s', timeZone: 'UTC' })).toBeNaN();
  });

  const Coarser: [TierName, TierName][] = [
    ['1s', '10s'],
    ['10s', '1m'],
    ['1m', '5m'],
    ['5m', '15m'],
    ['15m', '1h'],
    ['1h', '1d'],
    ['1d', '1w'],
    ['1d', '1M']
  ];

  it('property: buckets partition time, are idempotent and nest in the rollup ladder', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: U(2019, 0, 1), max: U(2031, 0, 1) }),
        fc.constantFrom(...Zones),
        fc.constantFrom(...TierNames),
        (t, timeZone, tier) => {
          const spec = { tier, timeZone };
          const s = bucketStart(t, spec);
          const n = nextBucketStart(t, spec);
          expect(s).toBeLessThanOrEqual(t);
          expect(n).toBeGreaterThan(t);
          expect(n - s).toBeGreaterThanOrEqual(MinBucketMs[tier]);
          expect(bucketStart(s, spec)).toBe(s);
          expect(bucketStart(n, spec)).toBe(n);
          expect(nextBucketStart(s - 1, spec)).toBe(s);
          for (const [fine, coarse] of Coarser) {
            if (fine !== tier) continue;
            const cs = { tier: coarse, timeZone };
            expect(bucketStart(s, cs)).toBe(bucketStart(t, cs));
            expect(nextBucketStart(s, cs)).toBeGreaterThanOrEqual(n);
          }
        }
      ),
      { numRuns: 1500 }
    );
  });

  it('memoised bucketer calls agree with fresh computation over a year of hours', () => {
    for (const timeZone of Zones) {
      const b = createBucketer({ tier: '1d', timeZone });
      for (let t = U(2026, 0, 1); t < U(2027, 0, 1); t += H) {
        const fresh = createBucketer({ tier: '1d', timeZone });
        expect(b.start(t)).toBe(fresh.start(t));
      }
    }
  });
});
