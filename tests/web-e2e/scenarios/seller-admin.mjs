// The seller's and the admin's screens: a demo seller's store, products,
// order lines and product editor; a new member signs up and applies for a
// store, the admin approves it (the applicant hears of it live, and the
// seller centre says Approved); the platform statistics chart is drawn.
import { eventually } from '../lib/harness.mjs';
import { ADMIN, ADMIN_PASSWORD, PASSWORD, SELLER } from '../lib/accounts.mjs';
import { unreadBadge } from '../lib/badge.mjs';

export const name = 'seller_admin';

export default async function sellerAdmin(s) {
  const seller = await s.browser({ email: SELLER, password: PASSWORD });
  await s.visit(seller.page, '/seller', 'seller-home');
  const editLinks = seller.page.locator('main a[href^="/seller/products/"]:not([href$="/new"])');
  await editLinks.first().waitFor();

  s.step('open the product editor');
  const href = await editLinks.first().getAttribute('href');
  await s.visit(seller.page, href, 'seller-product-editor');
  await seller.page.locator('main form').first().waitFor();
  await s.visit(seller.page, '/seller/products/new', 'seller-product-new');

  s.step('a new member signs up');
  const tag = Date.now().toString(36);
  const storeName = `E2E Atelier ${tag}`;
  const applicant = await s.browser();
  await applicant.page.goto(s.url('/signup'));
  await applicant.page.getByLabel(/^email/i).fill(`e2e-${tag}@example.com`);
  await applicant.page.getByLabel(/^nickname/i).fill(`e2e ${tag}`);
  await applicant.page.getByLabel(/^password/i).fill('e2e-password-123');
  await applicant.page.locator('main').getByRole('button', { name: /^create account$/i }).click();
  await applicant.page.waitForURL((u) => !u.pathname.startsWith('/signup'));

  s.step('and applies for a store');
  await s.visit(applicant.page, '/seller', 'seller-apply');
  await applicant.page.getByLabel(/^store name/i).fill(storeName);
  await applicant.page.getByLabel(/^business registration number/i).fill(`E2E${tag}`.slice(0, 32));
  await applicant.page.getByLabel(/^about the store/i).fill('A store opened by the browser test.');
  await applicant.page.locator('main').getByRole('button', { name: /^apply$/i }).click();
  await applicant.page.getByText(/^under review$/i).first().waitFor();
  await s.check(applicant.page, 'seller-pending');
  const unreadBefore = await unreadBadge(applicant.page);

  const admin = await s.browser({ email: ADMIN, password: ADMIN_PASSWORD });
  await s.visit(admin.page, '/admin', 'admin-home');

  s.step('the admin approves the application');
  await admin.page.getByRole('button', { name: `Approve ${storeName}` }).click();
  await admin.page.getByText(`${storeName} was approved`, { exact: false }).first().waitFor();

  s.step('the applicant hears of it live and sells');
  await eventually(async () => (await unreadBadge(applicant.page)) > unreadBefore,
    'the STORE_REVIEWED notification on the applicant\'s bell', { timeout: 10000 });
  await applicant.page.reload();
  await applicant.page.getByText(/^approved$/i).first().waitFor();
  await s.check(applicant.page, 'seller-approved');

  s.step('the statistics chart is drawn');
  const chart = admin.page.locator('main figure.chart svg, main svg[role="img"]').first();
  await chart.waitFor({ timeout: 15000 });
  const marks = await eventually(
    async () => chart.locator('rect, path, polyline, circle, line').count(),
    'marks in the statistics chart',
  );
  s.metrics.chartMarks = marks;
  s.expect(Boolean((await chart.getAttribute('aria-label')) ?? (await chart.getAttribute('aria-labelledby'))),
    'the chart has no accessible name');
}
