import { createPointFormatWriter } from './point-stream';

/** NDJSON points, one line per slice of a series; events beside it as NDJSON. */
export const NdjsonWriter = createPointFormatWriter({
  format: 'ndjson',
  file: 'points.ndjson',
  type: 'application/x-ndjson',
  layout: 'ndjson'
});
