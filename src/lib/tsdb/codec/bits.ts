/**
 * Bit-level building blocks of the chunk codec (codec.ts): a growable byte sink, an
 * LSB-first bit writer/reader over 32-bit words, frame-of-reference bit-packing of
 * zigzagged integer residuals, and Gorilla XOR coding of raw doubles.
 *
 * Words are read and written through `Uint32Array` views, so the byte format is
 * little-endian; `assertLittleEndian` guards the (today non-existent) big-endian browser.
 */

/** Values per frame-of-reference block: one width byte per block, so 1/128 byte per point minimum. */
export const PackBlockSize = 128;
const BLOCK = PackBlockSize;

const TWO_32 = 4_294_967_296;

/**
 * Throws on a big-endian platform (the word views assume little-endian). O(1).
 *
 * @example
 * assertLittleEndian(); // no-op on every browser and Node build in use
 */
export function assertLittleEndian(): void {
  if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
    throw new Error('Tidemark codec: big-endian platforms are not supported');
  }
}

/** A growable little-endian byte buffer; word sections are 4-byte aligned from offset 0. */
export class ByteSink {
  bytes: Uint8Array;
  view: DataView;
  pos = 0;

  constructor(capacity = 256) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
  }

  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.bytes.length) return;
    let cap = this.bytes.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.bytes.subarray(0, this.pos));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  writeU8(x: number): void {
    this.ensure(1);
    this.bytes[this.pos++] = x;
  }

  writeU32(x: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, x, true);
    this.pos += 4;
  }

  /** Only for values that are never NaN (NaN payloads could be canonicalised by setFloat64). */
  writeF64(x: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, x, true);
    this.pos += 8;
  }

  /** Copies the raw bits of `src[i]` (payload-exact, also for NaN). */
  writeRawF64(words: Uint32Array, i: number): void {
    this.writeU32(words[2 * i]);
    this.writeU32(words[2 * i + 1]);
  }

  align4(): void {
    const pad = (4 - (this.pos & 3)) & 3;
    this.ensure(pad);
    for (let k = 0; k < pad; k++) this.bytes[this.pos++] = 0;
  }

  writeWords(words: Uint32Array, count: number): void {
    this.align4();
    this.ensure(count * 4);
    new Uint32Array(this.bytes.buffer, this.pos, count).set(words.subarray(0, count));
    this.pos += count * 4;
  }

  /** A copy of the bytes written, exactly `pos` long. */
  finish(): Uint8Array {
    return this.bytes.slice(0, this.pos);
  }

  /** Empties the sink and keeps its buffer, for a sink reused as scratch. */
  reset(): void {
    this.pos = 0;
  }
}

/** LSB-first bit writer over 32-bit words. `write(val, n)` requires val < 2^n and n ≤ 32. */
export class BitWriter {
  words: Uint32Array;
  wi = 0;
  bit = 0;

  constructor(capacityWords = 64) {
    this.words = new Uint32Array(Math.max(4, capacityWords));
  }

  private grow(): void {
    const next = new Uint32Array(this.words.length * 2);
    next.set(this.words);
    this.words = next;
  }

  write(val: number, n: number): void {
    if (n === 0) return;
    if (this.wi + 2 >= this.words.length) this.grow();
    const w = this.words;
    const bit = this.bit;
    w[this.wi] |= val << bit;
    const used = bit + n;
    if (used >= 32) {
      this.wi++;
      this.bit = used - 32;
      if (this.bit > 0) w[this.wi] = val >>> (n - this.bit);
    } else {
      this.bit = used;
    }
  }

  /** Writes an unsigned integer < 2^53 in `n` bits (n ≤ 53). */
  writeWide(val: number, n: number): void {
    if (n <= 32) {
      this.write(val >>> 0, n);
    } else {
      this.write((val % TWO_32) >>> 0, 32);
      this.write(Math.floor(val / TWO_32), n - 32);
    }
  }

  /** Number of words holding data. */
  get wordCount(): number {
    return this.wi + (this.bit > 0 ? 1 : 0);
  }
}

/** Mirror of BitWriter. Reading past the end yields zero bits (callers bound by counts). */
export class BitReader {
  wi: number;
  bit = 0;

  constructor(
    readonly words: Uint32Array,
    startWord = 0
  ) {
    this.wi = startWord;
  }

  read(n: number): number {
    if (n === 0) return 0;
    const w = this.words;
    const bit = this.bit;
    let x = w[this.wi] >>> bit;
    const used = bit + n;
    if (used > 32) x |= w[this.wi + 1] << (32 - bit);
    if (used >= 32) {
      this.wi++;
      this.bit = used - 32;
    } else {
      this.bit = used;
    }
    return n === 32 ? x >>> 0 : (x & ((1 << n) - 1)) >>> 0;
  }

  readWide(n: number): number {
    if (n <= 32) return this.read(n);
    const lo = this.read(32);
    return this.read(n - 32) * TWO_32 + lo;
  }
}

/**
 * Bits needed for a non-negative integer < 2^53 (0 → 0). O(1).
 *
 * @example
 * bitWidth(255); // 8
 */
export function bitWidth(x: number): number {
  if (x < TWO_32) return 32 - Math.clz32(x);
  return 64 - Math.clz32(Math.floor(x / TWO_32));
}

/**
 * Zigzag for integers with |r| < 2^52, in float arithmetic so it is exact past 32 bits. O(1).
 *
 * @example
 * zigzag(-1); // 1
 * zigzag(1); // 2
 */
export function zigzag(r: number): number {
  return r >= 0 ? 2 * r : -2 * r - 1;
}

/**
 * Inverse of zigzag. O(1).
 *
 * @example
 * unzigzag(3); // -2
 */
export function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/** At most this many values per block are patched exceptions (PFOR); more → wider block. */
export const MaxBlockExceptions = 8;
const MAX_EXC = MaxBlockExceptions;
const EXC_FLAG = 0x80;
const histogram = new Int32Array(64);

/** Cost in bits of patching the values wider than w: position byte + varint of the high part. */
function exceptionBits(w: number, maxW: number): number {
  let bits = 8;
  for (let b = w + 1; b <= maxW; b++) {
    if (histogram[b] > 0) bits += histogram[b] * (8 + 8 * Math.ceil((b - w) / 7));
  }
  return bits;
}

/** Bins of a block's width histogram in BlockStats: widths 0 to 32. */
export const HistogramBins = 33;

/**
 * What packResiduals needs to know of each PackBlockSize block before it packs: block b's
 * largest value at max[b], and how many of its values have each bit width at
 * hist[b·HistogramBins + width] (widths past 32 may land anywhere: such a block is never
 * patched, so its histogram is not read). A caller that zigzags residuals fills these in
 * the same pass; otherwise packResiduals finds them itself.
 */
export interface BlockStats {
  max: Float64Array;
  hist: Int32Array;
}

/** Block widths of the residuals being packed (grown, never shrunk: packResiduals runs per column). */
let widthScratch = new Uint8Array(64);
let maxScratch = new Float64Array(64);

/** Largest value of each PackBlockSize block of `zz[0..count)` into `out`. */
function blockMaxima(zz: Float64Array, count: number, out: Float64Array): void {
  for (let b = 0, lo = 0; lo < count; b++, lo += BLOCK) {
    const hi = Math.min(count, lo + BLOCK);
    let max = 0;
    for (let i = lo; i < hi; i++) if (zz[i] > max) max = zz[i];
    out[b] = max;
  }
}

/**
 * The width byte of block `b` (w | 0x80 when patched): the width that minimises the block's
 * size, patching up to MaxBlockExceptions values wider than it.
 */
function chooseBlockWidth(options: {
  zz: Float64Array;
  count: number;
  b: number;
  max: number;
  hist?: Int32Array;
}): number {
  const { zz, count, b, hist } = options;
  const maxW = bitWidth(options.max);
  // Too narrow for patching to pay, or too wide for the 32-bit packer's patches.
  if (maxW <= 2 || maxW > 32) return maxW;
  const lo = b * BLOCK;
  const hi = Math.min(count, lo + BLOCK);
  const len = hi - lo;
  if (hist) {
    const at = b * HistogramBins;
    for (let w = 0; w <= maxW; w++) histogram[w] = hist[at + w];
  } else {
    histogram.fill(0, 0, maxW + 1);
    for (let i = lo; i < hi; i++) histogram[32 - Math.clz32(zz[i])]++;
  }
  let bestW = maxW;
  let bestCost = maxW * len;
  let exc = 0;
  for (let w = maxW - 1; w >= 0; w--) {
    exc += histogram[w + 1];
    if (exc > MAX_EXC) break;
    const cost = w * len + exceptionBits(w, maxW);
    if (cost < bestCost) {
      bestCost = cost;
      bestW = w;
    }
  }
  return bestW | (bestW < maxW ? EXC_FLAG : 0);
}

/**
 * Packs `count` zigzagged residuals `zz[0..count)` in blocks of PackBlockSize with patched
 * frame-of-reference (PFOR, Zukowski et al. 2006): each block is packed at the width w
 * that minimises its size, and up to MaxBlockExceptions values wider than w (a jittered
 * timestamp, a CPU spike) are patched: their low w bits stay in the stream, position and
 * high bits go to an exception list.
 *
 * Layout: one byte per block (w | 0x80 when patched); the exception lists of patched
 * blocks (count byte, position bytes, varint high parts); align 4; u32 word count; the
 * words. The bit writer is inlined (locals, no method calls) and writes straight into the
 * sink's buffer: this loop dominates encode. `stats`, when given, describe the blocks
 * (see BlockStats) so that no pass over `zz` is spent on them. count = 0 writes an empty
 * section. O(count).
 *
 * @example
 * packResiduals(sink, Float64Array.from([0, 2, 1].map(zigzag)));
 */
export function packResiduals(sink: ByteSink, zz: Float64Array, stats?: BlockStats): void {
  const count = zz.length;
  const blocks = Math.ceil(count / BLOCK);
  if (widthScratch.length < blocks) {
    widthScratch = new Uint8Array(blocks * 2);
    maxScratch = new Float64Array(blocks * 2);
  }
  const widths = widthScratch;
  let maxima = stats?.max;
  if (!maxima) {
    maxima = maxScratch;
    blockMaxima(zz, count, maxima);
  }
  const hist = stats?.hist;
  let totalBits = 0;
  let patchedBlocks = 0;
  for (let b = 0; b < blocks; b++) {
    const max = maxima[b];
    // Width 0 (a run of equal steps: regular timestamps) needs no histogram.
    const wb = max === 0 ? 0 : chooseBlockWidth({ zz, count, b, max, hist });
    widths[b] = wb;
    if (wb & EXC_FLAG) patchedBlocks++;
    totalBits += (wb & ~EXC_FLAG) * (Math.min(count, (b + 1) * BLOCK) - b * BLOCK);
  }
  sink.ensure(blocks);
  sink.bytes.set(widths.subarray(0, blocks), sink.pos);
  sink.pos += blocks;
  for (let b = 0; patchedBlocks > 0 && b < blocks; b++) {
    if (!(widths[b] & EXC_FLAG)) continue;
    patchedBlocks--;
    const w = widths[b] & ~EXC_FLAG;
    const lo = b * BLOCK;
    const hi = Math.min(count, lo + BLOCK);
    const pow = 2 ** w;
    const countAt = sink.pos;
    sink.writeU8(0);
    let n = 0;
    for (let i = lo; i < hi; i++) {
      if (zz[i] >= pow) {
        sink.writeU8(i - lo);
        n++;
      }
    }
    sink.bytes[countAt] = n;
    for (let i = lo; i < hi; i++) if (zz[i] >= pow) writeVarint(sink, Math.floor(zz[i] / pow));
  }
  sink.align4();
  const nWords = Math.ceil(totalBits / 32);
  // The word count, then the words, packed in place: no array of their own to copy.
  sink.ensure(4 + 4 * (nWords + 1));
  const countAt = sink.pos;
  const words = nWords > 0 ? new Uint32Array(sink.bytes.buffer, countAt + 4, nWords + 1) : null;
  let wi = 0;
  let bit = 0;
  let acc = 0;
  for (let b = 0; words && b < blocks; b++) {
    const patched = (widths[b] & EXC_FLAG) !== 0;
    const w = widths[b] & ~EXC_FLAG;
    if (w === 0) continue;
    const lo = b * BLOCK;
    const hi = Math.min(count, lo + BLOCK);
    if (w <= 32) {
      // Patched blocks have maxW ≤ 32, so every value fits 32 bits before masking; an
      // unpatched block's values all fit w bits.
      const mask = patched ? (w === 32 ? -1 : (1 << w) - 1) : -1;
      for (let i = lo; i < hi; i++) {
        // | 0 keeps the same low 32 bits as >>> 0 and converts faster.
        const val = (zz[i] | 0) & mask;
        acc |= val << bit;
        bit += w;
        if (bit >= 32) {
          words[wi++] = acc;
          bit -= 32;
          acc = bit > 0 ? val >>> (w - bit) : 0;
        }
      }
    } else {
      const wh = w - 32;
      for (let i = lo; i < hi; i++) {
        const z = zz[i];
        const vlo = (z % TWO_32) >>> 0;
        const vhi = Math.floor(z / TWO_32);
        // Low 32 bits: a full word's worth.
        acc |= vlo << bit;
        words[wi++] = acc;
        acc = bit > 0 ? vlo >>> (32 - bit) : 0;
        // High bits.
        acc |= vhi << bit;
        bit += wh;
        if (bit >= 32) {
          words[wi++] = acc;
          bit -= 32;
          acc = bit > 0 ? vhi >>> (wh - bit) : 0;
        }
      }
    }
  }
  if (words && bit > 0) words[wi++] = acc;
  sink.view.setUint32(countAt, wi, true);
  sink.pos = countAt + 4 + 4 * wi;
}

/**
 * Inverse of packResiduals: fills `residuals` (its length is the count, already
 * un-zigzagged) from the section at `c.pos`, and advances `c.pos` past it. O(count).
 *
 * @example
 * unpackResiduals({ bytes, pos: 0 }, new Float64Array(3));
 */
export function unpackResiduals(c: ByteCursor, residuals: Float64Array): void {
  const { bytes } = c;
  let pos = c.pos;
  const count = residuals.length;
  const blocks = Math.ceil(count / BLOCK);
  const widths = bytes.subarray(pos, pos + blocks);
  pos += blocks;
  const exceptionsAt = pos;
  let patchedBlocks = 0;
  for (let b = 0; b < blocks; b++) {
    if (!(widths[b] & EXC_FLAG)) continue;
    patchedBlocks++;
    const n = bytes[pos];
    pos += 1 + n;
    for (let k = 0; k < n; k++) while (bytes[pos++] & 0x80);
  }
  pos = (pos + 3) & ~3;
  const nWords = new DataView(bytes.buffer, bytes.byteOffset).getUint32(pos, true);
  pos += 4;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset + pos, nWords);
  let wi = 0;
  let bit = 0;
  for (let b = 0; b < blocks; b++) {
    const w = widths[b] & ~EXC_FLAG;
    const lo = b * BLOCK;
    const hi = Math.min(count, lo + BLOCK);
    if (w === 0) {
      residuals.fill(0, lo, hi);
    } else if (w <= 31) {
      const mask = (1 << w) - 1;
      for (let i = lo; i < hi; i++) {
        let x = words[wi] >>> bit;
        const used = bit + w;
        if (used > 32) x |= words[wi + 1] << (32 - bit);
        if (used >= 32) {
          wi++;
          bit = used - 32;
        } else {
          bit = used;
        }
        x &= mask;
        // Zigzag on 32-bit ints: the common, fast case.
        residuals[i] = (x >>> 1) ^ -(x & 1);
      }
    } else {
      const br = new BitReader(words, wi);
      br.bit = bit;
      for (let i = lo; i < hi; i++) residuals[i] = unzigzag(br.readWide(w));
      wi = br.wi;
      bit = br.bit;
    }
  }
  if (patchedBlocks > 0) {
    const e: ByteCursor = { bytes, pos: exceptionsAt };
    for (let b = 0; b < blocks; b++) {
      if (!(widths[b] & EXC_FLAG)) continue;
      const pow = 2 ** (widths[b] & ~EXC_FLAG);
      const lo = b * BLOCK;
      const n = bytes[e.pos++];
      const posAt = e.pos;
      e.pos += n;
      for (let k = 0; k < n; k++) {
        const i = lo + bytes[posAt + k];
        const r = residuals[i];
        const low = r >= 0 ? 2 * r : -2 * r - 1;
        residuals[i] = unzigzag(low + readVarint(e) * pow);
      }
    }
  }
  c.pos = pos + nWords * 4;
}

const ctz32 = (x: number): number => 31 - Math.clz32(x & -x);

/**
 * Gorilla XOR coding (Pelkonen et al., VLDB 2015, §4.1.2) of raw IEEE-754 doubles given as
 * little-endian word pairs: bit-exact for every value including NaN payloads and -0.
 * Leading zeros are capped at 31 (5 bits), meaningful length stored as len-1 in 6 bits.
 * n = 0 writes nothing. O(n).
 *
 * @example
 * writeXor(bw, new Uint32Array(doubles.buffer));
 */
export function writeXor(bw: BitWriter, words: Uint32Array): void {
  const n = words.length >> 1;
  if (n === 0) return;
  let pl = words[0];
  let ph = words[1];
  bw.write(pl, 32);
  bw.write(ph, 32);
  let prevLead = -1;
  let prevTrail = 0;
  for (let i = 1; i < n; i++) {
    const lo = words[2 * i];
    const hi = words[2 * i + 1];
    const xl = (lo ^ pl) >>> 0;
    const xh = (hi ^ ph) >>> 0;
    pl = lo;
    ph = hi;
    if (xl === 0 && xh === 0) {
      bw.write(0, 1);
      continue;
    }
    let lead = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
    if (lead > 31) lead = 31;
    const trail = xl !== 0 ? ctz32(xl) : 32 + ctz32(xh);
    let shift: number;
    let len: number;
    if (prevLead >= 0 && lead >= prevLead && trail >= prevTrail) {
      bw.write(1, 2); // bits '1','0'
      shift = prevTrail;
      len = 64 - prevLead - prevTrail;
    } else {
      bw.write(3, 2); // bits '1','1'
      len = 64 - lead - trail;
      bw.write(lead, 5);
      bw.write(len - 1, 6);
      prevLead = lead;
      prevTrail = trail;
      shift = trail;
    }
    let slo: number;
    let shi: number;
    if (shift === 0) {
      slo = xl;
      shi = xh;
    } else if (shift >= 32) {
      slo = xh >>> (shift - 32);
      shi = 0;
    } else {
      slo = ((xl >>> shift) | (xh << (32 - shift))) >>> 0;
      shi = xh >>> shift;
    }
    if (len <= 32) {
      bw.write(slo, len);
    } else {
      bw.write(slo, 32);
      bw.write(shi, len - 32);
    }
  }
}

/**
 * Inverse of writeXor into the word view of the output doubles. n = 0 reads nothing. O(n).
 *
 * @example
 * readXor(new BitReader(words), new Uint32Array(out.buffer));
 */
export function readXor(br: BitReader, out: Uint32Array): void {
  const n = out.length >> 1;
  if (n === 0) return;
  let pl = br.read(32);
  let ph = br.read(32);
  out[0] = pl;
  out[1] = ph;
  let lead = 0;
  let trail = 0;
  for (let i = 1; i < n; i++) {
    if (br.read(1) === 1) {
      if (br.read(1) === 1) {
        lead = br.read(5);
        const len = br.read(6) + 1;
        trail = 64 - lead - len;
      }
      const len = 64 - lead - trail;
      let slo: number;
      let shi = 0;
      if (len <= 32) {
        slo = br.read(len);
      } else {
        slo = br.read(32);
        shi = br.read(len - 32);
      }
      let xl: number;
      let xh: number;
      if (trail === 0) {
        xl = slo;
        xh = shi;
      } else if (trail >= 32) {
        xl = 0;
        xh = slo << (trail - 32);
      } else {
        xl = slo << trail;
        xh = (shi << trail) | (slo >>> (32 - trail));
      }
      pl = (pl ^ xl) >>> 0;
      ph = (ph ^ xh) >>> 0;
    }
    out[2 * i] = pl;
    out[2 * i + 1] = ph;
  }
}

/**
 * Appends an unsigned LEB128 varint (integers 0 ≤ x < 2^53). O(bytes written).
 *
 * @example
 * writeVarint(sink, 300); // bytes 0xac 0x02
 */
export function writeVarint(sink: ByteSink, x: number): void {
  sink.ensure(8);
  const b = sink.bytes;
  while (x >= 0x80) {
    b[sink.pos++] = (x % 0x80) | 0x80;
    x = Math.floor(x / 0x80);
  }
  b[sink.pos++] = x;
}

/** Cursor for reading varints: `pos` advances past what was read. */
export interface ByteCursor {
  bytes: Uint8Array;
  pos: number;
}

/**
 * Reads an unsigned LEB128 varint at c.pos and advances it; RangeError when truncated.
 *
 * @example
 * readVarint({ bytes: new Uint8Array([0xac, 0x02]), pos: 0 }); // 300
 */
export function readVarint(c: ByteCursor): number {
  let x = 0;
  let mul = 1;
  for (;;) {
    if (c.pos >= c.bytes.length) throw new RangeError('readVarint: truncated input');
    const byte = c.bytes[c.pos++];
    x += (byte & 0x7f) * mul;
    if (byte < 0x80) return x;
    mul *= 0x80;
  }
}
