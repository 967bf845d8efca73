import { dev, version } from '$app/environment';
import { base } from '$app/paths';
import { updated } from '$app/state';
import { Workbox } from 'workbox-window';

/**
 * Service worker registration through workbox-window (RELIABILITY.md #9): a new version
 * waits; the page shows "update available — reload", and only the user's click sends
 * SKIP_WAITING, after which the page reloads once the new worker controls it.
 *
 * With several tabs, the first tab to accept activates the new worker for all of them; the
 * others keep running their version (the worker keeps its files, see service-worker.ts)
 * and their "Reload to update" simply reloads. Accepting while an import or export runs in
 * this tab waits for it to finish. SvelteKit's version poll (`kit.version.pollInterval`)
 * only makes the browser look for the new worker sooner; nothing here reloads on its own.
 */
export class PwaState {
  updateReady = $state(false);
  offlineReady = $state(false);
  error = $state<string | null>(null);
  /** The work the accepted update waits for, e.g. 'an import'; null when none. */
  waitingFor = $state<string | null>(null);
  #busy: () => string | null;
  #stopWatching: (() => void) | null = null;

  constructor(options: { busy?: () => string | null } = {}) {
    this.#busy = options.busy ?? (() => null);
  }

  async register(): Promise<void> {
    if (!('serviceWorker' in navigator)) return;
    const wb = new Workbox(`${base}/service-worker.js`, { type: dev ? 'module' : 'classic' });
    wb.addEventListener('waiting', () => (this.updateReady = true));
    wb.addEventListener('activated', (event) => {
      if (!event.isUpdate) this.offlineReady = true;
    });
    // Whichever worker controls this tab keeps this version's files while the tab runs it.
    navigator.serviceWorker.addEventListener('controllerchange', () => void this.#report());
    this.#stopWatching = $effect.root(() => {
      $effect(() => {
        if (updated.current) void wb.update();
      });
    });
    try {
      await wb.register();
      if (navigator.serviceWorker.controller) this.offlineReady = true;
      await this.#report();
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  async #report(): Promise<void> {
    const registration = await navigator.serviceWorker.ready;
    registration.active?.postMessage({ type: 'CLIENT_VERSION', version });
  }

  /**
   * The user accepted the update: once no import or export of this tab is running,
   * activate the waiting worker (when another tab has not already) and reload.
   */
  applyUpdate(): void {
    if (this.waitingFor !== null) return;
    const busy = this.#busy();
    if (busy === null) return void this.#activateAndReload();
    this.waitingFor = busy;
    const stop = $effect.root(() => {
      $effect(() => {
        const still = this.#busy();
        this.waitingFor = still;
        if (still === null) {
          queueMicrotask(() => stop());
          void this.#activateAndReload();
        }
      });
    });
  }

  async #activateAndReload(): Promise<void> {
    const registration = await navigator.serviceWorker.getRegistration();
    const waiting = registration?.waiting;
    if (!waiting) return window.location.reload();
    navigator.serviceWorker.addEventListener('controllerchange', () => window.location.reload(), {
      once: true
    });
    waiting.postMessage({ type: 'SKIP_WAITING' });
  }

  dispose(): void {
    this.#stopWatching?.();
  }
}
