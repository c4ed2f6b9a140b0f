'use strict';
const Database = require('better-sqlite3');

/** One better-sqlite3 connection to the demo file, with a statement cache by
 * SQL text (vitrine's driver keeps one per connection too) and a count of
 * statements run. Integers are bound as 64-bit integers (BigInt), as sqlx
 * binds i64: better-sqlite3 binds plain numbers as REAL. */
class Db {
  constructor(path) {
    this.conn = new Database(path, { fileMustExist: true });
    this.conn.pragma('busy_timeout = 10000');
    this.cache = new Map();
    this.statements = 0;
  }

  all(sql, params) {
    let stmt = this.cache.get(sql);
    if (stmt === undefined) {
      stmt = this.conn.prepare(sql);
      this.cache.set(sql, stmt);
    }
    this.statements += 1;
    return stmt.all(params);
  }
}

module.exports = { Db };
