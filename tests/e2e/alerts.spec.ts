import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { generateDemoData } from '../../src/lib/demo/generate';
import { loadDemo } from './helpers';

test.use({ locale: 'en-US' });

/**
 * The demo values depend only on the seed, not on when the day ends, so the last quarter
 * hour of the total CPU series is known here. A rule whose window max must exceed the
 * smallest of those values fires on any part of that quarter hour the window covers; one
 * above the largest cannot fire.
 */
const demo = generateDemoData({ end: Date.UTC(2026, 0, 1) });
const cpuTotal = demo.batches.find(
  (b) => b.series.name === 'cpu_usage_percent' && b.series.labels.cpu === 'total'
)!;
const lastQuarter = Array.from(cpuTotal.v.subarray(cpuTotal.v.length - 90));
const low = Math.min(...lastQuarter);
const tripping = `alert "Demo CPU"\n  when max(cpu_usage_percent{cpu="total"}) over 15m > ${(low - 0.05).toFixed(2)}\n  severity critical`;
// A percentage never exceeds 100: quiet whatever the live demo adds after the demo day.
const quiet = `alert "Quiet CPU" when max(cpu_usage_percent{cpu="total"}) over 15m > 100`;

async function addRule(page: Page, text: string) {
  await page.getByTestId('rule-text').fill(text);
  await expect(page.getByTestId('rule-ok')).toBeVisible();
  await page.getByTestId('rule-save').click();
  await expect(page.getByTestId('rule-text')).toHaveValue('');
}

async function checkAccessibility(page: Page) {
  const scan = () => new AxeBuilder({ page }).include('main').withTags(['wcag2a', 'wcag2aa']);
  const report = (theme: string, r: Awaited<ReturnType<AxeBuilder['analyze']>>) =>
    r.violations.map((v) => `${theme}: ${v.id} ${v.nodes.map((n) => n.target).join(' ')}`);
  expect(report('light', await scan().analyze())).toEqual([]);
  await page.evaluate(() => (document.documentElement.dataset.theme = 'dark'));
  expect(report('dark', await scan().analyze())).toEqual([]);
  await page.evaluate(() => (document.documentElement.dataset.theme = 'auto'));
}

test('a threshold rule the demo day trips fires, shows in the status bar, snoozes, and is in the history', async ({
  page
}) => {
  test.setTimeout(90_000);
  await loadDemo(page);
  await page.goto('/alerts');
  await expect(page.getByTestId('alert-summary')).toContainText('0 firing');

  // An invalid rule: the error names the position of the bad duration.
  const bad = 'avg(cpu_usage_percent) over 5x > 90';
  await page.getByTestId('rule-text').fill(bad);
  await expect(page.getByTestId('rule-error')).toContainText(
    `line 1, column ${bad.indexOf('5x') + 1}: expected a duration after 'over'`
  );
  await expect(page.getByTestId('rule-save')).toBeDisabled();

  await addRule(page, tripping);
  await addRule(page, quiet);
  const demoRule = page.getByTestId('alert-rule').filter({ hasText: 'Demo CPU' });
  const quietRule = page.getByTestId('alert-rule').filter({ hasText: 'Quiet CPU' });
  await expect(demoRule.getByTestId('rule-status')).toHaveText('Firing');
  await expect(quietRule.getByTestId('rule-status')).toHaveText('OK');
  // The value shown is the window max: one of the stored values of the last quarter hour
  // (the demo day's end, and what the live demo added since), above the line. Shown in the
  // series' unit: "23.1 %".
  const shownText = (await demoRule.getByTestId('instance-value').textContent()) ?? '';
  expect(shownText).toMatch(/^[\d.]+ %$/);
  const shown = Number(shownText.replace(' %', ''));
  expect(shown).toBeGreaterThan(low - 0.05);
  const stored = await page.evaluate(async () => {
    const engine = (
      globalThis as unknown as {
        tidemarkEngine: {
          listSeries(): Promise<{ id: number; name: string; labels: Record<string, string> }[]>;
          readRaw(id: number, from: number, to: number): Promise<{ v: Float64Array }>;
        };
      }
    ).tidemarkEngine;
    const s = (await engine.listSeries()).find(
      (x) => x.name === 'cpu_usage_percent' && x.labels.cpu === 'total'
    )!;
    const now = Date.now();
    return Array.from((await engine.readRaw(s.id, now - 20 * 60_000, now + 60_000)).v);
  });
  expect(stored.some((v) => Math.abs(v - shown) <= 0.05)).toBe(true);

  // Status bar, toast and history.
  await expect(page.getByTestId('alert-count')).toHaveText('1 alert firing');
  await expect(page.getByTestId('alert-toast')).toContainText('Critical: Demo CPU');
  const firing = page.getByTestId('alert-history').locator('tr[data-kind="firing"]');
  await expect(firing).toHaveCount(1);
  await expect(firing).toContainText('Demo CPU');

  // Snooze for an hour: still firing, but no longer asking for attention.
  await demoRule
    .getByRole('group', { name: 'Snooze “Demo CPU”' })
    .getByRole('button', { name: '1 h' })
    .click();
  await expect(demoRule.getByTestId('rule-snoozed')).toContainText('Snoozed until');
  await expect(page.getByTestId('alert-summary')).toContainText(
    '1 firing, 0 pending (1 acknowledged or snoozed)'
  );

  // Another tab sees the same state (it is in the store, not in this page).
  const other = await page.context().newPage();
  await other.goto('/alerts');
  await expect(other.getByTestId('alert-count')).toHaveText('1 alert firing');
  await other.close();

  // Absence of a series never seen: nothing on the page evaluates it after saving, so its
  // firing comes from the leader's background passes (every 5 s), toast included.
  await addRule(page, 'alert "Agent silent" when absent(agent_cpu_percent) over 1s for 2s');
  const silent = page.getByTestId('alert-rule').filter({ hasText: 'Agent silent' });
  await expect(silent.getByTestId('rule-status')).toHaveText('Firing', { timeout: 30_000 });
  await expect(page.getByTestId('alert-count')).toHaveText('2 alerts firing');
  const toast = page.getByTestId('alert-toast').filter({ hasText: 'Agent silent' });
  await expect(toast).toContainText('agent_cpu_percent is firing');
  await toast.getByRole('button', { name: 'Acknowledge' }).click();
  await expect(toast).toHaveCount(0);
  await expect(silent.getByTestId('alert-instance')).toContainText('(acknowledged)');

  // The series arrives (stamped a minute ahead, so it stays present for the rest of the
  // test): the leader resolves the alert, every tab is told, the history has it.
  await page.evaluate(() =>
    (
      globalThis as unknown as {
        tidemarkEngine: { ingest(b: unknown[]): Promise<unknown> };
      }
    ).tidemarkEngine.ingest([
      {
        series: {
          name: 'agent_cpu_percent',
          labels: {},
          unit: '%',
          kind: 'gauge',
          source: 'api',
          category: 'system'
        },
        t: Float64Array.of(Date.now() + 60_000),
        v: Float64Array.of(12)
      }
    ])
  );
  await expect(
    page.getByTestId('alert-toast').filter({ hasText: 'Resolved: Agent silent' })
  ).toBeVisible({
    timeout: 30_000
  });
  await expect(silent.getByTestId('rule-status')).toHaveText('OK');
  await expect(page.getByTestId('alert-count')).toHaveText('1 alert firing');
  await expect(page.getByTestId('alert-history').locator('tr[data-kind="resolved"]')).toContainText(
    'Agent silent'
  );

  await checkAccessibility(page);
});

test('a firing alert is toasted in every tab and shown as a system notification once, by the leader', async ({
  context
}) => {
  // Count notifications instead of showing them: a stand-in Notification, permission granted.
  await context.addInitScript(() => {
    const shown: string[] = [];
    class CountingNotification {
      static permission = 'granted';
      static requestPermission = async () => 'granted';
      constructor(title: string) {
        shown.push(title);
      }
    }
    Object.assign(globalThis, { Notification: CountingNotification, shownNotifications: shown });
  });
  const shown = (p: Page) =>
    p.evaluate(
      () => (globalThis as unknown as { shownNotifications: string[] }).shownNotifications
    );
  const leader = await context.newPage();
  await leader.goto('/alerts');
  await expect(leader.locator('html')).toHaveAttribute('data-leader', 'true');
  await leader.getByLabel('Show system notifications').check();
  const follower = await context.newPage();
  await follower.goto('/alerts');
  await expect(follower.locator('html')).toHaveAttribute('data-leader', 'false');
  await expect(follower.getByLabel('Show system notifications')).toBeChecked();

  await addRule(follower, 'alert "Nobody home" when absent(never_sent_metric) over 1s for 1s');
  for (const p of [leader, follower]) {
    await expect(p.getByTestId('alert-toast')).toContainText('Warning: Nobody home', {
      timeout: 30_000
    });
  }
  expect(await shown(leader)).toEqual(['Warning: Nobody home']);
  expect(await shown(follower)).toEqual([]);
});
