/**
 * Metrics store benchmarks in headless Chromium (issue: metrics store). Baseline: the naive
 * one-record-per-point Dexie layout with a [series+t] index, measured in the same run.
 * BENCH_DAYS (default 30) sets how many days of 20 one-second series are ingested.
 */
import { emit } from './lib';
import { diskBreakdown, diskBytes, openBenchPage } from './browser';

type W = typeof globalThis & {
  tidemarkBench: {
    bench: Record<string, (o: unknown) => Promise<unknown>>;
    background: Record<string, (...a: unknown[]) => Promise<unknown>>;
  };
};

const days = Number(process.env.BENCH_DAYS ?? 30);
/** Phase markers on stderr, so a slow run shows where it is. */
const phase = (label: string) => process.stderr.write(`[store.bench] ${label}\n`);
const b = await openBenchPage('/bench');
const { page } = b;
page.setDefaultTimeout(0);
await page.getByTestId('bench-ready').filter({ hasText: 'Ready.' }).waitFor();

phase('ingest');
const diskBefore = diskBytes(b.profileDir);
// The leader's background engine rolls up while the ingest runs (on the other core), with
// retention every 30 s (raw kept 40 days so its size can be measured).
await page.evaluate(async () => {
  const bg = (globalThis as W).tidemarkBench.background;
  await bg.init();
  await bg.setRetention({ raw: 40 * 86_400_000 });
  await bg.configureBackground({ rollupIntervalMs: 1000, cleanupEveryMs: 30_000 });
  await bg.setLeader(true);
});
const ingest = (await page.evaluate(
  (d) => (globalThis as W).tidemarkBench.bench.ingest({ days: d, sliceSeconds: 4 * 3600 }),
  days
)) as {
  points: number;
  seconds: number;
  pointsPerS: number;
  encodedBytesPerPoint: number;
  diskBytesPerPoint: number;
  cpuOnlyPointsPerS: number;
  start: number;
  end: number;
};
const diskAfterIngest = diskBytes(b.profileDir);
const ingestStats = (await page.evaluate(() =>
  (globalThis as W).tidemarkBench.background.backgroundStats()
)) as { rollupMs: number; rolledPoints: number };
phase('catch-up');
// Let the rollups catch up, then stop the background work.
const catchUp = (await page.evaluate(async () => {
  const bg = (globalThis as W).tidemarkBench.background;
  const t0 = performance.now();
  for (;;) {
    const series = (await bg.listSeries()) as { lastT: number; rolledUntil?: number }[];
    if (series.every((s) => s.rolledUntil === s.lastT)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const waited = performance.now() - t0;
  await bg.setLeader(false);
  return { waited, stats: await bg.backgroundStats() };
})) as { waited: number; stats: { rolledPoints: number; rollupMs: number } };
const diskAfterRollups = diskBytes(b.profileDir);
const filesAfterRollups = diskBreakdown(b.profileDir);
const stored = (await page.evaluate(() => (globalThis as W).tidemarkBench.background.counts())) as {
  points: number;
  bytes: number;
  rollupBlocks: number;
  rollupBytes: number;
};

phase('steady');
// Steady state: live data as a monitor produces it (20 series, one point a second each,
// sent every second) with the leader rolling up every 5 s, the default interval.
const steady = (await page.evaluate(
  async (o) => {
    const { bench, background: bg } = (globalThis as W).tidemarkBench;
    await bg.configureBackground({ rollupIntervalMs: 5000, cleanupEveryMs: 600_000 });
    await bg.setLeader(true);
    // Let the first pass (and cleanup at start) finish before measuring.
    await new Promise((r) => setTimeout(r, 3000));
    type Stats = { rollupMs: number; rollupPasses: number; rollupBytesWritten: number };
    const before = (await bg.backgroundStats()) as Stats;
    const t0 = performance.now();
    const r = (await bench.steady(o)) as { points: number };
    const wallMs = performance.now() - t0;
    const after = (await bg.backgroundStats()) as Stats;
    await bg.setLeader(false);
    return {
      wallMs,
      rollupMs: after.rollupMs - before.rollupMs,
      passes: after.rollupPasses - before.rollupPasses,
      bytesWritten: after.rollupBytesWritten - before.rollupBytesWritten,
      points: r.points
    };
  },
  { seconds: Number(process.env.BENCH_STEADY_S ?? 30), start: ingest.end }
)) as {
  wallMs: number;
  rollupMs: number;
  passes: number;
  bytesWritten: number;
  points: number;
};

phase('queries');
const q = (await page.evaluate((o) => (globalThis as W).tidemarkBench.bench.queries(o), {
  start: ingest.start,
  end: ingest.end,
  runs: 200
})) as {
  hour: { p95: number; p50: number; tier: string; points: number };
  month: { p95: number; p50: number; tier: string; points: number };
  day: { p95: number; p50: number; tier: string; points: number };
  maxRelError: number;
  compared: number;
  countMismatches: number;
};
phase('naive');
// The naive baseline runs last, so its files (deleted afterwards, but reclaimed lazily by
// LevelDB) cannot blur the store's on-disk figure, nor its compaction the query latencies.
const naive = (await page.evaluate(() =>
  (globalThis as W).tidemarkBench.bench.naive({ seconds: 10, batchRows: 10_000 })
)) as { rows: number; pointsPerS: number; bytesPerPoint: number; hourQueryP95Ms: number };
phase('done');
await b.close();

emit({
  name: 'store.ingest_points_per_s',
  value: ingest.pointsPerS,
  unit: 'points/s',
  baseline: naive.pointsPerS,
  ratio: ingest.pointsPerS / naive.pointsPerS,
  points: ingest.points,
  seconds: ingest.seconds,
  rollups_caught_up_after_s: catchUp.waited / 1000,
  cpu_only_points_per_s: ingest.cpuOnlyPointsPerS,
  cpu_only_note: 'same batches generated and encoded, no IndexedDB: the ceiling the CPU work sets'
});
emit({
  name: 'store.rollup_cpu_share',
  value: steady.rollupMs / steady.wallMs,
  unit: 'share of one core',
  bound: 0.1,
  note: 'steady state: 20 live 1 s series, rollup every 5 s; busy ms of the rollup passes / wall ms (an upper bound on CPU: it includes waiting for IndexedDB)',
  passes: steady.passes,
  points: steady.points,
  rollup_bytes_written_per_s: steady.bytesWritten / (steady.wallMs / 1000),
  rollup_bytes_written_per_point: steady.bytesWritten / steady.points,
  under_sustained_ingest: ingestStats.rollupMs / (ingest.seconds * 1000),
  rolled_during_ingest: ingestStats.rolledPoints
});
emit({
  name: 'store.bytes_per_point',
  value: (diskAfterRollups - diskBefore) / ingest.points,
  unit: 'B/point',
  baseline: naive.bytesPerPoint,
  note: 'IndexedDB files in the Chromium profile once every point is rolled up (raw chunks kept 40 days, every tier at its default retention, indexes, LevelDB overhead); baseline from storage.estimate()',
  after_ingest: (diskAfterIngest - diskBefore) / ingest.points,
  encoded_chunk_bytes_per_point: ingest.encodedBytesPerPoint,
  after_rollups_record_bytes_per_point: {
    chunks: stored.bytes / ingest.points,
    rollups: stored.rollupBytes / ingest.points,
    rollup_blocks: stored.rollupBlocks
  },
  after_rollups_files_bytes_per_point: Object.fromEntries(
    Object.entries(filesAfterRollups).map(([k, v]) => [k, v / ingest.points])
  ),
  days,
  series: 20
});
emit({
  name: 'store.query_p95_ms.hour_raw',
  value: q.hour.p95,
  unit: 'ms',
  p50: q.hour.p50,
  baseline: naive.hourQueryP95Ms,
  tier: q.hour.tier,
  points: q.hour.points
});
emit({
  name: 'store.query_p95_ms.month_1000',
  value: q.month.p95,
  unit: 'ms',
  p50: q.month.p50,
  tier: q.month.tier,
  points: q.month.points
});
emit({
  name: 'store.query_p95_ms.day_p95_1m',
  value: q.day.p95,
  unit: 'ms',
  p50: q.day.p50,
  tier: q.day.tier,
  points: q.day.points
});
emit({
  name: 'store.rollup_points_per_s',
  value: catchUp.stats.rolledPoints / (catchUp.stats.rollupMs / 1000),
  unit: 'points/s',
  points: catchUp.stats.rolledPoints
});
emit({
  name: 'store.sketch_max_rel_error',
  value: q.maxRelError,
  unit: 'ratio',
  bound: 0.01,
  note: "1 min buckets of 4 series over 6 h: p50/p95/p99 from sketches vs exact lower quantiles of the same bucket's raw points",
  compared: q.compared,
  count_mismatches: q.countMismatches
});
