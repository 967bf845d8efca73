import { describe, expect, it, vi } from 'vitest';
import { parseLoadRate, startSyntheticLoad, SyntheticLoadDefaults } from '$lib/state/load';
import type { PointBatch } from '$lib/types';

describe('parseLoadRate', () => {
  it.each([
    [null, null],
    ['', null],
    ['abc', null],
    ['-5', null],
    ['0', null],
    ['1000', 1000],
    ['12.6', 13],
    ['1e9', SyntheticLoadDefaults.maxRate]
  ])('%j → %j', (raw, want) => {
    expect(parseLoadRate(raw)).toBe(want);
  });
});

describe('startSyntheticLoad', () => {
  it('sends exactly rate × elapsed points over 10 series, in time order', async () => {
    let clock = 1_000_000;
    const got: PointBatch[][] = [];
    const load = startSyntheticLoad({
      rate: 2000,
      tickMs: 1,
      now: () => (clock += 50),
      ingest: async (b) => void got.push(b)
    });
    await vi.waitFor(() => expect(got.length).toBeGreaterThanOrEqual(3), { timeout: 5_000 });
    load.stop();
    const sent = got.length;
    await new Promise((r) => setTimeout(r, 20));
    // Stopped means stopped: nothing is sent afterwards.
    expect(got.length).toBe(sent);
    // Each batch covers 50 ms of the fake clock: 2000/s × 0.05 s = 100 points over 10 series.
    for (const batch of got) {
      expect(batch).toHaveLength(10);
      for (const b of batch) {
        expect(b.t.length).toBe(10);
        for (let i = 1; i < b.t.length; i++) expect(b.t[i]).toBeGreaterThan(b.t[i - 1]);
      }
    }
    expect(load.stats.stored).toBe(got.length * 100);
    expect(new Set(got[0].map((b) => b.series.labels.i)).size).toBe(10);
  });
});
