import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

/**
 * `BENCH=1` builds the benchmark variant of the site (bench/browser.ts): it adds the pages under
 * src/routes/(dev)/ and the benchmark workers. The production build leaves them out, since
 * `__BENCH__` is false there and the bundler drops what it guards.
 */
const bench = process.env.BENCH === '1';
/**
 * `TIDEMARK_UPGRADE_TEST=1` at build time compiles in a test-only schema upgrade
 * (src/lib/db/test-upgrade.ts) for the second build of tests/e2e/upgrade.spec.ts. A build
 * constant, not a runtime switch: every other build has `__UPGRADE_TEST__` false, so the
 * bundler drops the upgrade, and no URL, setting or stored value can reach it.
 */
const upgradeTest = process.env.TIDEMARK_UPGRADE_TEST === '1';

export default defineConfig({
  plugins: [sveltekit()],
  define: {
    __BENCH__: JSON.stringify(bench),
    __UPGRADE_TEST__: JSON.stringify(upgradeTest)
  },
  worker: { format: 'es' },
  // BENCH_NO_MINIFY=1: readable function names in the benches' CPU profiles.
  build: process.env.BENCH_NO_MINIFY === '1' ? { minify: false } : {},
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
