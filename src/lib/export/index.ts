/** Pure export writers. Each returns text or bytes; the caller decides where they go. */
export { writeOpenMetrics } from './openmetrics';
export { writeCsv, formatCsvTextCell, CsvWriterDefaults } from './csv';
export { writePointsNdjson, writeEventsNdjson, encodeEvent } from './ndjson';
export { writeBundleZip, writeBundleNdjson, createManifest, BundleFormat } from './bundle';
export type { BundleContent, BundleManifest } from './bundle';
export { encodeJsonNumber, formatPromValue, formatMsAsSeconds } from './encode';
export { mergeBatches } from './merge';
