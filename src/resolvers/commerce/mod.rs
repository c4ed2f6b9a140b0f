//! The shop over GraphQL (COM-1 … COM-11): thin resolvers over
//! [`crate::domain::commerce`].
pub mod cart_types;
pub mod content_types;
pub mod coupons;
pub mod enums;
pub mod inference_types;
pub mod inputs;
pub mod order_types;
pub mod returns;
pub mod types;
pub mod variant_types;

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

#[derive(Default)]
pub struct CommerceMutation;

#[Object]
impl CommerceMutation {
    /// Applies for a store (or re-applies after a rejection).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn apply_for_store(&self, ctx: &Context<'_>, input: ApplyForStoreInput) -> Result<Store> {
        let me = viewer(ctx).await?;
        let application = StoreApplication {
            name: input.name,
            license_number: input.license_number,
            description: input.description,
        };
        Ok(Store(
            stores::apply(&state(ctx).db, &state(ctx).events, &me.user, application).await?,
        ))
    }

    /// Approves (granting SELLER) or rejects, with a reason, a pending store.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn review_store(
        &self,
        ctx: &Context<'_>,
        id: ID,
        decision: StoreDecision,
        reason: Option<String>,
    ) -> Result<Store> {
        let id = decode_id("Store", "id", &id)?;
        let me = viewer(ctx).await?;
        let decision = match decision {
            StoreDecision::Approve => Decision::Approve,
            StoreDecision::Reject => Decision::Reject,
        };
        let s = state(ctx);
        Ok(Store(
            stores::review(&s.db, &s.events, &me.user, id, decision, reason.as_deref()).await?,
        ))
    }

    #[graphql(guard = "RoleGuard::any_of(SELLER_OR_ADMIN)")]
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        input: CreateProductInput,
    ) -> Result<Product> {
        let me = viewer(ctx).await?;
        let fields = ProductFields {
            name: Some(input.name),
            description: Some(input.description),
            price: Some(input.price),
            stock: input.stock,
            category_id: Some(decode_id("Category", "categoryId", &input.category_id)?),
            gender: Some(input.gender.into()),
            colors: Some(input.colors),
            seasons: Some(seasons(input.seasons)),
            fiber_composition: Some(fibers(input.fiber_composition)),
            elasticity: input.elasticity.map(Into::into),
            transparency: input.transparency.map(Into::into),
            fleece: Some(input.fleece),
            spec_tags: Some(input.spec_tags),
            options: (input.variants.is_none() || !input.options.is_empty())
                .then_some(input.options),
            images: Some(input.images),
            image_upload_ids: Some(ids(input.image_upload_ids)),
            variants: input
                .variants
                .map(|v| v.into_iter().map(Into::into).collect()),
        };
        let s = state(ctx);
        Ok(Product(
            catalog::create_product(&s.db, &s.events, &s.jobs, &me.user, fields).await?,
        ))
    }

    /// Changes the given fields; only the seller who owns the product.
    #[graphql(guard = "RoleGuard::any_of(SELLER_OR_ADMIN)")]
    async fn update_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateProductInput,
    ) -> Result<Product> {
        let id = decode_id("Product", "id", &id)?;
        let me = viewer(ctx).await?;
        let fields = ProductFields {
            name: input.name,
            description: input.description,
            price: input.price,
            stock: input.stock,
            category_id: input
                .category_id
                .as_ref()
                .map(|c| decode_id("Category", "categoryId", c))
                .transpose()?,
            gender: input.gender.map(Into::into),
            colors: input.colors,
            seasons: input.seasons.map(seasons),
            fiber_composition: input.fiber_composition.map(fibers),
            elasticity: input.elasticity.map(Into::into),
            transparency: input.transparency.map(Into::into),
            fleece: input.fleece,
            spec_tags: input.spec_tags,
            options: input.options,
            images: input.images,
            image_upload_ids: input.image_upload_ids.map(ids),
            variants: None,
        };
        let s = state(ctx);
        Ok(Product(
            catalog::update_product(&s.db, &s.events, &s.jobs, &me.user, id, fields).await?,
        ))
    }

    /// Sellers: ACTIVE or HIDDEN for their own products. Admins: also BLOCKED, any product.
    #[graphql(guard = "RoleGuard::any_of(SELLER_OR_ADMIN)")]
    async fn set_product_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: ProductStatus,
    ) -> Result<Product> {
        let id = decode_id("Product", "id", &id)?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        Ok(Product(
            catalog::set_status(&s.db, &s.events, &me.user, id, status.into()).await?,
        ))
    }

    /// Adds a short to one of the seller's products; its sentiment is labelled now.
    #[graphql(guard = "RoleGuard::any_of(SELLER_OR_ADMIN)")]
    async fn add_short(&self, ctx: &Context<'_>, input: AddShortInput) -> Result<Short> {
        let product_id = decode_id("Product", "productId", &input.product_id)?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        let new = shorts::NewShort {
            title: input.title,
            description: input.description,
            video_url: input.video_url,
            thumbnail_url: input.thumbnail_url,
            thumbnail_upload_id: input.thumbnail_upload_id.map(|id| id.0),
            duration_secs: input.duration_secs,
            source: input.source.into(),
        };
        Ok(Short(
            shorts::add(
                &s.db,
                &s.events,
                s.sentiment.as_ref(),
                me.id(),
                product_id,
                new,
            )
            .await?,
        ))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn like_short(&self, ctx: &Context<'_>, id: ID) -> Result<Short> {
        let id = decode_id("Short", "id", &id)?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        crate::domain::community::social::like(
            &s.db,
            &s.events,
            &me.user,
            crate::entities::like::LikeTarget::Short,
            id,
        )
        .await?;
        Ok(Short(shorts::find(&s.db, id).await?))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn unlike_short(&self, ctx: &Context<'_>, id: ID) -> Result<Short> {
        let id = decode_id("Short", "id", &id)?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        crate::domain::community::social::unlike(
            &s.db,
            &s.events,
            &me.user,
            crate::entities::like::LikeTarget::Short,
            id,
        )
        .await?;
        Ok(Short(shorts::find(&s.db, id).await?))
    }

    /// Counts a view (once per viewer per 30 minutes; anonymous views always).
    /// Returns whether this call was counted.
    async fn record_short_view(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = decode_id("Short", "id", &id)?;
        let viewer = optional_viewer(ctx).await?.map(|v| v.id());
        Ok(shorts::record_view(&state(ctx).db, viewer, id).await?)
    }

    /// Reviews a product delivered to the caller (once per product).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn create_review(&self, ctx: &Context<'_>, input: CreateReviewInput) -> Result<Review> {
        let product_id = decode_id("Product", "productId", &input.product_id)?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        let new = reviews::NewReview {
            rating: input.rating,
            body: input.body,
            images: input.images,
            photo_upload_ids: ids(input.photo_upload_ids),
        };
        Ok(Review(
            reviews::create(&s.db, &s.events, me.id(), product_id, new).await?,
        ))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn add_to_wishlist(&self, ctx: &Context<'_>, product_id: ID) -> Result<Product> {
        let product_id = decode_id("Product", "productId", &product_id)?;
        let me = viewer(ctx).await?;
        let db = &state(ctx).db;
        carts::add_to_wishlist(db, me.id(), product_id).await?;
        Ok(Product(carts::active_product(db, product_id).await?))
    }

    /// Returns whether an entry was removed.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn remove_from_wishlist(&self, ctx: &Context<'_>, product_id: ID) -> Result<bool> {
        let product_id = decode_id("Product", "productId", &product_id)?;
        let me = viewer(ctx).await?;
        Ok(carts::remove_from_wishlist(&state(ctx).db, me.id(), product_id).await?)
    }

    /// Adds to the cart (merging with the same product and option); returns the cart.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn add_to_cart(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        option: Option<String>,
        #[graphql(default = 1)] quantity: i32,
    ) -> Result<Cart> {
        let product_id = decode_id("Product", "productId", &product_id)?;
        let me = viewer(ctx).await?;
        carts::add_to_cart(
            &state(ctx).db,
            me.id(),
            product_id,
            option.as_deref(),
            quantity,
        )
        .await?;
        load_cart(ctx, me.id()).await
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn update_cart_item(&self, ctx: &Context<'_>, id: ID, quantity: i32) -> Result<Cart> {
        let id = decode_id("CartItem", "id", &id)?;
        let me = viewer(ctx).await?;
        carts::update_quantity(&state(ctx).db, me.id(), id, quantity).await?;
        load_cart(ctx, me.id()).await
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn remove_from_cart(&self, ctx: &Context<'_>, id: ID) -> Result<Cart> {
        let id = decode_id("CartItem", "id", &id)?;
        let me = viewer(ctx).await?;
        carts::remove(&state(ctx).db, me.id(), id).await?;
        load_cart(ctx, me.id()).await
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn create_custom_cart(
        &self,
        ctx: &Context<'_>,
        input: CreateCustomCartInput,
    ) -> Result<CustomCart> {
        let me = viewer(ctx).await?;
        Ok(CustomCart(
            custom_carts::create(
                &state(ctx).db,
                me.id(),
                &input.title,
                input.description.as_deref(),
                input.visibility.into(),
            )
            .await?,
        ))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn update_custom_cart(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateCustomCartInput,
    ) -> Result<CustomCart> {
        let id = decode_id("CustomCart", "id", &id)?;
        let me = viewer(ctx).await?;
        let update = custom_carts::CartUpdate {
            title: input.title,
            description: input.description,
            visibility: input.visibility.map(Into::into),
            regenerate_slug: input.regenerate_share_slug,
        };
        Ok(CustomCart(
            custom_carts::update(&state(ctx).db, me.id(), id, update).await?,
        ))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn add_custom_cart_item(
        &self,
        ctx: &Context<'_>,
        input: AddCustomCartItemInput,
    ) -> Result<CustomCart> {
        let cart_id = decode_id("CustomCart", "customCartId", &input.custom_cart_id)?;
        let product_id = decode_id("Product", "productId", &input.product_id)?;
        let me = viewer(ctx).await?;
        let db = &state(ctx).db;
        let item = custom_carts::NewItem {
            product_id,
            option: input.option.as_deref(),
            quantity: input.quantity,
            note: input.note.as_deref(),
        };
        custom_carts::add_item(db, me.id(), cart_id, item).await?;
        let cart = custom_carts::find_readable(db, &CartRef::Id(cart_id), Some(&me.user))
            .await?
            .ok_or_else(|| AppError::not_found("CustomCart"))?;
        Ok(CustomCart(cart))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn remove_custom_cart_item(&self, ctx: &Context<'_>, id: ID) -> Result<CustomCart> {
        let id = decode_id("CustomCartItem", "id", &id)?;
        let me = viewer(ctx).await?;
        Ok(CustomCart(
            custom_carts::remove_item(&state(ctx).db, me.id(), id).await?,
        ))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn delete_custom_cart(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = decode_id("CustomCart", "id", &id)?;
        let me = viewer(ctx).await?;
        custom_carts::delete(&state(ctx).db, me.id(), id).await?;
        Ok(true)
    }

    /// Copies every buyable item of a readable custom cart into the caller's cart.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn add_custom_cart_to_cart(
        &self,
        ctx: &Context<'_>,
        by: CustomCartRefInput,
    ) -> Result<AddCustomCartToCartPayload> {
        let by = by.into_domain()?;
        let me = viewer(ctx).await?;
        let outcome = custom_carts::copy_to_cart(&state(ctx).db, &me.user, &by).await?;
        Ok(AddCustomCartToCartPayload {
            cart: load_cart(ctx, me.id()).await?,
            added: outcome.added.len() as i32,
            skipped: outcome
                .skipped
                .iter()
                .map(|(p, r)| SkippedItem::new(*p, r))
                .collect(),
        })
    }

    /// Places an order in one transaction. Retrying with the same
    /// `idempotencyKey` and input returns the same order.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn place_order(
        &self,
        ctx: &Context<'_>,
        mut input: PlaceOrderInput,
        idempotency_key: String,
    ) -> Result<Order> {
        let me = viewer(ctx).await?;
        let delivery = input.delivery()?;
        let from = match input.from {
            OrderSourceInput::Cart(true) => orders::OrderFrom::Cart,
            OrderSourceInput::Cart(false) => {
                return Err(AppError::validation(
                    "from",
                    "`cart: true` orders the cart; choose another source otherwise",
                )
                .into());
            }
            OrderSourceInput::CustomCart(by) => orders::OrderFrom::CustomCart(by.into_domain()?),
            OrderSourceInput::Lines(lines) => orders::OrderFrom::Lines(
                lines
                    .into_iter()
                    .map(|l| {
                        Ok(orders::RequestedLine {
                            product_id: decode_id("Product", "productId", &l.product_id)?,
                            option: l.option.unwrap_or_default().trim().to_owned(),
                            quantity: l.quantity,
                        })
                    })
                    .collect::<Result<Vec<_>, AppError>>()?,
            ),
        };
        let s = state(ctx);
        let placed =
            orders::place(&s.db, &s.events, &me.user, from, delivery, &idempotency_key).await?;
        Ok(Order::whole(placed))
    }

    /// Cancels an order that has not shipped; stock is restored.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn cancel_order(&self, ctx: &Context<'_>, id: ID) -> Result<Order> {
        let id = decode_id("Order", "id", &id)?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        Ok(Order::whole(
            orders::cancel(&s.db, &s.events, &s.jobs, &me.user, id).await?,
        ))
    }

    /// Moves a line one step (PENDING_PAYMENT → PAID → SHIPPED → DELIVERED):
    /// the line's seller or an admin. SHIPPED needs `carrier` and
    /// `trackingNumber`; the buyer then sees them with a tracking link.
    #[graphql(guard = "RoleGuard::any_of(SELLER_OR_ADMIN)")]
    async fn advance_order_line(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: OrderStatus,
        #[graphql(desc = "With SHIPPED: who carries it.")] carrier: Option<Carrier>,
        #[graphql(desc = "With SHIPPED: the carrier's tracking number.")] tracking_number: Option<
            String,
        >,
    ) -> Result<OrderLine> {
        let id = decode_id("OrderLine", "id", &id)?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        let shipment = match (carrier, tracking_number) {
            (Some(carrier), Some(tracking_number)) => Some(orders::Shipment {
                carrier: carrier.into(),
                tracking_number,
            }),
            (None, None) => None,
            _ => {
                return Err(AppError::validation(
                    "trackingNumber",
                    "give `carrier` and `trackingNumber` together",
                )
                .into());
            }
        };
        Ok(OrderLine(
            orders::advance_line(&s.db, &s.events, &me.user, id, status.into(), shipment).await?,
        ))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn ask_inquiry(&self, ctx: &Context<'_>, input: AskInquiryInput) -> Result<Inquiry> {
        let store_id = decode_id("Store", "storeId", &input.store_id)?;
        let product_id = input
            .product_id
            .as_ref()
            .map(|p| decode_id("Product", "productId", p))
            .transpose()?;
        let me = viewer(ctx).await?;
        Ok(Inquiry(
            inquiries::ask(
                &state(ctx).db,
                &me.user,
                store_id,
                product_id,
                &input.subject,
                &input.body,
            )
            .await?,
        ))
    }

    /// The store (or an admin) answers; the buyer is notified.
    #[graphql(guard = "RoleGuard::any_of(SELLER_OR_ADMIN)")]
    async fn answer_inquiry(&self, ctx: &Context<'_>, id: ID, answer: String) -> Result<Inquiry> {
        let id = decode_id("Inquiry", "id", &id)?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        Ok(Inquiry(
            inquiries::answer(&s.db, &s.events, &me.user, id, &answer).await?,
        ))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn close_inquiry(&self, ctx: &Context<'_>, id: ID) -> Result<Inquiry> {
        let id = decode_id("Inquiry", "id", &id)?;
        let me = viewer(ctx).await?;
        Ok(Inquiry(
            inquiries::close(&state(ctx).db, &me.user, id).await?,
        ))
    }
}

/// Upload ids as given (the domain parses and checks them).
fn ids(raw: Vec<ID>) -> Vec<String> {
    raw.into_iter().map(|id| id.0).collect()
}
