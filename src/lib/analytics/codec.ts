/**
 * PLACEHOLDER chunk codec (uncompressed Float64 pairs behind a 1-byte tag). Replaced by the
 * compressed codec of the metrics-store issue; the tag keeps old chunks readable.
 */
const TAG_RAW_F64 = 0;

export function encodeChunk(t: Float64Array, v: Float64Array): Uint8Array {
  const n = t.length;
  const out = new Uint8Array(8 + n * 16);
  const view = new DataView(out.buffer);
  view.setUint8(0, TAG_RAW_F64);
  view.setUint32(4, n, true);
  new Float64Array(out.buffer, 8, n).set(t);
  new Float64Array(out.buffer, 8 + n * 8, n).set(v);
  return out;
}

export function decodeChunk(bytes: Uint8Array): { t: Float64Array; v: Float64Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(4, true);
  const copy = bytes.slice(8, 8 + n * 16);
  return {
    t: new Float64Array(copy.buffer, 0, n),
    v: new Float64Array(copy.buffer, n * 8, n)
  };
}
