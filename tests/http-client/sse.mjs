// A test driver around the graphql-sse client library ("distinct
// connections" mode): reads one JSON command per line on stdin, writes one
// JSON event per line on stdout. tests/sse.rs spawns it to talk to
// /graphql/stream with a real client that this project did not write.
//
// Commands:
//   {"op":"subscribe","sub":"s1","url":"http://…","token":"…"?,"query":"…","variables":{}}
//   {"op":"unsubscribe","sub":"s1"}      the client closes its connection
// Events:
//   {"event":"next","sub":"s1","data":{…}}
//   {"event":"error","sub":"s1","error":{"message":"…","status":401?,"body":{…}?}}
//   {"event":"complete","sub":"s1"}
import { createInterface } from 'node:readline';
import { createClient, NetworkError } from 'graphql-sse';

const subscriptions = new Map();

function emit(event) {
  process.stdout.write(JSON.stringify(event) + '\n');
}

async function describeError(err) {
  const described = { message: String(err && err.message ? err.message : err) };
  if (err instanceof NetworkError && err.response) {
    described.status = err.response.status;
    try {
      described.body = await err.response.json();
    } catch {
      described.body = null;
    }
  }
  return described;
}

function subscribe(cmd) {
  const client = createClient({
    url: cmd.url,
    singleConnection: false,
    retryAttempts: 0,
    headers: cmd.token ? { Authorization: `Bearer ${cmd.token}` } : {},
  });
  const dispose = client.subscribe(
    { query: cmd.query, variables: cmd.variables ?? {} },
    {
      next: (data) => emit({ event: 'next', sub: cmd.sub, data }),
      error: async (err) => emit({ event: 'error', sub: cmd.sub, error: await describeError(err) }),
      complete: () => emit({ event: 'complete', sub: cmd.sub }),
    },
  );
  subscriptions.set(cmd.sub, { dispose, client });
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (!line.trim()) return;
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch (e) {
    emit({ event: 'driver_error', message: `bad command: ${e}` });
    return;
  }
  switch (cmd.op) {
    case 'subscribe':
      subscribe(cmd);
      break;
    case 'unsubscribe': {
      const s = subscriptions.get(cmd.sub);
      if (s) {
        s.dispose();
        s.client.dispose();
        subscriptions.delete(cmd.sub);
      }
      emit({ event: 'unsubscribed', sub: cmd.sub });
      break;
    }
    default:
      emit({ event: 'driver_error', message: `unknown op ${cmd.op}` });
  }
});
lines.on('close', () => process.exit(0));
