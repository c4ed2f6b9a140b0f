import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for every operation of the web client. The operations live in the
// frontend contract (one operation per file); the app imports `<Name>Document` only
// from src/gql/graphql.ts, so an operation outside the contract cannot be used.
const config: CodegenConfig = {
  schema: '../schema/schema.graphql',
  documents: ['../frontend-contract/operations/web/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'src/gql/graphql.ts': {
      plugins: ['typescript', 'typescript-operations', 'typed-document-node'],
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        avoidOptionals: { field: true, inputValue: false, object: false, defaultValue: false },
        skipTypename: false,
        scalars: {
          ID: 'string',
          DateTime: 'string',
          NaiveDate: 'string',
          JSON: 'unknown',
          Upload: 'File',
        },
      },
    },
  },
};

export default config;
