import { describe, expect, it } from 'vitest';
import { continueDemoSeries, DemoLiveDefaults } from './continue';

const cpu = { key: 'cpu_usage_percent{cpu="0"}', name: 'cpu_usage_percent', lastV: 20 };

describe('continueDemoSeries', () => {
  it('writes one point per step after the last one, up to and including `to`', () => {
    const out = continueDemoSeries({ ...cpu, lastT: 10_500, to: 14_000 });
    expect([...out.t]).toEqual([11_000, 12_000, 13_000, 14_000]);
    expect(out.v).toHaveLength(4);
  });

  it('is empty when `to` is not past the next step', () => {
    expect(continueDemoSeries({ ...cpu, lastT: 10_000, to: 10_999 }).t).toHaveLength(0);
    expect(continueDemoSeries({ ...cpu, lastT: 10_000, to: 5_000 }).t).toHaveLength(0);
  });

  it('fills at most maxFillMs: a tab closed for a day leaves a gap, not a day of points', () => {
    const out = continueDemoSeries({ ...cpu, lastT: 0, to: 86_400_000 });
    expect(out.t).toHaveLength(DemoLiveDefaults.maxFillMs / DemoLiveDefaults.stepMs);
    expect(out.t[out.t.length - 1]).toBe(86_400_000);
  });

  it('is deterministic: the same input gives the same values', () => {
    const a = continueDemoSeries({ ...cpu, lastT: 0, to: 60_000 });
    const b = continueDemoSeries({ ...cpu, lastT: 0, to: 60_000 });
    expect([...a.v]).toEqual([...b.v]);
  });

  it('moves, stays in bounds and starts near the last value', () => {
    const out = continueDemoSeries({ ...cpu, lastT: 0, to: 300_000 });
    expect(new Set(out.v).size).toBeGreaterThan(50);
    expect(Math.min(...out.v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...out.v)).toBeLessThanOrEqual(100);
    expect(Math.abs(out.v[0] - 20)).toBeLessThan(15);
  });

  it('keeps constant series constant and unknown series near their value', () => {
    const total = continueDemoSeries({
      key: 'memory_total_bytes',
      name: 'memory_total_bytes',
      lastT: 0,
      lastV: 32,
      to: 10_000
    });
    expect(new Set(total.v)).toEqual(new Set([32]));
    const other = continueDemoSeries({ key: 'x', name: 'x', lastT: 0, lastV: 1000, to: 10_000 });
    for (const x of other.v) expect(Math.abs(x - 1000)).toBeLessThan(200);
  });
});
