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

test("three tabs: the leader's renderer crashes and one other tab takes over within a second", async ({
  context
}) => {
  const pages: Page[] = [];
  for (const route of ['/', '/settings', '/explore']) {
    const page = await context.newPage();
    await page.goto(route);
    await waitForStore(page);
    pages.push(page);
  }
  const [leader, ...followers] = pages;
  await expect(leader.locator('html')).toHaveAttribute('data-leader', 'true');
  await expect.poll(() => lockState(followers[0])).toEqual({ held: 1, pending: 2 });
  // Each follower notes, on its own clock, when it became leader.
  for (const page of followers) {
    await expect(page.locator('html')).toHaveAttribute('data-leader', 'false');
    await page.evaluate(() => {
      new MutationObserver(() => {
        if (document.documentElement.dataset.leader === 'true') {
          (globalThis as { ledAt?: number }).ledAt ??= Date.now();
        }
      }).observe(document.documentElement, { attributes: true });
    });
  }

  // A renderer crash, not a clean close: no unload handler runs, no lock is released by code.
  const cdp = await context.newCDPSession(leader);
  const crashed = new Promise<void>((resolve) => leader.once('crash', () => resolve()));
  const crashAt = Date.now();
  void cdp.send('Page.crash').catch(() => {});
  await crashed;

  const ledAt = () =>
    Promise.all(followers.map((p) => p.evaluate(() => (globalThis as { ledAt?: number }).ledAt)));
  await expect.poll(async () => (await ledAt()).filter((t) => t !== undefined).length).toBe(1);
  const times = (await ledAt()).filter((t): t is number => t !== undefined);
  expect(times[0] - crashAt).toBeLessThan(1000);
  // Exactly one holder, the other follower still waiting; the new leader runs the work.
  expect(await lockState(followers[0])).toEqual({ held: 1, pending: 1 });
  const leaders = await Promise.all(
    followers.map((p) => p.locator('html').getAttribute('data-leader'))
  );
  expect([...leaders].sort()).toEqual(['false', 'true']);
  const newLeader = followers[leaders.indexOf('true')];
  await expect(newLeader.getByTestId('leader-status')).toContainText('this tab');
});
