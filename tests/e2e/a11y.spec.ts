import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { loadDemo, waitForStore } from './helpers';

/** Serious and critical axe violations on the page, described for the failure message. */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21aa'])
    .analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`
    );
}

for (const theme of ['light', 'dark'] as const) {
  test.describe(`${theme} theme`, () => {
    test.use({ colorScheme: theme });

    test('Live, empty store', async ({ page }) => {
      await page.goto('/');
      await waitForStore(page);
      await expect(page.getByRole('heading', { name: 'Nothing stored yet' })).toBeVisible();
      expect(await seriousViolations(page)).toEqual([]);
    });

    test('Live and Explore with demo data, tables open', async ({ page }) => {
      await loadDemo(page);
      await expect(page.getByTestId('health-score')).toBeVisible();
      await page.getByTestId('table-toggle').first().click();
      await expect(page.getByTestId('data-table').first()).toBeVisible();
      expect(await seriousViolations(page)).toEqual([]);
      // 15 minutes keep the table short (90 rows): axe checks every row's button.
      await page.goto('/explore?range=15m');
      await page.getByTestId('series-option').first().click();
      await expect(page.getByTestId('tier')).toBeVisible();
      await page.getByTestId('table-toggle').click();
      await expect(page.getByTestId('data-table')).toBeVisible();
      expect(await seriousViolations(page)).toEqual([]);
    });
  });
}

test('Explore without data', async ({ page }) => {
  await page.goto('/explore');
  await waitForStore(page);
  await expect(page.getByRole('heading', { name: 'Nothing to explore yet' })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
});
