// Type-ahead: suggestions follow the keystrokes. The server answers
// suggestions from a prefix of MIN_PREFIX_CHARS characters on (SEARCH-3,
// src/domain/search.rs, asserted by tests/search.rs); the keystroke that
// reaches it must bring suggestions for what is typed by itself, with no
// further keystroke, within SUGGESTION_BUDGET_MS. Then choosing one opens
// the search page, in English and (for a Korean browser) in Korean.
import { eventually } from '../lib/harness.mjs';

export const name = 'search';

const MIN_PREFIX_CHARS = 2;
const SUGGESTION_BUDGET_MS = 2000;
const TYPED = 'Mai'; // "Maison Kim" (a store and its seller) in the demo data

const matches = (text, prefix) =>
  text.toLowerCase().split(/\s+/).some((word) => word.startsWith(prefix.toLowerCase()));

export default async function search(s) {
  const { page } = await s.browser();
  await s.visit(page, '/', 'product-list');

  const box = page.locator('header').getByRole('combobox', { name: /search/i });
  const suggestions = page.getByTestId('search-suggestion');
  const texts = () => page.locator('[data-testid="search-suggestion"]:visible .searchbox-text').allInnerTexts();
  await box.click();

  for (let n = 1; n <= TYPED.length; n += 1) {
    const prefix = TYPED.slice(0, n);
    s.step(`keystroke ${n}: "${prefix}"`);
    const started = Date.now();
    await page.keyboard.type(TYPED[n - 1]);
    if (n < MIN_PREFIX_CHARS) {
      // Under the server's minimum: the list may stay empty, but nothing stale may show.
      await page.waitForTimeout(300);
      const shown = await texts();
      s.expect(shown.every((t) => matches(t, prefix)), `suggestions not for "${prefix}": ${shown.join(' | ')}`);
      s.metrics[`suggestions${n}`] = shown.length;
      continue;
    }
    const shown = await eventually(async () => {
      const list = await texts();
      return list.length > 0 && list.every((t) => matches(t, prefix)) ? list : null;
    }, `suggestions for "${prefix}" after its keystroke`, { timeout: SUGGESTION_BUDGET_MS, interval: 20 });
    s.metrics[`suggestions${n}`] = shown.length;
    s.metrics[`suggestion${n}Ms`] = Date.now() - started;
    s.expect((await box.inputValue()) === prefix, `the box holds "${await box.inputValue()}", not "${prefix}"`);
  }
  s.expect((await box.getAttribute('aria-expanded')) === 'true', 'the combobox is not marked expanded');
  await s.check(page, 'search-suggestions');

  s.step('arrow down marks an option active');
  await page.keyboard.press('ArrowDown');
  await eventually(async () => (await box.getAttribute('aria-activedescendant')) != null, 'aria-activedescendant on ArrowDown');

  s.step('choose a suggestion');
  const first = suggestions.first();
  const text = (await first.locator('.searchbox-text').innerText()).trim();
  await first.click();
  await page.waitForURL(/\/search\?q=/);
  const q = new URL(page.url()).searchParams.get('q') ?? '';
  s.expect(q === text, `the search page was opened for "${q}", not for "${text}"`);
  await s.check(page, 'search');

  s.step('a Korean browser gets the Korean interface');
  const ko = await s.browser({ options: { locale: 'ko-KR' } });
  await s.visit(ko.page, '/search?q=' + encodeURIComponent(text), 'search-ko');
  s.expect((await ko.page.locator('html').getAttribute('lang')) === 'ko', 'the page language is not ko');
  await ko.page.locator('header').getByRole('button', { name: '검색' }).waitFor();
}
