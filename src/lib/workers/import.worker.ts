import { expose, transfer, wrap, type Remote } from 'comlink';
import type { ImportCommit, ImportStoreApi } from './engine-import';
import { createImportWorkerApi } from './import-api';

let engine: Remote<ImportStoreApi> | null = null;

function connected(): Remote<ImportStoreApi> {
  if (!engine) throw new Error('The import worker is not connected to the engine yet.');
  return engine;
}

/** Every point column of a commit, transferred (not copied) to the engine worker. */
function buffersOf(commit: ImportCommit): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>();
  for (const b of commit.batches) {
    set.add(b.t.buffer as ArrayBuffer);
    set.add(b.v.buffer as ArrayBuffer);
  }
  return [...set];
}

const store: ImportStoreApi = {
  importCheckpoint: (id) => connected().importCheckpoint(id),
  saveImportCheckpoint: (checkpoint) => connected().saveImportCheckpoint(checkpoint),
  commitImport: (commit) => connected().commitImport(transfer(commit, buffersOf(commit)))
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
