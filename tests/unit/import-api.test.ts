import 'fake-indexeddb/auto';
import { releaseProxy, transfer, wrap } from 'comlink';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '$lib/db/database';
import { StorageFullError } from '$lib/db/metric-store';
import { seriesKey } from '$lib/types/series-key';
import { createEngineApi } from '$lib/workers/engine/api';
import type { ImportCommit, ImportStoreApi } from '$lib/workers/engine/import';
import { columnBuffers } from '$lib/workers/transfer';
import type { ResultEvent } from '$lib/types';
import {
  createImportWorkerApi,
  hashFile,
  type ImportFile,
  type ImportProgress
} from '$lib/workers/import-api';

const T0 = 1_700_000_000_000;
const enc = new TextEncoder();

let k = 0;
const names: string[] = [];
function engine() {
  const name = `import-test-${k++}`;
  names.push(name);
  return createEngineApi({ openDb: (cb) => openDatabase(cb, { name }), now: () => T0 });
}
afterEach(async () => {
  for (const name of names.splice(0)) await Dexie.delete(name);
});

/**
 * A Node File whose stream is a byte stream answering each read with at most `chunk` bytes,
 * as a browser's File.stream() answers a BYOB read with what it has; `plain`: a stream
 * without BYOB support, read with its default reader.
 */
function fileOf(name: string, text: string | Uint8Array, chunk = 4096, plain = false): ImportFile {
  const bytes = typeof text === 'string' ? enc.encode(text) : text;
  const file = new File([bytes as Uint8Array<ArrayBuffer>], name, { lastModified: T0 });
  let at = 0;
  return {
    name,
    size: file.size,
    lastModified: T0,
    slice: (a, b) => file.slice(a, b),
    stream: () =>
      plain
        ? new ReadableStream<Uint8Array>({
            start(c) {
              for (let o = 0; o < bytes.length; o += chunk) c.enqueue(bytes.slice(o, o + chunk));
              c.close();
            }
          })
        : new ReadableStream({
            type: 'bytes',
            start: () => {
              at = 0;
            },
            pull(c) {
              const request = c.byobRequest;
              if (at >= bytes.length) {
                c.close();
                request?.respond(0);
                return;
              }
              if (!request?.view) {
                c.enqueue(bytes.slice(at, (at += chunk)));
                return;
              }
              const view = new Uint8Array(
                request.view.buffer,
                request.view.byteOffset,
                request.view.byteLength
              );
              const piece = bytes.subarray(
                at,
                Math.min(bytes.length, at + chunk, at + view.length)
              );
              view.set(piece);
              at += piece.length;
              request.respond(piece.length);
            }
          })
  };
}

/** S series × N samples of Prometheus text with timestamps; values are i*S+s. */
function promText(S: number, N: number): string {
  const lines = ['# TYPE load gauge'];
  for (let i = 0; i < N; i++)
    for (let s = 0; s < S; s++) lines.push(`load{host="h${s}"} ${i * S + s} ${T0 + i * 1000}`);
  return lines.join('\n') + '\n';
}

/** N result-log events as NDJSON. */
function eventsText(N: number): string {
  const out: string[] = [];
  for (let i = 0; i < N; i++)
    out.push(
      JSON.stringify({
        t: T0 + i * 500,
        actionType: i % 2 ? 'email' : 'sms',
        status: i % 5 ? 'success' : 'failure',
        durationMs: i
      })
    );
  return out.join('\n') + '\n';
}

/** A store that forwards to `inner` but lets a test act on the n-th commit. */
function interceptStore(
  inner: ImportStoreApi,
  onCommit: (n: number, c: ImportCommit) => 'pass' | 'drop' | 'fail-storage'
): ImportStoreApi {
  let n = 0;
  let failed = false;
  return {
    importCheckpoint: (id) => inner.importCheckpoint(id),
    saveImportCheckpoint: (c) => inner.saveImportCheckpoint(c),
    async commitImport(c) {
      const action = onCommit(++n, c);
      if (action === 'drop') return new Promise(() => {}); // the tab closed mid-transaction
      // As the engine does: after a failed commit, the file's later commits (possibly sent
      // already) are refused too, so no checkpoint can cover a lost batch.
      if (action === 'fail-storage' || failed) {
        failed = true;
        throw new StorageFullError('Storage is full: the browser refused more data.');
      }
      return inner.commitImport(c);
    }
  };
}

async function storedValues(api: ReturnType<typeof engine>, key: string): Promise<number[]> {
  const s = (await api.listSeries()).find((r) => r.key === key);
  if (!s) return [];
  const raw = await api.readRaw(s.id, -Infinity, Infinity);
  return Array.from(raw.v);
}

// Files must be larger than the parser's 64 KiB sniffing head to produce several commits.
const small = { commitPoints: 1000, commitBytes: 1 << 30, chunkBytes: 8192, progressMs: 0 };

// Generous timeouts: fake-indexeddb on a shared, loaded machine; nothing asserts on time.
describe('import worker api', { timeout: 60_000 }, () => {
  it('imports a file with exact series and point counts, and reports progress', async () => {
    const api = engine();
    const S = 3;
    const N = 2000;
    const worker = createImportWorkerApi({ store: api, defaults: small });
    const progress: ImportProgress[] = [];
    const r = await worker.importFile(fileOf('load.prom', promText(S, N)), { jobId: 'a' }, (p) =>
      progress.push(p)
    );
    expect(r.status).toBe('done');
    expect(r.format).toBe('prometheus');
    expect(r.points).toBe(S * N);
    expect(r.rows).toBe(S * N);
    expect(r.series.map((s) => [s.key, s.points]).sort()).toEqual(
      Array.from({ length: S }, (_, s) => [seriesKey('load', { host: `h${s}` }), N]).sort()
    );
    expect((await api.counts()).points).toBe(S * N);
    for (let s = 0; s < S; s++)
      expect(await storedValues(api, seriesKey('load', { host: `h${s}` }))).toEqual(
        Array.from({ length: N }, (_, i) => i * S + s)
      );
    // Several commits happened, and progress ended at the file size.
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.at(-1)).toMatchObject({ phase: 'done', bytes: r.size, points: S * N });
    const cp = await api.importCheckpoint(r.id);
    expect(cp).toMatchObject({ done: true, offset: r.size, points: S * N, name: 'load.prom' });
  });

  it('creates new series with their points in one write, complete, and appends to series another engine stored', async () => {
    const name = `import-test-${k++}`;
    names.push(name);
    const open = () =>
      createEngineApi({ openDb: (cb) => openDatabase(cb, { name }), now: () => T0 });
    // Another engine stored h1 earlier: this engine's cache does not know it.
    const before = open();
    await before.ingest([
      {
        series: {
          name: 'load',
          labels: { host: 'h1' },
          unit: '',
          kind: 'gauge',
          source: 'api',
          category: 'app'
        },
        t: Float64Array.of(T0 - 1000),
        v: Float64Array.of(-1)
      }
    ]);
    await before.flush();
    const api = open();
    const r = await createImportWorkerApi({ store: api, defaults: small }).importFile(
      fileOf('load.prom', promText(3, 2000)),
      { jobId: 'n' }
    );
    expect(r.status).toBe('done');
    const series = await api.listSeries();
    expect(series.map((s) => s.key).sort()).toEqual(
      ['h0', 'h1', 'h2'].map((h) => seriesKey('load', { host: h }))
    );
    for (const s of series) {
      const mine = s.labels.host === 'h1' ? 1 : 0;
      const h = Number(s.labels.host.slice(1));
      expect(s).toMatchObject({
        points: 2000 + mine,
        firstT: T0 - mine * 1000,
        lastT: T0 + 1999 * 1000,
        lastV: 1999 * 3 + h
      });
      const raw = await api.readRaw(s.id, -Infinity, Infinity);
      expect(Array.from(raw.v)).toEqual([
        ...(mine ? [-1] : []),
        ...Array.from({ length: 2000 }, (_, i) => i * 3 + h)
      ]);
    }
    expect((await api.counts()).points).toBe(6001);
    expect((await api.counts()).series).toBe(3);
    expect(await api.importCheckpoint(r.id)).toMatchObject({ added: 6000, alreadyStored: 0 });
  });

  it('reads the file in slices whose edges fall mid-line, and sends one batch per series per commit', async () => {
    const api = engine();
    const S = 4;
    const N = 1500;
    const commits: ImportCommit[] = [];
    const store = interceptStore(api, (_n, c) => {
      commits.push(c);
      return 'pass';
    });
    // Odd sizes: slice and step edges cut lines and fall on no line boundary.
    const worker = createImportWorkerApi({
      store,
      defaults: { ...small, readBytes: 10_007, chunkBytes: 3_001 }
    });
    const r = await worker.importFile(fileOf('load.prom', promText(S, N)), { jobId: 's' });
    expect(r.status).toBe('done');
    expect(r.points).toBe(S * N);
    for (let s = 0; s < S; s++)
      expect(await storedValues(api, seriesKey('load', { host: `h${s}` }))).toEqual(
        Array.from({ length: N }, (_, i) => i * S + s)
      );
    expect(commits.length).toBeGreaterThan(3);
    for (const c of commits) {
      const keys = c.batches.map((b) => seriesKey(b.series.name, b.series.labels));
      expect(new Set(keys).size).toBe(keys.length);
    }
  });

  it('fills the columns the store gives back again, and every stored value stays exact', async () => {
    const api = engine();
    const S = 2;
    const N = 6000;
    const given = new Set<ArrayBuffer>();
    let reusedCommits = 0;
    let commits = 0;
    // As the engine's port does: the columns come back once the commit is stored.
    const store: ImportStoreApi = {
      importCheckpoint: (id) => api.importCheckpoint(id),
      saveImportCheckpoint: (c) => api.saveImportCheckpoint(c),
      async commitImport(c) {
        commits++;
        const buffers = columnBuffers(c.batches);
        if (buffers.some((b) => given.has(b))) reusedCommits++;
        const stored = await api.commitImport(c);
        for (const b of buffers) given.add(b);
        return { ...stored, buffers };
      }
    };
    const worker = createImportWorkerApi({ store, defaults: small });
    const r = await worker.importFile(fileOf('load.prom', promText(S, N)), { jobId: 'r' });
    expect(r.status).toBe('done');
    expect(commits).toBeGreaterThan(4);
    expect(reusedCommits).toBeGreaterThan(0);
    for (let s = 0; s < S; s++)
      expect(await storedValues(api, seriesKey('load', { host: `h${s}` }))).toEqual(
        Array.from({ length: N }, (_, i) => i * S + s)
      );
  });

  it("the engine's import port transfers a commit's columns back once it is stored", async () => {
    const api = engine();
    const channel = new MessageChannel();
    api.connectImportPort(channel.port1);
    const remote = wrap<ImportStoreApi>(channel.port2);
    try {
      const t = Float64Array.from({ length: 100 }, (_, i) => T0 + i * 1000);
      const v = Float64Array.from({ length: 100 }, (_, i) => i / 8);
      const series = {
        name: 'load',
        labels: { host: 'p' },
        unit: '',
        kind: 'gauge' as const,
        source: 'import' as const,
        category: 'system' as const
      };
      const commit: ImportCommit = {
        batches: [{ series, t, v }],
        events: [],
        checkpoint: {
          id: 'port-file',
          name: 'p.csv',
          size: 1,
          format: 'csv',
          offset: 1,
          rows: 100,
          points: 100,
          events: 0,
          errors: 0,
          done: false,
          startedAt: T0,
          updatedAt: T0
        }
      };
      const stored = await remote.commitImport(transfer(commit, columnBuffers(commit.batches)));
      // Sent away (detached here), then back: the same bytes, for the parser to refill.
      expect(t.length).toBe(0);
      expect(stored.points).toBe(100);
      expect(stored.buffers?.map((b) => b.byteLength)).toEqual([800, 800]);
      expect(Array.from(new Float64Array(stored.buffers![1]).subarray(0, 3))).toEqual([
        0, 0.125, 0.25
      ]);
      expect(await storedValues(api, seriesKey('load', { host: 'p' }))).toEqual(
        Array.from({ length: 100 }, (_, i) => i / 8)
      );
    } finally {
      remote[releaseProxy]();
      channel.port1.close();
      channel.port2.close();
    }
  });

  it('re-importing the same file adds nothing', async () => {
    const api = engine();
    const worker = createImportWorkerApi({ store: api, defaults: small });
    const text = promText(2, 100) + '';
    await worker.importFile(fileOf('a.prom', text), { jobId: '1' });
    const events = eventsText(30);
    await worker.importFile(fileOf('e.ndjson', events), { jobId: '2' });
    const before = await api.counts();
    const again = await worker.importFile(fileOf('renamed.prom', text), { jobId: '3' });
    const againEvents = await worker.importFile(fileOf('e.ndjson', events), { jobId: '4' });
    expect(again.status).toBe('already-imported');
    expect(again.points).toBe(200);
    expect(again.alreadyStored).toBe(200);
    expect(again.message).toMatch(/^Nothing new \(200 points already stored\)/);
    expect(againEvents.status).toBe('already-imported');
    expect(await api.counts()).toEqual(before);
    expect(before.events).toBe(30);
  });

  it('says "nothing new" when a different file holds only stored points, and counts the new ones', async () => {
    const api = engine();
    const worker = createImportWorkerApi({ store: api, defaults: small });
    const first = await worker.importFile(fileOf('a.prom', promText(2, 100)), { jobId: '1' });
    expect(first).toMatchObject({ status: 'done', points: 200, added: 200, alreadyStored: 0 });
    expect(first.message).toBeUndefined();
    // The same samples in another order of lines: another file (another hash), same data.
    const shuffled = promText(2, 100).trim().split('\n');
    const again = [shuffled[0], ...shuffled.slice(1).reverse()].join('\n') + '\n';
    const before = await api.counts();
    const second = await worker.importFile(fileOf('b.prom', again), { jobId: '2' });
    expect(second).toMatchObject({ status: 'already-imported', points: 200, added: 0 });
    expect(second.alreadyStored).toBe(200);
    expect(second.message).toBe('Nothing new (200 points already stored).');
    expect(await api.counts()).toEqual(before);
    // Half old, half new, one old time with another value: stored, and said so.
    const mixed =
      promText(2, 200).replace(`load{host="h0"} 0 ${T0}`, `load{host="h0"} 7 ${T0}`).trim() + '\n';
    const third = await worker.importFile(fileOf('c.prom', mixed), { jobId: '3' });
    expect(third).toMatchObject({ status: 'done', points: 400, added: 200, alreadyStored: 200 });
    expect(third.changedValues).toBe(1);
    expect(third.message).toBe(
      '200 new points stored; 200 were already stored. 1 of them had another value in this file, which replaced the stored one.'
    );
    expect((await api.counts()).points).toBe(400);
  });

  it('resumes an interrupted import at its checkpoint without duplicates', async () => {
    const api = engine();
    const S = 4;
    const N = 2500;
    const text = promText(S, N);
    // The tab "closes" during the 4th commit: commits 1–3 are stored, the 4th never is.
    let stalled = false;
    const dying = createImportWorkerApi({
      store: interceptStore(api, (n) => (n >= 4 ? ((stalled = true), 'drop') : 'pass')),
      defaults: small
    });
    void dying.importFile(fileOf('big.prom', text), { jobId: 'x' });
    await expect.poll(() => stalled, { timeout: 30_000 }).toBe(true);
    const id = await hashFile(fileOf('big.prom', text));
    const cp = await api.importCheckpoint(id);
    expect(cp?.done).toBe(false);
    expect(cp!.offset).toBeGreaterThan(0);
    // What the checkpoint claims is exactly what is stored.
    expect((await api.counts()).points).toBe(cp!.points);
    expect(cp!.points).toBeGreaterThanOrEqual(3 * small.commitPoints);

    const worker = createImportWorkerApi({ store: api, defaults: small });
    const r = await worker.importFile(fileOf('big.prom', text), { jobId: 'y' });
    expect(r.status).toBe('done');
    expect(r.resumedFrom).toBe(cp!.offset);
    expect(r.points).toBe(S * N);
    // The store's counts go on from the checkpoint: every point new, none counted twice.
    expect(r).toMatchObject({ added: S * N, alreadyStored: 0 });
    expect((await api.counts()).points).toBe(S * N);
    const series = await api.listSeries();
    expect(series.map((s) => s.points)).toEqual(Array(S).fill(N));
    for (let s = 0; s < S; s++)
      expect(await storedValues(api, seriesKey('load', { host: `h${s}` }))).toEqual(
        Array.from({ length: N }, (_, i) => i * S + s)
      );
  });

  it('resumes result-log events without storing any twice', async () => {
    const api = engine();
    const N = 3000;
    const text = eventsText(N);
    let stalled = false;
    const dying = createImportWorkerApi({
      store: interceptStore(api, (n) => (n >= 3 ? ((stalled = true), 'drop') : 'pass')),
      defaults: { ...small, commitEvents: 400 }
    });
    void dying.importFile(fileOf('log.ndjson', text), { jobId: 'x' });
    await expect.poll(() => stalled, { timeout: 30_000 }).toBe(true);
    const stored = (await api.counts()).events;
    expect(stored).toBeGreaterThanOrEqual(800);
    expect(stored).toBeLessThan(N);
    const worker = createImportWorkerApi({ store: api, defaults: { ...small, commitEvents: 400 } });
    const r = await worker.importFile(fileOf('log.ndjson', text), { jobId: 'y' });
    expect(r.status).toBe('done');
    expect(r.events).toBe(N);
    expect((await api.counts()).events).toBe(N);
    const all = await api.recentEvents(N + 10);
    expect(new Set(all.map((e) => e.t)).size).toBe(N);
  });

  it('cancel stops between chunks, leaves a consistent checkpoint, and resume finishes', async () => {
    const api = engine();
    const S = 2;
    const N = 8000;
    const text = promText(S, N);
    const worker = createImportWorkerApi({
      store: interceptStore(api, (n) => {
        if (n === 2) worker.cancel('job');
        return 'pass';
      }),
      defaults: small
    });
    const r = await worker.importFile(fileOf('c.prom', text), { jobId: 'job' });
    expect(r.status).toBe('cancelled');
    expect(r.message).toMatch(/Cancelled at byte \d+/);
    const cp = await api.importCheckpoint(r.id);
    expect(cp).toMatchObject({ done: false, stopReason: 'cancelled' });
    expect(r.points).toBe(cp!.points);
    expect((await api.counts()).points).toBe(cp!.points);
    expect(cp!.points).toBeLessThan(S * N);
    // The cancelled import's byte offset is a line boundary of the file.
    expect(text[cp!.offset - 1]).toBe('\n');
    const done = await createImportWorkerApi({ store: api, defaults: small }).importFile(
      fileOf('c.prom', text),
      { jobId: 'again' }
    );
    expect(done.status).toBe('done');
    expect((await api.counts()).points).toBe(S * N);
  });

  it('reports malformed lines with file, line and byte offset', async () => {
    const api = engine();
    const lines = [
      '# TYPE up gauge',
      `up{job="a"} 1 ${T0}`,
      `up{job="a"} notanumber ${T0 + 1000}`,
      `up{job="a"} 3 ${T0 + 2000}`,
      `up{job="a" 4 ${T0 + 3000}`,
      `up{job="a"} 5 ${T0 + 4000}`
    ];
    const text = lines.join('\n') + '\n';
    const byteOf = (i: number) => enc.encode(lines.slice(0, i).join('\n') + '\n').length;
    const r = await createImportWorkerApi({ store: api }).importFile(fileOf('bad.prom', text), {
      jobId: 'e'
    });
    expect(r.status).toBe('done');
    expect(r.points).toBe(3);
    expect(r.errorCount).toBe(2);
    expect(r.errors.map((e) => [e.file, e.line, e.byte])).toEqual([
      ['bad.prom', 3, byteOf(2)],
      ['bad.prom', 5, byteOf(4)]
    ]);
    for (const e of r.errors) expect(e.message.length).toBeGreaterThan(5);
  });

  it('refuses an image, saying what was expected, and stores nothing', async () => {
    const api = engine();
    const png = new Uint8Array(2048);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const worker = createImportWorkerApi({ store: api });
    const look = await worker.inspectFile(fileOf('photo.png', png));
    expect(look.error?.code).toBe('not_metrics');
    expect(look.error?.message).toMatch(/PNG/);
    expect(look.error?.message).toMatch(/expected Prometheus text/);
    const r = await worker.importFile(fileOf('photo.png', png), { jobId: 'p' });
    expect(r.status).toBe('failed');
    expect(r.fatal?.code).toBe('not_metrics');
    expect(r.message).toMatch(/expected/);
    expect((await api.counts()).points).toBe(0);
  });

  it('stops at a limit with a clear message and keeps what was stored before it', async () => {
    const api = engine();
    const good = promText(1, 1000);
    const text = good + `up ${'9'.repeat(5000)}\n` + promText(1, 10);
    const r = await createImportWorkerApi({ store: api, defaults: small }).importFile(
      fileOf('long.prom', text),
      { jobId: 'l', limits: { maxLineBytes: 2048 } }
    );
    expect(r.status).toBe('failed');
    expect(r.fatal).toMatchObject({ code: 'line_too_long', byte: enc.encode(good).length });
    expect(r.message).toMatch(/byte/);
    const cp = await api.importCheckpoint(r.id);
    expect(cp!.done).toBe(false);
    expect(cp!.offset).toBeLessThanOrEqual(enc.encode(good).length);
    expect((await api.counts()).points).toBe(cp!.points);
  });

  it('a full disk stops the import with a typed error; earlier batches stay', async () => {
    const api = engine();
    const store = interceptStore(api, (n) => (n === 3 ? 'fail-storage' : 'pass'));
    const r = await createImportWorkerApi({ store, defaults: small }).importFile(
      fileOf('q.prom', promText(2, 5000)),
      { jobId: 'q' }
    );
    expect(r.status).toBe('failed');
    expect(r.fatal?.code).toBe('storage_full');
    expect(r.message).toMatch(/Storage is full/);
    const cp = await api.importCheckpoint(r.id);
    expect(cp!.points).toBeGreaterThan(0);
    expect((await api.counts()).points).toBe(cp!.points);
  });

  it('after a full disk refused even the stop reason, counts are exact again at once', async () => {
    // The engine answers counts() from its cache while an import looks active (a checkpoint
    // not done, without a stop reason, written lately); a full disk refuses the write that
    // says why the import stopped, so the engine itself must know the import ended.
    const name = `import-test-${k++}`;
    names.push(name);
    let refuseStop = false;
    const api = createEngineApi({
      openDb: async (cb) => {
        const db = await openDatabase(cb, { name });
        db.imports.hook('updating', (mods) => {
          if (refuseStop && 'stopReason' in mods)
            throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        });
        return db;
      },
      now: () => T0
    });
    let cached: ReturnType<typeof api.counts> | undefined;
    const store = interceptStore(api, (n) => {
      // Asked while the import runs (before its first commit: when a commit's transaction
      // starts relative to this read is up to IndexedDB's queue).
      if (n === 1) cached = api.counts();
      if (n === 3) refuseStop = true;
      return n === 3 ? 'fail-storage' : 'pass';
    });
    const r = await createImportWorkerApi({ store, defaults: small }).importFile(
      fileOf('q.prom', promText(2, 5000)),
      { jobId: 'q' }
    );
    expect(r.status).toBe('failed');
    const cp = await api.importCheckpoint(r.id);
    expect(cp!.stopReason).toBeUndefined(); // the disk refused it
    // Two commits stored; the answer asked during the import knew fewer points.
    expect((await cached!).points).toBeLessThan(cp!.points);
    expect(r.points).toBe(cp!.points);
    expect((await api.counts()).points).toBe(cp!.points);
  });

  it('the engine refuses the commits sent after one that failed, so no checkpoint covers a lost batch', async () => {
    const api = engine();
    const series = {
      name: 'load',
      labels: {},
      unit: '',
      kind: 'gauge' as const,
      source: 'import' as const,
      category: 'app' as const
    };
    const checkpoint = (offset: number) => ({
      id: 'file-1',
      name: 'f.prom',
      size: 300,
      format: 'prometheus',
      offset,
      rows: offset,
      points: offset,
      events: 0,
      errors: 0,
      done: false,
      startedAt: T0,
      updatedAt: T0
    });
    const batch = (t: number) => ({ series, t: Float64Array.of(t), v: Float64Array.of(1) });
    await api.saveImportCheckpoint(checkpoint(0));
    // Three commits sent at once, as the import worker does with commits in flight; the
    // second cannot be stored (an event that breaks the events table's schema).
    const sent = [
      api.commitImport({ checkpoint: checkpoint(100), batches: [batch(T0)], events: [] }),
      api.commitImport({
        checkpoint: checkpoint(200),
        batches: [batch(T0 + 1000)],
        events: [{ t: Symbol('not storable') } as unknown as ResultEvent]
      }),
      api.commitImport({ checkpoint: checkpoint(300), batches: [batch(T0 + 2000)], events: [] })
    ];
    const results = await Promise.allSettled(sent);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect((await api.importCheckpoint('file-1'))!.offset).toBe(100);
    expect((await api.counts()).points).toBe(1);
  });

  it('stops after too many malformed lines', async () => {
    const api = engine();
    const text = promText(1, 3000) + Array.from({ length: 3000 }, () => 'up{ 1\n').join('');
    const r = await createImportWorkerApi({ store: api, defaults: small }).importFile(
      fileOf('junk.prom', text),
      { jobId: 'j', stopAfterErrors: 10 }
    );
    expect(r.status).toBe('failed');
    expect(r.message).toMatch(/malformed lines/);
    // The clean part before the junk is stored and resumable.
    expect(r.points).toBe(3000);
    expect((await api.counts()).points).toBe(3000);
  });

  it('inspects a CSV with a column-mapping preview and imports with overrides', async () => {
    const api = engine();
    const rows = ['time,host,busy,mem'];
    for (let i = 0; i < 50; i++) rows.push(`${T0 + i * 1000},h${i % 2},${i},${i * 2}`);
    const file = fileOf('m.csv', rows.join('\n') + '\n');
    const worker = createImportWorkerApi({ store: api });
    const look = await worker.inspectFile(file);
    expect(look.format).toBe('csv');
    expect(look.csv?.header).toEqual(['time', 'host', 'busy', 'mem']);
    expect(look.csv?.mapping.columns.map((c) => c.role)).toEqual([
      'time',
      'label',
      'value',
      'value'
    ]);
    // Ignore `mem`: only busy series remain.
    const r = await worker.importFile(file, {
      jobId: 'c',
      csv: { roles: { time: 'time', host: 'label', busy: 'value', mem: 'ignored' } }
    });
    expect(r.status).toBe('done');
    expect(r.points).toBe(50);
    expect(r.series.map((s) => s.points).sort()).toEqual([25, 25]);
    expect(r.series.every((s) => s.name.includes('busy'))).toBe(true);
  });
});
