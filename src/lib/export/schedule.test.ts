import { describe, expect, it } from 'vitest';
import {
  formatSlotStamp,
  planRun,
  scheduledFileName,
  slotAfter,
  slotAtOrBefore,
  splitProducedName,
  type ScheduleTiming
} from './schedule';

const H = 3_600_000;
const hourly: ScheduleTiming = { every: 'hourly', hour: 0, weekday: 0 };
const daily6: ScheduleTiming = { every: 'daily', hour: 6, weekday: 0 };
/** Mondays at 07:00 UTC. */
const weeklyMon7: ScheduleTiming = { every: 'weekly', hour: 7, weekday: 1 };
const at = (d: number, h: number, m = 0) => Date.UTC(2026, 11, d, h, m); // December 2026

describe('slotAtOrBefore / slotAfter', () => {
  it.each([
    ['hourly, mid-hour', hourly, at(8, 10, 20), at(8, 10), at(8, 11)],
    ['hourly, on the hour', hourly, at(8, 10), at(8, 10), at(8, 11)],
    ['daily 06:00, after it', daily6, at(8, 10), at(8, 6), at(9, 6)],
    ['daily 06:00, before it', daily6, at(8, 5, 59), at(7, 6), at(8, 6)],
    // 2026-12-08 is a Tuesday: the Monday before is the 7th, the next the 14th.
    ['weekly Monday 07:00, on Tuesday', weeklyMon7, at(8, 12), at(7, 7), at(14, 7)],
    ['weekly Monday 07:00, Monday 06:59', weeklyMon7, at(14, 6, 59), at(7, 7), at(14, 7)],
    ['weekly Monday 07:00, on the slot', weeklyMon7, at(14, 7), at(14, 7), at(21, 7)]
  ])('%s', (_name, timing, t, before, after) => {
    expect(slotAtOrBefore(timing, t)).toBe(before);
    expect(slotAfter(timing, t)).toBe(after);
  });

  it('weekly slots fall on the chosen UTC weekday for every weekday', () => {
    for (let weekday = 0; weekday < 7; weekday++) {
      const s = slotAtOrBefore({ every: 'weekly', hour: 3, weekday }, at(20, 0));
      expect(new Date(s).getUTCDay()).toBe(weekday);
      expect(new Date(s).getUTCHours()).toBe(3);
      expect(s).toBeLessThanOrEqual(at(20, 0));
      expect(at(20, 0) - s).toBeLessThan(7 * 24 * H);
    }
  });

  it('is the same slot on both sides of a daylight-saving change (slots are UTC)', () => {
    // Europe switched to winter time on 2026-10-25 at 01:00 UTC.
    const before = slotAtOrBefore(daily6, Date.UTC(2026, 9, 25, 0, 30));
    const after = slotAtOrBefore(daily6, Date.UTC(2026, 9, 25, 7));
    expect(after - before).toBe(24 * H);
  });
});

describe('planRun', () => {
  it('a new hourly schedule is first due at the next full hour, covering the hour before', () => {
    const created = at(8, 10, 20);
    expect(planRun(hourly, { lastSlot: null, createdAt: created, now: at(8, 10, 59) })).toEqual({
      slot: null,
      from: NaN,
      skipped: 0,
      skippedSlots: [],
      next: at(8, 11)
    });
    expect(planRun(hourly, { lastSlot: null, createdAt: created, now: at(8, 11) })).toEqual({
      slot: at(8, 11),
      from: at(8, 10),
      skipped: 0,
      skippedSlots: [],
      next: at(8, 12)
    });
  });

  it('after a run, nothing is due until the next slot', () => {
    const p = planRun(hourly, { lastSlot: at(8, 11), createdAt: 0, now: at(8, 11, 59) });
    expect(p.slot).toBeNull();
    expect(p.next).toBe(at(8, 12));
  });

  it('catch-up: the latest missed slot runs once, the earlier ones are recorded as skipped, the window covers the gap', () => {
    expect(planRun(hourly, { lastSlot: at(8, 10), createdAt: 0, now: at(8, 13, 30) })).toEqual({
      slot: at(8, 13),
      from: at(8, 10),
      skipped: 2,
      skippedSlots: [at(8, 11), at(8, 12)],
      next: at(8, 14)
    });
  });

  it('a long absence: the window is capped and the skipped list is bounded, the count exact', () => {
    const p = planRun(hourly, {
      lastSlot: at(1, 0),
      createdAt: 0,
      now: at(8, 0, 5),
      maxWindowPeriods: 24
    });
    expect(p.slot).toBe(at(8, 0));
    expect(p.skipped).toBe(7 * 24 - 1);
    expect(p.skippedSlots).toHaveLength(24);
    expect(p.skippedSlots[0]).toBe(at(1, 1));
    expect(p.from).toBe(at(7, 0));
  });

  it('daily and weekly schedules step by their period', () => {
    const d = planRun(daily6, { lastSlot: at(6, 6), createdAt: 0, now: at(8, 6) });
    expect(d).toMatchObject({ slot: at(8, 6), from: at(6, 6), skipped: 1, next: at(9, 6) });
    const w = planRun(weeklyMon7, { lastSlot: null, createdAt: at(8, 12), now: at(14, 7) });
    expect(w).toMatchObject({ slot: at(14, 7), from: at(7, 7), skipped: 0, next: at(21, 7) });
  });
});

describe('file names', () => {
  it('stamps the slot as yyyymmddTHHMMZ', () => {
    expect(formatSlotStamp(at(8, 14))).toBe('20261208T1400Z');
    expect(formatSlotStamp(Date.UTC(2027, 0, 2, 3, 4, 59))).toBe('20270102T0304Z');
  });

  it('names files tidemark-[label-]dataset-stamp.ext', () => {
    expect(scheduledFileName({ label: '', dataset: 'metrics', slot: at(8, 14), ext: 'csv' })).toBe(
      'tidemark-metrics-20261208T1400Z.csv'
    );
    expect(
      scheduledFileName({
        label: 'Power BI',
        dataset: 'Events grouped',
        slot: at(8, 14),
        ext: 'CSV'
      })
    ).toBe('tidemark-power-bi-events-grouped-20261208T1400Z.csv');
    expect(scheduledFileName({ label: '', dataset: '…', slot: at(8, 14), ext: 'xml' })).toBe(
      'tidemark-export-20261208T1400Z.xml'
    );
  });

  it('names of one dataset sort in time order as plain text', () => {
    const slots = [at(9, 1), at(8, 23), at(10, 0), at(8, 2)];
    const names = slots.map((slot) =>
      scheduledFileName({ label: '', dataset: 'metrics', slot, ext: 'csv' })
    );
    expect([...names].sort()).toEqual(
      [...slots]
        .sort((a, b) => a - b)
        .map((slot) => scheduledFileName({ label: '', dataset: 'metrics', slot, ext: 'csv' }))
    );
  });

  it('splits an export file name into dataset and extension', () => {
    const prefix = 'tidemark-2026-12-08T14-00-00Z';
    expect(splitProducedName(`${prefix}-events.csv`)).toEqual({
      dataset: 'events',
      ext: 'csv'
    });
    expect(splitProducedName(`${prefix}-bundle.ndjson`)).toEqual({
      dataset: 'bundle',
      ext: 'ndjson'
    });
    expect(splitProducedName('report')).toEqual({ dataset: 'report', ext: 'dat' });
  });
});
