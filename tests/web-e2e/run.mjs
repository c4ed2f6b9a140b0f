#!/usr/bin/env node
// Browser tests of the web client against a running server.
//
//   node tests/web-e2e/run.mjs <baseUrl> <chromiumPath> <reportsDir>
//
// Progress goes to stderr; the last line on stdout is one JSON object:
// {"ok", "scenarios": {name: {"ok", "error", "ms"}}, "axe": {page: {"serious",
// "critical", "ids"}}, "fcpMs", "bundleGzipBytes", ...}. Exit status 0 only
// when every scenario passed, no page has a serious or critical axe
// violation and the budget holds. E2E_ONLY=shop,chat runs some scenarios only.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBook, Scenario, launchBrowser, log, writeReport } from './lib/harness.mjs';
import { FCP_BUDGET_MS, JS_BUDGET_GZIP_BYTES, distJsGzip, measureBudget } from './lib/budget.mjs';
import { SkipScenario } from './lib/skip.mjs';
import * as shop from './scenarios/shop.mjs';
import * as design from './scenarios/design.mjs';
import * as notifications from './scenarios/notifications.mjs';
import * as chat from './scenarios/chat.mjs';
import * as search from './scenarios/search.mjs';
import * as assistant from './scenarios/assistant.mjs';
import * as sellerAdmin from './scenarios/seller-admin.mjs';
import * as push from './scenarios/push.mjs';
import * as community from './scenarios/community.mjs';
import * as reconnect from './scenarios/reconnect.mjs';

const SCENARIOS = [shop, design, notifications, chat, search, assistant, sellerAdmin, push, reconnect, community];
const SCENARIO_TIMEOUT_MS = Number(process.env.E2E_SCENARIO_TIMEOUT_MS ?? 120000);
const here = dirname(fileURLToPath(import.meta.url));

async function main() {
  const [baseUrl, chromiumPath, reportsArg] = process.argv.slice(2);
  if (!baseUrl || !chromiumPath || !reportsArg) {
    console.error('usage: node run.mjs <baseUrl> <chromiumPath> <reportsDir>');
    return { ok: false, error: 'usage' };
  }
  const reportsDir = resolve(reportsArg);
  mkdirSync(reportsDir, { recursive: true });
  const only = (process.env.E2E_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const webDir = process.env.VITRINE_WEB_DIR ? resolve(process.env.VITRINE_WEB_DIR) : resolve(here, '../../web/dist');

  const result = {
    ok: false,
    scenarios: {},
    axe: {},
    fcpMs: null,
    bundleGzipBytes: null,
    distJsGzipBytes: distJsGzip(webDir),
    failures: [],
  };
  const browser = await launchBrowser(chromiumPath, baseUrl);
  const run = { browser, baseUrl, reportsDir, axe: new AxeBook() };
  try {
    if (!only.length || only.includes('budget')) {
      try {
        const budget = await measureBudget(browser, baseUrl);
        Object.assign(result, { fcpMs: budget.fcpMs, fcpFirstLoadMs: budget.fcpFirstLoadMs, bundleGzipBytes: budget.bundleGzipBytes });
        writeReport(reportsDir, 'budget.json', budget);
      } catch (e) {
        result.failures.push(`budget: ${e.message.split('\n')[0]}`);
      }
      if (result.fcpMs == null || result.fcpMs >= FCP_BUDGET_MS) result.failures.push(`FCP ${result.fcpMs} ms (budget ${FCP_BUDGET_MS} ms)`);
      if (result.bundleGzipBytes == null || result.bundleGzipBytes >= JS_BUDGET_GZIP_BYTES)
        result.failures.push(`JS ${result.bundleGzipBytes} B gzip (budget ${JS_BUDGET_GZIP_BYTES} B)`);
    }

    for (const mod of SCENARIOS) {
      if (only.length && !only.includes(mod.name)) continue;
      result.scenarios[mod.name] = await runScenario(run, mod);
    }
  } finally {
    await browser.close().catch(() => undefined);
  }

  result.axe = run.axe.pages;
  writeReport(reportsDir, 'axe.json', run.axe.details);
  for (const [name, s] of Object.entries(result.scenarios)) if (!s.ok) result.failures.push(`scenario ${name}: ${s.error}`);
  for (const line of run.axe.failing()) result.failures.push(`axe ${line}`);
  result.ok = result.failures.length === 0;
  writeReport(reportsDir, 'result.json', result);
  return result;
}

async function runScenario(run, mod) {
  const s = new Scenario(run, mod.name);
  const started = Date.now();
  let timer;
  try {
    await Promise.race([
      mod.default(s),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${SCENARIO_TIMEOUT_MS} ms`)), SCENARIO_TIMEOUT_MS);
      }),
    ]);
    log(`${mod.name}: passed in ${Date.now() - started} ms`);
    return { ok: true, error: null, ms: Date.now() - started, ...metricsOf(s) };
  } catch (e) {
    if (e instanceof SkipScenario) {
      log(`${mod.name}: skipped: ${e.message}`);
      return { ok: true, skipped: true, error: `skipped: ${e.message}`, ms: Date.now() - started };
    }
    let message = `${s.stepName}: ${String(e?.message ?? e).replace(/\u001b\[[0-9;]*m/g, '').split('\n').slice(0, 3).join(' ').slice(0, 600)}`;
    if (s.rateLimited.length) {
      message += ` [the server answered 429 to ${s.rateLimited.length} requests: raise VITRINE_RATE_LIMIT_AUTH/_IP/_USER for the test server]`;
    }
    log(`${mod.name}: FAILED at ${message}`);
    if (s.pageErrors.length) log(`${mod.name}: page errors:\n  ${s.pageErrors.slice(-10).join('\n  ')}`);
    await failureShots(s);
    return { ok: false, error: message, ms: Date.now() - started, ...metricsOf(s) };
  } finally {
    clearTimeout(timer);
    await s.close();
  }
}

const metricsOf = (s) => (Object.keys(s.metrics).length ? { metrics: s.metrics } : {});

async function failureShots(s) {
  let n = 0;
  for (const ctx of s.contexts) {
    for (const page of ctx.pages()) {
      n += 1;
      await page
        .screenshot({ path: `${s.run.reportsDir}/${s.name}-failure-${n}.png`, fullPage: true, timeout: 5000 })
        .catch(() => undefined);
    }
  }
}

let result;
try {
  result = await main();
} catch (e) {
  result = { ok: false, scenarios: {}, axe: {}, fcpMs: null, bundleGzipBytes: null, failures: [String(e?.stack ?? e)] };
}
if (!result.ok && result.failures?.length) log(`failures:\n  ${result.failures.join('\n  ')}`);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(result.ok ? 0 : 1);
