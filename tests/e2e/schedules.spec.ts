import { expect, test, type Page } from '@playwright/test';
import { formatSlotStamp } from '../../src/lib/export/schedule';
import { loadDemo, waitForStore } from './helpers';

const HOUR = 3_600_000;

/**
 * Headless Chromium cannot drive the folder picker, so the picker answers with a folder of the
 * origin private file system: a real FileSystemDirectoryHandle, written through the same
 * getFileHandle/createWritable calls, stored in IndexedDB like a picked folder, and readable
 * back here.
 */
async function stubPickerWithOpfs(page: Page): Promise<void> {
  await page.addInitScript(() => {
    (globalThis as unknown as { showDirectoryPicker: () => Promise<unknown> }).showDirectoryPicker =
      async () =>
        (await navigator.storage.getDirectory()).getDirectoryHandle('bi-watch', { create: true });
  });
}

/** The files in the OPFS folder: name → text. */
async function readWatchFolder(page: Page): Promise<Record<string, string>> {
  return page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle('bi-watch', { create: true });
    const out: Record<string, string> = {};
    // entries() is there in Chromium; TypeScript's DOM types lack it.
    for await (const [name, handle] of (
      dir as unknown as { entries(): AsyncIterable<[string, FileSystemFileHandle]> }
    ).entries())
      out[name] = await (await handle.getFile()).text();
    return out;
  });
}

async function openExport(page: Page): Promise<void> {
  // A client-side navigation: the injected clock keeps its time.
  await page.getByRole('link', { name: 'Export' }).first().click();
  await expect(page.getByTestId('schedule-new')).toBeVisible({ timeout: 30_000 });
}

test('an hourly schedule writes its files into the folder on the hour, and catches up once after a missed slot', async ({
  page,
  context
}) => {
  test.setTimeout(240_000);
  await stubPickerWithOpfs(page);
  // 10 minutes before an hour, so the first slot is passed by fast-forwarding.
  const slot1 = Math.ceil((Date.now() + 5 * 60_000) / HOUR) * HOUR;
  await page.clock.install({ time: slot1 - 10 * 60_000 });
  await loadDemo(page);
  await expect(page.locator('html')).toHaveAttribute('data-leader', 'true');
  await openExport(page);

  await page.getByTestId('schedule-new').locator('summary').click();
  await page.getByTestId('schedule-label').fill('BI');
  await page.getByTestId('schedule-format-csv-long').check();
  await page.getByTestId('schedule-view-triggers').check();
  await page.getByTestId('schedule-report-executive').check();
  await page.getByTestId('schedule-folder').click();
  await expect(page.getByTestId('schedule-folder-name')).toContainText('bi-watch');
  await page.getByTestId('schedule-consent').check();
  await page.getByTestId('schedule-save').click();
  await expect(page.getByTestId('schedule')).toHaveCount(1);
  await expect(page.getByTestId('schedule-runs-empty')).toBeVisible();
  // Nothing is written before the slot.
  expect(Object.keys(await readWatchFolder(page))).toEqual([]);

  await page.clock.fastForward(11 * 60_000);
  const run = page.getByTestId('schedule-run');
  await expect(run).toHaveCount(1, { timeout: 90_000 });
  await expect(run).toHaveAttribute('data-outcome', 'ok');
  const stamp1 = formatSlotStamp(slot1);
  const files = await readWatchFolder(page);
  expect(Object.keys(files).sort()).toEqual(
    [
      `tidemark-bi-executive-report-${stamp1}.html`,
      `tidemark-bi-metrics-${stamp1}.csv`,
      `tidemark-bi-triggers-${stamp1}.csv`
    ].sort()
  );
  await expect(run).toContainText(`tidemark-bi-metrics-${stamp1}.csv`);
  // Real content: the long CSV's header and points of the hour before the slot, the trigger
  // table's header, and a report that names itself.
  const metrics = files[`tidemark-bi-metrics-${stamp1}.csv`];
  expect(metrics.split('\n')[0]).toMatch(/^timestamp,/);
  expect(metrics.split('\n').length).toBeGreaterThan(10);
  expect(files[`tidemark-bi-triggers-${stamp1}.csv`].split('\r\n')[0]).toContain('triggerId');
  expect(files[`tidemark-bi-executive-report-${stamp1}.html`]).toContain('Executive summary');

  // Tidemark is closed for three and a half hours: slots +1 h and +2 h pass unseen.
  await page.close();
  const again = await context.newPage();
  await again.clock.install({ time: slot1 + 3.5 * HOUR });
  await again.goto('/export');
  await waitForStore(again);
  const runs = again.getByTestId('schedule-run');
  await expect(runs).toHaveCount(2, { timeout: 90_000 });
  const stamp4 = formatSlotStamp(slot1 + 3 * HOUR);
  // Newest first: one catch-up run for the latest missed slot, the two before it skipped.
  await expect(runs.first()).toContainText(`tidemark-bi-metrics-${stamp4}.csv`);
  await expect(runs.first()).toContainText('2 earlier slots skipped');
  await expect(runs.first()).toHaveAttribute('data-outcome', 'ok');
  const after = Object.keys(await readWatchFolder(again)).sort();
  expect(after).toHaveLength(6);
  expect(after.filter((n) => n.includes(stamp4))).toHaveLength(3);
  // Nothing for the skipped slots, and no second run of the same slot.
  expect(after.some((n) => n.includes(formatSlotStamp(slot1 + HOUR)))).toBe(false);
  await again.clock.runFor(30_000);
  await expect(runs).toHaveCount(2);
});

test('without folder access a schedule falls back to downloads, and the run says so', async ({
  page
}) => {
  test.setTimeout(120_000);
  await page.addInitScript(() => {
    delete (globalThis as { showDirectoryPicker?: unknown }).showDirectoryPicker;
  });
  const slot1 = Math.ceil((Date.now() + 5 * 60_000) / HOUR) * HOUR;
  await page.clock.install({ time: slot1 - 10 * 60_000 });
  await page.goto('/');
  await waitForStore(page);
  await openExport(page);
  await page.getByTestId('schedule-new').locator('summary').click();
  await expect(page.getByTestId('schedule-no-folder')).toBeVisible();
  await page.getByTestId('schedule-view-distribution').check();
  await page.getByTestId('schedule-view-format').selectOption('json');
  await page.getByTestId('schedule-consent').check();
  await page.getByTestId('schedule-save').click();
  await expect(page.getByTestId('schedule')).toHaveCount(1);

  const download = page.waitForEvent('download', { timeout: 90_000 });
  await page.clock.fastForward(11 * 60_000);
  const file = await download;
  expect(file.suggestedFilename()).toBe(`tidemark-distribution-${formatSlotStamp(slot1)}.json`);
  const text = await (await file.createReadStream()).toArray();
  expect(JSON.parse(Buffer.concat(text).toString('utf8'))).toMatchObject({ rows: [] });
  const run = page.getByTestId('schedule-run');
  await expect(run).toHaveCount(1, { timeout: 30_000 });
  await expect(run).toHaveAttribute('data-outcome', 'download');
  await expect(run).toContainText('Fell back to download');
  await expect(run).toContainText('no File System Access API');
});
