import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TierName } from '$lib/types';
import { MinBucketMs } from './calendar';
import { chooseTier, planTierReads, ReadTiers, type ReadTier, type TierCoverage } from './tiers';

const H = 3_600_000;
const D = 24 * H;

describe('chooseTier', () => {
  it.each<[string, Parameters<typeof chooseTier>[0], ReadTier]>([
    ['raw fits', { from: 0, to: H, maxPoints: 1500, rawPointsEstimate: 900 }, 'raw'],
    ['raw too dense', { from: 0, to: H, maxPoints: 1500, rawPointsEstimate: 3600 }, '10s'],
    ['unknown raw density', { from: 0, to: H, maxPoints: 4000 }, '1s'],
    ['a day at 1500 points', { from: 0, to: D, maxPoints: 1500 }, '1m'],
    ['a day at 1440 points: 1441 buckets do not fit', { from: 0, to: D, maxPoints: 1440 }, '5m'],
    ['a year at 1000 points', { from: 0, to: 365 * D, maxPoints: 1000 }, '1d'],
    ['a year at 400 points (DST-safe bound)', { from: 0, to: 365 * D, maxPoints: 400 }, '1d'],
    ['a year at 360 points', { from: 0, to: 365 * D, maxPoints: 360 }, '1w'],
    ['ten years at 10 points: coarsest', { from: 0, to: 3650 * D, maxPoints: 10 }, '1M'],
    ['only coarse tiers kept', { from: 0, to: D, maxPoints: 5000, available: ['1h', '1d'] }, '1h'],
    ['only raw', { from: 0, to: D, maxPoints: 5, available: ['raw'] }, 'raw'],
    ['nothing available', { from: 0, to: D, maxPoints: 5, available: [] }, 'raw'],
    ['empty range', { from: 5, to: 5, maxPoints: 1 }, '1s']
  ])('%s', (_name, options, expected) => {
    expect(chooseTier(options)).toBe(expected);
  });

  it('property: the chosen tier fits maxPoints unless it is the coarsest', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3650 * D }),
        fc.integer({ min: 1, max: 100_000 }),
        (span, maxPoints) => {
          const tier = chooseTier({ from: 0, to: span, maxPoints });
          expect(tier).not.toBe('raw');
          if (tier === '1M') return;
          const min = MinBucketMs[tier as TierName];
          expect(Math.ceil(span / min) + 1).toBeLessThanOrEqual(maxPoints);
        }
      )
    );
  });
});

describe('planTierReads', () => {
  const T = 1_000 * D; // a UTC midnight
  const full: Partial<Record<ReadTier, TierCoverage>> = {
    raw: { from: T, until: Infinity },
    '1s': { from: T, until: T + 7_190_000 },
    '10s': { from: T, until: T + 7_180_000 },
    '1m': { from: T, until: T + 7_140_000 }
  };

  it('newest seconds come from finer tiers down to raw', () => {
    const plan = planTierReads({ from: T, to: T + 2 * H, tier: '1m', coverage: full });
    expect(plan.segments).toEqual([
      { tier: '1m', from: T, to: T + 7_140_000 },
      { tier: '10s', from: T + 7_140_000, to: T + 7_180_000 },
      { tier: '1s', from: T + 7_180_000, to: T + 7_190_000 },
      { tier: 'raw', from: T + 7_190_000, to: T + 2 * H }
    ]);
    expect(plan.missing).toEqual([]);
  });

  it('a range fully rolled up reads one tier', () => {
    const plan = planTierReads({ from: T, to: T + H, tier: '1m', coverage: full });
    expect(plan.segments).toEqual([{ tier: '1m', from: T, to: T + H }]);
  });

  it('data older than the tier comes from a coarser tier up to a shared boundary', () => {
    const coverage: Partial<Record<ReadTier, TierCoverage>> = {
      '1m': { from: T + 90 * 60_000 + 5 * 60_000, until: T + 10 * H },
      '1h': { from: T - 48 * H, until: T + 9 * H }
    };
    const plan = planTierReads({ from: T - 2 * H, to: T + 3 * H, tier: '1m', coverage });
    expect(plan.segments).toEqual([
      { tier: '1h', from: T - 2 * H, to: T + 2 * H },
      { tier: '1m', from: T + 2 * H, to: T + 3 * H }
    ]);
    expect(plan.missing).toEqual([]);
  });

  it('reports ranges nobody covers', () => {
    const coverage: Partial<Record<ReadTier, TierCoverage>> = {
      '1m': { from: T + H, until: T + 2 * H }
    };
    const plan = planTierReads({ from: T, to: T + 3 * H, tier: '1m', coverage });
    expect(plan.segments).toEqual([{ tier: '1m', from: T + H, to: T + 2 * H }]);
    expect(plan.missing).toEqual([
      { from: T, to: T + H },
      { from: T + 2 * H, to: T + 3 * H }
    ]);
  });

  it('empty range plans nothing', () => {
    expect(planTierReads({ from: T, to: T, tier: '1m', coverage: full })).toEqual({
      segments: [],
      missing: []
    });
  });

  it('property: segments and missing ranges tile [from, to) exactly once', () => {
    const minute = 60_000;
    fc.assert(
      fc.property(
        fc.constantFrom<ReadTier>(...ReadTiers.slice(0, 5)),
        fc.integer({ min: 0, max: 600 }),
        fc.integer({ min: 1, max: 600 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 700 }), fc.integer({ min: 0, max: 700 })), {
          minLength: 10,
          maxLength: 10
        }),
        (tier, fromMin, spanMin, covers) => {
          const coverage: Partial<Record<ReadTier, TierCoverage>> = {};
          ReadTiers.forEach((t, i) => {
            const [a, b] = covers[i];
            // Coverage edges on 15-minute marks: boundaries of every tier up to 15m, of 1h+ mostly.
            if (a !== b)
              coverage[t] = {
                from: T + Math.min(a, b) * 15 * minute,
                until: T + Math.max(a, b) * 15 * minute
              };
          });
          const from = T + fromMin * minute;
          const to = from + spanMin * minute;
          const plan = planTierReads({ from, to, tier, coverage });
          const parts = [...plan.segments, ...plan.missing].sort((x, y) => x.from - y.from);
          let cursor = from;
          for (const p of parts) {
            expect(p.from).toBe(cursor);
            expect(p.to).toBeGreaterThan(p.from);
            cursor = p.to;
          }
          expect(cursor).toBe(to);
          for (const s of plan.segments) {
            const c = coverage[s.tier]!;
            expect(s.from).toBeGreaterThanOrEqual(c.from);
            expect(s.to).toBeLessThanOrEqual(c.until);
          }
        }
      ),
      { numRuns: 500 }
    );
  });
});
