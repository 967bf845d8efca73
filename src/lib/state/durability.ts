/**
 * What Tidemark remembers about its own data outside IndexedDB (RELIABILITY.md row 5): that
 * this browser held data, when the last export (backup) was saved, and which "keep my data"
 * requests were made. It lives in localStorage because an eviction, or a user clearing one
 * database, takes IndexedDB away; a store that is empty although this says it held data is
 * how an eviction is noticed. A browser that clears all site data clears this too — then
 * there is nothing to tell, and nothing claims otherwise.
 */

const Keys = {
  held: 'tidemark:data-held',
  backup: 'tidemark:last-backup',
  asked: 'tidemark:persist-asked:'
} as const;

/** When data was first seen in the store, and how much at the last look. */
export interface DataHeld {
  since: number;
  seenAt: number;
  series: number;
  events: number;
}

export interface LastBackup {
  at: number;
  name: string;
}

/** Why Tidemark asks the browser to keep its data; each is asked the first time only. */
export type PersistReason = 'import' | 'pairing' | 'install';

/** How often `noteDataHeld` rewrites the marker while data stays (to keep `seenAt` fresh). */
const RefreshHeldMs = 60 * 60_000;

function read<T>(storage: Storage | undefined, key: string): T | null {
  try {
    const raw = storage?.getItem(key);
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}

function write(storage: Storage | undefined, key: string, value: unknown): void {
  try {
    storage?.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled: the marker is a convenience, the data is elsewhere.
  }
}

/** The marker, if this browser has held Tidemark data. */
export function readDataHeld(storage: Storage | undefined): DataHeld | null {
  return read<DataHeld>(storage, Keys.held);
}

/** Records that the store holds `counts` now (rewritten at most hourly). */
export function noteDataHeld(
  storage: Storage | undefined,
  counts: { series: number; events: number },
  now: number
): void {
  const held = readDataHeld(storage);
  if (held && now - held.seenAt < RefreshHeldMs && held.series >= counts.series) return;
  write(storage, Keys.held, {
    since: held?.since ?? now,
    seenAt: now,
    series: Math.max(counts.series, held?.series ?? 0),
    events: Math.max(counts.events, held?.events ?? 0)
  } satisfies DataHeld);
}

/** The user emptied the store on purpose (or dismissed the notice): nothing was lost. */
export function forgetDataHeld(storage: Storage | undefined): void {
  try {
    storage?.removeItem(Keys.held);
  } catch {
    // Nothing to forget.
  }
}

export function readLastBackup(storage: Storage | undefined): LastBackup | null {
  return read<LastBackup>(storage, Keys.backup);
}

export function noteBackup(storage: Storage | undefined, backup: LastBackup): void {
  write(storage, Keys.backup, backup);
}

/** True the first time it is called for `reason` in this browser, false after. */
export function firstTimeFor(storage: Storage | undefined, reason: PersistReason, now: number) {
  if (read<number>(storage, Keys.asked + reason) !== null) return false;
  write(storage, Keys.asked + reason, now);
  return true;
}
