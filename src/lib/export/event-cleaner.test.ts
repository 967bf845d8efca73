import { describe, expect, it } from 'vitest';
import type { ResultEvent } from '../types';
import { createEventCleaner, createEventGroups } from './event-cleaner';
import { PiiDefaults, stripEventPii } from './privacy';

const events: ResultEvent[] = Array.from({ length: 11 }, (_, i) => ({
  t: 1_000 + i,
  actionType: i % 2 ? 'build' : 'deploy',
  status: i % 3 ? 'ok' : 'error',
  durationMs: i === 10 ? 10_000 : i === 4 ? NaN : 100 + i,
  triggerId: `trig-${i % 2}`,
  organisationId: 'org-1',
  errorMessage: `failed for bob@example.com (${i})`,
  context: { region: 'eu' }
}));

function pages<T>(list: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(list.length / size) }, (_, i) =>
    list.slice(i * size, (i + 1) * size)
  );
}

describe('createEventCleaner', () => {
  it.each([1, 3, 11])(
    'cleaning in pages of %i gives the events and removal counts of cleaning all at once',
    async (size) => {
      const whole = await stripEventPii(events, { policy: PiiDefaults, salt: 'salt' });
      const cleaner = createEventCleaner({ policy: PiiDefaults, salt: 'salt' });
      const out: ResultEvent[] = [];
      for (const page of pages(events, size)) out.push(...(await cleaner.clean(page)));
      expect(out).toEqual(whole.events);
      expect(cleaner.removals()).toEqual(whole.removed);
    }
  );

  it('gives an id the same pseudonym on every page', async () => {
    const cleaner = createEventCleaner({ salt: 'x' });
    const a = await cleaner.clean(events.slice(0, 2));
    const b = await cleaner.clean(events.slice(2, 4));
    expect(a[0].triggerId).toBe(b[0].triggerId);
    expect(a[0].triggerId).not.toBe('trig-0');
  });

  it('after a measuring pass, leaves out far-out durations and keeps NaN gaps', async () => {
    const cleaner = createEventCleaner({
      policy: { ids: 'keep', errorMessage: 'keep', context: 'keep' },
      salt: 's'
    });
    for (const page of pages(events, 4)) cleaner.measure(page);
    const out: ResultEvent[] = [];
    for (const page of pages(events, 4)) out.push(...(await cleaner.clean(page)));
    expect(out.map((e) => e.durationMs)).not.toContain(10_000);
    expect(out).toHaveLength(10);
    expect(out.some((e) => Number.isNaN(e.durationMs))).toBe(true);
    const line = cleaner.removals().find((r) => r.field === 'events.durationMs');
    expect(line).toMatchObject({ action: 'suppressed', count: 1 });
  });

  it('without a measuring pass leaves every duration in', async () => {
    const cleaner = createEventCleaner({ salt: 's' });
    expect(await cleaner.clean(events)).toHaveLength(events.length);
    expect(cleaner.removals().some((r) => r.field === 'events.durationMs')).toBe(false);
  });

  it('empty pages give nothing and remove nothing', async () => {
    const cleaner = createEventCleaner({ salt: 's' });
    cleaner.measure([]);
    expect(await cleaner.clean([])).toEqual([]);
    expect(cleaner.removals()).toEqual([]);
  });
});

describe('createEventGroups', () => {
  it('suppresses groups smaller than k and says how many', () => {
    const groups = createEventGroups({ by: ['actionType', 'status'], k: 3 });
    for (const page of pages(events, 4)) groups.add(page);
    const { text, removal } = groups.finish();
    // deploy/error: i = 0, 6 (2); deploy/ok: 2, 4, 8, 10 (4); build/error: 3, 9 (2); build/ok: 1, 5, 7 (3)
    expect(text.rows).toBe(2);
    expect(text.csv.split('\r\n')[0]).toContain('actionType');
    expect(text.ndjson.trim().split('\n')).toHaveLength(2);
    expect(removal).toMatchObject({ field: 'event groups', action: 'suppressed', count: 2 });
    expect(removal?.detail).toContain('(4 events)');
  });

  it('groups by the default dimensions when none are chosen, and removes nothing when all groups are large enough', () => {
    const a = createEventGroups({ by: [], k: 1 });
    const b = createEventGroups({ by: ['actionType', 'status'], k: 1 });
    a.add(events);
    b.add(events);
    const ra = a.finish();
    expect(ra).toEqual(b.finish());
    expect(ra.removal).toBeNull();
  });
});
