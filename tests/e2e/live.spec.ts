import { expect, test, type Locator } from '@playwright/test';
import { loadDemo, waitForStore } from './helpers';

/**
 * Pixels of the chart drawn in (about) the series colour, read from a screenshot of the
 * element: live charts draw in a worker (OffscreenCanvas), so the page cannot read their
 * canvas; the screenshot is what the user sees.
 */
async function countLinePixels(chart: Locator): Promise<number> {
  const hex = (await chart.getAttribute('data-color')) ?? '#000000';
  const png = await chart.screenshot();
  return chart.page().evaluate(
    async ({ b64, hex }) => {
      const want = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(bitmap, 0, 0);
      const { data } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        const d =
          Math.abs(data[i] - want[0]) +
          Math.abs(data[i + 1] - want[1]) +
          Math.abs(data[i + 2] - want[2]);
        if (d < 40) n++;
      }
      return n;
    },
    { b64: png.toString('base64'), hex }
  );
}

test('demo data: live charts are drawn, current values and the health score shown', async ({
  page
}) => {
  await loadDemo(page);
  const tile = page.getByTestId('series-tile').filter({ hasText: 'cpu_usage_percent (cpu=0)' });
  await expect(tile.getByTestId('current-value')).toContainText('%');
  const chart = tile.locator('[data-color]');
  // The demo writes a point every 10 s: the last 5 minutes hold about 30 of them.
  await expect.poll(() => chart.getAttribute('data-points').then(Number)).toBeGreaterThan(10);
  await expect.poll(() => countLinePixels(chart)).toBeGreaterThan(100);
  await expect(page.getByTestId('health-score')).toContainText('/100');

  // The table view is the chart's text alternative, reachable by keyboard.
  const toggle = tile.getByTestId('table-toggle');
  await toggle.focus();
  await page.keyboard.press('Enter');
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  const rows = tile.getByTestId('data-table').locator('tbody tr');
  await expect.poll(() => rows.count()).toBeGreaterThan(10);
  await expect(rows.first()).toContainText('%');
});

test('main-thread drawing (/?charts=main) draws the same charts', async ({ page }) => {
  await loadDemo(page);
  await page.goto('/?charts=main');
  const tile = page.getByTestId('series-tile').filter({ hasText: 'cpu_usage_percent (cpu=0)' });
  const chart = tile.locator('[data-color]');
  await expect.poll(() => chart.getAttribute('data-points').then(Number)).toBeGreaterThan(10);
  await expect.poll(() => countLinePixels(chart)).toBeGreaterThan(100);
});

test('/?load=1000 drives points through the store into live charts', async ({ page }) => {
  await page.goto('/?load=1000');
  await waitForStore(page);
  await expect(page.getByTestId('load-status')).toContainText('1,000 points/s');
  const tiles = page.getByTestId('series-tile').filter({ hasText: 'load_synthetic' });
  await expect(tiles).toHaveCount(10, { timeout: 20_000 });
  const chart = tiles.first().locator('[data-color]');
  // 100 points/s per series into 500 ms buckets: the drawn point count keeps growing.
  await expect.poll(() => chart.getAttribute('data-points').then(Number)).toBeGreaterThan(4);
  const before = Number(await chart.getAttribute('data-points'));
  await expect
    .poll(() => chart.getAttribute('data-points').then(Number), { timeout: 15_000 })
    .toBeGreaterThan(before + 4);
  await expect.poll(() => countLinePixels(chart)).toBeGreaterThan(50);
  // The stored count is the engine's acknowledgement, not the generator's.
  await expect(page.getByTestId('load-status')).toContainText(/[1-9][\d,]{3,} stored/, {
    timeout: 15_000
  });
});

test('a bad ?load value is refused with a message', async ({ page }) => {
  await page.goto('/?load=lots');
  await waitForStore(page);
  await expect(page.getByTestId('load-error')).toContainText('not “lots”');
  await expect(page.getByTestId('load-status')).toHaveCount(0);
});
