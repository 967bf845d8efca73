import { describe, expect, it } from 'vitest';
import { stripResultPii, writeResultsFile } from './results';

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
