import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { loadDemo, waitForStore } from './helpers';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// ../shared/fixtures from the repository; a worktree under wt/ finds it one level further up.
const metrics = path.join(
  process.env.TIDEMARK_FIXTURES ??
    [
      path.resolve(repoRoot, '..', 'shared', 'fixtures'),
      path.resolve(repoRoot, '..', '..', 'shared', 'fixtures')
    ].find((d) => existsSync(d)) ??
    '',
  'metrics'
);
const fixtureFiles = existsSync(metrics) ? readdirSync(metrics).sort() : [];

/** Imports a file through the file input and waits for its import to finish. */
async function importFile(page: Page, file: string): Promise<Locator> {
  await page.goto('/import');
  await waitForStore(page);
  await page.getByTestId('file-input').setInputFiles(path.join(metrics, file));
  const job = page.getByTestId('import-job').first();
  // A CSV asks to confirm its columns first; the guesses are taken as they are.
  await expect(job).toHaveAttribute('data-status', /review|done/, { timeout: 30_000 });
  if ((await job.getAttribute('data-status')) === 'review') {
    await job.getByTestId('csv-confirm').click();
  }
  await expect(job).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
  return job;
}

/** Imports `text` as a file named `name` and opens its first series from the summary. */
async function importTextAndOpen(page: Page, name: string, text: string): Promise<void> {
  await page.goto('/import');
  await waitForStore(page);
  await page
    .getByTestId('file-input')
    .setInputFiles({ name, mimeType: 'text/plain', buffer: Buffer.from(text) });
  const job = page.getByTestId('import-job').first();
  await expect(job).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
  await job.getByRole('link', { name: 'Open in Explore' }).first().click();
}

/** Canvas pixels drawn in (about) the series colour: proof the line is drawn. */
async function countLinePixels(chart: Locator, index = 0): Promise<number> {
  return chart.evaluate((el, index) => {
    const hex = (el.getAttribute('data-colors') ?? '#000000').split(',')[index];
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
  }, index);
}

test('search, select, change range (URL, tier), table, drill-down, back button', async ({
  page
}) => {
  await loadDemo(page);
  await page.goto('/explore');
  const options = page.getByTestId('series-option');
  await expect(options).toHaveCount(30);
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

test('hover shows a crosshair tooltip with the value the data has; the keyboard steps through points', async ({
  page
}) => {
  await loadDemo(page);
  await page.goto(`/explore?series=${encodeURIComponent('cpu_usage_percent{cpu="total"}')}`);
  const chart = page.getByTestId('explore-chart');
  await expect.poll(() => countLinePixels(chart)).toBeGreaterThan(200);
  // The table lists every raw point of the last hour with the same time and value format.
  await page.getByTestId('table-toggle').click();
  const rows = page.getByTestId('data-table').locator('tbody tr');
  await expect.poll(() => rows.count()).toBeGreaterThan(300);
  const byTime = new Map<string, string>();
  for (const cells of await rows.evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim()))
  ))
    byTime.set(cells[0], cells[1]);

  const box = (await chart.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
  const tip = page.getByRole('tooltip');
  await expect(tip).toBeVisible();
  const when = (await tip.locator('.when').textContent())!.trim();
  const value = (await tip.locator('.value').first().textContent())!.trim();
  expect(byTime.get(when)).toBe(value);
  expect(value).toMatch(/%$/);

  // Keyboard: End goes to the newest point, ArrowLeft one back.
  await page.mouse.move(0, 0);
  await expect(tip).toHaveCount(0);
  await chart.focus();
  await page.keyboard.press('End');
  const lastRow = (await rows.last().locator('td').allTextContents()).map((t) => t.trim());
  await expect(tip.locator('.when')).toHaveText(lastRow[0]);
  await expect(tip.locator('.value').first()).toHaveText(lastRow[1]);
  await page.keyboard.press('ArrowLeft');
  const before = (
    await rows
      .nth((await rows.count()) - 2)
      .locator('td')
      .allTextContents()
  ).map((t) => t.trim());
  await expect(tip.locator('.when')).toHaveText(before[0]);
});

test('a selector draws several series on one chart with a legend that toggles lines', async ({
  page
}) => {
  await loadDemo(page);
  await page.goto('/explore');
  await page.getByTestId('series-search').fill('cpu_usage_percent{cpu=~"0|1"}');
  await expect(page.getByTestId('series-option')).toHaveCount(2);
  await page.getByTestId('draw-matches').click();
  await expect(page).toHaveURL(/series=.*&series=/);
  const chart = page.getByTestId('explore-chart');
  const colors = (await chart.getAttribute('data-colors'))!.split(',');
  expect(colors).toHaveLength(2);
  expect(colors[0]).not.toBe(colors[1]);
  await expect.poll(() => countLinePixels(chart, 0)).toBeGreaterThan(100);
  await expect.poll(() => countLinePixels(chart, 1)).toBeGreaterThan(100);
  const legend = page.getByTestId('legend-item');
  await expect(legend).toHaveCount(2);
  await expect(legend.nth(0)).toContainText('cpu=0');
  await expect(legend.nth(1)).toContainText('cpu=1');

  // The tooltip names both lines with their unit.
  const box = (await chart.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
  await expect(page.getByRole('tooltip').locator('.row')).toHaveCount(2);
  await expect(page.getByRole('tooltip')).toContainText('cpu=1');
  await page.mouse.move(0, 0);

  // Hiding a line takes its pixels off the chart; the other stays.
  await legend.nth(1).click();
  await expect(legend.nth(1)).toHaveAttribute('aria-pressed', 'false');
  await expect.poll(() => countLinePixels(chart, 1)).toBeLessThan(10);
  expect(await countLinePixels(chart, 0)).toBeGreaterThan(100);

  // The selection survives a reload (it is in the URL).
  await page.reload();
  await expect(page.getByTestId('legend-item')).toHaveCount(2);
});

test.describe('every shared fixture opens from its import summary with its data drawn', () => {
  test.skip(fixtureFiles.length === 0, `fixtures not found at ${metrics}`);
  for (const file of fixtureFiles) {
    test(file, async ({ page }) => {
      const job = await importFile(page, file);
      await job.getByRole('link', { name: 'Open in Explore' }).first().click();
      await expect(page).toHaveURL(/\/explore\?series=/);
      const chart = page.getByTestId('explore-chart');
      await expect.poll(() => chart.getAttribute('data-points').then(Number)).toBeGreaterThan(0);
      await expect(page.getByTestId('no-data')).toHaveCount(0);
      // A single sample is drawn as a marker, so even one-sample scrapes show pixels.
      await expect.poll(() => countLinePixels(chart)).toBeGreaterThan(8);
    });
  }
});

test('a counter is drawn as a per-second rate, raw on request', async ({ page }) => {
  // Three samples a minute apart: +60 then +120, so 1/s then 2/s.
  const t0 = Date.now() - 10 * 60_000;
  const text = [
    '# TYPE requests_total counter',
    `requests_total{path="/"} 100 ${t0}`,
    `requests_total{path="/"} 160 ${t0 + 60_000}`,
    `requests_total{path="/"} 280 ${t0 + 120_000}`
  ].join('\n');
  await importTextAndOpen(page, 'counter.prom', text);
  const chart = page.getByTestId('explore-chart');
  await expect(page.getByTestId('legend-item')).toHaveText(['rate']);
  await expect.poll(() => countLinePixels(chart)).toBeGreaterThan(8);
  await chart.focus();
  await page.keyboard.press('End');
  const tip = page.getByRole('tooltip');
  await expect(tip.locator('.value').first()).toHaveText('2 /s');
  await page.keyboard.press('ArrowLeft');
  await expect(tip.locator('.value').first()).toHaveText('1 /s');

  await page.getByTestId('raw-counter').check();
  await expect(page).toHaveURL(/counter=raw/);
  await expect(page.getByTestId('legend-item')).toHaveText(['avg']);
  await chart.focus();
  await page.keyboard.press('End');
  await expect(tip.locator('.value').first()).toHaveText('280');
});

test('a histogram family is drawn as p50/p95/p99 of its bucket rates, buckets on request', async ({
  page
}) => {
  // Three scrapes a minute apart. Bucket rates (per minute) are [10, 20, 20] then
  // [20, 20, 30] for le = 1, 2, +Inf; worked by hand as PromQL's histogram_quantile:
  // first p50 rank 10 of 20 → (0, 1] holding 10: 1 s; p95 rank 19 → (1, 2] holding 10,
  // 9 in: 1.9 s; p99 rank 19.8: 1.98 s. Then p50 rank 15 of 30 → (0, 1] holding 20: 0.75 s;
  // p95 rank 28.5 and p99 rank 29.7 fall in +Inf: the highest finite bound, 2 s.
  const t0 = Date.now() - 10 * 60_000;
  const scrape = (t: number, counts: number[]) =>
    ['1', '2', '+Inf'].map(
      (le, i) => `rpc_duration_seconds_bucket{job="api",le="${le}"} ${counts[i]} ${t}`
    );
  const text = [
    '# TYPE rpc_duration_seconds histogram',
    ...scrape(t0, [0, 0, 0]),
    ...scrape(t0 + 60_000, [10, 20, 20]),
    ...scrape(t0 + 120_000, [30, 40, 50])
  ].join('\n');
  await importTextAndOpen(page, 'histogram.prom', text);
  const chart = page.getByTestId('explore-chart');
  await expect(page.getByTestId('legend-item')).toHaveText(['p50', 'p95', 'p99']);
  await expect(page.locator('#chart-title')).toContainText('rpc_duration_seconds');
  await expect(page.locator('#chart-title')).toContainText('p50, p95, p99');
  await expect.poll(() => chart.getAttribute('data-points').then(Number)).toBeGreaterThan(0);
  await chart.focus();
  await page.keyboard.press('End');
  const values = page.getByRole('tooltip').locator('.value');
  await expect(values).toHaveText(['750 ms', '2 s', '2 s']);
  await page.keyboard.press('ArrowLeft');
  await expect(values).toHaveText(['1 s', '1.9 s', '1.98 s']);

  // As stored: the bucket series itself (a counter-like series, drawn as its rate).
  await page.getByTestId('raw-histogram').check();
  await expect(page).toHaveURL(/hist=raw/);
  await expect(page.getByTestId('legend-item')).not.toHaveText(['p50', 'p95', 'p99']);
});
