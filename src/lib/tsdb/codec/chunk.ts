/**
 * Lossless chunk codec for one series' points (time and value columns).
 *
 * Each column is coded on its own, choosing per chunk between:
 *  - `decimal`: the ALP idea (Afroozeh, Kuffó & Boncz, SIGMOD 2024). Find the smallest
 *    decimal exponent k ≤ 12 such that (almost) every value v equals round(v·10^k) / 10^k
 *    exactly as a double; code those integers as order-0, -1 or -2 differences (whichever
 *    packs smaller), zigzagged and bit-packed in patched frame-of-reference blocks of 128
 *    (codec-bits.ts). Values that do not round-trip (NaN, ±Infinity, -0, too many digits)
 *    are exceptions stored raw. The integers are first rebased on the first value and divided
 *    by their common step (GCD of the differences), so page-sized memory changes or
 *    fixed counter increments cost bits for the multiplier only. Regular integer-ms timestamps become delta-of-delta 0 runs
 *    that cost one width byte per 128 points; such a column (an exact progression of
 *    integers) is recognised at one compare per point and written without the passes, to
 *    the same bytes.
 *  - `xor`: Gorilla XOR (Pelkonen et al. 2015) on the raw bits, when decimals do not pay.
 *
 * Both paths copy raw IEEE-754 words, so decode is bit-exact for every double: NaN keeps its
 * payload (not canonicalised), -0, ±Infinity and subnormals survive. Timestamps are a
 * column like any other, so fractional, unsorted, duplicated or NaN times round-trip too.
 *
 * Layout (little-endian):
 *   0  u8  format version (ChunkFormatVersion)
 *   1  u8  time column encoding   (0 decimal, 1 xor)
 *   2  u8  value column encoding  (0 decimal, 1 xor)
 *   3  u8  reserved (0)
 *   4  u32 n points
 *   8  f64 t0 = smallest non-NaN timestamp (NaN when none)
 *  16  f64 t1 = largest non-NaN timestamp (NaN when none)
 *  24  time column, then value column, each: u32 byte length, then its body.
 * Word sections inside a body are 4-byte aligned relative to byte 0 of the chunk.
 */
import {
  BitReader,
  BitWriter,
  ByteSink,
  HistogramBins,
  assertLittleEndian,
  bitWidth,
  packResiduals,
  PackBlockSize,
  readXor,
  unpackResiduals,
  writeXor,
  type BlockStats,
  type ByteCursor
} from './bits';

assertLittleEndian();

/** Bump when the layout changes; decoders dispatch on it. */
export const ChunkFormatVersion = 1;

export type ColumnEncoding = 'decimal' | 'xor';

export const CodecDefaults = {
  /** Largest decimal exponent tried: 12 covers µs-resolution fractional ms and 2-decimal rates. */
  maxDecimalExponent: 12,
  /** Above this share of exceptions the decimal path gives up for XOR. */
  maxExceptionShare: 1 / 8,
  /** Values sampled to pick the exponent (evenly spaced over the chunk). */
  sampleSize: 64,
  /** Decimal integers are kept below 2^49 so order-2 residuals stay exact below 2^52. */
  maxDecimalInt: 2 ** 49,
  /** When decimal packing needs more bits per point than this, XOR is tried as well. */
  xorTryBitsPerPoint: 24
} as const;

const HeaderBytes = 24;
const EncodingCode: Record<ColumnEncoding, number> = { decimal: 0, xor: 1 };
const CodeEncoding: ColumnEncoding[] = ['decimal', 'xor'];
const Pow10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

export interface ChunkHeader {
  n: number;
  t0: number;
  t1: number;
  encoding: { version: number; time: ColumnEncoding; value: ColumnEncoding };
}

let intScratch = new Float64Array(0);
let zzScratch = new Float64Array(0);
let blockStats: BlockStats = { max: new Float64Array(0), hist: new Int32Array(0) };

function ensureScratch(n: number): void {
  if (intScratch.length < n) {
    const size = Math.max(n, 4096);
    const blocks = Math.ceil(size / PackBlockSize);
    intScratch = new Float64Array(size);
    zzScratch = new Float64Array(size);
    blockStats = { max: new Float64Array(blocks), hist: new Int32Array(blocks * HistogramBins) };
  }
}

function roundTrips(v: number, p: number): boolean {
  const m = Math.round(v * p);
  return m / p === v && Math.abs(m) <= CodecDefaults.maxDecimalInt && (v !== 0 || 1 / v > 0);
}

/** Smallest exponent making every sampled value round-trip (ignoring hopeless ones); -1 if none does. */
function chooseExponent(x: Float64Array, n: number): number {
  const step = Math.max(1, Math.floor(n / CodecDefaults.sampleSize));
  let k = -1;
  for (let i = 0; i < n; i += step) {
    const v = x[i];
    if (!Number.isFinite(v)) continue;
    for (let e = Math.max(k, 0); e <= CodecDefaults.maxDecimalExponent; e++) {
      if (roundTrips(v, Pow10[e])) {
        if (e > k) k = e;
        break;
      }
    }
  }
  return k;
}

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const r = a % b;
    a = b;
    b = r;
  }
  return a;
}

/**
 * ints[i] = (ints[i] - base) / scale in place, exact for ints that differ from base by
 * multiples of scale (the step toDecimalInts found).
 */
function rebaseInts(ints: Float64Array, n: number, base: number, scale: number): void {
  for (let i = 0; i < n; i++) ints[i] = (ints[i] - base) / scale;
}

// Module-local copies: bundlers that emit CommonJS (tsx in Node) turn imported bindings
// into getter calls, which would sit inside the hottest loops.
const BLOCK = PackBlockSize;
/** Blocks sampled for the order estimate: every 4th once a chunk has 8 or more blocks. */
const ESTIMATE_STRIDE = 4;

/**
 * Packed bits for residual orders 0, 1, 2 (block max widths) in one pass, over every
 * ESTIMATE_STRIDE-th block for long columns (an estimate; the choice only affects size).
 */
function estimateOrderBits(
  ints: Float64Array,
  n: number,
  { offset, inv }: Rebase
): [number, number, number] {
  const bits: [number, number, number] = [0, 0, 0];
  const stride = n >= 8 * BLOCK ? ESTIMATE_STRIDE * BLOCK : BLOCK;
  let sampled = 0;
  for (let lo = 0; lo < n; lo += stride) {
    const hi = Math.min(n, lo + BLOCK);
    let m0 = 0;
    let m1 = 0;
    let m2 = 0;
    for (let i = lo; i < hi; i++) {
      const x = (ints[i] - offset) * inv;
      const z0 = x >= 0 ? 2 * x : -2 * x - 1;
      if (z0 > m0) m0 = z0;
      if (i >= 1) {
        const d = (ints[i] - ints[i - 1]) * inv;
        const z1 = d >= 0 ? 2 * d : -2 * d - 1;
        if (z1 > m1) m1 = z1;
        if (i >= 2) {
          const dd = d - (ints[i - 1] - ints[i - 2]) * inv;
          const z2 = dd >= 0 ? 2 * dd : -2 * dd - 1;
          if (z2 > m2) m2 = z2;
        }
      }
    }
    const len = hi - lo;
    sampled += len;
    bits[0] += bitWidth(m0) * len;
    bits[1] += bitWidth(m1) * len;
    bits[2] += bitWidth(m2) * len;
  }
  const scale = sampled > 0 ? n / sampled : 1;
  return [bits[0] * scale, bits[1] * scale, bits[2] * scale];
}

function encodeXorColumn(sink: ByteSink, x: Float64Array): void {
  const words = new Uint32Array(x.buffer, x.byteOffset, x.length * 2);
  const bw = new BitWriter(x.length + 4);
  writeXor(bw, words);
  sink.writeU8(EncodingCode.xor);
  sink.align4();
  sink.writeU32(bw.wordCount);
  sink.writeWords(bw.words, bw.wordCount);
}

/**
 * Fills ints[i] = round(x[i]·p) where that integer gives back x[i] exactly (and is within
 * maxDecimalInt, and x[i] is not -0); an exception repeats the previous integer, so it
 * costs no residual bits. In the same pass, the common step to divide out: the GCD of the
 * steps ints[i] - ints[i - 1], which is the GCD of all ints[i] - ints[0] (each set's
 * members are sums of the other's); 1 when all are equal. Returns the exceptions' indices
 * and that step, or null past maxExceptionShare.
 */
function toDecimalInts(
  x: Float64Array,
  p: number,
  ints: Float64Array
): { exceptions: number[]; step: number } | null {
  const n = x.length;
  const exceptions: number[] = [];
  const maxExceptions = Math.floor(n * CodecDefaults.maxExceptionShare);
  const maxInt = CodecDefaults.maxDecimalInt;
  // k = 0 (integer timestamps, byte and packet counts) needs no multiply or divide.
  const integral = p === 1;
  let prev = 0;
  let g = 0;
  let lastStep = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    const m = integral ? Math.round(v) : Math.round(v * p);
    let int = prev;
    if (
      (integral ? m === v : m / p === v) &&
      m <= maxInt &&
      m >= -maxInt &&
      (m !== 0 || 1 / v > 0)
    ) {
      int = m;
    } else {
      exceptions.push(i);
      if (exceptions.length > maxExceptions) return null;
    }
    ints[i] = int;
    const d = int - prev;
    prev = int;
    // A step equal to the one before passed already (a divisor of g stays one as g
    // shrinks), so steady data skips the divide. ints[0] - 0 is no step.
    if (d === lastStep || i === 0) continue;
    lastStep = d;
    // Divisibility by a pipelined float division: float % is a runtime call and integer
    // division is not pipelined. Exact: for |d| < 2^50 a non-integer d/g is ≥ 1/g away
    // from an integer, far more than its rounding error.
    if (g === 1 || d === 0 || (g !== 0 && Math.floor(d / g) * g === d)) continue;
    g = gcd(Math.abs(d), g);
  }
  return { exceptions, step: g === 0 ? 1 : g };
}

/**
 * How the coded integers (ints - base) / scale are read from `ints`: as (ints - offset) ·
 * inv. With a power-of-two scale (1 included) the multiply is exact, so ints stay as they
 * are (offset = base, inv = 1 / scale) and base cancels in order-1 and -2 residuals: no
 * pass of its own. Other scales are divided out in place first (offset 0, inv 1).
 */
interface Rebase {
  offset: number;
  inv: number;
}

/**
 * Writes the zigzagged order-0, -1 or -2 residuals of (ints[0..n) - offset) · inv to
 * zzScratch[0..n-order) (exact in float arithmetic below 2^52) and each PackBlockSize
 * block's BlockStats to `stats`, in one pass: packResiduals then spends none on them.
 */
function zigzagResiduals(options: {
  ints: Float64Array;
  n: number;
  order: number;
  rebase: Rebase;
  stats: BlockStats;
}): void {
  const { ints, n, order } = options;
  const { offset, inv } = options.rebase;
  const { max: blockMax, hist } = options.stats;
  const zz = zzScratch;
  const count = n - Math.min(order, n);
  for (let b = 0, lo = 0; lo < count; b++, lo += BLOCK) {
    const hi = Math.min(count, lo + BLOCK);
    let max = 0;
    // Bit widths by clz32 of the value's low 32 bits: right whenever it fits 32 bits, the
    // only case in which packResiduals reads them.
    const h = b * HistogramBins + 32;
    hist.fill(0, h - 32, h + 1);
    if (order === 0) {
      for (let i = lo; i < hi; i++) {
        const r = (ints[i] - offset) * inv;
        const z = r >= 0 ? 2 * r : -2 * r - 1;
        zz[i] = z;
        hist[h - Math.clz32(z)]++;
        if (z > max) max = z;
      }
    } else if (order === 1) {
      for (let i = lo; i < hi; i++) {
        const r = (ints[i + 1] - ints[i]) * inv;
        const z = r >= 0 ? 2 * r : -2 * r - 1;
        zz[i] = z;
        hist[h - Math.clz32(z)]++;
        if (z > max) max = z;
      }
    } else {
      for (let i = lo; i < hi; i++) {
        const r = (ints[i + 2] - 2 * ints[i + 1] + ints[i]) * inv;
        const z = r >= 0 ? 2 * r : -2 * r - 1;
        zz[i] = z;
        hist[h - Math.clz32(z)]++;
        if (z > max) max = z;
      }
    }
    blockMax[b] = max;
  }
}

/**
 * Tries the decimal path; writes it and returns true, or writes nothing and returns false
 * when too many values are exceptions.
 */
function tryEncodeDecimalColumn(sink: ByteSink, x: Float64Array): boolean {
  const n = x.length;
  const k = chooseExponent(x, n);
  if (k < 0) return false;
  const p = Pow10[k];
  ensureScratch(n);
  const ints = intScratch;
  const found = toDecimalInts(x, p, ints);
  if (found === null) return false;
  const { exceptions, step: scale } = found;
  // A common step (memory in 4 KiB pages, counters in fixed increments) is divided out.
  const base = ints[0];
  let rebase: Rebase = { offset: base, inv: 1 / scale };
  if (scale !== 2 ** Math.round(Math.log2(scale))) {
    rebaseInts(ints, n, base, scale);
    rebase = { offset: 0, inv: 1 };
  }
  const bits = estimateOrderBits(ints, n, rebase);
  let order = 0;
  if (bits[1] < bits[order]) order = 1;
  if (bits[2] < bits[order]) order = 2;
  if (bits[order] > CodecDefaults.xorTryBitsPerPoint * n) {
    // Decimal barely compresses (e.g. random doubles with many digits): compare with XOR.
    const trial = new ByteSink(n * 9 + 16);
    encodeXorColumn(trial, x);
    const decimalBytes = bits[order] / 8 + exceptions.length * 12 + n / BLOCK + 16;
    if (trial.pos < decimalBytes) return false;
  }
  const firsts = Math.min(order, n);
  const count = n - firsts;
  const zz = zzScratch;
  zigzagResiduals({ ints, n, order, rebase, stats: blockStats });
  const words = new Uint32Array(x.buffer, x.byteOffset, n * 2);
  sink.writeU8(EncodingCode.decimal);
  sink.writeU8(k);
  sink.writeU8(order);
  sink.writeU8(0);
  sink.writeU32(exceptions.length);
  sink.writeF64(base);
  sink.writeF64(scale);
  for (const i of exceptions) sink.writeU32(i);
  for (const i of exceptions) sink.writeRawF64(words, i);
  for (let i = 0; i < firsts; i++) sink.writeF64((ints[i] - rebase.offset) * rebase.inv);
  packResiduals(sink, zz.subarray(0, count), blockStats);
  return true;
}

/** Below this many points the regular-column check does not pay for itself. */
const MinRegularPoints = 3;

/**
 * The step d when x is an arithmetic progression of integers (regular timestamps):
 * x[i] = x[0] + i·d exactly, d ≠ 0, every value within maxDecimalInt and none -0; else 0.
 * One compare per point. O(n).
 */
function regularStep(x: Float64Array): number {
  const n = x.length;
  if (n < MinRegularPoints) return 0;
  const first = x[0];
  const d = x[1] - first;
  const last = first + (n - 1) * d;
  const maxInt = CodecDefaults.maxDecimalInt;
  // Integers below 2^49 add exactly, so the running sum below is the progression itself.
  if (!Number.isInteger(first) || !Number.isInteger(d) || d === 0) return 0;
  if (Math.abs(first) > maxInt || Math.abs(last) > maxInt) return 0;
  let expected = first;
  for (let i = 1; i < n; i++) {
    expected += d;
    if (x[i] !== expected) return 0;
  }
  // x[i] === 0 holds for -0 too: the one index whose value is zero, if any, must be +0.
  const zeroAt = -first / d;
  if (Number.isInteger(zeroAt) && zeroAt >= 0 && zeroAt < n && 1 / x[zeroAt] < 0) return 0;
  return d;
}

/**
 * The decimal path's bytes for a column regularStep accepted (step d): for it the general
 * path finds exponent 0, base x[0], common step |d|, order 2 and residuals that are all
 * zero, so this writes exactly that without the dozen passes. O(n / PackBlockSize).
 */
function writeRegularColumn(sink: ByteSink, x: Float64Array, d: number): void {
  const scale = Math.abs(d);
  sink.writeU8(EncodingCode.decimal);
  sink.writeU8(0); // exponent
  sink.writeU8(2); // order
  sink.writeU8(0);
  sink.writeU32(0); // exceptions
  sink.writeF64(x[0]); // base
  sink.writeF64(scale);
  // The first two rebased integers, then width-0 blocks and no words.
  sink.writeF64(0);
  sink.writeF64(d / scale);
  const blocks = Math.ceil((x.length - 2) / BLOCK);
  sink.ensure(blocks);
  sink.bytes.fill(0, sink.pos, sink.pos + blocks);
  sink.pos += blocks;
  sink.align4();
  sink.writeU32(0);
}

/**
 * Appends one length-prefixed column (u32 byte length + body) to `sink`, choosing the
 * decimal or XOR coding. Shared with the rollup block format. Empty column → length 0. O(n).
 *
 * @example
 * const sink = new ByteSink();
 * encodeColumn(sink, new Float64Array([1, 2, 3]));
 */
export function encodeColumn(sink: ByteSink, x: Float64Array): void {
  encodeColumnWithStep(sink, x, regularStep(x));
}

/** encodeColumn for a caller that already has regularStep(x). */
function encodeColumnWithStep(sink: ByteSink, x: Float64Array, step: number): void {
  const lengthAt = sink.pos;
  sink.writeU32(0);
  const start = sink.pos;
  if (step !== 0) {
    writeRegularColumn(sink, x, step);
  } else if (x.length > 0 && !tryEncodeDecimalColumn(sink, x)) {
    sink.pos = start;
    encodeXorColumn(sink, x);
  }
  sink.view.setUint32(lengthAt, sink.pos - start, true);
}

/**
 * Scratch for encodeChunk, which copies out exactly the bytes written: a sink sized per
 * chunk was allocated (and zeroed) at several times the chunk's size, then copied anyway.
 */
const ChunkSinkBytes = {
  /** Room for a 4,096-point chunk even when both columns fall back to XOR. */
  initial: 96 * 1024,
  /** A scratch sink that grew past this (a huge chunk) is dropped rather than kept for good. */
  keep: 1 << 20
};
let chunkSink = new ByteSink(ChunkSinkBytes.initial);

/**
 * Encodes one chunk of points. Lossless bit for bit for any doubles in either column.
 * Inputs are not modified. Empty input gives a 24-byte header with n = 0.
 *
 * Complexity: O(n) time, O(n) scratch (reused across calls).
 *
 * @example
 * const bytes = encodeChunk(new Float64Array([1000, 2000]), new Float64Array([0.5, 0.75]));
 * decodeChunk(bytes).v; // Float64Array [0.5, 0.75]
 */
export function encodeChunk(t: Float64Array, v: Float64Array): Uint8Array {
  if (t.length !== v.length) throw new RangeError('encodeChunk: t and v lengths differ');
  const n = t.length;
  const sink = chunkSink;
  sink.reset();
  // Regular times (the usual case) have their range at the ends: no pass to find it.
  const step = regularStep(t);
  let t0 = step > 0 ? t[0] : t[n - 1];
  let t1 = step > 0 ? t[n - 1] : t[0];
  if (step === 0) {
    t0 = Infinity;
    t1 = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = t[i];
      if (x < t0) t0 = x;
      if (x > t1) t1 = x;
    }
    if (t0 > t1) t0 = t1 = NaN;
  }
  sink.writeU8(ChunkFormatVersion);
  sink.writeU8(0);
  sink.writeU8(0);
  sink.writeU8(0);
  sink.writeU32(n);
  sink.writeF64(t0);
  sink.writeF64(t1);
  if (n > 0) {
    encodeColumnWithStep(sink, t, step);
    encodeColumn(sink, v);
    sink.bytes[1] = sink.bytes[HeaderBytes + 4];
    const valueAt = HeaderBytes + 4 + sink.view.getUint32(HeaderBytes, true);
    sink.bytes[2] = sink.bytes[valueAt + 4];
  }
  const bytes = sink.finish();
  if (sink.bytes.length > ChunkSinkBytes.keep) chunkSink = new ByteSink(ChunkSinkBytes.initial);
  return bytes;
}

/**
 * Reads the header only: point count, time range and encodings, without decoding.
 * Throws on an unknown format version or a buffer shorter than the header.
 *
 * Complexity: O(1).
 *
 * @example
 * readChunkHeader(encodeChunk(new Float64Array([5, 9]), new Float64Array([1, 2])));
 * // { n: 2, t0: 5, t1: 9, encoding: { version: 1, time: 'decimal', value: 'decimal' } }
 */
export function readChunkHeader(bytes: Uint8Array): ChunkHeader {
  if (bytes.length < HeaderBytes) throw new RangeError('readChunkHeader: truncated chunk');
  const version = bytes[0];
  if (version !== ChunkFormatVersion) {
    throw new RangeError(`readChunkHeader: unknown chunk format version ${version}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const time = CodeEncoding[bytes[1]];
  const value = CodeEncoding[bytes[2]];
  if (!time || !value) throw new RangeError('readChunkHeader: unknown column encoding');
  return {
    n: view.getUint32(4, true),
    t0: view.getFloat64(8, true),
    t1: view.getFloat64(16, true),
    encoding: { version, time, value }
  };
}

/**
 * Decodes one length-prefixed column written by encodeColumn at `c.pos` and advances the
 * cursor past it. `c.bytes` must be 4-byte aligned in its buffer where the writer's sink
 * started. n = 0 → empty array. O(n).
 *
 * @example
 * decodeColumn({ bytes, pos: 0 }, 3); // Float64Array [1, 2, 3]
 */
export function decodeColumn(c: ByteCursor, n: number): Float64Array {
  const len = new DataView(c.bytes.buffer, c.bytes.byteOffset, c.bytes.byteLength).getUint32(
    c.pos,
    true
  );
  const out = decodeColumnBody(c.bytes, c.pos + 4, n);
  c.pos += 4 + len;
  return out;
}

function decodeColumnBody(bytes: Uint8Array, pos: number, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 0) return out;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kind = bytes[pos];
  if (kind === EncodingCode.xor) {
    pos = (pos + 1 + 3) & ~3;
    const nWords = view.getUint32(pos, true);
    pos += 4;
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset + pos, nWords);
    readXor(new BitReader(words), new Uint32Array(out.buffer));
    return out;
  }
  if (kind !== EncodingCode.decimal) throw new RangeError(`decodeChunk: bad column kind ${kind}`);
  const p = Pow10[bytes[pos + 1]];
  const order = bytes[pos + 2];
  const nExc = view.getUint32(pos + 4, true);
  const base = view.getFloat64(pos + 8, true);
  const scale = view.getFloat64(pos + 16, true);
  pos += 24;
  const excAt = pos;
  pos += nExc * 12;
  const firsts = Math.min(order, n);
  for (let i = 0; i < firsts; i++) out[i] = view.getFloat64(pos + 8 * i, true);
  pos += firsts * 8;
  const count = n - firsts;
  ensureScratch(count);
  const residuals = zzScratch;
  unpackResiduals({ bytes, pos }, residuals.subarray(0, count));
  // Integers are rebuilt exactly, then one division each: m / 10^k is the correctly
  // rounded v (that is what the encoder checked).
  if (order === 0) {
    for (let i = 0; i < n; i++) out[i] = (residuals[i] * scale + base) / p;
  } else if (order === 1) {
    let x = out[0];
    out[0] = (x * scale + base) / p;
    for (let i = 1; i < n; i++) {
      x += residuals[i - 1];
      out[i] = (x * scale + base) / p;
    }
  } else {
    const prev = out[0];
    let x = n > 1 ? out[1] : 0;
    let d = x - prev;
    out[0] = (prev * scale + base) / p;
    if (n > 1) out[1] = (x * scale + base) / p;
    for (let i = 2; i < n; i++) {
      d += residuals[i - 2];
      x += d;
      out[i] = (x * scale + base) / p;
    }
  }
  if (nExc > 0) {
    const outWords = new Uint32Array(out.buffer);
    for (let e = 0; e < nExc; e++) {
      const i = view.getUint32(excAt + 4 * e, true);
      const raw = excAt + 4 * nExc + 8 * e;
      outWords[2 * i] = view.getUint32(raw, true);
      outWords[2 * i + 1] = view.getUint32(raw + 4, true);
    }
  }
  return out;
}

/**
 * Decodes a chunk written by encodeChunk, returning fresh arrays (bit-identical to the input).
 * Empty chunk → two empty arrays. Throws RangeError on an unknown version or corrupt layout.
 *
 * Complexity: O(n).
 *
 * @example
 * const { t, v } = decodeChunk(encodeChunk(new Float64Array([1]), new Float64Array([-0])));
 * Object.is(v[0], -0); // true
 */
export function decodeChunk(bytes: Uint8Array): { t: Float64Array; v: Float64Array } {
  const { n } = readChunkHeader(bytes);
  // Every column spends at least one width byte per 128 points (XOR: a bit per point), so a
  // larger n is corruption: refuse it before allocating.
  if (n > 128 * bytes.length) throw new RangeError(`decodeChunk: corrupt point count ${n}`);
  // Word views need 4-byte alignment relative to the chunk start.
  const b = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  if (n === 0) return { t: new Float64Array(0), v: new Float64Array(0) };
  const c = { bytes: b, pos: HeaderBytes };
  const t = decodeColumn(c, n);
  const v = decodeColumn(c, n);
  return { t, v };
}
