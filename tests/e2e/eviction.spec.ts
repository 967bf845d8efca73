/**
 * RELIABILITY.md row 5: storage that is not persistent, then evicted. The browser declines
 * `persist()` (as Chromium does for a site without engagement); the app asks after the first
 * import, says in Settings that storage is not persistent and when the last backup was made,
 * and after the database vanishes behind its back it notices the empty store and guides a
 * re-import of that backup — which brings the data back.
 */
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { waitForStore } from './helpers';

test.beforeEach(async ({ context }) => {
  await context.addInitScript(() => {
    const calls: number[] = [];
    (globalThis as { persistCalls?: number[] }).persistCalls = calls;
    const storage = navigator.storage;
    storage.persist = async () => {
      calls.push(Date.now());
      return false;
    };
    storage.persisted = async () => false;
  });
});

/** A small Prometheus file with recent timestamps (inside the export's default range). */
function probeFile(): { name: string; mimeType: string; buffer: Buffer } {
  const now = Date.now();
  const lines = [0, 1, 2].map((i) => `evict_probe{host="a"} ${i + 1} ${now - (3 - i) * 60_000}`);
  return {
    name: 'probe.prom',
    mimeType: 'text/plain',
    buffer: Buffer.from(lines.join('\n') + '\n')
  };
}

async function importFile(page: Page, file: { name: string; mimeType: string; buffer: Buffer }) {
  await page.getByTestId('file-input').setInputFiles(file);
  const job = page.getByTestId('import-job').first();
  await expect(job).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
}

test('asks to keep data after the first import, and guides a re-import after eviction', async ({
  page
}) => {
  await page.goto('/import');
  await waitForStore(page);
  await importFile(page, probeFile());
  await expect(page.locator('header.bar')).toContainText('1 series');
  await expect
    .poll(() =>
      page.evaluate(() => (globalThis as { persistCalls?: number[] }).persistCalls?.length)
    )
    .toBe(1);

  // Settings: not persistent, no backup yet.
  await page.getByRole('link', { name: 'Settings' }).first().click();
  await expect(page.getByTestId('storage-persisted')).toContainText('no — ');
  await expect(page.getByTestId('storage-persisted')).toContainText('export a backup');
  await expect(page.getByTestId('storage-last-backup')).toContainText('never');

  // A backup: the Tidemark bundle of everything in the last 24 hours.
  await page.getByRole('link', { name: 'Export' }).first().click();
  await expect(page.getByText('Reading the series list…')).toHaveCount(0);
  await page.getByTestId('export-select-all').click();
  await page.getByTestId('export-format-bundle-ndjson').check();
  await page.getByTestId('export-prepare').click();
  await expect(page.getByTestId('export-preview')).toBeVisible({ timeout: 30_000 });
  await page.getByTestId('export-consent').check();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('export-save').first().click()
  ]);
  const backupName = download.suggestedFilename();
  const backup = readFileSync((await download.path())!);
  await page.getByRole('link', { name: 'Settings' }).first().click();
  await expect(page.getByTestId('storage-last-backup')).toContainText(backupName);

  // The database disappears while no Tidemark page is open (an eviction).
  await page.goto('/manifest.webmanifest');
  const deleted = await page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        const req = indexedDB.deleteDatabase('tidemark');
        req.onsuccess = () => resolve('deleted');
        req.onerror = () => resolve(`error ${req.error?.name}`);
        req.onblocked = () => resolve('blocked');
      })
  );
  expect(deleted).toBe('deleted');

  await page.goto('/');
  await waitForStore(page);
  const banner = page.getByTestId('data-gone-banner');
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('1 series');
  await expect(banner).toContainText('not persistent');
  await expect(page.getByTestId('data-gone-backup')).toContainText(backupName);

  // The guided way back: the Import page, the backup file, the data is there again.
  await page.getByTestId('data-gone-import').click();
  await expect(page).toHaveURL(/\/import$/);
  await importFile(page, { name: backupName, mimeType: 'application/x-ndjson', buffer: backup });
  await expect(page.locator('header.bar')).toContainText('1 series', { timeout: 30_000 });
  await expect(banner).toHaveCount(0);
});

test('an empty store after "Delete all data" is not taken for an eviction', async ({ page }) => {
  await page.goto('/import');
  await waitForStore(page);
  await importFile(page, probeFile());
  await expect(page.locator('header.bar')).toContainText('1 series');
  await page.getByRole('link', { name: 'Settings' }).first().click();
  await page.getByRole('button', { name: 'Delete all data…' }).click();
  await page.getByRole('button', { name: 'Delete everything' }).click();
  await expect(page.locator('header.bar')).toContainText('0 series');
  await page.reload();
  await waitForStore(page);
  await expect(page.locator('header.bar')).toContainText('0 series');
  await expect(page.getByTestId('data-gone-banner')).toHaveCount(0);
});
