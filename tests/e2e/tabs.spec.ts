import { expect, test, type Page } from '@playwright/test';
import { waitForStore } from './helpers';

const lockState = (page: Page) =>
  page.evaluate(async () => {
    const state = await navigator.locks.query();
    return {
      held: (state.held ?? []).filter((l) => l.name === 'tidemark-engine').length,
      pending: (state.pending ?? []).filter((l) => l.name === 'tidemark-engine').length
    };
  });

test('exactly one tab leads; closing it hands over within a second', async ({ context }) => {
  const a = await context.newPage();
  await a.goto('/');
  await waitForStore(a);
  await expect(a.locator('html')).toHaveAttribute('data-leader', 'true');
  const b = await context.newPage();
  await b.goto('/settings');
  await waitForStore(b);
  await expect.poll(() => lockState(b)).toEqual({ held: 1, pending: 1 });
  await expect(b.locator('html')).toHaveAttribute('data-leader', 'false');
  await expect(b.getByTestId('leader-status')).toContainText('another tab');

  await a.close();
  const closedAt = Date.now();
  await b.waitForFunction(() => document.documentElement.dataset.leader === 'true', null, {
    timeout: 5000,
    polling: 20
  });
  const handover = Date.now() - closedAt;
  expect(handover).toBeLessThan(1000);
  expect(await lockState(b)).toEqual({ held: 1, pending: 0 });
});
