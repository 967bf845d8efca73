import { describe, expect, it } from 'vitest';
import {
  computeNormalQuantile,
  fitHoltWinters,
  forecastExhaustion,
  forecastHoltWinters,
  forecastLinear
} from './forecast';
import { computeStudentTQuantile } from './trends';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 23);

function noise(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

describe('forecastLinear', () => {
  it('prediction interval matches the textbook formula on a hand fixture', () => {
    // x = 1..5, y = 2,4,5,4,5: ŷ(6) = ȳ + b·(6 − x̄) = 4 + 0.6·3 = 5.8; s² = 0.8, Sxx = 10.
    const f = forecastLinear(
      { t: Float64Array.of(1, 2, 3, 4, 5), v: Float64Array.of(2, 4, 5, 4, 5) },
      { at: [6] }
    );
    const p = f.points[0];
    expect(p.value).toBeCloseTo(5.8, 12);
    const half = computeStudentTQuantile(0.975, 3) * Math.sqrt(0.8) * Math.sqrt(1 + 1 / 5 + 9 / 10);
    expect(p.upper - p.value).toBeCloseTo(half, 10);
    expect(p.value - p.lower).toBeCloseTo(half, 10);
  });

  it('too few points → NaN', () => {
    const f = forecastLinear({ t: Float64Array.of(1, 2), v: Float64Array.of(1, 2) }, { at: [3] });
    expect(f.points[0].value).toBeNaN();
  });
});

describe('Holt–Winters', () => {
  it('tracks a clean seasonal ramp', () => {
    const v = Array.from(
      { length: 24 * 6 },
      (_, i) => 100 + i * 0.5 + 20 * Math.sin((2 * Math.PI * i) / 24)
    );
    const fit = fitHoltWinters(v, { period: 24 })!;
    expect(fit).not.toBeNull();
    const f = forecastHoltWinters(fit, { horizon: 24 });
    for (let h = 1; h <= 24; h++) {
      const i = v.length - 1 + h;
      const truth = 100 + i * 0.5 + 20 * Math.sin((2 * Math.PI * i) / 24);
      expect(Math.abs(f[h - 1].value - truth)).toBeLessThan(2);
    }
    // Intervals widen with the horizon.
    expect(f[23].upper - f[23].lower).toBeGreaterThanOrEqual(f[0].upper - f[0].lower);
  });

  it.each([
    ['less than two periods', Array.from({ length: 30 }, (_, i) => i), 24],
    ['a NaN', [...Array.from({ length: 60 }, (_, i) => i), NaN], 24],
    ['period < 2', [1, 2, 3, 4], 1]
  ])('refuses %s', (_, v, period) => {
    expect(fitHoltWinters(v as number[], { period: period as number })).toBeNull();
  });

  it('normal quantile', () => {
    expect(computeNormalQuantile(0.975)).toBeCloseTo(1.959963984540054, 10);
    expect(computeNormalQuantile(0.5)).toBeCloseTo(0, 12);
  });
});

describe('forecastExhaustion', () => {
  const rnd = noise(3);
  const disk = (n: number, perDay: number, start = 100e9) => ({
    t: Float64Array.from({ length: n }, (_, i) => NOW - (n - 1 - i) * HOUR),
    v: Float64Array.from({ length: n }, (_, i) => start + (i * perDay) / 24 + rnd() * 1e8)
  });

  it('a disk growing 10 GB/day with 100 GB free is full in about 10 days', () => {
    const s = disk(24 * 7, 10e9);
    const last = s.v[s.v.length - 1];
    const r = forecastExhaustion({
      series: s,
      capacity: last + 100e9,
      now: NOW,
      label: 'Disk full'
    })!;
    expect(r.method).toBe('linear');
    expect(r.daysUntil).toBeGreaterThan(9.8);
    expect(r.daysUntil).toBeLessThan(10.2);
    expect(r.earliest).toBeLessThanOrEqual(r.exhaustAt);
    expect(r.latest).toBeGreaterThanOrEqual(r.exhaustAt);
    expect(r.slopePerDay / 1e9).toBeCloseTo(10, 1);
    expect(r.message).toMatch(/^Disk full in 10\.\d days \(on 2026-12-0[23]/);
  });

  it.each([
    ['flat', disk(100, 0)],
    ['shrinking', disk(100, -5e9)],
    ['too short', disk(2, 10e9)]
  ])('%s usage → null', (_, s) => {
    expect(forecastExhaustion({ series: s, capacity: 1e15, now: NOW })).toBeNull();
  });

  it('beyond the horizon → null', () => {
    const s = disk(100, 1e6);
    expect(forecastExhaustion({ series: s, capacity: 1e18, now: NOW })).toBeNull();
  });

  it('already over capacity → exhausted now', () => {
    const s = disk(10, 1e9);
    const r = forecastExhaustion({ series: s, capacity: 50e9, now: NOW })!;
    expect(r.method).toBe('already_exhausted');
    expect(r.daysUntil).toBe(0);
  });

  it('uses Holt–Winters when a period is given and data suffice', () => {
    const n = 24 * 10;
    const s = {
      t: Float64Array.from({ length: n }, (_, i) => NOW - (n - 1 - i) * HOUR),
      v: Float64Array.from(
        { length: n },
        (_, i) => 1000 + i * 2 + 50 * Math.sin((2 * Math.PI * i) / 24)
      )
    };
    const r = forecastExhaustion({
      series: s,
      capacity: 1000 + n * 2 + 480,
      now: NOW,
      periodMs: DAY
    })!;
    expect(r.method).toBe('holt_winters');
    // 480 units at 2/h ≈ 240 h = 10 days, give or take the seasonal swing.
    expect(r.daysUntil).toBeGreaterThan(8);
    expect(r.daysUntil).toBeLessThan(12);
  });
});
