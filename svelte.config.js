import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** The agent listens on loopback only; any port, so users can move it with --port. */
const agentOrigins = [
  'http://127.0.0.1:*',
  'http://localhost:*',
  'ws://127.0.0.1:*',
  'ws://localhost:*'
];

/**
 * Where the site is built: `build/` (`build-bench/` for the benchmark variant), or
 * TIDEMARK_BUILD_DIR — the update test (tests/e2e/update.spec.ts) builds a second version
 * beside the first, named by TIDEMARK_VERSION (SvelteKit's default is the build time).
 */
const outDir =
  process.env.TIDEMARK_BUILD_DIR || (process.env.BENCH === '1' ? 'build-bench' : 'build');
/**
 * SvelteKit's own working folder. `vite preview` (the e2e server) serves the site from its
 * `output/`, so the update test's second build must not write there (TIDEMARK_KIT_DIR).
 */
const kitDir = process.env.TIDEMARK_KIT_DIR || '.svelte-kit';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    outDir: kitDir,
    // The benchmark variant (BENCH=1, see vite.config.ts) goes to its own folder.
    adapter: adapter({
      pages: outDir,
      assets: outDir,
      fallback: '200.html',
      strict: true
    }),
    serviceWorker: { register: false },
    version: {
      ...(process.env.TIDEMARK_VERSION ? { name: process.env.TIDEMARK_VERSION } : {}),
      pollInterval: 60_000
    },
    csp: {
      mode: 'hash',
      directives: {
        'default-src': ['self'],
        'script-src': ['self'],
        'style-src': ['self', 'unsafe-inline'],
        'img-src': ['self', 'data:', 'blob:'],
        'font-src': ['self'],
        'worker-src': ['self', 'blob:'],
        'connect-src': ['self', ...agentOrigins],
        'manifest-src': ['self'],
        'object-src': ['none'],
        'base-uri': ['none'],
        'form-action': ['self'],
        'frame-ancestors': ['none']
      }
    }
  }
};

export default config;
