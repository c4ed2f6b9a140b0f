// The WebSocket drops and stays down for a few seconds: the client retries
// with growing (exponential) waits, and once it is back, a notification
// stored while it was away arrives exactly once (no gap, no duplicate).
// The socket is cut by routing it through the test (page.routeWebSocket).
import { eventually } from '../lib/harness.mjs';
import { PASSWORD, RECONNECT_A, RECONNECT_B } from '../lib/accounts.mjs';
import { unreadBadge } from '../lib/badge.mjs';

export const name = 'reconnect';

const DOWN_MS = 4500;

export default async function reconnect(s) {
  const b = await s.browser();
  const attempts = [];
  const live = [];
  let blocked = false;
  await b.page.routeWebSocket(/\/graphql\/ws$/, (ws) => {
    attempts.push(Date.now());
    if (blocked) {
      ws.close({ code: 1012, reason: 'e2e: the server is away' });
      return;
    }
    live.push({ ws, server: ws.connectToServer() });
  });
  await s.signIn(b.page, RECONNECT_B, PASSWORD);
  await s.visit(b.page, '/notifications', 'notifications-before-drop');
  const items = b.page.locator('main [data-testid="notification-item"]');
  const before = await eventually(async () => {
    const n = await unreadBadge(b.page);
    return live.length > 0 && (await items.count()) > 0 ? { n } : null;
  }, 'the notification list and a live socket');

  s.step('the other person opens the conversation');
  const a = await s.browser({ email: RECONNECT_A, password: PASSWORD });
  await a.page.goto(s.url('/chat'));
  const link = a.page.locator('main a[href^="/chat/"]').first();
  await link.waitFor();
  await a.page.goto(s.url(await link.getAttribute('href')));
  const box = a.page.getByLabel(/^message$/i);
  await box.waitFor();

  s.step('the socket drops and stays down');
  blocked = true;
  const droppedAt = Date.now();
  for (const { ws, server } of live.splice(0)) {
    ws.close({ code: 1012, reason: 'e2e: drop' });
    server.close();
  }
  const text = `While you were away ${Date.now().toString(36)}`;
  await box.fill(text);
  await box.press('Enter');
  await a.page.getByTestId('chat-message').filter({ hasText: text }).first().waitFor();
  await b.page.waitForTimeout(Math.max(0, DOWN_MS - (Date.now() - droppedAt)));

  s.step('the socket comes back: the missed notification arrives once');
  blocked = false;
  const retries = attempts.filter((t) => t > droppedAt);
  const waits = retries.map((t, i) => t - (i === 0 ? droppedAt : retries[i - 1]));
  s.metrics.retryWaitsMs = waits;
  const item = items.filter({ hasText: text });
  await eventually(async () => (await item.count()) > 0, 'the notification sent while the socket was down', { timeout: 40000, interval: 200 });
  s.metrics.reconnectedAfterMs = Date.now() - droppedAt;
  await eventually(async () => (await unreadBadge(b.page)) === before.n + 1, `the bell to read ${before.n + 1}`, { timeout: 5000 });
  await b.page.waitForTimeout(1500);
  s.expect((await item.count()) === 1, `the missed notification is listed ${await item.count()} times`);
  s.expect((await unreadBadge(b.page)) === before.n + 1, `the bell reads ${await unreadBadge(b.page)}, not ${before.n + 1}`);
  s.expect(waits.length >= 3, `only ${waits.length} reconnection attempts in ${DOWN_MS} ms`);
  // Exponential backoff with jitter: the third wait is well above the first.
  s.expect(waits[2] > waits[0] * 1.5, `the waits between attempts do not grow: ${waits.join(', ')} ms`);
  await s.check(b.page, 'notifications-after-reconnect');
}
