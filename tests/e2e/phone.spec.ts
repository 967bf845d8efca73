import { expect, test } from '@playwright/test';
import { loadDemo, Routes } from './helpers';

test.use({ viewport: { width: 390, height: 844 } });

/** Elements wider than the screen, named, so a failure says what overflows. */
function overflowing(): string[] {
  const width = window.innerWidth;
  const out: string[] = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > width + 1 && r.width > 0) {
      const cls = typeof el.className === 'string' ? el.className.split(' ')[0] : '';
      out.push(`${el.tagName.toLowerCase()}${cls ? '.' + cls : ''} right=${Math.round(r.right)}`);
    }
  }
  return out.slice(0, 8);
}

test('at 390 × 844 the navigation folds into a menu and no page is wider than the screen', async ({
  page
}) => {
  await loadDemo(page);
  // The folded navigation takes one row, and opens on demand.
  const nav = page.locator('nav[aria-label="Sections"]');
  expect((await nav.boundingBox())!.height).toBeLessThan(60);
  await page.getByTestId('nav-menu').click();
  await page.getByRole('link', { name: /Explore/ }).click();
  await expect(page).toHaveURL(/\/explore/);
  await expect(page.getByTestId('nav-menu')).toHaveAttribute('aria-expanded', 'false');

  const pages = [
    ...Routes,
    `/explore?series=${encodeURIComponent('cpu_usage_percent{cpu="total"}')}&agg=avg,band,p95&cmp=1`
  ];
  for (const route of pages) {
    await page.goto(route);
    await expect(page.getByTestId('db-status')).toContainText('ready');
    await expect(page.locator('main h1').first()).toBeVisible();
    const sizes = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      inner: window.innerWidth
    }));
    // The folded navigation stays one row, however short the page.
    expect((await nav.boundingBox())!.height, route).toBeLessThan(60);
    const wide = sizes.scroll > sizes.inner ? await page.evaluate(overflowing) : [];
    expect(wide, `${route}: ${sizes.scroll} px wide`).toEqual([]);
  }
});
