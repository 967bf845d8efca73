import { describe, expect, it } from 'vitest';
import { createSeasonalDetector, SEASONAL_THRESHOLD } from './seasonal';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1); // a Monday, 00:00 UTC

describe('seasonal detector', () => {
  it('learns a daily profile from the timestamps and predicts the slot exactly', () => {
    // Hourly slots, value = hour of day: after one day each slot holds its hour exactly.
    const d = createSeasonalDetector({ slotMs: HOUR });
    const scores: number[] = [];
    for (let h = 0; h < 72; h++) scores.push(d.push(T0 + h * HOUR, h % 24));
    expect(d.model()).toBe('daily');
    expect(d.predict(T0 + 72 * HOUR + 5 * HOUR)).toBe(5);
    // Once the daily profile has made 30 errors (index 54) it is trusted: MAE 0, so on-profile values score 0...
    expect(scores.slice(54).every((s) => s === 0)).toBe(true);
    // ...and an off-profile value at its usual time is infinitely surprising.
    expect(d.push(T0 + 72 * HOUR, 12)).toBe(1);
  });

  it('falls back to the level when there is no cycle', () => {
    const d = createSeasonalDetector({ slotMs: HOUR });
    // Noise around 10 that does not repeat by hour of day.
    for (let i = 0; i < 24 * 5; i++) d.push(T0 + i * HOUR, 10 + (((i * 7919) % 13) - 6) / 6);
    expect(['level', 'daily']).toContain(d.model());
    expect(d.push(T0 + 24 * 5 * HOUR, 10)).toBeLessThan(SEASONAL_THRESHOLD);
    expect(d.push(T0 + (24 * 5 + 1) * HOUR, 40)).toBeGreaterThanOrEqual(SEASONAL_THRESHOLD);
  });

  it('uses the weekly profile once it beats the daily one', () => {
    // Weekdays 10, weekends 50: the daily profile is wrong twice a week, the weekly never.
    const d = createSeasonalDetector({ slotMs: HOUR });
    for (let h = 0; h < 24 * 7 * 4; h++) {
      const day = Math.floor(h / 24) % 7; // 0 = Monday
      d.push(T0 + h * HOUR, day >= 5 ? 50 : 10);
    }
    expect(d.model()).toBe('weekly');
    expect(d.predict(T0 + (24 * 7 * 4 + 24 * 5) * HOUR)).toBe(50);
  });

  it('handles duplicate and backward timestamps without throwing', () => {
    const d = createSeasonalDetector();
    const ts = [T0, T0, T0 + HOUR, T0 + HOUR / 2, T0 + 2 * HOUR];
    for (const t of ts) expect(Number.isFinite(d.push(t, 1))).toBe(true);
  });

  it.each([NaN, Infinity, -Infinity])('value %f scores 0 and is not learned', (bad) => {
    const d = createSeasonalDetector({ slotMs: HOUR });
    for (let h = 0; h < 48; h++) d.push(T0 + h * HOUR, h % 24);
    const { z: _a, ...before } = d.state();
    expect(d.push(T0 + 48 * HOUR, bad)).toBe(0);
    const { z: _b, ...after } = d.state();
    expect(after).toEqual(before);
  });

  it('resumes from a JSON round trip of its state', () => {
    const values = Array.from({ length: 600 }, (_, i) => Math.sin(i / 20) * 5 + (i % 7));
    const a = createSeasonalDetector();
    const full = values.map((v, i) => a.push(T0 + i * 300_000, v));
    const b = createSeasonalDetector();
    const head = values.slice(0, 300).map((v, i) => b.push(T0 + i * 300_000, v));
    const c = createSeasonalDetector({ state: JSON.parse(JSON.stringify(b.state())) });
    const tail = values.slice(300).map((v, i) => c.push(T0 + (300 + i) * 300_000, v));
    expect([...head, ...tail]).toEqual(full);
  });
});

describe('seasonal clipping (opt-in)', () => {
  it('learns at most clip σ of an outlier into its slot', () => {
    // Day 1 sets each hourly slot to its hour; day 2 alternates ±1 so the daily MAE is ~1.
    const plain = createSeasonalDetector({ slotMs: HOUR });
    const clipped = createSeasonalDetector({ slotMs: HOUR, clip: 2 });
    for (let h = 0; h < 24 * 6; h++) {
      const v = (h % 24) + (h >= 24 ? (h % 2 ? 1 : -1) : 0);
      plain.push(T0 + h * HOUR, v);
      clipped.push(T0 + h * HOUR, v);
    }
    const spikeAt = T0 + 24 * 6 * HOUR; // 00:00, slot 0
    plain.push(spikeAt, 1000);
    clipped.push(spikeAt, 1000);
    // Slot 0 held ≈ −1 (the ±1 pattern at hour 0): plainly it moves half way to 1000.
    expect(plain.state().daily[0]).toBeGreaterThan(400);
    expect(clipped.state().daily[0]).toBeLessThan(3);
    expect(clipped.state().daily[0]).toBeGreaterThan(-1);
  });
});

describe('seasonal assess/learn split', () => {
  it('observe equals assess then learn, and a point never learnt leaves no trace', () => {
    const a = createSeasonalDetector({ slotMs: HOUR });
    const b = createSeasonalDetector({ slotMs: HOUR });
    const c = createSeasonalDetector({ slotMs: HOUR });
    for (let h = 0; h < 72; h++) {
      const v = (h % 24) + (h % 5) / 10;
      expect(b.assess(T0 + h * HOUR, v)).toBe(a.observe(T0 + h * HOUR, v));
      b.learn(T0 + h * HOUR, v);
      c.observe(T0 + h * HOUR, v);
    }
    expect(b.state()).toEqual(a.state());
    const before = c.state();
    c.assess(T0 + 72 * HOUR, 500); // assessed but not learnt
    const { z: _z1, model: _m1, ...after } = c.state();
    const { z: _z0, model: _m0, ...kept } = before;
    expect(after).toEqual(kept);
  });
});
