// Two people chat: both see each other online, typing in one browser shows the
// typing indicator in the other, and the message arrives there live.
import { eventually } from '../lib/harness.mjs';
import { CHAT_A, CHAT_B, PASSWORD } from '../lib/accounts.mjs';

export const name = 'chat';

export default async function chat(s) {
  const a = await s.browser({ email: CHAT_A, password: PASSWORD });
  const b = await s.browser({ email: CHAT_B, password: PASSWORD });

  s.step('open the conversation list and the shared conversation');
  await s.visit(a.page, '/chat', 'chat-list');
  const link = a.page.locator('main a[href^="/chat/"]').first();
  await link.waitFor();
  const path = await link.getAttribute('href');
  await a.page.goto(s.url(path));
  await b.page.goto(s.url(path));
  const boxA = a.page.getByLabel(/^message$/i);
  const boxB = b.page.getByLabel(/^message$/i);
  await boxA.waitFor();
  await boxB.waitFor();

  s.step('presence: each sees the other online');
  for (const side of [a, b]) {
    await eventually(async () => (await side.page.locator('[data-testid="presence"][data-online="true"]').count()) > 0,
      'the other member shown online', { timeout: 15000 });
  }

  s.step('typing in one shows the indicator in the other');
  const indicatorB = b.page.getByTestId('typing-indicator');
  const text = `Hello from the browser test ${Date.now().toString(36)}`;
  await boxA.click();
  await boxA.pressSequentially(text.slice(0, 12), { delay: 30 });
  await eventually(async () => /typing/i.test(await indicatorB.innerText()), 'the typing indicator in the other browser', { timeout: 8000 });
  await s.check(b.page, 'chat-typing');

  s.step('the message arrives');
  await boxA.pressSequentially(text.slice(12), { delay: 5 });
  await boxA.press('Enter');
  await b.page.getByTestId('chat-message').filter({ hasText: text }).first().waitFor({ timeout: 10000 });
  await a.page.getByTestId('chat-message').filter({ hasText: text }).first().waitFor();
  await eventually(async () => !/typing/i.test(await indicatorB.innerText()), 'the typing indicator to clear after sending', { timeout: 8000 });
  await s.check(a.page, 'chat-conversation');

  s.step('the other leaves: presence turns offline');
  await b.ctx.close();
  const started = Date.now();
  await eventually(async () => (await a.page.locator('[data-testid="presence"][data-online="false"]').count()) > 0,
    'the other member shown offline after closing their browser', { timeout: 40000, interval: 200 });
  s.metrics.offlineMs = Date.now() - started;
}
