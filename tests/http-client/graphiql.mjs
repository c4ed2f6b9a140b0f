// Opens the GraphiQL page of the server at argv[2] in headless Chromium
// (argv[3]: its executable), driven over the DevTools protocol, the way a
// developer would use it: types `{"Authorization": "Bearer <argv[4]>"}` into
// the header editor's storage, runs a subscription from the query editor,
// triggers a notification with the token argv[5] (following user argv[6]),
// and reads what GraphiQL shows. Prints one JSON line:
//   {"rendered":true,"transport":"ws","response":{…}}
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

const [, , base, chromium, token, actorToken, userId] = process.argv;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const profile = mkdtempSync(join(tmpdir(), 'vitrine-chromium-'));
const browser = spawn(chromium, [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank',
], { stdio: ['ignore', 'ignore', 'pipe'] });
const finish = (result, code = 0) => {
  process.stdout.write(JSON.stringify(result) + '\n');
  browser.kill('SIGKILL');
  try { rmSync(profile, { recursive: true, force: true }); } catch {}
  process.exit(code);
};
setTimeout(() => finish({ error: 'timed out' }, 1), 60_000);

const devtools = await new Promise((resolve, reject) => {
  let text = '';
  browser.stderr.on('data', (chunk) => {
    text += chunk;
    const m = text.match(/DevTools listening on (ws:\/\/\S+)/);
    if (m) resolve(new URL(m[1]).host);
  });
  browser.on('exit', (code) => reject(new Error(`chromium exited ${code}: ${text}`)));
});
const target = await (await fetch(`http://${devtools}/json/new?${base}/graphql`, { method: 'PUT' })).json();
const page = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((r) => page.on('open', r));
let id = 0;
const pending = new Map();
page.on('message', (m) => {
  const d = JSON.parse(m);
  if (pending.has(d.id)) { pending.get(d.id)(d); pending.delete(d.id); }
});
const evaluate = (expression) => new Promise((resolve) => {
  const i = ++id;
  pending.set(i, (d) => resolve(d.result?.result?.value));
  page.send(JSON.stringify({ id: i, method: 'Runtime.evaluate', params: { expression, awaitPromise: true, returnByValue: true } }));
});
const until = async (expression, ms = 15_000) => {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await evaluate(expression);
    if (value) return value;
    await sleep(200);
  }
  return null;
};
const editor = (selector) => `document.querySelector('${selector} .CodeMirror')?.CodeMirror`;
const metric = async (name) => {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
};

const rendered = Boolean(await until(`!!document.querySelector('.graphiql-container')`));
// The header editor's content, as GraphiQL stores it; a reload loads it.
await evaluate(`localStorage.setItem('graphiql:headers', ${JSON.stringify(JSON.stringify({ Authorization: `Bearer ${token}` }))}); location.reload()`);
await sleep(500);
await until(`!!${editor('.graphiql-query-editor')}`);
const headers = await until(`[...document.querySelectorAll('.CodeMirror')].map((e) => e.CodeMirror.getValue()).find((v) => v.includes('Authorization'))`);
const before = await metric('websocket_subscriptions');
await evaluate(`${editor('.graphiql-query-editor')}.setValue('subscription { notificationReceived { kind actor { nickname } } }')`);
// GraphiQL parses the editor's document after a short pause.
await sleep(1500);
await evaluate(`document.querySelector('.graphiql-execute-button').click()`);
const deadline = Date.now() + 10_000;
while (Date.now() < deadline && (await metric('websocket_subscriptions')) <= before) await sleep(100);
const transport = (await metric('websocket_subscriptions')) > before ? 'ws' : 'none';
await fetch(`${base}/graphql`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${actorToken}` },
  body: JSON.stringify({ query: 'mutation($u: ID!) { follow(userId: $u) { id } }', variables: { u: userId } }),
});
const shown = await until(`(${editor('.graphiql-response')}?.getValue() || '').includes('notificationReceived') && ${editor('.graphiql-response')}.getValue()`);
let response = null;
try { response = JSON.parse(shown); } catch { response = shown; }
finish({ rendered, headers: Boolean(headers), transport, response });
