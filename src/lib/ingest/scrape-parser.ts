import { toIngestError } from './errors';
import { createInfluxHandler } from './influx';
import { LineSplitter } from './lines';
import { createPrometheusHandler } from './prometheus';
import { BatchSink } from './sink';
import { DefaultIngestLimits, type IngestLimits, type LineHandler, type PointBatch } from './types';

/** What one document gave: its points (one batch per series) and its line errors. */
export interface ScrapeStep {
  batches: PointBatch[];
  errors: number;
  /** The first error's text (file, line, byte), for a status line. */
  firstError?: string;
}

export interface ScrapeParser {
  /**
   * Parses one whole document (a scrape, a push). Samples without a timestamp take
   * `defaultTimestamp`. A document that fails as a whole (e.g. a line over the limit) gives
   * no points and one error. Never throws.
   */
  parse(bytes: Uint8Array, defaultTimestamp: number): ScrapeStep;
  /** Series remembered (each costs a cache entry and two small columns). */
  readonly series: number;
}

/**
 * A parser kept for a stream of small documents in one format, such as the Prometheus text
 * or line protocol an agent forwards every second: the series caches (keyed by the series'
 * exact bytes), family metadata, predicted line order and each series' column buffers
 * outlive the document, so a repeated scrape costs its values, not its series. A fresh
 * `createStreamParser` per document re-parses, re-keys and re-allocates every series: at
 * 10,000 series a second that was most of the engine worker's time and garbage.
 *
 * Memory: one cache entry and two 64-double columns per series ever seen.
 * Complexity O(document bytes) once its series are known.
 * @example
 * const p = createScrapeParser({ fileName: 'agent.prom', format: 'prometheus' });
 * p.parse(new TextEncoder().encode('up 1\n'), 1_700_000_000_000).batches[0].t[0]; // 1.7e12
 */
export function createScrapeParser(options: {
  fileName: string;
  format: 'prometheus' | 'influx';
  limits?: Partial<IngestLimits>;
}): ScrapeParser {
  const file = options.fileName;
  const limits: IngestLimits = { ...DefaultIngestLimits, ...options.limits };
  const sink = new BatchSink(file, limits.maxErrors);
  // Mutable on purpose: the handlers read `defaultTimestamp` per sample.
  const handlerOptions = { sink, file, openMetrics: false, defaultTimestamp: 0 };
  const handler: LineHandler =
    options.format === 'prometheus'
      ? createPrometheusHandler(handlerOptions)
      : createInfluxHandler(handlerOptions);
  const onBytes = handler.onLineBytes?.bind(handler);
  const onBlock = onBytes === undefined ? undefined : handler.onBlockBytes?.bind(handler);
  return {
    get series() {
      return sink.seriesCount;
    },
    parse(bytes, defaultTimestamp) {
      handlerOptions.defaultTimestamp = defaultTimestamp;
      handler.nextDocument?.();
      const splitter = new LineSplitter({
        file,
        maxLineBytes: limits.maxLineBytes,
        onLine: (text, ctx) => handler.onLine(text, ctx),
        onLineBytes: onBytes,
        onBlockBytes: onBlock
      });
      try {
        splitter.push(bytes);
        splitter.finish();
        handler.onEnd();
      } catch (e) {
        // Whatever the document's earlier lines gave is dropped with it.
        sink.takePoints();
        sink.drain(0, bytes.length);
        return { batches: [], errors: 1, firstError: toIngestError(e, file).message };
      }
      const step = sink.drain(0, bytes.length);
      const errors = step.errors.length + step.suppressedErrors;
      const first = step.errors[0];
      return {
        batches: step.batches,
        errors,
        ...(first
          ? {
              firstError: `${first.file} line ${first.line} (byte ${first.byte}): ${first.message}`
            }
          : {})
      };
    }
  };
}
