/**
 * RELIABILITY.md row 4: the database cannot be opened. The engine worker's script is served
 * with a prelude that makes `indexedDB.open('tidemark', version)` fail with UnknownError
 * (what Chromium reports for a damaged backing store) until the test lifts it; a plain open
 * without a version, which the salvage uses, still reaches the real database.
 */
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { waitForStore } from './helpers';

// The page's own requests must reach page.route, not the service worker's cache.
test.use({ serviceWorkers: 'block' });

const FailingOpenPrelude = `
self.__tidemarkFailOpen = true;
{
  const open = IDBFactory.prototype.open;
  IDBFactory.prototype.open = function (name, version) {
    if (!self.__tidemarkFailOpen || name !== 'tidemark' || version === undefined) {
      return open.apply(this, arguments);
    }
    self.__tidemarkFailedOpens = (self.__tidemarkFailedOpens ?? 0) + 1;
    const req = {
      error: new DOMException('Internal error opening backing store for indexedDB.open.', 'UnknownError'),
      result: undefined, readyState: 'done', transaction: null,
      onerror: null, onsuccess: null, onupgradeneeded: null, onblocked: null,
      addEventListener() {}, removeEventListener() {}
    };
    setTimeout(() => req.onerror?.({ type: 'error', target: req, preventDefault() {}, stopPropagation() {} }));
    return req;
  };
}
`;

async function breakOpens(page: Page): Promise<void> {
  await page.route('**/engine.worker-*.js', async (route) => {
    const original = await route.fetch();
    await route.fulfill({ response: original, body: FailingOpenPrelude + (await original.text()) });
  });
}

/** Lifts the failure inside this page's engine worker. */
async function healOpens(page: Page): Promise<void> {
  const worker = page.workers().find((w) => w.url().includes('engine.worker'));
  if (!worker) throw new Error('no engine worker');
  await worker.evaluate(() => {
    (self as unknown as { __tidemarkFailOpen: boolean }).__tidemarkFailOpen = false;
  });
}

/** Stores one small series through the app's own engine, then leaves. */
async function seed(page: Page): Promise<void> {
  await page.goto('/');
  await waitForStore(page);
  await page.evaluate(async () => {
    type Engine = { ingest(b: unknown[]): Promise<unknown>; flush(): Promise<void> };
    const engine = (globalThis as { tidemarkEngine?: Engine }).tidemarkEngine!;
    await engine.ingest([
      {
        series: {
          name: 'recovery_probe',
          labels: {},
          unit: '',
          kind: 'gauge',
          source: 'api',
          category: 'system'
        },
        t: Float64Array.of(Date.now() - 2000, Date.now() - 1000),
        v: Float64Array.of(7, 8)
      }
    ]);
    await engine.flush();
  });
  await expect(page.locator('header.bar')).toContainText('1 series');
  await page.close();
}

test('a store that cannot open: explained, retried, salvaged, and nothing wiped', async ({
  context
}) => {
  await seed(await context.newPage());
  const page = await context.newPage();
  await breakOpens(page);
  await page.goto('/');
  const screen = page.getByTestId('db-error-banner');
  await expect(screen).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('db-error-reason')).toContainText('UnknownError');
  await expect(screen).toContainText('Your data has not been deleted');
  await expect(page.getByTestId('db-status')).toContainText('error');

  // Retrying really opens again (and fails again while the fault lasts).
  const failedOpens = () =>
    page
      .workers()
      .find((w) => w.url().includes('engine.worker'))!
      .evaluate(() => (self as unknown as { __tidemarkFailedOpens: number }).__tidemarkFailedOpens);
  const before = await failedOpens();
  await page.getByTestId('db-retry').click();
  await expect(page.getByTestId('db-retry-count')).toContainText('Tried again 1 time');
  expect(await failedOpens()).toBeGreaterThan(before);

  // The salvage reads the real database and downloads it.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('db-salvage').click()
  ]);
  expect(download.suggestedFilename()).toMatch(/^tidemark-salvage-.*\.ndjson$/);
  const lines = readFileSync((await download.path())!, 'utf8')
    .trim()
    .split('\n');
  expect(JSON.parse(lines[0])).toMatchObject({ format: 'tidemark-salvage/1', db: 'tidemark' });
  const series = lines.map((l) => JSON.parse(l)).filter((r) => r.store === 'series');
  expect(series.map((r) => r.value.name)).toEqual(['recovery_probe']);
  await expect(page.getByTestId('db-salvage-summary')).toContainText('series: 1 record');

  // The reset stays locked until the phrase is typed exactly.
  await page.getByText('Delete the database and start again').click();
  await expect(page.getByTestId('db-reset')).toBeDisabled();
  await page.getByTestId('db-reset-confirm').fill('delete');
  await expect(page.getByTestId('db-reset')).toBeDisabled();

  // The fault passes; "Try again" opens the store with the data still in it.
  await healOpens(page);
  await page.getByTestId('db-retry').click();
  await waitForStore(page);
  await expect(screen).toHaveCount(0);
  await expect(page.locator('header.bar')).toContainText('1 series');
});

test('only the typed phrase deletes and recreates the database', async ({ context }) => {
  await seed(await context.newPage());
  const page = await context.newPage();
  await breakOpens(page);
  await page.goto('/');
  await expect(page.getByTestId('db-error-banner')).toBeVisible({ timeout: 20_000 });
  // The phrase is typed while the store still cannot open: once the fault passes, any call
  // of the page (status counts, the export scheduler) opens the store by itself and the
  // recovery screen rightly goes, so the fault is lifted only just before the reset.
  await page.getByText('Delete the database and start again').click();
  await page.getByTestId('db-reset-confirm').fill('delete my data');
  await healOpens(page);
  await page.getByTestId('db-reset').click();
  await waitForStore(page);
  await expect(page.getByTestId('db-error-banner')).toHaveCount(0);
  await expect(page.locator('header.bar')).toContainText('0 series');
});
