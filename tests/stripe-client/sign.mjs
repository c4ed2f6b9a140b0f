// Reads {"payload": "<raw body>", "secret": "whsec_…", "timestamp": <unix s>}
// from stdin and prints the Stripe-Signature header that Stripe's Node
// library makes for that exact body (t=<timestamp>,v1=<hex HMAC-SHA256>).
import Stripe from 'stripe';

let input = '';
process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) input += chunk;
const { payload, secret, timestamp } = JSON.parse(input);
if (typeof payload !== 'string' || typeof secret !== 'string' || !Number.isInteger(timestamp) || timestamp <= 0) {
  console.error('sign.mjs: expected {payload: string, secret: string, timestamp: positive integer}');
  process.exit(2);
}
const stripe = new Stripe('sk_test_vitrine');
process.stdout.write(stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp }));
