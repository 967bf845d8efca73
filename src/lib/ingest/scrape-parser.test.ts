import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createScrapeParser } from './scrape-parser';
import { createStreamParser } from './stream-parser';
import type { PointBatch } from './types';

const enc = (s: string) => new TextEncoder().encode(s);

/** Series key → [t, v] pairs, for comparing parsers' output regardless of batch order. */
function byKey(batches: PointBatch[]): Map<string, number[][]> {
  const out = new Map<string, number[][]>();
  for (const b of batches) {
    const key = b.series.name + JSON.stringify(Object.entries(b.series.labels).sort());
    const rows = out.get(key) ?? [];
    for (let i = 0; i < b.t.length; i++) rows.push([b.t[i], b.v[i]]);
    out.set(key, rows);
  }
  return out;
}

function fresh(text: string, format: 'prometheus' | 'influx', t: number) {
  const p = createStreamParser({
    fileName: format === 'influx' ? 'agent.lp' : 'agent.prom',
    format,
    defaultTimestamp: t
  });
  try {
    const a = p.push(enc(text));
    const b = p.finish();
    return { batches: [...a.batches, ...b.batches], errors: a.errors.length + b.errors.length };
  } catch {
    return { batches: [], errors: 1 };
  }
}

describe('createScrapeParser', () => {
  it('reads a repeated scrape with the same descriptors and each document its own default time', () => {
    const p = createScrapeParser({ fileName: 'agent.prom', format: 'prometheus' });
    const doc = '# TYPE up gauge\nup{job="a"} 1\nnode_load1 0.5 1700000000500\n';
    const a = p.parse(enc(doc), 1_700_000_000_000);
    const b = p.parse(enc(doc.replace(' 1\n', ' 0\n')), 1_700_000_001_000);
    expect(a.errors).toBe(0);
    expect(b.errors).toBe(0);
    const upA = a.batches.find((x) => x.series.name === 'up')!;
    const upB = b.batches.find((x) => x.series.name === 'up')!;
    expect([...upA.t, ...upA.v]).toEqual([1_700_000_000_000, 1]);
    expect([...upB.t, ...upB.v]).toEqual([1_700_000_001_000, 0]);
    // The same object: the caller can key its own per-series work on it.
    expect(upB.series).toBe(upA.series);
    expect(upA.series.labels).toEqual({ job: 'a' });
    // An explicit timestamp wins over the default.
    expect([...b.batches.find((x) => x.series.name === 'node_load1')!.t]).toEqual([
      1_700_000_000_500
    ]);
    expect(p.series).toBe(2);
  });

  it('starts each document afresh after `# EOF` and after a document that failed whole', () => {
    const p = createScrapeParser({
      fileName: 'agent.prom',
      format: 'prometheus',
      limits: { maxLineBytes: 64 }
    });
    expect(p.parse(enc('a 1\n# EOF\n'), 1000).batches).toHaveLength(1);
    // Lines after a previous document's # EOF are not "content after # EOF".
    const next = p.parse(enc('a 2\n'), 2000);
    expect(next.errors).toBe(0);
    expect([...next.batches[0].v]).toEqual([2]);
    const bad = p.parse(enc(`a 3\nb{x="${'y'.repeat(100)}"} 1\n`), 3000);
    expect(bad.batches).toEqual([]);
    expect(bad.errors).toBe(1);
    expect(bad.firstError).toMatch(/line over 64 bytes/);
    // The failed document's first point did not leak into the next one.
    const after = p.parse(enc('a 4\n'), 4000);
    expect(after.batches.map((x) => [...x.t])).toEqual([[4000]]);
  });

  it('reports line errors with file, line and byte', () => {
    const p = createScrapeParser({ fileName: 'agent.prom', format: 'prometheus' });
    const r = p.parse(enc('a 1\nb{ 2\n'), 1000);
    expect(r.batches).toHaveLength(1);
    expect(r.errors).toBe(1);
    expect(r.firstError).toMatch(/^agent\.prom line 2 \(byte 4\): /);
  });

  it('guesses an influx document’s precision per document', () => {
    const p = createScrapeParser({ fileName: 'agent.lp', format: 'influx' });
    const s = p.parse(enc('cpu,host=a usage=1 1700000000\n'), 0);
    const ns = p.parse(enc('cpu,host=a usage=2 1700000001000000000\n'), 0);
    expect([...s.batches[0].t]).toEqual([1_700_000_000_000]);
    expect([...ns.batches[0].t]).toEqual([1_700_000_001_000]);
    expect(ns.batches[0].series).toBe(s.batches[0].series);
  });

  it('gives what a fresh stream parser per document gives, on any sequence of scrapes', () => {
    const name = fc.constantFrom('up', 'node_cpu_seconds_total', 'http_requests_total', 'x');
    const label = fc.record({
      k: fc.constantFrom('cpu', 'mode', 'job'),
      v: fc.constantFrom('0', '1', 'idle', 'a"b', 'é', 'x}y')
    });
    const line = fc
      .tuple(
        name,
        fc.array(label, { maxLength: 2 }),
        fc.oneof(fc.double({ noNaN: true }), fc.constantFrom(NaN, Infinity)),
        fc.option(fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }))
      )
      .map(([n, ls, v, t]) => {
        const seen = new Set<string>();
        const labels = ls
          .filter((l) => !seen.has(l.k) && seen.add(l.k))
          .map((l) => `${l.k}="${l.v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
        const value = Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : String(v);
        return `${n}${labels.length ? `{${labels.join(',')}}` : ''} ${value}${t === null ? '' : ` ${t}`}`;
      });
    const doc = fc.tuple(
      fc.array(
        fc.oneof(line, line, line, fc.constantFrom('# TYPE up gauge', '', 'bad{', '# EOF')),
        {
          maxLength: 12
        }
      ),
      fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 })
    );
    fc.assert(
      fc.property(fc.array(doc, { minLength: 1, maxLength: 6 }), (docs) => {
        const p = createScrapeParser({ fileName: 'agent.prom', format: 'prometheus' });
        for (const [lines, t] of docs) {
          const text = lines.join('\n') + '\n';
          const want = fresh(text, 'prometheus', t);
          const got = p.parse(enc(text), t);
          expect(got.errors).toBe(want.errors);
          expect(byKey(got.batches)).toEqual(byKey(want.batches));
        }
      }),
      { numRuns: 200 }
    );
  });

  const fixtures = '../shared/fixtures/metrics';
  it.skipIf(!existsSync(fixtures))(
    'reads two real node_exporter scrapes in a row as two fresh parsers do',
    () => {
      const p = createScrapeParser({ fileName: 'agent.prom', format: 'prometheus' });
      for (const [k, f] of ['scrape-1', 'scrape-2'].entries()) {
        const text = readFileSync(`${fixtures}/node-exporter-1.5.0-${f}.prom`, 'utf8');
        const t = 1_700_000_000_000 + k * 15_000;
        const want = fresh(text, 'prometheus', t);
        const got = p.parse(enc(text), t);
        expect(got.batches.length).toBeGreaterThan(400);
        expect(got.errors).toBe(want.errors);
        expect(byKey(got.batches)).toEqual(byKey(want.batches));
      }
    }
  );
});
