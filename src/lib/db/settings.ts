import { createStore, get, set, type UseStore } from 'idb-keyval';

/**
 * User settings live in their own small IndexedDB database through idb-keyval, apart from
 * the metrics database, so a schema upgrade or a reset of the data never loses them.
 */
export const SETTINGS_DB = 'tidemark-settings';

export type Theme = 'auto' | 'light' | 'dark';

export interface Settings {
  theme: Theme;
  timeZone: string | null;
  agentUrl: string;
  /** Pairing token of the local agent (sent only to it, as a bearer header). */
  agentToken: string;
  retentionOverrides: Record<string, number>;
  collectors: Record<string, boolean>;
}

export const DefaultSettings: Settings = {
  theme: 'auto',
  timeZone: null,
  agentUrl: 'http://127.0.0.1:9470',
  agentToken: '',
  retentionOverrides: {},
  // Opt-in: measuring costs a little of every frame, so the user turns each one on.
  collectors: {}
};

let defaultStore: UseStore | undefined;
function settingsStore(): UseStore {
  defaultStore ??= createStore(SETTINGS_DB, 'kv');
  return defaultStore;
}

export async function loadSettings(store: UseStore = settingsStore()): Promise<Settings> {
  const saved = (await get<Partial<Settings>>('settings', store)) ?? {};
  return { ...DefaultSettings, ...saved };
}

export async function saveSettings(
  patch: Partial<Settings>,
  store: UseStore = settingsStore()
): Promise<Settings> {
  const next = { ...(await loadSettings(store)), ...patch };
  await set('settings', next, store);
  return next;
}
