import { expect, test } from '@playwright/test';
import { waitForStore } from './helpers';

test('an old tab is told when a newer version opens the database, and the new one does not hang', async ({
  context
}) => {
  const old = await context.newPage();
  await old.goto('/');
  await waitForStore(old);
  const newer = await context.newPage();
  await newer.goto('/manifest.webmanifest');
  // A newer build opens the same database at a higher version with an extra store.
  const outcome = await newer.evaluate(
    () =>
      new Promise<string>((resolve) => {
        const timer = setTimeout(() => resolve('hung'), 5000);
        const req = indexedDB.open('tidemark', 10_000);
        req.onupgradeneeded = () => req.result.createObjectStore('future');
        req.onblocked = () => resolve('blocked');
        req.onsuccess = () => {
          clearTimeout(timer);
          req.result.close();
          resolve('opened');
        };
        req.onerror = () => resolve(`error ${req.error?.name}`);
      })
  );
  expect(outcome).toBe('opened');
  await expect(old.getByTestId('versionchange-banner')).toBeVisible();
  await expect(old.getByTestId('versionchange-banner')).toContainText('Reload');
  // The old tab, reloaded, opens the newer database without trouble.
  await old.reload();
  await waitForStore(old);
});

test('a new tab says it is blocked while an old connection stays open', async ({ context }) => {
  const holder = await context.newPage();
  await holder.goto('/manifest.webmanifest');
  // An old version (1) that never closes on versionchange, like a stale tab of an old build.
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

test('a newer version whose upgrade fails halfway leaves the old data and the old version working', async ({
  context
}) => {
  const old = await context.newPage();
  await old.goto('/');
  await waitForStore(old);
  await old.evaluate(async () => {
    type Engine = { ingest(b: unknown[]): Promise<unknown>; flush(): Promise<void> };
    const engine = (globalThis as { tidemarkEngine?: Engine }).tidemarkEngine!;
    const t = Date.now();
    const series = { name: 'upgrade_probe', labels: {}, unit: '', kind: 'gauge', source: 'api' };
    await engine.ingest([
      {
        series: { ...series, category: 'system' },
        t: Float64Array.of(t - 1000, t),
        v: Float64Array.of(1, 2)
      }
    ]);
    await engine.flush();
  });
  await expect(old.locator('header.bar')).toContainText('1 series');

  // The newer version's upgrade empties a store, adds one, then fails before it finishes.
  const newer = await context.newPage();
  await newer.goto('/manifest.webmanifest');
  const outcome = await newer.evaluate(
    () =>
      new Promise<string>((resolve) => {
        const probe = indexedDB.open('tidemark');
        probe.onsuccess = () => {
          const version = probe.result.version;
          probe.result.close();
          const req = indexedDB.open('tidemark', version + 10);
          req.onupgradeneeded = () => {
            const tx = req.transaction!;
            tx.objectStore('series').clear();
            tx.objectStore('chunks').clear();
            req.result.createObjectStore('future');
            // Halfway: the migration meets data it cannot handle.
            tx.abort();
          };
          req.onsuccess = () => resolve('opened');
          req.onerror = () => resolve(`error ${req.error?.name}`);
          req.onblocked = () => resolve('blocked');
        };
      })
  );
  expect(outcome).toBe('error AbortError');
  // The old tab was asked to close for the upgrade and says so; reloaded, it has its data.
  await expect(old.getByTestId('versionchange-banner')).toBeVisible();
  await old.reload();
  await waitForStore(old);
  await expect(old.locator('header.bar')).toContainText('1 series');
  const names = await old.evaluate(async () => {
    type Engine = { listSeries(): Promise<{ name: string }[]> };
    const engine = (globalThis as { tidemarkEngine?: Engine }).tidemarkEngine!;
    return (await engine.listSeries()).map((s) => s.name);
  });
  expect(names).toEqual(['upgrade_probe']);
  const stores = await newer.evaluate(
    () =>
      new Promise<string[]>((resolve) => {
        const req = indexedDB.open('tidemark');
        req.onsuccess = () => {
          resolve([...req.result.objectStoreNames]);
          req.result.close();
        };
      })
  );
  expect(stores).not.toContain('future');
});
