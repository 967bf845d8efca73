// Run after `vite build` (scripts/test.mjs does): the production site ships no benchmark code.
// The benchmarks build their own variant (BENCH=1, into build-bench/); a file under build/
// whose name says "bench" means the harness leaked into what users download and precache.
import { readdirSync } from 'node:fs';
import path from 'node:path';

const root = process.argv[2] ?? 'build';
const leaked = readdirSync(root, { recursive: true })
  .map(String)
  .filter((f) => /bench/i.test(path.basename(f)));
if (leaked.length > 0) {
  console.error(`${root}/ holds benchmark files:\n  ${leaked.join('\n  ')}`);
  process.exit(1);
}
console.log(`${root}/: no benchmark files.`);
