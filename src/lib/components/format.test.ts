import { describe, expect, it } from 'vitest';
import {
  columnTitle,
  formatBytes,
  formatCount,
  formatDuration,
  formatTicks,
  formatValue,
  unitLabel
} from './format';

describe('one formatter', () => {
  it('shows bytes in IEC units whatever the unit is called', () => {
    expect(formatValue(14e9, 'B')).toBe('13 GiB');
    expect(formatValue(14e9, 'bytes')).toBe('13 GiB');
    expect(formatValue(1536, 'By')).toBe('1.5 KiB');
    expect(formatValue(3 * 1024 ** 2, 'B/s')).toBe('3 MiB/s');
    expect(formatBytes(512)).toBe('512 B');
  });

  it('never writes a plain large number as "14B"', () => {
    expect(formatValue(14e9, '')).toBe('14 billion');
    expect(formatValue(1234.5, '')).toBe('1,234.5');
    expect(formatValue(1.18506, '')).toBe('1.19');
  });

  it('shows durations from any time unit', () => {
    expect(formatValue(0.25, 's')).toBe('250 ms');
    expect(formatValue(850, 'us')).toBe('850 µs');
    expect(formatValue(1.2, 'ms')).toBe('1.2 ms');
    expect(formatValue(3700, 's')).toBe('1 h 2 min');
    expect(formatDuration(90_000)).toBe('2 min');
  });

  it('shows percent, ratios and counts as people read them', () => {
    expect(formatValue(12.3456, '%')).toBe('12.35 %');
    expect(formatValue(0.5, 'ratio')).toBe('50 %');
    expect(formatValue(5514.75, 'count')).toBe('5,515');
    expect(formatValue(5514.75, 'executions')).toBe('5,515 executions');
    expect(formatCount(5514.75)).toBe('5,515');
    expect(formatValue(2.5, 'count/s')).toBe('2.5 count/s');
  });

  it('uses SI prefixes for other units, and per-second rates', () => {
    expect(formatValue(2_500_000, 'Hz')).toBe('2.5 MHz');
    expect(formatValue(0.0042, 'V')).toBe('4.2 mV');
    expect(formatValue(2, '/s')).toBe('2 /s');
    expect(formatValue(0.44, 's/s')).toBe('0.44 s/s');
  });

  it('gives ticks as many digits as they need to differ, with one prefix', () => {
    const gib = 1024 ** 3;
    const ticks = [395, 395.2, 395.4, 395.6, 395.8, 396].map((g) => g * gib);
    const labels = formatTicks(ticks, 'B');
    expect(new Set(labels).size).toBe(6);
    expect(labels[1]).toBe('395.2 GiB');
    expect(formatTicks([0, 500, 1000, 1500], 'B')).toEqual([
      '0.0 KiB',
      '0.5 KiB',
      '1.0 KiB',
      '1.5 KiB'
    ]);
    expect(formatTicks([0, 20, 40], '%')).toEqual(['0 %', '20 %', '40 %']);
  });

  it('turns field names into column titles', () => {
    expect(columnTitle('p95Ms')).toBe('p95 (ms)');
    expect(columnTitle('avg')).toBe('Average');
    expect(columnTitle('failureRatePct')).toBe('Failure rate (%)');
    expect(columnTitle('run_count')).toBe('Run count');
    expect(unitLabel('B')).toBe('bytes');
    expect(unitLabel('/s')).toBe('per second');
  });
});
