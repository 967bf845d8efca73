import { readFileSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { loadDemo, waitForStore } from './helpers';

type Engine = {
  listSeries(): Promise<{ id: number; name: string; key: string; category: string }[]>;
  readRaw(id: number, from: number, to: number): Promise<{ t: Float64Array }>;
  counts(): Promise<{ series: number; points: number; events: number }>;
};

/**
 * A custom range of the last 20 minutes (to the second, in the page's zone), typed into the
 * page; raw points that recent are never touched by retention while the test runs.
 */
async function chooseRecentRange(page: Page): Promise<{ from: number; to: number }> {
  const r = await page.evaluate(() => {
    const pad = (n: number) => String(n).padStart(2, '0');
    const local = (t: number) => {
      const d = new Date(t);
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    };
    const to = Math.floor((Date.now() - 30_000) / 1000) * 1000;
    const from = to - 20 * 60_000;
    return { from, to, fromText: local(from), toText: local(to) };
  });
  await page.getByTestId('export-range').selectOption('custom');
  await page.getByTestId('export-from').fill(r.fromText);
  await page.getByTestId('export-to').fill(r.toText);
  return { from: r.from, to: r.to };
}

/** Raw points per series key in [from, to], read straight from the page's engine. */
async function rawCounts(
  page: Page,
  options: { from: number; to: number; category?: string }
): Promise<Record<string, number>> {
  return page.evaluate(async ({ from, to, category }) => {
    const engine = (globalThis as unknown as { tidemarkEngine: Engine }).tidemarkEngine;
    const out: Record<string, number> = {};
    for (const s of await engine.listSeries()) {
      if (category !== undefined && s.category !== category) continue;
      const raw = await engine.readRaw(s.id, from, to);
      const n = raw.t.filter((t) => t >= from && t <= to).length;
      if (n > 0) out[s.key] = n;
    }
    return out;
  }, options);
}

async function prepareAndSave(page: Page): Promise<string> {
  await page.getByTestId('export-prepare').click();
  const preview = page.getByTestId('export-preview');
  await expect(preview).toBeVisible({ timeout: 30_000 });
  const save = page.getByTestId('export-save').first();
  // Consent first: Save stays disabled until the box is ticked.
  await expect(save).toBeDisabled();
  await page.getByTestId('export-consent').check();
  await expect(save).toBeEnabled();
  const [download] = await Promise.all([page.waitForEvent('download'), save.click()]);
  return download.path();
}

test.describe('export', () => {
  test('CSV of one category matches the store row for row; the report is keyboard-operable, axe clean and self-contained', async ({
    page
  }) => {
    await loadDemo(page);
    // Client-side navigation: no reload, so no new leader runs retention mid-test.
    await page.getByRole('link', { name: 'Export' }).first().click();
    await expect(page.getByRole('heading', { name: 'Export', level: 1 })).toBeVisible();
    await expect(page.getByText('Reading the series list…')).toHaveCount(0);
    const range = await chooseRecentRange(page);
    await page.getByTestId('export-select-none').click();
    await page.getByTestId('export-category').selectOption('model');
    await page.getByTestId('export-select-all').click();
    await page.getByTestId('export-format-csv-long').check();

    const path = await prepareAndSave(page);
    const expected = await rawCounts(page, { ...range, category: 'model' });
    expect(Object.keys(expected).length).toBeGreaterThan(0);

    const lines = readFileSync(path, 'utf8').split('\r\n');
    expect(lines.pop()).toBe('');
    const header = lines[0].split(',');
    expect(header[0]).toBe('timestamp');
    expect(header[1]).toBe('name');
    expect(header.at(-1)).toBe('value');
    // Rows per series: name + label columns (demo labels hold no commas or quotes).
    const labelKeys = header.slice(2, -1);
    const got: Record<string, number> = {};
    for (const row of lines.slice(1)) {
      const cells = row.split(',');
      const t = Date.parse(cells[0]);
      expect(t).toBeGreaterThanOrEqual(range.from);
      expect(t).toBeLessThanOrEqual(range.to);
      const labels = labelKeys
        .map((k, i) => [k, cells[2 + i]] as const)
        .filter(([, v]) => v !== '')
        .sort(([a], [b]) => (a < b ? -1 : 1));
      const key =
        labels.length === 0
          ? cells[1]
          : `${cells[1]}{${labels.map(([k, v]) => `${k}="${v}"`).join(',')}}`;
      got[key] = (got[key] ?? 0) + 1;
    }
    expect(got).toEqual(expected);
    const total = Object.values(expected).reduce((a, b) => a + b, 0);
    await expect(page.getByTestId('export-points')).toHaveText(
      new Intl.NumberFormat().format(total)
    );

    // Same scope as a report with k-anonymous event groups: keyboard only, axe clean in
    // both themes, a self-contained HTML file.
    await page.getByTestId('export-format-report-html').check();
    await page.getByLabel('Events grouped (k-anonymous)').check();
    await page.getByTestId('export-prepare').click();
    await expect(page.getByTestId('export-preview')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('export-file')).toHaveCount(2);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      const results = await new AxeBuilder({ page })
        .withTags(['wcag2a', 'wcag2aa', 'wcag21aa'])
        .analyze();
      const serious = results.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`);
      expect(serious, scheme).toEqual([]);
    }
    // Keyboard: Space ticks the consent box, Enter on Save downloads.
    await page.getByTestId('export-consent').focus();
    await page.keyboard.press('Space');
    const save = page.getByTestId('export-save').first();
    await expect(save).toBeEnabled();
    await save.focus();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.keyboard.press('Enter')
    ]);
    expect(download.suggestedFilename()).toMatch(/report\.html$/);
    const html = readFileSync(await download.path(), 'utf8');
    expect(html).toContain('<table>');
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
  });

  test('an encrypted bundle restores the same series on a fresh profile; a wrong password imports nothing', async ({
    page,
    browser
  }) => {
    await loadDemo(page);
    await page.getByRole('link', { name: 'Export' }).first().click();
    await expect(page.getByText('Reading the series list…')).toHaveCount(0);
    const range = await chooseRecentRange(page);
    await page.getByTestId('export-format-bundle-zip').check();
    await page.getByTestId('export-encrypt').check();
    await page.getByTestId('export-password').fill('correct horse battery');
    await page.getByTestId('export-password-again').fill('correct horse battery');
    const path = await prepareAndSave(page);
    const expected = await rawCounts(page, range);
    const file = readFileSync(path);
    expect(file.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x54, 0x4d, 0x45, 0x4e, 0x43, 0x0d, 0x0a])
    );

    // A fresh profile: its own, empty IndexedDB.
    const context = await browser.newContext();
    const fresh = await context.newPage();
    await fresh.goto('/import');
    await waitForStore(fresh);
    const name = 'backup.zip.tmenc';
    await fresh.getByTestId('file-input').setInputFiles({
      name,
      mimeType: 'application/octet-stream',
      buffer: file
    });
    const job = fresh.getByTestId('import-job').first();
    await expect(job).toHaveAttribute('data-status', 'password');
    await job.getByTestId('import-password').fill('wrong password');
    await job.getByTestId('import-unlock').click();
    // Refused: the job asks again, and nothing was stored.
    await expect(job.getByTestId('job-message')).toContainText('Wrong password', {
      timeout: 30_000
    });
    await expect(job).toHaveAttribute('data-status', 'password');
    const empty = await fresh.evaluate(() =>
      (globalThis as unknown as { tidemarkEngine: Engine }).tidemarkEngine.counts()
    );
    expect(empty).toMatchObject({ series: 0, points: 0, events: 0 });

    await job.getByTestId('import-password').fill('correct horse battery');
    await job.getByTestId('import-unlock').click();
    await expect(job).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
    const restored = await rawCounts(fresh, { from: -8.64e15, to: 8.64e15 });
    expect(restored).toEqual(expected);
    await context.close();
  });
});
