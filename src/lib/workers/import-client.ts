import { transfer, wrap, type Remote } from 'comlink';
import type { EngineRemote } from './engine-client';
import type { ImportWorkerEntryApi } from './import.worker';

export type ImportRemote = Remote<ImportWorkerEntryApi>;

/**
 * Owns this tab's import worker, joined to the tab's engine by a MessageChannel: parsed
 * batches are transferred straight to the engine worker instead of being copied through the
 * page's main thread. Made on first use (an import starts; browser only) by ImportState,
 * ended by `dispose()` when the layout is destroyed; a running import then stops at its last
 * committed checkpoint and resumes from it later.
 */
export class ImportHandle {
  readonly remote: ImportRemote;
  #worker: Worker | null;

  constructor(engine: EngineRemote) {
    this.#worker = new Worker(new URL('./import.worker.ts', import.meta.url), {
      type: 'module',
      name: 'tidemark-import'
    });
    this.remote = wrap<ImportWorkerEntryApi>(this.#worker);
    const channel = new MessageChannel();
    void engine.connectImportPort(transfer(channel.port1, [channel.port1]));
    void this.remote.connectEngine(transfer(channel.port2, [channel.port2]));
  }

  /** Ends the worker. Safe to call twice. */
  dispose(): void {
    this.#worker?.terminate();
    this.#worker = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
