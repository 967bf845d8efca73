import { expect, test, type Locator } from '@playwright/test';
import { loadDemo } from './helpers';

/** Canvas pixels drawn in (about) the series colour: proof the line is drawn. */
async function countLinePixels(chart: Locator): Promise<number> {
  return chart.evaluate((el) => {
    const hex = el.getAttribute('data-color') ?? '#000000';
    const want = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    const canvas = el.querySelector('canvas')!;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] < 200) continue;
      const d =
        Math.abs(data[i] - want[0]) +
        Math.abs(data[i + 1] - want[1]) +
        Math.abs(data[i + 2] - want[2]);
      if (d < 40) n++;
    }
    return n;
  });
}

test('search, select, change range (URL, tier), table, drill-down, back button', async ({
  page
}) => {
  await loadDemo(page);
  await page.goto('/explore');
  const options = page.getByTestId('series-option');
  await expect(options).toHaveCount(21);
  await page.getByTestId('series-search').fill('cpu total');
  await expect(page).toHaveURL(/q=cpu\+total/);
  await expect(options).toHaveCount(1);
  await options.first().click();
  await expect(page).toHaveURL(/series=cpu_usage_percent/);
  await expect(page.getByRole('heading', { name: 'cpu_usage_percent (cpu=total)' })).toBeVisible();

  // The last hour of 10-second points is 360 raw points: under the 2,400 the chart asks for.
  const tier = page.getByTestId('tier');
  await expect(tier).toContainText('raw points');
  const chart = page.getByTestId('explore-chart');
  await expect.poll(() => chart.getAttribute('data-points').then(Number)).toBeGreaterThan(300);
  await expect.poll(() => countLinePixels(chart)).toBeGreaterThan(200);

  // 24 hours: 8,640 raw points and 10 s buckets do not fit 2,400; 1-minute buckets (1,440) do.
  await page.getByTestId('range-select').selectOption('24h');
  await expect(page).toHaveURL(/range=24h/);
  await expect(tier).toContainText('1 min buckets');
  await expect
    .poll(() => chart.getAttribute('data-points').then(Number))
    .toBeGreaterThanOrEqual(1400);

  await page.getByTestId('table-toggle').click();
  const rows = page.getByTestId('data-table').locator('tbody tr');
  await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(1000);
  await expect(rows.first()).toContainText('%');

  // From the keyboard: the newest bucket's "Raw points" button shows the points behind it.
  const lastRow = rows.last();
  const lastTime = (await lastRow.locator('td').first().textContent())!.trim();
  await lastRow.getByRole('button', { name: /Raw points/ }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('drill')).toContainText(lastTime);
  await expect
    .poll(() => page.getByTestId('drill-table').locator('tbody tr').count())
    .toBeGreaterThanOrEqual(1);
  await page.getByTestId('table-toggle').click();

  // A click on the newest bucket drills down to the raw points behind it (6 per minute).
  const box = (await chart.boundingBox())!;
  await page.mouse.click(box.x + box.width - 4, box.y + box.height / 2);
  await expect(page.getByTestId('drill')).toBeVisible();
  await expect
    .poll(() => page.getByTestId('drill-table').locator('tbody tr').count())
    .toBeGreaterThanOrEqual(1);

  // Back: the previous view (last hour, raw) comes back from the URL.
  await page.goBack();
  await expect(page).not.toHaveURL(/range=24h/);
  await expect(tier).toContainText('raw points');
});

test('?series= selects a series; drag zooms into an absolute range; a chosen tier is used', async ({
  page
}) => {
  await loadDemo(page);
  const key = 'memory_used_bytes';
  await page.goto(`/explore?series=${encodeURIComponent(key)}&range=6h&agg=avg,band,p95&cmp=1`);
  await expect(page.getByRole('heading', { name: key, exact: true })).toBeVisible();
  const chart = page.getByTestId('explore-chart');
  await expect.poll(() => countLinePixels(chart)).toBeGreaterThan(100);
  await expect(page.getByText('dashed: previous period')).toBeVisible();

  const box = (await chart.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.4, box.y + 100);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.6, box.y + 100, { steps: 5 });
  await page.mouse.up();
  await expect(page).toHaveURL(/from=\d+&to=\d+/);
  const url = new URL(page.url());
  const span = Number(url.searchParams.get('to')) - Number(url.searchParams.get('from'));
  // A fifth of the chart's width over 6 hours is about 72 minutes (the plot area is a bit
  // narrower than the box, so the span is a little larger).
  expect(span).toBeGreaterThan(0.15 * 6 * 3_600_000);
  expect(span).toBeLessThan(0.3 * 6 * 3_600_000);

  await page.getByTestId('resolution-select').selectOption('5m');
  await expect(page).toHaveURL(/res=5m/);
  await expect(page.getByTestId('tier')).toContainText('5 min buckets');
  await expect(page.getByTestId('tier')).toContainText('as asked');
});

test('an unreadable URL says what it ignored', async ({ page }) => {
  await page.goto('/explore?range=2w&res=3m');
  await expect(page.getByText('Unknown range "2w"; showing the last hour.')).toBeVisible();
  await expect(page.getByText('Unknown resolution "3m"; choosing automatically.')).toBeVisible();
});
