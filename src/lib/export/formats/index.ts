import type { ExportFormat } from '../types';
import { BundleNdjsonWriter, BundleZipWriter } from './bundle';
import { OtlpJsonWriter, ParquetWriter } from './columnar';
import { CsvDuckdbWriter } from './csv-duckdb';
import { CsvLongWriter } from './csv-long';
import { CsvWideWriter } from './csv-wide';
import { DiagnosticWriter } from './diagnostic';
import { NdjsonWriter } from './ndjson';
import { OpenMetricsWriter } from './openmetrics';
import { ReportHtmlWriter } from './report-html';
import type { ExportWriter } from './writer';
import { XmlWriter } from './xml';

/** The registry of export formats: adding a format is a module and one line here. */
export const ExportWriters: Record<ExportFormat, ExportWriter> = {
  'bundle-ndjson': BundleNdjsonWriter,
  'bundle-zip': BundleZipWriter,
  'csv-long': CsvLongWriter,
  'csv-wide': CsvWideWriter,
  'csv-duckdb': CsvDuckdbWriter,
  ndjson: NdjsonWriter,
  openmetrics: OpenMetricsWriter,
  parquet: ParquetWriter,
  'otlp-json': OtlpJsonWriter,
  'report-html': ReportHtmlWriter,
  diagnostic: DiagnosticWriter,
  xml: XmlWriter
};

export type {
  ExportEnd,
  ExportInventory,
  ExportSession,
  ExportStart,
  ExportWriter,
  ExportWritten
} from './writer';
