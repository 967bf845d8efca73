import { describe, expect, it } from 'vitest';
import type { ResultEvent } from '$lib/types';
import { computeInsightEvidence, downsampleMeans } from './insight-evidence';

const col = (t: number[], v: number[]) => ({ t: Float64Array.from(t), v: Float64Array.from(v) });

describe('downsampleMeans', () => {
  it('averages each slice and stamps it at its start', () => {
    const d = downsampleMeans(col([0, 1, 2, 3], [1, 3, 5, 7]), { from: 0, to: 4, points: 2 });
    expect(Array.from(d.t)).toEqual([0, 2]);
    expect(Array.from(d.v)).toEqual([2, 6]);
  });

  it('leaves empty slices as gaps and skips points outside or NaN', () => {
    const d = downsampleMeans(col([-1, 0, 3, 3.5, 9], [100, 4, NaN, 8, 100]), {
      from: 0,
      to: 4,
      points: 4
    });
    expect(Array.from(d.v)).toEqual([4, NaN, NaN, 8]);
  });

  it.each([
    ['no points', col([], []), 4],
    ['no slices', col([1], [1]), 0]
  ])('is empty for %s', (_n, s, points) => {
    expect(downsampleMeans(s, { from: 0, to: 4, points }).t.length).toBe(0);
  });
});

describe('computeInsightEvidence', () => {
  const hour = 3_600_000;
  const ev = (t: number, actionType: string, status: string) =>
    ({ t, actionType, status }) as unknown as ResultEvent;

  it('draws a series insight from its series and a failure-rate insight per hour', () => {
    const out = computeInsightEvidence({
      subjects: [
        { subject: 'heap', type: 'memory_leak' },
        { subject: 'deploy', type: 'failure_rate' },
        { subject: 'gone', type: 'trend' }
      ],
      series: [{ key: 'heap', unit: 'B', ...col([0, hour, 2 * hour], [10, 20, 30]) }],
      // Hour 0: 1 of 4 failed (25 %); hour 1: none; hour 2: 1 of 1 (100 %).
      events: [
        ev(0, 'deploy', 'success'),
        ev(10, 'deploy', 'success'),
        ev(20, 'deploy', 'failure'),
        ev(30, 'deploy', 'SUCCESS'),
        ev(40, 'other', 'failure'),
        ev(2 * hour + 5, 'deploy', 'timeout')
      ],
      window: { start: 0, end: 3 * hour },
      points: 3
    });
    expect(Object.keys(out).sort()).toEqual(['deploy', 'heap']);
    expect(Array.from(out.heap.v)).toEqual([10, 20, 30]);
    expect(out.heap.unit).toBe('B');
    expect(Array.from(out.deploy.t)).toEqual([0, hour, 2 * hour]);
    expect(Array.from(out.deploy.v)).toEqual([25, NaN, 100]);
    expect(out.deploy.unit).toBe('%');
  });
});
