import { createPointWriter, orderSeriesForFormat, type PointStreamFormat } from '../stream';
import { seriesKey } from '../../types/series-key';
import type { Columnar } from '../../types';
import { FileSink } from '../file-sink';
import { groupByRecord } from '../slices';
import type { OutputSeries } from '../types';
import { createCompanions } from './companions';
import type { ExportStart, ExportWriter } from './writer';

/**
 * The point formats' common part: a streaming point writer (export/stream.ts) fed output
 * slices, its text handed to `emit`, and the series it wrote counted.
 */
export function openPointStream(
  start: ExportStart,
  format: PointStreamFormat,
  emit: (text: string, rows?: number) => void
): {
  series(out: OutputSeries, cols: Columnar): void;
  end(): void;
  seriesCount(): number;
  /** Samples the format could not carry and left out. */
  skipped(): number;
} {
  const writer = createPointWriter(format, { series: start.outputs.map((o) => o.descriptor) });
  const written = new Set<string>();
  emit(writer.begin());
  return {
    series(o, c) {
      if (c.t.length === 0) return;
      const before = writer.skipped?.() ?? 0;
      const text = writer.write({ series: o.descriptor, t: c.t, v: c.v });
      emit(text, c.t.length - ((writer.skipped?.() ?? 0) - before));
      written.add(seriesKey(o.descriptor.name, o.descriptor.labels));
    },
    end: () => emit(writer.end()),
    seriesCount: () => written.size,
    skipped: () => writer.skipped?.() ?? 0
  };
}

/**
 * The read order a point format needs (`orderSeriesForFormat`), as groups of outputs read
 * together: a record's aggregates are read in one pass, except for OpenMetrics, which needs
 * each family contiguous, so each aggregate of a series is read on its own, in family order.
 */
export function visitInFormatOrder(
  format: PointStreamFormat
): (outputs: OutputSeries[]) => OutputSeries[][] {
  return (outputs) => {
    const order = orderSeriesForFormat(
      format,
      outputs.map((o) => o.descriptor)
    );
    if (format === 'openmetrics') return order.map((i) => [outputs[i]]);
    return groupByRecord(order.map((i) => outputs[i]));
  };
}

/**
 * A single-file point format (long CSV, NDJSON, OpenMetrics): the points in `<prefix>-<file>`,
 * and the companion files beside it, events and groups in `layout`.
 */
export function createPointFormatWriter(options: {
  format: 'csv-long' | 'csv-duckdb' | 'ndjson' | 'openmetrics';
  file: string;
  type: string;
  layout: 'csv' | 'ndjson';
  /** Notes for the preview, given the spec. */
  notes?: (spec: ExportStart['spec']) => string[];
}): ExportWriter {
  return {
    reads: 'series',
    visit: visitInFormatOrder(options.format),
    begin(start) {
      const sink = new FileSink(`${start.prefix}-${options.file}`, options.type);
      const points = openPointStream(start, options.format, (text, rows) => sink.write(text, rows));
      const companions = createCompanions(start, {
        layout: options.layout,
        events: true,
        analysis: true
      });
      return {
        series: points.series,
        events: companions.events,
        finish() {
          points.end();
          return {
            files: [sink, ...companions.finish()],
            series: points.seriesCount(),
            notes: [
              ...(options.notes?.(start.spec) ?? []),
              ...(points.skipped() > 0
                ? [
                    `${points.skipped().toLocaleString('en')} counter samples were left out: OpenMetrics does not allow a counter to be NaN or negative.`
                  ]
                : [])
            ]
          };
        }
      };
    }
  };
}
