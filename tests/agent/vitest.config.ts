import { defineConfig } from 'vitest/config';

// The root config includes only src/ and tests/unit/; agent tests spawn real processes on
// loopback, so they run on their own: `npx vitest run --config tests/agent/vitest.config.ts`
// (a step of `npm test`). The agent is bundled once (global-setup.ts) and each test runs the
// bundle with plain node. Timeouts are generous because the machine may be busy; the tests
// assert on behaviour, never on how long something took.
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['tests/agent/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['tests/agent/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
});
