import { expect, test, type Locator, type Page } from '@playwright/test';
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

/** The family chart named `name` (one chart per metric name). */
function familyChart(page: Page, name: string): Locator {
  return page.locator(`[data-testid="family-chart"][data-family="${name}"]`);
}

test('demo data: one chart per family, a line per series with a legend, the health score', async ({
  page
}) => {
  await loadDemo(page);
  const cpu = familyChart(page, 'cpu_usage_percent');
  // Four cores and the total: one chart, five lines, five legend entries.
  await expect(cpu).toHaveAttribute('data-lines', '5');
  const legend = cpu.getByTestId('legend-item');
  await expect(legend).toHaveCount(5);
  await expect(legend.filter({ hasText: 'cpu=0' })).toContainText('%');
  const chart = cpu.locator('[data-color]');
  // The demo wrote a point every 10 s, then one a second: 5 lines over the last 5 minutes.
  await expect.poll(() => chart.getAttribute('data-points').then(Number)).toBeGreaterThan(50);
  await expect.poll(() => countLinePixels(chart)).toBeGreaterThan(100);
  await expect(page.getByTestId('health-score')).toContainText('/100');

  // The legend toggles a line.
  const first = legend.first();
  await first.click();
  await expect(first).toHaveAttribute('aria-pressed', 'false');
  await first.click();
  await expect(first).toHaveAttribute('aria-pressed', 'true');

  // A family of one series shows its current value.
  await expect(familyChart(page, 'memory_used_bytes').getByTestId('current-value')).toContainText(
    'GiB'
  );

  // The table view is the chart's text alternative, reachable by keyboard.
  const toggle = cpu.getByTestId('table-toggle');
  await toggle.focus();
  await page.keyboard.press('Enter');
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  const rows = cpu.getByTestId('data-table').locator('tbody tr');
  await expect.poll(() => rows.count()).toBeGreaterThan(10);
  await expect(rows.first()).toContainText('%');
});

test("hovering a chart shows a tooltip with every line's value and a crosshair on every chart", async ({
  page
}) => {
  await loadDemo(page);
  const cpu = familyChart(page, 'cpu_usage_percent');
  const box = cpu.locator('[data-color]');
  await expect.poll(() => box.getAttribute('data-points').then(Number)).toBeGreaterThan(50);
  const rect = (await box.boundingBox())!;
  await page.mouse.move(rect.x + rect.width * 0.75, rect.y + rect.height / 2);
  const tooltip = cpu.getByRole('tooltip');
  await expect(tooltip).toBeVisible();
  await expect(tooltip).toContainText(/\d{1,2}:\d{2}/);
  await expect(tooltip.locator('.row')).toHaveCount(5);
  await expect(tooltip.locator('.row').first()).toContainText('%');
  // Synchronised: the chart beside it draws its crosshair at the same time, no tooltip.
  const disk = familyChart(page, 'disk_read_bytes_per_second');
  await expect(disk.getByTestId('crosshair')).toHaveCount(1);
  await expect(disk.getByRole('tooltip')).toHaveCount(0);
  await page.mouse.move(0, 0);
  await expect(cpu.getByRole('tooltip')).toHaveCount(0);
});

test('five minutes after the demo, Live still shows moving data (injected clock)', async ({
  page
}) => {
  await page.clock.install();
  await loadDemo(page);
  const cpu = familyChart(page, 'cpu_usage_percent');
  const box = cpu.locator('[data-color]');
  await expect.poll(() => box.getAttribute('data-points').then(Number)).toBeGreaterThan(50);
  await page.clock.fastForward('05:30');
  // The demo day ended 5½ minutes ago on the page's clock; the leader continues it.
  const last = () => box.getAttribute('data-last').then(Number);
  const now = () => page.evaluate(() => Date.now());
  await expect
    .poll(async () => (await now()) - (await last()), { timeout: 20_000 })
    .toBeLessThan(5_000);
  await expect(cpu.getByTestId('stale-note')).toHaveCount(0);
  await expect.poll(() => box.getAttribute('data-points').then(Number)).toBeGreaterThan(100);
  await expect.poll(() => countLinePixels(box)).toBeGreaterThan(100);
  // And it keeps moving.
  const before = await last();
  await page.clock.runFor(3_000);
  await expect.poll(last, { timeout: 15_000 }).toBeGreaterThan(before);
});

test('1,000 series: one chart per family, not one per series; counters as rates', async ({
  page
}) => {
  await page.goto('/');
  await waitForStore(page);
  await page.evaluate(async () => {
    type Engine = { ingest(b: unknown[]): Promise<unknown> };
    const engine = (globalThis as unknown as { tidemarkEngine: Engine }).tidemarkEngine;
    const now = Date.now();
    const batches = [];
    for (let i = 0; i < 1000; i++) {
      const family = i % 10;
      const counter = family === 0;
      batches.push({
        series: {
          name: counter ? 'node_requests_total' : `node_metric_${family}`,
          labels: { instance: `host-${Math.floor(i / 10)}`, cpu: String(i % 4) },
          unit: counter ? 'count' : 'bytes',
          kind: counter ? 'counter' : 'gauge',
          source: 'api',
          category: 'system'
        },
        t: Float64Array.of(now - 2_000, now - 1_000),
        v: Float64Array.of(i * 10, i * 10 + 5)
      });
    }
    await engine.ingest(batches);
  });
  const charts = page.getByTestId('family-chart');
  await expect(charts).toHaveCount(10, { timeout: 20_000 });
  await expect(page.getByTestId('live-category')).toContainText('10 charts · 1000 series');
  const counter = familyChart(page, 'node_requests_total');
  await expect(counter).toContainText('100 series');
  await expect(counter).toHaveAttribute('data-lines', '6');
  // Charts are fed only near the viewport: bring it in. +5 over 1 s shows as 5 per second.
  await counter.scrollIntoViewIfNeeded();
  await expect(counter.getByTestId('legend-item').first()).toContainText('5 /s');
  await counter.getByTestId('show-all-lines').click();
  await expect(counter).toHaveAttribute('data-lines', '100');

  // The search box narrows families, and series by label.
  await page.getByTestId('live-search').fill('node_metric_3');
  await expect(charts).toHaveCount(1);
  await page.getByTestId('live-search').fill('requests instance=host-4');
  await expect(charts).toHaveCount(1);
  // host-4 and host-40 … host-49: eleven of the family's hundred series.
  await expect(counter).toContainText('11 series');
});

test('only older data: Live shows it, says when it ends and links to Explore', async ({ page }) => {
  await page.goto('/');
  await waitForStore(page);
  await page.evaluate(async () => {
    type Engine = { ingest(b: unknown[]): Promise<unknown> };
    const engine = (globalThis as unknown as { tidemarkEngine: Engine }).tidemarkEngine;
    const end = Date.now() - 3_600_000;
    const t = Float64Array.from({ length: 60 }, (_, i) => end - (59 - i) * 5_000);
    await engine.ingest([
      {
        series: {
          name: 'old_queue_depth',
          labels: {},
          unit: 'count',
          kind: 'gauge',
          source: 'import',
          category: 'app'
        },
        t,
        v: t.map((_, i) => 10 + (i % 7))
      }
    ]);
  });
  const chart = familyChart(page, 'old_queue_depth');
  await expect(chart.getByTestId('stale-note')).toContainText('last data at');
  await expect(chart.getByRole('link', { name: 'Open in Explore' })).toHaveAttribute(
    'href',
    /^\/explore\?series=old_queue_depth[^&]*&from=\d+&to=\d+$/
  );
  // The last five minutes of it are drawn, not an empty chart.
  const box = chart.locator('[data-color]');
  await expect.poll(() => box.getAttribute('data-points').then(Number)).toBeGreaterThan(30);
});

test('390×844: no horizontal scroll; screenshots at 1440×900 and 390×844', async ({
  page
}, testInfo) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await loadDemo(page);
  const box = familyChart(page, 'cpu_usage_percent').locator('[data-color]');
  await expect.poll(() => box.getAttribute('data-points').then(Number)).toBeGreaterThan(50);
  await page.screenshot({ path: testInfo.outputPath('live-1440x900.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await expect
    .poll(() => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth))
    .toBeLessThanOrEqual(0);
  await page.screenshot({ path: testInfo.outputPath('live-390x844.png') });
});

test('main-thread drawing (/?charts=main) draws the same charts', async ({ page }) => {
  await loadDemo(page);
  await page.goto('/?charts=main');
  const chart = familyChart(page, 'cpu_usage_percent').locator('[data-color]');
  await expect.poll(() => chart.getAttribute('data-points').then(Number)).toBeGreaterThan(50);
  await expect.poll(() => countLinePixels(chart)).toBeGreaterThan(100);
});

test('/?load=1000 drives points through the store into live charts', async ({ page }) => {
  await page.goto('/?load=1000');
  await waitForStore(page);
  await expect(page.getByTestId('load-status')).toContainText('1,000 points/s');
  const family = familyChart(page, 'load_synthetic');
  // Ten series, one chart: the top six drawn, the rest behind "Show all".
  await expect(family).toContainText('10 series', { timeout: 20_000 });
  await expect(family).toHaveAttribute('data-lines', '6');
  const chart = family.locator('[data-color]');
  // 100 points/s per series into 1 s buckets: the drawn point count keeps growing.
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
