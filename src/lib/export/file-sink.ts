import { ExportDefaults } from './types';

/**
 * A file being written: text parts compacted into a Blob every few MiB (so no export is one
 * giant string, and no piece is copied twice), with its first lines kept for the preview.
 */
export class FileSink {
  rows = 0;
  head: string[] = [];
  private parts: BlobPart[] = [];
  private pendingChars = 0;
  private headChars = 0;
  /** Compacted pieces, each a Blob of a few MiB; never nested, so no piece is copied twice. */
  private blobs: Blob[] = [];
  private partial = '';
  constructor(
    readonly name: string,
    readonly type: string
  ) {}

  /** Appends text holding `rows` data rows. */
  write(text: string, rows = 0): void {
    if (text.length === 0) return;
    this.rows += rows;
    this.keepHead(text);
    this.parts.push(text);
    this.pendingChars += text.length;
    if (this.pendingChars >= ExportDefaults.compactChars) this.compact();
  }

  /** Appends bytes (a zip's output); the caller passes the plaintext to `keepHead`. */
  writeBytes(bytes: Uint8Array): void {
    this.parts.push(bytes as Uint8Array<ArrayBuffer>);
    this.pendingChars += bytes.length;
    if (this.pendingChars >= ExportDefaults.compactChars) this.compact();
  }

  /** Keeps the first lines of `text` for the preview (up to `headLines` / `headChars`). */
  keepHead(text: string): void {
    if (this.head.length >= ExportDefaults.headLines || this.headChars >= ExportDefaults.headChars)
      return;
    const piece = text.slice(0, ExportDefaults.headChars);
    const lines = (this.partial + piece).split('\n');
    this.partial = lines.pop() ?? '';
    for (const l of lines) {
      if (this.head.length >= ExportDefaults.headLines) break;
      const line = l.replace(/\r$/, '');
      this.head.push(line.length > 400 ? line.slice(0, 400) + '…' : line);
      this.headChars += line.length;
    }
    if (this.partial.length > 400) {
      this.head.push(this.partial.slice(0, 400) + '…');
      this.partial = '';
      this.headChars = ExportDefaults.headChars;
    }
  }

  private compact(): void {
    if (this.parts.length > 0) this.blobs.push(new Blob(this.parts));
    this.parts = [];
    this.pendingChars = 0;
  }

  /** Puts `prefix` before everything written so far (a manifest known only at the end). */
  prepend(prefix: string): void {
    this.compact();
    this.blobs.unshift(new Blob([prefix]));
    this.head = [];
    this.headChars = 0;
    this.partial = '';
  }

  finish(): Blob {
    this.compact();
    if (this.partial !== '' && this.head.length < ExportDefaults.headLines)
      this.head.push(this.partial);
    return new Blob(this.blobs, { type: this.type });
  }
}
