import { Zip, ZipDeflate, strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { createStreamParser, IngestError, parseMetricFile } from '../../src/lib/ingest';
import { writeBundleZip } from '../../src/lib/export';
import { ZipReaderDefaults } from '../../src/lib/ingest/bundle';
import { collect, enc } from './ingest-helpers';

const MiB = 1024 * 1024;

function fatal(fn: () => unknown): IngestError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(IngestError);
    return e as IngestError;
  }
  throw new Error('expected an IngestError');
}

const manifest = strToU8(JSON.stringify({ format: 'tidemark-bundle', version: 1 }));

describe('limits', () => {
  it('a 2 MiB line is fatal with its byte offset, whatever the chunking', () => {
    const head = 'up 1 1700000000000\nup 2 1700000000001\n';
    const bytes = enc(head + 'x'.repeat(2 * MiB) + '\nup 3 1700000000002\n');
    for (const chunk of [bytes.length, MiB, 65_537]) {
      const e = fatal(() => collect(bytes, { fileName: 'big.prom', chunk }));
      expect(e.code).toBe('line_too_long');
      expect(e.byte).toBe(head.length);
      expect(e.line).toBe(3);
      expect(e.message).toBe(`line over 1 MiB at byte ${head.length}`);
    }
  });

  it('byte offsets stay exact after multi-byte characters', () => {
    const head = 'up{city="Zürich"} 1 1700000000000\nup{city="東京"} 2 1700000000001\n';
    const headBytes = enc(head).length;
    const bytes = enc(head + '😀'.repeat(MiB) + '\n');
    for (const chunk of [bytes.length, 65_537]) {
      const e = fatal(() => collect(bytes, { fileName: 'big.prom', chunk }));
      expect(e.byte).toBe(headBytes);
      expect(e.line).toBe(3);
    }
    const c = collect(enc(head + 'up{city="x"} 1.5\n'), {
      fileName: 'a.prom',
      defaultTimestamp: 0
    });
    expect(c.errors).toEqual([]);
    const bad = collect(enc(head + 'up{city="x"} nope\n'), { fileName: 'a.prom', chunk: 5 });
    expect(bad.errors.map((e) => e.byte)).toEqual([headBytes]);
  });

  it('a line of exactly maxLineBytes passes, one more byte fails', () => {
    const limits = { maxLineBytes: 64 };
    const ok = `up ${'1'.repeat(61)}\n`;
    expect(collect(enc(ok), { fileName: 'a.prom', defaultTimestamp: 0, limits }).errors).toEqual(
      []
    );
    const e = fatal(() => collect(enc(`up ${'1'.repeat(62)}\n`), { fileName: 'a.prom', limits }));
    expect(e.code).toBe('line_too_long');
  });

  it("'['.repeat(1e6) is refused as too deep before JSON.parse", () => {
    const e = fatal(() => collect(enc('['.repeat(1e6)), { fileName: 'bomb.json' }));
    expect(e.code).toBe('too_deep');
    expect(e.byte).toBe(64);
  });

  it('deep NDJSON lines are refused with their line', () => {
    const deep = '{"a":'.repeat(70) + '1' + '}'.repeat(70);
    const e = fatal(() =>
      collect(enc(`{"name":"x","t":1,"v":1}\n${deep}\n`), { fileName: 'a.ndjson' })
    );
    expect(e.code).toBe('too_deep');
    expect(e.line).toBe(2);
  });

  it('brackets inside JSON strings do not count toward depth', () => {
    const c = collect(enc(`{"name":"${'['.repeat(200)}","t":1700000000000,"v":1}\n`), {
      fileName: 'a.ndjson'
    });
    expect(c.errors).toEqual([]);
    expect(c.series.size).toBe(1);
  });

  it('a zip bomb stops at the inflated-bytes cap', () => {
    // 64 MiB of zeros deflate to ~64 KiB; the cap is 8 MiB.
    const zip = zipSync(
      { 'manifest.json': manifest, 'series.ndjson': new Uint8Array(64 * MiB) },
      { level: 9 }
    );
    expect(zip.length).toBeLessThan(MiB);
    const e = fatal(() =>
      collect(zip, {
        fileName: 'bomb.zip',
        chunk: 65_536,
        // The ratio check off: this is the total cap's test.
        limits: { maxInflatedBytes: 8 * MiB, maxInflateRatio: Infinity }
      })
    );
    expect(e.code).toBe('zip_limit');
    expect(e.message).toMatch(/inflates the zip beyond 8388608 bytes/);
  });

  it('a zip bomb is stopped by its ratio after about a MiB, naming the entry', () => {
    // 32 MiB of zeros deflate to ~128 KiB; the total cap stays at its default (2 GiB).
    const zip = zipSync(
      { 'manifest.json': manifest, 'payload/zeros.ndjson': new Uint8Array(32 * MiB) },
      { level: 1 }
    );
    const e = fatal(() => collect(zip, { fileName: 'bomb.zip', chunk: 65_536 }));
    expect(e.code).toBe('zip_limit');
    expect(e.message).toMatch(/^zip entry "payload\/zeros.ndjson" inflates \d+:1 .* a zip bomb\?/);
    // Stopped after the first slice of compressed input inflated (at most 16 KiB × 1032,
    // deflate's maximum ratio), whatever the bomb's size; not at the end of its 32 MiB.
    const inflated = Number(/\((\d+) bytes from/.exec(e.message)?.[1]);
    expect(inflated).toBeGreaterThan(MiB);
    expect(inflated).toBeLessThanOrEqual(ZipReaderDefaults.sliceBytes * 1032 + MiB);
  });

  it('a real bundle is far below the ratio limit', () => {
    // One series line stays under the 1 MiB line limit (an export slices longer series).
    const n = 50_000;
    const t = new Float64Array(n);
    const v = new Float64Array(n); // a constant series: the most compressible values
    for (let i = 0; i < n; i++) t[i] = 1_700_000_000_000 + i * 1000;
    const series = {
      name: 'up',
      labels: {},
      unit: '',
      kind: 'gauge',
      source: 'import',
      category: 'app'
    } as const;
    const zip = writeBundleZip({ series: [{ series, t, v }], events: [], createdAt: 0 });
    const c = collect(zip, { fileName: 'b.zip', chunk: 65_536 });
    expect(c.series.get('up')?.t.length).toBe(n);
  });

  it('counts real inflated bytes, not the size the header claims', () => {
    // A streamed zip entry has no sizes in its local header (data descriptor), so only
    // counting what inflation produces can catch it.
    const chunks: Uint8Array[] = [];
    const z = new Zip((err, data) => {
      if (err) throw err;
      chunks.push(data);
    });
    const m = new ZipDeflate('manifest.json');
    z.add(m);
    m.push(manifest, true);
    const s = new ZipDeflate('series.ndjson', { level: 9 });
    z.add(s);
    for (let i = 0; i < 16; i++) s.push(new Uint8Array(MiB).fill(32), i === 15);
    z.end();
    const zip = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of chunks) {
      zip.set(c, o);
      o += c.length;
    }
    const e = fatal(() =>
      collect(zip, {
        fileName: 'streamed.zip',
        limits: { maxInflatedBytes: 4 * MiB, maxInflateRatio: Infinity }
      })
    );
    expect(e.code).toBe('zip_limit');
    expect(e.message).toMatch(/beyond 4194304 bytes/);
  });

  it('too many entries is a zip limit', () => {
    const files: Record<string, Uint8Array> = { 'manifest.json': manifest };
    for (let i = 0; i < 20; i++) files[`junk-${i}.txt`] = strToU8('x');
    const e = fatal(() =>
      collect(zipSync(files), { fileName: 'many.zip', limits: { maxZipEntries: 10 } })
    );
    expect(e.code).toBe('zip_limit');
  });

  it('ignores ../ paths, absolute paths, directories and nested zips', () => {
    const inner = writeBundleZip({
      series: [
        {
          series: {
            name: 'inner',
            labels: {},
            unit: '',
            kind: 'gauge',
            source: 'import',
            category: 'app'
          },
          t: Float64Array.of(1),
          v: Float64Array.of(1)
        }
      ],
      events: [],
      createdAt: 0
    });
    const evil = strToU8('{"series":{"name":"evil","labels":{}},"t":[1],"v":[1]}\n');
    const good = strToU8('{"series":{"name":"good","labels":{}},"t":[1700000000000],"v":[2]}\n');
    const zip = zipSync({
      'manifest.json': manifest,
      '../series.ndjson': evil,
      '/series.ndjson': evil,
      'dir/': new Uint8Array(0),
      'dir/../series.ndjson': evil,
      'nested.zip': inner,
      'series.ndjson': good
    });
    const c = collect(zip, { fileName: 'b.zip' });
    expect([...c.series.keys()]).toEqual(['good']);
    expect(c.series.get('good')?.v).toEqual([2]);
  });

  it('a zip without a Tidemark manifest is refused', () => {
    const e = fatal(() => collect(zipSync({ 'a.txt': strToU8('hi') }), { fileName: 'x.zip' }));
    expect(e.code).toBe('bad_bundle');
  });

  it('a PNG is refused with the expected-formats message', () => {
    const png = Uint8Array.from([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82
    ]);
    const e = fatal(() => collect(png, { fileName: 'chart.png' }));
    expect(e.code).toBe('not_metrics');
    expect(e.message).toMatch(
      /expected Prometheus text, OpenMetrics, promtool tsdb dump, Influx line protocol, .*, CSV\/TSV, JSON\/NDJSON records, .*, OTLP JSON, Parquet or a Tidemark bundle/
    );
  });

  it('a JSON object over its cap is too_large, with a pointer to NDJSON', () => {
    const doc = `{\n  "points": [\n${'    {"name":"a","t":1,"v":1},\n'.repeat(1000)}    {"name":"a","t":1,"v":1}\n  ]\n}\n`;
    const e = fatal(() =>
      collect(enc(doc), { fileName: 'a.json', limits: { maxJsonDocumentBytes: 4096 } })
    );
    expect(e.code).toBe('too_large');
    expect(e.message).toMatch(/top level is an object.*NDJSON.*top-level array, which stream/);
  });

  it('a JSON array over its cap streams element by element: the same points as read whole', () => {
    // Multi-byte labels, so some chunk edges fall inside a character.
    const items = Array.from({ length: 3000 }, (_, i) =>
      JSON.stringify({
        name: 'temp',
        labels: { city: i % 3 ? 'Zürich' : '東京' },
        t: 1_700_000_000_000 + i,
        v: i / 4
      })
    );
    const doc = enc(`[\n  ${items.join(',\n  ')}\n]\n`);
    const whole = collect(doc, { fileName: 'a.json' });
    expect(whole.errors).toEqual([]);
    for (const chunk of [doc.length, 4099, 65_536]) {
      const streamed = collect(doc, {
        fileName: 'a.json',
        chunk,
        limits: { maxJsonDocumentBytes: 8192 }
      });
      expect(streamed.errors).toEqual([]);
      expect(streamed.series).toEqual(whole.series);
    }
    expect([...whole.series.values()].reduce((n, s) => n + s.t.length, 0)).toBe(3000);
  });

  it('a streamed JSON array cut short keeps the elements before the cut and says where', () => {
    const items = Array.from({ length: 500 }, (_, i) => `{"name":"a","t":${i + 1},"v":${i}}`);
    const doc = `[${items.join(',')}`;
    const cut = collect(enc(doc.slice(0, doc.length - 5)), {
      fileName: 'a.json',
      chunk: 1000,
      limits: { maxJsonDocumentBytes: 2048 }
    });
    expect(cut.series.get('a')?.t.length).toBe(499);
    expect(cut.errors).toHaveLength(1);
    expect(cut.errors[0].message).toMatch(/after element 499: the document ends inside its array/);
    const bad = collect(enc(`[${items.slice(0, 300).join(',')},{"name":"a","t":x}]`), {
      fileName: 'a.json',
      limits: { maxJsonDocumentBytes: 2048 }
    });
    expect(bad.series.get('a')?.t.length).toBe(300);
    expect(bad.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^invalid JSON after element 300: /)
    ]);
  });

  it('per-line errors are capped by maxErrors and the rest counted', async () => {
    const text = 'up 1 1700000000000\n' + 'up x\n'.repeat(50);
    const got = await parseMetricFile('a.prom', enc(text), {
      limits: { maxErrors: 10 },
      chunkBytes: 13
    });
    expect(got.errors).toHaveLength(10);
    expect(got.suppressedErrors).toBe(40);
    expect(got.points).toBe(1);
  });

  it('a forced format still refuses binary content', () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(fatal(() => collect(png, { fileName: 'x.csv', format: 'csv' })).code).toBe(
      'not_metrics'
    );
  });

  it('a CSV without a time column needs a defaultTimestamp', () => {
    expect(fatal(() => collect(enc('host,load\na,1\n'), { fileName: 'a.csv' })).code).toBe(
      'no_time_column'
    );
    const c = collect(enc('host,load\na,1\n'), { fileName: 'a.csv', defaultTimestamp: 5 });
    expect(c.series.get('load{host="a"}')?.t).toEqual([5]);
  });

  it('an unknown time zone is an invalid option', () => {
    expect(
      fatal(() => createStreamParser({ fileName: 'a.csv', timeZone: 'Mars/Olympus' })).code
    ).toBe('invalid_option');
  });

  it('after a fatal error the parser keeps refusing', () => {
    const p = createStreamParser({ fileName: 'a.json' });
    p.push(enc('['.repeat(100)));
    expect(() => p.finish()).toThrow(IngestError);
    expect(() => p.push(enc('1'))).toThrow(IngestError);
  });
});

describe('checkpoints and resume', () => {
  // Larger than the 64 KiB sniff window, so checkpoints advance before finish().
  const N = 4000;
  const lines = Array.from({ length: N }, (_v, i) => `m,host=h v=${i} ${1700000000000 + i}`);
  const text = lines.join('\n') + '\n';
  const bytes = enc(text);

  it('checkpoints sit at line ends and never pass unconsumed bytes', () => {
    const parser = createStreamParser({ fileName: 'a.lp' });
    const ends = new Set<number>([0]);
    let o = 0;
    for (const l of lines) ends.add((o += l.length + 1));
    let seen = 0;
    let last = 0;
    let advanced = 0;
    for (let i = 0; i < bytes.length; i += 997) {
      const step = parser.push(bytes.subarray(i, i + 997));
      if (step.checkpoint > last) advanced++;
      seen += step.batches.reduce((n, b) => n + b.t.length, 0);
      expect(ends.has(step.checkpoint)).toBe(true);
      expect(step.checkpoint).toBeGreaterThanOrEqual(last);
      expect(step.checkpoint).toBeLessThanOrEqual(Math.min(bytes.length, i + 997));
      last = step.checkpoint;
    }
    expect(advanced).toBeGreaterThan(10);
    const end = parser.finish();
    expect(end.checkpoint).toBe(bytes.length);
    expect(seen + end.batches.reduce((n, b) => n + b.t.length, 0)).toBe(N);
  });

  it.each([
    ['influx', 'a.lp', text],
    [
      'prometheus',
      'a.prom',
      '# TYPE m counter\n' +
        lines.map((_l, i) => `m_total{host="h"} ${i} ${1700000000000 + i}`).join('\n') +
        '\n'
    ],
    [
      'csv',
      'a.csv',
      'time,host,v\n' + lines.map((_l, i) => `${1700000000000 + i},h,${i}`).join('\n') + '\n'
    ]
  ])('%s: resuming from a checkpoint emits exactly the rest, headers re-read', (_f, name, body) => {
    const all = enc(body);
    const parser = createStreamParser({ fileName: name });
    let cut = 0;
    const firstValues: number[] = [];
    for (let i = 0; i < all.length && cut === 0; i += 1001) {
      const step = parser.push(all.subarray(i, i + 1001));
      for (const b of step.batches) firstValues.push(...b.v);
      if (step.checkpoint > all.length / 2) cut = step.checkpoint;
    }
    expect(cut).toBeGreaterThan(0);
    const rest = collect(all, { fileName: name, skipToOffset: cut, chunk: 4099 });
    const values = [...rest.series.values()].flatMap((s) => s.v);
    const series = [...rest.series.values()][0].series;
    expect(series.kind).toBe(name.endsWith('.prom') ? 'counter' : 'gauge');
    expect([...firstValues, ...values]).toEqual(Array.from({ length: N }, (_v, i) => i));
  });
});
