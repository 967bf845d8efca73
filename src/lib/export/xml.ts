/**
 * XML for BI tools that read XML (Excel's XML maps, Power BI, SSIS): the documented schema is
 * static/schemas/tidemark-export.xsd (namespace `XmlNamespace`), described in
 * docs/xml-export.md. Two documents share it: `<export>` (metrics, events, anomalies,
 * insights: the Export page's XML format) and `<results>` (one table of analytics results).
 * Everything is written as attributes and text with the five XML escapes; characters XML 1.0
 * forbids (C0 controls but tab, newline, return; lone surrogates) are dropped, so every file
 * is well formed whatever the data holds.
 */

export const XmlNamespace = 'urn:tidemark:export:1';
/** Where the schema is served from (static/ is the site root). */
export const XmlSchemaLocation = '/schemas/tidemark-export.xsd';

const Forbidden =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text safe in XML content and attribute values.
 * @example escapeXml('a < b & "c"') // 'a &lt; b &amp; &quot;c&quot;'
 */
export function escapeXml(text: string): string {
  return text
    .replace(Forbidden, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** ` name="value"` for each defined value, in order; undefined and null are left out. */
export function xmlAttributes(
  attrs: Record<string, string | number | boolean | undefined | null>
): string {
  let out = '';
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    out += ` ${k}="${escapeXml(typeof v === 'number' ? formatXmlNumber(v) : String(v))}"`;
  }
  return out;
}

/**
 * A number as xs:double spells it: NaN, INF and -INF for the non-finite ones.
 * @example formatXmlNumber(Infinity) // 'INF'
 */
export function formatXmlNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'INF' : '-INF';
  return String(v);
}

/** An ISO-8601 UTC time (xs:dateTime). */
export function xmlTime(ms: number): string {
  return new Date(ms).toISOString();
}

export const XmlDeclaration = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** The root element's opening tag with the namespace. */
export function openXmlRoot(
  name: 'export' | 'results',
  attrs: Record<string, string | number | undefined>
): string {
  return `${XmlDeclaration}<${name}${xmlAttributes({ xmlns: XmlNamespace, ...attrs })}>\n`;
}

/** One analytics result table's cell value: numbers, text, or nothing. */
export type ResultValue = string | number | boolean | null | undefined;

/**
 * A table of analytics results (a result-log view, an analyst question's answer, usage
 * results, insights) as an XML `<results>` document: a `<column>` per column with its type,
 * then a `<row>` per row with a `<v>` per cell (`nil="true"` when missing).
 *
 * Empty input: the columns and no rows. O(rows × columns).
 */
export function writeResultsXml(table: {
  title: string;
  createdAt: number;
  columns: string[];
  rows: Record<string, ResultValue>[];
}): string {
  const types = table.columns.map((c) => columnType(table.rows, c));
  let out = openXmlRoot('results', {
    version: 1,
    title: table.title,
    created: xmlTime(table.createdAt),
    rows: table.rows.length
  });
  table.columns.forEach(
    (c, i) => (out += `  <column${xmlAttributes({ name: c, type: types[i] })}/>\n`)
  );
  for (const row of table.rows) {
    out += '  <row>';
    for (const c of table.columns) {
      const v = row[c];
      out +=
        v === null || v === undefined
          ? `<v${xmlAttributes({ name: c })} nil="true"/>`
          : `<v${xmlAttributes({ name: c })}>${escapeXml(typeof v === 'number' ? formatXmlNumber(v) : String(v))}</v>`;
    }
    out += '</row>\n';
  }
  return out + '</results>\n';
}

function columnType(
  rows: Record<string, ResultValue>[],
  column: string
): 'number' | 'boolean' | 'string' {
  let type: 'number' | 'boolean' | 'string' | null = null;
  for (const r of rows) {
    const v = r[column];
    if (v === null || v === undefined) continue;
    const t = typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'string';
    if (type !== null && type !== t) return 'string';
    type = t;
  }
  return type ?? 'string';
}
