/**
 * Parse-only throughput of the import bench's CSV and Prometheus files in Node: the same
 * generator (bench/ingest-generator.ts) and the same 1 MiB pushes the import worker makes.
 * Baseline, same run, same bytes: scanning the bytes for newlines (the floor of any
 * line-based parser).
 *
 * Run: npx tsx bench/ingest-parse.bench.ts   (INGEST_PARSE_MB=50, INGEST_PARSE_KIND=csv)
 */
import { createStreamParser, type IngestFormat } from '../src/lib/ingest';
import { generateBenchChunks } from './ingest-generator';
import { emit } from './lib';

const MB = 1e6;
const SIZE_MB = Number(process.env.INGEST_PARSE_MB ?? 100);
const PUSH_BYTES = 1024 * 1024;
const RUNS = Number(process.env.INGEST_PARSE_RUNS ?? 3);

function parseAll(chunks: Uint8Array[], kind: 'csv' | 'prom'): number {
  const format: IngestFormat = kind === 'csv' ? 'csv' : 'prometheus';
  const parser = createStreamParser({ fileName: `bench.${kind}`, format });
  let points = 0;
  for (const c of chunks)
    for (let o = 0; o < c.length; o += PUSH_BYTES)
      for (const b of parser.push(c.subarray(o, o + PUSH_BYTES)).batches) points += b.t.length;
  for (const b of parser.finish().batches) points += b.t.length;
  return points;
}

function scanNewlines(chunks: Uint8Array[]): number {
  let lines = 0;
  for (const c of chunks) for (let i = c.indexOf(10); i >= 0; i = c.indexOf(10, i + 1)) lines++;
  return lines;
}

const end = Date.now();
const kinds = (process.env.INGEST_PARSE_KIND?.split(',') ?? ['csv', 'prom']) as ('csv' | 'prom')[];
for (const kind of kinds) {
  const chunks = generateBenchChunks({ kind, mb: SIZE_MB, end, chunkChars: 4 * 1024 * 1024 });
  const size = chunks.reduce((s, c) => s + c.length, 0);
  let best = Infinity;
  let points = 0;
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    points = parseAll(chunks, kind);
    best = Math.min(best, performance.now() - t0);
  }
  let scanBest = Infinity;
  let lines = 0;
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    lines = scanNewlines(chunks);
    scanBest = Math.min(scanBest, performance.now() - t0);
  }
  emit({
    name: `ingest.parse_${kind}_mb_per_s`,
    value: size / MB / (best / 1000),
    unit: 'MB/s',
    baseline: size / MB / (scanBest / 1000),
    baselineKind: 'indexOf newline scan, same bytes',
    fileMb: size / MB,
    lines,
    points,
    pointsPerS: points / (best / 1000),
    runs: RUNS,
    note: 'best of runs'
  });
}
