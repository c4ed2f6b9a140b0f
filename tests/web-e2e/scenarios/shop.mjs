// A buyer browses, scrolls for more (Relay cursor), filters and sorts, opens a
// product with its shorts, adds it to the cart, builds a custom cart and
// copies its share link; another (anonymous) browser opens the link; the
// buyer checks out and finds the order.
import { eventually } from '../lib/harness.mjs';
import { BUYER, PASSWORD } from '../lib/accounts.mjs';

export const name = 'shop';

const MAX_PRICE = 100000;

const priceOf = (text) => Number((text.match(/[\d,.]+/g) ?? ['NaN']).join('').replace(/[,.]/g, ''));

export default async function shop(s) {
  const { ctx, page } = await s.browser({ email: BUYER, password: PASSWORD });
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(s.baseUrl).origin });
  const cards = page.getByTestId('product-card');

  await s.visit(page, '/', 'product-list');
  await cards.first().waitFor();

  s.step('scroll to load more');
  const cursors = [];
  page.on('request', (r) => {
    const body = r.method() === 'POST' && new URL(r.url()).pathname === '/graphql' ? r.postDataJSON() : null;
    if (/product/i.test(body?.operationName ?? '') && body.variables?.after) cursors.push(body.variables.after);
  });
  const before = await cards.count();
  await eventually(async () => {
    await page.mouse.wheel(0, 4000);
    return (await cards.count()) > before;
  }, `more than ${before} products after scrolling`, { timeout: 15000, interval: 400 });
  s.expect(cursors.length > 0, 'no page was asked for after a cursor');
  s.metrics.productsAfterScroll = await cards.count();

  s.step('back to the top of the list');
  await page.evaluate(() => window.scrollTo(0, 0));

  s.step('filter by gender and a maximum price');
  await page.getByLabel(/^gender$/i).selectOption('FEMALE');
  await page.waitForURL(/gender=FEMALE/);
  await page.getByLabel(/^maximum price$/i).fill(String(MAX_PRICE));
  await page.getByRole('button', { name: /^apply filters$/i }).click();
  await page.waitForURL(new RegExp(`max=${MAX_PRICE}`));
  await eventually(async () => (await cards.count()) > 0 && !(await page.locator('main [aria-busy="true"]').count()),
    'products after the filter');

  s.step('sort by price, low to high');
  await page.getByLabel(/^sort by$/i).selectOption('PRICE_ASC');
  await page.waitForURL(/sort=PRICE_ASC/);
  const prices = await eventually(async () => {
    if (await page.locator('main [aria-busy="true"]').count()) return null;
    const texts = await page.locator('[data-testid="product-card"] .shop-card-price').allInnerTexts();
    const values = texts.map(priceOf);
    return values.length > 0 && values.every((v, i) => i === 0 || v >= values[i - 1]) ? values : null;
  }, 'product prices in ascending order');
  s.expect(prices.every((p) => p <= MAX_PRICE), `a price above the maximum ${MAX_PRICE}: ${prices.join(', ')}`);
  await s.check(page, 'product-list-filtered');

  s.step('open a product with shorts');
  const productUrl = await openProductWithShorts(s, page, cards);
  const productName = (await page.getByRole('heading', { level: 1 }).innerText()).trim();
  await s.check(page, 'product');

  s.step('add to cart');
  await page.getByRole('button', { name: /^add to cart$/i }).click();
  await page.getByText(/your cart now holds \d+ items/i).waitFor();
  const badge = page.getByTestId('cart-count');
  if (await badge.count()) await eventually(async () => /\d/.test(await badge.first().innerText()), 'cart count in the header');

  s.step('create a custom cart');
  const title = `E2E outfit ${Date.now().toString(36)}`;
  await s.visit(page, '/carts', 'custom-carts');
  await page.getByLabel(/^title$/i).fill(title);
  await page.getByLabel(/^who can open it$/i).selectOption('UNLISTED');
  await page.getByRole('button', { name: /^create custom cart$/i }).click();
  await page.getByRole('heading', { level: 1, name: title }).waitFor();

  s.step('add the product to the custom cart');
  await page.goto(productUrl);
  await page.getByText(/^add to a custom cart$/i).click();
  const picker = page.getByLabel(/^custom cart$/i);
  await picker.locator('option', { hasText: title }).waitFor({ state: 'attached' });
  await picker.selectOption(await picker.locator('option', { hasText: title }).getAttribute('value'));
  await page.getByRole('button', { name: /^add to this custom cart$/i }).click();
  await page.getByText(`Added to “${title}”.`).waitFor();
  await page.getByRole('link', { name: /^view it$/i }).click();
  await page.getByRole('heading', { level: 1, name: title }).waitFor();
  await page.getByRole('link', { name: productName }).first().waitFor();

  s.step('copy the share link');
  const shareField = page.getByLabel(/^share link$/i);
  const shareUrl = await shareField.inputValue();
  s.expect(/\/carts\/[^/]+$/.test(shareUrl), `share link looks wrong: ${shareUrl}`);
  await page.getByRole('button', { name: /^copy share link$/i }).click();
  await page.getByText(/^link copied\.$/i).waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  s.expect(copied === shareUrl, `clipboard holds ${copied}, not ${shareUrl}`);
  await s.check(page, 'custom-cart');

  s.step('another browser opens the share link');
  const other = await s.browser();
  await other.page.goto(shareUrl);
  await other.page.getByRole('heading', { level: 1, name: title }).waitFor();
  await other.page.getByRole('link', { name: productName }).first().waitFor();
  await s.check(other.page, 'shared-custom-cart');

  await s.visit(page, '/cart', 'cart');
  s.step('check out');
  await page.getByRole('link', { name: productName }).first().waitFor();
  await page.getByRole('link', { name: /^proceed to checkout$/i }).click();
  await page.getByRole('heading', { level: 1, name: /^checkout$/i }).waitFor();
  await s.check(page, 'checkout');
  await fillAddressIfAsked(page);
  await page.getByRole('button', { name: /^place order$/i }).click();
  await page.getByRole('heading', { level: 1, name: /^order placed$/i }).waitFor({ timeout: 20000 });
  // payOrder starts by itself; without a payment provider the page says the order waits for payment.
  await eventually(
    async () => (await page.getByText(/^payment: /i).count()) + (await page.getByText(/payment is not set up/i).count()) > 0,
    'the payment outcome on the order page',
  );
  await s.check(page, 'order-placed');

  s.step('see the order');
  await s.visit(page, '/orders', 'orders');
  await page.getByText(productName).first().waitFor();
}

async function openProductWithShorts(s, page, cards) {
  const count = Math.min(await cards.count(), 12);
  for (let i = 0; i < count; i += 1) {
    const link = cards.nth(i).getByRole('link').first();
    const href = await link.getAttribute('href');
    await link.click();
    await page.waitForURL((u) => u.pathname.startsWith('/products/'));
    await page.getByRole('heading', { level: 1 }).waitFor();
    await page.getByRole('button', { name: /^add to cart$/i }).waitFor();
    await page.waitForLoadState('networkidle', { timeout: 3000 }).catch(() => undefined);
    const video = page.locator('main video');
    const inStock = await page.getByRole('button', { name: /^add to cart$/i }).isEnabled();
    if (inStock && (await video.count()) > 0) {
      s.expect(await video.first().evaluate((v) => v.muted && v.hasAttribute('playsinline')), 'the short does not play inline, muted');
      return new URL(href, s.baseUrl).toString();
    }
    await page.goBack();
    await cards.nth(i).waitFor();
  }
  throw new Error(`none of the first ${count} products shows a short (video element) and can be bought`);
}

async function fillAddressIfAsked(page) {
  // The address book loads after the cart: a saved address gets chosen then.
  await page.waitForLoadState('networkidle', { timeout: 5000 }).catch(() => undefined);
  if (await page.locator('main input[type="radio"]:checked').count()) {
    const chosen = await page.locator('main input[type="radio"]:checked').getAttribute('value');
    if (chosen !== 'new') return;
  }
  const recipient = page.getByLabel(/^recipient$/i);
  if (!(await recipient.count())) return;
  await recipient.fill('E2E Buyer');
  await page.getByLabel(/^phone number$/i).fill('010-1234-5678');
  await page.getByLabel(/^postal code$/i).fill('04778');
  await page.getByLabel(/^road address$/i).fill('서울 성동구 성수이로 1');
}
