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

test('the service worker controls the page and every route renders offline', async ({
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
  await context.setOffline(true);
  for (const route of Routes) {
    await page.goto(route);
    await expect(page.locator('nav[aria-label="Sections"]')).toBeVisible();
    await expect(page.locator('h1')).toBeVisible();
    await waitForStore(page);
    const controlled = await page.evaluate(() => navigator.serviceWorker.controller !== null);
    expect(controlled, route).toBe(true);
  }
  // A deep link that was never prerendered still gets the app shell offline.
  await page.goto('/explore?series=1&from=now-1h');
  await expect(page.locator('h1')).toHaveText('Explore');
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
