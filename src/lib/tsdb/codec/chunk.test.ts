import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bitWidth,
  BitReader,
  BitWriter,
  ByteSink,
  HistogramBins,
  packResiduals,
  unpackResiduals,
  unzigzag,
  zigzag
} from './bits';
import {
  ChunkFormatVersion,
  decodeChunk,
  encodeChunk,
  encodeColumn,
  readChunkHeader
} from './chunk';

function bitsOf(x: Float64Array): Uint32Array {
  return new Uint32Array(x.buffer, x.byteOffset, x.length * 2);
}

function expectBitExact(actual: Float64Array, expected: Float64Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Array.from(bitsOf(actual))).toEqual(Array.from(bitsOf(expected)));
}

function roundTrip(t: Float64Array, v: Float64Array): number {
  const bytes = encodeChunk(t, v);
  const out = decodeChunk(bytes);
  expectBitExact(out.t, t);
  expectBitExact(out.v, v);
  return bytes.length;
}

function fromBits(lo: number, hi: number): number {
  const w = new Uint32Array([lo, hi]);
  return new Float64Array(w.buffer)[0];
}

/** Deterministic PRNG (mulberry32) so fixtures are stable without a clock or Math.random. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

const T0 = 1_763_900_000_000;
const N = 4096;

function regularTimes(n = N, stepMs = 1000): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => T0 + i * stepMs);
}

function realistic(name: string): Float64Array {
  const r = rng(name.length * 7919 + name.charCodeAt(0));
  const v = new Float64Array(N);
  let x = 0;
  for (let i = 0; i < N; i++) {
    switch (name) {
      case 'cpu % (2 decimals)':
        x = 35 + 15 * Math.sin(i / 300) + 6 * (r() - 0.5);
        v[i] = Math.round(x * 100) / 100;
        break;
      case 'cpu % (1 decimal)':
        x = 12 + 4 * Math.sin(i / 600) + 2 * (r() - 0.5);
        v[i] = Math.round(x * 10) / 10;
        break;
      case 'memory bytes':
        x = i === 0 ? 8_123_456_512 : x + Math.round((r() - 0.5) * 64) * 4096;
        v[i] = x;
        break;
      case 'temperature °C':
        x = 55 + 5 * Math.sin(i / 900) + (r() - 0.5);
        v[i] = Math.round(x * 10) / 10;
        break;
      case 'load average':
        x = i === 0 ? 1.5 : Math.max(0, x + (r() - 0.5) * 0.04);
        v[i] = Math.round(x * 100) / 100;
        break;
      case 'counter':
        x += Math.floor(r() * 2000);
        v[i] = x;
        break;
      default:
        throw new Error(name);
    }
  }
  return v;
}

describe('codec-bits', () => {
  it.each([
    [0, 0],
    [1, 1],
    [255, 8],
    [2 ** 32 - 1, 32],
    [2 ** 32, 33],
    [2 ** 52, 53]
  ])('bitWidth(%d) = %d', (x, w) => {
    expect(bitWidth(x)).toBe(w);
  });

  it.each([0, 1, -1, 2 ** 31, -(2 ** 31) - 5, 2 ** 51 - 1, -(2 ** 51)])(
    'zigzag round-trips %d',
    (r) => {
      expect(unzigzag(zigzag(r))).toBe(r);
    }
  );

  it('BitWriter/BitReader round-trip mixed widths', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 32 }), fc.nat()), { maxLength: 200 }),
        (items) => {
          const bw = new BitWriter(2);
          const vals = items.map(([n, x]) => [n, n === 0 ? 0 : n === 32 ? x >>> 0 : x % 2 ** n]);
          for (const [n, x] of vals) bw.write(x, n);
          const br = new BitReader(bw.words);
          for (const [n, x] of vals) expect(br.read(n)).toBe(x);
        }
      )
    );
  });
});

describe('packResiduals / unpackResiduals (patched frame of reference)', () => {
  function roundTripResiduals(residuals: number[]): number {
    const zz = Float64Array.from(residuals, zigzag);
    const sink = new ByteSink(8);
    packResiduals(sink, zz);
    const bytes = sink.finish();
    const out = new Float64Array(residuals.length);
    const c = { bytes, pos: 0 };
    unpackResiduals(c, out);
    expect(c.pos).toBe(bytes.length);
    expect(Array.from(out)).toEqual(residuals);
    return bytes.length;
  }

  it('patches sparse outliers instead of widening the block', () => {
    const residuals = Array.from({ length: 1024 }, (_, i) => (i % 200 === 7 ? 3 : 0));
    // 6 outliers: ~1 byte per block of widths plus ~2-3 bytes per outlier.
    expect(roundTripResiduals(residuals)).toBeLessThan(40);
  });

  it.each([
    ['zeros', Array.from({ length: 300 }, () => 0)],
    ['small', Array.from({ length: 300 }, (_, i) => (i % 7) - 3)],
    [
      'spikes wider than 32 bits',
      Array.from({ length: 300 }, (_, i) => (i % 50 ? i % 5 : 2 ** 40 + i))
    ],
    ['all wide', Array.from({ length: 200 }, (_, i) => -(2 ** 50) + i * 12345)],
    ['int32 edges', [2 ** 31 - 1, -(2 ** 31), 0, 1, -1, 2 ** 31, -(2 ** 31) - 1]]
  ])('round-trips %s', (_name, residuals) => {
    roundTripResiduals(residuals);
  });

  it('property: any mix of widths round-trips', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            { weight: 8, arbitrary: fc.integer({ min: -4, max: 4 }) },
            { weight: 1, arbitrary: fc.integer() },
            { weight: 1, arbitrary: fc.integer({ min: -(2 ** 51), max: 2 ** 51 }) }
          ),
          { maxLength: 700 }
        ),
        (residuals) => {
          roundTripResiduals(residuals);
        }
      ),
      { numRuns: 300 }
    );
  });
});

describe('encodeChunk / decodeChunk', () => {
  it('empty chunk is a bare header', () => {
    const bytes = encodeChunk(new Float64Array(0), new Float64Array(0));
    expect(bytes.length).toBe(24);
    const h = readChunkHeader(bytes);
    expect(h.n).toBe(0);
    expect(h.t0).toBeNaN();
    expect(decodeChunk(bytes).t.length).toBe(0);
  });

  it.each([
    ['one point', [T0], [42.5]],
    ['two points', [T0, T0 + 1000], [1, 2]],
    ['special values', [1, 2, 3, 4, 5, 6], [NaN, Infinity, -Infinity, -0, 0, 5e-324]],
    ['duplicate times', [10, 10, 10, 20, 20], [1, 1, 2, 3, 3]],
    ['out of order fractional times', [5.25, 1.5, 3.125, 3.125, -7.5], [0.1, 0.2, 0.3, 0.1, 0.7]],
    ['NaN and -0 timestamps', [NaN, -0, 1, NaN], [1, 2, 3, 4]],
    ['huge ints', [2 ** 60, -(2 ** 60), 2 ** 53 + 2], [1e300, -1e-300, Number.MAX_VALUE]]
  ])('round-trips %s bit-exactly', (_name, t, v) => {
    roundTrip(Float64Array.from(t), Float64Array.from(v));
  });

  it('keeps NaN payloads (no canonicalisation)', () => {
    const v = Float64Array.from([
      fromBits(1, 0x7ff00000),
      fromBits(0xdeadbeef, 0xfff80123),
      1.5,
      fromBits(0, 0x7ff80000)
    ]);
    roundTrip(Float64Array.from([1, 2, 3, 4]), v);
  });

  it('header reports n, min/max time and encodings', () => {
    const t = Float64Array.from([30, 10, 20]);
    const h = readChunkHeader(encodeChunk(t, Float64Array.from([1, 2, 3])));
    expect(h).toEqual({
      n: 3,
      t0: 10,
      t1: 30,
      encoding: { version: ChunkFormatVersion, time: 'decimal', value: 'decimal' }
    });
  });

  it('rejects an unknown version and a truncated buffer', () => {
    const bytes = encodeChunk(Float64Array.from([1]), Float64Array.from([1]));
    bytes[0] = 99;
    expect(() => decodeChunk(bytes)).toThrow(RangeError);
    expect(() => readChunkHeader(new Uint8Array(5))).toThrow(RangeError);
  });

  it('property: truncated or corrupted chunks throw or decode, never hang', () => {
    const t = regularTimes(500);
    const v = Float64Array.from(t, (_, i) => (i % 13) / 10);
    const good = encodeChunk(t, v);
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.nat(255), fc.boolean(), (at, byte, truncate) => {
        const bad = truncate ? good.slice(0, at) : good.slice();
        if (!truncate) bad[at] = byte;
        try {
          const out = decodeChunk(bad);
          expect(out.t.length).toBe(out.v.length);
        } catch (e) {
          expect(e).toBeInstanceOf(RangeError);
        }
      }),
      { numRuns: 300 }
    );
  });

  it('decodes from an unaligned view', () => {
    const t = regularTimes(300);
    const v = Float64Array.from(t, (_, i) => i * 0.25);
    const bytes = encodeChunk(t, v);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const out = decodeChunk(shifted.subarray(3));
    expectBitExact(out.t, t);
    expectBitExact(out.v, v);
  });

  it('falls back to XOR for random doubles and still round-trips', () => {
    const r = rng(7);
    const v = Float64Array.from({ length: 1000 }, () => (r() - 0.5) * 1e9);
    const bytes = encodeChunk(regularTimes(1000), v);
    expect(readChunkHeader(bytes).encoding.value).toBe('xor');
    roundTrip(regularTimes(1000), v);
  });

  it('keeps a few exceptions inside the decimal path', () => {
    const v = Float64Array.from({ length: 1000 }, (_, i) => 20 + (i % 7) / 10);
    v[17] = NaN;
    v[500] = Math.PI;
    v[999] = -0;
    const bytes = encodeChunk(regularTimes(1000), v);
    expect(readChunkHeader(bytes).encoding.value).toBe('decimal');
    roundTrip(regularTimes(1000), v);
    // 3 exceptions × 12 bytes plus ~4 bits/point of residuals: far below XOR.
    expect(bytes.length).toBeLessThan(700);
  });

  it.each([
    'cpu % (2 decimals)',
    'cpu % (1 decimal)',
    'memory bytes',
    'temperature °C',
    'load average',
    'counter'
  ])('realistic 1 s gauge "%s" costs ≤ 2 bytes/point', (name) => {
    const bytes = roundTrip(regularTimes(), realistic(name));
    expect(bytes / N).toBeLessThanOrEqual(2);
  });

  it('sparsely jittered timestamps stay cheap (patched, not widened)', () => {
    const t = Float64Array.from(regularTimes(), (x, i) => x + (i % 97 === 0 ? 3 : 0));
    const constant = new Float64Array(N).fill(1);
    const bytes = roundTrip(t, constant);
    expect((bytes * 8) / N).toBeLessThan(1.5);
  });

  it('regular integer-ms timestamps cost well under 1 bit per point', () => {
    const t = regularTimes();
    const constant = new Float64Array(N).fill(1);
    const bytes = roundTrip(t, constant);
    expect((bytes * 8) / N).toBeLessThan(0.35);
  });

  it('property: arbitrary doubles and timestamps round-trip bit-exactly', () => {
    const anyDouble = fc.oneof(
      fc.double(),
      fc.constantFrom(NaN, -0, 0, Infinity, -Infinity, 5e-324, -Number.MAX_VALUE),
      fc.tuple(fc.nat(), fc.nat()).map(([lo, hi]) => fromBits(lo >>> 0, hi >>> 0)),
      fc.integer({ min: -1e6, max: 1e6 }).map((x) => x / 100)
    );
    const timestamp = fc.oneof(
      fc.integer({ min: 0, max: 2 ** 45 }),
      fc.double({ min: -1e15, max: 1e15 }),
      fc.constantFrom(NaN, -0, T0, T0 + 0.5)
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(timestamp, anyDouble), { maxLength: 600 }), (pairs) => {
        roundTrip(
          Float64Array.from(pairs, (p) => p[0]),
          Float64Array.from(pairs, (p) => p[1])
        );
      }),
      { numRuns: 300 }
    );
  });

  it('property: mostly-decimal series with sprinkled exceptions round-trip', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4 }),
        fc.array(fc.integer({ min: -50_000, max: 50_000 }), { minLength: 1, maxLength: 700 }),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(NaN, -0, Infinity, Math.E)), {
          maxLength: 5
        }),
        (k, ints, specials) => {
          const v = Float64Array.from(ints, (m) => m / 10 ** k);
          for (const [i, x] of specials) v[i % v.length] = x;
          const t = Float64Array.from(v, (_, i) => T0 + i * 1000 + (i % 3 === 0 ? 1 : 0));
          roundTrip(t, v);
        }
      ),
      { numRuns: 200 }
    );
  });
});

/** FNV-1a over every chunk's bytes, with their total length: a fingerprint of a corpus's encoding. */
function fingerprint(chunks: Uint8Array[]): string {
  let h = 0x811c9dc5;
  let len = 0;
  for (const c of chunks) {
    for (let i = 0; i < c.length; i++) h = Math.imul(h ^ c[i], 0x01000193) >>> 0;
    len += c.length;
  }
  return `${h.toString(16)}:${len}`;
}

/**
 * Time and value columns of every shape the encoder has a path for (regular, jittered,
 * descending, constant, crossing zero, -0, NaN, fractional, past maxDecimalInt, random;
 * decimals, XOR, exceptions, patched blocks) at sizes around the 128-point block.
 */
function layoutCorpus(): [Float64Array, Float64Array][] {
  const r = rng(42);
  const col = (n: number, f: (i: number) => number) =>
    Float64Array.from({ length: n }, (_, i) => f(i));
  const times: ((n: number) => Float64Array)[] = [
    (n) => col(n, (i) => T0 + i),
    (n) => col(n, (i) => T0 + i * 1000),
    (n) => col(n, (i) => T0 - i * 7),
    (n) => col(n, () => T0),
    (n) => col(n, (i) => i - Math.floor(n / 2)),
    (n) => col(n, (i) => T0 + i * 1000 + (r() < 0.02 ? Math.floor(r() * 5) : 0)),
    (n) => col(n, (i) => T0 + i * 1000 + (i === n >> 1 ? NaN : 0)),
    (n) => col(n, (i) => T0 + Math.floor(i / 3)),
    (n) => col(n, (i) => (T0 + i) / 2),
    (n) => col(n, (i) => (i === 0 ? -0 : i)),
    (n) => col(n, (i) => 2 ** 49 - n + i),
    (n) => col(n, (i) => 2 ** 50 + i),
    (n) => col(n, () => r() * 1e6)
  ];
  const values: ((n: number) => Float64Array)[] = [
    (n) => col(n, (i) => ((i * 8) % 1000) / 10),
    (n) => col(n, () => Math.round(r() * 10000) / 100),
    (n) => col(n, () => r()),
    (n) => col(n, (i) => (i % 50 === 3 ? NaN : i % 77 === 5 ? -0 : i)),
    (n) => col(n, (i) => 8e9 + Math.floor(i / 5) * 4096),
    (n) => col(n, (i) => (i % 200 === 9 ? 2 ** 45 : i % 4)),
    (n) => col(n, (i) => [Infinity, -Infinity, 5e-324, 1][i % 4]),
    // Common steps that are no power of two, one past 2^40, and noise around a constant.
    (n) => col(n, (i) => 1e6 + ((i * 7) % 5) * 3),
    (n) => col(n, (i) => (i % 3) * (2 ** 40 + 1) - 2 ** 45),
    (n) => col(n, () => 5e5 + Math.floor(r() * 16) - 8)
  ];
  const out: [Float64Array, Float64Array][] = [];
  for (const n of [1, 2, 3, 5, 127, 128, 129, 130, 1000, 4096]) {
    for (let a = 0; a < times.length; a++) {
      out.push([times[a](n), values[(a + n) % values.length](n)]);
    }
  }
  return out;
}

describe('format version 1 stays stable', () => {
  it('encodes a fixed corpus to the very bytes the first v1 encoder wrote', () => {
    // Fingerprint taken from encodeChunk at e80adad, before the fast paths: they must
    // choose what the general path chose, byte for byte.
    const corpus = layoutCorpus();
    const chunks = corpus.map(([t, v]) => encodeChunk(t, v));
    expect(fingerprint(chunks)).toBe('ed4e5587:258676');
    for (const [k, [t, v]] of corpus.entries()) {
      const out = decodeChunk(chunks[k]);
      expectBitExact(out.t, t);
      expectBitExact(out.v, v);
    }
  });

  it('decodes a chunk stored by the first v1 encoder', () => {
    // encodeChunk([1000, 2000, 3000, 4000], [0.5, NaN, -0, 1.25]) at e80adad.
    const hex =
      '01000100040000000000000000408f40000000000040af403000000000000200000000000000000000408f40' +
      '0000000000408f400000000000000000000000000000f03f00000000000000001c0000000100000005000000' +
      '000000000000e03f87650007ccff1f34fd2f0000';
    const bytes = Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
    const out = decodeChunk(bytes);
    expectBitExact(out.t, Float64Array.from([1000, 2000, 3000, 4000]));
    expectBitExact(out.v, Float64Array.from([0.5, NaN, -0, 1.25]));
    expect(readChunkHeader(bytes).encoding).toEqual({ version: 1, time: 'decimal', value: 'xor' });
  });

  it('returns chunks that a later encode does not overwrite', () => {
    const first = encodeChunk(
      regularTimes(10),
      Float64Array.from({ length: 10 }, (_, i) => i)
    );
    const copy = first.slice();
    encodeChunk(regularTimes(4000), new Float64Array(4000).fill(7.5));
    expect(first).toEqual(copy);
    expect(first.byteLength).toBe(first.buffer.byteLength);
  });
});

describe('regular column fast path', () => {
  /** The decimal body of x[i] = base + i·step by hand: exponent 0, order 2, zero residuals. */
  function regularBody(n: number, base: number, step: number): number[] {
    const f64 = (x: number) => Array.from(new Uint8Array(Float64Array.of(x).buffer));
    const u32 = (x: number) => Array.from(new Uint8Array(Uint32Array.of(x).buffer));
    const body = [0, 0, 2, 0, ...u32(0), ...f64(base), ...f64(Math.abs(step))];
    body.push(...f64(0), ...f64(Math.sign(step)), ...new Array(Math.ceil((n - 2) / 128)).fill(0));
    // The body starts 4 bytes into the sink (after its length): pad to a multiple of 4 there.
    while ((4 + body.length) % 4 !== 0) body.push(0);
    return [...u32(body.length + 4), ...body, ...u32(0)];
  }

  it.each([
    { n: 3, base: T0, step: 1 },
    { n: 130, base: T0, step: 1000 },
    { n: 4096, base: 5, step: -7 },
    { n: 9, base: -4, step: 1 }
  ])('writes the layout by hand for n=$n base=$base step=$step', ({ n, base, step }) => {
    const x = Float64Array.from({ length: n }, (_, i) => base + i * step);
    const sink = new ByteSink(8);
    encodeColumn(sink, x);
    expect(Array.from(sink.finish())).toEqual(regularBody(n, base, step));
    roundTrip(x, x);
  });

  it.each([
    ['-0 inside', [-2, -1, -0, 1, 2]],
    ['NaN inside', [1, 2, NaN, 4, 5]],
    ['a step of zero', [7, 7, 7, 7]],
    ['a fractional step', [1, 1.5, 2, 2.5]],
    ['a fractional start', [0.5, 1.5, 2.5, 3.5]],
    ['past maxDecimalInt', [2 ** 49 - 1, 2 ** 49, 2 ** 49 + 1]],
    ['two points', [10, 20]],
    ['one break', [1, 2, 3, 5, 6]],
    ['Infinity', [1, 2, Infinity]]
  ])('leaves %s to the general path, bit-exactly', (_name, xs) => {
    const t = Float64Array.from(xs);
    roundTrip(t, t);
  });
});

describe('packResiduals with block stats from the caller', () => {
  it('writes the same bytes as when it finds them itself', () => {
    const r = rng(7);
    // Narrow values with sparse outliers (patched blocks), and some past 32 bits.
    const zz = Float64Array.from({ length: 1000 }, (_, i) =>
      i % 97 === 0 ? Math.floor(r() * 2 ** 40) : i % 31 === 0 ? 200 : Math.floor(r() * 8)
    );
    const blocks = Math.ceil(zz.length / 128);
    const stats = { max: new Float64Array(blocks), hist: new Int32Array(blocks * HistogramBins) };
    for (let i = 0; i < zz.length; i++) {
      const b = i >> 7;
      stats.max[b] = Math.max(stats.max[b], zz[i]);
      // Widths past 32 bits are counted anywhere: BlockStats says they are never read.
      stats.hist[b * HistogramBins + Math.min(32, bitWidth(zz[i]))]++;
    }
    const a = new ByteSink(8);
    const b = new ByteSink(8);
    packResiduals(a, zz);
    packResiduals(b, zz, stats);
    expect(Array.from(b.finish())).toEqual(Array.from(a.finish()));
    const out = new Float64Array(zz.length);
    unpackResiduals({ bytes: a.finish(), pos: 0 }, out);
    expect(Array.from(out, zigzag)).toEqual(Array.from(zz));
  });
});

describe('encodeChunk scratch', () => {
  it('encodes a chunk far larger than its scratch, then small ones, exactly', () => {
    const r = rng(3);
    const n = 200_000;
    const t = Float64Array.from({ length: n }, (_, i) => T0 + i * 1000 + (i % 7));
    const v = Float64Array.from({ length: n }, () => r());
    roundTrip(t, v);
    roundTrip(
      regularTimes(100),
      Float64Array.from({ length: 100 }, (_, i) => i / 4)
    );
  });
});
