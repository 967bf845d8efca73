import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [sveltekit()],
  worker: { format: 'es' },
  optimizeDeps: { include: ['comlink', 'dexie', 'idb-keyval', 'fflate', 'papaparse'] },
  server: { port: 5173, strictPort: false },
  preview: { port: 4173, strictPort: true, host: '127.0.0.1' },
  test: {
    include: ['src/**/*.test.ts', 'tests/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000
  }
});
