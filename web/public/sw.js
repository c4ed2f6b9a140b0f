/* Vitrine service worker: Web Push only. It caches nothing (API answers are never
 * served from a cache), so it has no fetch handler. */
self.addEventListener('install', () => {
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

function parse(data) {
  if (!data) return {};
  try {
    return data.json();
  } catch {
    return { body: data.text() };
  }
}

self.addEventListener('push', (event) => {
  const msg = parse(event.data);
  const title = msg.title || 'Vitrine';
  const options = {
    body: msg.body || '',
    icon: msg.icon || '/icons/icon-192.png',
    badge: '/icons/icon-192.png',
    tag: msg.tag || msg.notificationId || msg.id || undefined,
    data: { url: msg.url || '/notifications', id: msg.notificationId || msg.id || null, kind: msg.kind || null },
  };
  event.waitUntil(
    (async () => {
      await self.registration.showNotification(title, options);
      // Tell open pages (and tests) that a push arrived.
      const pages = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      for (const page of pages) page.postMessage({ type: 'vitrine-push', payload: msg });
    })(),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || '/', self.location.origin);
  if (target.origin !== self.location.origin) return;
  event.waitUntil(
    (async () => {
      const pages = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      for (const page of pages) {
        if (new URL(page.url).origin === target.origin && 'focus' in page) {
          try {
            const focused = await page.focus();
            if (focused.url !== target.href && 'navigate' in focused) await focused.navigate(target.href);
            return;
          } catch {
            break; // not controlled by this worker: open a window instead
          }
        }
      }
      await self.clients.openWindow(target.href);
    })(),
  );
});
