// The community pages: the sign-in and sign-up forms, the home feed, a post
// (like it, comment on it), its author's profile (follow toggles), a new
// post form and the wishlist. Every page is screenshotted and checked by axe.
import { eventually } from '../lib/harness.mjs';
import { MEMBER, PASSWORD } from '../lib/accounts.mjs';

export const name = 'community';

const countIn = (text) => Number((text.match(/\d+/) ?? ['NaN'])[0]);

export default async function community(s) {
  const anonymous = await s.browser();
  await s.visit(anonymous.page, '/login', 'login');
  await s.visit(anonymous.page, '/signup', 'signup');

  const { page } = await s.browser({ email: MEMBER, password: PASSWORD });
  await s.visit(page, '/community', 'home-feed');
  const main = page.locator('main');

  s.step('open a post from the feed');
  const postLink = main.locator('a[href^="/posts/"]:not([href*="#"])').first();
  await postLink.waitFor();
  await s.visit(page, await postLink.getAttribute('href'), 'post');

  s.step('like the post');
  const like = main.locator('article').getByRole('button', { name: /^like$/i }).first();
  const likeCount = main.locator('article .like-count').first();
  const wasLiked = (await like.getAttribute('aria-pressed')) === 'true';
  const before = countIn(await likeCount.innerText());
  await like.click();
  await eventually(async () => (await like.getAttribute('aria-pressed')) === String(!wasLiked), 'the like button to toggle');
  await eventually(async () => countIn(await likeCount.innerText()) === before + (wasLiked ? -1 : 1),
    `the like count to move from ${before}`);

  s.step('comment on the post');
  const text = `A browser-test comment ${Date.now().toString(36)}`;
  await main.getByLabel(/^your comment$/i).fill(text);
  await main.getByRole('button', { name: /^add comment$/i }).click();
  await main.getByText(text).first().waitFor();
  await s.check(page, 'post-commented');

  s.step("follow the post's author");
  const author = await main.locator('article header a[href^="/users/"]').first().getAttribute('href');
  await s.visit(page, author, 'profile');
  const follow = main.getByRole('button', { name: /^(✓ )?follow\b/i }).first();
  const wasFollowing = (await follow.getAttribute('aria-pressed')) === 'true';
  await follow.click();
  await eventually(async () => (await follow.getAttribute('aria-pressed')) === String(!wasFollowing), 'the follow button to toggle');

  await s.visit(page, '/community/new', 'new-post');
  await s.visit(page, '/wishlist', 'wishlist');
}
