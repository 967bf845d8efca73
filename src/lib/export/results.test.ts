import { describe, expect, it } from 'vitest';
import { stripResultPii, writeResultsFile } from './results';
import type { ResultValue } from './xml';
import { ResultLogViews } from '$lib/analytics/resultlog';

const rows = [
  { triggerId: 'trg-1', p95Ms: 1200, errorMessage: 'mail bob@example.com', 'context.user': 'ana' },
  { triggerId: 'trg-1', p95Ms: NaN, errorMessage: '=SUM(A1)', 'context.user': 'bo' }
];

describe('analytics result files', () => {
  it('hashes ids consistently, redacts text and drops context under the default policy', async () => {
    const out = await stripResultPii(rows, {
      policy: { ids: 'hash', errorMessage: 'redact', context: 'drop' },
      salt: 's'
    });
    expect(out[0].triggerId).toMatch(/^anon-[0-9a-f]{16}$/);
    expect(out[1].triggerId).toBe(out[0].triggerId);
    expect(out[0].errorMessage).toBe('mail [email]');
    expect(out[0]).not.toHaveProperty('context.user');
    expect(rows[0].triggerId).toBe('trg-1');
  });

  it('drops ids and messages when asked, keeps everything under keep', async () => {
    const dropped = await stripResultPii(rows, {
      policy: { ids: 'drop', errorMessage: 'drop', context: 'drop' },
      salt: 's'
    });
    expect(Object.keys(dropped[0])).toEqual(['p95Ms']);
    const kept = await stripResultPii(rows, {
      policy: { ids: 'keep', errorMessage: 'keep', context: 'keep' },
      salt: 's'
    });
    expect(kept).toEqual(rows);
  });

  it('writes CSV with guarded formula cells and a sortable name', () => {
    const f = writeResultsFile({ title: 'Slowest triggers', createdAt: 0, rows, format: 'csv' });
    expect(f.name).toBe('tidemark-slowest-triggers-1970-01-01T00-00-00-000Z.csv');
    expect(f.text.split('\r\n')[0]).toBe('triggerId,p95Ms,errorMessage,context.user');
    expect(f.text).toContain(",NaN,'=SUM(A1),");
  });

  it('writes JSON with non-finite numbers as strings, and XML', () => {
    const json = JSON.parse(
      writeResultsFile({ title: 't', createdAt: 0, rows, format: 'json' }).text
    );
    expect(json.rows[1].p95Ms).toBe('NaN');
    expect(json.columns).toHaveLength(4);
    const xml = writeResultsFile({ title: 't', createdAt: 0, rows, format: 'xml' });
    expect(xml.type).toBe('application/xml');
    expect(xml.text).toContain('<row><v name="triggerId">trg-1</v>');
  });

  it('writes only a header for no rows', () => {
    expect(writeResultsFile({ title: 't', createdAt: 0, rows: [], format: 'csv' }).text).toBe(
      '\r\n'
    );
  });
});

describe('result-log views as result files (issue 23: every view column is exported)', () => {
  const T0 = Date.UTC(2026, 10, 20);
  const views = new ResultLogViews();
  views.apply(
    [
      {
        t: T0,
        actionType: 'email',
        status: 'success',
        durationMs: 40,
        triggerId: 'a',
        userId: 'u1'
      },
      { t: T0 + 1, actionType: 'email', status: 'failure', durationMs: 90, triggerId: 'a' }
    ],
    { now: T0 + 60_000 }
  );
  // The hourly view's per-status counts are one nested column: flattened as dashboards do.
  const { statusCounts, ...hourly } = views.readHourly()[0];
  const tables: Record<string, Record<string, ResultValue>> = {
    hourly: { ...hourly, 'statusCounts.success': statusCounts.success },
    triggers: { ...views.readTriggers()[0] },
    distribution: { ...views.readDistribution()[0] }
  };

  it.each(Object.entries(tables))('%s: CSV, JSON and XML carry every column', (_, row) => {
    const columns = Object.keys(row);
    const csv = writeResultsFile({ title: 'v', createdAt: T0, rows: [row], format: 'csv' });
    expect(csv.text.split('\r\n')[0].split(',')).toEqual(columns);
    const json = JSON.parse(
      writeResultsFile({ title: 'v', createdAt: T0, rows: [row], format: 'json' }).text
    );
    expect(json.columns).toEqual(columns);
    const xml = writeResultsFile({ title: 'v', createdAt: T0, rows: [row], format: 'xml' }).text;
    for (const c of columns) expect(xml).toContain(c);
  });

  it('the new columns hold their figures', () => {
    expect(tables.hourly).toMatchObject({
      failureCount: 1,
      errorRate: 0.5,
      minDurationMs: 40,
      maxDurationMs: 90,
      uniqueUsers: 2
    });
    expect(tables.triggers).toMatchObject({ minMs: 40, maxMs: 90 });
    expect(tables.distribution).toMatchObject({
      successCount: 1,
      failureCount: 1,
      lastSeen: T0 + 1
    });
  });
});
