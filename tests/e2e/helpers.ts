import { writeFileSync } from 'node:fs';
import { expect, type Page } from '@playwright/test';
import { encryptArchive } from '../../src/lib/export/crypto';

/** Every route of the app shell, in navigation order. */
export const Routes = [
  '/',
  '/explore',
  '/dashboards',
  '/energy',
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

/** The demo job's checkpoint, read through this tab's engine (`demoStatus`). */
export async function demoJob(
  page: Page
): Promise<{ stored: number; total: number; totalEvents: number; end: number } | null> {
  await page.waitForFunction(() => 'tidemarkEngine' in globalThis);
  return page.evaluate(async () => {
    type E = {
      demoStatus(): Promise<
        { stored: number; total: number; totalEvents: number; end: number } | undefined
      >;
    };
    return (
      (await (globalThis as unknown as { tidemarkEngine: E }).tidemarkEngine.demoStatus()) ?? null
    );
  });
}

/** Waits until the demo job stored its last step and the status bar counts all its events. */
export async function waitForDemo(page: Page): Promise<void> {
  await expect
    .poll(
      async () => {
        const job = await demoJob(page);
        return job !== null && job.stored === job.total;
      },
      { timeout: 90_000 }
    )
    .toBe(true);
  const job = await demoJob(page);
  // Formatted as the page formats counts (its locale).
  const events = await page.evaluate((n) => new Intl.NumberFormat().format(n), job!.totalEvents);
  await expect(page.locator('header')).toContainText(`${events} events`, { timeout: 30_000 });
}

/** Loads the demo day through the UI and waits until it is all stored. */
export async function loadDemo(page: Page): Promise<void> {
  await page.goto('/');
  await waitForStore(page);
  await page.getByTestId('load-demo').click();
  await waitForDemo(page);
  await expect(page.getByTestId('load-demo')).toHaveCount(0, { timeout: 60_000 });
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
