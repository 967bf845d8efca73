import { countedBy, CountsLedgerKey, emptyCounts, type StoreCounts } from './counts-ledger';
import type { SeriesRecord } from '$lib/types';
import type { TidemarkDb } from './database';

/**
 * The store's totals: the two kept records summed, or — when either is missing — one scan
 * of every chunk and block that stores both, in one transaction, so from then on they are
 * kept. O(1) reads once built.
 */
export async function readStoreCounts(db: TidemarkDb): Promise<StoreCounts> {
  const kept = await readKept(db);
  if (kept) return kept;
  return db.transaction(
    'rw',
    [db.series, db.events, db.chunks, db.rollups, db.wal, db.meta, db.ledger],
    async () => {
      const again = await readKept(db);
      if (again) return again;
      // The WAL's and the events' part in `meta`, the rest in `ledger` (counts-ledger.ts).
      const live = emptyCounts();
      const stored = emptyCounts();
      live.events = await db.events.count();
      live.headPoints = await countWalHeadPoints(db);
      stored.series = await db.series.count();
      await db.chunks.each((c) => {
        const d = countedBy('chunks', c);
        stored.chunks += d.chunks ?? 0;
        stored.points += d.points ?? 0;
        stored.bytes += d.bytes ?? 0;
      });
      await db.rollups.each((r) => {
        const d = countedBy('rollups', r);
        stored.rollupBlocks += d.rollupBlocks ?? 0;
        stored.rollupBytes += d.rollupBytes ?? 0;
      });
      await db.meta.put({ key: CountsLedgerKey, value: live });
      await db.ledger.put({ key: CountsLedgerKey, value: stored });
      return sumCounts(live, stored);
    }
  );
}

async function readKept(db: TidemarkDb): Promise<StoreCounts | null> {
  const [a, b] = await Promise.all([db.meta.get(CountsLedgerKey), db.ledger.get(CountsLedgerKey)]);
  return a && b ? sumCounts(a.value as StoreCounts, b.value as StoreCounts) : null;
}

function sumCounts(a: StoreCounts, b: StoreCounts): StoreCounts {
  const out = emptyCounts();
  for (const f of Object.keys(out) as (keyof StoreCounts)[]) out[f] = a[f] + b[f];
  return out;
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
