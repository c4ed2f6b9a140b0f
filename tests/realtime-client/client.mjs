// A test driver around the graphql-ws client library: reads one JSON command
// per line on stdin, writes one JSON event per line on stdout. The Rust
// integration tests (tests/realtime.rs) spawn it to talk to /graphql/ws with
// a real client that this project did not write.
//
// Commands:
//   {"op":"connect","conn":"a","url":"ws://…","token":"…"?,"initDelayMs":0?,"protocol":?}
//   {"op":"subscribe","conn":"a","sub":"s1","query":"…","variables":{}}
//   {"op":"unsubscribe","sub":"s1"}
//   {"op":"dispose","conn":"a"}          graceful close (1000)
//   {"op":"terminate","conn":"a"}        drop the socket without a close handshake
// Events:
//   {"event":"connected","conn":"a"}
//   {"event":"closed","conn":"a","code":4403,"reason":"…"}
//   {"event":"next","sub":"s1","data":{…}}
//   {"event":"error","sub":"s1","error":{…}}
//   {"event":"complete","sub":"s1"}
import { createInterface } from 'node:readline';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const clients = new Map();
const subscriptions = new Map();

function emit(event) {
  process.stdout.write(JSON.stringify(event) + '\n');
}

function describeError(err) {
  if (Array.isArray(err)) return { errors: err };
  if (err && typeof err === 'object' && 'code' in err && 'reason' in err) {
    return { close: { code: err.code, reason: err.reason } };
  }
  return { message: String(err && err.message ? err.message : err) };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function connect(cmd) {
  const client = createClient({
    url: cmd.url,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    keepAlive: 0,
    connectionAckWaitTimeout: 10_000,
    connectionParams: async () => {
      if (cmd.initDelayMs) await sleep(cmd.initDelayMs);
      return cmd.token ? { Authorization: `Bearer ${cmd.token}` } : {};
    },
    on: {
      connected: () => emit({ event: 'connected', conn: cmd.conn }),
      closed: (e) => emit({ event: 'closed', conn: cmd.conn, code: e.code, reason: e.reason }),
    },
    onNonLazyError: () => {},
  });
  clients.set(cmd.conn, client);
}

function subscribe(cmd) {
  const client = clients.get(cmd.conn);
  const dispose = client.subscribe(
    { query: cmd.query, variables: cmd.variables ?? {} },
    {
      next: (data) => emit({ event: 'next', sub: cmd.sub, data }),
      error: (err) => emit({ event: 'error', sub: cmd.sub, error: describeError(err) }),
      complete: () => emit({ event: 'complete', sub: cmd.sub }),
    },
  );
  subscriptions.set(cmd.sub, dispose);
}

const lines = createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  if (!line.trim()) return;
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch (e) {
    emit({ event: 'driver_error', message: `bad command: ${e}` });
    return;
  }
  try {
    switch (cmd.op) {
      case 'connect':
        connect(cmd);
        break;
      case 'subscribe':
        subscribe(cmd);
        break;
      case 'unsubscribe':
        subscriptions.get(cmd.sub)?.();
        subscriptions.delete(cmd.sub);
        break;
      case 'dispose':
        await clients.get(cmd.conn)?.dispose();
        break;
      case 'terminate':
        clients.get(cmd.conn)?.terminate();
        break;
      default:
        emit({ event: 'driver_error', message: `unknown op ${cmd.op}` });
    }
    emit({ event: 'ok', op: cmd.op, id: cmd.id ?? null });
  } catch (e) {
    emit({ event: 'driver_error', message: String(e) });
  }
});
lines.on('close', () => process.exit(0));
