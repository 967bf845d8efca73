import { createPointFormatWriter } from './point-stream';

/**
 * The long CSV for DuckDB and ClickHouse: `time,name,labels,value`, labels one JSON object
 * per row, so `read_csv_auto` types every column right with its defaults (export/csv.ts says
 * why per-label columns cannot); events beside it as CSV.
 */
export const CsvDuckdbWriter = createPointFormatWriter({
  format: 'csv-duckdb',
  file: 'metrics-duckdb.csv',
  type: 'text/csv',
  layout: 'csv'
});
