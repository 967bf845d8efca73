import { expect, test, type Page } from '@playwright/test';
import { loadDemo, waitForStore } from './helpers';

/** The number before `label` in `text` ("181,440 raw points" → 181440). */
function countBefore(text: string, label: string): number {
  const m = new RegExp(`([\\d,.\\s\\u00a0\\u202f]+) ${label}`).exec(text);
  if (!m) throw new Error(`no "${label}" in "${text}"`);
  return Number(m[1].replace(/[^\d]/g, ''));
}

const statusText = async (page: Page) => (await page.locator('header').textContent()) ?? '';

test('the status bar counts what the pages count, and says where raw points went when retention cut them', async ({
  page
}) => {
  test.setTimeout(240_000);
  await loadDemo(page);
  // Live counts the same series as the status bar.
  await expect(page.getByTestId('live-search')).toBeVisible();
  const liveSeries = countBefore(
    (await page.locator('.search .muted').textContent()) ?? '',
    'series'
  );
  expect(countBefore(await statusText(page), 'series')).toBe(liveSeries);
  const before = countBefore(await statusText(page), 'raw points');
  await expect(page.getByTestId('status-retention')).toHaveCount(0);

  // The demo day is older than the raw retention (1 hour): once it is rolled up, a cleanup
  // removes its raw chunks. Run cleanups until one has (rollups need a pass or two first).
  await page.goto('/settings');
  await waitForStore(page);
  await expect
    .poll(
      async () => {
        await page.getByTestId('run-cleanup').click();
        await expect(page.getByTestId('last-cleanup')).toBeVisible();
        return page.getByTestId('status-retention').count();
      },
      { timeout: 180_000, intervals: [2000] }
    )
    .toBe(1);
  await expect(page.getByTestId('status-retention')).toHaveText(
    'raw points older than 1 h are kept as rollups'
  );
  await expect
    .poll(async () => countBefore(await statusText(page), 'raw points'))
    .toBeLessThan(before);
  const after = countBefore(await statusText(page), 'raw points');
  // Settings counts the same raw points as the status bar.
  expect(
    countBefore((await page.getByTestId('settings-stored').textContent()) ?? '', 'raw points')
  ).toBe(after);
  // Still explained after a reload (any tab's last cleanup is stored).
  await page.reload();
  await waitForStore(page);
  await expect(page.getByTestId('status-retention')).toBeVisible();
});
