// Offline once loaded: the app shell and its hashed assets are kept after the first visit.
// Pages go network-first (a new deploy shows up when online), assets cache-first (their names
// change with their content).
const CACHE = 'kube-packet-lab-v1';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k)))).then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin) return;
  const isPage = req.mode === 'navigate';
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      if (!isPage) {
        const hit = await cache.match(req);
        if (hit) return hit;
      }
      try {
        const res = await fetch(req);
        if (res.ok) await cache.put(isPage ? new Request(url.pathname) : req, res.clone());
        return res;
      } catch (err) {
        const hit = await cache.match(isPage ? new Request(url.pathname) : req);
        if (hit) return hit;
        throw err;
      }
    })(),
  );
});
