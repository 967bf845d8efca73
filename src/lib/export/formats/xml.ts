import { FileSink } from '../file-sink';
import type { ResultEvent } from '../../types';
import { escapeXml, formatXmlNumber, openXmlRoot, xmlAttributes, xmlTime } from '../xml';
import type { OutputSeries } from '../types';
import type { ExportStart, ExportWriter } from './writer';

/** Nested values (an event's context, an insight's findings) as `<field name="a.b">` children. */
function writeFields(value: unknown, prefix = ''): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') {
    const text = typeof value === 'number' ? formatXmlNumber(value) : String(value);
    return `<field${xmlAttributes({ name: prefix })}>${escapeXml(text)}</field>`;
  }
  return Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => writeFields(v, prefix ? `${prefix}.${k}` : k))
    .join('');
}

function writeEvent(e: ResultEvent): string {
  const { t, actionType, status, durationMs, triggerId, organisationId, retries, errorMessage } = e;
  const attrs = xmlAttributes({
    t: xmlTime(t),
    actionType,
    status,
    durationMs,
    triggerId,
    organisationId,
    retries,
    errorMessage
  });
  const context = e.context ? writeFields(e.context) : '';
  return context ? `    <event${attrs}>${context}</event>\n` : `    <event${attrs}/>\n`;
}

/**
 * The Export page's XML format: one `<export>` document (schema in
 * static/schemas/tidemark-export.xsd) with a `<series>` per output series and its points, then
 * the cleaned events, the k-anonymous groups, anomalies and insights the spec asks for. The
 * events come already through the page's PII policy and groups through k-anonymity, as in
 * every other format. Each output is read on its own so its points stay in one element.
 */
export const XmlWriter: ExportWriter = {
  reads: 'series',
  visit: (outputs) => outputs.map((o) => [o]),
  begin(start: ExportStart) {
    const { spec } = start;
    const sink = new FileSink(`${start.prefix}-export.xml`, 'application/xml');
    sink.write(
      openXmlRoot('export', {
        version: 1,
        created: xmlTime(start.createdAt),
        from: xmlTime(spec.from),
        to: xmlTime(spec.to),
        resolution: spec.resolution
      })
    );
    let open: OutputSeries | null = null;
    const written = new Set<OutputSeries>();
    let eventsOpen = false;
    const closeSeries = () => {
      if (open) sink.write('  </series>\n');
      open = null;
    };
    return {
      series(out, cols) {
        if (out !== open) {
          closeSeries();
          open = out;
          written.add(out);
          const d = out.descriptor;
          let head = `  <series${xmlAttributes({
            name: d.name,
            unit: d.unit,
            kind: d.kind,
            category: d.category,
            source: d.source,
            aggregate: out.aggregate ?? undefined
          })}>\n`;
          for (const [k, v] of Object.entries(d.labels))
            head += `    <label${xmlAttributes({ name: k, value: v })}/>\n`;
          sink.write(head);
        }
        let text = '';
        for (let i = 0; i < cols.t.length; i++)
          text += `    <p t="${xmlTime(cols.t[i])}" v="${formatXmlNumber(cols.v[i])}"/>\n`;
        sink.write(text, cols.t.length);
      },
      events(page) {
        closeSeries();
        if (!eventsOpen) sink.write('  <events>\n');
        eventsOpen = true;
        sink.write(page.map(writeEvent).join(''), page.length);
      },
      finish() {
        closeSeries();
        if (eventsOpen) sink.write('  </events>\n');
        else if (spec.events === 'raw') sink.write('  <events/>\n');
        if (start.groups) {
          let g = '  <event-groups>\n';
          for (const line of start.groups.ndjson.split('\n')) {
            if (!line.trim()) continue;
            const { count, ...dims } = JSON.parse(line) as Record<string, unknown>;
            g += `    <group${xmlAttributes({ count: Number(count) })}>${writeFields(dims)}</group>\n`;
          }
          sink.write(g + '  </event-groups>\n', start.groups.rows);
        }
        if (spec.anomalies) {
          let a = '  <anomalies>\n';
          for (const x of start.anomalies)
            a += `    <anomaly${xmlAttributes({
              series: x.seriesKey,
              t: xmlTime(x.t),
              value: x.value,
              score: x.score,
              detector: x.detector
            })}/>\n`;
          sink.write(a + '  </anomalies>\n', start.anomalies.length);
        }
        if (spec.insights) {
          let n = '  <insights>\n';
          for (const i of start.insights) {
            const { insightId, type, subject, generatedAt, confidence, category } = i;
            n += `    <insight${xmlAttributes({
              id: insightId,
              type,
              subject,
              category,
              generated: xmlTime(generatedAt),
              confidence
            })}>${writeFields({ findings: i.findings, recommendations: i.recommendations })}</insight>\n`;
          }
          sink.write(n + '  </insights>\n', start.insights.length);
        }
        sink.write('</export>\n');
        return { files: [sink], series: written.size, notes: [] };
      }
    };
  }
};
