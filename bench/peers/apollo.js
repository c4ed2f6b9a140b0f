'use strict';
// The Apollo Server peer: @apollo/server's standalone (node:http) server,
// POST /graphql. `node apollo.js --port 4001 --db demo.db`.
const { ApolloServer } = require('@apollo/server');
const { startStandaloneServer } = require('@apollo/server/standalone');
const { schema, context, options, stringifyResult } = require('./src/schema');

async function main() {
  const { port, db } = options(process.argv);
  const server = new ApolloServer({
    schema: schema(),
    stringifyResult,
    plugins: [
      {
        // Statements run so far, for the harness's per-request count.
        async requestDidStart() {
          return {
            async willSendResponse({ response }) {
              response.http.headers.set('x-peer-statements', String(db.statements));
            },
          };
        },
      },
    ],
  });
  const { url } = await startStandaloneServer(server, {
    listen: { port, host: '127.0.0.1' },
    context: async () => context(db),
  });
  console.log(`apollo peer listening at ${url}graphql`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
