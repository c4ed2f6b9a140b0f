// Sends graphql-js' own introspection query (what GraphiQL, GraphQL Code
// Generator and IDE plugins send) to the URL given as the first argument,
// once with graphql-js' defaults and once with every option GraphiQL turns
// on, and builds a client schema from each answer. Prints one JSON line:
//   {"runs":[{"options":…,"status":200,"types":123,"errors":null}, …]}
import { buildClientSchema, getIntrospectionQuery } from 'graphql';

const url = process.argv[2];
const variants = [
  {},
  {
    descriptions: true,
    specifiedByUrl: true,
    directiveIsRepeatable: true,
    schemaDescription: true,
    inputValueDeprecation: true,
  },
];
const runs = [];
for (const options of variants) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json;q=0.9',
    },
    body: JSON.stringify({ query: getIntrospectionQuery(options) }),
  });
  const body = await res.json();
  let types = null;
  let built = null;
  if (body.data) {
    try {
      types = Object.keys(buildClientSchema(body.data).getTypeMap()).length;
    } catch (e) {
      built = String(e);
    }
  }
  runs.push({ options, status: res.status, types, built, errors: body.errors ?? null });
}
process.stdout.write(JSON.stringify({ runs }) + '\n');
