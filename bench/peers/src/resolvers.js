'use strict';
// Resolvers of the schema slice, each doing what vitrine's does
// (src/resolvers/commerce/*.rs, src/resolvers/accounts.rs,
// src/resolvers/uploads.rs) for an anonymous viewer.
const sql = require('./sql');
const f = require('./format');

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

/** `PageArgs::new`: `first` validated, 20 when omitted. */
function pageSize(first) {
  if (first === undefined || first === null) return DEFAULT_PAGE_SIZE;
  if (first >= 1 && first <= MAX_PAGE_SIZE) return first;
  throw new Error(`\`first\` must be between 1 and ${MAX_PAGE_SIZE}`);
}

function unsupported(what) {
  throw new Error(`the peer does not implement ${what}`);
}

/** `relay::connection` over rows fetched with `first + 1`. */
function connection(rows, first, hasPrevious, cursorOf) {
  const hasNext = rows.length > first;
  const edges = (hasNext ? rows.slice(0, first) : rows).map((node) => ({
    cursor: cursorOf(node),
    node,
  }));
  return {
    edges,
    pageInfo: {
      hasPreviousPage: hasPrevious,
      hasNextPage: hasNext,
      startCursor: edges.length ? edges[0].cursor : null,
      endCursor: edges.length ? edges[edges.length - 1].cursor : null,
    },
  };
}

const nodes = (conn) => conn.edges.map((e) => e.node);

/** `child_connection`: the first page from its first-rows loader. */
async function childConnection(loader, parentId, first, after) {
  if (after !== undefined && after !== null) unsupported('`after` on child lists');
  const n = pageSize(first);
  const rows = await loader.load([parentId, n + 1]);
  return connection(rows, n, false, f.idCursor);
}

const dt = (field) => (row) => f.dateTime(row[field]);
const id = (kind) => (row) => f.encodeId(kind, row.id);

/** A product image (only external ones: the demo stores none). */
function image(row) {
  if (row.upload_id !== null) unsupported('stored (uploaded) images');
  return { url: row.url, position: row.position };
}

const resolvers = {
  Query: {
    products(_root, { sort, first, after }, { db }) {
      if (sort !== 'NEWEST') unsupported(`sort ${sort}`);
      if (after !== undefined && after !== null) unsupported('`after` on products');
      const n = pageSize(first);
      const rows = db.all(sql.PRODUCTS_NEWEST, ['ACTIVE', BigInt(n + 1)]);
      return connection(rows, n, false, f.newestCursor);
    },
    async product(_root, args, ctx) {
      const productId = f.decodeId('Product', args.id);
      if (productId === null) throw new Error('`id` is not a valid Product id');
      const found = await ctx.loaders.products.load(productId);
      if (found === null) return null;
      // A listed product is public: no round trip for its store's owner.
      if (found.status === 'ACTIVE') return found;
      // Others only for their seller and admins: never an anonymous viewer.
      await ctx.loaders.stores.load(found.store_id);
      return null;
    },
  },
  ProductConnection: { nodes },
  ShortConnection: { nodes },
  ReviewConnection: { nodes },
  Product: {
    id: id('Product'),
    inStock: (p) => p.stock > 0,
    colors: (p) => f.jsonList(p.colors, f.isString),
    seasons: (p) =>
      f.jsonList(p.seasons, f.isString).filter((s) => s === 'SPRING_FALL' || s === 'SUMMER' || s === 'WINTER'),
    fiberComposition: (p) =>
      f.jsonList(p.fiber_composition, f.isFiber).map((x) => ({ fiber: x.fiber, percent: x.percent })),
    fleece: (p) => p.fleece !== 0,
    specTags: (p) => f.jsonList(p.spec_tags, f.isString),
    options: (p) => f.jsonList(p.options, f.isString),
    rating: (p) => (p.review_count > 0 ? p.rating_avg : null),
    reviewCount: (p) => p.review_count,
    wishlistCount: (p) => p.wishlist_count,
    soldCount: (p) => p.sold_count,
    createdAt: dt('created_at'),
    updatedAt: dt('updated_at'),
    store: (p, _a, ctx) => ctx.loaders.stores.load(p.store_id),
    category: (p, _a, ctx) => ctx.loaders.categories.load(p.category_id),
    images: async (p, _a, ctx) => (await ctx.loaders.productImages.load(p.id)).map(image),
    shorts: (p, { first, after }, ctx) => childConnection(ctx.loaders.productShorts, p.id, first, after),
    reviews: (p, { first, after }, ctx) => childConnection(ctx.loaders.productReviews, p.id, first, after),
    async relatedProducts(p, { first }, ctx) {
      const n = Math.min(pageSize(first), 20);
      const candidates = await ctx.loaders.categoryPopular.load([p.category_id, n + 1]);
      return candidates.filter((c) => c.id !== p.id).slice(0, n);
    },
  },
  Store: {
    id: id('Store'),
    rating: (s) => (s.review_count > 0 ? s.rating_sum / s.review_count : null),
    reviewCount: (s) => s.review_count,
    createdAt: dt('created_at'),
  },
  Category: {
    id: id('Category'),
    nameKo: (c) => c.name_ko,
  },
  Image: {
    thumbnailUrl: () => null,
    webpUrl: () => null,
    width: () => null,
    height: () => null,
  },
  Short: {
    id: id('Short'),
    videoUrl: (s) => s.video_url,
    thumbnailUrl: (s) => {
      if (s.thumbnail_upload_id !== null) unsupported('stored thumbnails');
      return s.thumbnail_url;
    },
    durationSecs: (s) => s.duration_secs,
    viewCount: (s) => s.view_count,
    likeCount: (s) => s.like_count,
    sentiment: (s) => ({ label: s.sentiment_label, score: s.sentiment_score, provider: s.sentiment_provider }),
    createdAt: dt('created_at'),
  },
  Review: {
    id: id('Review'),
    images: (r) => f.jsonList(r.images, f.isString),
    createdAt: dt('created_at'),
    author: (r, _a, ctx) => ctx.loaders.users.load(r.user_id),
  },
  User: {
    id: id('User'),
    createdAt: dt('created_at'),
    followerCount: (u) => u.follower_count,
    followingCount: (u) => u.following_count,
  },
};

module.exports = { resolvers };
