// `npm run bench`: runs every bench/*.bench.ts in turn; each prints one JSON line per figure
// ({"name","value","unit","baseline"}). Browser benchmarks build the site and drive Debian's
// Chromium themselves. Set BENCH_FILTER=store to run only matching files.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const filter = process.env.BENCH_FILTER ?? '';
const files = readdirSync('bench')
  .filter((f) => f.endsWith('.bench.ts') && f.includes(filter))
  .sort();
let failed = 0;
for (const file of files) {
  process.stderr.write(`# bench/${file}\n`);
  const r = spawnSync('npx', ['tsx', `bench/${file}`], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(JSON.stringify({ name: file, error: `exit ${r.status}` }) + '\n');
  }
}
process.exit(failed ? 1 : 0);
