import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureXmllint } from '../../../../scripts/xmllint.mjs';
import type { SeriesRecord } from '../../types';
import { listOutputs } from '../slices';
import type { ExportSpec } from '../types';
import { escapeXml, writeResultsXml } from '../xml';
import { XmlWriter } from './xml';

const Schema = join(__dirname, '../../../../static/schemas/tidemark-export.xsd');
const xmllint: string | null = ensureXmllint();

/** xmllint's verdict on `xml` against the schema: '' when valid, its message otherwise. */
function validate(xml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tidemark-xml-'));
  const file = join(dir, 'export.xml');
  writeFileSync(file, xml);
  try {
    execFileSync(xmllint!, ['--noout', '--schema', Schema, file], { stdio: 'pipe' });
    return '';
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? e);
  }
}

const record: SeriesRecord = {
  id: 1,
  key: 'cpu{host="a"}',
  name: 'cpu',
  labels: { host: 'a<&>"' },
  unit: '%',
  kind: 'gauge',
  source: 'import',
  category: 'system',
  firstT: 0,
  lastT: 2000,
  points: 3
};

const spec: ExportSpec = {
  jobId: 'j',
  format: 'xml',
  from: 0,
  to: 10_000,
  seriesIds: [1],
  resolution: 'raw',
  aggregates: [],
  events: 'raw',
  pii: { ids: 'hash', errorMessage: 'redact', context: 'keep' },
  k: 5,
  groupBy: ['actionType'],
  outliers: false,
  anomalies: true,
  insights: true,
  sparklines: false
};

async function writeExport(): Promise<string> {
  const session = XmlWriter.begin({
    spec,
    prefix: 'tidemark-x',
    createdAt: Date.UTC(2026, 11, 7),
    records: [record],
    outputs: listOutputs([record], spec),
    groups: {
      csv: '',
      ndjson: '{"actionType":"build","count":7,"failures":1,"meanDurationMs":"NaN"}\n',
      rows: 1
    },
    anomalies: [{ seriesKey: record.key, t: 1000, value: 99, score: 0.97, detector: 'ewma' }],
    insights: [
      {
        insightId: 'i1',
        type: 'trend',
        subject: 'cpu',
        generatedAt: 5000,
        timeRange: { start: 0, end: 5000 },
        category: 'system',
        findings: { slope: { value: 1.5 } } as never,
        recommendations: [{ action: 'look', priority: 'low', description: 'a & b' }],
        confidence: 0.8,
        privacyLevel: 'aggregate'
      } as never
    ],
    inventory: null
  });
  const [out] = listOutputs([record], spec);
  session.series(out, { t: Float64Array.of(0, 1000), v: Float64Array.of(1.5, NaN) });
  session.series(out, { t: Float64Array.of(2000), v: Float64Array.of(Infinity) });
  session.events([
    {
      t: 1500,
      actionType: 'build',
      status: 'failure',
      durationMs: 120,
      triggerId: 'anon-0123456789abcdef',
      errorMessage: 'bad \u0001 byte & <tag>',
      context: { branch: 'main', nested: { depth: 2 } }
    },
    { t: 1600, actionType: 'build', status: 'success', durationMs: 80 }
  ]);
  const written = session.finish({ points: 3, events: 2, removed: [], outliersRemoved: 0 });
  expect(written.files.map((f) => f.name)).toEqual(['tidemark-x-export.xml']);
  expect(written.series).toBe(1);
  return written.files[0].finish().text();
}

describe('XML export', () => {
  it('escapes markup and drops characters XML 1.0 forbids', () => {
    expect(escapeXml(`a<b>&"c"'\u0001\uD800`)).toBe('a&lt;b&gt;&amp;&quot;c&quot;&apos;');
  });

  it('writes one series element per output, points in order, and every part the spec asks for', async () => {
    const xml = await writeExport();
    expect(xml).toContain('<label name="host" value="a&lt;&amp;&gt;&quot;"/>');
    expect(xml.match(/<series /g)).toHaveLength(1);
    expect(xml.match(/<p /g)).toHaveLength(3);
    expect(xml).toContain('v="NaN"');
    expect(xml).toContain('v="INF"');
    expect(xml).toContain('<field name="nested.depth">2</field>');
    expect(xml).toContain('<group count="7">');
    expect(xml).not.toContain('\u0001');
  });

  it.skipIf(!xmllint)(
    'the metrics export validates against its XSD (xmllint --schema)',
    async () => {
      expect(validate(await writeExport())).toBe('');
    }
  );

  it.skipIf(!xmllint)('analytics results validate against the same XSD', () => {
    const xml = writeResultsXml({
      title: 'Slowest triggers <p95>',
      createdAt: 0,
      columns: ['triggerId', 'p95Ms', 'ok'],
      rows: [
        { triggerId: 't&1', p95Ms: 1200, ok: true },
        { triggerId: 't2', p95Ms: NaN, ok: null }
      ]
    });
    expect(xml).toContain('<column name="p95Ms" type="number"/>');
    expect(xml).toContain('<v name="ok" nil="true"/>');
    expect(validate(xml)).toBe('');
  });

  it.skipIf(!xmllint)('the schema rejects a document that breaks it', () => {
    expect(validate('<?xml version="1.0"?><results xmlns="urn:tidemark:export:1"/>')).toMatch(
      /attribute 'version' is required/
    );
  });
});
