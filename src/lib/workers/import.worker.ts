import { expose, transfer, wrap, type Remote } from 'comlink';
import type { ImportStoreApi } from './engine/import';
import { columnBuffers } from './transfer';
import { createImportWorkerApi } from './import-api';

let engine: Remote<ImportStoreApi> | null = null;

function connected(): Remote<ImportStoreApi> {
  if (!engine) throw new Error('The import worker is not connected to the engine yet.');
  return engine;
}

const store: ImportStoreApi = {
  importCheckpoint: (id) => connected().importCheckpoint(id),
  saveImportCheckpoint: (checkpoint) => connected().saveImportCheckpoint(checkpoint),
  // Every point column is transferred (not copied) to the engine worker, and comes back.
  commitImport: (commit) =>
    connected().commitImport(transfer(commit, columnBuffers(commit.batches)))
};

const api = {
  ...createImportWorkerApi({ store }),
  /** Receives the engine's end of a MessageChannel; batches then go worker → worker. */
  connectEngine(port: MessagePort): void {
    engine = wrap<ImportStoreApi>(port);
  }
};

expose(api);

export type ImportWorkerEntryApi = typeof api;
