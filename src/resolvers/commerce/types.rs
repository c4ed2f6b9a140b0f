//! GraphQL output types of the shop. Every edge to another row goes through a
//! request-scoped DataLoader.
use async_graphql::{
    ComplexObject, Context, ID, Json, Object, Result, SimpleObject,
    connection::{Connection, EmptyFields},
};
use chrono::{DateTime, NaiveDate, Utc};

use crate::{
    domain::commerce::{
        catalog::{self, Fiber, ProductCursor, ProductSort as DomainSort, json_list},
        orders::LineScope,
        reviews, shorts as short_domain, stats, stores,
    },
    entities::{category, inquiry, order as order_entity, product, store},
    resolvers::{
        accounts::User,
        context::{child_connection, in_viewer_set, loaders, state, viewer_user},
        loaders::ViewerSet,
        relay::{PageArgs, connection, encode_id},
        uploads::Image,
    },
};

pub use super::{
    cart_types::*, content_types::*, enums::*, order_types::*, variant_types::ProductVariant,
};

/// A brand page (COM-1).
pub struct Store(pub store::Model);

#[Object]
impl Store {
    async fn id(&self) -> ID {
        encode_id("Store", self.0.id)
    }
    /// Charged once per order with this store's lines, KRW.
    async fn shipping_fee(&self) -> i64 {
        self.0.shipping_fee
    }
    /// From this subtotal of the store's lines on, shipping is free.
    async fn free_shipping_threshold(&self) -> Option<i64> {
        self.0.free_shipping_threshold
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn status(&self) -> StoreStatus {
        self.0.status.into()
    }
    /// Average rating over every review of the store's products; null before the first.
    async fn rating(&self) -> Option<f64> {
        (self.0.review_count > 0).then(|| self.0.rating_sum as f64 / self.0.review_count as f64)
    }
    async fn review_count(&self) -> i64 {
        self.0.review_count
    }
    /// The logo (`setStoreLogo`), with its thumbnail; null when none.
    async fn logo(&self, ctx: &Context<'_>) -> Result<Option<Image>> {
        Image::of_upload(ctx, self.0.logo_upload_id.as_ref(), 0).await
    }
    /// The logo's URL; null when none.
    async fn logo_url(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        crate::resolvers::uploads::upload_url(ctx, self.0.logo_upload_id.as_ref()).await
    }
    /// schema.org `Organization` JSON-LD of its public page; null unless
    /// approved.
    async fn structured_data(&self, ctx: &Context<'_>) -> Option<Json<serde_json::Value>> {
        crate::resolvers::seo::store(ctx, self)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Owner and admins only.
    async fn license_number(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        Ok(self
            .privileged(ctx)
            .await?
            .then_some(self.0.license_number.as_str()))
    }
    /// Why the application was rejected (owner and admins).
    async fn review_reason(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        Ok(self
            .privileged(ctx)
            .await?
            .then_some(self.0.review_reason.as_deref())
            .flatten())
    }
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(loaders(ctx)
            .users
            .load_one(self.0.owner_id)
            .await?
            .map(User::new))
    }
    /// The store's ACTIVE products.
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(default_with = "ProductSort::Newest")] sort: ProductSort,
    ) -> Result<Connection<String, Product>> {
        if sort == ProductSort::Newest && after.is_none() {
            // The first page of every store in a list comes in one batch.
            let page = PageArgs::new(first, None)?;
            let rows = loaders(ctx)
                .store_products
                .load_one((self.0.id, page.fetch_limit()))
                .await?
                .unwrap_or_default();
            let sort: DomainSort = sort.into();
            return Ok(connection(
                &page,
                rows,
                EmptyFields,
                |p| sort.cursor(p),
                Product,
            ));
        }
        let filter = catalog::ProductFilter {
            store_id: Some(self.0.id),
            ..Default::default()
        };
        product_page(ctx, filter, sort, first, after).await
    }
    /// Newest first.
    async fn shorts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Short>> {
        // Read before the first-page loader runs: it leaves these authors out.
        let hidden = crate::resolvers::blocks::hidden(ctx).await?;
        let later = |after_id, limit| async move {
            short_domain::of_store(&state(ctx).db, self.0.id, &hidden, Some(after_id), limit).await
        };
        let first_rows = &loaders(ctx).store_shorts;
        child_connection(first, after, first_rows, self.0.id, later, Short).await
    }
    /// Reviews of every product of the store, newest first.
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Review>> {
        // Read before the first-page loader runs: it leaves these authors out.
        let hidden = crate::resolvers::blocks::hidden(ctx).await?;
        let later = |after_id, limit| async move {
            let filter = reviews::ReviewFilter {
                store_id: Some(self.0.id),
                ..Default::default()
            };
            reviews::list(&state(ctx).db, filter, &hidden, Some(after_id), limit).await
        };
        let first_rows = &loaders(ctx).store_reviews;
        child_connection(first, after, first_rows, self.0.id, later, Review).await
    }
}

impl Store {
    async fn privileged(&self, ctx: &Context<'_>) -> Result<bool> {
        let viewer = viewer_user(ctx).await?;
        Ok(stores::sees_private_fields(&self.0, viewer.as_ref()))
    }
}

/// One node of the clothing taxonomy (COM-2).
pub struct Category(pub category::Model);

#[Object]
impl Category {
    async fn id(&self) -> ID {
        encode_id("Category", self.0.id)
    }
    /// The seed's code, e.g. `01outer_01coat`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn name_ko(&self) -> &str {
        &self.0.name_ko
    }
    async fn depth(&self) -> i32 {
        self.0.depth
    }
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Category>> {
        match self.0.parent_id {
            Some(pid) => Ok(loaders(ctx).categories.load_one(pid).await?.map(Category)),
            None => Ok(None),
        }
    }
    /// Direct children, in taxonomy order (the tree is small and fixed).
    async fn children(&self, ctx: &Context<'_>) -> Result<Vec<Category>> {
        Ok(loaders(ctx)
            .category_children
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Category)
            .collect())
    }
}

#[derive(SimpleObject)]
pub struct FiberShare {
    fiber: String,
    percent: i32,
}

/// A product (COM-3).
pub struct Product(pub product::Model);

#[Object]
impl Product {
    async fn id(&self) -> ID {
        encode_id("Product", self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// KRW.
    async fn price(&self) -> i64 {
        self.0.price
    }
    async fn stock(&self) -> i64 {
        self.0.stock
    }
    async fn in_stock(&self) -> bool {
        self.0.stock > 0
    }
    async fn gender(&self) -> ProductGender {
        self.0.gender.into()
    }
    async fn colors(&self) -> Vec<String> {
        json_list(&self.0.colors)
    }
    async fn seasons(&self) -> Vec<Season> {
        json_list::<String>(&self.0.seasons)
            .iter()
            .filter_map(|s| Season::parse(s))
            .collect()
    }
    async fn fiber_composition(&self) -> Vec<FiberShare> {
        json_list::<Fiber>(&self.0.fiber_composition)
            .into_iter()
            .map(|f| FiberShare {
                fiber: f.fiber,
                percent: f.percent,
            })
            .collect()
    }
    async fn elasticity(&self) -> Degree {
        self.0.elasticity.into()
    }
    async fn transparency(&self) -> Degree {
        self.0.transparency.into()
    }
    async fn fleece(&self) -> bool {
        self.0.fleece
    }
    /// Free-form "reinforced feature" tags.
    async fn spec_tags(&self) -> Vec<String> {
        json_list(&self.0.spec_tags)
    }
    /// Options a buyer picks from (sizes); empty when none.
    /// The variants' labels ("M", "M / Black"); empty without options.
    async fn options(&self) -> Vec<String> {
        json_list(&self.0.options)
    }
    /// Sizes × colours with their own SKU, stock and price.
    async fn variants(&self, ctx: &Context<'_>) -> Result<Vec<ProductVariant>> {
        Ok(loaders(ctx)
            .product_variants
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(ProductVariant)
            .collect())
    }
    async fn status(&self) -> ProductStatus {
        self.0.status.into()
    }
    /// Average review rating; null before the first review.
    async fn rating(&self) -> Option<f64> {
        (self.0.review_count > 0).then_some(self.0.rating_avg)
    }
    async fn review_count(&self) -> i64 {
        self.0.review_count
    }
    async fn wishlist_count(&self) -> i64 {
        self.0.wishlist_count
    }
    async fn sold_count(&self) -> i64 {
        self.0.sold_count
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// schema.org `Product` JSON-LD (offers, brand, images, rating) of its
    /// public page; null unless on sale.
    async fn structured_data(&self, ctx: &Context<'_>) -> Result<Option<Json<serde_json::Value>>> {
        crate::resolvers::seo::product(ctx, self).await
    }
    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        Ok(loaders(ctx)
            .stores
            .load_one(self.0.store_id)
            .await?
            .map(Store))
    }
    async fn category(&self, ctx: &Context<'_>) -> Result<Option<Category>> {
        Ok(loaders(ctx)
            .categories
            .load_one(self.0.category_id)
            .await?
            .map(Category))
    }
    /// Attributes inferred from its name, description and first image
    /// (ML-1), kept apart from what the seller entered; null until inferred.
    async fn inferred_attributes(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<super::inference_types::InferredAttributes>> {
        Ok(loaders(ctx)
            .product_inferences
            .load_one(self.0.id)
            .await?
            .map(super::inference_types::InferredAttributes))
    }
    /// Hex colours of its first image, largest share first (COMM-3); empty
    /// until analysed, and for images stored elsewhere.
    async fn palette(&self) -> Vec<String> {
        self.0
            .palette
            .as_deref()
            .map(catalog::json_list)
            .unwrap_or_default()
    }
    /// The mood of its first image's colours (COMM-3); null until analysed.
    async fn color_theme(&self) -> Option<crate::resolvers::color::ColorTheme> {
        crate::resolvers::color::ColorTheme::of(self.0.color_theme.as_deref())
    }
    /// Stored photos (with thumbnails and WebP variants) first, then
    /// external ones.
    pub async fn images(&self, ctx: &Context<'_>) -> Result<Vec<Image>> {
        let rows = loaders(ctx)
            .product_images
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let stored = loaders(ctx)
            .uploads
            .load_many(rows.iter().filter_map(|r| r.upload_id.clone()))
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| match &r.upload_id {
                Some(id) => stored
                    .get(id)
                    .map(|u| Image::stored(ctx, u.clone(), r.position)),
                None => Some(Image::external(r.url, r.position)),
            })
            .collect())
    }
    /// Newest first. The first page of every product in a list is loaded in one batch.
    async fn shorts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Short>> {
        // Read before the first-page loader runs: it leaves these authors out.
        let hidden = crate::resolvers::blocks::hidden(ctx).await?;
        let later = |after_id, limit| async move {
            let db = &state(ctx).db;
            short_domain::of_product(db, self.0.id, &hidden, Some(after_id), limit).await
        };
        let first_rows = &loaders(ctx).product_shorts;
        child_connection(first, after, first_rows, self.0.id, later, Short).await
    }
    /// Newest first.
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Review>> {
        // Read before the first-page loader runs: it leaves these authors out.
        let hidden = crate::resolvers::blocks::hidden(ctx).await?;
        let later = |after_id, limit| async move {
            let filter = reviews::ReviewFilter {
                product_id: Some(self.0.id),
                ..Default::default()
            };
            reviews::list(&state(ctx).db, filter, &hidden, Some(after_id), limit).await
        };
        let first_rows = &loaders(ctx).product_reviews;
        child_connection(first, after, first_rows, self.0.id, later, Review).await
    }
    /// Up to 20 ACTIVE products of the same category, most popular first.
    async fn related_products(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 6)] first: i32,
    ) -> Result<Vec<Product>> {
        let first = PageArgs::new(Some(first), None)?.first.min(20);
        let candidates = loaders(ctx)
            .category_popular
            .load_one((self.0.category_id, first + 1))
            .await?
            .unwrap_or_default();
        Ok(candidates
            .into_iter()
            .filter(|p| p.id != self.0.id)
            .take(first as usize)
            .map(Product)
            .collect())
    }
    /// Whether the viewer has it in their wishlist (false when anonymous).
    async fn in_my_wishlist(&self, ctx: &Context<'_>) -> Result<bool> {
        in_viewer_set(ctx, ViewerSet::Wishlist, self.0.id).await
    }
    /// How many custom carts include this product (its seller and admins; null for others).
    async fn custom_cart_count(&self, ctx: &Context<'_>) -> Result<Option<i64>> {
        let Some(viewer) = viewer_user(ctx).await? else {
            return Ok(None);
        };
        let owner = loaders(ctx)
            .stores
            .load_one(self.0.store_id)
            .await?
            .map(|s| s.owner_id);
        if !catalog::managed_by(owner, Some(&viewer)) {
            return Ok(None);
        }
        Ok(loaders(ctx).custom_cart_counts.load_one(self.0.id).await?)
    }
}

/// One page of products; the cursor carries the sort key.
pub async fn product_page(
    ctx: &Context<'_>,
    filter: catalog::ProductFilter,
    sort: ProductSort,
    first: Option<i32>,
    after: Option<String>,
) -> Result<Connection<String, Product>> {
    let page = PageArgs::new(first, after)?;
    let sort: DomainSort = sort.into();
    let cursor: Option<ProductCursor> = page.after_key()?;
    crate::resolvers::blocks::read_before_nodes(ctx, &["shorts", "reviews"]).await?;
    let rows = catalog::list_products(
        &state(ctx).reads,
        &filter,
        sort,
        cursor.as_ref(),
        page.fetch_limit(),
    )
    .await?;
    Ok(connection(
        &page,
        rows,
        EmptyFields,
        |p| sort.cursor(p),
        Product,
    ))
}

/// A wishlist entry: when it was added, and the product.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct WishlistEntry {
    added_at: DateTime<Utc>,
    #[graphql(skip)]
    product_id: i64,
}

impl WishlistEntry {
    pub fn new(added_at: DateTime<Utc>, product_id: i64) -> Self {
        Self {
            added_at,
            product_id,
        }
    }
}

#[ComplexObject]
impl WishlistEntry {
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        Ok(loaders(ctx)
            .products
            .load_one(self.product_id)
            .await?
            .map(Product))
    }
}

/// A 1:1 inquiry (COM-10).
pub struct Inquiry(pub inquiry::Model);

#[Object]
impl Inquiry {
    async fn id(&self) -> ID {
        encode_id("Inquiry", self.0.id)
    }
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn answer(&self) -> Option<&str> {
        self.0.answer.as_deref()
    }
    async fn status(&self) -> InquiryStatus {
        self.0.status.into()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn answered_at(&self) -> Option<DateTime<Utc>> {
        self.0.answered_at
    }
    async fn buyer(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(loaders(ctx)
            .users
            .load_one(self.0.buyer_id)
            .await?
            .map(User::new))
    }
    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        Ok(loaders(ctx)
            .stores
            .load_one(self.0.store_id)
            .await?
            .map(Store))
    }
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        match self.0.product_id {
            Some(pid) => Ok(loaders(ctx).products.load_one(pid).await?.map(Product)),
            None => Ok(None),
        }
    }
}

#[derive(SimpleObject)]
pub struct DailyStats {
    day: NaiveDate,
    sign_ups: i64,
    orders: i64,
    revenue: i64,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct TopProduct {
    #[graphql(skip)]
    product_id: i64,
    name: String,
    quantity: i64,
    revenue: i64,
}

#[ComplexObject]
impl TopProduct {
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        Ok(loaders(ctx)
            .products
            .load_one(self.product_id)
            .await?
            .map(Product))
    }
}

/// Platform statistics for a date range (COM-11), UTC days.
#[derive(SimpleObject)]
pub struct PlatformStats {
    from: NaiveDate,
    to: NaiveDate,
    days: Vec<DailyStats>,
    top_products: Vec<TopProduct>,
    active_users: i64,
    total_sign_ups: i64,
    total_orders: i64,
    total_revenue: i64,
}

impl From<stats::PlatformStats> for PlatformStats {
    fn from(s: stats::PlatformStats) -> Self {
        Self {
            from: s.from,
            to: s.to,
            days: s
                .days
                .into_iter()
                .map(|d| DailyStats {
                    day: d.day,
                    sign_ups: d.sign_ups,
                    orders: d.orders,
                    revenue: d.revenue,
                })
                .collect(),
            top_products: s
                .top_products
                .into_iter()
                .map(|t| TopProduct {
                    product_id: t.product_id,
                    name: t.name,
                    quantity: t.quantity,
                    revenue: t.revenue,
                })
                .collect(),
            active_users: s.active_users,
            total_sign_ups: s.total_sign_ups,
            total_orders: s.total_orders,
            total_revenue: s.total_revenue,
        }
    }
}

/// What `addCustomCartToCart` did.
#[derive(SimpleObject)]
pub struct SkippedItem {
    product_id: ID,
    /// `NOT_AVAILABLE`, `OUT_OF_STOCK` or `INVALID_OPTION_OR_QUANTITY`.
    reason: String,
}

impl SkippedItem {
    pub fn new(product_id: i64, reason: &str) -> Self {
        Self {
            product_id: encode_id("Product", product_id),
            reason: reason.into(),
        }
    }
}

/// Orders are listed newest first; a helper shared by buyer, seller and admin lists.
pub fn order_connection(
    page: &PageArgs,
    rows: Vec<order_entity::Model>,
    lines: LineScope,
) -> Connection<String, Order> {
    connection(
        page,
        rows,
        EmptyFields,
        |o| o.id,
        |model| Order { model, lines },
    )
}
