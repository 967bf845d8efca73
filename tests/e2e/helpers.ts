import { expect, type Page } from '@playwright/test';

/** Every route of the app shell, in navigation order. */
export const Routes = [
  '/',
  '/explore',
  '/events',
  '/usage',
  '/insights',
  '/alerts',
  '/import',
  '/export',
  '/settings'
];

/** Waits until the page's engine has opened the store. */
export async function waitForStore(page: Page): Promise<void> {
  await expect(page.getByTestId('db-status')).toContainText('ready');
}

/** Loads the demo day through the UI and waits until it is all stored. */
export async function loadDemo(page: Page): Promise<void> {
  await page.goto('/');
  await waitForStore(page);
  await page.getByTestId('load-demo').click();
  await expect(page.getByTestId('load-demo')).toHaveCount(0, { timeout: 60_000 });
  await expect(page.locator('header')).toContainText(/[1-9][\d,]* events/, { timeout: 60_000 });
}
