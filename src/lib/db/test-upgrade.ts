import type Dexie from 'dexie';

/**
 * A schema upgrade that exists only in the second build tests/e2e/upgrade.spec.ts makes
 * (RELIABILITY.md row 7: a schema upgrade with an old tab open, and one that fails halfway).
 *
 * Never in a normal build: TidemarkDb declares it only under the compile-time constant
 * `__UPGRADE_TEST__`, which vite.config.ts sets from TIDEMARK_UPGRADE_TEST=1 when the site
 * is *built*. Every other build has the constant false, the bundler drops the call and this
 * module with it, and nothing at run time — no URL, setting or stored record — can bring it
 * back (the spec checks that the normal build holds no trace of it).
 *
 * It does what a real migration does: one version above the app's, a new store, a new index
 * on `series`, and a rewrite of every chunk (read, the table cleared, written back) with a
 * log record per series. A series named UnconvertibleSeries stands for data a migration
 * cannot handle: the upgrade then throws halfway — the chunks cleared, the log written — so
 * IndexedDB must abort the version-change transaction and keep the old version and its data.
 */
export const UnconvertibleSeries = 'upgrade_test_unconvertible';
/** The store the test upgrade adds: one record per series it converted. */
export const UpgradeLogStore = 'upgradeLog';

/**
 * Declares the test upgrade on `db` (a TidemarkDb, before it opens) as the version after its
 * last. Typed as Dexie so that database.ts, which calls it, is not imported back.
 */
export function declareTestUpgrade(db: Dexie): void {
  db.version(db.verno + 1)
    .stores({
      series: '++id, &key, name, category, source, unit',
      [UpgradeLogStore]: '&seriesId'
    })
    .upgrade(async (tx) => {
      const chunks = tx.table('chunks');
      const all: { seriesId: number }[] = await chunks.toArray();
      await chunks.clear();
      const series: { id: number; name: string; key: string }[] = await tx
        .table('series')
        .toArray();
      await tx.table(UpgradeLogStore).bulkPut(
        series.map((s) => ({
          seriesId: s.id,
          chunks: all.filter((c) => c.seriesId === s.id).length
        }))
      );
      const bad = series.find((s) => s.name === UnconvertibleSeries);
      if (bad) throw new Error(`the upgrade cannot convert the series ${bad.key}`);
      await chunks.bulkPut(all);
    });
}
