import { describe, expect, it } from 'vitest';
import {
  computeHistogramQuantiles,
  histogramQuantile,
  parseBucketBound,
  type HistogramBucket
} from './histogram';
import { computePointRates } from './rate';

// 50 observations: 10 at or below 0.1, 30 at or below 0.5, 45 at or below 1.
const h: HistogramBucket[] = [
  { le: 0.1, count: 10 },
  { le: 0.5, count: 30 },
  { le: 1, count: 45 },
  { le: Infinity, count: 50 }
];

describe('histogramQuantile', () => {
  // Worked by hand: rank = q × 50, then linear inside the bucket the rank falls in.
  it.each([
    [0, 0], // rank 0 in (0, 0.1]: its lower end
    [0.1, 0.05], // rank 5 of (0, 0.1] holding 10: 0 + 0.1 × 5/10
    [0.5, 0.4], // rank 25 in (0.1, 0.5] holding 20, 15 in: 0.1 + 0.4 × 15/20
    [0.8, 0.5 + 0.5 * (10 / 15)], // rank 40 in (0.5, 1] holding 15, 10 in
    [0.9, 1], // rank 45: the top of (0.5, 1]
    [0.95, 1], // rank 47.5 in +Inf: the highest finite bound
    [1, 1]
  ])('q = %s → %s', (q, expected) => {
    expect(histogramQuantile(q, h)).toBeCloseTo(expected, 12);
  });

  it('takes buckets in any order', () => {
    expect(histogramQuantile(0.5, [...h].reverse())).toBeCloseTo(0.4, 12);
  });

  it.each([
    ['q below 0', -0.1, h, -Infinity],
    ['q above 1', 1.1, h, Infinity],
    ['no +Inf bucket', 0.5, h.slice(0, 3), NaN],
    ['only the +Inf bucket', 0.5, [{ le: Infinity, count: 3 }], NaN],
    ['no observations', 0.5, h.map((b) => ({ ...b, count: 0 })), NaN],
    ['no buckets', 0.5, [], NaN],
    [
      'a NaN count',
      0.5,
      [
        { le: 1, count: NaN },
        { le: Infinity, count: 2 }
      ],
      NaN
    ]
  ])('%s', (_name, q, buckets, expected) => {
    expect(histogramQuantile(q as number, buckets as HistogramBucket[])).toBe(expected);
  });

  it('makes counts monotonic, as a racing scrape can leave a lower bucket ahead', () => {
    // [5, 3, 6] reads as [5, 5, 6]: rank 3 in (0, 1] holding 5.
    const racy = [
      { le: 1, count: 5 },
      { le: 2, count: 3 },
      { le: Infinity, count: 6 }
    ];
    expect(histogramQuantile(0.5, racy)).toBeCloseTo(0.6, 12);
  });

  it('merges equal bounds', () => {
    const twice = [
      { le: 1, count: 2 },
      { le: 1, count: 2 },
      { le: Infinity, count: 8 }
    ];
    expect(histogramQuantile(0.25, twice)).toBeCloseTo(0.5, 12);
  });

  it('answers a first bound at or below zero as is (its lower end is unknown)', () => {
    const negative = [
      { le: -1, count: 2 },
      { le: 0, count: 4 },
      { le: Infinity, count: 4 }
    ];
    expect(histogramQuantile(0.25, negative)).toBe(-1);
  });

  it('stays within the bucket of the exact quantile of the observations (oracle)', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) as number;
    const bounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, Infinity];
    for (const size of [1, 10, 1000]) {
      const obs = Array.from({ length: size }, () => Math.exp(rand() * 6 - 5)).sort(
        (a, b) => a - b
      );
      const buckets = bounds.map((le) => ({ le, count: obs.filter((x) => x <= le).length }));
      for (const q of [0.5, 0.9, 0.99]) {
        const exact = obs[Math.max(0, Math.ceil(q * size) - 1)];
        const got = histogramQuantile(q, buckets);
        const i = bounds.findIndex((le) => exact <= le);
        const lower = i > 0 ? bounds[i - 1] : 0;
        const upper = Number.isFinite(bounds[i]) ? bounds[i] : bounds[bounds.length - 2];
        expect(got).toBeGreaterThanOrEqual(lower);
        expect(got).toBeLessThanOrEqual(upper);
      }
    }
  });
});

describe('parseBucketBound', () => {
  it.each([
    ['+Inf', Infinity],
    ['Inf', Infinity],
    ['0.005', 0.005],
    ['1.6384e+06', 1_638_400],
    ['', NaN],
    ['fast', NaN],
    [undefined, NaN]
  ])('%s → %s', (le, expected) => {
    expect(parseBucketBound(le)).toBe(expected);
  });
});

describe('computeHistogramQuantiles', () => {
  it('takes quantiles of per-bucket rates over time (histogram_quantile of rate)', () => {
    const t = Float64Array.of(0, 10_000, 20_000);
    // Cumulative bucket counters scraped every 10 s.
    const counters = [
      { le: 1, v: Float64Array.of(0, 10, 30) },
      { le: 2, v: Float64Array.of(0, 20, 40) },
      { le: Infinity, v: Float64Array.of(0, 20, 50) }
    ];
    const buckets = counters.map((c) => ({ le: c.le, t, v: computePointRates({ t, v: c.v }) }));
    const out = computeHistogramQuantiles({ buckets, quantiles: [0.5, 0.9] });
    // t = 0 has no rate (first scrape): no sample.
    expect(Array.from(out.t)).toEqual([10_000, 20_000]);
    // At 10 s the rates are [1, 2, 2]/s: p50 rank 1 → (0, 1] holding 1: 1; p90 rank 1.8 → (1, 2]
    // holding 1, 0.8 in: 1.8. At 20 s they are [2, 2, 3]/s: p50 rank 1.5 → 0.75; p90 rank
    // 2.7 → +Inf: the highest finite bound, 2.
    expect(Array.from(out.values[0])).toEqual([1, 0.75]);
    expect(out.values[1][0]).toBeCloseTo(1.8, 12);
    expect(out.values[1][1]).toBe(2);
  });

  it('leaves a gap where the +Inf bucket has no value', () => {
    const out = computeHistogramQuantiles({
      buckets: [
        { le: 1, t: Float64Array.of(0, 1), v: Float64Array.of(1, 1) },
        { le: Infinity, t: Float64Array.of(0), v: Float64Array.of(2) }
      ],
      quantiles: [0.5]
    });
    expect(Array.from(out.t)).toEqual([0, 1]);
    // Rank 1 of 2 reaches the top of (0, 1], which holds 1.
    expect(out.values[0][0]).toBe(1);
    expect(out.values[0][1]).toBeNaN();
  });

  it('is empty for no buckets', () => {
    const out = computeHistogramQuantiles({ buckets: [], quantiles: [0.5] });
    expect(out.t.length).toBe(0);
    expect(out.values[0].length).toBe(0);
  });
});
