import { describe, expect, it } from 'vitest';
import { createValueFences } from './value-fences';

const cols = (v: number[]) => ({ t: Float64Array.from(v, (_x, i) => i), v: Float64Array.from(v) });

describe('createValueFences', () => {
  it('after measuring every slice, leaves out far-out values of that output only', () => {
    const f = createValueFences();
    const slices = [cols([10, 11, 12, 13]), cols([14, 15, 1e6, NaN])];
    for (const s of slices) f.measure('a', s.v);
    const out = slices.map((s) => f.filter('a', s));
    expect([...out[1].v]).toEqual([14, 15, NaN]);
    expect(f.filter('b', slices[1])).toBe(slices[1]);
    expect(f.removed()).toBe(1);
    expect(f.removal()).toMatchObject({ field: 'values', action: 'suppressed', count: 1 });
  });

  it('with nothing measured passes every slice through and reports no removal', () => {
    const f = createValueFences();
    const c = cols([1, 1e9]);
    expect(f.filter('a', c)).toBe(c);
    expect(f.removal()).toBeNull();
  });
});
