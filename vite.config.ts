import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

/**
 * `BENCH=1` builds the benchmark variant of the site (bench/browser.ts): it adds the pages under
 * src/routes/(dev)/ and the benchmark workers. The production build leaves them out, since
 * `__BENCH__` is false there and the bundler drops what it guards.
 */
const bench = process.env.BENCH === '1';

export default defineConfig({
  plugins: [sveltekit()],
  define: { __BENCH__: JSON.stringify(bench) },
  worker: { format: 'es' },
  optimizeDeps: { include: ['comlink', 'dexie', 'idb-keyval', 'fflate', 'papaparse'] },
  server: { port: 5173, strictPort: false },
  preview: { port: 4173, strictPort: true, host: '127.0.0.1' },
  test: {
    include: ['src/**/*.test.ts', 'tests/unit/**/*.test.ts'],
    environment: 'node',
    // A timeout only catches a hung test; nothing asserts on time. The heaviest tests take
    // 15–20 s on the shared two-core machine when it is busy, and ran out of 30 s there.
    testTimeout: 120_000
  }
});
