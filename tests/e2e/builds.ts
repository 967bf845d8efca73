/**
 * Two real builds of the site and a deploy between them, for the specs that need a new
 * version to arrive while a tab of the old one is open (update.spec.ts: the service worker;
 * upgrade.spec.ts: the database schema). Build A is the site under test (`build/`); another
 * build is made beside it, and a static server serves one folder at a time, as the host a
 * deploy replaces does.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export const Root = path.resolve(new URL('../..', import.meta.url).pathname);
export const BuildA = path.join(Root, 'build');

/** Another build of the site: its folder, and how to remove it with its working folder. */
export interface Build {
  dir: string;
  remove: () => void;
}

/**
 * Builds the site again into a temporary folder, as version `version`, with `env` added to
 * the build's environment (build-time switches such as TIDEMARK_UPGRADE_TEST). Takes minutes
 * on a loaded machine: call it once per spec (beforeAll).
 */
export async function buildVariant(options: {
  name: string;
  version: string;
  env?: Record<string, string>;
}): Promise<Build> {
  const dir = path.join(
    mkdtempSync(path.join(os.tmpdir(), `tidemark-build-${options.name}-`)),
    'build'
  );
  // SvelteKit's working folder too: the e2e server (vite preview) serves build A from
  // `.svelte-kit/output`, which a second build there would replace under later tests.
  // Inside node_modules so its generated files resolve packages as the real build's do.
  const kitDir = path.join(Root, 'node_modules', '.cache', `tidemark-kit-${options.name}`);
  await promisify(execFile)(path.join(Root, 'node_modules', '.bin', 'vite'), ['build'], {
    cwd: Root,
    env: {
      ...process.env,
      ...options.env,
      TIDEMARK_BUILD_DIR: dir,
      TIDEMARK_VERSION: options.version,
      TIDEMARK_KIT_DIR: kitDir
    },
    maxBuffer: 64 * 1024 * 1024
  });
  return {
    dir,
    remove: () => {
      rmSync(path.dirname(dir), { recursive: true, force: true });
      rmSync(kitDir, { recursive: true, force: true });
    }
  };
}

const Types: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm'
};

/** A static server of one build folder at a time, with the SPA fallback. */
export interface Site {
  origin: string;
  /** Serves `dir` from now on: the deploy. */
  use: (dir: string) => void;
  /** Paths asked for that the folder served then did not have. */
  missing: string[];
  close: () => Promise<void>;
}

/** Starts a static server of `first` on a free loopback port. */
export async function serveBuilds(first: string): Promise<Site> {
  let dir = first;
  const missing: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let file = path.join(dir, decodeURIComponent(url.pathname));
    if (!file.startsWith(dir)) return void res.writeHead(403).end();
    if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!existsSync(file) && existsSync(file + '.html')) file += '.html';
    if (!existsSync(file)) {
      if (path.extname(url.pathname) === '') file = path.join(dir, '200.html');
      else {
        missing.push(url.pathname);
        return void res.writeHead(404).end();
      }
    }
    res.writeHead(200, {
      'Content-Type': Types[path.extname(file)] ?? 'application/octet-stream',
      'Cache-Control': 'no-cache'
    });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    origin: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    use: (d) => (dir = d),
    missing,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    }
  };
}
