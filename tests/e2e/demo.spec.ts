import { expect, test } from '@playwright/test';
import { loadDemo } from './helpers';

test('demo data loads and the Live page shows it', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Nothing stored yet' })).toBeVisible();
  await loadDemo(page);
  // 21 series in 17 families: one chart per family (the five CPU series share one).
  const tiles = page.getByTestId('family-chart');
  await expect(tiles).toHaveCount(17);
  await expect(page.getByRole('heading', { name: 'System', exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Model', exact: true })).toBeVisible();
  await expect(tiles.filter({ hasText: 'cpu=0' })).toContainText('%');
  // Each chart draws its series on a canvas (live.spec.ts reads its pixels).
  await expect(page.getByTestId('live-canvas').first()).toBeVisible();
  await page.goto('/events');
  await expect(page.getByTestId('events-table').locator('tbody tr')).toHaveCount(100);
  // The data is still there after a reload: it lives in IndexedDB.
  await page.goto('/');
  await expect(tiles).toHaveCount(17);
});
