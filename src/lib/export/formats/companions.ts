import { encodeJsonNumber } from '../encode';
import { FileSink } from '../file-sink';
import { writeEventLines, writeEventsCsv } from '../stream';
import type { ResultEvent } from '../../types';
import type { ExportStart } from './writer';

/** The anomalies as NDJSON, one line each, without their store ids. */
export function formatAnomaliesNdjson(anomalies: ExportStart['anomalies']): string {
  return anomalies
    .map((a) => JSON.stringify({ ...a, id: undefined, value: encodeJsonNumber(a.value) }) + '\n')
    .join('');
}

/** The insights as NDJSON, one line each. */
export function formatInsightsNdjson(insights: ExportStart['insights']): string {
  return insights.map((i) => JSON.stringify(i) + '\n').join('');
}

/**
 * The files that go beside a format's main file, in this order: raw events (when the spec
 * asks for them and `events`), the k-anonymous groups, anomalies and insights (when
 * `analysis`). `layout` picks CSV or NDJSON for the events and groups.
 *
 * Empty input: an events file with only its header (CSV) or nothing (NDJSON).
 */
export function createCompanions(
  start: ExportStart,
  options: { layout: 'csv' | 'ndjson'; events: boolean; analysis: boolean }
): { events(page: ResultEvent[]): void; finish(): FileSink[] } {
  const { spec, prefix, groups } = start;
  const csv = options.layout === 'csv';
  const type = csv ? 'text/csv' : 'application/x-ndjson';
  let eventsSink: FileSink | null = null;
  if (options.events && spec.events === 'raw') {
    eventsSink = new FileSink(`${prefix}-events.${options.layout}`, type);
    if (csv) eventsSink.write(writeEventsCsv([], { header: true }));
  }
  return {
    events(page) {
      eventsSink?.write(
        csv ? writeEventsCsv(page, { header: false }) : writeEventLines(page, false),
        page.length
      );
    },
    finish() {
      const files: FileSink[] = [];
      if (eventsSink) files.push(eventsSink);
      if (groups) {
        const g = new FileSink(`${prefix}-events-grouped.${options.layout}`, type);
        g.write(csv ? groups.csv : groups.ndjson, groups.rows);
        files.push(g);
      }
      if (options.analysis && spec.anomalies) {
        const a = new FileSink(`${prefix}-anomalies.ndjson`, 'application/x-ndjson');
        a.write(formatAnomaliesNdjson(start.anomalies), start.anomalies.length);
        files.push(a);
      }
      if (options.analysis && spec.insights) {
        const n = new FileSink(`${prefix}-insights.ndjson`, 'application/x-ndjson');
        n.write(formatInsightsNdjson(start.insights), start.insights.length);
        files.push(n);
      }
      return files;
    }
  };
}
