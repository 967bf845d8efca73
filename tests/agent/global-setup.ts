/**
 * Bundles the agent once per run (as `npm run agent` does) so each test starts a plain
 * `node agent.mjs` in a fraction of a second instead of loading tsx every time — which on a
 * busy two-core machine took seconds per spawn and made the timeouts the flaky part.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildAgentBundle } from '../../agent/build';

export default async function setup(): Promise<() => void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tidemark-agent-bundle-'));
  const file = await buildAgentBundle({ outFile: path.join(dir, 'agent.mjs') });
  process.env.TIDEMARK_AGENT_BUNDLE = file;
  return () => rmSync(dir, { recursive: true, force: true });
}
