import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { ensureXmllint } from '../../scripts/xmllint.mjs';
import { loadDemo, waitForStore } from './helpers';

/** Every widget's kind, title, place and shown text, in grid order. */
async function snapshot(page: Page) {
  const widgets = page.getByTestId('widget');
  return widgets.evaluateAll((els) =>
    els.map((el) => ({
      kind: el.getAttribute('data-kind'),
      rect: el.getAttribute('data-rect'),
      title: el.querySelector('h2')?.textContent?.trim()
    }))
  );
}

async function addWidget(page: Page, fill: () => Promise<void>) {
  const before = await page.getByTestId('widget').count();
  await page.getByTestId('dashboard-add').click();
  await fill();
  await page.getByTestId('widget-add').click();
  await expect(page.getByTestId('widget')).toHaveCount(before + 1);
}

const digits = (s: string | null) => Number((s ?? '').replace(/[^\d]/g, ''));

test('a custom dashboard is built, kept across a reload, arranged by keyboard, exported, deleted and imported back', async ({
  page
}) => {
  test.setTimeout(180_000);
  await loadDemo(page);
  await page.getByRole('link', { name: 'Dashboards' }).first().click();
  await expect(page.getByTestId('dashboard-list')).toBeVisible();
  await page.getByTestId('dashboard-new').click();
  await expect(page).toHaveURL(/\/dashboards\?d=/, { timeout: 30_000 });
  await page.getByTestId('dashboard-title-input').fill('Ops board');
  await page.getByTestId('dashboard-title-input').press('Enter');

  await addWidget(page, async () => {
    await page.getByTestId('widget-kind').selectOption('note');
    await page.getByTestId('widget-title').fill('Read me');
    await page.getByTestId('widget-text').fill('# On call\n- **Page** Ana <b>now</b>');
  });
  await addWidget(page, async () => {
    await page.getByTestId('widget-kind').selectOption('stat');
    await page.getByTestId('widget-title').fill('CPU total');
    await page.getByTestId('widget-match').fill('cpu_usage_percent{cpu="total"}');
  });
  await addWidget(page, async () => {
    await page.getByTestId('widget-kind').selectOption('table');
    await page.getByTestId('widget-title').fill('Triggers');
    await page.getByTestId('widget-source').selectOption('view');
    await page.getByTestId('widget-view').selectOption('triggers');
  });
  await addWidget(page, async () => {
    await page.getByTestId('widget-kind').selectOption('timeseries');
    await page.getByTestId('widget-title').fill('Memory');
    await page.getByTestId('widget-match').fill('memory_used_bytes');
  });

  // Each widget shows its data: markup in a note stays text, the stat a value, the table rows.
  const note = page.getByTestId('widget-note');
  await expect(note.locator('h3')).toHaveText('On call');
  await expect(note.locator('li strong')).toHaveText('Page');
  await expect(note).toContainText('<b>now</b>');
  await expect(note.locator('b')).toHaveCount(0);
  await expect(page.getByTestId('widget-value')).toHaveText(/\d/, { timeout: 30_000 });
  await expect(page.getByTestId('widget-table').locator('tbody tr').first()).toBeVisible({
    timeout: 30_000
  });
  await expect(page.getByTestId('explore-chart')).toHaveAttribute('data-points', /[1-9]/, {
    timeout: 30_000
  });

  // Arrange by keyboard: the note moves right by one column and grows by one row.
  await page.getByTestId('dashboard-arrange').click();
  const noteWidget = page.locator('[data-testid="widget"][data-kind="note"]');
  const rectBefore = await noteWidget.getAttribute('data-rect');
  await noteWidget.focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Shift+ArrowDown');
  const [x, y, w, h] = rectBefore!.split(',').map(Number);
  await expect(noteWidget).toHaveAttribute('data-rect', `${x + 1},${y},${w},${h + 1}`);
  await page.getByTestId('dashboard-arrange').click();

  const built = await snapshot(page);
  expect(built.map((b) => b.kind).sort()).toEqual(['note', 'stat', 'table', 'timeseries']);
  const url = page.url();

  await expect(page.getByTestId('dashboard-saved')).toHaveText('All changes saved', {
    timeout: 30_000
  });
  await page.reload();
  await waitForStore(page);
  await expect(page.getByTestId('widget')).toHaveCount(4);
  expect(await snapshot(page)).toEqual(built);
  await expect(page.getByTestId('dashboard-title-input')).toHaveValue('Ops board');
  await expect(page.getByTestId('widget-note').locator('li')).toContainText('Page Ana <b>now</b>');

  // Export, delete, import: the same dashboard comes back at the same link.
  const downloading = page.waitForEvent('download');
  await page.getByTestId('dashboard-export').click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('tidemark-dashboard-ops-board.json');
  const path = await download.path();
  const file = JSON.parse(readFileSync(path, 'utf8'));
  expect(file.format).toBe('tidemark-dashboard');
  expect(file.dashboard.widgets).toHaveLength(4);

  await page.getByTestId('dashboard-delete').click();
  await page.getByTestId('dashboard-delete-confirm').click();
  await expect(page.getByTestId('dashboard-link').filter({ hasText: 'Ops board' })).toHaveCount(0);
  await expect(page.getByTestId('dashboard-message')).toContainText('Deleted', {
    timeout: 30_000
  });
  await page.goto(url);
  await expect(page.getByRole('alert')).toContainText('There is no dashboard');

  await page.getByTestId('dashboard-import').setInputFiles(path);
  await expect(page.getByTestId('dashboard-message')).toContainText('Imported');
  await expect(page).toHaveURL(url);
  await expect(page.getByTestId('widget')).toHaveCount(4);
  expect(await snapshot(page)).toEqual(built);
});

test("the executive dashboard's figures equal the Events page's on the demo data", async ({
  page
}) => {
  test.setTimeout(180_000);
  await loadDemo(page);
  await page.goto('/events');
  const counts = page.getByTestId('dist-count');
  await expect(counts.first()).toBeVisible({ timeout: 60_000 });
  const events = (await counts.allTextContents()).reduce((s, t) => s + digits(t), 0);
  const failures = digits(
    ((await page.getByTestId('failure-count').textContent()) ?? '').split(' failed')[0]
  );
  expect(events).toBeGreaterThan(0);
  expect(failures).toBeGreaterThan(0);

  await page.getByRole('link', { name: 'Dashboards' }).first().click();
  await expect(page.getByTestId('dashboard-title')).toHaveText('Executive');
  const value = (id: string) => page.locator(`[data-widget="${id}"]`).getByTestId('widget-value');
  await expect(value('events')).toHaveText(/\d/, { timeout: 60_000 });
  expect(digits(await value('events').textContent())).toBe(events);
  expect(digits(await value('failures').textContent())).toBe(failures);
  // The rest show figures too: health with its level in words, rates, the top problems.
  await expect(value('success')).toHaveText(/\d+(\.\d+)? %/);
  await expect(value('health')).toHaveAttribute('data-level', /ok|warn|bad/);
  await expect(page.locator('[data-widget="top-errors"] li').first()).toBeVisible();

  // A result table leaves as XML only after consent, with ids pseudonymised, and validates.
  await page.goto('/dashboards?d=technical');
  // The latency heatmap counts the demo's events; its cells read out by keyboard.
  const heat = page.locator('[data-widget="latency-heatmap"]');
  await expect(heat.getByTestId('widget-heatmap')).toHaveAttribute('data-total', /^[1-9]\d*$/, {
    timeout: 60_000
  });
  await heat.getByTestId('heatmap-grid').focus();
  await page.keyboard.press('ArrowLeft');
  await expect(heat.getByTestId('heatmap-tip')).toHaveText(/ – .*: [\d,.\s]+ events$/);
  const latencies = page.locator('[data-widget="latencies"]');
  await expect(latencies.getByTestId('widget-table').locator('tbody tr').first()).toBeVisible({
    timeout: 60_000
  });
  await latencies.getByTestId('results-export').click();
  await latencies.getByTestId('results-format').selectOption('xml');
  await expect(latencies.getByTestId('results-preview')).toContainText('<results');
  await expect(latencies.getByTestId('results-save')).toBeDisabled();
  await latencies.getByTestId('results-consent').check();
  const downloading = page.waitForEvent('download');
  await latencies.getByTestId('results-save').click();
  const file = await (await downloading).path();
  const xml = readFileSync(file, 'utf8');
  expect(xml).toMatch(/<v name="triggerId">anon-[0-9a-f]{16}<\/v>/);
  const xmllint = ensureXmllint();
  if (xmllint)
    execFileSync(xmllint, ['--noout', '--schema', 'static/schemas/tidemark-export.xsd', file]);
});

test('each report opens offline from its file with no request leaving it', async ({
  page,
  browser
}) => {
  test.setTimeout(240_000);
  await loadDemo(page);
  const reports = [
    ['executive', 'Executive summary'],
    ['technical', 'Technical report'],
    ['behaviour', 'User-behaviour report']
  ];
  const offline = await browser.newContext({ offline: true });
  try {
    for (const [id, title] of reports) {
      await page.goto(`/dashboards?d=${id}`);
      await expect(page.getByTestId('widget-value').first()).toHaveText(/\d/, { timeout: 60_000 });
      const downloading = page.waitForEvent('download');
      await page.getByTestId('dashboard-report').click();
      const download = await downloading;
      expect(download.suggestedFilename()).toMatch(
        /^tidemark-[a-z-]+-\d{4}-\d\d-\d\dT[\d-]+Z\.html$/
      );
      const file = test.info().outputPath(download.suggestedFilename());
      await download.saveAs(file);

      const report = await offline.newPage();
      const requests: string[] = [];
      report.on('request', (r) => requests.push(r.url()));
      await report.goto(`file://${file}`);
      await expect(report.locator('h1')).toHaveText(title);
      await expect(report.locator('section.panel')).toHaveCount(
        await page.getByTestId('widget').count()
      );
      await expect(report.locator('section.panel svg').first()).toBeVisible();
      expect(requests).toEqual([`file://${file}`]);
      await report.close();
    }
  } finally {
    await offline.close();
  }
});

test('a widget shows new data as it arrives, with refresh off', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('/');
  await waitForStore(page);
  const ingest = (v: number) =>
    page.evaluate(async (value) => {
      type Engine = { ingest(b: unknown[]): Promise<unknown> };
      const engine = (globalThis as unknown as { tidemarkEngine: Engine }).tidemarkEngine;
      await engine.ingest([
        {
          series: {
            name: 'probe_value',
            labels: {},
            unit: '',
            kind: 'gauge',
            source: 'api',
            category: 'app'
          },
          t: Float64Array.of(Date.now()),
          v: Float64Array.of(value)
        }
      ]);
    }, v);
  await ingest(42);
  await page.getByRole('link', { name: 'Dashboards' }).first().click();
  await page.getByTestId('dashboard-new').click();
  await expect(page).toHaveURL(/\/dashboards\?d=/, { timeout: 30_000 });
  await expect(page.getByTestId('dashboard-refresh')).toHaveValue('0');
  await addWidget(page, async () => {
    await page.getByTestId('widget-kind').selectOption('stat');
    await page.getByTestId('widget-title').fill('Probe');
    await page.getByTestId('widget-match').fill('probe_value');
  });
  const value = page.getByTestId('widget-value');
  await expect(value).toHaveText('42', { timeout: 30_000 });
  await ingest(77);
  await expect(value).toHaveText('77', { timeout: 30_000 });
});
