/**
 * A loopback HTTP server that plays model runtimes from the committed fixtures
 * (tests/fixtures/model-runtimes): `/<runtime>/metrics` answers `<runtime>.1.prom` on the
 * first request and `<runtime>.2.prom` after (or whichever step the test sets), and
 * `/ollama/api/ps` answers the Ollama `/api/ps` example.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { makeTempDir, RepoRoot } from './helpers';

export const ModelFixtureDir = path.join(RepoRoot, 'tests', 'fixtures', 'model-runtimes');

export function readModelFixture(name: string): string {
  return readFileSync(path.join(ModelFixtureDir, name), 'utf8');
}

export interface RuntimeServer {
  port: number;
  url: (p: string) => string;
  /** Requests answered per path. */
  hits: Map<string, number>;
  /** Serve snapshot `step` (1 or 2) of every runtime from now on, instead of 1 then 2. */
  setStep: (step: 1 | 2 | undefined) => void;
  /** What `/ollama/api/ps` answers. */
  setOllamaPs: (body: string) => void;
  close: () => Promise<void>;
}

export async function startRuntimeServer(): Promise<RuntimeServer> {
  const hits = new Map<string, number>();
  let step: 1 | 2 | undefined;
  let ollamaPs = readModelFixture('ollama-ps.json');
  const server = http.createServer((req, res) => {
    const p = (req.url ?? '/').split('?')[0];
    const n = (hits.get(p) ?? 0) + 1;
    hits.set(p, n);
    const m = /^\/(llamacpp|vllm|tgi)\/metrics$/.exec(p);
    if (m) {
      const s = step ?? (n === 1 ? 1 : 2);
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end(readModelFixture(`${m[1]}.${s}.prom`));
      return;
    }
    if (p === '/ollama/api/ps') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(ollamaPs);
      return;
    }
    res.writeHead(404);
    res.end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    url: (p) => `http://127.0.0.1:${port}${p}`,
    hits,
    setStep: (s) => (step = s),
    setOllamaPs: (body) => (ollamaPs = body),
    close: () => new Promise((resolve) => server.close(() => resolve()))
  };
}

/** A powercap tree like /sys/class/powercap with top-level and sub zones. */
export function makeRaplTree(zones: { zone: string; name: string; uj: number; max: number }[]): {
  root: string;
  set: (zone: string, uj: number) => void;
} {
  const root = makeTempDir();
  const set = (zone: string, uj: number): void =>
    writeFileSync(path.join(root, zone, 'energy_uj'), `${uj}\n`);
  for (const z of zones) {
    mkdirSync(path.join(root, z.zone));
    writeFileSync(path.join(root, z.zone, 'name'), `${z.name}\n`);
    writeFileSync(path.join(root, z.zone, 'max_energy_range_uj'), `${z.max}\n`);
    set(z.zone, z.uj);
  }
  return { root, set };
}
