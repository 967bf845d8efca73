import { expect, test, type Page } from '@playwright/test';
import { loadDemo, Routes, waitForStore } from './helpers';

test.use({ viewport: { width: 390, height: 844 } });

/** Web vitals' "good" CLS threshold. */
const GoodCls = 0.1;

type W = typeof globalThis & { __cls: { value: number; shifts: string[] } };

/**
 * Sums layout shifts not caused by input (the CLS definition: layout-shift entries with
 * hadRecentInput false; one page load is one session window here), recording what moved.
 */
async function observeShifts(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const state = { value: 0, shifts: [] as string[] };
    (globalThis as W).__cls = state;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as (PerformanceEntry & {
        value: number;
        hadRecentInput: boolean;
        sources?: { node?: Node }[];
      })[]) {
        if (e.hadRecentInput) continue;
        state.value += e.value;
        const nodes = (e.sources ?? []).map((s) => {
          const el = s.node as Element | undefined;
          return el?.tagName
            ? `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : ''}`
            : '?';
        });
        state.shifts.push(`${e.value.toFixed(3)} ${nodes.join(',')}`);
      }
    }).observe({ type: 'layout-shift', buffered: true });
  });
}

/** Loads `route` and waits until it has settled: store open, counts shown, no pending requests. */
async function settle(page: Page, route: string): Promise<{ value: number; shifts: string[] }> {
  await page.goto(route);
  await waitForStore(page);
  await expect(page.locator('main h1').first()).toBeVisible();
  await page.waitForLoadState('networkidle');
  // Loading texts ("Computing…", "Reading…", "Querying…") have been replaced.
  await expect(page.locator('main [aria-live="polite"]', { hasText: /…$/ })).toHaveCount(0, {
    timeout: 60_000
  });
  // Two frames after the last change, so the last shift has been reported.
  await page.evaluate(
    () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null))))
  );
  return page.evaluate(() => (globalThis as W).__cls);
}

test('no page shifts its layout on load at 390 × 844, empty or with the demo (CLS < 0.1)', async ({
  page
}) => {
  test.setTimeout(300_000);
  await observeShifts(page);
  const empty: Record<string, number> = {};
  for (const route of Routes) {
    const cls = await settle(page, route);
    empty[route] = cls.value;
    expect(cls.value, `${route} (empty store): ${cls.shifts.join('; ')}`).toBeLessThan(GoodCls);
  }
  await loadDemo(page);
  const demo: Record<string, number> = {};
  for (const route of Routes) {
    const cls = await settle(page, route);
    demo[route] = cls.value;
    expect(cls.value, `${route} (demo): ${cls.shifts.join('; ')}`).toBeLessThan(GoodCls);
  }
  console.log(JSON.stringify({ cls: { empty, demo } }));
});
