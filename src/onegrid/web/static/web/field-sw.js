/* The field app's service worker, served from /field/sw.js (scope /field/) by
   onegrid.web.views.field.service_worker, which puts FIELD_SW = {version, page, assets, ...}
   in front of this file.

   - The page: network first (fresh tasks when online), the last good copy when offline.
   - Static files: cache first; the cache's name carries a hash of the files (the page's ES
     modules included: the view follows field.js's imports), so a new release installs a new
     worker and drops the old cache. The new files are fetched past the HTTP cache, so one
     release's modules never mix with another's.
   - Never touches /api/ or any request that is not a GET: reports and actions are queued by the
     page itself (IndexedDB, with idempotency keys) and must never be replayed from here. */
/* global FIELD_SW */
"use strict";

const CACHE_PREFIX = "onegrid-field-";
const CACHE = CACHE_PREFIX + FIELD_SW.version;

async function keepPage(cache) {
  // Only a real page is kept: a redirect to the sign-in page must not stand in for it.
  try {
    const response = await fetch(FIELD_SW.page, { credentials: "same-origin", cache: "no-store" });
    if (response.ok && !response.redirected) await cache.put(FIELD_SW.page, response);
  } catch (error) {
    // Offline while installing: the page is kept on its next visit.
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(FIELD_SW.assets.map((url) => new Request(url, { cache: "reload" })));
      await keepPage(cache);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names.filter((n) => n.startsWith(CACHE_PREFIX) && n !== CACHE).map((n) => caches.delete(n)),
      );
      await self.clients.claim();
    })(),
  );
});

async function pageNetworkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected) {
      await cache.put(FIELD_SW.page, response.clone());
    }
    return response;
  } catch (error) {
    const kept = await cache.match(FIELD_SW.page);
    if (kept) return kept;
    throw error;
  }
}

async function staticCacheFirst(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request, { ignoreSearch: true });
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

async function networkThenCache(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(request);
    if (kept) return kept;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return; // POSTs go straight to the network, never replayed
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return; // map tiles and the like
  if (url.pathname.startsWith(FIELD_SW.apiPrefix)) return; // the API is never cached
  if (request.mode === "navigate" && url.pathname === FIELD_SW.page) {
    event.respondWith(pageNetworkFirst(request));
  } else if (url.pathname.startsWith(FIELD_SW.staticPrefix)) {
    event.respondWith(staticCacheFirst(request));
  } else if (url.pathname === FIELD_SW.manifest) {
    event.respondWith(networkThenCache(request));
  }
});
