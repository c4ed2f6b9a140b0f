'use strict';
// The statements vitrine runs for the benchmark's queries, written out as
// sea-orm generates them for SQLite (`?` placeholders, every column of the
// entity in its declaration order), with the same bound parameters, so that
// SQLite does the same work for every server. Where each comes from:
//   ByIdLoader, ProductImagesLoader, FirstRowsLoader: src/resolvers/loaders.rs
//   the catalogue's page of products: catalog::list_products
//   (src/domain/commerce/catalog.rs), sort NEWEST, no filter.

// Columns of src/entities/*.rs, in declaration order.
const COLUMNS = {
  products: [
    'id', 'store_id', 'category_id', 'name', 'description', 'price', 'stock', 'gender',
    'colors', 'seasons', 'fiber_composition', 'elasticity', 'transparency', 'fleece',
    'spec_tags', 'options', 'status', 'rating_sum', 'review_count', 'rating_avg',
    'wishlist_count', 'sold_count', 'popularity', 'palette', 'color_theme', 'created_at',
    'updated_at',
  ],
  stores: [
    'id', 'owner_id', 'name', 'name_key', 'license_number', 'description', 'status',
    'review_reason', 'reviewed_by', 'reviewed_at', 'rating_sum', 'review_count', 'created_at',
    'updated_at',
  ],
  categories: ['id', 'code', 'name', 'name_ko', 'parent_id', 'path', 'depth', 'position'],
  product_images: ['id', 'product_id', 'url', 'upload_id', 'position'],
  users: [
    'id', 'email', 'password_hash', 'nickname', 'role', 'status', 'gender', 'birth_date',
    'status_reason', 'created_at', 'updated_at', 'deleted_at', 'follower_count',
    'following_count', 'locale',
  ],
};

function select(table) {
  return `SELECT ${COLUMNS[table].map((c) => `"${table}"."${c}"`).join(', ')} FROM "${table}"`;
}

// sea-query writes an `IN` list as `(?, ?, ?)`; vitrine's own placeholder
// lists (the first-rows loader) as `(?,?,?)`.
const seaList = (n) => new Array(n).fill('?').join(', ');
const plainList = (n) => new Array(n).fill('?').join(',');

// Statement texts by shape, built once per shape (vitrine's text depends on
// the number of keys only, too).
const memo = new Map();
function once(key, build) {
  let sql = memo.get(key);
  if (sql === undefined) {
    sql = build();
    memo.set(key, sql);
  }
  return sql;
}

/** `E::find().filter(E::id().is_in(keys))` (ByIdLoader). */
function byId(table, n) {
  return once(`byId:${table}:${n}`, () => `${select(table)} WHERE "${table}"."id" IN (${seaList(n)})`);
}

/** ProductImagesLoader: images of products in display order. */
function productImages(n) {
  return once(
    `images:${n}`,
    () =>
      `${select('product_images')} WHERE "product_images"."product_id" IN (${seaList(n)}) ` +
      'ORDER BY "product_images"."product_id" ASC, "product_images"."position" ASC',
  );
}

/** `list_products` with sort NEWEST and the default filter (ACTIVE). */
const PRODUCTS_NEWEST =
  `${select('products')} WHERE "products"."status" = ? ` +
  'ORDER BY "products"."id" DESC, "products"."id" DESC LIMIT ?';

// FirstRows of src/resolvers/loaders.rs.
const FIRST_ROWS = {
  productShorts: { table: 'shorts', parent: 'product_id', order: 'id DESC', condition: '' },
  productReviews: { table: 'reviews', parent: 'product_id', order: 'id DESC', condition: '' },
  categoryPopular: {
    table: 'products',
    parent: 'category_id',
    order: 'popularity DESC, id DESC',
    condition: "AND status = 'ACTIVE'",
  },
};

/** FirstRowsLoader: the first rows of a list for `n` parents, parents and
 * the limit bound. */
function firstRows(rows, n) {
  return once(`first:${rows.table}:${rows.parent}:${n}`, () => {
    const { table, parent, order, condition } = rows;
    return (
      `SELECT * FROM (SELECT t.*, ROW_NUMBER() OVER (PARTITION BY t.${parent} ORDER BY ${order}) AS rn ` +
      `FROM ${table} t WHERE t.${parent} IN (${plainList(n)}) ${condition}) ranked WHERE rn <= ? ORDER BY ${parent}, rn`
    );
  });
}

module.exports = { byId, productImages, PRODUCTS_NEWEST, FIRST_ROWS, firstRows };
