import { wrap, type Remote } from 'comlink';
import type { BenchApi } from '$lib/workers/bench.worker';
import type { EngineApi } from '$lib/workers/engine/api';

export interface BenchHandle {
  bench: Remote<BenchApi>;
  /** A background engine on the bench database, as the leader tab runs one. */
  background: Remote<EngineApi>;
}

/** Workers for the benchmark page (only /bench of the benchmark build loads this). */
export function startBench(): BenchHandle {
  const bench = wrap<BenchApi>(
    new Worker(new URL('../workers/bench.worker.ts', import.meta.url), { type: 'module' })
  );
  const background = wrap<EngineApi>(
    new Worker(new URL('../workers/bench-background.worker.ts', import.meta.url), {
      type: 'module'
    })
  );
  return { bench, background };
}
