import { formatCsvTextCell } from './csv';
import { encodeJsonNumber, formatPromValue } from './encode';
import { pseudonymize, redactText, type PiiPolicy } from './privacy';
import { writeResultsXml, type ResultValue } from './xml';

/** Formats an analytics result table can be saved in. */
export const ResultFormats = ['csv', 'json', 'xml'] as const;
export type ResultFormat = (typeof ResultFormats)[number];

/** Columns holding an identifier (kept, pseudonymised or dropped, as events' ids are). */
const IdColumn = /(^|\.)(triggerId|organisationId|triggerIds|entityId)$/;
/** Columns holding free text that may name someone (redacted or dropped, as errorMessage is). */
const TextColumn = /(^|\.)(errorMessage|example|signature|message)$/;
/** Columns holding an event's free-form context. */
const ContextColumn = /(^|\.)context(\.|$)/;

/**
 * Applies an export's PII policy to analytics result rows, column by column as
 * `stripEventPii` does to events: identifiers hashed (a fresh salt per export) or dropped,
 * free text redacted or dropped, context dropped unless kept. Never mutates the input.
 *
 * Empty input: no rows. O(rows × columns); one hash per distinct id.
 */
export async function stripResultPii(
  rows: readonly Record<string, ResultValue>[],
  options: { policy: PiiPolicy; salt: string }
): Promise<Record<string, ResultValue>[]> {
  const { policy, salt } = options;
  const pseudonyms = new Map<string, string>();
  const hash = async (v: string) => {
    let p = pseudonyms.get(v);
    if (p === undefined) pseudonyms.set(v, (p = await pseudonymize(v, salt)));
    return p;
  };
  const out: Record<string, ResultValue>[] = [];
  for (const row of rows) {
    const next: Record<string, ResultValue> = {};
    for (const [k, v] of Object.entries(row)) {
      if (ContextColumn.test(k)) {
        if (policy.context === 'keep') next[k] = v;
        else if (policy.context === 'redact' && typeof v === 'string') next[k] = redactText(v);
      } else if (IdColumn.test(k) && typeof v === 'string' && policy.ids !== 'keep') {
        if (policy.ids === 'hash')
          next[k] = (await Promise.all(v.split(', ').map(hash))).join(', ');
      } else if (TextColumn.test(k) && typeof v === 'string' && policy.errorMessage !== 'keep') {
        if (policy.errorMessage === 'redact') next[k] = redactText(v);
      } else next[k] = v;
    }
    out.push(next);
  }
  return out;
}

/** The columns of a result table: every key, in first-seen order. */
function columnsOf(rows: readonly Record<string, ResultValue>[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

/**
 * An analytics result table (a view, a question's answer, usage results, insights) as a file:
 * CSV (RFC 4180, formula cells guarded), JSON (`{ title, created, columns, rows }`, NaN and
 * infinities as strings, as the other JSON exports write them) or XML (`<results>`, schema
 * static/schemas/tidemark-export.xsd). The name is `tidemark-<slug>-<UTC time>.<ext>`, which
 * sorts by time in a folder.
 *
 * Empty input: the header / columns only. O(rows × columns).
 */
export function writeResultsFile(table: {
  title: string;
  createdAt: number;
  rows: readonly Record<string, ResultValue>[];
  format: ResultFormat;
}): { name: string; type: string; text: string } {
  const columns = columnsOf(table.rows);
  const stamp = new Date(table.createdAt).toISOString().replace(/[:.]/g, '-');
  const slug =
    table.title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48) || 'results';
  const name = `tidemark-${slug}-${stamp}.${table.format}`;
  switch (table.format) {
    case 'csv': {
      const cell = (v: ResultValue) =>
        v === null || v === undefined
          ? ''
          : typeof v === 'number'
            ? formatPromValue(v)
            : formatCsvTextCell(String(v), ',');
      const lines = [columns.map((c) => formatCsvTextCell(c, ',')).join(',')];
      for (const r of table.rows) lines.push(columns.map((c) => cell(r[c])).join(','));
      return { name, type: 'text/csv', text: lines.join('\r\n') + '\r\n' };
    }
    case 'json': {
      const rows = table.rows.map((r) =>
        Object.fromEntries(
          Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? encodeJsonNumber(v) : v])
        )
      );
      const doc = {
        title: table.title,
        created: new Date(table.createdAt).toISOString(),
        columns,
        rows
      };
      return { name, type: 'application/json', text: JSON.stringify(doc, null, 2) + '\n' };
    }
    case 'xml':
      return {
        name,
        type: 'application/xml',
        text: writeResultsXml({ ...table, rows: [...table.rows], columns })
      };
  }
}
