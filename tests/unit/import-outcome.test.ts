import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { readFileSync } from 'node:fs';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '$lib/db/database';
import { writeBundleNdjson, writeBundleZip } from '$lib/export/bundle';
import type { PointBatch, SeriesDescriptor } from '$lib/types';
import { createEngineApi } from '$lib/workers/engine/api';
import { createImportWorkerApi, type ImportFile } from '$lib/workers/import-api';

const T0 = 1_700_000_000_000;
const enc = new TextEncoder();
let k = 0;
const names: string[] = [];
function engine() {
  const name = `import-outcome-${k++}`;
  names.push(name);
  return createEngineApi({ openDb: (cb) => openDatabase(cb, { name }), now: () => T0 });
}
afterEach(async () => {
  for (const name of names.splice(0)) await Dexie.delete(name);
});

function fileOf(name: string, content: string | Uint8Array): ImportFile {
  const bytes = typeof content === 'string' ? enc.encode(content) : content;
  const file = new File([bytes as Uint8Array<ArrayBuffer>], name, { lastModified: T0 });
  return {
    name,
    size: file.size,
    lastModified: T0,
    slice: (a, b) => file.slice(a, b),
    stream: () => file.stream()
  };
}

const series = (name: string): SeriesDescriptor => ({
  name,
  labels: { host: 'a' },
  unit: '',
  kind: 'gauge',
  source: 'import',
  category: 'system'
});
const batch = (name: string, n: number): PointBatch => ({
  series: series(name),
  t: Float64Array.from({ length: n }, (_, i) => T0 + i * 1000),
  v: Float64Array.from({ length: n }, (_, i) => i)
});
const content = { series: [batch('cpu', 40), batch('mem', 30)], events: [], createdAt: T0 };

describe('honest import outcomes', () => {
  it('a file that yields no points is a failure with its reason, never "done"', async () => {
    const api = engine();
    const worker = createImportWorkerApi({ store: api });
    const r = await worker.importFile(fileOf('bad.prom', 'up{job="x" 1\nup{ 2\n'), { jobId: 'a' });
    expect(r.status).toBe('failed');
    expect(r.fatal?.code).toBe('no_data');
    expect(r.message).toMatch(/^Nothing imported: all 2 data lines .* had problems/);
    expect(r.message).toMatch(/line 1/);
  });

  it('an empty file and a file of comments only say so', async () => {
    const worker = createImportWorkerApi({ store: engine() });
    const empty = await worker.importFile(fileOf('e.prom', ''), { jobId: 'e' });
    expect(empty.status).toBe('failed');
    expect(empty.message).toBe('Nothing imported: the file is empty.');
    const comments = await worker.importFile(fileOf('c.prom', '# HELP up x\n# TYPE up gauge\n'), {
      jobId: 'c'
    });
    expect(comments.status).toBe('failed');
    expect(comments.message).toMatch(/no samples found in the file read as Prometheus text/);
  });

  it('a file with some bad lines is "imported with N problems"', async () => {
    const worker = createImportWorkerApi({ store: engine() });
    const r = await worker.importFile(
      fileOf('m.prom', 'up 1 1700000000000\nup{ 2\nup 3 1700000001000\n'),
      {
        jobId: 'm'
      }
    );
    expect(r.status).toBe('done');
    expect(r.points).toBe(2);
    expect(r.message).toMatch(/^Imported with 1 problem:/);
  });

  it('a whole bundle restores; one cut at a line boundary is refused with the counts', async () => {
    const text = writeBundleNdjson(content);
    const whole = await createImportWorkerApi({ store: engine() }).importFile(
      fileOf('b.ndjson', text),
      { jobId: 'w' }
    );
    expect(whole.status).toBe('done');
    expect(whole.points).toBe(70);
    const lines = text.split('\n').filter((l) => l !== '');
    const cut = lines.slice(0, -1).join('\n') + '\n';
    const r = await createImportWorkerApi({ store: engine() }).importFile(fileOf('b.ndjson', cut), {
      jobId: 'c'
    });
    expect(r.status).toBe('failed');
    expect(r.fatal?.code).toBe('bad_bundle');
    expect(r.message).toMatch(/incomplete bundle: it holds 1 of 2 series, 40 of 70 points/);
  });

  it('a bundle zip missing an entry is refused with the counts', async () => {
    const entries = unzipSync(writeBundleZip(content));
    delete entries['series.ndjson'];
    const zip = zipSync({ ...entries, 'note.txt': strToU8('x') });
    const r = await createImportWorkerApi({ store: engine() }).importFile(fileOf('b.zip', zip), {
      jobId: 'z'
    });
    expect(r.status).toBe('failed');
    expect(r.message).toMatch(/incomplete bundle: it holds 0 of 2 series, 0 of 70 points/);
  });

  it('a Parquet file imports through its record rows', async () => {
    const bytes = new Uint8Array(
      readFileSync(
        new URL('../fixtures/real/duckdb-1.5-copy-format-parquet.parquet', import.meta.url)
      )
    );
    const worker = createImportWorkerApi({ store: engine() });
    expect((await worker.inspectFile(fileOf('m.parquet', bytes))).format).toBe('parquet');
    const r = await worker.importFile(fileOf('m.parquet', bytes), { jobId: 'q' });
    expect(r.status).toBe('done');
    expect(r.format).toBe('parquet');
    expect(r.points).toBe(84);
    expect(r.series).toHaveLength(21);
  });
});
