import { proxy, wrap, type Remote } from 'comlink';
import type { EngineApi } from './engine/engine.worker';

export type EngineRemote = Remote<EngineApi>;

/**
 * Owns this tab's one engine worker: made in the constructor, ended by `dispose()` (or a
 * `using` declaration), as svelte.dev's `Bundler` and Perfetto's `WasmEngineProxy` own
 * theirs. The app layout makes one in the browser and disposes of it when it is destroyed.
 * The leader's background pipeline runs in this same worker: its stages yield between
 * series (pipeline.ts), so queries are not held behind a whole pass.
 */
export class EngineHandle {
  readonly remote: EngineRemote;
  #worker: Worker | null;

  constructor() {
    this.#worker = new Worker(new URL('./engine/engine.worker.ts', import.meta.url), {
      type: 'module',
      name: 'tidemark-engine'
    });
    this.remote = wrap<EngineApi>(this.#worker);
  }

  /** Ends the worker; calls through `remote` after this never settle. Safe to call twice. */
  dispose(): void {
    this.#worker?.terminate();
    this.#worker = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

export { proxy };
