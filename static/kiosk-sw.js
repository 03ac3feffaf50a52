// Kiosk service worker: lets the kiosk page (re)load while the station network is down.
// Network first, so a new version reaches the tablet at once; the cache only when offline.
// API calls are never touched: ratings wait in the page's own queue (localStorage).
var CACHE = "pj-kiosk-v1";
var SHELL = ["/kiosk/", "/static/kiosk.js", "/static/kiosk.css"];

self.addEventListener("install", function (e) {
  e.waitUntil(
    caches.open(CACHE).then(function (c) { return c.addAll(SHELL); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (e) {
  e.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", function (e) {
  var url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (SHELL.indexOf(url.pathname) < 0) return;
  e.respondWith(
    fetch(e.request).then(function (r) {
      if (r.ok) {
        var copy = r.clone();
        caches.open(CACHE).then(function (c) { return c.put(url.pathname, copy); });
      }
      return r;
    }).catch(function () {
      return caches.match(url.pathname);
    })
  );
});
