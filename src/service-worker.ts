/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
import { build, files, prerendered, version } from '$service-worker';

/**
 * Offline-first service worker: every built asset, static file and prerendered route is
 * precached at install; everything precached is served from the cache, so every route works
 * offline after the first visit (RELIABILITY.md #10). A new version waits until the user
 * accepts the "update available" prompt (the page sends SKIP_WAITING through workbox-window);
 * it never skips waiting on its own (RELIABILITY.md #9).
 *
 * Several tabs (#9): once one tab accepts, the new worker controls every tab, including
 * tabs still running the old version's code. Their code files (route chunks, the import
 * worker) are gone from the server after a deploy, so each version's cache is kept while
 * any tab still runs that version — each page reports its version (CLIENT_VERSION) — and a
 * request that is not in the current cache is answered from an older version's cache before
 * the network.
 */
const sw = self as unknown as ServiceWorkerGlobalScope;
const Prefix = 'tidemark-';
const CACHE = `${Prefix}${version}`;
/** Which window client runs which version, kept across worker restarts. */
const ClientsCache = 'tidemark-clients';
const ClientsKey = '/__tidemark/client-versions';
const PRECACHE = [...new Set([...build, ...files, ...prerendered])];
const precached = new Set(PRECACHE.map((p) => new URL(p, sw.location.href).pathname));

sw.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)));
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      await sw.clients.claim();
      await serially(pruneCaches);
    })()
  );
});

sw.addEventListener('message', (event) => {
  const data = event.data as { type?: string; version?: string } | null;
  if (data?.type === 'SKIP_WAITING') void sw.skipWaiting();
  if (data?.type === 'CLIENT_VERSION' && typeof data.version === 'string') {
    const source = event.source as Client | null;
    if (source) event.waitUntil(serially(() => noteClient(source.id, data.version!)));
  }
});

sw.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== sw.location.origin) return;
  const path = url.pathname.replace(/\/$/, '') || '/';
  if (precached.has(url.pathname) || precached.has(path)) {
    event.respondWith(fromCache(path === '/' ? '/' : url.pathname, request));
  } else if (request.mode === 'navigate') {
    // A route that was not prerendered (or a deep link): the app shell renders it.
    event.respondWith(fromCache('/', request));
  } else if (url.pathname.startsWith('/_app/')) {
    // A file of another version, asked for by a tab still running that version.
    event.respondWith(fromAnyVersion(request));
  }
});

async function fromCache(path: string, request: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  const hit = (await cache.match(path, { ignoreSearch: true })) ?? (await cache.match(request));
  if (hit) return hit;
  return fetch(request);
}

async function fromAnyVersion(request: Request): Promise<Response> {
  for (const key of await caches.keys()) {
    if (!key.startsWith(Prefix) || key === ClientsCache) continue;
    const hit = await (await caches.open(key)).match(request, { ignoreSearch: true });
    if (hit) return hit;
  }
  return fetch(request);
}

/** The client list is read, changed and written back: one change at a time. */
let queue: Promise<void> = Promise.resolve();
function serially(task: () => Promise<void>): Promise<void> {
  queue = queue.then(task, task);
  return queue;
}

async function readClients(): Promise<Record<string, string>> {
  const hit = await (await caches.open(ClientsCache)).match(ClientsKey);
  return hit ? ((await hit.json()) as Record<string, string>) : {};
}

async function writeClients(map: Record<string, string>): Promise<void> {
  const body = JSON.stringify(map);
  await (
    await caches.open(ClientsCache)
  ).put(ClientsKey, new Response(body, { headers: { 'Content-Type': 'application/json' } }));
}

async function noteClient(id: string, clientVersion: string): Promise<void> {
  await writeClients({ ...(await readClients()), [id]: clientVersion });
  await pruneCaches();
}

/**
 * Deletes the caches of versions no open tab runs. A tab that has not said its version yet
 * might run any of them, so while there is one, nothing is deleted.
 */
async function pruneCaches(): Promise<void> {
  const open = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const known = await readClients();
  const live: Record<string, string> = {};
  const inUse = new Set([version]);
  let unknown = false;
  for (const client of open) {
    const v = known[client.id];
    if (v === undefined) unknown = true;
    else {
      live[client.id] = v;
      inUse.add(v);
    }
  }
  await writeClients(live);
  if (unknown) return;
  for (const key of await caches.keys()) {
    if (key.startsWith(Prefix) && key !== ClientsCache && !inUse.has(key.slice(Prefix.length))) {
      await caches.delete(key);
    }
  }
}
