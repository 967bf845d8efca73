import { ZipBundleReader } from './bundle';
import { BundleTally } from './bundle-tally';
import { createCsvHandler } from './csv';
import { IngestError, toIngestError } from './errors';
import { createGraphiteHandler } from './graphite';
import { createInfluxHandler } from './influx';
import { createInflux2CsvHandler } from './influx2-csv';
import { createNdjsonHandler, JsonDocumentReader } from './json';
import { LineSplitter } from './lines';
import { createPrometheusHandler } from './prometheus';
import { BatchSink } from './sink';
import { assertNotBinary, firstLineClosesJson, SniffDefaults, sniffFormat } from './sniff';
import { isValidTimeZone } from './time';
import {
  DefaultIngestLimits,
  type IngestFormat,
  type IngestLimits,
  type LineHandler,
  type ParseStep,
  type StreamParser,
  type StreamParserOptions
} from './types';

interface Engine {
  push(chunk: Uint8Array): void;
  finish(): void;
  /** Offset before which everything has been emitted. */
  checkpoint(): number;
}

const ZIP_START = [0x50, 0x4b];

function createLineEngine(
  handler: LineHandler & { pendingByte?: () => number | undefined },
  options: { file: string; limits: IngestLimits; sink: BatchSink; skipToOffset: number }
): Engine {
  const { sink, skipToOffset } = options;
  const onBytes = handler.onLineBytes?.bind(handler);
  // A block handler skips rows before `skipToOffset` itself (it sees every row's offset).
  const onBlock = onBytes === undefined ? undefined : handler.onBlockBytes?.bind(handler);
  const splitter = new LineSplitter({
    file: options.file,
    maxLineBytes: options.limits.maxLineBytes,
    onLine:
      skipToOffset > 0
        ? (text, ctx) => {
            sink.emitting = ctx.byte >= skipToOffset;
            handler.onLine(text, ctx);
          }
        : (text, ctx) => handler.onLine(text, ctx),
    onLineBytes:
      onBytes === undefined || skipToOffset <= 0
        ? onBytes
        : (view) => {
            sink.emitting = view.byte >= skipToOffset;
            onBytes(view);
          },
    onBlockBytes: onBlock
  });
  return {
    push: (chunk) => splitter.push(chunk),
    finish: () => {
      splitter.finish();
      sink.emitting = true;
      handler.onEnd();
    },
    checkpoint: () => {
      const pending = handler.pendingByte?.();
      return pending === undefined ? splitter.checkpoint : Math.min(pending, splitter.checkpoint);
    }
  };
}

function createEngine(
  format: IngestFormat,
  head: Uint8Array,
  options: StreamParserOptions & { limits: IngestLimits; sink: BatchSink }
): Engine {
  const { fileName: file, limits, sink } = options;
  const skipToOffset = options.skipToOffset ?? 0;
  const lineOptions = { file, limits, sink, skipToOffset };
  const ndjson = (): Engine =>
    createLineEngine(
      createNdjsonHandler({
        sink,
        file,
        maxDepth: limits.maxJsonDepth,
        precision: options.precision,
        timeZone: options.timeZone
      }),
      lineOptions
    );
  switch (format) {
    case 'graphite':
      return createLineEngine(
        createGraphiteHandler({ sink, file, defaultTimestamp: options.defaultTimestamp }),
        lineOptions
      );
    case 'influx2-csv':
      return createLineEngine(
        createInflux2CsvHandler({ sink, file, timeZone: options.timeZone ?? 'UTC' }),
        lineOptions
      );
    case 'prometheus':
    case 'promtool-dump':
    case 'openmetrics':
      return createLineEngine(
        createPrometheusHandler({
          sink,
          file,
          openMetrics: format === 'openmetrics',
          defaultTimestamp: options.defaultTimestamp,
          skipToOffset
        }),
        lineOptions
      );
    case 'influx':
      return createLineEngine(
        createInfluxHandler({
          sink,
          file,
          precision: options.precision,
          defaultTimestamp: options.defaultTimestamp
        }),
        lineOptions
      );
    case 'csv':
      return createLineEngine(
        createCsvHandler({
          sink,
          file,
          timeZone: options.timeZone ?? 'UTC',
          overrides: options.csv,
          maxLineBytes: limits.maxLineBytes,
          skipToOffset,
          defaultTimestamp: options.defaultTimestamp
        }),
        lineOptions
      );
    case 'ndjson':
      return ndjson();
    case 'tidemark-bundle':
      if (!(head[0] === ZIP_START[0] && head[1] === ZIP_START[1]))
        return createLineEngine(
          createNdjsonHandler({
            sink,
            file,
            maxDepth: limits.maxJsonDepth,
            tally: new BundleTally(file)
          }),
          lineOptions
        );
      return createDocumentEngine(new ZipBundleReader({ sink, file, limits }));
    case 'influx-json':
    case 'sadf-json':
    case 'prometheus-api-json':
      // One response per line (an HTTP response saved as is, `chunked=true` output): NDJSON.
      if (
        firstLineClosesJson(
          new TextDecoder().decode(head.subarray(0, SniffDefaults.headBytes)).trimStart()
        )
      )
        return ndjson();
    // falls through
    case 'json':
    case 'otlp-json':
      // One reader for every JSON document: it tells the shapes apart itself, so a forced
      // JSON format never reads a document of another shape wrongly.
      return createDocumentEngine(
        new JsonDocumentReader({
          sink,
          file,
          maxDepth: limits.maxJsonDepth,
          maxBytes: limits.maxJsonDocumentBytes,
          streamArraysAfter: limits.streamJsonArraysAfterBytes,
          precision: options.precision,
          timeZone: options.timeZone
        })
      );
    case 'parquet':
      // Parquet's schema is in its footer: the file is decoded whole, asynchronously, into
      // records first (`parquetToNdjson`), which `parseMetricFile` and the import do.
      throw new IngestError({
        code: 'invalid_option',
        message: `${file} is a Parquet file: decode it with parquetToNdjson first (the import and parseMetricFile do)`,
        file
      });
    default:
      throw new IngestError({
        code: 'invalid_option',
        message: `unknown format ${String(format)}`,
        file
      });
  }
}

/** Whole-input readers (JSON documents, zips) have no resume point before their end. */
function createDocumentEngine(reader: { push(c: Uint8Array): void; finish(): void }): Engine {
  let done = false;
  let bytes = 0;
  return {
    push: (chunk) => {
      bytes += chunk.length;
      reader.push(chunk);
    },
    finish: () => {
      reader.finish();
      done = true;
    },
    checkpoint: () => (done ? bytes : 0)
  };
}

/**
 * Creates a streaming parser for one metric or event file. Feed it the file's chunks in
 * order (e.g. from `File.stream()`) and call `finish()` once; each call returns what became
 * complete. To resume an interrupted import, feed the file again from byte 0 with
 * `skipToOffset` set to the last stored checkpoint: headers and metadata before it are
 * re-read, data rows before it are not emitted again.
 *
 * The format is sniffed from the first `SniffDefaults.headBytes` (or forced by `format`).
 * Memory stays bounded by the current partial line (≤ `maxLineBytes`) and one step's output,
 * except for whole JSON objects (capped by `maxJsonDocumentBytes`; NDJSON and top-level
 * arrays stream).
 * Every failure is an `IngestError`; malformed rows are reported in `ParseStep.errors`.
 *
 * Empty input: `finish()` returns an empty step. Complexity O(input bytes).
 * @example
 * const p = createStreamParser({ fileName: 'node.prom', defaultTimestamp: 1_700_000_000_000 });
 * const a = p.push(new TextEncoder().encode('up 1\n'));
 * const b = p.finish(); // b.batches[0].series.name === 'up' (once sniffed)
 */
export function createStreamParser(options: StreamParserOptions): StreamParser {
  const file = options.fileName;
  const limits: IngestLimits = { ...DefaultIngestLimits, ...options.limits };
  if (options.timeZone !== undefined && !isValidTimeZone(options.timeZone))
    throw new IngestError({
      code: 'invalid_option',
      message: `unknown time zone "${options.timeZone}"`,
      file
    });
  if (!(limits.maxLineBytes > 0) || !(limits.maxJsonDepth > 0))
    throw new IngestError({ code: 'invalid_option', message: 'limits must be positive', file });
  const sink = new BatchSink(file, limits.maxErrors);
  sink.holdPoints = options.holdPoints === true;
  let engine: Engine | undefined;
  let format: IngestFormat | '' = '';
  let head: Uint8Array[] = [];
  let headLength = 0;
  let bytes = 0;
  let failed: IngestError | undefined;
  let finished = false;

  const start = (): void => {
    const all = new Uint8Array(headLength);
    let o = 0;
    for (const h of head) {
      all.set(h, o);
      o += h.length;
    }
    head = [];
    headLength = 0;
    const sniffed = all.subarray(0, SniffDefaults.headBytes);
    // A forced format still refuses images and binaries: only a zip may be binary.
    if (
      options.format !== undefined &&
      options.format !== 'parquet' &&
      !(all[0] === ZIP_START[0] && all[1] === ZIP_START[1])
    )
      assertNotBinary(sniffed, file);
    format = options.format ?? sniffFormat(sniffed, file);
    engine = createEngine(format, all, { ...options, limits, sink });
    engine.push(all);
  };

  const guard = (fn: () => void): ParseStep => {
    if (failed) throw failed;
    try {
      fn();
    } catch (e) {
      failed = toIngestError(e, file);
      throw failed;
    }
    return sink.drain(engine?.checkpoint() ?? 0, bytes);
  };

  return {
    get format() {
      return format;
    },
    push(chunk: Uint8Array): ParseStep {
      return guard(() => {
        if (finished)
          throw new IngestError({ code: 'invalid_option', message: 'push after finish', file });
        bytes += chunk.length;
        if (engine !== undefined) return engine.push(chunk);
        if (chunk.length > 0) {
          head.push(chunk.slice());
          headLength += chunk.length;
        }
        if (headLength >= SniffDefaults.headBytes) start();
      });
    },
    finish(): ParseStep {
      return guard(() => {
        if (finished) return;
        finished = true;
        if (engine === undefined) start();
        (engine as Engine).finish();
      });
    },
    takePoints: () => sink.takePoints(),
    recycle: (buffers) => sink.recycle(buffers)
  };
}
