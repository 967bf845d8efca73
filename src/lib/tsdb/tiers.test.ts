import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TierWidthMs, type TierName } from '$lib/types';
import { chooseTier, planTierReads, ReadTiers, type ReadTier, type TierCoverage } from './tiers';

const H = 3_600_000;
const D = 24 * H;

describe('chooseTier', () => {
  it.each<[string, Parameters<typeof chooseTier>[0], ReadTier]>([
    ['raw fits', { from: 0, to: H, maxPoints: 1500, rawPointsEstimate: 900 }, 'raw'],
    ['raw too dense', { from: 0, to: H, maxPoints: 1500, rawPointsEstimate: 3600 }, '10s'],
    ['unknown raw density', { from: 0, to: H, maxPoints: 4000 }, '1s'],
    ['a day at 1500 points', { from: 0, to: D, maxPoints: 1500 }, '1m'],
    ['a day at 1440 points', { from: 0, to: D, maxPoints: 1440 }, '1m'],
    ['a day at 1439 points', { from: 0, to: D, maxPoints: 1439 }, '5m'],
    ['a year at 1000 points', { from: 0, to: 365 * D, maxPoints: 1000 }, '1d'],
    ['a year at 400 points', { from: 0, to: 365 * D, maxPoints: 400 }, '1d'],
    ['a year at 360 points', { from: 0, to: 365 * D, maxPoints: 360 }, '1w'],
    ['ten years at 10 points: coarsest', { from: 0, to: 3650 * D, maxPoints: 10 }, '1M'],
    ['only coarse tiers kept', { from: 0, to: D, maxPoints: 5000, available: ['1h', '1d'] }, '1h'],
    ['only raw', { from: 0, to: D, maxPoints: 5, available: ['raw'] }, 'raw'],
    ['nothing available', { from: 0, to: D, maxPoints: 5, available: [] }, 'raw'],
    ['empty range', { from: 5, to: 5, maxPoints: 1 }, '1s']
  ])('%s', (_name, options, expected) => {
    expect(chooseTier(options)).toBe(expected);
  });

  it.each([
    { span: H, raw: 500, max: 1000, want: 'raw' },
    { span: H, raw: 3600, max: 1000, want: '10s' },
    { span: 24 * H, raw: 86400, max: 1000, want: '5m' },
    { span: 30 * 24 * H, raw: 2.6e6, max: 1000, want: '1h' },
    { span: 5 * 365 * 24 * H, raw: 1e8, max: 1000, want: '1w' }
  ])('$span ms with $raw raw points at maxPoints $max → $want', ({ span, raw, max, want }) => {
    expect(
      chooseTier({ from: 0, to: span, maxPoints: max, rawPointsEstimate: raw, horizons: {} })
    ).toBe(want);
  });

  it('skips tiers that retention emptied at the start of the range', () => {
    const horizons = { raw: 10, '1s': 10, '10s': 10 };
    expect(chooseTier({ from: 0, to: H, maxPoints: 1000, rawPointsEstimate: 3600, horizons })).toBe(
      '1m'
    );
    // Raw would fit, but retention dropped the range's start.
    expect(chooseTier({ from: 0, to: H, maxPoints: 1000, rawPointsEstimate: 5, horizons })).toBe(
      '1m'
    );
  });

  it('when every fitting tier lost the start, takes the one reaching back furthest', () => {
    const horizons = { raw: 50, '1s': 40, '10s': 30, '1m': 20, '5m': 25, '15m': 35 };
    const available: ReadTier[] = ['raw', '1m', '5m', '15m'];
    // 1m, 5m and 15m fit; each lost [0, 20) or more: 1m reaches back furthest.
    expect(chooseTier({ from: 0, to: H, maxPoints: 100, horizons, available })).toBe('1m');
    // Only 15m fits (5 buckets): it is taken although it lost more.
    expect(chooseTier({ from: 0, to: H, maxPoints: 5, horizons, available })).toBe('15m');
    // A tier that kept everything wins over the finer ones that did not.
    expect(chooseTier({ from: 0, to: H, maxPoints: 100, horizons })).toBe('1h');
  });

  it('property: the chosen tier fits maxPoints (nominal widths) unless it is the coarsest', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3650 * D }),
        fc.integer({ min: 1, max: 100_000 }),
        (span, maxPoints) => {
          const tier = chooseTier({ from: 0, to: span, maxPoints });
          expect(tier).not.toBe('raw');
          if (tier === '1M') return;
          expect(Math.ceil(span / TierWidthMs[tier as TierName])).toBeLessThanOrEqual(maxPoints);
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
