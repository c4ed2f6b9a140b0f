// The Lighthouse-style budget: first contentful paint of the product list in a
// fresh browser context, and the gzip size of the JavaScript that page loads.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { log } from './harness.mjs';

export const FCP_BUDGET_MS = 1500;
export const JS_BUDGET_GZIP_BYTES = 300 * 1000;

const isScript = (response) =>
  response.request().resourceType() === 'script' || /\.m?js(\?|$)/.test(new URL(response.url()).pathname);

async function loadProductList(browser, baseUrl, { recordScripts }) {
  const ctx = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
  try {
    const page = await ctx.newPage();
    const scripts = new Map();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e.message ?? e)));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/ERR_NAME_NOT_RESOLVED|demo\.vitrine\.dev/.test(m.text())) errors.push(m.text());
    });
    if (recordScripts) {
      page.on('response', (r) => {
        if (isScript(r) && r.ok()) scripts.set(r.url(), r);
      });
    }
    await page.goto(new URL('/', baseUrl).toString(), { waitUntil: 'load' });
    await page
      .getByTestId('product-card')
      .first()
      .waitFor({ timeout: 15000 })
      .catch(async () => {
        const alert = await page.locator('main [role="alert"]').first().innerText({ timeout: 1000 }).catch(() => null);
        const why = alert ?? errors[0];
        throw new Error(`no product card on the product list within 15 s${why ? ` (${why.trim().slice(0, 300)})` : ''}`);
      });
    await page.waitForLoadState('networkidle', { timeout: 5000 }).catch(() => undefined);
    const fcp = await page.evaluate(() => {
      const e = performance.getEntriesByName('first-contentful-paint')[0];
      return e ? Math.round(e.startTime) : null;
    });
    let gzip = 0;
    const files = [];
    for (const [url, r] of scripts) {
      const body = await r.body();
      const size = gzipSync(body).length;
      gzip += size;
      files.push({ url: new URL(url).pathname, bytes: body.length, gzip: size });
    }
    return { fcp, gzip, files };
  } finally {
    await ctx.close().catch(() => undefined);
  }
}

/** Gzip total of every .js under the built app's assets folder (null when there is no build). */
export function distJsGzip(webDir) {
  const dir = join(webDir, 'assets');
  if (!existsSync(dir)) return null;
  let total = 0;
  for (const f of readdirSync(dir)) {
    if (f.endsWith('.js')) total += gzipSync(readFileSync(join(dir, f))).length;
  }
  return total;
}

export async function measureBudget(browser, baseUrl) {
  // A first load warms the server (SQLite pages, the search index); the
  // measured load is a second, fresh context with an empty browser cache.
  const warm = await loadProductList(browser, baseUrl, { recordScripts: false });
  const measured = await loadProductList(browser, baseUrl, { recordScripts: true });
  log(`budget: FCP ${measured.fcp} ms (first load ${warm.fcp} ms), JS ${measured.gzip} B gzip in ${measured.files.length} files`);
  return { fcpMs: measured.fcp, fcpFirstLoadMs: warm.fcp, bundleGzipBytes: measured.gzip, scripts: measured.files };
}
