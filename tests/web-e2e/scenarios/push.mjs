// Web Push in the service worker: a push message delivered to the app's
// service worker (through the DevTools protocol, as the browser's push
// service would) is shown as a notification.
import { eventually } from '../lib/harness.mjs';
import { PASSWORD, PUSHED } from '../lib/accounts.mjs';

export const name = 'push';

export default async function push(s) {
  const ctx = await s.newContext({ permissions: ['notifications'] });
  const page = await ctx.newPage();
  const origin = new URL(s.baseUrl).origin;
  const cdp = await ctx.newCDPSession(page);
  const registrations = new Map();
  cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations: list }) => {
    for (const r of list) {
      if (r.isDeleted) registrations.delete(r.registrationId);
      else registrations.set(r.registrationId, r);
    }
  });
  await cdp.send('ServiceWorker.enable');
  await s.signIn(page, PUSHED, PASSWORD);
  await s.visit(page, '/', 'product-list-signed-in');

  s.step('the app registers its service worker');
  const scope = await page.evaluate(() =>
    Promise.race([
      navigator.serviceWorker.ready.then((r) => r.scope),
      new Promise((resolve) => setTimeout(() => resolve(null), 15000)),
    ]),
  );
  s.expect(scope, 'no service worker became ready within 15 s');
  const registration = await eventually(
    () => [...registrations.values()].find((r) => r.scopeURL === scope),
    `the DevTools registration of ${scope}`,
  );

  s.step('deliver a push message');
  const marker = `E2E push ${Date.now().toString(36)}`;
  const payload = {
    title: 'vitrine',
    body: marker,
    url: '/orders',
    tag: `notification-e2e-${Date.now()}`,
    notificationId: 'Tm90aWZpY2F0aW9uOjA',
    kind: 'ORDER_STATUS',
  };
  await cdp.send('ServiceWorker.deliverPushMessage', {
    origin,
    registrationId: registration.registrationId,
    data: JSON.stringify(payload),
  });

  s.step('the service worker shows it');
  const shown = await eventually(
    () =>
      page.evaluate((body) =>
        navigator.serviceWorker.ready
          .then((r) => r.getNotifications())
          .then((list) => list.find((n) => n.body === body))
          .then((n) => (n ? { title: n.title, body: n.body, tag: n.tag } : null)), marker),
    'the notification shown by the service worker',
    { timeout: 10000, interval: 200 },
  );
  s.expect(shown.title === payload.title, `the notification is titled ${shown.title}`);
  s.metrics.notification = shown;
}
