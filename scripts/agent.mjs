// `npm run agent`: runs the localhost agent as one plain Node process. The agent's sources
// are bundled with esbuild (installed with tsx and vite) into build/agent/agent.mjs when they
// changed, then the bundle runs in this process — without the tsx loader, whose extra thread
// and esbuild service cost ~35 MiB of resident memory (bench/agent.bench.ts, agent.rss_mb).
// Flags pass through: npm run agent -- --port 9470 --origin http://127.0.0.1:4173
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(new URL('..', import.meta.url).pathname);
const bundle = path.join(root, 'build', 'agent', 'agent.mjs');
/** What the bundle is made of: the agent, the lib folders it imports, the version. */
const sources = [
  'agent',
  path.join('src', 'lib', 'types'),
  path.join('src', 'lib', 'ingest'),
  path.join('src', 'lib', 'export'),
  'package.json'
];

function newestMtime(entry) {
  const full = path.join(root, entry);
  const st = statSync(full, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(full)) {
    const child = path.join(entry, name);
    if (
      name.endsWith('.ts') ||
      name.endsWith('.json') ||
      statSync(path.join(root, child)).isDirectory()
    ) {
      newest = Math.max(newest, newestMtime(child));
    }
  }
  return newest;
}

const stale =
  !existsSync(bundle) || Math.max(...sources.map(newestMtime)) > statSync(bundle).mtimeMs;
if (stale) {
  // Loaded only when building, so the running agent does not carry it.
  const { spawnSync } = await import('node:child_process');
  const esbuild = path.join(root, 'node_modules', '.bin', 'esbuild');
  const r = spawnSync(
    esbuild,
    [
      path.join(root, 'agent', 'main.ts'),
      '--bundle',
      '--platform=node',
      '--format=esm',
      '--target=node20',
      `--outfile=${bundle}`,
      '--log-level=warning'
    ],
    // On Windows .bin/esbuild is a .cmd shim, which needs a shell.
    { stdio: 'inherit', shell: process.platform === 'win32' }
  );
  if (r.status !== 0) {
    process.stderr.write(
      `error: could not bundle the agent (${r.error?.message ?? `esbuild exited ${r.status}`}).\n` +
        'Run it through tsx instead: npx tsx agent/main.ts\n'
    );
    process.exit(1);
  }
}
await import(pathToFileURL(bundle).href);
