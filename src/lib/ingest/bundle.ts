import { Unzip, UnzipInflate, type UnzipFile } from 'fflate';
import { IngestError } from './errors';
import { BundleTally } from './bundle-tally';
import { createNdjsonHandler } from './json';
import { LineSplitter } from './lines';
import type { BatchSink } from './sink';
import type { IngestLimits } from './types';

/**
 * Reads a Tidemark bundle zip (layout documented in src/lib/export/bundle.ts) as a stream.
 * fflate has no limits of its own, so this class enforces them: entry count, and the real
 * number of bytes produced while inflating (the header's declared size is never trusted).
 * Compressed input is fed in small slices so one inflate call cannot produce more than
 * about `ZipReaderDefaults.sliceBytes` × 1032 (deflate's maximum ratio) at once.
 * Directory entries, absolute or `..` paths and nested zips are ignored, never recursed into.
 */
export const ZipReaderDefaults = {
  sliceBytes: 16 * 1024,
  maxManifestBytes: 1024 * 1024,
  entries: ['manifest.json', 'series.ndjson', 'events.ndjson'] as const
};

/**
 * Whether a zip entry name is one this reader may read: a plain relative file name.
 *
 * Empty input: false. Complexity O(length).
 * @example
 * isSafeEntryName('../evil') // false
 */
export function isSafeEntryName(name: string): boolean {
  if (name === '' || name.endsWith('/') || name.endsWith('\\')) return false;
  if (name.startsWith('/') || name.startsWith('\\') || /^[a-zA-Z]:/.test(name)) return false;
  return !name.split(/[\\/]/).some((seg) => seg === '..' || seg === '.');
}

/**
 * Streaming reader of a bundle zip: `push` compressed chunks, then `finish`. Points and events
 * go to the sink as entries inflate; limits and a missing manifest throw `IngestError`.
 */
export class ZipBundleReader {
  private readonly unzip: Unzip;
  private entries = 0;
  private inflated = 0;
  private fatal: IngestError | undefined;
  private readonly open = new Map<string, LineSplitter>();
  private readonly tally: BundleTally;
  private manifestParts: Uint8Array[] = [];
  private manifestLength = 0;
  private manifestSeen = false;
  private inputBytes = 0;

  constructor(private readonly options: { sink: BatchSink; file: string; limits: IngestLimits }) {
    this.tally = new BundleTally(options.file);
    this.unzip = new Unzip((f) => this.onFile(f));
    this.unzip.register(UnzipInflate);
  }

  private fail(code: 'zip_limit' | 'bad_bundle', message: string): void {
    this.fatal ??= new IngestError({
      code,
      message,
      file: this.options.file,
      byte: this.inputBytes
    });
  }

  private onFile(f: UnzipFile): void {
    const { limits, sink, file } = this.options;
    if (this.fatal) return;
    if (++this.entries > limits.maxZipEntries) {
      this.fail('zip_limit', `zip has more than ${limits.maxZipEntries} entries`);
      return;
    }
    const name = f.name;
    const known =
      isSafeEntryName(name) && (ZipReaderDefaults.entries as readonly string[]).includes(name);
    if (!known && isSafeEntryName(name)) sink.skip();
    let splitter: LineSplitter | undefined;
    if (known && name !== 'manifest.json') {
      const handler = createNdjsonHandler({
        sink,
        file: `${file}!${name}`,
        maxDepth: limits.maxJsonDepth,
        epochMs: true,
        tally: this.tally
      });
      splitter = new LineSplitter({
        file: `${file}!${name}`,
        maxLineBytes: limits.maxLineBytes,
        onLine: (text, ctx) => handler.onLine(text, ctx)
      });
      this.open.set(name, splitter);
    }
    f.ondata = (err, data, final) => {
      if (this.fatal) return;
      if (err) {
        this.fail('bad_bundle', `zip entry ${name.slice(0, 100)}: ${err.message}`);
        return;
      }
      this.inflated += data.length;
      if (this.inflated > limits.maxInflatedBytes) {
        this.fail(
          'zip_limit',
          `zip entry ${JSON.stringify(name.slice(0, 100))} inflates the zip beyond ${limits.maxInflatedBytes} bytes; nothing more is read`
        );
        f.terminate();
        return;
      }
      // Compressed bytes read so far include what fflate has not inflated yet, so this
      // ratio is never above the true one.
      if (
        this.inflated > limits.inflateRatioAfterBytes &&
        this.inflated > limits.maxInflateRatio * this.inputBytes
      ) {
        const ratio = Math.round(this.inflated / Math.max(1, this.inputBytes));
        this.fail(
          'zip_limit',
          `zip entry ${JSON.stringify(name.slice(0, 100))} inflates ${ratio}:1 (${this.inflated} bytes from ${this.inputBytes} compressed), more than the ${limits.maxInflateRatio}:1 real data reaches: a zip bomb? Nothing more is read`
        );
        f.terminate();
        return;
      }
      // Unknown, unsafe and nested-zip entries are inflated only to be counted and dropped,
      // so their compressed bytes are not buffered by fflate while we wait.
      if (!known) return;
      try {
        if (name === 'manifest.json') this.addManifest(data);
        else splitter?.push(data);
        if (final) splitter?.finish();
      } catch (e) {
        this.fatal ??=
          e instanceof IngestError
            ? e
            : new IngestError({ code: 'bad_bundle', message: String(e), file });
      }
    };
    f.start();
  }

  private addManifest(data: Uint8Array): void {
    this.manifestLength += data.length;
    if (this.manifestLength > ZipReaderDefaults.maxManifestBytes) {
      this.fail('bad_bundle', 'manifest.json is too large');
      return;
    }
    this.manifestParts.push(data.slice());
  }

  private check(): void {
    if (this.fatal) throw this.fatal;
  }

  push(chunk: Uint8Array): void {
    const slice = ZipReaderDefaults.sliceBytes;
    for (let o = 0; o < chunk.length; o += slice) {
      // A copy: fflate's Unzip queues views of what it is given for entries not inflated
      // yet, and the caller may overwrite its chunk after `push` (see `StreamParser.push`).
      const part = chunk.slice(o, Math.min(chunk.length, o + slice));
      this.inputBytes += part.length;
      try {
        this.unzip.push(part, false);
      } catch (e) {
        this.fail(
          'bad_bundle',
          `not a readable zip: ${e instanceof Error ? e.message : String(e)}`
        );
      }
      this.check();
    }
  }

  finish(): void {
    try {
      this.unzip.push(new Uint8Array(0), true);
    } catch (e) {
      this.fail('bad_bundle', `not a readable zip: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.check();
    for (const s of this.open.values()) s.finish();
    this.checkManifest();
  }

  private checkManifest(): void {
    const { file } = this.options;
    const bytes = new Uint8Array(this.manifestLength);
    let o = 0;
    for (const p of this.manifestParts) {
      bytes.set(p, o);
      o += p.length;
    }
    this.manifestSeen = this.manifestLength > 0;
    if (!this.manifestSeen)
      throw new IngestError({
        code: 'bad_bundle',
        message: 'zip has no manifest.json: not a Tidemark bundle',
        file
      });
    let manifest: unknown;
    try {
      manifest = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      manifest = undefined;
    }
    const m = manifest as { format?: unknown; version?: unknown } | undefined;
    if (typeof m !== 'object' || m === null || m.format !== 'tidemark-bundle')
      throw new IngestError({
        code: 'bad_bundle',
        message: 'manifest.json is not a Tidemark bundle manifest',
        file
      });
    if (m.version !== 1)
      throw new IngestError({
        code: 'bad_bundle',
        message: `unsupported bundle version ${String(m.version)}`,
        file
      });
    this.tally.manifest(m as { [k: string]: unknown });
    this.tally.check();
  }
}
