import Dexie, {
  type DBCore,
  type DBCoreMutateRequest,
  type DBCoreMutateResponse,
  type DBCoreTable,
  type DBCoreTransaction,
  type Middleware
} from 'dexie';

/**
 * The store's totals (status bar, Settings), kept rather than scanned (issue 28): records
 * updated inside every write transaction that adds, replaces or deletes a series, event,
 * chunk or rollup block, so they are exact whichever tab or path wrote (appends, head cuts,
 * rollups, retention, imports, "delete all data") and commit or roll back with the write
 * itself. Reading the totals is two `get`s, at any size; scanning every chunk and block took
 * seconds at 10,000 series and ran once a second.
 *
 * They are kept by a Dexie DBCore middleware rather than at each write site, so a write path
 * added later cannot forget them: the middleware widens every read-write transaction over a
 * counted table to the store its totals live in (see Location), reads the records a put or
 * delete replaces (their sizes leave the totals) and writes the new totals after each
 * mutation. A database without them (an older version, or right after a clear) gets them
 * from a single scan (store-counts.ts).
 */
export const CountsLedgerKey = 'counts:ledger';

export interface StoreCounts {
  series: number;
  events: number;
  /** Chunk records and the points and encoded bytes they hold. */
  chunks: number;
  points: number;
  bytes: number;
  rollupBlocks: number;
  rollupBytes: number;
  /**
   * Acknowledged points in the live path's heads, not yet cut into chunks (HeadStore): the
   * points of every WAL record appended, less those its cuts moved into chunks.
   */
  headPoints: number;
}

export type Delta = Partial<StoreCounts>;

const Fields: (keyof StoreCounts)[] = [
  'series',
  'events',
  'chunks',
  'points',
  'bytes',
  'rollupBlocks',
  'rollupBytes',
  'headPoints'
];

/** What one record of a counted table adds to the totals. */
const Rules: Record<string, (r: Record<string, unknown>) => Delta> = {
  series: () => ({ series: 1 }),
  events: () => ({ events: 1 }),
  chunks: (r) => ({ chunks: 1, points: r.n as number, bytes: (r.data as Uint8Array).byteLength }),
  rollups: (r) =>
    r.t0 === RollupHeadT0 ? {} : { rollupBlocks: 1, rollupBytes: (r.data as Uint8Array).byteLength }
};
/**
 * A tier's head record (rollup-store.ts HeadT0 = +∞, the open bucket of a series) is not a
 * block: rewritten by every pass for every live series, counting it would cost a read of
 * the old record per write for a figure that says nothing. Blocks are the closed buckets.
 */
const RollupHeadT0 = Infinity;
/** What one record of `table` adds to the totals (a rebuild's scan counts the same way). */
export function countedBy(table: 'chunks' | 'rollups', record: object): Delta {
  return Rules[table](record as Record<string, unknown>);
}

/** Keys whose records never count: no old record needs reading for them. */
function uncounted(table: string, key: unknown): boolean {
  return table === 'rollups' && Array.isArray(key) && key[2] === RollupHeadT0;
}
/** Tables whose records carry sizes: replacing one needs the old record's. */
const SizedTables = new Set(['chunks', 'rollups']);
/** The WAL: an appended record's points join the heads; deleting records moves nothing. */
const WalTable = 'wal';
const RangeAny = 3;

/** The totals of an empty store. */
export function emptyCounts(): StoreCounts {
  return Object.fromEntries(Fields.map((f) => [f, 0])) as unknown as StoreCounts;
}

/**
 * Where a table's totals are kept: the WAL's and the events' in `meta` (the agent's delivery
 * transaction writes the WAL, the events and its checkpoint in `meta` already), the rest in
 * the `ledger` store. Two records, so that a delivery and the background work (cuts,
 * rollups, retention: series, chunks, rollups) never wait for each other: one shared record
 * would put every write transaction in one queue (a 3,000-series delivery waited 6 s behind
 * rollup transactions when it was so). The totals are the sum of both.
 */
type Location = 'meta' | 'ledger';
const LocationOf: Record<string, Location> = {
  wal: 'meta',
  events: 'meta',
  series: 'ledger',
  chunks: 'ledger',
  rollups: 'ledger'
};

/** A read-write transaction's pending totals in one location: stored plus changed here. */
class TxLedger {
  readonly #store: DBCoreTable;
  readonly #trans: DBCoreTransaction;
  readonly #base: Promise<StoreCounts | undefined>;
  readonly #delta = emptyCounts();
  #dropped = false;

  constructor(store: DBCoreTable, trans: DBCoreTransaction) {
    this.#store = store;
    this.#trans = trans;
    this.#base = store
      .get({ trans, key: CountsLedgerKey })
      .then((row: { value?: StoreCounts } | undefined) => row?.value);
  }

  /**
   * Adds `delta` and writes the totals. Writes are issued in call order, each with all the
   * deltas so far, so the last one stored holds them all. No record stored: nothing to keep
   * (the next read builds both from a scan that sees this transaction's writes).
   * `drop`: a table was cleared — the record goes, and the next read rebuilds.
   */
  async add(delta: Delta, drop = false): Promise<void> {
    this.#dropped ||= drop;
    for (const f of Fields) this.#delta[f] += delta[f] ?? 0;
    const base = await this.#base;
    if (this.#dropped) {
      await this.#store.mutate({ trans: this.#trans, type: 'delete', keys: [CountsLedgerKey] });
      return;
    }
    if (!base) return;
    const value = emptyCounts();
    for (const f of Fields) value[f] = base[f] + this.#delta[f];
    await this.#store.mutate({
      trans: this.#trans,
      type: 'put',
      values: [{ key: CountsLedgerKey, value }],
      keys: [CountsLedgerKey]
    });
  }
}

/** Sums what each record contributes, negated with `sign: -1`. */
function sumOf(table: string, records: unknown[], sign: 1 | -1): Delta {
  const rule = Rules[table];
  const out: Delta = {};
  for (const r of records) {
    if (r === undefined || r === null) continue;
    const d = rule(r as Record<string, unknown>);
    for (const f of Object.keys(d) as (keyof StoreCounts)[]) out[f] = (out[f] ?? 0) + sign * d[f]!;
  }
  return out;
}

function plus(a: Delta, b: Delta): Delta {
  const out: Delta = { ...a };
  for (const f of Object.keys(b) as (keyof StoreCounts)[]) out[f] = (out[f] ?? 0) + b[f]!;
  return out;
}

/** The values of a mutation that were stored (a bulkAdd may store some and refuse others). */
function storedValues(req: { values: readonly unknown[] }, res: DBCoreMutateResponse): unknown[] {
  if (!res.numFailures) return [...req.values];
  return req.values.filter((_, i) => !(i in res.failures));
}

const ledgers = new WeakMap<DBCoreTransaction, Partial<Record<Location, TxLedger>>>();
/** Each database's two ledger stores below the middleware, for `adjustStoreCounts`. */
const ledgerStores = new WeakMap<Dexie, (where: Location) => DBCoreTable>();

function ledgerOf(
  store: (where: Location) => DBCoreTable,
  trans: DBCoreTransaction,
  where: Location
): TxLedger {
  let byPlace = ledgers.get(trans);
  if (!byPlace) ledgers.set(trans, (byPlace = {}));
  return (byPlace[where] ??= new TxLedger(store(where), trans));
}

/** The DBCore middleware that keeps the ledger of `db` (see the module comment). */
export function countsLedgerMiddleware(db: Dexie): Middleware<DBCore> {
  return {
    stack: 'dbcore',
    name: 'CountsLedger',
    create(down) {
      const store = (where: Location) => down.table(where);
      ledgerStores.set(db, store);
      return {
        ...down,
        transaction(stores, mode, options) {
          if (mode !== 'readwrite') return down.transaction(stores, mode, options);
          const widened = new Set(stores);
          for (const s of stores) if (s in LocationOf) widened.add(LocationOf[s]);
          return down.transaction([...widened], mode, options);
        },
        table(name) {
          const table = down.table(name);
          if (!(name in Rules) && name !== WalTable) return table;
          return {
            ...table,
            async mutate(req: DBCoreMutateRequest): Promise<DBCoreMutateResponse> {
              const ledger = ledgerOf(store, req.trans, LocationOf[name]);
              if (name === WalTable) {
                const res = await table.mutate(req);
                if (req.type === 'add' || req.type === 'put') {
                  let points = 0;
                  for (const r of storedValues(req, res))
                    points += (r as { t: Float64Array }).t.length;
                  await ledger.add({ headPoints: points });
                } else if (req.type === 'deleteRange' && req.range.type === RangeAny) {
                  await ledger.add({}, true);
                }
                return res;
              }
              let before: Delta = {};
              let cleared = false;
              if (req.type === 'put' && (SizedTables.has(name) || !req.changeSpec)) {
                const pk = table.schema.primaryKey;
                const keys = req.keys ?? req.values.map((v) => pk.extractKey?.(v));
                const known = keys.filter(
                  (k) => k !== undefined && k !== null && !uncounted(name, k)
                );
                const old = known.length
                  ? await table.getMany({ trans: req.trans, keys: known })
                  : [];
                before = sumOf(name, old, -1);
              } else if (req.type === 'delete') {
                const keys = req.keys.filter((k) => !uncounted(name, k));
                if (keys.length)
                  before = sumOf(name, await table.getMany({ trans: req.trans, keys }), -1);
              } else if (req.type === 'deleteRange') {
                if (req.range.type === RangeAny) cleared = true;
                else {
                  const found = await table.query({
                    trans: req.trans,
                    values: true,
                    query: { index: table.schema.primaryKey, range: req.range }
                  });
                  before = sumOf(name, found.result, -1);
                }
              }
              const res = await table.mutate(req);
              const after =
                req.type === 'add' ||
                (req.type === 'put' && (SizedTables.has(name) || !req.changeSpec))
                  ? sumOf(name, storedValues(req, res), 1)
                  : {};
              await ledger.add(plus(before, after), cleared);
              return res;
            }
          };
        }
      };
    }
  };
}

/**
 * Adds `delta` to the `ledger` store's totals inside the current read-write transaction
 * (one over chunks or series, which the middleware widened to that store): for what it
 * cannot see, the live path's head points leaving the heads for chunks.
 */
export async function adjustStoreCounts(db: Dexie, delta: Delta): Promise<void> {
  const trans = Dexie.currentTransaction as unknown as { idbtrans?: DBCoreTransaction } | null;
  const store = ledgerStores.get(db);
  if (!trans?.idbtrans || !store)
    throw new Error('adjustStoreCounts runs inside a write transaction over chunks or series');
  await ledgerOf(store, trans.idbtrans, 'ledger').add(delta);
}
