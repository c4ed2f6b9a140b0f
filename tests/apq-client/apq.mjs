// Automatic persisted queries with Apollo Client's own persisted-query link:
// runs one query twice against the URL in argv[2] (hashes sent by GET), and
// prints every HTTP exchange as a JSON line for tests/partners.rs to check.
import { ApolloClient, InMemoryCache, HttpLink, gql } from '@apollo/client/core/index.js';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries/index.js';
import { createHash } from 'node:crypto';

const url = process.argv[2];
const exchanges = [];

async function recordingFetch(input, init = {}) {
  const method = (init.method || 'GET').toUpperCase();
  const response = await fetch(input, init);
  const text = await response.clone().text();
  let body = null;
  try { body = JSON.parse(text); } catch { body = text; }
  exchanges.push({ method, url: String(input), sent: init.body ? JSON.parse(init.body) : null, status: response.status, body });
  return response;
}

const link = createPersistedQueryLink({
  sha256: (s) => createHash('sha256').update(s).digest('hex'),
  useGETForHashedQueries: true,
}).concat(new HttpLink({ uri: url, fetch: recordingFetch }));

const client = new ApolloClient({ link, cache: new InMemoryCache() });
const query = gql`
  query Categories {
    categories {
      id
      code
    }
  }
`;

try {
  const first = await client.query({ query, fetchPolicy: 'network-only' });
  const second = await client.query({ query, fetchPolicy: 'network-only' });
  console.log(JSON.stringify({ first: first.data, second: second.data, exchanges }));
} catch (e) {
  console.log(JSON.stringify({ error: String(e), exchanges }));
  process.exit(1);
}
