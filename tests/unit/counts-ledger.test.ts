import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { CountsLedgerKey } from '$lib/db/counts-ledger';
import { openDatabase, type TidemarkDb } from '$lib/db/database';
import { HeadStore } from '$lib/db/head-store';
import { MetricStore } from '$lib/db/metric-store';
import { HeadT0 } from '$lib/db/rollup-store';
import type { PointBatch, ResultEvent, SeriesDescriptor } from '$lib/types';
import { createEngineApi } from '$lib/workers/engine/api';
import type { EngineCounts } from '$lib/workers/engine/data';

const T0 = 1_700_000_000_000;
let k = 0;
const names: string[] = [];
afterEach(async () => {
  for (const name of names.splice(0)) await Dexie.delete(name);
});

function engine(name: string, now: () => number) {
  return createEngineApi({
    openDb: (cb) => openDatabase(cb, { name }),
    now,
    timeZone: 'UTC',
    setInterval: () => null,
    clearInterval: () => {}
  });
}

const gauge = (name: string, host: string): SeriesDescriptor => ({
  name,
  labels: { host },
  unit: '',
  kind: 'gauge',
  source: 'agent',
  category: 'system'
});

/** One second of `series` hosts at time t, one point each. */
function second(t: number, series: number, name = 'node_load1'): PointBatch[] {
  return Array.from({ length: series }, (_, i) => ({
    series: gauge(name, `h${i}`),
    t: Float64Array.of(t),
    v: Float64Array.of(i + t / 1000)
  }));
}

/**
 * What the totals must be, found the slow way, independently of the ledger: every chunk
 * and block read, the records counted, and the live heads' points replayed from the WAL by
 * a fresh HeadStore (as a crash recovery would).
 */
async function scanned(name: string): Promise<EngineCounts> {
  const db = (await openDatabase(() => {}, { name })) as TidemarkDb;
  try {
    const metrics = new MetricStore(db);
    const raw = await metrics.rawFootprint();
    let rollupBlocks = 0;
    let rollupBytes = 0;
    await db.rollups.each((r) => {
      // Blocks: closed buckets, not a tier's open head record (HeadT0).
      if (r.t0 === HeadT0) return;
      rollupBlocks++;
      rollupBytes += r.data.byteLength;
    });
    const heads = new HeadStore(db, metrics);
    await heads.setWriter(false);
    await heads.recover();
    return {
      series: await db.series.count(),
      events: await db.events.count(),
      chunks: raw.chunks,
      points: raw.points + heads.points,
      bytes: raw.bytes,
      rollupBlocks,
      rollupBytes
    };
  } finally {
    db.close();
  }
}

describe('store counts kept by every write', () => {
  it('stay exact across agent deliveries, appends, cuts, rollups, imports, retention and a clear', async () => {
    const name = `counts-ledger-${k++}`;
    names.push(name);
    let now = T0;
    const api = engine(name, () => now);
    await api.init();
    const expectExact = async (label: string) =>
      expect({ label, counts: await api.counts() }).toEqual({ label, counts: await scanned(name) });

    await expectExact('empty');
    // The live path: a WAL record per delivery, new series registered inside it.
    for (let s = 0; s < 30; s++) {
      now = T0 + s * 1000;
      await api.storeAgentBatch({
        batches: second(now, s < 10 ? 20 : 40),
        events: s % 7 === 0 ? [{ t: now, actionType: 'a', status: 'success', durationMs: 1 }] : [],
        checkpoint: { bootId: 'b', seq: s }
      });
    }
    await expectExact('deliveries');
    // A late point (before a head's end) takes the merging path in the same transaction.
    await api.storeAgentBatch({
      batches: [
        { series: gauge('node_load1', 'h0'), t: Float64Array.of(T0 + 500), v: Float64Array.of(1) }
      ],
      events: [],
      checkpoint: { bootId: 'b', seq: 31 }
    });
    await expectExact('late point');
    // The general path (ingest), then a repeat of the same times (replaced, not added).
    const plain: PointBatch = {
      series: { ...gauge('temp', 'x'), source: 'api' },
      t: Float64Array.from({ length: 500 }, (_, i) => T0 + i * 100),
      v: Float64Array.from({ length: 500 }, (_, i) => i)
    };
    await api.ingest([plain]);
    await api.ingest([plain]);
    await expectExact('ingest');
    // Heads old enough are cut into chunks; rollups write blocks.
    now = T0 + 10 * 60_000;
    await api.runBackgroundPass();
    await expectExact('cut and rollup');
    // An import commit (planned chunks) with events.
    const events: ResultEvent[] = Array.from({ length: 12 }, (_, i) => ({
      t: T0 + i,
      actionType: 'import',
      status: 'success',
      durationMs: i
    }));
    await api.commitImport({
      checkpoint: {
        id: 'file',
        name: 'f.prom',
        size: 1,
        format: 'prometheus',
        offset: 1,
        rows: 1,
        points: 0,
        events: 12,
        errors: 0,
        done: true,
        startedAt: now,
        updatedAt: now
      },
      batches: second(T0 + 2000, 50, 'imported').map((b) => ({
        ...b,
        series: { ...b.series, source: 'import' }
      })),
      events
    });
    await expectExact('import');
    // Everything but the newest is older than the retention: chunks, blocks and events go.
    now = T0 + 200 * 24 * 3_600_000;
    await api.storeAgentBatch({
      batches: second(now, 5),
      events: [],
      checkpoint: { bootId: 'b', seq: 40 }
    });
    await api.cleanup();
    await expectExact('retention');
    // Another tab's engine reads the same totals.
    const other = engine(name, () => now);
    await other.init();
    expect(await other.counts()).toEqual(await api.counts());
    await api.clearAll();
    await expectExact('cleared');
    expect((await api.counts()).series).toBe(0);
  });

  it('builds the ledger from one scan where none is stored (an older store), then keeps it', async () => {
    const name = `counts-ledger-${k++}`;
    names.push(name);
    let now = T0;
    const api = engine(name, () => now);
    await api.init();
    for (let s = 0; s < 5; s++) {
      now = T0 + s * 1000;
      await api.storeAgentBatch({
        batches: second(now, 8),
        events: [],
        checkpoint: { bootId: 'b', seq: s }
      });
    }
    await api.ingest(second(T0, 3, 'other'));
    const db = await openDatabase(() => {}, { name });
    await db.meta.delete(CountsLedgerKey);
    expect(await db.meta.get(CountsLedgerKey)).toBeUndefined();
    // Writes without a ledger leave it absent; the next read scans them in.
    await api.ingest(second(T0 + 1000, 3, 'other'));
    expect(await db.meta.get(CountsLedgerKey)).toBeUndefined();
    expect(await api.counts()).toEqual(await scanned(name));
    expect(await db.meta.get(CountsLedgerKey)).toBeDefined();
    db.close();
    now = T0 + 10 * 60_000;
    await api.runBackgroundPass();
    expect(await api.counts()).toEqual(await scanned(name));
  });
});
