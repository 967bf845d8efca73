import { createStore, get, set, type UseStore } from 'idb-keyval';

/**
 * User settings live in their own small IndexedDB database through idb-keyval, apart from
 * the metrics database, so a schema upgrade or a reset of the data never loses them.
 */
export const SETTINGS_DB = 'tidemark-settings';

export type Theme = 'auto' | 'light' | 'dark';

/** SLA thresholds: a p95 budget per action type (Events page), and the default for the rest. */
export interface SlaSettings {
  defaultThresholdMs: number;
  thresholdsMs: Record<string, number>;
}

export interface Settings {
  theme: Theme;
  timeZone: string | null;
  agentUrl: string;
  /** Pairing token of the local agent (sent only to it, as a bearer header). */
  agentToken: string;
  retentionOverrides: Record<string, number>;
  collectors: Record<string, boolean>;
  sla: SlaSettings;
  /**
   * Usage page: the user's changes to the trend thresholds and health-check flags
   * (`UsageTrendThresholds`, `UsageFlagThresholds`); what is not set keeps its default.
   */
  usageThresholds: { trend: Record<string, number>; flags: Record<string, number> };
}

export const DefaultSettings: Settings = {
  theme: 'auto',
  timeZone: null,
  agentUrl: 'http://127.0.0.1:9470',
  agentToken: '',
  retentionOverrides: {},
  // Opt-in: measuring costs a little of every frame, so the user turns each one on.
  collectors: {},
  sla: { defaultThresholdMs: 60_000, thresholdsMs: {} },
  usageThresholds: { trend: {}, flags: {} }
};

/** Where settings are kept: the settings database, or another one (tests). */
export type SettingsStore = UseStore;

/** Opens a settings store in the database `name` (SETTINGS_DB for the app's). */
export function openSettingsStore(name: string = SETTINGS_DB): SettingsStore {
  return createStore(name, 'kv');
}

let defaultStore: UseStore | undefined;
function settingsStore(): UseStore {
  defaultStore ??= openSettingsStore();
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
