import { defineConfig } from 'vitest/config';

// Interop tests load Tidemark's output into the real engines on this machine: promtool
// (Debian's prometheus package, ensured by scripts/prometheus.mjs in `npm test`) and DuckDB
// (the @duckdb/node-api dev dependency). They run on their own:
// `npx vitest run --config tests/interop/vitest.config.ts`. Timeouts are generous because the
// machine may be busy; nothing asserts on time.
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['tests/interop/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000
  }
});
