'use strict';
const DataLoader = require('dataloader');
const sql = require('./sql');

// Request-scoped loaders, one per edge, like vitrine's `Loaders`. vitrine's
// loaders keep no cache (a key asked for in two rounds is loaded twice) and
// run each batch's distinct keys in one statement; so here: `cache: false`
// and the batch functions de-duplicate their keys.
//
// When batches go follows vitrine's batching too (src/resolvers/batch.rs):
// one batch at a time, once the request has nothing else to do, and a batch
// whose results give keys to another loader before that loader's batch, so
// that a page costs the same statements as in vitrine (the product page's
// images of the product and of its related products in one statement).
// DataLoader's `batchScheduleFn` hands each new batch to the request's
// `Scheduler`, which runs them by the loader's rank: its depth in the
// schema slice's graph of edges (a loader fed by another ranks after it).

const big = (n) => BigInt(n);

class Scheduler {
  constructor() {
    this.pending = [];
    this.armed = false;
  }

  /** `dispatch` runs a gathered batch; `rank` orders the loaders. */
  add(rank, dispatch) {
    this.pending.push({ rank, dispatch });
    this.arm();
  }

  // setImmediate: after every promise job, so after every resolver that
  // could still add keys.
  arm() {
    if (!this.armed && this.pending.length > 0) {
      this.armed = true;
      setImmediate(() => this.next());
    }
  }

  next() {
    this.armed = false;
    let at = 0;
    for (let i = 1; i < this.pending.length; i += 1) {
      if (this.pending[i].rank < this.pending[at].rank) at = i;
    }
    const [{ dispatch }] = this.pending.splice(at, 1);
    dispatch();
    this.arm();
  }
}

function options(scheduler, rank) {
  return { cache: false, batchScheduleFn: (dispatch) => scheduler.add(rank, dispatch) };
}

function distinct(keys) {
  return [...new Set(keys)];
}

/** Rows of `table` by id; null where none. */
function byId(db, table, opts) {
  return new DataLoader(
    async (keys) => {
      const ids = distinct(keys);
      const rows = db.all(sql.byId(table, ids.length), ids.map(big));
      const found = new Map(rows.map((r) => [r.id, r]));
      return keys.map((k) => found.get(k) ?? null);
    },
    opts,
  );
}

/** A product's images in display order. */
function productImages(db, opts) {
  return new DataLoader(
    async (keys) => {
      const ids = distinct(keys);
      const rows = db.all(sql.productImages(ids.length), ids.map(big));
      const by = new Map();
      for (const r of rows) {
        let list = by.get(r.product_id);
        if (list === undefined) {
          list = [];
          by.set(r.product_id, list);
        }
        list.push(r);
      }
      return keys.map((k) => by.get(k) ?? []);
    },
    opts,
  );
}

/** The first `n` rows of a list per parent: keys are `[parent, n]`; one
 * statement per batch with the parents sorted and de-duplicated and the
 * largest `n` as the limit, as vitrine's FirstRowsLoader does. */
function firstRows(db, rows, opts) {
  return new DataLoader(
    async (keys) => {
      const limit = keys.reduce((m, k) => Math.max(m, k[1]), 0);
      const parents = distinct(keys.map((k) => k[0])).sort((a, b) => a - b);
      const params = parents.map(big);
      params.push(big(limit));
      const found = db.all(sql.firstRows(rows, parents.length), params);
      const by = new Map();
      for (const r of found) {
        const parent = r[rows.parent];
        let list = by.get(parent);
        if (list === undefined) {
          list = [];
          by.set(parent, list);
        }
        list.push(r);
      }
      return keys.map(([parent, n]) => (by.get(parent) ?? []).slice(0, n));
    },
    opts,
  );
}

function loaders(db) {
  const scheduler = new Scheduler();
  // Ranks: products feed every product edge; a product's reviews feed
  // users, its related products (categoryPopular) feed productImages.
  return {
    products: byId(db, 'products', options(scheduler, 0)),
    stores: byId(db, 'stores', options(scheduler, 1)),
    categories: byId(db, 'categories', options(scheduler, 1)),
    productShorts: firstRows(db, sql.FIRST_ROWS.productShorts, options(scheduler, 1)),
    productReviews: firstRows(db, sql.FIRST_ROWS.productReviews, options(scheduler, 1)),
    categoryPopular: firstRows(db, sql.FIRST_ROWS.categoryPopular, options(scheduler, 1)),
    users: byId(db, 'users', options(scheduler, 2)),
    productImages: productImages(db, options(scheduler, 2)),
  };
}

module.exports = { loaders };
