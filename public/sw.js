// Offline once loaded: the app shell and its assets are kept after the first visit.
// Pages go network-first (a new deploy shows up when online, the cached shell when offline);
// assets are stale-while-revalidate: answered from the cache at once and fetched again behind
// it, so an entry that went bad (a corrupt or truncated index-*.js) is replaced by the next
// load instead of breaking every load. Caches carry a version; an activating worker deletes
// every other version. boot-check.js clears the caches when the page cannot start at all.
const VERSION = 2;
const CACHE = `kube-packet-lab-v${VERSION}`;

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('kube-packet-lab-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

/** Fetches and, when the answer is whole and good, stores it under `key`. */
async function refresh(cache, req, key) {
  // assets past the HTTP cache too: what is revalidated is the server's copy
  const res = await (req.mode === 'navigate' ? fetch(req) : fetch(req, { cache: 'no-cache' }));
  if (res.ok && res.type === 'basic') await cache.put(key, res.clone());
  return res;
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin) return;
  const isPage = req.mode === 'navigate';
  const key = isPage ? new Request(url.pathname) : req;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      if (!isPage) {
        const hit = await cache.match(key);
        if (hit) {
          // revalidate behind the answer; the worker stays alive until the cache is updated
          event.waitUntil(refresh(cache, req, key).catch(() => undefined));
          return hit;
        }
      }
      try {
        return await refresh(cache, req, key);
      } catch (err) {
        const hit = await cache.match(key);
        if (hit) return hit;
        throw err;
      }
    })(),
  );
});
