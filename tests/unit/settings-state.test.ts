import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DefaultSettings, loadSettings, openSettingsStore } from '$lib/db/settings';
import { cleanSla, LegacySlaStorageKey, SettingsState } from '$lib/state/settings.svelte';
import { memoryStorage } from './memory-storage';

let n = 0;
const freshStore = () => openSettingsStore(`settings-test-${++n}`);

describe('SettingsState', () => {
  it('holds the defaults until loaded, then the stored settings', async () => {
    const store = freshStore();
    const first = new SettingsState({ store, legacy: memoryStorage() });
    expect(first.loaded).toBe(false);
    expect(first.current).toEqual(DefaultSettings);
    await first.update({ theme: 'dark', agentToken: 'x'.repeat(43) });

    const second = new SettingsState({ store, legacy: memoryStorage() });
    const loaded = await second.load();
    expect(second.loaded).toBe(true);
    expect(loaded.theme).toBe('dark');
    expect(second.current.agentToken).toBe('x'.repeat(43));
    expect(second.current.agentUrl).toBe(DefaultSettings.agentUrl);
  });

  it('loads once, and reload() sees what another tab stored', async () => {
    const store = freshStore();
    const a = new SettingsState({ store, legacy: memoryStorage() });
    const b = new SettingsState({ store, legacy: memoryStorage() });
    expect(a.load()).toBe(a.load());
    await Promise.all([a.load(), b.load()]);
    await a.update({ collectors: { 'web-vitals': true } });
    expect((await b.load()).collectors).toEqual({});
    expect((await b.reload()).collectors).toEqual({ 'web-vitals': true });
  });

  it('moves SLA thresholds an older version kept in localStorage into the settings', async () => {
    const store = freshStore();
    const legacy = memoryStorage({
      [LegacySlaStorageKey]: JSON.stringify({
        defaultThresholdMs: 30_000,
        thresholdsMs: { build: 90_000, broken: -1 }
      })
    });
    const s = new SettingsState({ store, legacy });
    await s.load();
    expect(s.current.sla).toEqual({ defaultThresholdMs: 30_000, thresholdsMs: { build: 90_000 } });
    expect(legacy.getItem(LegacySlaStorageKey)).toBeNull();
    expect((await loadSettings(store)).sla.defaultThresholdMs).toBe(30_000);
  });

  it('keeps the defaults when the legacy thresholds are unreadable', async () => {
    const s = new SettingsState({
      store: freshStore(),
      legacy: memoryStorage({ [LegacySlaStorageKey]: '{not json' })
    });
    expect((await s.load()).sla).toEqual(DefaultSettings.sla);
  });
});

describe('cleanSla', () => {
  it.each([
    [undefined, DefaultSettings.sla],
    [{ defaultThresholdMs: 0 }, DefaultSettings.sla],
    [
      { defaultThresholdMs: Infinity, thresholdsMs: { a: 5 } },
      { defaultThresholdMs: 60_000, thresholdsMs: { a: 5 } }
    ],
    [
      { defaultThresholdMs: 10, thresholdsMs: { a: NaN, b: 7 } },
      { defaultThresholdMs: 10, thresholdsMs: { b: 7 } }
    ]
  ])('cleans %j to %j', (input, expected) => {
    expect(cleanSla(input)).toEqual(expected);
  });
});
