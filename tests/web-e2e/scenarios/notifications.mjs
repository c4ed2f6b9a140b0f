// One person, two browsers: both bells show the same exact unread count;
// reading a notification in one lowers the count in the other without a reload.
import { eventually } from '../lib/harness.mjs';
import { PASSWORD, READER } from '../lib/accounts.mjs';
import { unreadBadge } from '../lib/badge.mjs';

export const name = 'notifications';

export default async function notifications(s) {
  const a = await s.browser({ email: READER, password: PASSWORD });
  const b = await s.browser({ email: READER, password: PASSWORD });
  await b.page.goto(s.url('/'));
  await s.visit(a.page, '/notifications', 'notifications');

  s.step('both bells show the same unread count');
  const before = await eventually(async () => {
    const [x, y] = [await unreadBadge(a.page), await unreadBadge(b.page)];
    return x > 0 && x === y ? x : null;
  }, 'the same unread count (> 0) on both bells');
  s.metrics.unreadBefore = before;
  // The count is exact: when the whole list is shown, it has that many unread items.
  const main = a.page.locator('main');
  if (!(await main.getByRole('button', { name: /^load more/i }).count())) {
    const items = main.locator('[data-testid="notification-item"].unread');
    await eventually(async () => (await items.count()) === before, `${before} unread items in the list, as on the bell`, { timeout: 5000 });
  }

  s.step('read one notification in the first browser');
  const reloads = [];
  b.page.on('framenavigated', (f) => {
    if (f === b.page.mainFrame()) reloads.push(f.url());
  });
  const markOne = a.page.locator('main').getByRole('button', { name: /^mark( as)? read/i }).first();
  await markOne.click();

  s.step('the other browser\'s bell goes down without a reload');
  const started = Date.now();
  await eventually(async () => (await unreadBadge(b.page)) === before - 1,
    `the second bell to read ${before - 1}`, { timeout: 10000 });
  s.metrics.syncMs = Date.now() - started;
  s.expect(reloads.length === 0, `the second browser navigated: ${reloads.join(', ')}`);
  await eventually(async () => (await unreadBadge(a.page)) === before - 1, `the first bell to read ${before - 1}`, { timeout: 10000 });
  await s.check(a.page, 'notifications-after-read');
  await s.check(b.page, 'product-list-signed-in');

  s.step('mark all read in the first browser: the other bell empties');
  await a.page.evaluate(() => {
    // The first bell's counts from here on (it must not flicker back up after 0).
    const el = document.querySelector('[data-testid="notification-badge"]');
    window.__e2eBadge = [];
    if (!el) return;
    new MutationObserver(() => window.__e2eBadge.push(el.hidden ? 0 : Number(el.textContent)))
      .observe(el, { childList: true, characterData: true, subtree: true, attributes: true });
  });
  await a.page.locator('main').getByRole('button', { name: /^mark all( as)? read/i }).click();
  await eventually(async () => (await unreadBadge(b.page)) === 0, 'the second bell to read 0', { timeout: 10000 });
  await eventually(async () => (await unreadBadge(a.page)) === 0, 'the first bell to read 0', { timeout: 10000 });
  await a.page.waitForTimeout(1500);
  s.metrics.firstBellAfterMarkAll = await a.page.evaluate(() => window.__e2eBadge);
  s.expect((await unreadBadge(a.page)) === 0, 'the first bell went back up after reading 0');
  s.expect(reloads.length === 0, `the second browser navigated: ${reloads.join(', ')}`);
}
