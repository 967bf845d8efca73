import { expect, test } from '@playwright/test';
import { demoJob, loadDemo, waitForDemo, waitForStore } from './helpers';

test('demo data loads and the Live page shows it', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Nothing stored yet' })).toBeVisible();
  await loadDemo(page);
  // 30 series in 20 families: one chart per family (the five CPU series share one; the
  // three models share each model family).
  const tiles = page.getByTestId('family-chart');
  await expect(tiles).toHaveCount(20);
  await expect(page.getByRole('heading', { name: 'System', exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Model', exact: true })).toBeVisible();
  await expect(tiles.filter({ hasText: 'cpu=0' })).toContainText('%');
  // Each chart draws its series on a canvas (live.spec.ts reads its pixels).
  await expect(page.getByTestId('live-canvas').first()).toBeVisible();
  await page.goto('/events');
  await expect(page.getByTestId('events-table').locator('tbody tr')).toHaveCount(100);
  // The time chart of executions and failures draws the demo day's hours.
  const timeline = page.getByTestId('events-timeline');
  await expect(timeline).toContainText(/[1-9][\d,]* executions, [1-9][\d,]* failed/);
  await expect
    .poll(() => timeline.locator('canvas').evaluate((c: HTMLCanvasElement) => c.width))
    .toBeGreaterThan(0);
  // Insight cards draw their evidence.
  await page.goto('/insights');
  await expect(page.getByTestId('insight-sparkline').first()).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('insight-sparkline').first().locator('path')).toHaveAttribute(
    'd',
    /^M[\d.]+ [\d.]+L/
  );
  // The data is still there after a reload: it lives in IndexedDB.
  await page.goto('/');
  await expect(tiles).toHaveCount(20);
});

test('a reload during the demo load resumes it, and every demo event is stored once', async ({
  page
}) => {
  test.setTimeout(180_000);
  await page.goto('/');
  await waitForStore(page);
  await page.getByTestId('load-demo').click();
  // Leave mid-load: as soon as the job has stored its first step.
  await expect
    .poll(async () => (await demoJob(page))?.stored ?? 0, { timeout: 60_000, intervals: [20] })
    .toBeGreaterThan(0);
  await page.reload();
  const before = await demoJob(page);
  expect(before, 'the checkpoint survived the reload').not.toBeNull();
  expect(before!.stored, 'the reload came before the last step').toBeLessThan(before!.total);
  await waitForStore(page);
  await waitForDemo(page);
  const after = await demoJob(page);
  // The same job (the same generated day) went on; no second day was started.
  expect(after!.end).toBe(before!.end);
  const total = await page.evaluate((n) => new Intl.NumberFormat().format(n), after!.totalEvents);
  // Counted through the app's own read paths: the status bar and the Events page's views.
  await expect(page.locator('header')).toContainText(`${total} events`);
  await page.goto('/events');
  await expect(page.getByTestId('refresh-status')).toContainText(`${total} events folded in`, {
    timeout: 60_000
  });
  await expect(page.getByTestId('demo-loading')).toHaveCount(0);
});
