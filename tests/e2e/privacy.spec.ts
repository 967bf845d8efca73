import { expect, test } from '@playwright/test';
import { Routes, loadDemo } from './helpers';

test('no request leaves the page’s own origin during a full run', async ({
  page,
  context,
  baseURL
}) => {
  const origin = new URL(baseURL!).origin;
  const requests: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  await loadDemo(page);
  for (const route of Routes) {
    await page.goto(route);
    await expect(page.locator('h1')).toBeVisible();
    await page.waitForLoadState('networkidle');
  }
  expect(requests.length).toBeGreaterThan(Routes.length);
  const foreign = requests.filter((u) => {
    const url = new URL(u);
    return !(url.origin === origin || url.protocol === 'data:' || url.protocol === 'blob:');
  });
  expect(foreign).toEqual([]);
});
