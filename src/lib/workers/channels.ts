/** BroadcastChannel on which engines announce data changes to every tab. */
export const CHANGES_CHANNEL = 'tidemark-changes';
/** Web Locks name held by the one tab that runs background work. */
export const LEADER_LOCK = 'tidemark-engine';
