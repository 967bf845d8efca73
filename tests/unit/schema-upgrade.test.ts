/**
 * RELIABILITY.md row 7 in Node (fake-indexeddb): the test-only upgrade that the second build
 * of tests/e2e/upgrade.spec.ts carries, run against a store the app wrote. It upgrades data
 * it can convert, and when it fails halfway the version-change transaction is undone — the
 * version, the stores and every chunk stay as they were — and the failure is reported as a
 * failed upgrade, which the engine does not retry until asked.
 */
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, openWired, TidemarkDb, type DbLifecycle } from '$lib/db/database';
import { declareTestUpgrade, UnconvertibleSeries, UpgradeLogStore } from '$lib/db/test-upgrade';
import { createEngineApi } from '$lib/workers/engine/api';

let k = 0;
const names: string[] = [];
afterEach(async () => {
  for (const name of names.splice(0)) await Dexie.delete(name);
});

const seriesNamed = (name: string) => ({
  name,
  labels: { host: 'a' },
  unit: '',
  kind: 'gauge' as const,
  source: 'api' as const,
  category: 'system' as const
});

/** A store written by the app's engine (the version before the test upgrade). */
async function seeded(seriesNames: string[]) {
  const name = `schema-upgrade-${k++}`;
  names.push(name);
  const seen: DbLifecycle[] = [];
  const api = createEngineApi({
    openDb: (cb) => openDatabase(cb, { name }),
    rawDb: { indexedDB, name },
    now: () => Date.UTC(2026, 11, 8, 12)
  });
  api.onLifecycle((e) => seen.push(e));
  await api.init();
  await api.ingest(
    seriesNames.map((n, i) => ({
      series: seriesNamed(n),
      t: Float64Array.from({ length: 500 }, (_, j) => 1_000 + j * 1_000),
      v: Float64Array.from({ length: 500 }, (_, j) => i * 1_000 + j)
    }))
  );
  await api.flush();
  return { name, api, seen };
}

/** The database as IndexedDB holds it: native version, stores, every record of two stores. */
function snapshot(name: string): Promise<{
  version: number;
  stores: string[];
  seriesIndexes: string[];
  chunks: unknown[];
  series: unknown[];
}> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name);
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const db = req.result;
      const tx = db.transaction(['chunks', 'series']);
      const chunks = tx.objectStore('chunks').getAll();
      const series = tx.objectStore('series').getAll();
      const seriesIndexes = [...tx.objectStore('series').indexNames];
      tx.oncomplete = () => {
        resolve({
          version: db.version,
          stores: [...db.objectStoreNames],
          seriesIndexes,
          chunks: chunks.result,
          series: series.result
        });
        db.close();
      };
    };
  });
}

/** Opens `name` at the app's version plus the test upgrade, as the second build does. */
async function openUpgraded(name: string) {
  const seen: DbLifecycle[] = [];
  const db = new TidemarkDb({ name });
  declareTestUpgrade(db);
  const opened = openWired(db, (e) => seen.push(e), indexedDB);
  return { opened, seen, db };
}

describe('schema upgrade (test build)', () => {
  it('converts the data it can, keeping every chunk, and the old connection is told', async () => {
    const old = await seeded(['cpu', 'mem']);
    const before = await snapshot(old.name);
    expect(before.chunks.length).toBeGreaterThan(0);
    const { opened, seen, db } = await openUpgraded(old.name);
    await opened;
    db.close();
    expect(seen.at(-1)).toEqual({ kind: 'open' });
    expect(old.seen.at(-1)).toMatchObject({
      kind: 'versionchange',
      newVersion: before.version + 10
    });
    const after = await snapshot(old.name);
    expect(after.version).toBe(before.version + 10);
    expect(after.stores).toContain(UpgradeLogStore);
    expect(after.seriesIndexes).toContain('unit');
    expect(after.chunks).toEqual(before.chunks);
    expect(after.series).toEqual(before.series);
  });

  it('a failed upgrade is undone and reported as one; the old version reads everything', async () => {
    const old = await seeded(['cpu', UnconvertibleSeries, 'mem']);
    const before = await snapshot(old.name);
    const { opened, seen } = await openUpgraded(old.name);
    await expect(opened).rejects.toThrow(/cannot convert the series/);
    expect(seen.at(-1)).toMatchObject({
      kind: 'error',
      upgrade: { from: before.version / 10, to: before.version / 10 + 1 }
    });
    // The upgrade had cleared the chunks and written its log: none of it stayed.
    const after = await snapshot(old.name);
    expect(after.version).toBe(before.version);
    expect(after.stores).toEqual(before.stores);
    expect(after.stores).not.toContain(UpgradeLogStore);
    expect(after.seriesIndexes).not.toContain('unit');
    expect(after.chunks).toEqual(before.chunks);
    expect(after.series).toEqual(before.series);
    // The app's own version opens it again and reads every point.
    const again = createEngineApi({
      openDb: (cb) => openDatabase(cb, { name: old.name }),
      rawDb: { indexedDB, name: old.name }
    });
    expect(await again.init()).toEqual({ kind: 'open' });
    const series = await again.listSeries();
    expect(series.map((s) => s.name).sort()).toEqual(['cpu', 'mem', UnconvertibleSeries].sort());
    for (const s of series) {
      expect((await again.readRaw(s.id!, 0, Infinity)).t.length).toBe(500);
    }
  });

  it('a store that is not being upgraded reports no upgrade when it fails', async () => {
    const old = await seeded(['cpu']);
    const seen: DbLifecycle[] = [];
    // The app's version over a store already at it: an open failure, not an upgrade.
    const broken = new TidemarkDb({ name: old.name, indexedDB: failingFactory() });
    await expect(openWired(broken, (e) => seen.push(e), indexedDB)).rejects.toThrow();
    expect(seen.at(-1)).toMatchObject({ kind: 'error', name: 'UnknownError' });
    expect(seen.at(-1)).not.toHaveProperty('upgrade');
  });
});

/** An IDBFactory whose every versioned open fails with UnknownError (a damaged store). */
function failingFactory(): IDBFactory {
  return new Proxy(indexedDB, {
    get(target, prop) {
      if (prop !== 'open') return Reflect.get(target, prop).bind(target);
      return () => {
        const req = {
          error: new DOMException('Internal error opening backing store', 'UnknownError'),
          onerror: null as ((e: unknown) => void) | null
        };
        setTimeout(() => req.onerror?.({ target: req, preventDefault() {} }));
        return req;
      };
    }
  });
}

describe('engine after a failed upgrade', () => {
  it('keeps the failure until the user asks again, so other tabs are not closed each call', async () => {
    let attempts = 0;
    const api = createEngineApi({
      openDb: async (cb) => {
        attempts++;
        const error = new Error('the upgrade cannot convert the series x');
        cb({
          kind: 'error',
          name: error.name,
          message: error.message,
          upgrade: { from: 6, to: 7 }
        });
        throw error;
      },
      rawDb: { indexedDB, name: `schema-upgrade-${k++}` }
    });
    expect(await api.init()).toMatchObject({ kind: 'error', upgrade: { from: 6, to: 7 } });
    await expect(api.listSeries()).rejects.toThrow(/cannot convert/);
    await expect(api.counts()).rejects.toThrow(/cannot convert/);
    expect(attempts).toBe(1);
    // "Try again" on the recovery screen.
    expect(await api.init()).toMatchObject({ kind: 'error' });
    expect(attempts).toBe(2);
  });
});
