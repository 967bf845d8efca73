import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  analyzeTrend,
  computeAutocorrelation,
  computeIncompleteBeta,
  computeLogGamma,
  computeNormalCdf,
  computeStudentTCdf,
  computeStudentTQuantile,
  computeStudentTTwoSidedP,
  detectSeasonality,
  detectStepChange,
  sliceSeries,
  testLinearTrend,
  testMannKendall
} from './trends';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);

function noise(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

function series(n: number, f: (i: number) => number, stepMs = HOUR) {
  return {
    t: Float64Array.from({ length: n }, (_, i) => T0 + i * stepMs),
    v: Float64Array.from({ length: n }, (_, i) => f(i))
  };
}

describe('distribution functions', () => {
  it.each([
    [0, 0.5],
    [1.96, 0.9750021048517795],
    [-1, 0.15865525393145707],
    [3, 0.9986501019683699],
    [-8, 6.22096057427178e-16],
    [Infinity, 1],
    [-Infinity, 0]
  ])('Φ(%d) = %d', (x, p) => {
    const got = computeNormalCdf(x);
    if (p !== 0 && p < 1e-10) expect(got / p).toBeCloseTo(1, 9);
    else expect(got).toBeCloseTo(p, 14);
  });

  it('Student t with 1 dof is Cauchy: ½ + atan(t)/π (exact oracle)', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e3, max: 1e3, noNaN: true }), (t) => {
        expect(computeStudentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 12);
      })
    );
  });

  it('Student t with 2 dof: ½ + t / (2√(2 + t²)) (exact oracle)', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e3, max: 1e3, noNaN: true }), (t) => {
        expect(computeStudentTCdf(t, 2)).toBeCloseTo(0.5 + t / (2 * Math.sqrt(2 + t * t)), 12);
      })
    );
  });

  it.each([
    // Critical values from standard t tables.
    [0.975, 10, 2.228138851986273],
    [0.95, 5, 2.015048372669157],
    [0.995, 30, 2.749995653567],
    [0.975, 1, 12.706204736174696]
  ])('t quantile(%d, %d) = %d', (p, df, q) => {
    expect(computeStudentTQuantile(p, df)).toBeCloseTo(q, 8);
  });

  it('two-sided p of the 5% critical value is 0.05', () => {
    expect(computeStudentTTwoSidedP(2.228138851986273, 10)).toBeCloseTo(0.05, 10);
    expect(computeStudentTTwoSidedP(Infinity, 3)).toBe(0);
    expect(computeStudentTTwoSidedP(NaN, 3)).toBeNaN();
  });

  it('t approaches the normal for large dof', () => {
    expect(computeStudentTCdf(1.96, 1e7)).toBeCloseTo(computeNormalCdf(1.96), 6);
  });

  it('log-gamma and incomplete beta fixtures', () => {
    expect(computeLogGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(computeLogGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(computeIncompleteBeta(0.5, 2, 2)).toBeCloseTo(0.5, 14);
    // I_x(1, b) = 1 − (1 − x)^b.
    expect(computeIncompleteBeta(0.3, 1, 4)).toBeCloseTo(1 - 0.7 ** 4, 14);
  });
});

describe('linear trend test', () => {
  it('perfect line: slope exact, p = 0', () => {
    const r = testLinearTrend({ t: Float64Array.of(0, 1, 2, 3), v: Float64Array.of(0, 2, 4, 6) });
    expect(r.slope).toBe(2);
    expect(r.pValue).toBe(0);
    expect(r.r2).toBe(1);
  });

  it('hand-computed fixture: x = 1..5, y = 2,4,5,4,5', () => {
    // Sxx = 10, Sxy = 6 → b = 0.6; SSE = 2.4; s = √0.8; se = √0.08; t = 2.1213, df 3.
    const r = testLinearTrend({
      t: Float64Array.of(1, 2, 3, 4, 5),
      v: Float64Array.of(2, 4, 5, 4, 5)
    });
    expect(r.slope).toBeCloseTo(0.6, 12);
    expect(r.tStat).toBeCloseTo(0.6 / Math.sqrt(0.08), 10);
    // Oracle: the closed-form t(3) CDF, F(t) = ½ + (u/(1 + t²/3) + atan u)/π with u = t/√3.
    const t = 0.6 / Math.sqrt(0.08);
    const u = t / Math.sqrt(3);
    const cdf = 0.5 + (u / (1 + (t * t) / 3) + Math.atan(u)) / Math.PI;
    expect(r.pValue).toBeCloseTo(2 * (1 - cdf), 12);
  });

  it.each([0, 1, 2])('fewer than 3 points (%i) → NaN p', (n) => {
    expect(testLinearTrend(series(n, (i) => i)).pValue).toBeNaN();
  });
});

describe('Mann–Kendall', () => {
  it('monotone: S = n(n−1)/2, tau = 1, hand variance', () => {
    const r = testMannKendall([1, 2, 3, 4, 5]);
    expect(r.s).toBe(10);
    expect(r.tau).toBe(1);
    expect(r.variance).toBeCloseTo((5 * 4 * 15) / 18, 12);
    // z = (10 − 1)/√(50/3) = 2.2045; p = 2·Φ(−2.2045) = 0.02749.
    expect(r.pValue).toBeCloseTo(0.027486, 5);
  });

  it('ties reduce the variance', () => {
    // Values 1,1,2,2: pairs + : (1,2)x4 = 4, ties 2 → S = 4;
    // var = (4·3·13 − 2·(2·1·9))/18 = (156 − 36)/18.
    const r = testMannKendall([1, 1, 2, 2]);
    expect(r.s).toBe(4);
    expect(r.variance).toBeCloseTo(120 / 18, 12);
  });

  it('constant series → p = 1; NaN skipped; short → NaN', () => {
    expect(testMannKendall([3, 3, 3, 3]).pValue).toBe(1);
    expect(testMannKendall([1, NaN, 2, 3]).s).toBe(3);
    expect(testMannKendall([1, 2]).pValue).toBeNaN();
  });

  it('downsamples long series but keeps the verdict', () => {
    const r = testMannKendall(Array.from({ length: 5000 }, (_, i) => i));
    expect(r.downsampled).toBe(true);
    expect(r.tau).toBe(1);
  });
});

describe('step, seasonality and autocorrelation', () => {
  it('finds the step index of a clean level shift', () => {
    const rnd = noise(1);
    const s = series(60, (i) => (i < 40 ? 10 : 20) + rnd());
    const step = detectStepChange(s)!;
    expect(step.index).toBe(40);
    expect(step.after - step.before).toBeCloseTo(10, 0);
    expect(step.pValue).toBeLessThan(1e-6);
    expect(step.sseRatio).toBeLessThan(0.1);
  });

  it('autocorrelation of an alternating series', () => {
    // mean 0, den = 4; lag 2 pairs (1·1)+(−1·−1) = 2 → 0.5.
    expect(computeAutocorrelation([1, -1, 1, -1], 2)).toBe(0.5);
    expect(computeAutocorrelation([1, 1, 1], 1)).toBeNaN();
  });

  it('daily seasonality in hourly data', () => {
    const s = series(24 * 6, (i) => 50 + 10 * Math.sin((2 * Math.PI * i) / 24));
    const season = detectSeasonality(s)!;
    expect(season.periodMs).toBe(86_400_000);
    expect(season.lag).toBe(24);
    expect(season.acf).toBeGreaterThan(0.7);
  });
});

describe('analyzeTrend patterns', () => {
  const rnd = noise(7);
  it.each([
    [
      'memory_leak_suspected',
      series(200, (i) => 500e6 + i * 12e6 + rnd() * 5e6),
      { memoryLike: true, polarity: 'lower_is_better' as const }
    ],
    [
      'gradual_degradation',
      series(200, (i) => 100 + i * 0.5 + rnd() * 10),
      { polarity: 'lower_is_better' as const }
    ],
    [
      'gradual_improvement',
      series(200, (i) => 100 + i * 0.5 + rnd() * 10),
      { polarity: 'higher_is_better' as const }
    ],
    ['gradual_decrease', series(200, (i) => 100 - i * 0.5 + rnd() * 10), {}],
    ['step_change', series(200, (i) => (i < 120 ? 100 : 160) + rnd() * 10), {}],
    ['seasonal', series(24 * 8, (i) => 100 + 30 * Math.sin((2 * Math.PI * i) / 24) + rnd()), {}],
    ['stable', series(200, () => 100 + rnd() * 10), {}],
    ['insufficient_data', series(5, (i) => i), {}]
  ])('%s', (pattern, s, options) => {
    expect(analyzeTrend(s, options).pattern).toBe(pattern);
  });

  it('change percent compares the halves', () => {
    const r = analyzeTrend(series(10, (i) => (i < 5 ? 10 : 15)));
    expect(r.changePercent).toBe(50);
  });

  it('empty and all-NaN series are insufficient data with NaN figures', () => {
    const r = analyzeTrend({ t: new Float64Array(0), v: new Float64Array(0) });
    expect(r.pattern).toBe('insufficient_data');
    expect(r.changePercent).toBeNaN();
    expect(analyzeTrend(series(20, () => NaN)).n).toBe(0);
  });

  it('a constant series with duplicate timestamps is stable', () => {
    const s = {
      t: Float64Array.from({ length: 20 }, (_, i) => T0 + Math.floor(i / 2) * HOUR),
      v: new Float64Array(20).fill(3)
    };
    expect(analyzeTrend(s).pattern).toBe('stable');
  });
});

describe('windows', () => {
  it('sliceSeries keeps start ≤ t ≤ end, ascending or not', () => {
    const s = { t: Float64Array.of(1, 2, 2, 3, 4), v: Float64Array.of(10, 20, 21, 30, 40) };
    expect(Array.from(sliceSeries(s, { start: 2, end: 3 }).v)).toEqual([20, 21, 30]);
    const u = { t: Float64Array.of(4, 1, 3), v: Float64Array.of(40, 10, 30) };
    expect(Array.from(sliceSeries(u, { start: 2, end: 4 }).v)).toEqual([40, 30]);
    expect(sliceSeries(s, { start: 9, end: 10 }).t.length).toBe(0);
  });

  it('analyzeTrend over a window ignores points outside it', () => {
    // Flat for 100 h, then a steep ramp; the window on the flat part is stable.
    const jitter = noise(5);
    const s = series(200, (i) => (i < 100 ? 5 + jitter() : 5 + (i - 100) * 3));
    expect(analyzeTrend(s, { window: { start: T0, end: T0 + 99 * HOUR } }).pattern).toBe('stable');
    expect(
      analyzeTrend(s, { window: { start: T0 + 100 * HOUR, end: T0 + 199 * HOUR } }).pattern
    ).toBe('gradual_increase');
  });
});
