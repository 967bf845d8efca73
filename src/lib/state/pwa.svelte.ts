import { dev } from '$app/environment';
import { base } from '$app/paths';
import { Workbox } from 'workbox-window';

/**
 * Service worker registration through workbox-window (RELIABILITY.md #9): a new version
 * waits; the page shows "update available — reload", and only the user's click sends
 * SKIP_WAITING, after which the page reloads once the new worker controls it.
 */
export class PwaState {
  updateReady = $state(false);
  offlineReady = $state(false);
  error = $state<string | null>(null);
  #wb: Workbox | null = null;

  async register(): Promise<void> {
    if (!('serviceWorker' in navigator)) return;
    const wb = new Workbox(`${base}/service-worker.js`, { type: dev ? 'module' : 'classic' });
    this.#wb = wb;
    wb.addEventListener('waiting', () => (this.updateReady = true));
    wb.addEventListener('activated', (event) => {
      if (!event.isUpdate) this.offlineReady = true;
    });
    try {
      await wb.register();
      if (navigator.serviceWorker.controller) this.offlineReady = true;
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  /** The user accepted the update: activate the waiting worker, then reload. */
  applyUpdate(): void {
    const wb = this.#wb;
    if (!wb) return;
    wb.addEventListener('controlling', () => window.location.reload());
    wb.messageSkipWaiting();
  }
}
