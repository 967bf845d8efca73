import { createPointFormatWriter } from './point-stream';

/** OpenMetrics text, each family contiguous; it carries no events, so they go beside it. */
export const OpenMetricsWriter = createPointFormatWriter({
  format: 'openmetrics',
  file: 'metrics.om',
  type: 'application/openmetrics-text',
  layout: 'ndjson',
  notes: (spec) =>
    spec.events === 'raw'
      ? ['OpenMetrics carries no events: they are in a separate NDJSON file.']
      : []
});
