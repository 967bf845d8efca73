import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readChunks } from '$lib/workers/chunk-reader';

/** A byte stream over `bytes` that answers each read with at most `most` bytes. */
function byteStream(bytes: Uint8Array, most: number, onCancel?: () => void) {
  let at = 0;
  return new ReadableStream({
    type: 'bytes',
    pull(c) {
      const request = c.byobRequest!;
      if (at >= bytes.length) {
        c.close();
        request.respond(0);
        return;
      }
      const view = new Uint8Array(
        request.view!.buffer,
        request.view!.byteOffset,
        request.view!.byteLength
      );
      const piece = bytes.subarray(at, Math.min(bytes.length, at + most, at + view.length));
      view.set(piece);
      at += piece.length;
      request.respond(piece.length);
    },
    cancel: onCancel
  });
}

const bytesOf = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) % 251);

describe('readChunks', () => {
  it('gives every byte in order, in full chunks but the last, from two buffers taken in turn', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 256, max: 5000 }),
        async (n, most, size) => {
          const bytes = bytesOf(n);
          let allocated = 0;
          const reader = readChunks(byteStream(bytes, most), size, (b) => {
            allocated++;
            return new ArrayBuffer(b);
          });
          const got: number[] = [];
          const lengths: number[] = [];
          for (;;) {
            const chunk = await reader.next();
            if (chunk === null) break;
            // The read ahead goes into the other buffer: this chunk does not change under us.
            const copy = chunk.slice();
            await new Promise((r) => setTimeout(r, 0));
            expect(chunk).toEqual(copy);
            got.push(...chunk);
            lengths.push(chunk.length);
            expect(chunk.buffer.byteLength).toBe(size);
          }
          expect(got).toEqual(Array.from(bytes));
          expect(lengths.slice(0, -1).every((l) => l === size)).toBe(true);
          // Two buffers for the whole stream, however many chunks.
          expect(allocated).toBe(2);
          expect(await reader.next()).toBeNull();
        }
      ),
      { numRuns: 80 }
    );
  });

  it('reads a stream without BYOB support chunk by chunk, skipping empty ones', async () => {
    const parts = [new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array([3])];
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of parts) c.enqueue(p);
        c.close();
      }
    });
    const reader = readChunks(stream, 1024);
    expect(Array.from((await reader.next())!)).toEqual([1, 2]);
    expect(Array.from((await reader.next())!)).toEqual([3]);
    expect(await reader.next()).toBeNull();
  });

  it('an empty stream ends at once; cancel releases the stream', async () => {
    expect(await readChunks(byteStream(new Uint8Array(0), 10), 64).next()).toBeNull();
    let cancelled = false;
    const reader = readChunks(
      byteStream(bytesOf(5000), 100, () => {
        cancelled = true;
      }),
      256
    );
    expect((await reader.next())!.length).toBe(256);
    await reader.cancel();
    expect(cancelled).toBe(true);
    expect(await reader.next()).toBeNull();
  });

  it('a failing stream rejects the read that meets the failure', async () => {
    const stream = new ReadableStream({
      type: 'bytes',
      pull(c) {
        c.error(new Error('NotReadableError: the file changed'));
      }
    });
    await expect(readChunks(stream, 64).next()).rejects.toThrow(/file changed/);
  });
});
