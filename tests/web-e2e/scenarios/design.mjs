// A creator generates a design from a room photo, watches the job progress
// live, sees the design turn READY and the DESIGN_READY notification arrive
// on the bell without reloading.
import { eventually } from '../lib/harness.mjs';
import { CREATOR, PASSWORD } from '../lib/accounts.mjs';
import { unreadBadge } from '../lib/badge.mjs';
import { roomPng } from '../lib/png.mjs';

export const name = 'design';

export default async function design(s) {
  const { page } = await s.browser({ email: CREATOR, password: PASSWORD });
  await s.visit(page, '/designs/new', 'generate-design');
  const unreadBefore = await unreadBadge(page);

  s.step('pick a room photo and generate');
  const title = `E2E room ${Date.now().toString(36)}`;
  await page.locator('main input[type="file"]').setInputFiles({ name: 'room.png', mimeType: 'image/png', buffer: roomPng() });
  await page.getByLabel(/^title/i).fill(title);
  await page.getByLabel(/^style$/i).selectOption({ index: 1 });
  // Every text the progress live region shows, from its first render (a
  // MutationObserver set up before the click, so no poll misses one).
  await page.evaluate(() => {
    window.__e2eProgress = [];
    const record = () => {
      const el = document.querySelector('[data-testid="design-progress"]');
      const text = el?.textContent.trim();
      if (text && window.__e2eProgress.at(-1) !== text) window.__e2eProgress.push(text);
    };
    new MutationObserver(record).observe(document.body, { childList: true, characterData: true, subtree: true });
  });
  await page.getByRole('button', { name: /^generate$/i }).click();

  s.step('watch the job progress live');
  const progress = page.getByTestId('design-progress');
  const refusal = page.locator('main [role="alert"], main .community-error').first();
  const started = await Promise.race([
    progress.waitFor({ timeout: 20000 }).then(() => null),
    refusal.waitFor({ timeout: 20000 }).then(() => refusal.innerText()),
  ]);
  if (started != null) throw new Error(`the generation was refused: ${started.trim()}`);
  const status = page.getByTestId('design-status');
  await status.waitFor({ timeout: 60000 });
  const seen = await page.evaluate(() => window.__e2eProgress);
  s.metrics.progressSeen = seen;
  // Live: the region showed the job unfinished, then finished, without a reload. (How many
  // stages in between it catches depends on how fast the offline provider is.)
  const percents = seen.map((t) => Number((t.match(/(\d+)%/) ?? [])[1]));
  s.expect(percents.some((p) => p < 100) && percents.at(-1) === 100,
    `the progress region did not go from unfinished to 100% live: ${seen.join(' | ')}`);
  const final = await status.getAttribute('data-status');
  s.expect(final === 'READY', `the design ended ${final} (progress seen: ${[...seen].join(' | ')})`);
  s.expect(/100%/.test(await progress.innerText()), 'progress does not read 100% when ready');
  await s.check(page, 'design-ready');

  s.step('the DESIGN_READY notification arrives on the bell');
  await eventually(async () => (await unreadBadge(page)) > unreadBefore,
    `the unread badge to grow from ${unreadBefore}`, { timeout: 15000 });

  s.step('the design page shows it ready');
  await page.getByRole('link', { name: /^view the design$/i }).click();
  await page.getByRole('heading', { level: 1, name: title }).waitFor();
  await s.check(page, 'design');

  s.step('the notification list has it');
  await s.visit(page, '/notifications', 'notifications');
  const main = page.locator('main');
  await eventually(async () => (await main.getByText(title).count()) + (await main.getByText(/design is ready|design.*ready/i).count()) > 0,
    'a DESIGN_READY item in the notification list', { timeout: 10000 });
}
