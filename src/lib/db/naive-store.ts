import Dexie from 'dexie';

/**
 * The naive layout the metrics store is measured against: one IndexedDB record per point
 * with a [series+t] index. Used only by the benchmarks, as their baseline.
 */
export class NaivePointDb extends Dexie {
  points!: Dexie.Table<{ id?: number; series: number; t: number; v: number }, number>;

  constructor(name = 'tidemark-bench-naive') {
    super(name, { chromeTransactionDurability: 'strict', cache: 'disabled' });
    this.version(1).stores({ points: '++id, [series+t]' });
  }

  async append(rows: { series: number; t: number; v: number }[]): Promise<void> {
    await this.points.bulkPut(rows);
  }

  async readRange(series: number, from: number, to: number) {
    return this.points
      .where('[series+t]')
      .between([series, from], [series, to], true, true)
      .toArray();
  }
}
