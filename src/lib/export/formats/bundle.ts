import { BundleFormat } from '../bundle';
import { FileSink } from '../file-sink';
import { writeEventLines } from '../stream';
import { createZipStream } from '../zip-stream';
import { createCompanions, formatAnomaliesNdjson, formatInsightsNdjson } from './companions';
import { openPointStream, visitInFormatOrder } from './point-stream';
import type { ExportEnd, ExportStart, ExportWriter } from './writer';

function manifestOf(start: ExportStart, end: ExportEnd, seriesCount: number) {
  return {
    ...BundleFormat,
    createdAt: new Date(start.createdAt).toISOString(),
    seriesCount,
    pointCount: end.points,
    eventCount: end.events
  };
}

/**
 * Tidemark's bundle as one NDJSON file: the manifest line first (prepended at the end, when
 * the counts are known), then series lines, then event lines. Groups, anomalies and
 * insights go beside it as NDJSON files.
 */
export const BundleNdjsonWriter: ExportWriter = {
  reads: 'series',
  visit: visitInFormatOrder('bundle-ndjson'),
  begin(start) {
    const sink = new FileSink(`${start.prefix}-bundle.ndjson`, 'application/x-ndjson');
    const emit = (text: string, rows = 0) => sink.write(text, rows);
    const points = openPointStream(start, 'bundle-ndjson', emit);
    const companions = createCompanions(start, { layout: 'ndjson', events: false, analysis: true });
    let seriesOpen = true;
    const endSeries = () => {
      if (seriesOpen) points.end();
      seriesOpen = false;
    };
    return {
      series: points.series,
      events(page) {
        endSeries();
        emit(writeEventLines(page, true), page.length);
      },
      finish(end) {
        endSeries();
        const manifest = manifestOf(start, end, points.seriesCount());
        const line = JSON.stringify({ type: 'manifest', ...manifest }) + '\n';
        const head = sink.head;
        sink.prepend(line);
        sink.keepHead(line);
        for (const h of head) sink.keepHead(h + '\n');
        return { files: [sink, ...companions.finish()], series: points.seriesCount(), notes: [] };
      }
    };
  }
};

/**
 * Tidemark's bundle as a zip streamed into the file: series.ndjson, events.ndjson, then
 * events-grouped, anomalies and insights (when asked for) and manifest.json. The preview
 * shows the plaintext of the entries' first lines.
 */
export const BundleZipWriter: ExportWriter = {
  reads: 'series',
  visit: visitInFormatOrder('bundle-zip'),
  begin(start) {
    const { spec } = start;
    const sink = new FileSink(`${start.prefix}-bundle.zip`, 'application/zip');
    const zip = createZipStream((bytes) => sink.writeBytes(bytes));
    const emit = (text: string, rows = 0) => {
      sink.keepHead(text);
      sink.rows += rows;
      zip.push(text);
    };
    zip.open('series.ndjson');
    const points = openPointStream(start, 'bundle-zip', emit);
    let seriesOpen = true;
    const endSeries = () => {
      if (!seriesOpen) return;
      seriesOpen = false;
      points.end();
      zip.close();
      zip.open('events.ndjson');
    };
    return {
      series: points.series,
      events(page) {
        endSeries();
        emit(writeEventLines(page, false), page.length);
      },
      finish(end) {
        endSeries();
        zip.close();
        const extra: [string, string][] = [];
        if (start.groups) extra.push(['events-grouped.ndjson', start.groups.ndjson]);
        if (spec.anomalies)
          extra.push(['anomalies.ndjson', formatAnomaliesNdjson(start.anomalies)]);
        if (spec.insights) extra.push(['insights.ndjson', formatInsightsNdjson(start.insights)]);
        for (const [name, text] of extra) {
          zip.open(name);
          zip.push(text);
          zip.close();
        }
        zip.open('manifest.json');
        zip.push(JSON.stringify(manifestOf(start, end, points.seriesCount()), null, 2));
        zip.close();
        zip.finish();
        return { files: [sink], series: points.seriesCount(), notes: [] };
      }
    };
  }
};
