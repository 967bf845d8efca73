/**
 * RELIABILITY.md row 4 in the engine: a failed open is retried, what is readable can be
 * salvaged when Dexie cannot open, and only the typed phrase deletes and recreates the store.
 */
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type DbLifecycle } from '$lib/db/database';
import { ResetConfirmation, salvageDatabase } from '$lib/db/salvage';
import { createEngineApi } from '$lib/workers/engine/api';

let k = 0;
const names: string[] = [];
afterEach(async () => {
  for (const name of names.splice(0)) await Dexie.delete(name);
});

const kind = 'gauge' as const;
const series = {
  name: 'cpu',
  labels: {},
  unit: '',
  kind,
  source: 'api' as const,
  category: 'system' as const
};

/** An engine whose first `failures` opens fail with UnknownError, as a broken disk would. */
function engine(failures = 0) {
  const name = `recovery-test-${k++}`;
  names.push(name);
  let left = failures;
  let attempts = 0;
  const seen: DbLifecycle[] = [];
  const api = createEngineApi({
    openDb: async (cb) => {
      attempts++;
      if (left > 0) {
        left--;
        const error = new DOMException('Internal error opening backing store', 'UnknownError');
        cb({ kind: 'error', name: error.name, message: error.message });
        throw error;
      }
      return openDatabase(cb, { name });
    },
    rawDb: { indexedDB, name },
    now: () => Date.UTC(2026, 10, 23, 12)
  });
  api.onLifecycle((e) => seen.push(e));
  return { api, name, seen, attempts: () => attempts };
}

/** A second engine on `name` whose every open fails, as a damaged backing store's would. */
function brokenEngine(name: string) {
  return createEngineApi({
    openDb: async (cb) => {
      const error = new DOMException('Internal error opening backing store', 'UnknownError');
      cb({ kind: 'error', name: error.name, message: error.message });
      throw error;
    },
    rawDb: { indexedDB, name }
  });
}

/** Seeds a database through a working engine and closes its connection. */
async function seeded() {
  const first = engine();
  await first.api.init();
  await first.api.ingest([{ series, t: Float64Array.of(1000, 2000), v: Float64Array.of(0.5, 42) }]);
  await first.api.flush();
  return first.name;
}

/** The first chunk record's payload, read with the raw API. */
function readFirstChunk(name: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name);
    req.onsuccess = () => {
      const get = req.result.transaction('chunks').objectStore('chunks').openCursor();
      get.onsuccess = () => {
        resolve((get.result?.value as { data: Uint8Array }).data);
        req.result.close();
      };
      get.onerror = () => reject(get.error);
    };
  });
}

async function linesOf(blob: Blob): Promise<Record<string, unknown>[]> {
  return (await blob.text())
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('engine recovery', () => {
  it('retries a failed open instead of keeping the failure', async () => {
    const { api, attempts } = engine(2);
    expect(await api.init()).toMatchObject({ kind: 'error', name: 'UnknownError' });
    expect(await api.init()).toMatchObject({ kind: 'error', name: 'UnknownError' });
    expect(await api.init()).toEqual({ kind: 'open' });
    expect(attempts()).toBe(3);
    // Open now: calls work and the open is not repeated.
    await api.ingest([{ series, t: Float64Array.of(1000), v: Float64Array.of(1) }]);
    expect((await api.listSeries()).length).toBe(1);
    expect(attempts()).toBe(3);
  });

  it('salvages every store when the app cannot open it, typed arrays intact', async () => {
    const name = await seeded();
    const broken = brokenEngine(name);
    expect(await broken.init()).toMatchObject({ kind: 'error', name: 'UnknownError' });
    const result = await broken.salvage();
    expect(result.error).toBeUndefined();
    const lines = await linesOf(result.blob);
    expect(lines[0]).toMatchObject({ format: 'tidemark-salvage/1', db: name });
    expect(result.stores.map((s) => s.name)).toContain('series');
    expect(result.stores.every((s) => s.error === undefined)).toBe(true);
    const seriesLines = lines.filter((l) => l.store === 'series');
    expect(seriesLines).toHaveLength(1);
    expect((seriesLines[0].value as { name: string }).name).toBe('cpu');
    // Chunk payloads come back byte for byte.
    const chunks = lines.filter((l) => l.store === 'chunks');
    expect(chunks.length).toBeGreaterThan(0);
    const data = (chunks[0].value as { data: { $typed: string; base64: string } }).data;
    expect(data.$typed).toBe('Uint8Array');
    const stored = await readFirstChunk(name);
    expect(Buffer.from(data.base64, 'base64').equals(Buffer.from(stored))).toBe(true);
    const counted = result.stores.reduce((n, s) => n + s.records, 0);
    expect(counted).toBe(lines.length - 1);
  });

  it('salvages nothing, and creates nothing, when there is no database', async () => {
    const name = `recovery-absent-${k++}`;
    const result = await salvageDatabase({ indexedDB, name });
    expect(result.error).toMatch(/no database/);
    expect((await indexedDB.databases()).map((d) => d.name)).not.toContain(name);
  });

  it('resets only with the typed phrase, then opens a fresh empty store', async () => {
    const name = await seeded();
    let failing = true;
    const api = createEngineApi({
      openDb: async (cb) => {
        if (!failing) return openDatabase(cb, { name });
        cb({ kind: 'error', name: 'UnknownError', message: 'backing store' });
        throw new DOMException('backing store', 'UnknownError');
      },
      rawDb: { indexedDB, name }
    });
    expect(await api.init()).toMatchObject({ kind: 'error' });
    await expect(api.resetStore('yes')).rejects.toThrow(ResetConfirmation);
    // Still all there after a wrong phrase.
    expect((await api.salvage()).stores.find((s) => s.name === 'series')?.records).toBe(1);
    failing = false;
    expect(await api.resetStore(ResetConfirmation)).toEqual({ kind: 'open' });
    expect(await api.listSeries()).toEqual([]);
    expect((await api.salvage()).stores.find((s) => s.name === 'series')?.records).toBe(0);
  });
});
