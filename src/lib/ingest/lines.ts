import { IngestError } from './errors';
import type { BlockBytes, LineBytes, LineContext } from './types';

const NEWLINE = 10;
const lineDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Decodes one line handed out as bytes, as the text-mode splitter would have: UTF-8 with
 * replacement characters, a BOM inside the file kept (the leading one is already skipped).
 *
 * Empty range: ''. Complexity O(line bytes).
 */
export function decodeLine(view: Pick<LineBytes, 'bytes' | 'start' | 'end'>): string {
  return lineDecoder.decode(view.bytes.subarray(view.start, view.end));
}

/**
 * Splits a byte stream into lines with exact byte offsets and 1-based line numbers.
 *
 * Lines are cut on the byte 0x0A, which never occurs inside a multi-byte UTF-8 sequence, so a
 * character split across chunks always ends up whole inside one line's bytes: this is the
 * same guarantee `TextDecoder` with `stream: true` gives, while keeping each line's byte
 * offset exact (needed for errors and resume checkpoints). In text mode all complete lines of
 * a chunk are decoded with one `decode` call and split on '\n'; in byte mode (`onLineBytes`)
 * nothing is decoded and each line is a view into the chunk, for handlers that read bytes.
 * Only the current partial line is buffered, and never more than `maxLineBytes` of it.
 */
export class LineSplitter {
  private pending: Uint8Array[] = [];
  private pendingLength = 0;
  /** Offset of the first byte of the partial line. */
  private lineStart = 0;
  private lineNo = 0;
  private offset = 0;
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private readonly starts: number[] = [];

  constructor(
    private readonly options: {
      file: string;
      maxLineBytes: number;
      onLine: (text: string, ctx: LineContext) => void;
      /**
       * When given, lines are handed out as bytes instead (`onLine` is then unused): no
       * decoding and no string per line, which is most of a simple format's parse cost.
       */
      onLineBytes?: (view: LineBytes) => void;
      /**
       * Byte mode only: offered every run of complete lines first (see `BlockBytes`); lines
       * it does not take go to `onLineBytes` one at a time.
       */
      onBlockBytes?: (block: BlockBytes) => number;
      /** Offset of this stream's first byte in the file (zip entries start at 0). */
      baseOffset?: number;
    }
  ) {}

  /** Bytes consumed so far. */
  get bytes(): number {
    return this.offset;
  }

  /** Offset just after the last complete line handed out. */
  get checkpoint(): number {
    return this.lineStart;
  }

  private tooLong(start: number, line: number): IngestError {
    const mib = this.options.maxLineBytes / 1048576;
    const limit = Number.isInteger(mib) ? `${mib} MiB` : `${this.options.maxLineBytes} bytes`;
    return new IngestError({
      code: 'line_too_long',
      message: `line over ${limit} at byte ${start}`,
      file: this.options.file,
      line,
      byte: start
    });
  }

  private emit(bytes: Uint8Array, start: number): void {
    let text = this.decoder.decode(bytes);
    if (start === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    this.options.onLine(text, { line: ++this.lineNo, byte: start });
  }

  private readonly block: BlockBytes = {
    bytes: new Uint8Array(0),
    start: 0,
    end: 0,
    line: 0,
    byte: 0,
    lines: 0,
    maxLineBytes: 0
  };

  private readonly view: LineBytes = {
    bytes: new Uint8Array(0),
    start: 0,
    end: 0,
    line: 0,
    byte: 0
  };

  private emitBytes(bytes: Uint8Array, range: { start: number; end: number }, byte: number): void {
    const view = this.view;
    let start = range.start;
    // The leading BOM is not part of the first line's text (as in text mode).
    if (
      byte === 0 &&
      bytes[start] === 0xef &&
      bytes[start + 1] === 0xbb &&
      bytes[start + 2] === 0xbf
    )
      start += 3;
    view.bytes = bytes;
    view.start = start;
    view.end = range.end;
    view.line = ++this.lineNo;
    view.byte = byte;
    (this.options.onLineBytes as (v: LineBytes) => void)(view);
  }

  /** Byte mode: one `indexOf` per line, the handler gets a view into the chunk. */
  private pushBytes(chunk: Uint8Array): void {
    const { maxLineBytes } = this.options;
    const base = this.offset;
    this.offset += chunk.length;
    let pos = 0;
    let nl = chunk.indexOf(NEWLINE);
    if (nl < 0) return this.bufferPartial(chunk);
    const range = { start: 0, end: 0 };
    if (this.pendingLength > 0) {
      const total = this.pendingLength + nl;
      if (total > maxLineBytes) throw this.tooLong(this.lineStart, this.lineNo + 1);
      const line = this.joinPending(chunk.subarray(0, nl));
      range.end = total;
      this.emitBytes(line, range, this.lineStart);
      pos = nl + 1;
      this.lineStart = base + pos;
      nl = chunk.indexOf(NEWLINE, pos);
    }
    if (nl >= 0) pos = this.emitLines(chunk, { pos, nl, base });
    this.lineStart = base + pos;
    if (pos < chunk.length) {
      const rest = chunk.length - pos;
      if (rest > maxLineBytes) throw this.tooLong(base + pos, this.lineNo + 1);
      this.pending.push(chunk.slice(pos));
      this.pendingLength = rest;
    }
  }

  /**
   * The hot loop, on its own: every complete line from `at.pos` (the first newline at `at.nl`);
   * returns the offset after the last one. Kept apart from the chunk-edge code, which runs
   * once per chunk and would otherwise deoptimise this loop each time it is first reached.
   */
  private emitLines(chunk: Uint8Array, at: { pos: number; nl: number; base: number }): number {
    const max = this.options.maxLineBytes;
    const onLineBytes = this.options.onLineBytes as (v: LineBytes) => void;
    const onBlockBytes = this.options.onBlockBytes;
    const view = this.view;
    const base = at.base;
    let pos = at.pos;
    let nl = at.nl;
    // The block handler gets every complete line at once; the last newline bounds it.
    const last = onBlockBytes === undefined ? -1 : chunk.lastIndexOf(NEWLINE);
    view.bytes = chunk;
    while (nl >= 0) {
      if (onBlockBytes !== undefined && base + pos !== 0) {
        const block = this.block;
        block.bytes = chunk;
        block.start = pos;
        block.end = last + 1;
        block.line = this.lineNo + 1;
        block.byte = base + pos;
        block.lines = 0;
        block.maxLineBytes = max;
        const stop = onBlockBytes(block);
        this.lineNo += block.lines;
        if (stop > pos) {
          pos = stop;
          if (pos > last) break;
          nl = chunk.indexOf(NEWLINE, pos);
        }
        view.bytes = chunk;
      }
      if (nl - pos > max) throw this.tooLong(base + pos, this.lineNo + 1);
      if (base + pos === 0) {
        this.emitBytes(chunk, { start: pos, end: nl }, 0);
        view.bytes = chunk;
      } else {
        view.start = pos;
        view.end = nl;
        view.line = ++this.lineNo;
        view.byte = base + pos;
        onLineBytes(view);
      }
      pos = nl + 1;
      // indexOf (memchr) beats a JS byte loop even on 40-byte lines (measured).
      nl = chunk.indexOf(NEWLINE, pos);
    }
    return pos;
  }

  /** A chunk without a newline: all of it continues the partial line (within the limit). */
  private bufferPartial(chunk: Uint8Array): void {
    this.pendingLength += chunk.length;
    if (this.pendingLength > this.options.maxLineBytes)
      throw this.tooLong(this.lineStart, this.lineNo + 1);
    if (chunk.length > 0) this.pending.push(chunk.slice());
  }

  /** The buffered partial line followed by `tail`, in one new buffer; clears the buffer. */
  private joinPending(tail: Uint8Array): Uint8Array {
    const line = new Uint8Array(this.pendingLength + tail.length);
    let o = 0;
    for (const p of this.pending) {
      line.set(p, o);
      o += p.length;
    }
    line.set(tail, o);
    this.pending = [];
    this.pendingLength = 0;
    return line;
  }

  push(chunk: Uint8Array): void {
    if (this.options.onLineBytes !== undefined) return this.pushBytes(chunk);
    const { maxLineBytes, onLine } = this.options;
    const base = this.offset;
    this.offset += chunk.length;
    let pos = 0;
    const first = chunk.indexOf(NEWLINE);
    if (first < 0) return this.bufferPartial(chunk);
    if (this.pendingLength > 0) {
      const total = this.pendingLength + first;
      if (total > maxLineBytes) throw this.tooLong(this.lineStart, this.lineNo + 1);
      const line = this.joinPending(chunk.subarray(0, first));
      this.emit(line, this.lineStart);
      pos = first + 1;
      this.lineStart = base + pos;
    }
    const last = chunk.lastIndexOf(NEWLINE);
    if (last >= pos) {
      const region = chunk.subarray(pos, last);
      let text = this.decoder.decode(region);
      let bom = 0;
      if (base + pos === 0 && text.charCodeAt(0) === 0xfeff) {
        text = text.slice(1);
        bom = 3;
      }
      const lines = text.split('\n');
      // A UTF-8 sequence never decodes to more UTF-16 units than it has bytes, so equal
      // totals mean every character is one byte: offsets follow string lengths and the
      // per-line byte scan can be skipped (the common, ASCII case).
      if (text.length + bom === region.length) {
        let byte = base + pos;
        for (let i = 0; i < lines.length; i++) {
          const size = lines[i].length + (i === 0 ? bom : 0);
          if (size > maxLineBytes) throw this.tooLong(byte, this.lineNo + 1);
          onLine(lines[i], { line: ++this.lineNo, byte });
          byte += size + 1;
        }
      } else {
        const starts = this.starts;
        starts.length = 0;
        let prev = pos - 1;
        for (
          let nl = chunk.indexOf(NEWLINE, pos);
          nl >= 0 && nl <= last;
          nl = chunk.indexOf(NEWLINE, nl + 1)
        ) {
          if (nl - (prev + 1) > maxLineBytes)
            throw this.tooLong(base + prev + 1, this.lineNo + starts.length + 1);
          starts.push(prev + 1);
          prev = nl;
        }
        for (let i = 0; i < lines.length; i++)
          onLine(lines[i], { line: ++this.lineNo, byte: base + starts[i] });
      }
      pos = last + 1;
      this.lineStart = base + pos;
    }
    if (pos < chunk.length) {
      const rest = chunk.length - pos;
      if (rest > maxLineBytes) throw this.tooLong(base + pos, this.lineNo + 1);
      this.pending.push(chunk.slice(pos));
      this.pendingLength = rest;
    }
  }

  /** Hands out the last line when the input does not end with a newline. */
  finish(): void {
    if (this.pendingLength > 0) {
      const line = this.joinPending(new Uint8Array(0));
      if (this.options.onLineBytes !== undefined)
        this.emitBytes(line, { start: 0, end: line.length }, this.lineStart);
      else this.emit(line, this.lineStart);
      this.lineStart = this.offset;
    }
  }
}
