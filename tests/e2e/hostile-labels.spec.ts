import { expect, test, type Page } from '@playwright/test';
import { waitForStore } from './helpers';

/**
 * RELIABILITY.md row 21: labels, names and event fields are data, never markup. A file whose
 * series labels and event fields carry HTML, a template expression, a right-to-left override
 * and a 10 KB value is imported through the file input; every page that shows labels then
 * shows them as text, nothing in the document was injected or ran, and no request left for
 * a third party (one label is an image on another origin).
 */
const Img = '<img src=x onerror="window.__pwned=(window.__pwned||0)+1">';
/** Markup that, if it were ever parsed, would make a request to a third party. */
const Beacon = '<img src="https://evil.example/beacon.png">';
const Svg = '<svg onload="window.__pwned=(window.__pwned||0)+1"></svg>';
const Template = '{{constructor.constructor("window.__pwned=1")()}}';
const Rtl = '\u202Eevil\u202C';
const Long = 'L'.repeat(10 * 1024);

function hostileFile(now: number): string {
  const lines: string[] = [];
  // Points over the last minutes (Live shows a window before now) in one family.
  for (let i = 0; i < 60; i++) {
    const t = now - (60 - i) * 5_000;
    lines.push(
      JSON.stringify({
        name: 'hostile_metric',
        labels: { evil: Img, tmpl: Template, rtl: Rtl, long: Long, beacon: Beacon },
        t,
        v: i % 7
      }),
      JSON.stringify({ name: 'hostile_metric', labels: { evil: Svg }, t, v: 10 - (i % 5) })
    );
  }
  for (let i = 0; i < 20; i++)
    lines.push(
      JSON.stringify({
        t: now - (20 - i) * 60_000,
        actionType: Img,
        status: i % 4 ? 'success' : 'failure',
        durationMs: 100 + i,
        triggerId: Template,
        organisationId: Rtl,
        error: i % 4 ? undefined : Svg
      })
    );
  return lines.join('\n') + '\n';
}

/** Nothing injected: no element from the hostile strings, no handler ran. */
async function expectNothingInjected(page: Page, where: string): Promise<void> {
  const found = await page.evaluate(() => ({
    pwned: (window as unknown as { __pwned?: number }).__pwned ?? 0,
    imgs: [...document.querySelectorAll('img')].filter((i) =>
      /^(x$|https:\/\/evil\.example)/.test(i.getAttribute('src') ?? '')
    ).length,
    svgs: [...document.querySelectorAll('svg[onload]')].length,
    handlers: [...document.querySelectorAll('[onerror],[onload]')].length
  }));
  expect(found, where).toEqual({ pwned: 0, imgs: 0, svgs: 0, handlers: 0 });
}

/** The hostile label appears in the page's text, literally (escaped, not parsed). */
async function expectShownAsText(page: Page, where: string): Promise<void> {
  await expect(page.locator('main'), where).toContainText('<img src=x onerror=', {
    timeout: 30_000
  });
}

test('hostile labels and event fields are shown as text on every page, and never run', async ({
  page
}) => {
  test.setTimeout(240_000);
  // Every request the pages make, to check that none leaves for a third party.
  const requests: string[] = [];
  page.context().on('request', (r) => requests.push(r.url()));
  const now = Date.now();
  await page.goto('/import');
  await waitForStore(page);
  await page.getByTestId('file-input').setInputFiles({
    name: 'hostile.ndjson',
    mimeType: 'application/x-ndjson',
    buffer: Buffer.from(hostileFile(now))
  });
  const job = page.getByTestId('import-job').first();
  await expect(job).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(job.getByTestId('summary-points')).toHaveText('120');
  await expect(job.getByTestId('summary-events')).toHaveText('20');
  // Import summary: the series table lists the labels.
  await expectShownAsText(page, 'import');
  await expect(job.getByTestId('summary-series')).toContainText(Template);
  await expect(job.getByTestId('summary-series')).toContainText(Long);
  await expectNothingInjected(page, 'import');

  // Explore, opened from the summary as a user does.
  const key = await job
    .locator('[data-series]')
    .evaluateAll((rows) =>
      rows.map((r) => r.getAttribute('data-series')!).find((k) => k.includes('tmpl'))
    );
  expect(key).toBeTruthy();
  await page.goto(`/explore?series=${encodeURIComponent(key!)}`);
  await waitForStore(page);
  await expectShownAsText(page, 'explore');
  await expectNothingInjected(page, 'explore');

  // Events: the hostile action type is a group, a filter value and a row.
  await page.goto('/events');
  await waitForStore(page);
  await expectShownAsText(page, 'events');
  await expectNothingInjected(page, 'events');

  // A rule over the hostile family fires: its instances name the labels.
  await page.goto('/alerts');
  await waitForStore(page);
  await page.getByTestId('rule-text').fill('alert "Hostile" when max(hostile_metric) over 1h > 0');
  await expect(page.getByTestId('rule-ok')).toBeVisible();
  await page.getByTestId('rule-save').click();
  const rule = page.getByTestId('alert-rule').filter({ hasText: 'Hostile' });
  await expect(rule.getByTestId('rule-status')).toHaveText('Firing', { timeout: 60_000 });
  await expectShownAsText(page, '/alerts');
  await expectNothingInjected(page, '/alerts');

  // Live (the family's chart and legend), Insights, Export (the scope's series list) and
  // Usage (the action types) show the series or events as text too.
  for (const route of ['/', '/insights', '/export', '/usage']) {
    await page.goto(route);
    await waitForStore(page);
    await expectShownAsText(page, route);
    await expectNothingInjected(page, route);
  }
  // And the toast or status bar of the firing alert, on any page, is text as well.
  await expectNothingInjected(page, 'after all pages');
  const origin = new URL(page.url()).origin;
  expect(requests.length).toBeGreaterThan(0);
  expect(requests.filter((u) => !(u.startsWith(origin + '/') || /^(data|blob):/.test(u)))).toEqual(
    []
  );
});
