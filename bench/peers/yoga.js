'use strict';
// The graphql-yoga peer on node:http, POST /graphql.
// `node yoga.js --port 4002 --db demo.db`.
const http = require('node:http');
const { createYoga } = require('graphql-yoga');
const { schema, context, options, stringifyResult } = require('./src/schema');

function main() {
  const { port, db } = options(process.argv);
  const yoga = createYoga({
    schema: schema(),
    graphqlEndpoint: '/graphql',
    graphiql: false,
    landingPage: false,
    logging: false,
    context: () => context(db),
    plugins: [
      {
        // Numbers as serde_json writes them (see format.js).
        onExecutionResult({ result, setResult }) {
          if (result && !Array.isArray(result) && !(Symbol.asyncIterator in result)) {
            setResult(Object.assign(result, { stringify: stringifyResult }));
          }
        },
        // Statements run so far, for the harness's per-request count.
        onResponse({ response }) {
          response.headers.set('x-peer-statements', String(db.statements));
        },
      },
    ],
  });
  http.createServer(yoga).listen(port, '127.0.0.1', () => {
    console.log(`yoga peer listening at http://127.0.0.1:${port}/graphql`);
  });
}

main();
