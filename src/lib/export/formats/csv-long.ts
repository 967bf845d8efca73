import { createPointFormatWriter } from './point-stream';

/** The long CSV: one row per point (time, name, labels…, value); events beside it as CSV. */
export const CsvLongWriter = createPointFormatWriter({
  format: 'csv-long',
  file: 'metrics.csv',
  type: 'text/csv',
  layout: 'csv'
});
