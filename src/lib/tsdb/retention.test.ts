import { describe, expect, it } from 'vitest';
import { DefaultRetention, type RetentionKey } from '$lib/types';
import {
  describeRetention,
  nextCleanupTime,
  planRetention,
  splitRetention,
  validateRetention
} from './retention';

const U = Date.UTC;
const H = 3_600_000;
const D = 24 * H;

describe('planRetention', () => {
  const now = U(2026, 5, 15, 10, 17, 23, 500);

  it.each<[RetentionKey, number, number, boolean]>([
    // raw: 1 h, no alignment
    ['raw', now - 2 * H, now - H, true],
    ['raw', now - H, now - H, false],
    // 1 s: 1 h, aligned down to the second
    ['1s', now - 2 * H, U(2026, 5, 15, 9, 17, 23), true],
    // 1 min: 24 h, aligned to the minute; a bucket straddling the cutoff is kept
    ['1m', U(2026, 5, 14, 10, 17), U(2026, 5, 14, 10, 17), false],
    ['1m', U(2026, 5, 14, 10, 16), U(2026, 5, 14, 10, 17), true],
    // 1 d: 2 years, aligned to the day
    ['1d', U(2020, 0, 1), U(2024, 5, 15), true],
    // 1 M: 5 years, aligned to the month
    ['1M', U(2021, 5, 1), U(2021, 5, 1), false],
    ['events', now - 91 * D, now - 90 * D, true]
  ])('%s with oldest %d → deleteBefore %d, delete %s', (tier, oldestT, deleteBefore, del) => {
    const [step] = planRetention({ now, retention: DefaultRetention, tiers: [{ tier, oldestT }] });
    expect(step.cutoff).toBe(now - DefaultRetention[tier]);
    expect(step.deleteBefore).toBe(deleteBefore);
    expect(step.delete).toBe(del);
  });

  it('aligns calendar tiers to the user zone', () => {
    const [step] = planRetention({
      now: U(2026, 5, 15, 12),
      retention: { '1d': 10 * D },
      tiers: [{ tier: '1d', oldestT: 0 }],
      timeZone: 'America/New_York'
    });
    // cutoff 2026-06-05 12:00Z = 08:00 EDT → that day started 04:00Z
    expect(step.deleteBefore).toBe(U(2026, 5, 5, 4));
  });

  it.each([
    ['missing policy', {}, 0],
    ['infinite policy', { '1h': Infinity }, 0],
    ['negative policy', { '1h': -5 }, 0],
    ['no data', { '1h': H }, undefined]
  ])('%s: nothing is deleted', (_name, retention, oldestT) => {
    const [step] = planRetention({ now, retention, tiers: [{ tier: '1h', oldestT }] });
    expect(step.delete).toBe(false);
  });

  it('empty tiers → empty plan', () => {
    expect(planRetention({ now, retention: DefaultRetention, tiers: [] })).toEqual([]);
  });
});

describe('nextCleanupTime', () => {
  it.each<[string, number, number, number | undefined]>([
    ['UTC', U(2026, 0, 1, 0, 0), U(2026, 0, 1, 2), undefined],
    ['UTC', U(2026, 0, 1, 2, 0), U(2026, 0, 2, 2), undefined],
    ['UTC', U(2026, 0, 1, 1, 59, 59, 999), U(2026, 0, 1, 2), undefined],
    ['Europe/London', U(2026, 6, 1, 12), U(2026, 6, 2, 1), undefined],
    // 2026-03-08 02:00 does not exist in New York: 03:00 EDT (07:00Z) instead.
    ['America/New_York', U(2026, 2, 8, 5), U(2026, 2, 8, 7), undefined],
    // Europe/London's gap is 01:00–02:00: a 01:30 cleanup moves to 02:00 BST (01:00Z).
    ['Europe/London', U(2026, 2, 28, 23), U(2026, 2, 29, 1), 1.5],
    // 2026-11-01 01:30 happens twice in New York: the first one (EDT, 05:30Z).
    ['America/New_York', U(2026, 10, 1, 4), U(2026, 10, 1, 5, 30), 1.5],
    ['Asia/Kolkata', U(2026, 0, 1, 0), U(2026, 0, 1, 20, 30), undefined],
    ['Australia/Lord_Howe', U(2026, 9, 3, 15), U(2026, 9, 3, 15, 30), undefined]
  ])('%s from %d → %d (hour %s)', (timeZone, now, expected, hour) => {
    expect(nextCleanupTime({ now, timeZone, hour })).toBe(expected);
  });

  it('non-finite now → NaN', () => {
    expect(nextCleanupTime({ now: NaN, timeZone: 'UTC' })).toBeNaN();
  });
});

describe('validateRetention', () => {
  it('accepts the defaults', () => {
    expect(validateRetention({ ...DefaultRetention })).toEqual({});
  });

  it('rejects a coarser tier kept shorter than the finer one, naming both', () => {
    const errors = validateRetention({ ...DefaultRetention, '5m': 12 * H });
    expect(errors).toEqual({
      '5m': '5 min buckets must be kept at least as long as 1 min buckets (1 day).'
    });
  });

  it('checks raw against the 1 s tier and the whole ladder in order', () => {
    const errors = validateRetention({ ...DefaultRetention, raw: 2 * H });
    expect(Object.keys(errors)).toEqual(['1s']);
    expect(errors['1s']).toContain('raw points (2 hours)');
  });

  it.each([
    ['not a number', NaN, 'enter a number'],
    ['under an hour', 30 * 60_000, 'at least 1 hour'],
    ['over a century', 101 * 365 * D, 'at most 100 years']
  ])('rejects events %s', (_label, ms, message) => {
    const errors = validateRetention({ ...DefaultRetention, events: ms });
    expect(Object.keys(errors)).toEqual(['events']);
    expect(errors.events).toContain(message);
  });

  it('does not pile ladder errors on a tier that is itself invalid', () => {
    const errors = validateRetention({ ...DefaultRetention, '1m': NaN });
    expect(Object.keys(errors)).toEqual(['1m']);
  });

  it('allows equal neighbours (1 s and raw both an hour)', () => {
    expect(validateRetention({ ...DefaultRetention, '10s': H })).toEqual({});
  });
});

describe('splitRetention and describeRetention', () => {
  it.each([
    [H, 1, 'hours', '1 hour'],
    [36 * H, 36, 'hours', '36 hours'],
    [7 * D, 7, 'days', '7 days'],
    [30 * D, 1, 'months', '1 month'],
    [90 * D, 3, 'months', '3 months'],
    [2 * 365 * D, 2, 'years', '2 years']
  ])('%d ms → %d %s', (ms, amount, unit, text) => {
    expect(splitRetention(ms)).toEqual({ amount, unit });
    expect(describeRetention(ms)).toBe(text);
  });

  it('gives NaN hours for a negative or non-finite duration', () => {
    expect(splitRetention(-1)).toEqual({ amount: NaN, unit: 'hours' });
    expect(splitRetention(Infinity)).toEqual({ amount: NaN, unit: 'hours' });
  });
});
