import { countedBy, CountsLedgerKey, emptyCounts, type StoreCounts } from './counts-ledger';
import type { SeriesRecord } from '$lib/types';
import type { TidemarkDb } from './database';

/**
 * The store's totals: the ledger, or — when none is stored yet — one scan of every chunk
 * and block that stores it, in one transaction, so from then on it is kept. O(1) reads once
 * built.
 */
export async function readStoreCounts(db: TidemarkDb): Promise<StoreCounts> {
  const kept = (await db.meta.get(CountsLedgerKey))?.value as StoreCounts | undefined;
  if (kept) return kept;
  return db.transaction(
    'rw',
    [db.series, db.events, db.chunks, db.rollups, db.wal, db.meta],
    async () => {
      const again = (await db.meta.get(CountsLedgerKey))?.value as StoreCounts | undefined;
      if (again) return again;
      const value = emptyCounts();
      value.series = await db.series.count();
      value.events = await db.events.count();
      await db.chunks.each((c) => {
        value.chunks++;
        value.points += c.n;
        value.bytes += c.data.byteLength;
      });
      await db.rollups.each((r) => {
        const d = countedBy('rollups', r);
        value.rollupBlocks += d.rollupBlocks ?? 0;
        value.rollupBytes += d.rollupBytes ?? 0;
      });
      value.headPoints = await countWalHeadPoints(db);
      await db.meta.put({ key: CountsLedgerKey, value });
      return value;
    }
  );
}

/**
 * The points the WAL holds that no chunk holds: per series, those after the newest time its
 * cuts stored (`headCutT`) and after the points before them, as `HeadStore.recover` replays
 * them. O(WAL points).
 */
async function countWalHeadPoints(db: TidemarkDb): Promise<number> {
  const last = new Map<number, number>();
  await db.series.each((s: SeriesRecord & { headCutT?: number }) => {
    if (s.headCutT !== undefined) last.set(s.id, s.headCutT);
  });
  let points = 0;
  await db.wal.each((rec) => {
    for (let k = 0; k < rec.ids.length; k++) {
      const id = rec.ids[k];
      let after = last.get(id) ?? -Infinity;
      for (let i = rec.offsets[k]; i < rec.offsets[k + 1]; i++) {
        if (rec.t[i] <= after) continue;
        after = rec.t[i];
        points++;
      }
      last.set(id, after);
    }
  });
  return points;
}
