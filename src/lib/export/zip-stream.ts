import { strToU8, Zip, ZipDeflate } from 'fflate';

/**
 * A zip written entry by entry, text pushed in pieces and compressed as it arrives, with
 * the compressed bytes handed to `onData` (the caller puts them in Blob parts). One entry is
 * open at a time; the bundle writes `series.ndjson`, `events.ndjson`, then `manifest.json`
 * last, once the counts are known (the bundle reader checks the manifest at the end).
 */
export const ZipStreamDefaults = {
  /**
   * Deflate level 1: bench/export.bench.ts measured level 6 at about 0.2 M points/s in
   * Chromium, a fraction of the other formats; level 1 still shrinks NDJSON several-fold.
   */
  level: 1 as 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9
};

export interface ZipStream {
  /** Opens an entry; the previous one must be closed. */
  open(name: string): void;
  push(text: string): void;
  close(): void;
  /** Closes the archive (its central directory goes to `onData`). */
  finish(): void;
}

/**
 * Creates a streaming zip writer.
 *
 * Empty input (no entries): a valid empty zip. Complexity O(bytes).
 * @example
 * const parts: Uint8Array[] = [];
 * const z = createZipStream((b) => parts.push(b));
 * z.open('a.txt'); z.push('hi'); z.close(); z.finish();
 */
export function createZipStream(
  onData: (bytes: Uint8Array) => void,
  options: { level?: ZipStreamDefaults['level'] } = {}
): ZipStream {
  let failure: Error | null = null;
  const zip = new Zip((err, data) => {
    if (err) failure = err;
    else if (data.length > 0) onData(data);
  });
  let entry: ZipDeflate | null = null;
  const check = () => {
    if (failure) throw failure;
  };
  return {
    open(name) {
      if (entry) throw new Error(`zip entry still open when opening ${name}`);
      entry = new ZipDeflate(name, { level: options.level ?? ZipStreamDefaults.level });
      zip.add(entry);
      check();
    },
    push(text) {
      if (!entry) throw new Error('no zip entry open');
      if (text.length > 0) entry.push(strToU8(text), false);
      check();
    },
    close() {
      entry?.push(new Uint8Array(0), true);
      entry = null;
      check();
    },
    finish() {
      if (entry) this.close();
      zip.end();
      check();
    }
  };
}

type ZipStreamDefaults = typeof ZipStreamDefaults;
