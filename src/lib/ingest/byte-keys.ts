/**
 * Interning by bytes: the hot parse paths look series and label groups up straight from the
 * file's bytes, so a repeated key never becomes a string. Keys hash with 32-bit FNV-1a and
 * collisions are resolved by comparing bytes.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** The bytes `a[start, end)` equal `key`. Complexity O(key length). */
export function equalBytesAt(
  a: Uint8Array,
  range: { start: number; end: number },
  key: Uint8Array
): boolean {
  const { start, end } = range;
  if (end - start !== key.length) return false;
  for (let i = 0; i < key.length; i++) if (a[start + i] !== key[i]) return false;
  return true;
}

/** `a` has `key` at `start`, within `end`. Complexity O(key length). */
export function startsWithBytes(
  a: Uint8Array,
  range: { start: number; end: number },
  key: Uint8Array
): boolean {
  const { start, end } = range;
  if (end - start < key.length) return false;
  for (let i = 0; i < key.length; i++) if (a[start + i] !== key[i]) return false;
  return true;
}

function hashBytes(a: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ a[i], FNV_PRIME);
  return h >>> 0;
}

/** A map from byte strings to values, looked up by a range of a larger buffer. */
export class ByteKeyMap<T> {
  private readonly buckets = new Map<number, { key: Uint8Array; value: T }[]>();

  /** The value stored under the bytes `a[range.start, range.end)`, if any. */
  get(a: Uint8Array, range: { start: number; end: number }): T | undefined {
    const bucket = this.buckets.get(hashBytes(a, range.start, range.end));
    if (bucket === undefined) return undefined;
    for (const e of bucket) if (equalBytesAt(a, range, e.key)) return e.value;
    return undefined;
  }

  /** Stores `value` under `key` (the caller's own copy; it is kept, not copied). */
  set(key: Uint8Array, value: T): void {
    const h = hashBytes(key, 0, key.length);
    let bucket = this.buckets.get(h);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(h, bucket);
    }
    const range = { start: 0, end: key.length };
    for (const e of bucket)
      if (equalBytesAt(key, range, e.key)) {
        e.value = value;
        return;
      }
    bucket.push({ key, value });
  }
}
