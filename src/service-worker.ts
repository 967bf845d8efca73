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
 */
const sw = self as unknown as ServiceWorkerGlobalScope;
const CACHE = `tidemark-${version}`;
const PRECACHE = [...new Set([...build, ...files, ...prerendered])];
const precached = new Set(PRECACHE.map((p) => new URL(p, sw.location.href).pathname));

sw.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)));
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key !== CACHE && key.startsWith('tidemark-')) await caches.delete(key);
      }
      await sw.clients.claim();
    })()
  );
});

sw.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') void sw.skipWaiting();
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
  }
});

async function fromCache(path: string, request: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  const hit = (await cache.match(path, { ignoreSearch: true })) ?? (await cache.match(request));
  if (hit) return hit;
  return fetch(request);
}
