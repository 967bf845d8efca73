import { FileSink } from '../file-sink';
import { createSummaryAccumulator, writeReportHtml, type SummaryAccumulator } from '../report';
import type { OutputSeries } from '../types';
import type { ExportWriter } from './writer';

/**
 * The HTML report: a summary per output series (figures and an optional sparkline), the
 * anomalies and insights in scope, and what the privacy filters removed. Events are counted,
 * not listed; k-anonymous groups go beside it as CSV.
 */
export const ReportHtmlWriter: ExportWriter = {
  reads: 'series',
  begin(start) {
    const { spec, records } = start;
    const summaries = new Map<OutputSeries, SummaryAccumulator>();
    return {
      series(o, c) {
        let acc = summaries.get(o);
        if (!acc)
          summaries.set(
            o,
            (acc = createSummaryAccumulator({ series: o.descriptor, from: spec.from, to: spec.to }))
          );
        acc.add(c.t, c.v);
      },
      events: () => {},
      finish(end) {
        const privacy = end.removed.map(
          (r) => `${r.field}: ${r.action} (${r.count}) — ${r.detail}`
        );
        if (end.outliersRemoved > 0)
          privacy.push(
            `${end.outliersRemoved} outlying values left out of the figures (Tukey far-out fences)`
          );
        const sink = new FileSink(`${start.prefix}-report.html`, 'text/html');
        sink.write(
          writeReportHtml({
            title: 'Tidemark report',
            createdAt: start.createdAt,
            scope: [
              { label: 'From', value: new Date(spec.from).toISOString() },
              { label: 'To', value: new Date(spec.to).toISOString() },
              { label: 'Series', value: String(records.length) },
              {
                label: 'Resolution',
                value:
                  spec.resolution === 'raw'
                    ? 'raw points'
                    : `${spec.resolution} buckets (${spec.aggregates.join(', ')})`
              },
              {
                label: 'Events',
                value:
                  spec.events === 'none'
                    ? 'not included'
                    : spec.events === 'grouped'
                      ? `grouped, k = ${spec.k}`
                      : `${end.events} events (counted, not listed)`
              }
            ],
            series: [...summaries.values()].map((s) => s.finish()),
            anomalies: start.anomalies.map((a) => ({
              series: a.seriesKey,
              t: a.t,
              value: a.value,
              score: a.score,
              detector: a.detector
            })),
            insights: start.insights.map((i) => ({
              type: i.type,
              subject: i.subject,
              confidence: i.confidence,
              text: i.recommendations.map((r) => r.description).join(' ')
            })),
            privacy,
            sparklines: spec.sparklines
          }),
          records.length
        );
        const files = [sink];
        if (start.groups) {
          const g = new FileSink(`${start.prefix}-events-grouped.csv`, 'text/csv');
          g.write(start.groups.csv, start.groups.rows);
          files.push(g);
        }
        return { files, series: records.length, notes: [] };
      }
    };
  }
};
