/**
 * What to do when the database cannot be opened (RELIABILITY.md row 4): read whatever is
 * still readable, and — only when the user asked for it — delete the database so a fresh
 * one can be made. Both work on the raw IndexedDB API rather than Dexie: Dexie's open is
 * what failed (a version from a newer build, an upgrade that throws), while a plain open
 * without a version takes the database as it is, and each object store is read in its own
 * transaction so one damaged store does not cost the others (Signal-Desktop #718 lost
 * everything to an all-or-nothing open).
 */

/** What the user types to delete a database that cannot be opened. */
export const ResetConfirmation = 'delete my data';

/** One object store's share of a salvage. */
export interface SalvagedStore {
  name: string;
  records: number;
  /** Why reading it stopped, when it did; records before the failure are kept. */
  error?: string;
}

export interface SalvageResult {
  /** NDJSON: a header line, then `{"store","key","value"}` per record. */
  blob: Blob;
  version: number | null;
  stores: SalvagedStore[];
  /** Set when the database could not be opened even without a version. */
  error?: string;
}

/** Header of a salvage file, so a reader knows what it holds and how values are encoded. */
export const SalvageFormat = 'tidemark-salvage/1';

/** Records per Blob part: bounds the strings held at once while the dump is built. */
const RecordsPerPart = 1_000;

/**
 * Dumps every readable record of database `name` as NDJSON. Typed arrays (chunk payloads,
 * write-ahead log columns) become `{"$typed":"Float64Array","base64":"…"}` so the file is
 * lossless. Never creates the database when it does not exist, never writes to it.
 * O(records); memory holds one part of `RecordsPerPart` records plus the Blob parts.
 * @example const { blob, stores } = await salvageDatabase({ indexedDB, name: 'tidemark' });
 */
export async function salvageDatabase(options: {
  indexedDB: IDBFactory;
  name: string;
}): Promise<SalvageResult> {
  const parts: BlobPart[] = [];
  const stores: SalvagedStore[] = [];
  let db: IDBDatabase;
  try {
    db = await openAsIs(options.indexedDB, options.name);
  } catch (error) {
    const message = describeError(error);
    parts.push(JSON.stringify({ format: SalvageFormat, db: options.name, error: message }) + '\n');
    return { blob: new Blob(parts), version: null, stores, error: message };
  }
  try {
    const names = [...db.objectStoreNames];
    parts.push(
      JSON.stringify({
        format: SalvageFormat,
        db: options.name,
        version: db.version,
        stores: names
      }) + '\n'
    );
    for (const name of names) {
      const store: SalvagedStore = { name, records: 0 };
      stores.push(store);
      try {
        await readStore(db, name, (lines) => {
          parts.push(lines.join(''));
          store.records += lines.length;
        });
      } catch (error) {
        store.error = describeError(error);
      }
    }
    return { blob: new Blob(parts, { type: 'application/x-ndjson' }), version: db.version, stores };
  } finally {
    db.close();
  }
}

/**
 * Deletes database `name`. Resolves once it is gone; `onBlocked` is called while another
 * connection (an old tab that ignores `versionchange`) still holds it open. Rejects when
 * the browser refuses.
 */
export function deleteDatabase(options: {
  indexedDB: IDBFactory;
  name: string;
  onBlocked?: () => void;
}): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = options.indexedDB.deleteDatabase(options.name);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error ?? new Error('the database could not be deleted'));
    req.onblocked = () => options.onBlocked?.();
  });
}

/** Opens at whatever version exists; fails rather than create a database that is absent. */
function openAsIs(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let req: IDBOpenDBRequest;
    try {
      req = factory.open(name);
    } catch (error) {
      return reject(error);
    }
    req.onupgradeneeded = () => {
      // Version 0 → it did not exist; aborting leaves nothing behind.
      req.transaction?.abort();
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => {
      const error = req.error;
      reject(
        error?.name === 'AbortError'
          ? new Error('there is no database to read')
          : (error ?? new Error('the database could not be opened'))
      );
    };
  });
}

/** Reads one store with a cursor, handing over NDJSON lines a part at a time. */
function readStore(
  db: IDBDatabase,
  name: string,
  onPart: (lines: string[]) => void
): Promise<void> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(name, 'readonly');
    const req = tx.objectStore(name).openCursor();
    let lines: string[] = [];
    req.onsuccess = () => {
      const cursor = req.result;
      if (!cursor) {
        if (lines.length > 0) onPart(lines);
        return;
      }
      try {
        lines.push(
          JSON.stringify(
            { store: name, key: cursor.primaryKey, value: cursor.value },
            encodeTyped
          ) + '\n'
        );
      } catch (error) {
        // A value JSON cannot hold (a cycle): note it and go on with the rest of the store.
        lines.push(JSON.stringify({ store: name, key: null, error: describeError(error) }) + '\n');
      }
      if (lines.length >= RecordsPerPart) {
        onPart(lines);
        lines = [];
      }
      cursor.continue();
    };
    req.onerror = () => {
      if (lines.length > 0) onPart(lines);
      reject(req.error);
    };
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error(`reading ${name} was aborted`));
  });
}

function encodeTyped(_key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value)) {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    }
    return { $typed: value.constructor.name, base64: btoa(binary) };
  }
  if (value instanceof ArrayBuffer) return encodeTyped(_key, new Uint8Array(value));
  return value;
}

function describeError(error: unknown): string {
  if (error instanceof Error || error instanceof DOMException) {
    return `${error.name}: ${error.message}`;
  }
  return String(error);
}
