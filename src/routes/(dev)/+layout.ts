import { error } from '@sveltejs/kit';

// Benchmark pages: only the benchmark build (`BENCH=1 vite build`, run by bench/browser.ts)
// has them. The production build answers 404 here, and `__BENCH__` being false there lets the
// bundler drop the harness and its workers, so nothing of it is shipped or precached.
export const prerender = __BENCH__;

export function load(): void {
  if (!__BENCH__) error(404, 'Not found');
}
