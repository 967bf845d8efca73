/**
 * Memory of a large single JSON document (a top-level array of point records) parsed by the
 * import's stream parser, pushed in 1 MiB pieces as the import worker does. The document is
 * generated piece by piece and never held whole, so the heap measured is the parser's.
 * Baseline, same run, same bytes: the same parser with the document limits lifted, i.e. the
 * whole-document path (text kept, one JSON.parse at the end) every document took before
 * streaming.
 *
 * Figures: each variant's peak resident memory (its own process) above a process that only
 * generates the bytes, and MB/s.
 *
 * Run: npx tsx bench/json-document.bench.ts   (JSON_DOC_MB=120)
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createStreamParser } from '../src/lib/ingest';
import { emit } from './lib';

const MiB = 1024 * 1024;
const SIZE_MB = Number(process.env.JSON_DOC_MB ?? 120);
const PUSH_BYTES = MiB;

/** The document's pieces, about PUSH_BYTES each, made on demand. */
function* documentPieces(totalBytes: number): Generator<Uint8Array> {
  const enc = new TextEncoder();
  let made = 0;
  let i = 0;
  let piece = '[\n';
  while (made < totalBytes) {
    const line = `${i === 0 ? '' : ',\n'}  {"name":"cpu_usage","labels":{"host":"h${i % 50}","core":"${i % 8}"},"t":${1_700_000_000_000 + i * 1000},"v":${((i * 7919) % 10_000) / 100}}`;
    piece += line;
    i++;
    if (piece.length >= PUSH_BYTES) {
      const bytes = enc.encode(piece);
      made += bytes.length;
      piece = '';
      yield bytes;
    }
  }
  yield enc.encode(piece + '\n]\n');
}

/**
 * One variant in this process: 'generate' only makes the pieces (the floor), 'streamed'
 * parses with the default limits (arrays past 8 MiB stream), 'whole' with them lifted.
 */
function run(mode: string): { points: number; ms: number; bytes: number } {
  let points = 0;
  let bytes = 0;
  const t0 = performance.now();
  const parser = createStreamParser({
    fileName: 'big.json',
    format: 'json',
    limits:
      mode === 'whole'
        ? { maxJsonDocumentBytes: Infinity, streamJsonArraysAfterBytes: Infinity }
        : {}
  });
  for (const piece of documentPieces(SIZE_MB * MiB)) {
    bytes += piece.length;
    if (mode === 'generate') continue;
    for (const b of parser.push(piece).batches) points += b.t.length;
  }
  if (mode !== 'generate') for (const b of parser.finish().batches) points += b.t.length;
  return { points, ms: performance.now() - t0, bytes };
}

const mode = process.env.JSON_DOC_MODE;
if (mode) {
  const r = run(mode);
  // Peak resident memory of this process, in KiB (Linux: ru_maxrss).
  process.stdout.write(JSON.stringify({ ...r, maxRssKiB: process.resourceUsage().maxRSS }));
} else {
  // Each variant in its own process: its peak resident memory is its own.
  const variant = (m: string) => {
    const out = execFileSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url)],
      {
        env: { ...process.env, JSON_DOC_MODE: m },
        encoding: 'utf8',
        maxBuffer: 1 << 20
      }
    );
    return JSON.parse(out) as { points: number; ms: number; bytes: number; maxRssKiB: number };
  };
  const floor = variant('generate');
  const streamed = variant('streamed');
  const whole = variant('whole');
  if (streamed.points !== whole.points)
    throw new Error(`points differ: streamed ${streamed.points}, whole ${whole.points}`);
  const above = (v: { maxRssKiB: number }) => (v.maxRssKiB - floor.maxRssKiB) / 1024;
  emit({
    name: 'ingest.json_document_peak_rss_mb',
    value: above(streamed),
    unit: 'MiB above generating the bytes',
    baseline: above(whole),
    documentMiB: streamed.bytes / MiB,
    points: streamed.points,
    floorMiB: floor.maxRssKiB / 1024
  });
  emit({
    name: 'ingest.json_document_mb_per_s',
    value: streamed.bytes / 1e3 / streamed.ms,
    unit: 'MB/s',
    baseline: whole.bytes / 1e3 / whole.ms
  });
}
