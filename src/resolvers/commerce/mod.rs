//! The shop over GraphQL (COM-1 … COM-11): thin resolvers over
//! [`crate::domain::commerce`].
pub mod cart_types;
pub mod content_types;
pub mod coupons;
pub mod enums;
pub mod inference_types;
pub mod inputs;
mod mutations;
pub mod order_types;
pub mod returns;
pub mod types;
pub mod variant_types;

pub use mutations::CommerceMutation;

use async_graphql::{
    Context, ID, Object, Result,
    connection::{Connection, EmptyFields},
};
use chrono::NaiveDate;

use self::{inputs::*, types::*};
use super::context::{loaders, optional_viewer, state, viewer, viewer_user};
use crate::{
    auth::RoleGuard,
    domain::commerce::{
        carts,
        catalog::{self, ProductFields},
        custom_carts::{self, CartRef},
        inquiries,
        orders::{self, LineScope},
        reviews, shorts, stats,
        stores::{self, Decision, StoreApplication},
    },
    entities::{
        product as product_entity, store::StoreStatus as StoreStatusEntity, user::Role as UserRole,
    },
    error::AppError,
    resolvers::relay::{PageArgs, connection, decode_id},
};

const SELLER_OR_ADMIN: &[UserRole] = &[UserRole::Seller, UserRole::Admin];

async fn load_cart(ctx: &Context<'_>, user_id: i64) -> Result<Cart> {
    let lines = carts::lines(&state(ctx).db, user_id).await?;
    let products = loaders(ctx)
        .products
        .load_many(lines.iter().map(|l| l.product_id))
        .await?;
    let variants = loaders(ctx)
        .product_variants
        .load_many(lines.iter().map(|l| l.product_id))
        .await?;
    let items: Vec<CartItem> = lines
        .into_iter()
        .map(|line| CartItem {
            product: products.get(&line.product_id).cloned(),
            variant: variants
                .get(&line.product_id)
                .and_then(|all| all.iter().find(|v| v.label == line.option_value).cloned()),
            line,
        })
        .collect();
    let coupon = coupons::cart_coupon(ctx, user_id, &items).await?;
    let shipping_fee = cart_shipping(ctx, &items).await?;
    Ok(Cart {
        items,
        coupon,
        shipping_fee,
    })
}

/// What `placeOrder` would charge for shipping the cart's available lines.
async fn cart_shipping(ctx: &Context<'_>, items: &[CartItem]) -> Result<i64> {
    let lines: Vec<(i64, i64)> = items
        .iter()
        .filter(|i| i.available_now())
        .filter_map(|i| i.product.as_ref().map(|p| (p.store_id, i.line_total_now())))
        .collect();
    let stores = loaders(ctx)
        .stores
        .load_many(lines.iter().map(|(store_id, _)| *store_id))
        .await?;
    Ok(crate::domain::commerce::pricing::shipping_total(
        lines, &stores,
    ))
}

#[derive(Default)]
pub struct CommerceQuery;

#[Object]
impl CommerceQuery {
    /// The clothing taxonomy's top level; walk down with `children`.
    async fn categories(&self, ctx: &Context<'_>) -> Result<Vec<Category>> {
        Ok(catalog::categories(&state(ctx).db)
            .await?
            .into_iter()
            .filter(|c| c.parent_id.is_none())
            .map(Category)
            .collect())
    }

    /// The catalogue: ACTIVE products with filters, sort and cursor pagination.
    async fn products(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProductFilterInput>,
        #[graphql(default_with = "ProductSort::Newest")] sort: ProductSort,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Product>> {
        let filter = filter.unwrap_or_default().into_domain()?;
        product_page(ctx, filter, sort, first, after).await
    }

    /// A product page; hidden products only for their seller and admins.
    async fn product(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Product>> {
        let id = decode_id("Product", "id", &id)?;
        let Some(found) = loaders(ctx).products.load_one(id).await? else {
            return Ok(None);
        };
        // A listed product is public: no round trip for its store's owner.
        if catalog::visible_to(&found, None, None) {
            return Ok(Some(Product(found)));
        }
        let owner = loaders(ctx)
            .stores
            .load_one(found.store_id)
            .await?
            .map(|s| s.owner_id);
        let viewer = viewer_user(ctx).await?;
        Ok(catalog::visible_to(&found, owner, viewer.as_ref()).then_some(Product(found)))
    }

    /// A brand page; stores not yet approved only for their owner and admins.
    async fn store(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Store>> {
        let id = decode_id("Store", "id", &id)?;
        let Some(found) = loaders(ctx).stores.load_one(id).await? else {
            return Ok(None);
        };
        let viewer = viewer_user(ctx).await?;
        Ok(stores::visible_to(&found, viewer.as_ref()).then_some(Store(found)))
    }

    /// Approved stores, newest first.
    async fn stores(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Store>> {
        let page = PageArgs::new(first, after)?;
        crate::resolvers::blocks::read_before_nodes(ctx, &["shorts", "reviews", "products"])
            .await?;
        let rows = stores::list(
            &state(ctx).db,
            stores::StoreFilter {
                status: StoreStatusEntity::Approved,
                oldest_first: false,
            },
            page.after_key()?,
            page.fetch_limit(),
        )
        .await?;
        Ok(connection(&page, rows, EmptyFields, |s| s.id, Store))
    }

    /// Applications awaiting review, oldest first (admins).
    #[graphql(guard = "RoleGuard::admin()")]
    async fn pending_stores(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Store>> {
        let page = PageArgs::new(first, after)?;
        let rows = stores::list(
            &state(ctx).db,
            stores::StoreFilter {
                status: StoreStatusEntity::Pending,
                oldest_first: true,
            },
            page.after_key()?,
            page.fetch_limit(),
        )
        .await?;
        Ok(connection(&page, rows, EmptyFields, |s| s.id, Store))
    }

    /// The caller's own store, whatever its status.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn my_store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        let me = viewer(ctx).await?;
        Ok(stores::owned_by(&state(ctx).db, me.id()).await?.map(Store))
    }

    /// Every product of the seller's store, hidden ones included.
    #[graphql(guard = "RoleGuard::any_of(SELLER_OR_ADMIN)")]
    async fn my_store_products(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "ProductSort::Newest")] sort: ProductSort,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Product>> {
        let me = viewer(ctx).await?;
        let store = stores::selling_store(&state(ctx).db, &me.user).await?;
        let filter = catalog::ProductFilter {
            store_id: Some(store.id),
            statuses: Some(vec![
                product_entity::ProductStatus::Active,
                product_entity::ProductStatus::Hidden,
                product_entity::ProductStatus::Blocked,
            ]),
            ..Default::default()
        };
        product_page(ctx, filter, sort, first, after).await
    }

    /// Orders that contain the seller's products (only their lines shown).
    #[graphql(guard = "RoleGuard::any_of(SELLER_OR_ADMIN)")]
    async fn my_store_orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Order>> {
        let page = PageArgs::new(first, after)?;
        let me = viewer(ctx).await?;
        let store = stores::selling_store(&state(ctx).db, &me.user).await?;
        let filter = orders::OrderFilter {
            store_id: Some(store.id),
            ..Default::default()
        };
        let rows = orders::list(
            &state(ctx).db,
            filter,
            page.after_key()?,
            page.fetch_limit(),
        )
        .await?;
        Ok(order_connection(&page, rows, LineScope::Store(store.id)))
    }

    /// Every product in any status, for moderation (admins).
    #[graphql(guard = "RoleGuard::admin()")]
    async fn admin_products(
        &self,
        ctx: &Context<'_>,
        status: Option<ProductStatus>,
        filter: Option<ProductFilterInput>,
        #[graphql(default_with = "ProductSort::Newest")] sort: ProductSort,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Product>> {
        let mut filter = filter.unwrap_or_default().into_domain()?;
        filter.statuses = Some(match status {
            Some(s) => vec![s.into()],
            None => vec![
                product_entity::ProductStatus::Active,
                product_entity::ProductStatus::Hidden,
                product_entity::ProductStatus::Blocked,
            ],
        });
        product_page(ctx, filter, sort, first, after).await
    }

    /// Shorts of one product, newest first.
    async fn shorts(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Short>> {
        let product_id = decode_id("Product", "productId", &product_id)?;
        let page = PageArgs::new(first, after)?;
        let product = loaders(ctx).products.load_one(product_id).await?;
        let owner = match &product {
            Some(p) => loaders(ctx)
                .stores
                .load_one(p.store_id)
                .await?
                .map(|s| s.owner_id),
            None => None,
        };
        let viewer = viewer_user(ctx).await?;
        if !product.is_some_and(|p| catalog::visible_to(&p, owner, viewer.as_ref())) {
            return Err(AppError::not_found("Product").into());
        }
        let rows = shorts::of_product(
            &state(ctx).db,
            product_id,
            &*crate::resolvers::blocks::hidden(ctx).await?,
            page.after_key()?,
            page.fetch_limit(),
        )
        .await?;
        Ok(connection(&page, rows, EmptyFields, |s| s.id, Short))
    }

    /// The global shorts feed, ranked for the viewer (see `feed_score`).
    async fn shorts_feed(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Short>> {
        let page = PageArgs::new(first, after)?;
        let cursor: Option<shorts::FeedCursor> = page.after_key()?;
        let viewer = optional_viewer(ctx).await?.map(|v| v.id());
        let hidden = crate::resolvers::blocks::hidden(ctx).await?;
        let ranked = shorts::feed(
            &state(ctx).db,
            viewer,
            &hidden,
            cursor.as_ref(),
            page.fetch_limit(),
        )
        .await?;
        Ok(connection(
            &page,
            ranked,
            EmptyFields,
            |(s, score)| shorts::FeedCursor {
                score: *score,
                id: s.id,
            },
            |(s, _)| Short(s),
        ))
    }

    /// Reviews of a product, newest first.
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Review>> {
        let product_id = decode_id("Product", "productId", &product_id)?;
        let page = PageArgs::new(first, after)?;
        let filter = reviews::ReviewFilter {
            product_id: Some(product_id),
            ..Default::default()
        };
        let rows = reviews::list(
            &state(ctx).db,
            filter,
            &*crate::resolvers::blocks::hidden(ctx).await?,
            page.after_key()?,
            page.fetch_limit(),
        )
        .await?;
        Ok(connection(&page, rows, EmptyFields, |r| r.id, Review))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn my_wishlist(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, WishlistEntry>> {
        let page = PageArgs::new(first, after)?;
        let me = viewer(ctx).await?;
        let rows = carts::wishlist(
            &state(ctx).db,
            me.id(),
            page.after_key()?,
            page.fetch_limit(),
        )
        .await?;
        Ok(connection(
            &page,
            rows,
            EmptyFields,
            |w| w.id,
            |w| WishlistEntry::new(w.created_at, w.product_id),
        ))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn my_cart(&self, ctx: &Context<'_>) -> Result<Cart> {
        let me = viewer(ctx).await?;
        load_cart(ctx, me.id()).await
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn my_custom_carts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, CustomCart>> {
        let page = PageArgs::new(first, after)?;
        let me = viewer(ctx).await?;
        let rows = custom_carts::list_owned(
            &state(ctx).db,
            me.id(),
            page.after_key()?,
            page.fetch_limit(),
        )
        .await?;
        Ok(connection(&page, rows, EmptyFields, |c| c.id, CustomCart))
    }

    /// A custom cart by id (owner, or anyone when PUBLIC) or by share slug
    /// (anyone, unless PRIVATE); `null` when the caller may not read it.
    async fn custom_cart(
        &self,
        ctx: &Context<'_>,
        by: CustomCartRefInput,
    ) -> Result<Option<CustomCart>> {
        let by = by.into_domain()?;
        let viewer = viewer_user(ctx).await?;
        Ok(
            custom_carts::find_readable(&state(ctx).db, &by, viewer.as_ref())
                .await?
                .map(CustomCart),
        )
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn my_orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Order>> {
        let page = PageArgs::new(first, after)?;
        let me = viewer(ctx).await?;
        let filter = orders::OrderFilter {
            buyer_id: Some(me.id()),
            ..Default::default()
        };
        let rows = orders::list(
            &state(ctx).db,
            filter,
            page.after_key()?,
            page.fetch_limit(),
        )
        .await?;
        Ok(order_connection(&page, rows, LineScope::All))
    }

    /// Every order on the platform, newest first (admins).
    #[graphql(guard = "RoleGuard::admin()")]
    async fn admin_orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Order>> {
        let page = PageArgs::new(first, after)?;
        let rows = orders::list(
            &state(ctx).db,
            orders::OrderFilter::default(),
            page.after_key()?,
            page.fetch_limit(),
        )
        .await?;
        Ok(order_connection(&page, rows, LineScope::All))
    }

    /// An order for its buyer, an admin, or a seller with lines in it.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn order(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Order>> {
        let id = decode_id("Order", "id", &id)?;
        let me = viewer(ctx).await?;
        let found = orders::find_for(&state(ctx).db, &me.user, id).await?;
        Ok(found.map(|(model, lines)| Order { model, lines }))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn my_inquiries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Inquiry>> {
        let page = PageArgs::new(first, after)?;
        let me = viewer(ctx).await?;
        let filter = inquiries::InquiryFilter {
            buyer_id: Some(me.id()),
            ..Default::default()
        };
        let rows = inquiries::list(
            &state(ctx).db,
            filter,
            page.after_key()?,
            page.fetch_limit(),
        )
        .await?;
        Ok(connection(&page, rows, EmptyFields, |i| i.id, Inquiry))
    }

    /// Inquiries to the seller's store (admins: to any store, with `storeId`).
    #[graphql(guard = "RoleGuard::any_of(SELLER_OR_ADMIN)")]
    async fn store_inquiries(
        &self,
        ctx: &Context<'_>,
        store_id: Option<ID>,
        status: Option<InquiryStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Inquiry>> {
        let page = PageArgs::new(first, after)?;
        let me = viewer(ctx).await?;
        let db = &state(ctx).db;
        let store_id = match (me.is_admin(), store_id) {
            (true, Some(id)) => Some(decode_id("Store", "storeId", &id)?),
            (true, None) => None,
            (false, _) => Some(stores::selling_store(db, &me.user).await?.id),
        };
        let filter = inquiries::InquiryFilter {
            store_id,
            status: status.map(Into::into),
            ..Default::default()
        };
        let rows = inquiries::list(db, filter, page.after_key()?, page.fetch_limit()).await?;
        Ok(connection(&page, rows, EmptyFields, |i| i.id, Inquiry))
    }

    /// Sign-ups, orders, revenue, top products and active users per UTC day (admins).
    #[graphql(guard = "RoleGuard::admin()")]
    async fn platform_stats(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<PlatformStats> {
        Ok(stats::platform_stats(&state(ctx).db, from, to)
            .await?
            .into())
    }
}
