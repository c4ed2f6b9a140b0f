'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { buildSchema } = require('graphql');
const { resolvers } = require('./resolvers');
const { Db } = require('./db');
const { loaders } = require('./loaders');
const { stringifyResult } = require('./format');

/** The executable schema: SDL of ../schema.graphql with the resolvers
 * attached to its fields. */
function schema() {
  const built = buildSchema(fs.readFileSync(path.join(__dirname, '..', 'schema.graphql'), 'utf8'));
  for (const [typeName, fields] of Object.entries(resolvers)) {
    const type = built.getType(typeName);
    if (!type) throw new Error(`no type ${typeName} in schema.graphql`);
    const defined = type.getFields();
    for (const [field, resolve] of Object.entries(fields)) {
      if (!defined[field]) throw new Error(`no field ${typeName}.${field} in schema.graphql`);
      defined[field].resolve = resolve;
    }
  }
  return built;
}

/** A request's context: the database and its loaders, built on first use
 * (as vitrine's are: `{ __typename }` never needs them). */
function context(db) {
  let built = null;
  return {
    db,
    get loaders() {
      if (built === null) built = loaders(db);
      return built;
    },
  };
}

/** `--port N --db PATH` or PORT / DATABASE_PATH. */
function options(argv) {
  const named = {};
  for (let i = 2; i < argv.length; i += 2) named[argv[i].replace(/^--/, '')] = argv[i + 1];
  const port = Number(named.port ?? process.env.PORT ?? 4000);
  const dbPath = named.db ?? process.env.DATABASE_PATH;
  if (!dbPath) throw new Error('give the demo database with --db PATH or DATABASE_PATH');
  return { port, db: new Db(dbPath) };
}

module.exports = { schema, context, options, stringifyResult };
