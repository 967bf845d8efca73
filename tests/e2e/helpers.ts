import { writeFileSync } from 'node:fs';
import { expect, type Page } from '@playwright/test';
import { encryptArchive } from '../../src/lib/export/crypto';

/** Every route of the app shell, in navigation order. */
export const Routes = [
  '/',
  '/explore',
  '/events',
  '/usage',
  '/insights',
  '/alerts',
  '/import',
  '/export',
  '/settings'
];

/** Waits until the page's engine has opened the store. */
export async function waitForStore(page: Page): Promise<void> {
  await expect(page.getByTestId('db-status')).toContainText('ready');
}

/** Loads the demo day through the UI and waits until it is all stored. */
export async function loadDemo(page: Page): Promise<void> {
  await page.goto('/');
  await waitForStore(page);
  await page.getByTestId('load-demo').click();
  await expect(page.getByTestId('load-demo')).toHaveCount(0, { timeout: 60_000 });
  await expect(page.locator('header')).toContainText(/[1-9][\d,]* events/, { timeout: 60_000 });
}

/**
 * Writes a Prometheus file of `series × samples` points (5 ms apart, ending about now),
 * sealed as an encrypted archive in 16 KiB chunks so that decrypting it lasts a few
 * seconds — long enough for a test to act while the import runs.
 */
export async function writeSealedPromFile(options: {
  path: string;
  password: string;
  series: number;
  samples: number;
}): Promise<void> {
  const t0 = Date.now() - 2_100_000;
  const parts: string[] = [];
  let block = '';
  for (let i = 0; i < options.samples; i++) {
    for (let s = 0; s < options.series; s++)
      block += `load{host="h${s}"} ${i * options.series + s} ${t0 + i * 5}\n`;
    if (block.length > 1 << 20) {
      parts.push(block);
      block = '';
    }
  }
  parts.push(block);
  const sealed = await encryptArchive(new Blob(parts), {
    password: options.password,
    iterations: 100_000,
    chunkBytes: 16_384
  });
  writeFileSync(options.path, new Uint8Array(await sealed.arrayBuffer()));
}
