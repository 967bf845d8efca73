import { proxy, wrap, type Remote } from 'comlink';
import type { EngineApi } from './engine-api';

export type EngineRemote = Remote<EngineApi>;

let worker: Worker | null = null;
let remote: EngineRemote | null = null;

/** The engine worker of this tab, created on first use (browser only). */
export function getEngine(): EngineRemote {
  if (!remote) {
    worker = new Worker(new URL('./engine.worker.ts', import.meta.url), {
      type: 'module',
      name: 'tidemark-engine'
    });
    remote = wrap<EngineApi>(worker);
  }
  return remote;
}

let background: Worker | null = null;
let backgroundRemote: EngineRemote | null = null;

/**
 * A second engine for the leader tab's background work (rollups, retention, detectors), so
 * it runs on another core than ingest and queries.
 */
export function getBackgroundEngine(): EngineRemote {
  if (!backgroundRemote) {
    background = new Worker(new URL('./engine.worker.ts', import.meta.url), {
      type: 'module',
      name: 'tidemark-background'
    });
    backgroundRemote = wrap<EngineApi>(background);
  }
  return backgroundRemote;
}

export function disposeBackgroundEngine(): void {
  background?.terminate();
  background = null;
  backgroundRemote = null;
}

export function disposeEngine(): void {
  worker?.terminate();
  worker = null;
  remote = null;
}

export { proxy };
