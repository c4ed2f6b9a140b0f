// A local Web Push service (RFC 8030) for the integration tests. It plays
// the browser's part too: POST /subscriptions makes a subscription with a
// fresh P-256 key pair and auth secret, as pushManager.subscribe would.
// Every push is checked like a real push service checks it, and more:
//   - Authorization: `vapid t=<JWT>, k=<key>` (RFC 8292): ES256 signature
//     verified with k, `aud` = this origin, `exp` in the future and at most
//     24 h away, `sub` a mailto: or https: URI; the key must be the one the
//     subscription was made with (applicationServerKey), when one was given.
//   - TTL present, Content-Encoding: aes128gcm.
//   - the body decrypts with the subscription's private key and auth secret
//     (http_ece, aes128gcm, RFC 8291).
// A push that fails a check is answered 400/401/403 and recorded under
// `rejected`; a good one is recorded (decrypted) under `messages` and
// answered 201, or with the next status queued for that subscription
// (POST /subscriptions/<id>/answers {"statuses": [500, 410]}).
// GET /state returns { messages, rejected }. Prints {"port": n} when ready.
import { createServer } from 'node:http';
import crypto from 'node:crypto';
import ece from 'http_ece';

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const subscriptions = new Map();
const messages = [];
const rejected = [];
let nextId = 1;
let origin = '';

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body ?? {}));
}

/** Checks the VAPID header; returns { claims, key } or throws with why. */
function checkVapid(header, sub) {
  const m = /^vapid\s+t=([^,\s]+)\s*,\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? '');
  if (!m) throw Object.assign(new Error(`Authorization is not "vapid t=…, k=…": ${header}`), { status: 401 });
  const [, token, k] = m;
  const raw = Buffer.from(k, 'base64url');
  if (raw.length !== 65 || raw[0] !== 4) throw Object.assign(new Error('k is not an uncompressed P-256 key'), { status: 401 });
  const [h, p, s] = token.split('.');
  const head = JSON.parse(Buffer.from(h, 'base64url').toString());
  if (head.alg !== 'ES256') throw Object.assign(new Error(`alg ${head.alg}, not ES256`), { status: 401 });
  const key = crypto.createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: b64url(raw.subarray(1, 33)), y: b64url(raw.subarray(33)) },
    format: 'jwk',
  });
  const ok = crypto.verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
  if (!ok) throw Object.assign(new Error('the VAPID signature does not verify'), { status: 403 });
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  const now = Math.floor(Date.now() / 1000);
  if (claims.aud !== origin) throw Object.assign(new Error(`aud ${claims.aud}, expected ${origin}`), { status: 403 });
  if (!(claims.exp > now && claims.exp <= now + 24 * 3600)) throw Object.assign(new Error(`exp ${claims.exp} is not within 24 h`), { status: 403 });
  if (!/^(mailto:|https:)/.test(claims.sub ?? '')) throw Object.assign(new Error(`sub ${claims.sub} is not mailto: or https:`), { status: 403 });
  if (sub.applicationServerKey && sub.applicationServerKey !== k) {
    throw Object.assign(new Error('signed with another key than the subscription was made for'), { status: 403 });
  }
  return { claims, key: k };
}

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url, origin);
    const body = await readBody(req);
    if (req.method === 'POST' && url.pathname === '/subscriptions') {
      const options = body.length ? JSON.parse(body) : {};
      const ecdh = crypto.createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = crypto.randomBytes(16);
      const id = String(nextId++);
      subscriptions.set(id, { ecdh, auth, answers: [], applicationServerKey: options.applicationServerKey });
      return send(res, 201, {
        id,
        endpoint: `${origin}/push/${id}`,
        p256dh: b64url(ecdh.getPublicKey()),
        auth: b64url(auth),
      });
    }
    let m = /^\/subscriptions\/([^/]+)\/answers$/.exec(url.pathname);
    if (req.method === 'POST' && m) {
      const sub = subscriptions.get(m[1]);
      if (!sub) return send(res, 404, { error: 'no such subscription' });
      sub.answers.push(...JSON.parse(body).statuses);
      return send(res, 200, { queued: sub.answers.length });
    }
    if (req.method === 'GET' && url.pathname === '/state') {
      return send(res, 200, { messages, rejected });
    }
    m = /^\/push\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'POST' && m) {
      const id = m[1];
      const sub = subscriptions.get(id);
      if (!sub) return send(res, 404, { error: 'no such subscription' });
      let vapid;
      try {
        vapid = checkVapid(req.headers.authorization, sub);
        if (!req.headers.ttl || !/^\d+$/.test(req.headers.ttl)) throw Object.assign(new Error('TTL header missing'), { status: 400 });
        if (req.headers['content-encoding'] !== 'aes128gcm') throw Object.assign(new Error(`Content-Encoding ${req.headers['content-encoding']}`), { status: 400 });
      } catch (e) {
        rejected.push({ subscription: id, status: e.status ?? 400, reason: e.message });
        return send(res, e.status ?? 400, { error: e.message });
      }
      let plaintext;
      try {
        plaintext = ece.decrypt(body, { version: 'aes128gcm', privateKey: sub.ecdh, authSecret: sub.auth });
      } catch (e) {
        rejected.push({ subscription: id, status: 400, reason: `decryption failed: ${e.message}` });
        return send(res, 400, { error: 'payload does not decrypt' });
      }
      const status = sub.answers.length ? sub.answers.shift() : 201;
      messages.push({
        subscription: id,
        status,
        payload: JSON.parse(plaintext.toString('utf8')),
        vapid: vapid.claims,
        ttl: Number(req.headers.ttl),
        urgency: req.headers.urgency ?? null,
      });
      res.writeHead(status, status === 201 ? { location: `${origin}/messages/${messages.length}` } : {});
      return res.end();
    }
    send(res, 404, { error: 'not found' });
  } catch (e) {
    send(res, 500, { error: String(e?.stack ?? e) });
  }
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  origin = `http://127.0.0.1:${port}`;
  process.stdout.write(JSON.stringify({ port }) + '\n');
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
