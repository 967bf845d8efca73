/**
 * A small, stable number for this tab: the lowest free slot among Web Locks named
 * `tidemark-tab-<n>`, held until the tab closes. Labels built from it stay few (tab=0, 1, …)
 * instead of a new random id — and a new set of series — every time a tab opens.
 */
export const TabSlotDefaults = { prefix: 'tidemark-tab-', maxSlots: 32 };

export interface TabSlot {
  slot: string;
  release(): void;
}

/** Claims the lowest free slot; without Web Locks, a random id. */
export async function claimTabSlot(
  locks: LockManager | undefined = globalThis.navigator?.locks
): Promise<TabSlot> {
  if (locks) {
    for (let i = 0; i < TabSlotDefaults.maxSlots; i++) {
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      const got = await new Promise<boolean>((resolve) => {
        locks
          .request(`${TabSlotDefaults.prefix}${i}`, { ifAvailable: true }, async (lock) => {
            resolve(lock !== null);
            if (lock) await held;
          })
          .catch(() => resolve(false));
      });
      if (got) return { slot: String(i), release };
    }
  }
  return { slot: Math.random().toString(36).slice(2, 8), release: () => {} };
}
