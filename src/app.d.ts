// See https://svelte.dev/docs/kit/types#app.d.ts
declare global {
  /** True only in the benchmark build (`BENCH=1`, see vite.config.ts). */
  const __BENCH__: boolean;
  namespace App {
    // interface Error {}
    // interface Locals {}
    // interface PageData {}
    // interface PageState {}
    // interface Platform {}
  }
}

export {};
