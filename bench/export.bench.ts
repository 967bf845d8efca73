/**
 * Export throughput in Chromium: N points (default 10M, BENCH_POINTS to change) over ten
 * series are stored through the page's engine, then exported raw by the engine worker as a
 * JSON bundle (NDJSON), a long CSV and a zip bundle. Each figure is MB of output per second
 * of the whole export (read from IndexedDB, write slices, build the Blob). The baseline,
 * measured in the same page and run: JSON.stringify of the same points, read into memory
 * first (not timed), series by series as `{ series, t: [...], v: [...] }` — the naive
 * "stringify it all" export, with no store reads, slicing or Blob building.
 *
 *   BENCH_PORT=4404 npx tsx bench/export.bench.ts
 */
import { openBenchPage } from './browser';
import { emit } from './lib';

const MB = 1024 * 1024;
const POINTS = Number(process.env.BENCH_POINTS ?? 10_000_000);
const SERIES = 10;
const FORMATS = ['bundle-ndjson', 'csv-long', 'bundle-zip'] as const;

async function main(): Promise<void> {
  const bench = await openBenchPage('/export', Number(process.env.BENCH_PORT ?? 4404));
  const { page } = bench;
  try {
    await page.getByTestId('db-status').filter({ hasText: 'ready' }).waitFor({ timeout: 60_000 });
    // Points inside the last 50 minutes, so raw retention (1 h) keeps them all.
    const loaded = (await page.evaluate(
      `(async () => {
        const e = window.tidemarkEngine;
        const per = ${Math.floor(POINTS / SERIES)};
        const end = Date.now() - 60000;
        const span = 50 * 60000;
        const step = span / per;
        const t0 = performance.now();
        for (let s = 0; s < ${SERIES}; s++) {
          const series = { name: 'bench_export', labels: { s: String(s) }, unit: '', kind: 'gauge', source: 'import', category: 'app' };
          for (let o = 0; o < per; o += 500000) {
            const n = Math.min(500000, per - o);
            const t = new Float64Array(n), v = new Float64Array(n);
            for (let i = 0; i < n; i++) {
              t[i] = Math.round(end - span + (o + i) * step);
              v[i] = Math.round((50 + 30 * Math.sin((o + i) / 5000) + Math.random() * 5) * 1000) / 1000;
            }
            await e.ingest([{ series, t, v }]);
          }
        }
        await e.flush();
        const ids = (await e.listSeries()).map((x) => x.id);
        return { ids, ingestMs: performance.now() - t0, end };
      })()`
    )) as { ids: number[]; ingestMs: number; end: number };
    // Let the leader's background rollups catch up, so they do not share the CPU with the export.
    const settleStart = Date.now();
    await page.waitForFunction(
      `(async () => (await window.tidemarkEngine.listSeries()).every((s) => s.rolledUntil !== undefined && s.rolledUntil >= s.lastT))()`,
      undefined,
      { timeout: 600_000, polling: 1000 }
    );
    const settleMs = Date.now() - settleStart;

    const baseline = (await page.evaluate(
      `(async () => {
        const e = window.tidemarkEngine;
        let ms = 0, bytes = 0, readMs = 0, points = 0;
        for (const s of await e.listSeries()) {
          const r0 = performance.now();
          const raw = await e.readRaw(s.id, -8.64e15, 8.64e15);
          readMs += performance.now() - r0;
          points += raw.t.length;
          const t0 = performance.now();
          const text = JSON.stringify({ series: { name: s.name, labels: s.labels }, t: Array.from(raw.t), v: Array.from(raw.v) });
          ms += performance.now() - t0;
          bytes += text.length;
        }
        return { ms, bytes, readMs, points };
      })()`
    )) as { ms: number; bytes: number; readMs: number; points: number };
    const baselineMbPerS = baseline.bytes / MB / (baseline.ms / 1000);

    for (const format of FORMATS) {
      const r = (await page.evaluate(
        `(async () => {
          const e = window.tidemarkEngine;
          const ids = ${JSON.stringify(loaded.ids)};
          const t0 = performance.now();
          let out = await e.runExport({
            jobId: 'bench-${format}', format: '${format}', from: ${loaded.end - 3_600_000}, to: ${loaded.end + 1},
            seriesIds: ids, resolution: 'raw', aggregates: [], events: 'none',
            pii: { ids: 'keep', errorMessage: 'keep', context: 'keep' }, k: 5, groupBy: [],
            outliers: false, anomalies: false, insights: false, sparklines: false
          });
          const ms = performance.now() - t0;
          const result = { ms, bytes: out.files.reduce((a, f) => a + f.bytes, 0), points: out.points };
          out = null;
          return result;
        })()`
      )) as { ms: number; bytes: number; points: number };
      emit({
        name: `export.${format}_mb_per_s`,
        value: r.bytes / MB / (r.ms / 1000),
        unit: 'MB/s',
        baseline: baselineMbPerS,
        baselineKind:
          'JSON.stringify of the same points per series ({series,t:[…],v:[…]}), already in memory, same page',
        points: r.points,
        pointsPerS: r.points / (r.ms / 1000),
        outputMb: r.bytes / MB,
        seconds: r.ms / 1000,
        baselineSeconds: baseline.ms / 1000,
        baselineMb: baseline.bytes / MB,
        baselineReadSeconds: baseline.readMs / 1000,
        ingestSeconds: loaded.ingestMs / 1000,
        rollupSettleSeconds: settleMs / 1000
      });
    }
  } finally {
    await bench.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
