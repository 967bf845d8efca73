import { describe, expect, it } from 'vitest';
import { createZoneCalendar } from './resultlog-time';

const HOUR = 3_600_000;

describe('createZoneCalendar', () => {
  it.each([
    // [zone, instant, offset hours]
    ['Europe/London', Date.UTC(2026, 0, 15, 12), 0],
    ['Europe/London', Date.UTC(2026, 6, 15, 12), 1],
    ['America/New_York', Date.UTC(2026, 0, 15, 12), -5],
    ['America/New_York', Date.UTC(2026, 6, 15, 12), -4],
    ['Asia/Kolkata', Date.UTC(2026, 6, 15, 12), 5.5],
    ['UTC', Date.UTC(2026, 6, 15, 12), 0]
  ])('%s offset at %d is %d h', (zone, t, hours) => {
    expect(createZoneCalendar(zone).offsetAt(t)).toBe(hours * HOUR);
  });

  it('London days around the DST changes are 23 h and 25 h long', () => {
    const cal = createZoneCalendar('Europe/London');
    const spring = cal.dayStart(Date.UTC(2026, 2, 29, 12));
    const springNext = cal.dayStart(Date.UTC(2026, 2, 30, 12));
    expect(spring).toBe(Date.UTC(2026, 2, 29, 0));
    expect(springNext - spring).toBe(23 * HOUR);
    const autumn = cal.dayStart(Date.UTC(2026, 9, 25, 12));
    const autumnNext = cal.dayStart(Date.UTC(2026, 9, 26, 12));
    expect(autumn).toBe(Date.UTC(2026, 9, 24, 23));
    expect(autumnNext - autumn).toBe(25 * HOUR);
  });

  it('hour starts, hour of day and the repeated 01:00 in New York (1 Nov 2026)', () => {
    const cal = createZoneCalendar('America/New_York');
    const first = Date.UTC(2026, 10, 1, 5, 30); // 01:30 EDT
    const second = Date.UTC(2026, 10, 1, 6, 30); // 01:30 EST
    expect(cal.hourOfDay(first)).toBe(1);
    expect(cal.hourOfDay(second)).toBe(1);
    expect(cal.hourStart(first)).toBe(Date.UTC(2026, 10, 1, 5));
    expect(cal.hourStart(second)).toBe(Date.UTC(2026, 10, 1, 6));
    expect(cal.dateLabel(second)).toBe('2026-11-01');
  });

  it('half-hour zones start hours at :30 UTC', () => {
    const cal = createZoneCalendar('Asia/Kolkata');
    expect(cal.hourStart(Date.UTC(2026, 6, 15, 12, 10))).toBe(Date.UTC(2026, 6, 15, 11, 30));
  });

  it('weeks start on local Monday; day of week is local', () => {
    const cal = createZoneCalendar('America/New_York');
    // Sunday 1 Nov 2026 22:00 EST = Monday 03:00Z: still Sunday locally.
    const t = Date.UTC(2026, 10, 2, 3);
    expect(cal.dayOfWeek(t)).toBe(0);
    expect(cal.weekStart(t)).toBe(Date.UTC(2026, 9, 26, 4)); // Monday 26 Oct 00:00 EDT
  });

  it('an unknown zone throws', () => {
    expect(() => createZoneCalendar('Mars/Olympus')).toThrow(RangeError);
  });
});
