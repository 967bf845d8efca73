import { expect, test } from '@playwright/test';
import { Routes, waitForStore } from './helpers';

test('the manifest is served, parses, and its icons exist', async ({ page, request }) => {
  await page.goto('/');
  const href = await page.locator('link[rel="manifest"]').getAttribute('href');
  expect(href).toBeTruthy();
  const res = await request.get(new URL(href!, page.url()).toString());
  expect(res.ok()).toBe(true);
  const manifest = await res.json();
  expect(manifest).toMatchObject({ short_name: 'Tidemark', display: 'standalone', start_url: '/' });
  expect(manifest.name).toContain('Tidemark');
  const sizes = manifest.icons.map((i: { sizes: string }) => i.sizes);
  expect(sizes).toEqual(expect.arrayContaining(['192x192', '512x512']));
  expect(manifest.icons.some((i: { purpose?: string }) => i.purpose === 'maskable')).toBe(true);
  for (const icon of manifest.icons as { src: string; sizes: string }[]) {
    const img = await request.get(new URL(icon.src, page.url()).toString());
    expect(img.ok(), icon.src).toBe(true);
    const bytes = await img.body();
    expect(bytes.subarray(1, 4).toString('ascii')).toBe('PNG');
    const [w, h] = icon.sizes.split('x').map(Number);
    expect(bytes.readUInt32BE(16)).toBe(w);
    expect(bytes.readUInt32BE(20)).toBe(h);
  }
});

test('the service worker controls the page; every route and the stored data render offline', async ({
  page,
  context
}) => {
  await page.goto('/');
  await page.waitForFunction(async () => {
    const reg = await navigator.serviceWorker.getRegistration();
    return reg?.active?.state === 'activated';
  });
  // clients.claim() in activate makes the first visit controlled without a reload.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  // Local data stored while online, to be read offline: 30 points a minute apart.
  await waitForStore(page);
  const key = await page.evaluate(async () => {
    type Engine = {
      ingest(b: unknown[]): Promise<unknown>;
      flush(): Promise<void>;
      listSeries(): Promise<{ name: string; key: string }[]>;
    };
    const engine = (globalThis as { tidemarkEngine?: Engine }).tidemarkEngine!;
    const now = Date.now();
    await engine.ingest([
      {
        series: {
          name: 'offline_probe',
          labels: { host: 'a' },
          unit: '',
          kind: 'gauge',
          source: 'api',
          category: 'system'
        },
        t: Float64Array.from({ length: 30 }, (_, i) => now - (30 - i) * 60_000),
        v: Float64Array.from({ length: 30 }, (_, i) => i + 0.5)
      }
    ]);
    await engine.flush();
    return (await engine.listSeries()).find((s) => s.name === 'offline_probe')!.key;
  });
  await context.setOffline(true);
  for (const route of Routes) {
    await page.goto(route);
    await expect(page.locator('nav[aria-label="Sections"]')).toBeVisible();
    await expect(page.locator('h1')).toBeVisible();
    await waitForStore(page);
    const controlled = await page.evaluate(() => navigator.serviceWorker.controller !== null);
    expect(controlled, route).toBe(true);
  }
  // A deep link that was never prerendered still gets the app shell offline, and the data
  // stored before: the series, its chart and every one of its points.
  await page.goto(`/explore?series=${encodeURIComponent(key)}`);
  await expect(page.locator('h1')).toHaveText('Explore');
  await expect(page.locator('header.bar')).toContainText('1 series');
  await expect(page.getByTestId('explore-chart')).toBeVisible();
  await page.getByTestId('table-toggle').click();
  await expect(page.getByTestId('data-table').locator('tbody tr')).toHaveCount(30);
  await context.setOffline(false);
});

test('the content security policy is set and strict', async ({ page }) => {
  await page.goto('/');
  const csp = await page
    .locator('meta[http-equiv="content-security-policy"]')
    .getAttribute('content');
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).toContain("base-uri 'none'");
  expect(csp).toMatch(/connect-src 'self' http:\/\/127\.0\.0\.1:\*/);
});
