/**
 * Whether an import's memory stays flat as the file grows (RELIABILITY.md row 6): a CSV of
 * 2 M rows (8 series × 4 value columns: 8 M points, ~80 MB) is generated in headless
 * Chromium and dropped on the Import page; while the import worker streams it and the
 * engine stores it, the live heap of the page and its workers is sampled every
 * `SAMPLE_MS` (after a GC in each: what is retained, not garbage not yet collected).
 *
 * Baseline, same run, same page: the same import of a tenth of the rows (200 k). Memory is
 * flat when the 2 M-row peak is near the 200 k-row peak, not ten times it; `byQuarter`
 * gives the largest sample in each quarter of the 2 M-row import's duration.
 *
 * Run: BENCH_PORT=4483 npx tsx bench/import-memory.bench.ts   (BENCH_MEMORY_ROWS=2000000)
 */
import { dropBenchFile, heapSampler, openBenchPage } from './browser';
import { GENERATOR, ROW_BYTES } from './ingest-generator';
import { emit } from './lib';

const MB = 1e6;
const ROWS = Number(process.env.BENCH_MEMORY_ROWS ?? 2_000_000);
const SAMPLE_MS = 1000;
const CHUNK_CHARS = 4 * 1024 * 1024;

async function main(): Promise<void> {
  const end = Date.now();
  const bench = await openBenchPage('/import', Number(process.env.BENCH_PORT ?? 4483));
  const { page } = bench;
  try {
    await page.getByTestId('db-status').filter({ hasText: 'ready' }).waitFor({ timeout: 60_000 });
    const heap = await heapSampler(await page.context().newCDPSession(page));
    await page.evaluate(`window.__gen = ${GENERATOR}`);

    /** Imports a generated CSV of `rows` rows; the live heap samples over its duration. */
    const importRows = async (rows: number) => {
      await page.evaluate(
        `(() => {
          const parts = [];
          let row = 0;
          while (row < ${rows}) {
            const r = window.__gen('csv', row, ${Math.min(CHUNK_CHARS, rows * ROW_BYTES.csv)}, ${end}, ${rows});
            row = r.row;
            parts.push(new Blob([r.text]));
          }
          window.__benchFile = new File(parts, 'memory-${rows}.csv', { lastModified: ${end} });
        })()`
      );
      const idle = await heap();
      const before = await page.getByTestId('import-job').count();
      await dropBenchFile(page);
      const status = () =>
        page.evaluate((n) => {
          const jobs = document.querySelectorAll('[data-testid="import-job"]');
          return jobs.length <= n ? 'inspecting' : jobs[0].getAttribute('data-status');
        }, before);
      const samples: { ms: number; bytes: number }[] = [];
      const t0 = Date.now();
      for (;;) {
        const s = await status();
        if (s === 'review') await page.getByTestId('csv-confirm').click();
        else if (s !== 'inspecting' && s !== 'queued' && s !== 'running') {
          if (s !== 'done') throw new Error(`import of ${rows} rows ended ${s}`);
          break;
        }
        samples.push({ ms: Date.now() - t0, bytes: await heap() });
        await new Promise((r) => setTimeout(r, SAMPLE_MS));
      }
      const job = page.getByTestId('import-job').first();
      const points = Number(await job.getByTestId('import-summary').getAttribute('data-points'));
      await page.getByRole('button', { name: 'Clear finished' }).click();
      const duration = Date.now() - t0;
      const peak = Math.max(...samples.map((s) => s.bytes));
      const byQuarter = [0, 1, 2, 3].map((q) => {
        const inQ = samples.filter(
          (s) => s.ms >= (q * duration) / 4 && s.ms < ((q + 1) * duration) / 4
        );
        return inQ.length ? Math.round((Math.max(...inQ.map((s) => s.bytes)) - idle) / MB) : null;
      });
      return { idle, peak, points, seconds: duration / 1000, samples: samples.length, byQuarter };
    };

    const small = await importRows(Math.round(ROWS / 10));
    const large = await importRows(ROWS);
    emit({
      name: 'import.memory_2m_rows_peak_mb',
      value: (large.peak - large.idle) / MB,
      unit: 'MB above idle (live heap + ArrayBuffers, page + workers, after GC)',
      baseline: (small.peak - small.idle) / MB,
      baselineKind: `the same import of ${Math.round(ROWS / 10)} rows, same run`,
      rows: ROWS,
      points: large.points,
      idleMb: large.idle / MB,
      byQuarterMb: large.byQuarter,
      samples: large.samples,
      seconds: large.seconds,
      baselineSeconds: small.seconds
    });
  } finally {
    await bench.close();
  }
}

await main();
