// Runs graphql-http's GraphQL-over-HTTP server audits (the reference
// implementation's conformance suite, not ours) against the URL given as the
// first argument and prints one JSON array of results on stdout:
//   [{"id":"22EB","name":"SHOULD …","status":"ok"|"warn"|"notice"|"error","reason":…}]
// `error` is a failed MUST, `warn` a failed SHOULD, `notice` a failed MAY.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
const results = await Promise.all(serverAudits({ url }).map((audit) => audit.fn()));
process.stdout.write(
  JSON.stringify(
    results.map((r) => ({ id: r.id, name: r.name, status: r.status, reason: r.reason ?? null })),
  ) + '\n',
);
