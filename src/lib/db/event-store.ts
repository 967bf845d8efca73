import type { ResultEvent } from '$lib/types';
import type { StoredEvent, TidemarkDb } from './database';

/** Result-log events: one record each, indexed by time and the fields analysts filter on. */
export class EventStore {
  constructor(private readonly db: TidemarkDb) {}

  /** Adds events in one transaction; resolves after it completes. */
  async add(events: ResultEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    await this.db.events.bulkAdd(events.map((e) => ({ ...e })));
    return events.length;
  }

  async range(from: number, to: number, limit = Infinity): Promise<StoredEvent[]> {
    const q = this.db.events.where('t').between(from, to, true, true);
    return Number.isFinite(limit) ? q.limit(limit).toArray() : q.toArray();
  }

  /** One page of events in [from, to] by time, `offset` events in (for paged exports). */
  async page(options: {
    from: number;
    to: number;
    offset: number;
    limit: number;
  }): Promise<ResultEvent[]> {
    const rows = await this.db.events
      .where('t')
      .between(options.from, options.to, true, true)
      .offset(options.offset)
      .limit(options.limit)
      .toArray();
    return rows.map(({ id: _id, ...e }) => e);
  }

  async recent(limit: number): Promise<StoredEvent[]> {
    return this.db.events.orderBy('t').reverse().limit(limit).toArray();
  }

  async count(): Promise<number> {
    return this.db.events.count();
  }

  /**
   * Deletes events older than `t`, `pageSize` per transaction so a long backlog never holds
   * one huge transaction; resolves with how many went.
   */
  async deleteBefore(t: number, pageSize = 2000): Promise<number> {
    let deleted = 0;
    for (;;) {
      const ids = await this.db.events.where('t').below(t).limit(pageSize).primaryKeys();
      if (ids.length === 0) return deleted;
      await this.db.events.bulkDelete(ids);
      deleted += ids.length;
    }
  }
}
