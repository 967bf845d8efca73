import type { TidemarkDb } from './database';

/** One `meta` value, or `fallback` when it was never written. */
export async function readMetaValue<T>(db: TidemarkDb, key: string, fallback: T): Promise<T> {
  return ((await db.meta.get(key))?.value as T | undefined) ?? fallback;
}

/** Writes one `meta` value. */
export async function writeMetaValue(db: TidemarkDb, key: string, value: unknown): Promise<void> {
  await db.meta.put({ key, value });
}
