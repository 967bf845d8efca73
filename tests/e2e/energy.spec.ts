import { expect, test, type Locator, type Page } from '@playwright/test';
import { waitForStore } from './helpers';

/**
 * The energy view draws in a worker (OffscreenCanvas), so the page cannot read its canvas:
 * screenshots of the stage are what the user sees.
 */
async function shot(stage: Locator): Promise<string> {
  return (await stage.screenshot({ animations: 'allow' })).toString('base64');
}

/**
 * Loads the demo day once for the file (a day of points is slow to store on a busy
 * machine, so the wait is generous) and keeps the page: the tests run in order on it.
 */
async function loadDemoSlowly(page: Page): Promise<void> {
  await page.goto('/');
  await waitForStore(page);
  await page.getByTestId('load-demo').click();
  await expect(page.getByTestId('load-demo')).toHaveCount(0, { timeout: 240_000 });
  await expect(page.locator('header')).toContainText(/[1-9][\d,]* events/, { timeout: 240_000 });
}

test.describe.configure({ mode: 'serial' });
let page: Page;
test.beforeAll(async ({ browser }) => {
  test.setTimeout(300_000);
  page = await browser.newPage();
  await loadDemoSlowly(page);
});
test.afterAll(() => page?.close());

async function openEnergy(page: Page): Promise<Locator> {
  if (page.url().endsWith('/energy')) return page.getByTestId('energy-stage');
  await page.getByRole('link', { name: 'Energy' }).click();
  await expect(page).toHaveURL(/\/energy$/);
  const stage = page.getByTestId('energy-stage');
  await expect(page.getByTestId('energy-table').locator('tbody tr')).toHaveCount(3, {
    timeout: 30_000
  });
  return stage;
}

test('draws one flowing ribbon per demo model, with the same figures in a table', async () => {
  test.setTimeout(180_000);
  const stage = await openEnergy(page);
  await expect(stage).toHaveAttribute('data-motion', 'true', { timeout: 15_000 });
  const table = page.getByTestId('energy-table');
  await expect(table).toContainText('meta-llama/Llama-3.1-8B-Instruct');
  await expect(table).toContainText('mistral:latest');
  // The Ollama model reports no entropy: its particles are evenly spaced, and a note says so.
  await expect(page.getByTestId('entropy-note')).toContainText('mistral:latest');
  // The worker keeps drawing frames, and the pixels change between them.
  const frames = Number(await stage.getAttribute('data-frames'));
  await expect
    .poll(async () => Number(await stage.getAttribute('data-frames')), { timeout: 15_000 })
    .toBeGreaterThan(frames + 10);
  await expect(async () => {
    const a = await shot(stage);
    const b = await shot(stage);
    expect(a).not.toEqual(b);
  }).toPass({ timeout: 30_000 });
});

test('hovering a ribbon shows its exact figures', async () => {
  test.setTimeout(180_000);
  const stage = await openEnergy(page);
  const box = (await stage.boundingBox())!;
  const tip = page.getByTestId('energy-tooltip');
  // Walk down the middle of the stage until the pointer is over a ribbon.
  await expect(async () => {
    for (let y = 4; y < box.height; y += 3) {
      await page.mouse.move(box.x + box.width / 2, box.y + y);
      if (await tip.isVisible()) break;
    }
    await expect(tip).toBeVisible({ timeout: 500 });
  }).toPass({ timeout: 60_000 });
  const model = (await tip.locator('strong').textContent())!;
  const row = page.getByTestId('energy-table').locator('tbody tr', { hasText: model });
  await expect(tip).toContainText('Throughput');
  await expect(tip).toContainText('Energy per token');
  await expect(tip).toContainText(/tokens\/s/);
  await expect(tip).toContainText(/J\/token/);
  // The tooltip and the table show the same figures for the same model (both follow each
  // refresh, so they are compared together until a pair is read between refreshes).
  await expect(async () => {
    const cells = await row.locator('td').allTextContents();
    const text = (await tip.textContent()) ?? '';
    for (const figure of cells.slice(1)) expect(text).toContain(figure.trim());
  }).toPass({ timeout: 30_000 });
  await page.mouse.move(box.x + 2, box.y + box.height + 40);
  await expect(tip).toHaveCount(0);
});

test('prefers-reduced-motion gives a static picture that redraws only when figures change', async () => {
  test.setTimeout(180_000);
  const stage = await openEnergy(page);
  const animated = Number(await stage.getAttribute('data-frames'));
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await expect(stage).toHaveAttribute('data-motion', 'false', { timeout: 15_000 });
  await expect(page.getByText('Motion is off')).toBeVisible();
  await expect
    .poll(async () => Number(await stage.getAttribute('data-updates')), { timeout: 30_000 })
    .toBeGreaterThan(3);
  // One draw per change (model updates, resizes), never a running animation.
  const frames0 = Number(await stage.getAttribute('data-frames'));
  const updates0 = Number(await stage.getAttribute('data-updates'));
  expect(frames0).toBeGreaterThanOrEqual(animated);
  await expect
    .poll(async () => Number(await stage.getAttribute('data-updates')), { timeout: 30_000 })
    .toBeGreaterThan(updates0 + 2);
  const frames1 = Number(await stage.getAttribute('data-frames'));
  const updates1 = Number(await stage.getAttribute('data-updates'));
  expect(frames1 - frames0).toBeLessThanOrEqual(updates1 - updates0 + 2);
  // Between two model updates the picture does not move.
  await expect(async () => {
    const before = await stage.getAttribute('data-updates');
    const a = await shot(stage);
    const b = await shot(stage);
    expect(await stage.getAttribute('data-updates')).toBe(before);
    expect(a).toEqual(b);
  }).toPass({ timeout: 30_000 });
});
