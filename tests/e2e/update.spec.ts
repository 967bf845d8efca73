/**
 * RELIABILITY.md row 9: a new deploy while two tabs are open. Build A (the site under test)
 * is served from a local static server; a second real build B with another version name is
 * made once, and the server is swapped to it — A's changed code files are then gone from the
 * server, as after a real deploy. Tab 1 accepts the update; tab 2 keeps running A without a
 * reload, still loads A's code for every route and for an import, and reloads only when its
 * own "Reload to update" is clicked; A's cache goes only once no tab runs A.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { BuildA, buildVariant, serveBuilds, type Build, type Site } from './builds';
import { Routes, waitForStore, writeSealedPromFile } from './helpers';

const VersionB = 'update-test-b';

let build: Build;
let buildB: string;
let site: Site;
let origin: string;

const versionOf = (build: string): string | undefined =>
  existsSync(path.join(build, '_app/version.json'))
    ? (
        JSON.parse(readFileSync(path.join(build, '_app/version.json'), 'utf8')) as {
          version: string;
        }
      ).version
    : undefined;

/**
 * `npm test` makes build B beforehand, while the agent and interop tests leave a core idle
 * (scripts/test.mjs, the same command and variables as below), and names it here.
 */
const PrebuiltB = process.env.TIDEMARK_UPDATE_BUILD_B;

test.beforeAll(async () => {
  test.setTimeout(300_000);
  build =
    PrebuiltB && versionOf(PrebuiltB) === VersionB
      ? { dir: PrebuiltB, remove: () => {} }
      : await buildVariant({ name: 'b', version: VersionB });
  buildB = build.dir;
  site = await serveBuilds(BuildA);
  origin = site.origin;
});

test.afterAll(async () => {
  await site?.close();
  build?.remove();
});

const versionA = (): string => versionOf(BuildA)!;

/** The SvelteKit version a page runs, from the entry script its HTML loaded. */
async function runningVersion(page: Page): Promise<string> {
  const entry = await page.evaluate(() =>
    [...document.querySelectorAll('link[rel="modulepreload"]')]
      .map((l) => (l as HTMLLinkElement).getAttribute('href') ?? '')
      .find((h) => h.includes('/entry/start.'))
  );
  const inA = existsSync(path.join(BuildA, new URL(entry!, origin).pathname));
  const inB = existsSync(path.join(buildB, new URL(entry!, origin).pathname));
  return inA && !inB ? 'A' : inB && !inA ? 'B' : 'unknown';
}

async function openControlled(page: Page): Promise<void> {
  await page.goto(origin + '/');
  await waitForStore(page);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
}

const cacheNames = (page: Page) => page.evaluate(() => caches.keys());

test('two tabs, a new deploy: consent per tab, no lost code, old cache kept while used', async ({
  context
}) => {
  test.setTimeout(180_000);
  const tab1 = await context.newPage();
  await openControlled(tab1);
  const tab2 = await context.newPage();
  await openControlled(tab2);
  await tab2.evaluate(() => ((globalThis as { tabMark?: string }).tabMark = 'A, never reloaded'));
  expect(await runningVersion(tab2)).toBe('A');

  // The deploy: the server now has only B.
  site.use(buildB);
  for (const tab of [tab1, tab2]) {
    await tab.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
  }
  await expect(tab1.getByTestId('update-banner')).toBeVisible({ timeout: 30_000 });
  await expect(tab2.getByTestId('update-banner')).toBeVisible({ timeout: 30_000 });

  // Tab 1 accepts: it reloads into B. Tab 2 is not reloaded.
  await Promise.all([
    tab1.waitForEvent('load'),
    tab1.getByRole('button', { name: 'Reload to update' }).click()
  ]);
  await waitForStore(tab1);
  expect(await runningVersion(tab1)).toBe('B');
  const mark = () => tab2.evaluate(() => (globalThis as { tabMark?: string }).tabMark);
  expect(await mark()).toBe('A, never reloaded');
  expect(await cacheNames(tab1)).toContain(`tidemark-${versionA()}`);

  // Tab 2 still runs A: every route's code (some of it changed in B, so gone from the
  // server) still loads, without a reload and without a request the server cannot answer.
  for (const route of Routes) {
    await tab2.locator(`nav a[href="${route}"]`).first().click();
    await expect(tab2).toHaveURL(new RegExp(`${route === '/' ? '/$' : route}$`));
    await expect(tab2.locator('h1')).toBeVisible();
  }
  expect(await mark()).toBe('A, never reloaded');
  expect(site.missing).toEqual([]);

  // An import in tab 2 starts A's import worker and finishes.
  await tab2.locator('nav a[href="/import"]').first().click();
  await tab2.getByTestId('file-input').setInputFiles({
    name: 'after-deploy.prom',
    mimeType: 'text/plain',
    buffer: Buffer.from(`update_probe 1 ${Date.now() - 1000}\nupdate_probe 2 ${Date.now()}\n`)
  });
  const job = tab2.getByTestId('import-job').first();
  await expect(job).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
  expect(await mark()).toBe('A, never reloaded');
  expect(site.missing).toEqual([]);
  await expect(tab2.getByTestId('update-banner')).toBeVisible();

  // Tab 2's own consent: it reloads into B; then no tab runs A and A's cache goes.
  await Promise.all([
    tab2.waitForEvent('load'),
    tab2.getByRole('button', { name: 'Reload to update' }).click()
  ]);
  await waitForStore(tab2);
  expect(await runningVersion(tab2)).toBe('B');
  expect(await mark()).toBeUndefined();
  await expect
    .poll(() => cacheNames(tab2), { timeout: 20_000 })
    .not.toContain(`tidemark-${versionA()}`);
  expect(await cacheNames(tab2)).toContain(`tidemark-${VersionB}`);
});

test('accepting an update while an import runs in the tab waits for the import, then reloads', async ({
  page
}) => {
  test.setTimeout(240_000);
  site.use(BuildA);
  // 1.5 M points sealed in 16 KiB chunks: decrypting and storing them lasts a few seconds.
  const series = 5;
  const samples = 300_000;
  const file = test.info().outputPath('big.prom.tmenc');
  await writeSealedPromFile({ path: file, password: 'pw update', series, samples });

  await openControlled(page);
  site.use(buildB);
  await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
  await expect(page.getByTestId('update-banner')).toBeVisible({ timeout: 30_000 });

  await page.locator('nav a[href="/import"]').first().click();
  await page.getByTestId('file-input').setInputFiles(file);
  const job = page.getByTestId('import-job').first();
  await expect(job).toHaveAttribute('data-status', 'password');
  await job.getByTestId('import-password').fill('pw update');
  await job.getByTestId('import-unlock').click();
  await expect(job.getByTestId('progress-phase')).toContainText('Decrypting');

  const reloaded = page.waitForEvent('load', { timeout: 120_000 });
  await page.getByRole('button', { name: 'Reload to update' }).click();
  await expect(page.getByTestId('update-waiting')).toContainText('an import');
  await reloaded;
  await waitForStore(page);
  expect(await runningVersion(page)).toBe('B');
  // Every point of the import was stored before the reload.
  const counts = await page.evaluate(async () => {
    type Engine = { counts(): Promise<{ series: number; points: number }> };
    return (globalThis as { tidemarkEngine?: Engine }).tidemarkEngine!.counts();
  });
  expect(counts).toMatchObject({ series, points: series * samples });
});
