// See https://svelte.dev/docs/kit/types#app.d.ts
declare global {
  /** True only in the benchmark build (`BENCH=1`, see vite.config.ts). */
  const __BENCH__: boolean;
  /**
   * True only in the build that tests/e2e/upgrade.spec.ts makes with TIDEMARK_UPGRADE_TEST=1
   * (see vite.config.ts and src/lib/db/test-upgrade.ts).
   */
  const __UPGRADE_TEST__: boolean;
  namespace App {
    // interface Error {}
    // interface Locals {}
    // interface PageData {}
    // interface PageState {}
    // interface Platform {}
  }
}

export {};
