import { transfer, wrap, type Remote } from 'comlink';
import type { EngineRemote } from './engine-client';
import type { ImportWorkerEntryApi } from './import.worker';

export type ImportRemote = Remote<ImportWorkerEntryApi>;

let worker: Worker | null = null;
let remote: ImportRemote | null = null;

/**
 * The import worker of this tab, created on first use (browser only) and joined to the
 * tab's engine by a MessageChannel: parsed batches are transferred straight to the engine
 * worker instead of being copied through the page's main thread.
 */
export function getImporter(engine: EngineRemote): ImportRemote {
  if (!remote) {
    worker = new Worker(new URL('./import.worker.ts', import.meta.url), {
      type: 'module',
      name: 'tidemark-import'
    });
    remote = wrap<ImportWorkerEntryApi>(worker);
    const channel = new MessageChannel();
    void engine.connectImportPort(transfer(channel.port1, [channel.port1]));
    void remote.connectEngine(transfer(channel.port2, [channel.port2]));
  }
  return remote;
}

/** Stops the import worker (a running import stops at its last committed checkpoint). */
export function disposeImporter(): void {
  worker?.terminate();
  worker = null;
  remote = null;
}
