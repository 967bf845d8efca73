import { LEADER_LOCK } from './channels';

/**
 * Leader election through the Web Locks API (MDN's leader pattern): every tab asks for the
 * same exclusive lock; the holder runs background work until its tab closes, when the
 * browser releases the lock and grants it to the next waiting tab at once.
 *
 * Returns a function that gives up leadership (or the place in the queue).
 */
export function electLeader(
  onChange: (isLeader: boolean) => void,
  locks: LockManager | undefined = globalThis.navigator?.locks
): () => void {
  if (!locks) {
    // No Web Locks (very old browsers): run as leader alone rather than never.
    onChange(true);
    return () => onChange(false);
  }
  const controller = new AbortController();
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  locks
    .request(LEADER_LOCK, { signal: controller.signal }, async () => {
      onChange(true);
      await held;
      onChange(false);
    })
    .catch((e: unknown) => {
      if ((e as Error)?.name !== 'AbortError') throw e;
    });
  return () => {
    controller.abort();
    release();
  };
}
