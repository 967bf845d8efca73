import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '$lib/db/database';
import { generateDemoData } from '$lib/demo/generate';
import { createEngineApi } from '$lib/workers/engine/api';
import type { ExportSpec } from '$lib/export/types';
import { encryptArchive } from '$lib/export/crypto';
import {
  createImportWorkerApi,
  type ImportFile,
  type ImportProgress
} from '$lib/workers/import-api';

const NOW = Date.UTC(2026, 10, 23, 12);
let k = 0;
const names: string[] = [];
function engine() {
  const name = `export-import-${k++}`;
  names.push(name);
  return createEngineApi({ openDb: (cb) => openDatabase(cb, { name }), now: () => NOW });
}
afterEach(async () => {
  for (const name of names.splice(0)) await Dexie.delete(name);
});

function asImportFile(blob: Blob, name: string): ImportFile {
  const file = new File([blob], name, { lastModified: NOW });
  return {
    name,
    size: file.size,
    lastModified: NOW,
    slice: (a, b) => file.slice(a, b),
    stream: () => file.stream()
  };
}

/** A small slice of the demo day: three series, an hour of points, and the events. */
async function source() {
  const api = engine();
  await api.init();
  const demo = generateDemoData({ end: NOW });
  const batches = demo.batches.slice(0, 3).map((b) => {
    const keep = b.t.findIndex((t) => t >= NOW - 3_600_000);
    return { ...b, t: b.t.slice(keep), v: b.v.slice(keep) };
  });
  await api.ingest(batches);
  await api.ingestEvents(demo.events.slice(0, 200));
  return { api, batches, events: demo.events.slice(0, 200) };
}

const spec = (patch: Partial<ExportSpec>): ExportSpec => ({
  jobId: 'e',
  format: 'bundle-zip',
  from: NOW - 2 * 86_400_000,
  to: NOW,
  seriesIds: [],
  resolution: 'raw',
  aggregates: [],
  events: 'raw',
  pii: { ids: 'keep', errorMessage: 'keep', context: 'keep' },
  k: 5,
  groupBy: [],
  outliers: false,
  anomalies: false,
  insights: false,
  sparklines: false,
  ...patch
});

describe('encrypted export → import on a fresh store', () => {
  it('asks for the password, refuses a wrong one without storing anything, restores with the right one', async () => {
    const { api, batches, events } = await source();
    const ids = (await api.listSeries()).map((s) => s.id);
    const out = await api.runExport(
      spec({ seriesIds: ids, password: 'tide mark', iterations: 100_000 })
    );
    const file = asImportFile(out.files[0].blob, out.files[0].name);

    const fresh = engine();
    await fresh.init();
    const importer = createImportWorkerApi({ store: fresh });
    const seen = await importer.inspectFile(file);
    expect(seen.encrypted).toBe(true);
    expect(seen.error).toBeUndefined();

    await expect(importer.importFile(file, { jobId: 'a' })).rejects.toThrow(/enter its password/);
    await expect(importer.importFile(file, { jobId: 'b', password: 'wrong' })).rejects.toThrow(
      /Wrong password/
    );
    expect(await fresh.counts()).toMatchObject({ series: 0, points: 0, events: 0 });
    expect(await fresh.listImports()).toEqual([]);

    const r = await importer.importFile(file, { jobId: 'c', password: 'tide mark' });
    expect(r.status).toBe('done');
    expect(r.format).toBe('tidemark-bundle');
    const counts = await fresh.counts();
    expect(counts.series).toBe(batches.length);
    expect(counts.points).toBe(batches.reduce((s, b) => s + b.t.length, 0));
    expect(counts.events).toBe(events.length);
    // The password is not kept with the import's checkpoint.
    expect(JSON.stringify(await fresh.listImports())).not.toContain('tide mark');
  });

  it('reports decryption progress, and a cancel while decrypting stores nothing and can start again', async () => {
    const { api, batches } = await source();
    const ids = (await api.listSeries()).map((s) => s.id);
    const out = await api.runExport(spec({ seriesIds: ids, format: 'bundle-ndjson' }));
    // Small chunks so the archive has many, and the cancel lands between two of them.
    const sealed = await encryptArchive(out.files[0].blob, {
      password: 'pw',
      iterations: 100_000,
      chunkBytes: 1024
    });
    const file = asImportFile(sealed, 'bundle.ndjson.tmenc');
    const fresh = engine();
    await fresh.init();
    const importer = createImportWorkerApi({ store: fresh, defaults: { progressMs: 0 } });

    const seen: ImportProgress[] = [];
    const cancelled = await importer.importFile(file, { jobId: 'x', password: 'pw' }, (p) => {
      seen.push(p);
      if (p.phase === 'decrypting' && p.bytes > 4096) importer.cancel('x');
    });
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.message).toMatch(/Decryption was cancelled; nothing was imported/);
    expect(seen[0]).toMatchObject({ phase: 'decrypting', bytes: 0, totalBytes: sealed.size });
    expect(seen.every((p) => p.phase === 'decrypting' && p.totalBytes === sealed.size)).toBe(true);
    const done = seen.map((p) => p.bytes);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(done.at(-1)).toBeLessThan(sealed.size);
    expect(await fresh.counts()).toMatchObject({ series: 0, points: 0, events: 0 });
    expect(await fresh.listImports()).toEqual([]);

    const phases = new Set<string>();
    const r = await importer.importFile(file, { jobId: 'y', password: 'pw' }, (p) =>
      phases.add(p.phase)
    );
    expect(r.status).toBe('done');
    expect(phases.has('decrypting')).toBe(true);
    expect(phases.has('done')).toBe(true);
    expect((await fresh.counts()).points).toBe(batches.reduce((s, b) => s + b.t.length, 0));
  });
});
