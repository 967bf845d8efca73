/**
 * Bundles the agent into one plain ES module so it runs as `node agent.mjs` without the tsx
 * loader, whose extra loader thread and esbuild service cost ~35 MiB of resident memory
 * (measured by bench/agent.bench.ts). Run: `npx tsx agent/build.ts [outFile]`.
 */
import path from 'node:path';
import { build } from 'esbuild';

export const DefaultBundlePath = 'build/agent/agent.mjs';

/**
 * Writes the bundle to `outFile` and returns its path. Node built-ins stay external.
 * @example await buildAgentBundle({ outFile: '/tmp/agent.mjs' })
 */
export async function buildAgentBundle(options: { outFile: string }): Promise<string> {
  const root = path.resolve(new URL('..', import.meta.url).pathname);
  await build({
    entryPoints: [path.join(root, 'agent', 'main.ts')],
    outfile: options.outFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning'
  });
  return options.outFile;
}

if (
  process.argv[1] &&
  path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)
) {
  const out = path.resolve(process.argv[2] ?? DefaultBundlePath);
  buildAgentBundle({ outFile: out }).then((file) => process.stdout.write(`wrote ${file}\n`));
}
