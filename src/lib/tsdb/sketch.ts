/**
 * DDSketch-style mergeable quantile sketch (Masson, Rim & Lee, VLDB 2019) with relative
 * accuracy α = 1%: a value x > 0 falls in bin i = ceil(log_γ x) with γ = (1+α)/(1-α), and
 * bin i reports 2γ^i/(γ+1), which is within α of every value in (γ^(i-1), γ^i].
 * Negative values go to a mirrored store by magnitude; exact zeros (and -0) to a counter.
 *
 * Quantile definition (rank-based, "lower" quantile): for n values sorted ascending as
 * x_0 ≤ … ≤ x_{n-1}, quantile(q) estimates x_j with j = floor(q·(n-1)). The estimate y
 * satisfies |y - x_j| ≤ α·|x_j| as long as no bins were collapsed.
 *
 * Size bound: each store keeps at most `SketchDefaults.maxBins` contiguous bins. When the
 * span of indices would exceed it, the bins of smallest magnitude are collapsed into the
 * lowest kept bin (DDSketch's CollapsingLowestDenseStore). With α = 1% and 2048 bins a
 * store spans a ratio of ~6·10^17 before that happens, so only values many orders of
 * magnitude below the largest ones (those closest to zero) lose accuracy.
 * ±Infinity and NaN are ignored (not counted): the rollup keeps them in min/max/sum.
 */
import { ByteSink, readVarint, writeVarint, type ByteCursor } from './codec/bits';

export const SketchDefaults = {
  relativeAccuracy: 0.01,
  maxBins: 2048,
  /** Extra bins allocated when a store grows, to amortise reallocation. */
  growSlack: 16
} as const;

/** Version nibble of the serialised form; bumps if α or the layout change. */
const SketchFormatVersion = 1;

const GAMMA = (1 + SketchDefaults.relativeAccuracy) / (1 - SketchDefaults.relativeAccuracy);
const INV_LOG_GAMMA = 1 / Math.log(GAMMA);

function indexOf(magnitude: number): number {
  // `| 0` turns the -0 that ceil gives for magnitudes just below 1 into 0: a -0 would
  // change the index fields from small ints to doubles and deoptimise every sketch.
  // Indices stay within ±38,000 for all finite doubles, so int32 is exact.
  return Math.ceil(Math.log(magnitude) * INV_LOG_GAMMA) | 0;
}

function valueOf(index: number): number {
  return (2 * Math.exp(index / INV_LOG_GAMMA)) / (GAMMA + 1);
}

const NoCounts = new Float64Array(0);

/**
 * Dense run of bin counts covering indices [offset, offset + counts.length).
 * While every value fell in one bin (the common 1 s bucket) no array is allocated:
 * `counts` is NoCounts and bin `lo` holds `total`.
 */
class BinStore {
  counts: Float64Array = NoCounts;
  offset = 0;
  total = 0;
  /** Lowest and highest non-empty index; meaningless when total = 0. */
  lo = 0;
  hi = 0;

  countAt(i: number): number {
    if (this.counts === NoCounts) return i === this.lo ? this.total : 0;
    return this.counts[i - this.offset];
  }

  add(index: number, count: number): void {
    if (this.counts === NoCounts) {
      if (this.total === 0) {
        this.lo = this.hi = index;
        this.total = count;
        return;
      }
      if (index === this.lo) {
        this.total += count;
        return;
      }
      this.counts = new Float64Array(8);
      this.offset = this.lo - 4;
      this.counts[4] = this.total;
    }
    if (this.total === 0) {
      this.lo = this.hi = index;
      if (this.counts.length === 0) this.counts = new Float64Array(4);
      this.offset = index - (this.counts.length >> 1);
    } else if (index < this.lo || index > this.hi) {
      const lo = Math.min(this.lo, index);
      const hi = Math.max(this.hi, index);
      if (hi - lo + 1 > SketchDefaults.maxBins) {
        index = this.collapse(hi, index);
      } else {
        this.lo = lo;
        this.hi = hi;
      }
      this.ensureRange(this.lo, this.hi);
    }
    this.counts[index - this.offset] += count;
    this.total += count;
  }

  /** Keeps [hi - maxBins + 1, hi]; folds everything below into the lowest kept bin. */
  private collapse(hi: number, index: number): number {
    const floor = hi - SketchDefaults.maxBins + 1;
    this.ensureRange(Math.min(this.lo, floor), hi);
    if (this.lo < floor) {
      let folded = 0;
      for (let i = this.lo; i < Math.min(floor, this.hi + 1); i++) {
        folded += this.counts[i - this.offset];
        this.counts[i - this.offset] = 0;
      }
      this.counts[floor - this.offset] += folded;
    }
    this.lo = floor;
    this.hi = hi;
    if (this.counts.length > 2 * SketchDefaults.maxBins) {
      // Drop the folded-away prefix so memory stays bounded by the bin limit.
      this.counts = this.counts.slice(floor - this.offset);
      this.offset = floor;
    }
    return Math.max(index, floor);
  }

  private ensureRange(lo: number, hi: number): void {
    const end = this.offset + this.counts.length;
    if (lo >= this.offset && hi < end) return;
    const slack = SketchDefaults.growSlack;
    const newLo = Math.min(lo, this.offset) - (lo < this.offset ? slack : 0);
    const newHi = Math.max(hi, end - 1) + (hi >= end ? slack : 0);
    const next = new Float64Array(newHi - newLo + 1);
    next.set(this.counts, this.offset - newLo);
    this.counts = next;
    this.offset = newLo;
  }

  mergeFrom(other: BinStore): void {
    if (other.total === 0) return;
    for (let i = other.lo; i <= other.hi; i++) {
      const c = other.countAt(i);
      if (c !== 0) this.add(i, c);
    }
  }

  copy(): BinStore {
    const s = new BinStore();
    s.counts = this.counts === NoCounts ? NoCounts : this.counts.slice();
    s.offset = this.offset;
    s.total = this.total;
    s.lo = this.lo;
    s.hi = this.hi;
    return s;
  }
}

/** Shared read-only placeholder; replaced by a real store on first add or merge. */
const EmptyStore = new BinStore();

export class QuantileSketch {
  // Stores are allocated lazily: most 1 s buckets hold one value of one sign.
  private pos: BinStore = EmptyStore;
  private neg: BinStore = EmptyStore;
  private zeros = 0;
  /**
   * While all positive values share one bin and no store exists, that bin is kept here:
   * a 1 s bucket's sketch is then a single small object (rollups create one per bucket).
   */
  private soloIndex = 0;
  private soloCount = 0;
  /** Memo of the last value's bin: steady gauges skip the logarithm. */
  private lastValue = NaN;
  private lastIndex = 0;
  /**
   * A sketch read from a stored block keeps its serialized bytes until something needs
   * its bins: a percentile query reads 1,440 sketches per day of minutes and asks each for
   * one quantile, which quantileOfEncoded answers from the bytes without allocating.
   */
  private encoded: Uint8Array | null = null;

  /** Turns the serialized form into bins (before anything reads or changes them). */
  private unpack(): void {
    const bytes = this.encoded;
    if (bytes === null) return;
    this.encoded = null;
    const c: ByteCursor = { bytes, pos: 1 };
    const head = bytes[0];
    if (head & 1) this.zeros = readVarint(c);
    if (head & 2) readStore(c, (this.pos = new BinStore()));
    if (head & 4) readStore(c, (this.neg = new BinStore()));
  }

  /** Number of values counted (NaN and ±Infinity excluded). */
  get count(): number {
    this.unpack();
    return this.pos.total + this.soloCount + this.neg.total + this.zeros;
  }

  /** Moves the solo bin into a real positive store. */
  private materialise(): void {
    this.pos = new BinStore();
    if (this.soloCount > 0) this.pos.add(this.soloIndex, this.soloCount);
    this.soloCount = 0;
  }

  private addPositive(index: number, count: number): void {
    if (this.pos === EmptyStore) {
      if (this.soloCount === 0 || index === this.soloIndex) {
        this.soloIndex = index;
        this.soloCount += count;
        return;
      }
      this.materialise();
    }
    this.pos.add(index, count);
  }

  /** Bins spanned by the positive and negative stores (each ≤ SketchDefaults.maxBins). */
  get binSpan(): { positive: number; negative: number } {
    this.unpack();
    const span = (b: BinStore) => (b.total > 0 ? b.hi - b.lo + 1 : 0);
    return { positive: this.soloCount > 0 ? 1 : span(this.pos), negative: span(this.neg) };
  }

  /** Adds one value in O(1) amortised; NaN and ±Infinity are ignored. */
  add(x: number): void {
    if (this.encoded !== null) this.unpack();
    if (x > 0) {
      if (x === Infinity) return;
      if (x !== this.lastValue) {
        this.lastValue = x;
        this.lastIndex = indexOf(x);
      }
      this.addPositive(this.lastIndex, 1);
    } else if (x < 0) {
      if (x === -Infinity) return;
      if (this.neg === EmptyStore) this.neg = new BinStore();
      this.neg.add(indexOf(-x), 1);
    } else if (x === 0) {
      this.zeros++;
    }
  }

  /** Adds all counts of `other` into this sketch (other unchanged). O(bins of other). */
  merge(other: QuantileSketch): void {
    this.unpack();
    other.unpack();
    if (other.soloCount > 0) this.addPositive(other.soloIndex, other.soloCount);
    if (other.pos.total > 0) {
      if (this.pos === EmptyStore) this.materialise();
      this.pos.mergeFrom(other.pos);
    }
    if (other.neg.total > 0) {
      if (this.neg === EmptyStore) this.neg = new BinStore();
      this.neg.mergeFrom(other.neg);
    }
    this.zeros += other.zeros;
  }

  clone(): QuantileSketch {
    const s = new QuantileSketch();
    if (this.encoded !== null) {
      // The bytes are never written to: the clone may share them.
      s.encoded = this.encoded;
      return s;
    }
    s.pos = this.pos === EmptyStore ? EmptyStore : this.pos.copy();
    s.neg = this.neg === EmptyStore ? EmptyStore : this.neg.copy();
    s.zeros = this.zeros;
    s.soloIndex = this.soloIndex;
    s.soloCount = this.soloCount;
    return s;
  }

  /**
   * Estimate of the lower q-quantile x_{floor(q·(n-1))} (see module doc), within 1% relative
   * error. NaN when empty or q outside [0, 1]. O(bins).
   */
  quantile(q: number): number {
    if (this.encoded !== null) return quantileOfEncoded(this.encoded, q);
    const n = this.count;
    if (n === 0 || !(q >= 0 && q <= 1)) return NaN;
    const rank = q * (n - 1);
    let cum = 0;
    const neg = this.neg;
    if (neg.total > 0) {
      for (let i = neg.hi; i >= neg.lo; i--) {
        cum += neg.countAt(i);
        if (cum > rank) return -valueOf(i);
      }
    }
    cum += this.zeros;
    if (cum > rank) return 0;
    if (this.soloCount > 0) return valueOf(this.soloIndex);
    const pos = this.pos;
    for (let i = pos.lo; i <= pos.hi; i++) {
      cum += pos.countAt(i);
      if (cum > rank) return valueOf(i);
    }
    return valueOf(pos.hi);
  }

  /** Appends the compact binary form to `sink` (see serialize). */
  writeTo(sink: ByteSink): void {
    if (this.encoded !== null) {
      sink.ensure(this.encoded.length);
      sink.bytes.set(this.encoded, sink.pos);
      sink.pos += this.encoded.length;
      return;
    }
    const hasPos = this.pos.total > 0 || this.soloCount > 0;
    const flags = (this.zeros > 0 ? 1 : 0) | (hasPos ? 2 : 0) | (this.neg.total > 0 ? 4 : 0);
    sink.writeU8((SketchFormatVersion << 4) | flags);
    if (this.zeros > 0) writeVarint(sink, this.zeros);
    if (this.soloCount > 0) {
      // Same layout as a one-bin store.
      writeVarint(sink, 1);
      writeVarint(sink, this.soloIndex >= 0 ? 2 * this.soloIndex : -2 * this.soloIndex - 1);
      writeVarint(sink, this.soloCount);
    } else if (this.pos.total > 0) {
      writeStore(sink, this.pos);
    }
    if (this.neg.total > 0) writeStore(sink, this.neg);
  }

  /**
   * Compact binary form: a flag byte, then varints (zero count; per store the bin span,
   * zigzagged first index and each count). An empty sketch is 1 byte; one value ~5 bytes.
   */
  serialize(): Uint8Array {
    const sink = new ByteSink(16);
    this.writeTo(sink);
    return sink.finish();
  }

  /** Reads a sketch at `c.pos`, advancing it. Throws RangeError on a bad version. */
  static readFrom(c: ByteCursor): QuantileSketch {
    const start = c.pos;
    const head = c.bytes[c.pos++];
    if (head >> 4 !== SketchFormatVersion) {
      throw new RangeError(`QuantileSketch: unknown format version ${head >> 4}`);
    }
    // Only walked over here (RangeError when truncated); the bins are read on first use.
    if (head & 1) readVarint(c);
    if (head & 2) skipStore(c);
    if (head & 4) skipStore(c);
    const s = new QuantileSketch();
    s.encoded = c.bytes.subarray(start, c.pos);
    return s;
  }

  static deserialize(bytes: Uint8Array): QuantileSketch {
    return QuantileSketch.readFrom({ bytes, pos: 0 });
  }
}

function writeStore(sink: ByteSink, store: BinStore): void {
  const span = store.hi - store.lo + 1;
  writeVarint(sink, span);
  writeVarint(sink, store.lo >= 0 ? 2 * store.lo : -2 * store.lo - 1);
  for (let i = store.lo; i <= store.hi; i++) writeVarint(sink, store.countAt(i));
}

function skipStore(c: ByteCursor): void {
  const span = readVarint(c);
  readVarint(c);
  const { bytes } = c;
  for (let k = 0; k < span; k++) {
    while (c.pos < bytes.length && bytes[c.pos] >= 0x80) c.pos++;
    if (c.pos++ >= bytes.length) throw new RangeError('QuantileSketch: truncated input');
  }
}

/** Sum of a serialized store's counts; leaves the cursor after it. */
function sumStore(c: ByteCursor): number {
  const span = readVarint(c);
  readVarint(c);
  let total = 0;
  for (let k = 0; k < span; k++) total += readVarint(c);
  return total;
}

function readLowIndex(c: ByteCursor): number {
  const z = readVarint(c);
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/**
 * QuantileSketch.quantile straight from the serialized form (see writeTo): the same walk
 * over the same bins, without building the stores. Negative bins are stored ascending by
 * magnitude, so the descending walk becomes "the largest bin whose suffix exceeds rank".
 */
function quantileOfEncoded(bytes: Uint8Array, q: number): number {
  const head = bytes[0];
  const c: ByteCursor = { bytes, pos: 1 };
  const zeros = head & 1 ? readVarint(c) : 0;
  const posAt = c.pos;
  const posTotal = head & 2 ? sumStore(c) : 0;
  const negAt = c.pos;
  const negTotal = head & 4 ? sumStore(c) : 0;
  const n = posTotal + negTotal + zeros;
  if (n === 0 || !(q >= 0 && q <= 1)) return NaN;
  const rank = q * (n - 1);
  if (negTotal > rank) {
    c.pos = negAt;
    const span = readVarint(c);
    const lo = readLowIndex(c);
    let suffix = negTotal;
    let found = lo;
    for (let k = 0; k < span && suffix > rank; k++) {
      found = lo + k;
      suffix -= readVarint(c);
    }
    return -valueOf(found);
  }
  let cum = negTotal + zeros;
  if (cum > rank) return 0;
  c.pos = posAt;
  const span = readVarint(c);
  const lo = readLowIndex(c);
  for (let k = 0; k < span; k++) {
    cum += readVarint(c);
    if (cum > rank) return valueOf(lo + k);
  }
  return valueOf(lo + span - 1);
}

function readStore(c: ByteCursor, store: BinStore): void {
  const span = readVarint(c);
  const z = readVarint(c);
  const lo = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  if (span === 1) {
    const count = readVarint(c);
    if (count > 0) store.add(lo, count);
    return;
  }
  // Fill the dense run in one allocation: adding bin by bin regrew the array many times and
  // made sketch decoding the largest cost of a percentile query.
  const counts = new Float64Array(span);
  let total = 0;
  let first = -1;
  let last = -1;
  for (let k = 0; k < span; k++) {
    const count = readVarint(c);
    if (count > 0) {
      counts[k] = count;
      total += count;
      if (first < 0) first = k;
      last = k;
    }
  }
  if (total === 0) return;
  if (first === last) {
    store.add(lo + first, total);
    return;
  }
  store.counts = counts;
  store.offset = lo;
  store.total = total;
  store.lo = lo + first;
  store.hi = lo + last;
}

/**
 * Builds a sketch from values (NaN/±Infinity skipped).
 * Empty input → empty sketch (quantile returns NaN). O(n).
 *
 * @example
 * createSketch([1, 2, 3, 4]).quantile(0.5); // ≈ 2 (within 1%)
 */
export function createSketch(values: ArrayLike<number> = []): QuantileSketch {
  const s = new QuantileSketch();
  for (let i = 0; i < values.length; i++) s.add(values[i]);
  return s;
}
