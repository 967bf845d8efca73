import { expect, test } from '@playwright/test';
import { waitForStore } from './helpers';

test('retention settings validate, save, and survive a reload', async ({ page }) => {
  await page.goto('/settings');
  await waitForStore(page);
  const form = page.getByTestId('retention-form');
  await expect(form).toBeVisible();
  // Defaults from DESIGN.md, in readable units.
  await expect(page.getByTestId('retention-raw')).toHaveValue('1');
  await expect(page.getByTestId('retention-raw-unit')).toHaveValue('hours');
  await expect(page.getByTestId('retention-1d')).toHaveValue('2');
  await expect(page.getByTestId('retention-1d-unit')).toHaveValue('years');

  // A coarser tier shorter than a finer one is refused with a specific message.
  await page.getByTestId('retention-5m').fill('12');
  await page.getByTestId('retention-5m-unit').selectOption('hours');
  await expect(form).toContainText('5 min buckets must be kept at least as long as 1 min buckets');
  await expect(page.getByRole('button', { name: 'Save retention' })).toBeDisabled();

  // A valid edit: keep 5 min buckets for 14 days and events for 6 months.
  await page.getByTestId('retention-5m').fill('14');
  await page.getByTestId('retention-5m-unit').selectOption('days');
  await page.getByLabel('Events', { exact: true }).fill('6');
  await page.getByTestId('retention-events-unit').selectOption('months');
  await page.getByRole('button', { name: 'Save retention' }).click();
  await expect(page.getByTestId('retention-saved')).toBeVisible();

  await page.reload();
  await waitForStore(page);
  await expect(page.getByTestId('retention-5m')).toHaveValue('14');
  await expect(page.getByTestId('retention-5m-unit')).toHaveValue('days');
  await expect(page.getByTestId('retention-events')).toHaveValue('6');
  await expect(page.getByTestId('retention-events-unit')).toHaveValue('months');

  // Cleanup on demand reports what it freed.
  await page.getByTestId('run-cleanup').click();
  await expect(page.getByTestId('last-cleanup')).toContainText(
    /Last cleanup .*freed \d+ raw chunks/
  );
});
