{% autoescape off %}// CareNet's service worker (rendered by carenet.web.offline.service_worker at /sw.js).
// Pages a worker opens online are kept for offline use (network first, the kept copy
// when there is no signal); static files are kept by the URLs the pages use; records
// written offline wait in IndexedDB (static/carenet/offline.js sends them).
"use strict";

const VERSION = "{{ version }}";
const STATIC_CACHE = "carenet-static-" + VERSION;
const PAGES_CACHE = "carenet-pages";
const PRECACHE = {{ precache_json }};
const OUTBOX_URL = "{{ outbox_url }}";
// The pages needed on a home visit: the first screen, the to-do list, the children's
// list, a child's file and the record form. Nothing else is kept on the phone.
const KEPT_PAGES = [
  /^\/$/,
  /^\/care\/tasks\/$/,
  /^\/children\/$/,
  /^\/children\/\d+\/$/,
  /^\/care\/children\/\d+\/records\/new\/$/,
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(STATIC_CACHE)
      .then((cache) =>
        // The static files must all be kept; the outbox page is kept if it answers now,
        // else the first time it is opened online.
        cache.addAll(PRECACHE).then(() => cache.add(OUTBOX_URL).catch(() => undefined))
      )
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith("carenet-static-") && name !== STATIC_CACHE)
            .map((name) => caches.delete(name))
        )
      )
      .then(() => self.clients.claim())
  );
});

function kept(url) {
  return url.pathname === OUTBOX_URL || KEPT_PAGES.some((pattern) => pattern.test(url.pathname));
}

async function keepOutbox() {
  // The outbox page stands in for any page never opened online: keep it once it answers.
  if (!(await caches.match(OUTBOX_URL))) {
    const cache = await caches.open(STATIC_CACHE);
    await cache.add(OUTBOX_URL).catch(() => undefined);
  }
}

async function pageFromNetwork(event, request, url) {
  try {
    const response = await fetch(request);
    event.waitUntil(keepOutbox());
    if (response.ok && !response.redirected && kept(url)) {
      const cache = await caches.open(url.pathname === OUTBOX_URL ? STATIC_CACHE : PAGES_CACHE);
      await cache.put(request, response.clone());
    }
    return response;
  } catch (error) {
    const cache = await caches.open(PAGES_CACHE);
    const copy =
      (await cache.match(request)) ||
      (await cache.match(request, { ignoreSearch: true })) ||
      (await caches.match(OUTBOX_URL));
    if (copy) {
      return copy;
    }
    throw error;
  }
}

async function staticFile(event, request) {
  const cache = await caches.open(STATIC_CACHE);
  const copy = await cache.match(request);
  const fresh = fetch(request).then((response) => {
    if (response.ok) {
      return cache.put(request, response.clone()).then(() => response);
    }
    return response;
  });
  if (copy) {
    // Stale while revalidate: hashed names never change; unhashed ones are refreshed.
    event.waitUntil(fresh.catch(() => undefined));
    return copy;
  }
  return fresh;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) {
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(staticFile(event, request));
  } else if (request.mode === "navigate" || url.pathname === OUTBOX_URL) {
    event.respondWith(pageFromNetwork(event, request, url));
  }
});

// Background Sync: the browser says the signal is back; the open pages send the queue.
self.addEventListener("sync", (event) => {
  if (event.tag === "carenet-outbox") {
    event.waitUntil(
      self.clients
        .matchAll({ type: "window" })
        .then((clients) => clients.forEach((client) => client.postMessage({ type: "flush" })))
    );
  }
});
{% endautoescape %}
