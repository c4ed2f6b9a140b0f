// The help assistant's answer streams in: its text grows over several
// renders before it is complete.
import { eventually } from '../lib/harness.mjs';
import { ASKER, PASSWORD } from '../lib/accounts.mjs';

export const name = 'assistant';

const QUESTION = 'How do I return an item I ordered?';

export default async function assistant(s) {
  const { page } = await s.browser({ email: ASKER, password: PASSWORD });
  await s.visit(page, '/assistant', 'assistant');

  s.step('ask a question');
  const box = page.locator('main').getByRole('textbox').first();
  await box.fill(QUESTION);
  await page.locator('main').getByRole('button', { name: /^(ask|send|submit)/i }).first().click();

  s.step('the answer streams in');
  const answer = page.getByTestId('assistant-answer').last();
  await answer.waitFor({ timeout: 15000 });
  // Every length the answer's text takes, as rendered (a MutationObserver, so no poll misses one).
  await answer.evaluate((el) => {
    window.__e2eLengths = [el.textContent.trim().length];
    new MutationObserver(() => {
      const n = el.textContent.trim().length;
      if (window.__e2eLengths.at(-1) !== n) window.__e2eLengths.push(n);
    }).observe(el, { childList: true, characterData: true, subtree: true });
  });
  s.step('the answer completes (aria-busy turns false)');
  await eventually(async () => (await answer.getAttribute('aria-busy')) === 'false', 'the answer to complete', { timeout: 45000, interval: 100 });
  const lengths = await page.evaluate(() => window.__e2eLengths);
  s.step('the answer grew while it streamed');
  s.metrics.answerLengths = lengths.length;
  s.metrics.answerChars = lengths[lengths.length - 1];
  const growing = lengths.filter((n) => n > 0);
  s.expect(growing.length >= 3,
    `the answer did not stream (text lengths seen: ${lengths.join(', ')}; an offline answer streams only with VITRINE_ASSISTANT_PACE above 0ms)`);
  // While streaming the text only grows (the stored answer that replaces it at the end may differ slightly).
  const streamed = growing.slice(0, -1);
  s.expect(streamed.every((n, i) => i === 0 || n >= streamed[i - 1]), `the answer text shrank while streaming: ${lengths.join(', ')}`);
  await s.check(page, 'assistant-answered');
}
