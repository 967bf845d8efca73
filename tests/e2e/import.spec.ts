import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { waitForStore, writeSealedPromFile } from './helpers';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// ../shared/fixtures from the repository; a worktree under wt/ finds it one level further up.
const fixtures =
  process.env.TIDEMARK_FIXTURES ??
  [
    path.resolve(repoRoot, '..', 'shared', 'fixtures'),
    path.resolve(repoRoot, '..', '..', 'shared', 'fixtures')
  ].find((d) => existsSync(d)) ??
  path.resolve(repoRoot, '..', 'shared', 'fixtures');
const metrics = path.join(fixtures, 'metrics');
const haveFixtures = existsSync(metrics);

/** Drops a file on the page the way a user's drag does: dragenter, dragover, drop. */
async function dropFile(page: Page, name: string, bytes: Buffer): Promise<void> {
  await page.evaluate(
    async ({ name, b64 }) => {
      const bin = atob(b64);
      const data = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) data[i] = bin.charCodeAt(i);
      const dt = new DataTransfer();
      dt.items.add(new File([data], name, { lastModified: Date.now() }));
      const target = document.querySelector('main') ?? document.body;
      for (const type of ['dragenter', 'dragover', 'drop'])
        target.dispatchEvent(
          new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true })
        );
    },
    { name, b64: bytes.toString('base64') }
  );
}

/**
 * Drops a generated Prometheus file of `series` × `samples` points (values i*series+s, or from
 * sample `noiseFrom` on seeded pseudo-random values that no codec shrinks; timestamps `stepMs` apart from
 * `t0`) built in the page from many chunks; the same options give the same bytes, so a second
 * drop is recognised as the same file.
 */
async function dropGenerated(
  page: Page,
  o: { series: number; samples: number; t0: number; stepMs: number; noiseFrom?: number }
): Promise<void> {
  await page.evaluate(({ series, samples, t0, stepMs, noiseFrom }) => {
    // mulberry32: a fixed seed, so the bytes repeat.
    let seed = 0x5eed;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
    const parts: string[] = ['# TYPE load gauge\n'];
    let block = '';
    for (let i = 0; i < samples; i++) {
      for (let s = 0; s < series; s++)
        block += `load{host="h${s}"} ${i >= (noiseFrom ?? Infinity) ? random() : i * series + s} ${t0 + i * stepMs}\n`;
      if (block.length > 1 << 20) {
        parts.push(block);
        block = '';
      }
    }
    parts.push(block);
    const dt = new DataTransfer();
    dt.items.add(new File(parts, 'generated.prom', { lastModified: t0 }));
    for (const type of ['dragenter', 'dragover', 'drop'])
      document.body.dispatchEvent(
        new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true })
      );
  }, o);
}

/** Sample lines of a Prometheus text file → series key (name + labels as written) → count. */
function countPromSamples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const key = line.replace(/\s+\S+(\s+-?\d+)?\s*$/, '');
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

test.describe('import', () => {
  test.skip(!haveFixtures, `fixtures not found at ${metrics}; set TIDEMARK_FIXTURES`);

  test('a file dropped anywhere imports and lists its series; dropping it again adds nothing', async ({
    page
  }) => {
    const bytes = readFileSync(path.join(metrics, 'node-exporter-1.5.0-scrape-1.prom'));
    const expected = countPromSamples(bytes.toString('utf8'));
    const points = [...expected.values()].reduce((a, b) => a + b, 0);
    await page.goto('/events');
    await waitForStore(page);
    await dropFile(page, 'node-exporter.prom', bytes);
    await expect(page).toHaveURL(/\/import$/);
    const job = page.getByTestId('import-job').first();
    await expect(job).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
    await expect(job.getByTestId('summary-format')).toHaveText('prometheus');
    await expect(job.getByTestId('summary-points')).toHaveText(points.toLocaleString('en-US'));
    await expect(job.getByText(`${expected.size}`, { exact: true }).first()).toBeVisible();
    // The series table lists the first 100 series by key, each with its own count.
    const rows = job.getByTestId('summary-series').locator('tbody tr');
    await expect(rows).toHaveCount(Math.min(100, expected.size));
    await job.getByTestId('summary-filter').fill('node_load');
    await expect(rows).toHaveCount(
      [...expected.keys()].filter((k) => k.includes('node_load')).length
    );
    await expect(job.locator('[data-series="node_load1"] td.num')).toHaveText(
      String(expected.get('node_load1'))
    );
    await expect(page.getByTestId('store-summary')).toContainText(
      `${points.toLocaleString('en-US')} points`
    );
    // Dropping the same file again adds nothing.
    await dropFile(page, 'node-exporter.prom', bytes);
    await expect(page.getByTestId('import-job').first()).toHaveAttribute(
      'data-status',
      'already-imported'
    );
    await expect(page.getByTestId('store-summary')).toContainText(
      `${points.toLocaleString('en-US')} points`
    );
    await expect(page.getByTestId('import-job').first().getByTestId('job-message')).toContainText(
      `Nothing new (${points.toLocaleString('en-US')} points already stored)`
    );
  });

  test('a fixture chosen twice, then a copy with other bytes, says "nothing new" and adds nothing', async ({
    page
  }) => {
    // Line protocol with timestamps: a copy's samples fall at the same times (a file without
    // them would take its modification time).
    const file = path.join(metrics, 'collectd-5.12-influx-line-protocol.lp');
    const bytes = readFileSync(file);
    await page.goto('/import');
    await waitForStore(page);
    const input = page.getByTestId('file-input');
    const jobs = page.getByTestId('import-job');
    await input.setInputFiles(file);
    await expect(jobs.first()).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
    // Points at distinct times (a repeat within the file is stored once).
    const added = Number(
      await jobs.first().getByTestId('import-summary').getAttribute('data-added')
    );
    expect(added).toBeGreaterThan(100);
    const stored = `${added.toLocaleString('en-US')} points`;
    await expect(page.getByTestId('store-summary')).toContainText(stored);
    // The same file again: recognised by its checkpoint (content hash).
    await input.setInputFiles(file);
    await expect(jobs).toHaveCount(2);
    await expect(jobs.first()).toHaveAttribute('data-status', 'already-imported', {
      timeout: 30_000
    });
    await expect(jobs.first().getByTestId('job-status')).toHaveText('Nothing new');
    await expect(jobs.first().getByTestId('job-message')).toContainText(
      `Nothing new (${stored} already stored)`
    );
    // Other bytes (a comment at the end), the same samples: parsed and stored again, and
    // the store says every time was held already.
    await input.setInputFiles({
      name: 'collectd-copy.lp',
      mimeType: 'text/plain',
      buffer: Buffer.concat([bytes, Buffer.from('# copied\n')])
    });
    await expect(jobs).toHaveCount(3);
    const copy = jobs.first();
    await expect(copy).toHaveAttribute('data-status', 'already-imported', { timeout: 30_000 });
    await expect(copy.getByTestId('job-message')).toHaveText(
      `Nothing new (${stored} already stored).`
    );
    await expect(copy.getByTestId('summary-added')).toHaveText('0');
    await expect(copy.getByTestId('summary-already-stored')).toHaveText(
      added.toLocaleString('en-US')
    );
    await expect(page.getByTestId('store-summary')).toContainText(stored);
  });

  test('a bad file shows per-line errors and a CSV of them; an image is refused', async ({
    page
  }) => {
    const lines = [
      '# TYPE up gauge',
      'up{job="a"} 1 1700000000000',
      'up{job="a"} x 1700000001000',
      'up{job="a"} 3 1700000002000',
      'up{job="a" 4 1700000003000'
    ];
    const text = lines.join('\n') + '\n';
    const byteOf = (i: number) => Buffer.byteLength(lines.slice(0, i).join('\n') + '\n');
    await page.goto('/import');
    await waitForStore(page);
    await page.getByTestId('file-input').setInputFiles({
      name: 'bad.prom',
      mimeType: 'text/plain',
      buffer: Buffer.from(text)
    });
    const job = page.getByTestId('import-job').first();
    await expect(job).toHaveAttribute('data-status', 'done');
    await expect(job.getByTestId('summary-points')).toHaveText('2');
    await expect(job.getByTestId('job-status')).toHaveText('Imported with 2 problems');
    const table = job.getByTestId('import-errors').locator('tbody tr');
    await expect(table).toHaveCount(2);
    await expect(table.nth(0).locator('td').nth(1)).toHaveText('3');
    await expect(table.nth(0).locator('td').nth(2)).toHaveText(String(byteOf(2)));
    await expect(table.nth(1).locator('td').nth(1)).toHaveText('5');
    await expect(table.nth(1).locator('td').nth(2)).toHaveText(String(byteOf(4)));
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      job.getByTestId('download-errors').click()
    ]);
    const csv = readFileSync(await download.path(), 'utf8')
      .trim()
      .split('\r\n');
    expect(csv[0]).toBe('file,line,byte,reason');
    expect(csv.slice(1).map((r) => r.split(',').slice(0, 3).join(','))).toEqual([
      `bad.prom,3,${byteOf(2)}`,
      `bad.prom,5,${byteOf(4)}`
    ]);

    // Several files at once from the picker: an image is refused, the line-protocol file imports.
    const png = Buffer.alloc(4096);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const lp = readFileSync(path.join(metrics, 'collectd-5.12-influx-line-protocol.lp'), 'utf8');
    // Points = fields per line (the field set is the second space-separated part here).
    const lpPoints = lp
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'))
      .reduce((n, l) => n + l.split(' ')[1].split(',').length, 0);
    await page.getByTestId('file-input').setInputFiles([
      { name: 'photo.png', mimeType: 'image/png', buffer: png },
      { name: 'collectd.lp', mimeType: 'text/plain', buffer: Buffer.from(lp) }
    ]);
    const refused = page.getByTestId('import-job').filter({ hasText: 'photo.png' });
    await expect(refused).toHaveAttribute('data-status', 'refused');
    await expect(refused.getByTestId('job-message')).toContainText('PNG');
    await expect(refused.getByTestId('job-message')).toContainText('expected Prometheus text');
    const collectd = page.getByTestId('import-job').filter({ hasText: 'collectd.lp' });
    await expect(collectd).toHaveAttribute('data-status', 'done');
    await expect(collectd.getByTestId('summary-format')).toHaveText('influx');
    await expect(collectd.getByTestId('summary-points')).toHaveText(String(lpPoints));
  });

  test('a file that yields no points is not "Imported": it says why', async ({ page }) => {
    await page.goto('/import');
    await waitForStore(page);
    await page.getByTestId('file-input').setInputFiles({
      name: 'nothing.prom',
      mimeType: 'text/plain',
      buffer: Buffer.from('up{job="a" 1 1700000000000\nup{ 2\n')
    });
    const job = page.getByTestId('import-job').first();
    await expect(job).toHaveAttribute('data-status', 'failed');
    await expect(job.getByTestId('job-status')).toHaveText('Nothing imported');
    await expect(job.getByTestId('job-message')).toContainText(
      'Nothing imported: all 2 data lines'
    );
  });

  test('pasted text and a CSV with a mapping preview import', async ({ page }) => {
    await page.goto('/import');
    await waitForStore(page);
    const influx = [
      'cpu,host=a usage=1.5,idle=90 1700000000000000000',
      'cpu,host=a usage=2.5,idle=80 1700000001000000000',
      'cpu,host=b usage=3.5,idle=70 1700000000000000000'
    ].join('\n');
    await page.getByTestId('paste-box').fill(influx);
    await page.getByTestId('paste-import').click();
    const pasted = page.getByTestId('import-job').first();
    await expect(pasted).toHaveAttribute('data-status', 'done');
    await expect(pasted.getByTestId('summary-format')).toHaveText('influx');
    // 3 lines × 2 fields.
    await expect(pasted.getByTestId('summary-points')).toHaveText('6');

    const csvText = readFileSync(path.join(metrics, 'influxdb-1.6-load-rfc3339.csv'), 'utf8');
    const csvLines = csvText.trim().split('\n');
    const header = csvLines[0].split(',');
    const valueColumns = ['longterm', 'midterm', 'shortterm'].filter((c) => header.includes(c));
    await page
      .getByTestId('file-input')
      .setInputFiles(path.join(metrics, 'influxdb-1.6-load-rfc3339.csv'));
    const job = page.getByTestId('import-job').first();
    await expect(job).toHaveAttribute('data-status', 'review');
    const roles = job.getByTestId('csv-role');
    await expect(roles).toHaveCount(header.length);
    await expect(roles.nth(header.indexOf('time'))).toHaveValue('time');
    for (const c of valueColumns) await expect(roles.nth(header.indexOf(c))).toHaveValue('value');
    // Ignore one value column: the import must leave it out.
    await roles.nth(header.indexOf('midterm')).selectOption('ignored');
    await expect(roles.nth(header.indexOf('midterm'))).toHaveValue('ignored');
    await job.getByTestId('csv-confirm').click();
    await expect(job).toHaveAttribute('data-status', 'done');
    await expect(job.getByTestId('summary-points')).toHaveText(
      String((csvLines.length - 1) * (valueColumns.length - 1))
    );
    await expect(job.getByTestId('summary-series')).not.toContainText('midterm');
  });

  test('a JSON array past the streaming limit imports in the worker, element by element', async ({
    page
  }) => {
    await page.goto('/import');
    await waitForStore(page);
    // ~10 MiB, past the 8 MiB after which a top-level array streams (@streamparser/json).
    const n = 120_000;
    await page.evaluate((n) => {
      const parts: string[] = ['[\n'];
      for (let i = 0; i < n; i++)
        parts.push(
          `${i ? ',\n' : ''}  {"name":"json_stream","labels":{"host":"h${i % 4}"},"t":${1_700_000_000_000 + i * 1000},"v":${i},"note":"${'x'.repeat(20)}"}`
        );
      parts.push('\n]\n');
      const dt = new DataTransfer();
      dt.items.add(new File(parts, 'big-array.json', { lastModified: 1_700_000_000_000 }));
      for (const type of ['dragenter', 'dragover', 'drop'])
        document.body.dispatchEvent(
          new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true })
        );
    }, n);
    const job = page.getByTestId('import-job').first();
    await expect(job).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
    expect(
      Number(await job.getByTestId('import-summary').getAttribute('data-bytes'))
    ).toBeGreaterThan(8 * 1024 * 1024);
    await expect(job.getByTestId('summary-points')).toHaveText(n.toLocaleString('en-US'));
  });

  test('a large import shows progress, cancels with a consistent checkpoint, and resumes exactly', async ({
    page,
    context
  }) => {
    // Two million rows, twice in part: minutes on a loaded machine.
    test.setTimeout(240_000);
    // Recent timestamps: raw points older than the raw retention (1 h) would be rolled up and
    // deleted by the leader's cleanup, and the store's point count would no longer match.
    const big = { series: 10, samples: 200_000, t0: Date.now() - 2_100_000, stepMs: 10 };
    const total = big.series * big.samples;
    const fmt = (n: number) => n.toLocaleString('en-US');
    await page.goto('/import');
    await waitForStore(page);
    await dropGenerated(page, big);
    const job = page.getByTestId('import-job').first();
    const progress = job.getByTestId('import-progress');
    await expect(progress).toBeVisible();
    await expect(progress.getByRole('progressbar')).toBeVisible();
    await expect(job.getByTestId('progress-rows')).not.toHaveText('0', { timeout: 20_000 });
    await job.getByTestId('import-cancel').click();
    await expect(job).toHaveAttribute('data-status', 'cancelled', { timeout: 20_000 });
    await expect(job.getByTestId('job-message')).toContainText('Cancelled at byte');
    const kept = Number((await job.getByTestId('summary-points').innerText()).replace(/\D/g, ''));
    expect(kept).toBeLessThan(total);
    // What the checkpoint says is stored is exactly what the store holds.
    await expect(page.getByTestId('store-summary')).toContainText(`${fmt(kept)} points`);
    await expect(page.getByTestId('unfinished-imports')).toContainText('generated.prom');

    // Close the tab mid-import; a new tab resumes from the checkpoint when the file comes back.
    await job.getByTestId('job-resume').click();
    await expect(job.getByTestId('import-progress')).toBeVisible();
    await page.close();
    const next = await context.newPage();
    await next.goto('/import');
    await waitForStore(next);
    await expect(next.getByTestId('unfinished-imports')).toContainText('generated.prom');
    // The checkpoint left by the closed tab says exactly what the store holds: each batch
    // committed with its checkpoint, none half-stored.
    const checkpoint = (
      await next
        .getByTestId('unfinished-imports')
        .locator('tbody tr', { hasText: 'generated.prom' })
        .locator('td')
        .nth(2)
        .innerText()
    ).trim();
    await expect(next.getByTestId('store-summary')).toContainText(`${checkpoint} points`);
    await dropGenerated(next, big);
    const resumed = next.getByTestId('import-job').first();
    await expect(resumed).toHaveAttribute('data-status', 'done', { timeout: 150_000 });
    await expect(resumed.getByTestId('summary-points')).toHaveText(fmt(total));
    await expect(next.getByTestId('store-summary')).toContainText(`${fmt(total)} points`);
    await expect(next.getByTestId('unfinished-imports')).toHaveCount(0);
  });

  test('an encrypted file shows decryption progress; a cancel stores nothing, and starting again asks for the password', async ({
    page
  }) => {
    // 1.5 M points in 40 MB, sealed in 16 KiB chunks so decryption lasts a few seconds.
    const series = 5;
    const samples = 300_000;
    const file = test.info().outputPath('big.prom.tmenc');
    await writeSealedPromFile({ path: file, password: 'pw e2e', series, samples });

    await page.goto('/import');
    await waitForStore(page);
    await page.getByTestId('file-input').setInputFiles(file);
    const job = page.getByTestId('import-job').first();
    await expect(job).toHaveAttribute('data-status', 'password');
    await job.getByTestId('import-password').fill('pw e2e');
    await job.getByTestId('import-unlock').click();
    const progress = job.getByTestId('import-progress');
    await expect(progress.getByTestId('progress-phase')).toContainText('Decrypting');
    await expect(progress.getByRole('progressbar', { name: 'Decryption progress' })).toBeVisible();
    await job.getByTestId('import-cancel').click();
    await expect(job).toHaveAttribute('data-status', 'cancelled', { timeout: 20_000 });
    await expect(job.getByTestId('job-message')).toHaveText(
      'Decryption was cancelled; nothing was imported.'
    );
    await expect(page.getByTestId('store-summary')).toContainText('0 series, 0 points');
    await expect(page.getByTestId('unfinished-imports')).toHaveCount(0);

    await job.getByTestId('job-resume').click();
    await expect(job).toHaveAttribute('data-status', 'password');
    await job.getByTestId('import-password').fill('pw e2e');
    await job.getByTestId('import-unlock').click();
    await expect(job).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
    await expect(job.getByTestId('summary-points')).toHaveText(
      (series * samples).toLocaleString('en-US')
    );
  });

  test('an imported series opens in Explore from the summary', async ({ page }) => {
    await page.goto('/import');
    await waitForStore(page);
    await page
      .getByTestId('file-input')
      .setInputFiles(path.join(metrics, 'node-exporter-1.5.0-scrape-2.prom'));
    const again = page.getByTestId('import-job').first();
    await expect(again).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
    await again.getByTestId('summary-filter').fill('node_load1');
    await again.locator('[data-series="node_load1"] a').click();
    await expect(page).toHaveURL(/\/explore\?series=node_load1/);
    await expect(page.locator('main')).toContainText('node_load1');
  });

  test('a full disk stops the import with a clear message and keeps what was stored', async ({
    page,
    baseURL
  }) => {
    // RELIABILITY.md #3: a tiny quota for this origin, then a file far bigger than it. The
    // override goes in before the origin's first use: set after the store opened, Chromium
    // kept checking writes against its cached usage and a loaded machine finished the whole
    // import before it refused one (see quota.spec.ts). 1 MiB: Chromium 156 counts an empty
    // store as 144 KiB (150 counted less), so a 64 KiB quota refused even the first commit.
    const QuotaBytes = 1024 * 1024;
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Storage.overrideQuotaForOrigin', {
      origin: new URL(baseURL!).origin,
      quotaSize: QuotaBytes
    });
    await page.goto('/import');
    await waitForStore(page);
    // Some runs Chromium never applies the override (seen in about one run of five, also
    // re-sent and after a reload): a write of twice the quota to a throwaway database tells, so such a
    // run fails saying so instead of as an import that did not stop.
    const quotaHolds = () =>
      page.evaluate(
        (quota) =>
          new Promise<boolean>((resolve) => {
            const req = indexedDB.open('quota-probe');
            req.onupgradeneeded = () => req.result.createObjectStore('s');
            req.onerror = () => resolve(true);
            req.onsuccess = () => {
              const db = req.result;
              const tx = db.transaction('s', 'readwrite');
              // Random bytes: Chromium compresses what it stores, and zeros shrink to nothing.
              const bytes = new Uint8Array(2 * quota);
              for (let at = 0; at < bytes.length; at += 65_536)
                crypto.getRandomValues(bytes.subarray(at, at + 65_536));
              tx.objectStore('s').put(bytes, 1);
              const done = (held: boolean) => {
                db.close();
                indexedDB.deleteDatabase('quota-probe').onsuccess = () => resolve(held);
              };
              tx.oncomplete = () => done(false);
              tx.onabort = () => done(true);
            };
          }),
        QuotaBytes
      );
    await expect
      .poll(quotaHolds, {
        message: 'Chromium did not apply Storage.overrideQuotaForOrigin',
        timeout: 3_000
      })
      .toBe(true);
    // A ramp first, then random values: a ramp encodes (and Chromium compresses) to almost
    // nothing, so the first commit (500 k points) fits; 400 k random values are megabytes
    // as stored, far past the quota.
    await dropGenerated(page, {
      series: 10,
      samples: 100_000,
      t0: Date.now() - 1_200_000,
      stepMs: 10,
      noiseFrom: 60_000
    });
    const job = page.getByTestId('import-job').first();
    await expect(job).toHaveAttribute('data-status', 'failed', { timeout: 45_000 });
    await expect(job.getByTestId('job-message')).toContainText('Storage is full');
    // What the summary says is stored is what the store holds.
    const kept = (await job.getByTestId('summary-points').innerText()).trim();
    const keptPoints = Number(kept.replace(/\D/g, ''));
    expect(keptPoints).toBeGreaterThan(0);
    expect(keptPoints).toBeLessThan(1_000_000);
    await expect(page.getByTestId('store-summary')).toContainText(`${kept} points`);
    // The override outlives the context: lift it for the tests after this one.
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(baseURL!).origin });
  });
});
