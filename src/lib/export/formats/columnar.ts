import type { PointBatch } from '../../types';
import { FileSink } from '../file-sink';
import { writeOtlpJson } from '../otlp';
import {
  appendParquetPoints,
  encodeParquetPoints,
  ParquetPointSchema,
  type ParquetPointColumns
} from '../parquet';
import { createCompanions } from './companions';
import type { ExportStart, ExportWriter } from './writer';

/**
 * The whole-file formats: Parquet (its footer describes every row group, so it is encoded
 * once all points are in) and OTLP JSON (one document). Both hold the export's points in
 * memory until the end; events go beside them as NDJSON.
 */
function createWholeFileWriter(options: {
  file: string;
  type: string;
  /** Called once per non-empty slice. */
  add(state: { batches: PointBatch[]; cols: ParquetPointColumns }, b: PointBatch): void;
  encode(state: { batches: PointBatch[]; cols: ParquetPointColumns }, sink: FileSink): void;
}): ExportWriter {
  return {
    reads: 'series',
    begin(start: ExportStart) {
      const state = {
        batches: [] as PointBatch[],
        cols: { time: [], name: [], labels: [], value: [] } as ParquetPointColumns
      };
      const written = new Set<string>();
      const companions = createCompanions(start, {
        layout: 'ndjson',
        events: true,
        analysis: true
      });
      let rows = 0;
      return {
        series(o, c) {
          if (c.t.length === 0) return;
          // Slices may be views into buffers the engine reuses: keep copies.
          options.add(state, { series: o.descriptor, t: c.t.slice(), v: c.v.slice() });
          written.add(JSON.stringify([o.descriptor.name, o.descriptor.labels]));
          rows += c.t.length;
        },
        events: companions.events,
        finish() {
          const sink = new FileSink(`${start.prefix}-${options.file}`, options.type);
          options.encode(state, sink);
          sink.rows = rows;
          return { files: [sink, ...companions.finish()], series: written.size, notes: [] };
        }
      };
    }
  };
}

/** Parquet points, one fixed schema (export/parquet.ts). */
export const ParquetWriter = createWholeFileWriter({
  file: 'points.parquet',
  type: 'application/vnd.apache.parquet',
  add: (s, b) => appendParquetPoints(s.cols, b),
  encode(s, sink) {
    sink.writeBytes(encodeParquetPoints(s.cols));
    sink.keepHead(
      `Parquet, ${s.cols.time.length} rows: ${ParquetPointSchema.slice(1)
        .filter((e) => e.name !== 'key_value' && e.name !== 'key')
        .map((e) => e.name)
        .join(', ')}\n`
    );
  }
});

/** OTLP JSON metrics, one document (export/otlp.ts). */
export const OtlpJsonWriter = createWholeFileWriter({
  file: 'metrics.otlp.json',
  type: 'application/json',
  add: (s, b) => s.batches.push(b),
  encode: (s, sink) => sink.write(writeOtlpJson(s.batches))
});
