// The browser-test harness: one Chromium, a fresh context per browser a
// scenario needs, and for every page a scenario looks at: a full-page
// screenshot under the reports folder and an axe-core run (WCAG 2 A/AA).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** English UI unless a scenario asks otherwise (the app follows the browser's language). */
const CONTEXT_DEFAULTS = { locale: 'en-US', viewport: { width: 1280, height: 800 }, serviceWorkers: 'allow' };

const EXPECTED_CONSOLE = [/ERR_NAME_NOT_RESOLVED/, /demo\.vitrine\.dev/];

export const log = (...args) => console.error('[web-e2e]', ...args);

export async function launchBrowser(chromiumPath, baseUrl) {
  const host = new URL(baseUrl).hostname;
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      // Hermetic: the demo's image and video hosts (and everything else
      // outside the server under test) fail at once instead of timing out.
      `--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE ${host} , EXCLUDE localhost`,
    ],
  });
}

/** axe results of every page, by page label, merged over the visits. */
export class AxeBook {
  constructor() {
    this.pages = {};
    this.details = {};
  }

  record(label, violations) {
    const entry = (this.pages[label] ??= { serious: 0, critical: 0, ids: [] });
    const seen = new Set(entry.ids);
    let serious = 0;
    let critical = 0;
    for (const v of violations) {
      if (v.impact === 'serious') serious += 1;
      else if (v.impact === 'critical') critical += 1;
      else continue;
      seen.add(v.id);
    }
    entry.serious = Math.max(entry.serious, serious);
    entry.critical = Math.max(entry.critical, critical);
    entry.ids = [...seen].sort();
    (this.details[label] ??= []).push(...violations);
  }

  failing() {
    return Object.entries(this.pages)
      .filter(([, e]) => e.serious + e.critical > 0)
      .map(([label, e]) => `${label}: ${e.ids.join(', ')}`);
  }
}

export async function runAxe(page) {
  // Evaluated through the DevTools protocol rather than added as an inline
  // <script>: the app's content-security policy (script-src 'self') would
  // refuse the latter.
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const res = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] },
      resultTypes: ['violations'],
    });
    return res.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 8).map((n) => ({ target: n.target.join(' '), html: n.html.slice(0, 200), summary: n.failureSummary })),
    }));
  });
}

/** Waits until a page has its heading and its requests have calmed down. */
export async function settle(page, { timeout = 15000 } = {}) {
  await page.locator('main h1, h1').first().waitFor({ state: 'visible', timeout });
  await page.waitForLoadState('networkidle', { timeout: 3000 }).catch(() => undefined);
  await page
    .waitForFunction(() => !document.querySelector('main [aria-busy="true"]'), null, { timeout: 5000 })
    .catch(() => undefined);
}

/** What one scenario gets: its browsers, page checks, assertions. */
export class Scenario {
  constructor(run, name) {
    this.run = run;
    this.name = name;
    this.baseUrl = run.baseUrl;
    this.contexts = [];
    this.pageErrors = [];
    this.stepName = 'start';
    /** Figures a scenario measured, reported with its result. */
    this.metrics = {};
    /** Requests the server refused with 429 (its rate limits are too low for the run). */
    this.rateLimited = [];
  }

  url(path) {
    return new URL(path, this.baseUrl).toString();
  }

  step(text) {
    this.stepName = text;
    log(`${this.name}: ${text}`);
  }

  async newContext(options = {}) {
    const ctx = await this.run.browser.newContext({ ...CONTEXT_DEFAULTS, ...options });
    ctx.setDefaultTimeout(15000);
    this.contexts.push(ctx);
    ctx.on('page', (p) => this.watch(p));
    return ctx;
  }

  /** A new browser (context) with one page, signed in when credentials are given. */
  async browser({ email, password, options } = {}) {
    const ctx = await this.newContext(options);
    const page = await ctx.newPage();
    if (email) await this.signIn(page, email, password);
    return { ctx, page };
  }

  watch(page) {
    page.on('response', (r) => {
      if (r.status() === 429) this.rateLimited.push(new URL(r.url()).pathname);
    });
    page.on('pageerror', (e) => this.pageErrors.push(`pageerror: ${String(e.message ?? e).slice(0, 300)}`));
    page.on('console', (m) => {
      // The demo's photos and videos live on hosts the test browser cannot reach.
      if (m.type() === 'error' && !EXPECTED_CONSOLE.some((re) => re.test(m.text()))) {
        this.pageErrors.push(`console: ${m.text().slice(0, 300)}`);
      }
    });
  }

  /** Signs in through the app's sign-in page and waits to be sent back. */
  async signIn(page, email, password) {
    this.step(`sign in as ${email}`);
    await page.goto(this.url('/login'));
    await page.getByLabel(/^(email|e-mail|이메일)/i).first().fill(email);
    await page.getByLabel(/^(password|비밀번호)$/i).first().fill(password);
    await page.locator('main').getByRole('button', { name: /^(sign in|log in|로그인)$/i }).click();
    const alert = page.locator('main [role="alert"]').first();
    const outcome = await Promise.race([
      page.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 15000 }).then(() => null),
      alert.waitFor({ state: 'visible', timeout: 15000 }).then(() => alert.innerText()),
    ]);
    if (outcome != null) throw new Error(`sign-in refused: ${outcome.trim()}`);
  }

  /** Goes to a path, waits for it to settle, then screenshot + axe under `label`. */
  async visit(page, path, label) {
    this.step(`open ${path}`);
    await page.goto(this.url(path));
    await this.check(page, label);
  }

  /** Screenshot + axe of the page as it is now. */
  async check(page, label) {
    await settle(page).catch(() => undefined);
    const file = `${this.run.reportsDir}/${this.name}-${label}.png`;
    // From the top, so a sticky header is drawn once, where it belongs.
    await page.evaluate(() => window.scrollTo(0, 0)).catch(() => undefined);
    await page.screenshot({ path: file, fullPage: true }).catch((e) => log(`screenshot ${file}: ${e.message}`));
    const violations = await runAxe(page);
    this.run.axe.record(label, violations);
    const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    if (bad.length) log(`${this.name}: axe on ${label}: ${bad.map((v) => `${v.id} (${v.nodes[0]?.target})`).join('; ')}`);
  }

  expect(condition, message) {
    if (!condition) throw new Error(message);
  }

  async close() {
    for (const ctx of this.contexts) await ctx.close().catch(() => undefined);
    this.contexts = [];
  }
}

export function writeReport(reportsDir, name, value) {
  mkdirSync(reportsDir, { recursive: true });
  writeFileSync(`${reportsDir}/${name}`, JSON.stringify(value, null, 2));
}

/** Polls `fn` until it returns a truthy value (returned) or the time is up (throws `message`). */
export async function eventually(fn, message, { timeout = 15000, interval = 100 } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`${message} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, interval));
  }
}
