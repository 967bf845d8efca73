/**
 * RELIABILITY.md row 7: a schema upgrade with an old tab open. Build A is the site under
 * test; build B is a second real build made with TIDEMARK_UPGRADE_TEST=1, which compiles in
 * one more database version (src/lib/db/test-upgrade.ts: a new store, a new index, every
 * chunk rewritten). A static server serves A, a tab of A imports a real capture, then the
 * server is swapped to B and B opens in a second tab while A's is still open:
 * - B upgrades, A's tab closes its database and asks to reload, and every point is intact;
 * - when the data holds what B's migration cannot convert, the upgrade fails halfway (after
 *   clearing the chunks), IndexedDB undoes it, the database stays at A's version with all of
 *   A's data, B's tab explains on the recovery screen, and A opened again reads everything.
 * The service worker is blocked so that each page load gets what the server has now.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { BuildA, buildVariant, Root, serveBuilds, type Build, type Site } from './builds';
import { waitForStore } from './helpers';
import { UnconvertibleSeries, UpgradeLogStore } from '../../src/lib/db/test-upgrade';

test.use({ serviceWorkers: 'block' });

/** A loaded machine: opening, importing and upgrading get a minute each. */
const Slow = { timeout: 60_000 };

let buildB: Build;
let site: Site;

test.beforeAll(async () => {
  test.setTimeout(600_000);
  buildB = await buildVariant({
    name: 'upgrade',
    version: 'upgrade-test-b',
    env: { TIDEMARK_UPGRADE_TEST: '1' }
  });
  site = await serveBuilds(BuildA);
});

test.afterAll(async () => {
  await site?.close();
  buildB?.remove();
});

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}

const holding = (dir: string, text: string) =>
  filesUnder(dir).filter((f) => readFileSync(f, 'latin1').includes(text));

/**
 * A real capture (promtool 2.42 `tsdb dump`, tests/fixtures/real) moved to end a minute ago,
 * inside raw retention; `extra` adds lines of other series at its last timestamp.
 */
function capture(extra: string[] = []): {
  file: { name: string; mimeType: string; buffer: Buffer };
  points: number;
  series: number;
} {
  const lines = readFileSync(
    path.join(Root, 'tests/fixtures/real/promtool-2.42-tsdb-dump.txt'),
    'utf8'
  )
    .split('\n')
    .filter((l) => l.trim() !== '');
  const stamp = (l: string) => Number(l.slice(l.lastIndexOf(' ') + 1));
  const last = Math.max(...lines.map(stamp));
  const shift = Date.now() - 60_000 - last;
  const moved = lines.map((l) => `${l.slice(0, l.lastIndexOf(' '))} ${stamp(l) + shift}`);
  const all = [...moved, ...extra.map((l) => `${l} ${last + shift}`)];
  return {
    file: { name: 'dump.txt', mimeType: 'text/plain', buffer: Buffer.from(all.join('\n') + '\n') },
    points: all.length,
    series: new Set(all.map((l) => l.slice(0, l.indexOf('}')))).size
  };
}

async function ready(page: Page): Promise<void> {
  await expect(page.getByTestId('db-status')).toContainText('ready', Slow);
}

/** Imports `file` through the Import page, as a user does. */
async function importThroughPage(page: Page, file: ReturnType<typeof capture>['file']) {
  await page.goto(site.origin + '/import');
  await ready(page);
  await page.getByTestId('file-input').setInputFiles(file);
  await expect(page.getByTestId('import-job').first()).toHaveAttribute('data-status', 'done', Slow);
}

type Engine = {
  listSeries(): Promise<{ id: number; key: string }[]>;
  readRaw(id: number, from: number, to: number): Promise<{ t: Float64Array; v: Float64Array }>;
  counts(): Promise<{ series: number; points: number }>;
};

/** Every series with its points' count, sum and time span, read through the page's engine. */
function digest(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const engine = (globalThis as unknown as { tidemarkEngine: Engine }).tidemarkEngine;
    const out: string[] = [];
    for (const s of await engine.listSeries()) {
      const raw = await engine.readRaw(s.id, 0, Number.MAX_SAFE_INTEGER);
      const sum = raw.v.reduce((a, b) => a + b, 0);
      out.push(`${s.key} n=${raw.t.length} sum=${sum} ${raw.t[0]}..${raw.t.at(-1)}`);
    }
    return out.sort();
  });
}

/** The engine's stored totals; rejects with the engine's error when the store is not open. */
function counts(page: Page): Promise<{ series: number; points: number }> {
  return page.evaluate(() =>
    (globalThis as unknown as { tidemarkEngine: Engine }).tidemarkEngine.counts()
  );
}

/**
 * The database as IndexedDB holds it, read without the app: version, stores, record counts.
 * (`series` and `chunks` change only by imports and retention here; others, such as rollups,
 * by the leader's background work at any time.)
 */
function stored(page: Page): Promise<{
  version: number;
  stores: string[];
  records: Record<string, number>;
}> {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const req = indexedDB.open('tidemark');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const db = req.result;
          const stores = [...db.objectStoreNames];
          const tx = db.transaction(stores);
          const records: Record<string, number> = {};
          for (const name of stores) {
            const c = tx.objectStore(name).count();
            c.onsuccess = () => (records[name] = c.result);
          }
          tx.oncomplete = () => {
            db.close();
            resolve({ version: db.version, stores, records });
          };
        };
      })
  );
}

test('only build B carries the test upgrade: the build constant is off in the normal build', () => {
  for (const mark of [UnconvertibleSeries, UpgradeLogStore]) {
    expect(holding(BuildA, mark)).toEqual([]);
    expect(holding(buildB.dir, mark).length).toBeGreaterThan(0);
  }
});

test('a new build upgrades the store with an old tab open: the old tab closes and asks to reload, every point kept', async ({
  context
}) => {
  test.setTimeout(300_000);
  site.use(BuildA);
  const { file, points, series } = capture();
  const old = await context.newPage();
  await importThroughPage(old, file);
  expect(await counts(old)).toMatchObject({ series, points });
  const before = await digest(old);
  const versionA = (await stored(old)).version;

  // The deploy; B opens while A's tab still has the database open.
  site.use(buildB.dir);
  const newer = await context.newPage();
  await newer.goto(site.origin + '/');
  await ready(newer);
  await expect(newer.getByTestId('blocked-banner')).toHaveCount(0);
  await expect(old.getByTestId('versionchange-banner')).toBeVisible(Slow);
  await expect(old.getByTestId('versionchange-banner')).toContainText('Reload');
  // The old tab really let go of its connection: its engine no longer reads.
  await expect(counts(old)).rejects.toThrow(/closed/i);

  // B's migration ran over the data and kept every point.
  const after = await stored(newer);
  expect(after.version).toBe(versionA + 10);
  expect(after.records[UpgradeLogStore]).toBe(series);
  expect(await counts(newer)).toMatchObject({ series, points });
  expect(await digest(newer)).toEqual(before);

  // The old tab's own Reload brings it to B, with the same data.
  await Promise.all([
    old.waitForEvent('load', Slow),
    old.getByTestId('versionchange-banner').getByRole('button', { name: 'Reload' }).click()
  ]);
  await ready(old);
  await expect(old.getByTestId('versionchange-banner')).toHaveCount(0);
  expect(await digest(old)).toEqual(before);
});

test('a new build whose upgrade fails halfway: undone, the old version and all its data kept, the new tab explains', async ({
  context
}) => {
  test.setTimeout(300_000);
  site.use(BuildA);
  const { file, points, series } = capture([
    `{__name__="${UnconvertibleSeries}", instance="127.0.0.1:19090", job="prometheus"} 1`
  ]);
  const old = await context.newPage();
  await importThroughPage(old, file);
  expect(await counts(old)).toMatchObject({ series, points });
  const before = await digest(old);
  const storedA = await stored(old);
  const kept = (s: Awaited<ReturnType<typeof stored>>) => ({
    version: s.version,
    stores: s.stores,
    series: s.records.series,
    chunks: s.records.chunks
  });
  expect(kept(storedA).chunks).toBeGreaterThan(0);

  site.use(buildB.dir);
  const newer = await context.newPage();
  await newer.goto(site.origin + '/');
  // Not blank, not an empty store: the recovery screen says what happened.
  const recovery = newer.getByTestId('db-error-banner');
  await expect(recovery).toBeVisible(Slow);
  await expect(recovery).toContainText('could not upgrade the local database');
  await expect(newer.getByTestId('db-upgrade-failed')).toContainText(
    `from version ${storedA.version / 10} to ${storedA.version / 10 + 1}`
  );
  await expect(newer.getByTestId('db-upgrade-failed')).toContainText('nothing was deleted');
  await expect(newer.getByTestId('db-error-reason')).toContainText('cannot convert the series');
  await expect(newer.getByTestId('db-status')).not.toContainText('ready');
  // A's tab closed its database for the upgrade and says so.
  await expect(old.getByTestId('versionchange-banner')).toBeVisible(Slow);

  // The upgrade had cleared every chunk before it failed: IndexedDB undid all of it.
  expect(kept(await stored(newer))).toEqual(kept(storedA));
  expect(storedA.stores).not.toContain(UpgradeLogStore);

  // "Try again" runs the upgrade once more; it fails the same way and still keeps the data.
  await newer.getByTestId('db-retry').click();
  await expect(newer.getByTestId('db-retry-count')).toContainText('Tried again 1 time', Slow);
  expect(kept(await stored(newer))).toEqual(kept(storedA));

  // The deploy is rolled back: A opened again reads everything.
  site.use(BuildA);
  await old.reload();
  await ready(old);
  await expect(old.getByTestId('versionchange-banner')).toHaveCount(0);
  expect(await digest(old)).toEqual(before);

  // B's tab, still open, does not retry the upgrade behind the user's back: its calls fail
  // at once, and A's tab keeps its database open (a retry would have closed it first).
  await expect(counts(newer)).rejects.toThrow(/cannot convert the series/);
  expect(await counts(old)).toMatchObject({ series, points });
  await expect(old.getByTestId('versionchange-banner')).toHaveCount(0);
});

test('a new tab says it is blocked while an old connection stays open', async ({ context }) => {
  // A stale connection of a build that predates versionchange handling (every Tidemark build
  // closes on versionchange, so this one is made by hand): the app's open waits on it.
  const holder = await context.newPage();
  await holder.goto('/manifest.webmanifest');
  await holder.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const req = indexedDB.open('tidemark', 1);
        req.onsuccess = () => {
          (globalThis as unknown as { held: IDBDatabase }).held = req.result;
          resolve();
        };
      })
  );
  const page = await context.newPage();
  await page.goto('/');
  await expect(page.getByTestId('blocked-banner')).toBeVisible({ timeout: 5000 });
  await expect(page.getByTestId('db-status')).toContainText('blocked');
  // Once the old connection goes away, the new tab carries on by itself.
  await holder.evaluate(() => (globalThis as unknown as { held: IDBDatabase }).held.close());
  await waitForStore(page);
  await expect(page.getByTestId('blocked-banner')).toHaveCount(0);
});
