import { expect, test } from '@playwright/test';
import { waitForStore } from './helpers';

/**
 * RELIABILITY.md row 3: with a tiny quota (CDP Storage.overrideQuotaForOrigin) ingest until
 * the browser refuses; the refused batch fails with a typed StorageFullError, the page says
 * "storage full", and every acknowledged point is still readable.
 */

type EngineHandle = {
  ingest(b: { series: unknown; t: Float64Array; v: Float64Array }[]): Promise<unknown>;
  listSeries(): Promise<{ id: number; name: string }[]>;
  readRaw(id: number, from: number, to: number): Promise<{ t: Float64Array; v: Float64Array }>;
};
type W = typeof globalThis & { tidemarkEngine: EngineHandle };

const QuotaBytes = 3 * 1024 * 1024;
const PointsPerBatch = 100_000;

test('a full quota gives a clear storage-full message and keeps what was stored', async ({
  page,
  baseURL
}) => {
  test.setTimeout(60_000);
  // The override goes in before the origin's first use: set later, Chromium kept checking
  // writes against its cached usage and refused them only ~30 s later.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', {
    origin: new URL(baseURL!).origin,
    quotaSize: QuotaBytes
  });
  await page.goto('/');
  await waitForStore(page);
  await page.waitForFunction(() => (globalThis as Partial<W>).tidemarkEngine !== undefined);

  const outcome = await page.evaluate(
    async ({ n }) => {
      const engine = (globalThis as W).tidemarkEngine;
      const t0 = Math.floor(Date.now() / 1000) * 1000 - 30 * 60_000;
      let acked = 0;
      // Random doubles do not compress (about 8 bytes a point), so the quota fills fast.
      // What was sent is kept to check against after.
      const sent: number[][] = [];
      (globalThis as unknown as { sent: number[][] }).sent = sent;
      for (let k = 0; k < 200; k++) {
        const t = new Float64Array(n);
        const v = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          t[i] = t0 + (k * n + i) * 10;
          v[i] = Math.random();
        }
        try {
          await engine.ingest([
            {
              series: {
                name: 'quota_test_value',
                labels: {},
                unit: '',
                kind: 'gauge',
                source: 'api',
                category: 'app'
              },
              t,
              v
            }
          ]);
          acked++;
          sent.push(Array.from(v));
        } catch (e) {
          const err = e as Error;
          return { acked, name: err.name, message: err.message, t0 };
        }
      }
      return { acked, name: null, message: null, t0 };
    },
    { n: PointsPerBatch }
  );

  expect(outcome.name).toBe('StorageFullError');
  expect(outcome.message).toMatch(/Storage is full/);
  expect(outcome.message).toMatch(/everything stored before it is intact/);
  expect(outcome.acked).toBeGreaterThan(0);

  const banner = page.getByTestId('storage-full-banner');
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('Storage full.');

  // Every acknowledged point is readable, in order, with the values that were sent.
  const check = await page.evaluate(
    async ({ n, acked }) => {
      const engine = (globalThis as W).tidemarkEngine;
      const s = (await engine.listSeries()).find((x) => x.name === 'quota_test_value');
      if (!s) return { count: 0, bad: -1 };
      const r = await engine.readRaw(s.id, -Infinity, Infinity);
      const sent = (globalThis as unknown as { sent: number[][] }).sent.flat();
      for (let j = 0; j < acked * n; j++) {
        if (r.v[j] !== sent[j]) return { count: r.t.length, bad: j };
      }
      return { count: r.t.length, bad: null };
    },
    { n: PointsPerBatch, acked: outcome.acked }
  );
  expect(check.bad).toBeNull();
  expect(check.count).toBe(outcome.acked * PointsPerBatch);

  // The store stays usable: after the quota is lifted, a new batch is stored.
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(baseURL!).origin });
  const after = await page.evaluate(async (t0) => {
    const engine = (globalThis as W).tidemarkEngine;
    await engine.ingest([
      {
        series: {
          name: 'quota_test_after',
          labels: {},
          unit: '',
          kind: 'gauge',
          source: 'api',
          category: 'app'
        },
        t: Float64Array.of(t0),
        v: Float64Array.of(1)
      }
    ]);
    const s = (await engine.listSeries()).find((x) => x.name === 'quota_test_after');
    return s ? (await engine.readRaw(s.id, -Infinity, Infinity)).t.length : 0;
  }, outcome.t0);
  expect(after).toBe(1);
});
