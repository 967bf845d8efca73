import {
  DefaultSettings,
  loadSettings,
  saveSettings,
  type Settings,
  type SettingsStore,
  type SlaSettings
} from '$lib/db/settings';

/** Where the SLA thresholds lived before they joined the settings (moved once, on load). */
export const LegacySlaStorageKey = 'tidemark:sla-thresholds';

/**
 * The user's settings as every page reads them: one reactive copy of what db/settings.ts
 * stores (its own IndexedDB database), loaded once per tab. `current` holds the defaults
 * until the stored settings arrive; `loaded` says when they have.
 */
export class SettingsState {
  current = $state.raw<Settings>(DefaultSettings);
  loaded = $state(false);
  #store: SettingsStore | undefined;
  #legacy: Storage | undefined;
  #loading: Promise<Settings> | null = null;

  /** `store` and `legacy` are for tests; the app uses the settings database and localStorage. */
  constructor(options: { store?: SettingsStore; legacy?: Storage } = {}) {
    this.#store = options.store;
    this.#legacy = options.legacy ?? globalThis.localStorage;
  }

  /** Loads the stored settings (once; later calls share the first load). Never rejects. */
  load(): Promise<Settings> {
    this.#loading ??= this.reload();
    return this.#loading;
  }

  /** Reads the stored settings again (another tab changed them). Keeps `current` on failure. */
  async reload(): Promise<Settings> {
    try {
      let next = await loadSettings(this.#store);
      const legacySla = readLegacySla(this.#legacy);
      if (legacySla) {
        next = await saveSettings({ sla: legacySla }, this.#store);
        this.#legacy?.removeItem(LegacySlaStorageKey);
      }
      this.current = { ...next, sla: cleanSla(next.sla) };
    } catch {
      // The settings database cannot be opened (private mode, blocked): defaults for now.
    }
    this.loaded = true;
    return this.current;
  }

  /**
   * Applies `patch` in this tab at once and stores it over the stored settings. Rejects when
   * it cannot store (the change then holds for this session only).
   */
  async update(patch: Partial<Settings>): Promise<Settings> {
    this.current = { ...this.current, ...patch };
    const next = await saveSettings(patch, this.#store);
    this.current = { ...next, sla: cleanSla(next.sla) };
    this.loaded = true;
    return this.current;
  }
}

const positive = (x: unknown): x is number => typeof x === 'number' && x > 0 && Number.isFinite(x);

/** Keeps only usable thresholds: positive, finite numbers of ms. */
export function cleanSla(sla: Partial<SlaSettings> | undefined): SlaSettings {
  const thresholdsMs: Record<string, number> = {};
  for (const [k, v] of Object.entries(sla?.thresholdsMs ?? {}))
    if (positive(v)) thresholdsMs[k] = v;
  const d = sla?.defaultThresholdMs;
  return {
    defaultThresholdMs: positive(d) ? d : DefaultSettings.sla.defaultThresholdMs,
    thresholdsMs
  };
}

/** The thresholds an older version kept in localStorage, if any are there and readable. */
function readLegacySla(storage: Storage | undefined): SlaSettings | null {
  try {
    const raw = storage?.getItem(LegacySlaStorageKey);
    return raw ? cleanSla(JSON.parse(raw) as Partial<SlaSettings>) : null;
  } catch {
    return null;
  }
}
