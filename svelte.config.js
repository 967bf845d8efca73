import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** The agent listens on loopback only; any port, so users can move it with --port. */
const agentOrigins = [
  'http://127.0.0.1:*',
  'http://localhost:*',
  'ws://127.0.0.1:*',
  'ws://localhost:*'
];

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    // The benchmark variant (BENCH=1, see vite.config.ts) goes to its own folder.
    adapter: adapter({
      pages: process.env.BENCH === '1' ? 'build-bench' : 'build',
      assets: process.env.BENCH === '1' ? 'build-bench' : 'build',
      fallback: '200.html',
      strict: true
    }),
    serviceWorker: { register: false },
    version: { pollInterval: 60_000 },
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
