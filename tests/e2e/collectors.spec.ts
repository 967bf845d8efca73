/**
 * In-page collectors: switching frame timing on makes browser series appear and grow;
 * switching it off stops them. Read straight from the page's IndexedDB.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { waitForStore } from './helpers';

/** Browser series and how many points each has stored (sum of its chunks). */
async function browserSeries(page: Page): Promise<Record<string, number>> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('tidemark');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const tx = db.transaction(['series', 'chunks']);
    const get = <T>(name: string) =>
      new Promise<T[]>((resolve, reject) => {
        const req = tx.objectStore(name).getAll();
        req.onsuccess = () => resolve(req.result as T[]);
        req.onerror = () => reject(req.error);
      });
    const [series, chunks] = await Promise.all([
      get<{ id: number; key: string; source: string }>('series'),
      get<{ seriesId: number; n: number }>('chunks')
    ]);
    db.close();
    const out: Record<string, number> = {};
    for (const s of series.filter((x) => x.source === 'browser')) {
      out[s.key] = chunks.filter((c) => c.seriesId === s.id).reduce((a, c) => a + c.n, 0);
    }
    return out;
  });
}

const frameKey = (store: Record<string, number>) =>
  Object.keys(store).find((k) => k.startsWith('frame_time_ms{'));

test('frame timing on → browser series appear and grow; off → they stop', async ({ page }) => {
  await page.goto('/settings');
  await waitForStore(page);
  expect(await browserSeries(page)).toEqual({});
  const frames = page.getByTestId('collector-frames');
  await frames.getByRole('checkbox', { name: 'Frame timing' }).check();
  await expect(frames).toHaveAttribute('data-running', 'true');

  await expect.poll(async () => frameKey(await browserSeries(page))).toBeTruthy();
  const store = await browserSeries(page);
  const key = frameKey(store)!;
  expect(key).toMatch(/^frame_time_ms\{tab="\d+"\}$/);
  for (const name of ['frames_per_second', 'frames_over_16ms', 'frames_over_33ms']) {
    expect(
      Object.keys(store).some((k) => k.startsWith(`${name}{`)),
      name
    ).toBe(true);
  }
  const first = store[key];
  await expect.poll(async () => (await browserSeries(page))[key]).toBeGreaterThan(first + 1);
  // Its own cost is measured and shown.
  await expect(frames.getByTestId('collector-frames-overhead')).toContainText('/s');
  await expect(page.getByTestId('collectors-overhead')).toContainText('of the main thread');

  // The choice is remembered across a reload.
  await page.reload();
  await waitForStore(page);
  await expect(frames.getByRole('checkbox', { name: 'Frame timing' })).toBeChecked();
  await expect(frames).toHaveAttribute('data-running', 'true');

  await frames.getByRole('checkbox', { name: 'Frame timing' }).uncheck();
  await expect(frames).toHaveAttribute('data-running', 'false');
  // Let the last second already aggregated reach the store, then nothing more arrives.
  await page.waitForTimeout(1_500);
  const stopped = (await browserSeries(page))[key];
  await page.waitForTimeout(2_500);
  expect((await browserSeries(page))[key]).toBe(stopped);
});

test('the other collectors record where the browser supports them', async ({ page, context }) => {
  await page.goto('/settings');
  await waitForStore(page);
  for (const name of [
    'Long animation frames',
    'Event timing',
    'Memory',
    'Storage use',
    'Web vitals'
  ]) {
    await page.getByRole('checkbox', { name }).check();
  }
  // A main-thread stall of ~200 ms in a same-origin script file (the CSP allows no inline
  // script, and long-frame attribution names script files): a long frame and a slow click.
  await context.route('**/e2e-stall.js', (route) =>
    route.fulfill({
      contentType: 'text/javascript',
      body: `const button = document.createElement('button');
button.textContent = 'stall';
button.addEventListener('click', function stallOnPurpose() {
  const until = performance.now() + 200;
  while (performance.now() < until) {}
});
document.body.append(button);`
    })
  );
  await page.addScriptTag({ url: '/e2e-stall.js' });
  await page.getByRole('button', { name: 'stall' }).click();
  await expect
    .poll(async () => Object.keys(await browserSeries(page)).map((k) => k.split('{')[0]), {
      timeout: 15_000
    })
    .toEqual(
      expect.arrayContaining([
        'long_animation_frames',
        'long_animation_frame_max_ms',
        'slow_events',
        'event_duration_max_ms',
        'js_heap_used_bytes',
        'storage_usage_bytes',
        'web_vitals_ttfb_ms',
        'web_vitals_fcp_ms'
      ])
    );
  // Long frames keep their script attribution as events.
  const readLongFrames = () =>
    page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open('tidemark');
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      const events = await new Promise<
        { actionType: string; durationMs: number; context?: Record<string, unknown> }[]
      >((resolve, reject) => {
        const req = db.transaction('events').objectStore('events').getAll();
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      db.close();
      return events.filter((e) => e.actionType === 'long_animation_frame');
    });
  // On a busy machine other frames may be long too; the stall's frame is the one naming it.
  type Script = { sourceURL: string; sourceFunctionName: string; durationMs: number };
  type Loaf = Awaited<ReturnType<typeof readLongFrames>>[number];
  const scriptsOf = (e: Loaf) => (e.context?.scripts ?? []) as Script[];
  const findStall = (list: Loaf[]) =>
    list.find((e) => scriptsOf(e).some((s) => s.sourceURL.endsWith('/e2e-stall.js')));
  await expect.poll(async () => findStall(await readLongFrames()) !== undefined).toBe(true);
  const stall = findStall(await readLongFrames());
  expect(stall!.durationMs).toBeGreaterThanOrEqual(200);
  expect(stall!.context).toMatchObject({ page: '/settings', tab: expect.any(String) });
  const script = scriptsOf(stall!).find((s) => s.sourceURL.endsWith('/e2e-stall.js'))!;
  expect(script.durationMs).toBeGreaterThanOrEqual(190);
});

test('the collector and agent panels are accessible in both themes', async ({ page }) => {
  await page.goto('/settings');
  await waitForStore(page);
  await page.getByRole('checkbox', { name: 'Frame timing' }).check();
  await expect(page.getByTestId('collectors-overhead')).toBeVisible();
  for (const theme of ['light', 'dark']) {
    await page.getByLabel('Theme').selectOption(theme);
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
    const result = await new AxeBuilder({ page })
      .include('section[aria-labelledby="collectors-title"]')
      .include('section[aria-labelledby="agent-title"]')
      .analyze();
    expect(result.violations.map((v) => `${theme}: ${v.id} ${v.help}`)).toEqual([]);
  }
});
