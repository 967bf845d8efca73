import { defineConfig } from 'vitest/config';

// The root config includes only src/ and tests/unit/; agent tests spawn real processes on
// loopback, so they run on their own: `npx vitest run --config tests/agent/vitest.config.ts`.
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['tests/agent/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
});
