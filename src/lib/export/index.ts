/** Pure export writers. Each returns text or bytes; the caller decides where they go. */
export { planOpenMetrics, sortBatch, writeOpenMetrics } from './openmetrics';
export type { OpenMetricsFamily, OpenMetricsPlan, OpenMetricsSeries } from './openmetrics';
export { writeCsv, formatCsvTextCell, CsvWriterDefaults } from './csv';
export { writePointsNdjson, writeEventsNdjson, encodeEvent } from './ndjson';
export { writeBundleZip, writeBundleNdjson, createManifest, BundleFormat } from './bundle';
export type { BundleContent, BundleManifest } from './bundle';
export { encodeJsonNumber, formatPromValue, formatMsAsSeconds } from './encode';
export { mergeBatches } from './merge';
export {
  createPointWriter,
  orderSeriesForFormat,
  writeEventsCsv,
  writeEventLines,
  writeEventGroups,
  writeWideCsv
} from './stream';
export type { PointStreamFormat, PointStreamWriter, WideColumn } from './stream';
export { createZipStream, ZipStreamDefaults } from './zip-stream';
export {
  ArchiveDefaults,
  ArchiveError,
  ArchiveFormat,
  decryptArchive,
  encryptArchive,
  isEncryptedArchive,
  openEncryptedImport,
  readArchiveHeader
} from './crypto';
export {
  computeFences,
  groupEventsKAnonymous,
  KAnonymityDefaults,
  PiiDefaults,
  pseudonymize,
  redactText,
  stripEventPii,
  suppressOutliers
} from './privacy';
export type { EventDimension, EventGroup, PiiPolicy, PrivacyRemoval } from './privacy';
export { createSummaryAccumulator, escapeHtml, renderSparkline, writeReportHtml } from './report';
export { writeDiagnostic, DiagnosticFormat } from './diagnostic';
