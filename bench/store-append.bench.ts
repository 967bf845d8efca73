/**
 * The engine worker's CPU per stored point of a file import, pure parts only (no IndexedDB):
 * for each series of a commit, decode its head chunk, merge it with the incoming batch,
 * split into chunks and encode them — what `MetricStore.append` does between its bulkGet and
 * its bulkPut. The data has the shape of issue 6's CSV: 32 series, ~15.6k points each per
 * 500k-point commit, integer-ms timestamps 1 ms or 1 s apart (also with gaps and repeated
 * timestamps), values with one decimal.
 *
 * Baseline, in the same run: the same work through the code as it was at BaselineRev
 * (metric-store.ts, codec.ts and codec-bits.ts read from git into bench/out/, which git
 * ignores), so the figure is a before/after on this machine now, not a number from
 * elsewhere. Without git history the baseline is skipped.
 * CPU time of this process (user + system), as store-core.bench.ts measures it.
 * Run: npx tsx bench/store-append.bench.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuMs, emit, median, skip, timeCpuRuns } from './lib';
import { decodeChunk, encodeChunk } from '../src/lib/tsdb/codec/chunk';
import { encodeAfterHead, extendsHead, normalisePoints } from '../src/lib/db/metric-store';
import type { ChunkRecord } from '../src/lib/db/database';
import type { Columnar } from '../src/lib/types';

/** The commit before this bench's store and codec changes. */
const BaselineRev = 'e80adad';
const SERIES = 32;
const COMMIT_POINTS = 500_000;
const PER_SERIES = Math.ceil(COMMIT_POINTS / SERIES);
const T0 = Date.UTC(2026, 0, 5);
/** Commits timed per run: each starts from the heads the one before left. */
const COMMITS = 3;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * CPU times of `current` and `baseline` (when there is one) run in turns, so that a
 * neighbour's load on the shared machine falls on both alike.
 */
function timePair(current: () => void, baseline: (() => void) | null, minMs: number) {
  const a: number[] = [];
  const b: number[] = [];
  const start = cpuMs();
  while (a.length < 5 || cpuMs() - start < minMs) {
    a.push(...timeCpuRuns(current, { minMs: 0, minRuns: 1 }));
    if (baseline) b.push(...timeCpuRuns(baseline, { minMs: 0, minRuns: 1 }));
  }
  return { current: median(a), baseline: baseline ? median(b) : null };
}

/**
 * Time shapes of imported files: a regular step, and one with now and then a gap (a
 * stopped logger: ~1 chunk in 5 holds one) or a repeated timestamp (last write wins).
 */
interface Shape {
  name: string;
  stepMs: number;
  gapEvery?: number;
  dupEvery?: number;
}
const Shapes: Shape[] = [
  { name: 'step_1ms', stepMs: 1 },
  { name: 'step_1000ms', stepMs: 1000 },
  { name: 'step_1ms_gaps_dups', stepMs: 1, gapEvery: 20_011, dupEvery: 30_011 }
];
const GapMs = 60_000;

/** Commit `c` of series `s`: rows continue where the previous commit stopped. */
function makeBatch(s: number, c: number, shape: Shape): Columnar {
  const t = new Float64Array(PER_SERIES);
  const v = new Float64Array(PER_SERIES);
  for (let i = 0; i < PER_SERIES; i++) {
    const row = c * PER_SERIES + i;
    const gaps = shape.gapEvery ? Math.floor(row / shape.gapEvery) : 0;
    const dups = shape.dupEvery ? Math.floor(row / shape.dupEvery) : 0;
    t[i] = T0 + (row - dups) * shape.stepMs + gaps * GapMs;
    v[i] = (((row + s) * 8) % 1000) / 10;
  }
  return { t, v };
}

interface PathApi {
  encodeChunk: (t: Float64Array, v: Float64Array) => Uint8Array;
  decode: (bytes: Uint8Array) => Columnar;
  /** Chunks for one series: the head (or none) merged with a batch after it. */
  append: (seriesId: number, head: ChunkRecord | undefined, batch: Columnar) => ChunkRecord[];
}

const current: PathApi = {
  encodeChunk,
  decode: decodeChunk,
  // As MetricStore.append: a head over a quarter full is left as it is for a big batch.
  append: (id, head, batch) => {
    const b = normalisePoints(batch);
    const extend = head !== undefined && extendsHead(head, { n: b.t.length, minT: b.t[0] });
    return encodeAfterHead(id, extend ? decodeChunk(head.data) : undefined, b);
  }
};

/** Writes the baseline's files from git into bench/out and imports them; null without git. */
async function loadBaseline(): Promise<PathApi | null> {
  const dir = join(root, 'bench', 'out', `baseline-${BaselineRev}`);
  const show = (path: string) =>
    execFileSync('git', ['show', `${BaselineRev}:${path}`], { cwd: root, encoding: 'utf8' });
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'codec-bits.ts'), show('src/lib/analytics/codec-bits.ts'));
    writeFileSync(join(dir, 'codec.ts'), show('src/lib/analytics/codec.ts'));
    const store = show('src/lib/db/metric-store.ts')
      .replace("'$lib/analytics/codec'", "'./codec'")
      .replace(/'\$lib\//g, `'${join(root, 'src', 'lib')}/`)
      .replace("'./database'", `'${join(root, 'src', 'lib', 'db', 'database')}'`);
    writeFileSync(join(dir, 'metric-store.ts'), store);
  } catch (error) {
    skip('store_append.baseline', `no git history at ${BaselineRev}: ${String(error)}`);
    return null;
  }
  const codec = await import(join(dir, 'codec.ts'));
  const old = await import(join(dir, 'metric-store.ts'));
  return {
    encodeChunk: codec.encodeChunk,
    decode: codec.decodeChunk,
    // The old append: copy head + batch into one array, then split and encode it.
    append: (id, head, batch) => {
      const merged = head
        ? old.concatColumnar([codec.decodeChunk(head.data), old.normalisePoints(batch)])
        : old.normalisePoints(batch);
      return old.splitIntoChunks(id, merged);
    }
  };
}

/**
 * Runs the commits over SERIES series from the given heads; returns the new heads. Every
 * chunk written is put in `stored` when given, keyed as IndexedDB keys it (series, t0).
 */
function runCommits(
  api: PathApi,
  heads: (ChunkRecord | undefined)[],
  batches: Columnar[][],
  stored?: Map<string, ChunkRecord>
): (ChunkRecord | undefined)[] {
  const next = heads.slice();
  for (const commit of batches) {
    for (let s = 0; s < SERIES; s++) {
      const chunks = api.append(s + 1, next[s], commit[s]);
      for (const c of chunks) stored?.set(`${c.seriesId}:${c.t0}`, c);
      next[s] = chunks[chunks.length - 1];
    }
  }
  return next;
}

async function main(): Promise<void> {
  const baseline = await loadBaseline();
  for (const shape of Shapes) {
    const warm = Array.from({ length: SERIES }, (_, s) => [makeBatch(s, 0, shape)]);
    const batches = Array.from({ length: COMMITS }, (_, c) =>
      Array.from({ length: SERIES }, (_, s) => makeBatch(s, c + 1, shape))
    );
    const points = COMMITS * SERIES * PER_SERIES;
    // Heads after a first commit, so every timed commit extends a part-filled head chunk.
    const heads = warm.map((w, s) => {
      const chunks = current.append(s + 1, undefined, w[0]);
      return chunks[chunks.length - 1];
    });
    // The same points stored, whichever path wrote them (the chunking differs: the baseline
    // split at 4,096 points and re-encoded every head).
    const storedPoints = (api: PathApi) => {
      const stored = new Map<string, ChunkRecord>();
      for (const h of heads) if (h) stored.set(`${h.seriesId}:${h.t0}`, h);
      runCommits(api, heads, batches, stored);
      const chunks = [...stored.values()].sort((a, b) => a.seriesId - b.seriesId || a.t0 - b.t0);
      const t: number[] = [];
      const v: number[] = [];
      for (const c of chunks) {
        const back = api.decode(c.data);
        for (let i = 0; i < back.t.length; i++) t.push(c.seriesId, back.t[i]);
        for (let i = 0; i < back.v.length; i++) v.push(back.v[i]);
      }
      return JSON.stringify([t, v]);
    };
    if (baseline && storedPoints(baseline) !== storedPoints(current)) {
      throw new Error('baseline stores other points');
    }
    const ms = timePair(
      () => runCommits(current, heads, batches),
      baseline && (() => runCommits(baseline, heads, batches)),
      6000
    );
    emit({
      name: `store_append.points_per_s.${shape.name}`,
      value: points / (ms.current / 1000),
      unit: 'pt/s',
      ...(ms.baseline ? { baseline: points / (ms.baseline / 1000) } : {}),
      baseline_is: `the same merge + split + encode at ${BaselineRev}`,
      ns_per_point: (ms.current * 1e6) / points,
      ...(ms.baseline ? { baseline_ns_per_point: (ms.baseline * 1e6) / points } : {}),
      series: SERIES,
      points_per_commit: SERIES * PER_SERIES
    });
  }

  // encodeChunk alone on full chunks of the import shape.
  const chunk = makeBatch(3, 7, Shapes[0]);
  const parts: Columnar[] = [];
  for (let lo = 0; lo + 4096 <= chunk.t.length; lo += 4096) {
    parts.push({ t: chunk.t.subarray(lo, lo + 4096), v: chunk.v.subarray(lo, lo + 4096) });
  }
  const reps = 40;
  const encode = (fn: (t: Float64Array, v: Float64Array) => Uint8Array) => () => {
    for (let r = 0; r < reps; r++) for (const p of parts) fn(p.t, p.v);
  };
  const encPoints = reps * parts.length * 4096;
  const enc = timePair(encode(encodeChunk), baseline && encode(baseline.encodeChunk), 4000);
  emit({
    name: 'codec.encode_points_per_s.import_shape',
    value: encPoints / (enc.current / 1000),
    unit: 'pt/s',
    ...(enc.baseline ? { baseline: encPoints / (enc.baseline / 1000) } : {}),
    baseline_is: `encodeChunk at ${BaselineRev}`,
    ns_per_point: (enc.current * 1e6) / encPoints,
    ...(enc.baseline ? { baseline_ns_per_point: (enc.baseline * 1e6) / encPoints } : {})
  });
}

await main();
