//! Categories and products (COM-2, COM-3): sellers create, update and hide
//! their own products; everyone lists ACTIVE products with filters, sorts and
//! keyset pagination.
use std::collections::BTreeSet;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Value,
    sea_query::{Expr, ExprTrait, Query},
};
use serde::{Deserialize, Serialize};

use super::{inference, photos, stores::selling_store, variants};
use crate::{
    db::begin_write,
    domain::{color::Theme, like_contains, like_prefix, text},
    entities::{
        category,
        product::{self, Degree, ProductGender, ProductStatus},
        product_attribute::{color, season},
        store,
        user::{self, Role},
    },
    error::{AppError, AppResult},
    events::{DomainEvent, EventBus},
    jobs::JobQueue,
};

mod listing;

pub use listing::*;
/// The seed's colour vocabulary; inputs are matched case-insensitively.
pub const COLORS: &[&str] = &[
    "Black", "White", "Gray", "Red", "Orange", "Pink", "Yellow", "Beige", "Brown", "Green",
    "Khaki", "Mint", "Blue", "Navy", "SkyBlue", "Purple", "Lavender", "Wine", "Neon", "Gold",
    "Silver", "Mixed",
];
/// Seasons, as stored.
pub const SEASONS: &[&str] = &["SPRING_FALL", "SUMMER", "WINTER"];
pub const MAX_PRICE: i64 = 100_000_000;
pub const MAX_STOCK: i64 = 1_000_000;
const MAX_TAGS: usize = 20;
const MAX_TAG_CHARS: usize = 30;
const MAX_FIBER_CHARS: usize = 40;
const MAX_OPTIONS: usize = 30;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Fiber {
    pub fiber: String,
    pub percent: i32,
}

/// Fields of create (all required but lists) and update (all optional).
#[derive(Clone, Debug, Default)]
pub struct ProductFields {
    pub name: Option<String>,
    pub description: Option<String>,
    pub price: Option<i64>,
    pub stock: Option<i64>,
    pub category_id: Option<i64>,
    pub gender: Option<ProductGender>,
    pub colors: Option<Vec<String>>,
    pub seasons: Option<Vec<String>>,
    pub fiber_composition: Option<Vec<Fiber>>,
    pub elasticity: Option<Degree>,
    pub transparency: Option<Degree>,
    pub fleece: Option<bool>,
    pub spec_tags: Option<Vec<String>>,
    pub options: Option<Vec<String>>,
    /// External photo URLs (hosted elsewhere).
    pub images: Option<Vec<String>>,
    /// The seller's confirmed uploads, shown before the external photos.
    pub image_upload_ids: Option<Vec<String>>,
    /// Sizes × colours with their own stock (create only; instead of
    /// `options` and `stock`).
    pub variants: Option<Vec<super::variants::VariantInput>>,
}

pub(crate) fn canonical_colors(raw: &[String]) -> AppResult<Vec<String>> {
    let mut out = BTreeSet::new();
    for c in raw {
        let found = COLORS
            .iter()
            .find(|known| known.eq_ignore_ascii_case(c.trim()))
            .ok_or_else(|| {
                AppError::validation(
                    "colors",
                    format!("unknown colour `{c}`; known: {}", COLORS.join(", ")),
                )
            })?;
        out.insert((*found).to_owned());
    }
    if out.len() > 10 {
        return Err(AppError::validation("colors", "at most 10 colours"));
    }
    Ok(out.into_iter().collect())
}

pub(crate) fn canonical_seasons(raw: &[String]) -> AppResult<Vec<String>> {
    let set: BTreeSet<String> = raw.iter().map(|s| s.trim().to_uppercase()).collect();
    if let Some(bad) = set.iter().find(|s| !SEASONS.contains(&s.as_str())) {
        return Err(AppError::validation(
            "seasons",
            format!("unknown season `{bad}`"),
        ));
    }
    Ok(set.into_iter().collect())
}

/// A fibre's name as the catalogue accepts it.
pub(crate) fn fiber_name(raw: &str) -> AppResult<String> {
    text("fiberComposition", raw, 1, MAX_FIBER_CHARS, false)
}

/// One spec tag as the catalogue accepts it.
pub(crate) fn spec_tag(raw: &str) -> AppResult<String> {
    text("specTags", raw, 1, MAX_TAG_CHARS, false)
}

fn check_fibers(raw: &[Fiber]) -> AppResult<Vec<Fiber>> {
    if raw.len() > 12 {
        return Err(AppError::validation(
            "fiberComposition",
            "at most 12 fibres",
        ));
    }
    let mut total = 0;
    let mut out = Vec::with_capacity(raw.len());
    for f in raw {
        if !(1..=100).contains(&f.percent) {
            return Err(AppError::validation(
                "fiberComposition",
                "each percent must be 1 to 100",
            ));
        }
        total += f.percent;
        out.push(Fiber {
            fiber: fiber_name(&f.fiber)?,
            percent: f.percent,
        });
    }
    if total > 100 {
        return Err(AppError::validation(
            "fiberComposition",
            "percentages add up to more than 100",
        ));
    }
    Ok(out)
}

fn short_list(
    field: &str,
    raw: &[String],
    max_items: usize,
    max_chars: usize,
) -> AppResult<Vec<String>> {
    if raw.len() > max_items {
        return Err(AppError::validation(
            field,
            format!("at most {max_items} entries"),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for item in raw {
        let item = text(field, item, 1, max_chars, false)?;
        if seen.insert(item.to_lowercase()) {
            out.push(item);
        }
    }
    Ok(out)
}

pub(crate) fn check_price(price: i64) -> AppResult<i64> {
    if !(1..=MAX_PRICE).contains(&price) {
        return Err(AppError::validation(
            "price",
            format!("`price` must be 1 to {MAX_PRICE} KRW"),
        ));
    }
    Ok(price)
}

pub(crate) fn check_stock(stock: i64) -> AppResult<i64> {
    if !(0..=MAX_STOCK).contains(&stock) {
        return Err(AppError::validation(
            "stock",
            format!("`stock` must be 0 to {MAX_STOCK}"),
        ));
    }
    Ok(stock)
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

/// Parses a JSON list column; a malformed value reads as empty.
pub fn json_list<T: for<'de> Deserialize<'de>>(raw: &str) -> Vec<T> {
    serde_json::from_str(raw).unwrap_or_default()
}

async fn require_category(db: &impl ConnectionTrait, id: i64) -> AppResult<category::Model> {
    category::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::validation("categoryId", "no such category"))
}

/// Validated list attributes, ready to write.
struct Lists {
    colors: Option<Vec<String>>,
    seasons: Option<Vec<String>>,
    fibers: Option<Vec<Fiber>>,
    tags: Option<Vec<String>>,
    options: Option<Vec<String>>,
}

fn check_lists(fields: &ProductFields) -> AppResult<Lists> {
    Ok(Lists {
        colors: fields.colors.as_deref().map(canonical_colors).transpose()?,
        seasons: fields
            .seasons
            .as_deref()
            .map(canonical_seasons)
            .transpose()?,
        fibers: fields
            .fiber_composition
            .as_deref()
            .map(check_fibers)
            .transpose()?,
        tags: fields
            .spec_tags
            .as_deref()
            .map(|t| short_list("specTags", t, MAX_TAGS, MAX_TAG_CHARS))
            .transpose()?,
        options: fields
            .options
            .as_deref()
            .map(|o| short_list("options", o, MAX_OPTIONS, 60))
            .transpose()?,
    })
}

async fn write_lists(txn: &impl ConnectionTrait, product_id: i64, lists: &Lists) -> AppResult<()> {
    if let Some(colors) = &lists.colors {
        color::Entity::delete_many()
            .filter(color::Column::ProductId.eq(product_id))
            .exec(txn)
            .await?;
        if !colors.is_empty() {
            color::Entity::insert_many(colors.iter().map(|c| color::ActiveModel {
                product_id: Set(product_id),
                color: Set(c.clone()),
            }))
            .exec(txn)
            .await?;
        }
    }
    if let Some(seasons) = &lists.seasons {
        season::Entity::delete_many()
            .filter(season::Column::ProductId.eq(product_id))
            .exec(txn)
            .await?;
        if !seasons.is_empty() {
            season::Entity::insert_many(seasons.iter().map(|s| season::ActiveModel {
                product_id: Set(product_id),
                season: Set(s.clone()),
            }))
            .exec(txn)
            .await?;
        }
    }
    Ok(())
}

/// Creates a product in the seller's approved store.
pub async fn create_product(
    db: &DatabaseConnection,
    events: &EventBus,
    jobs: &JobQueue,
    seller: &user::Model,
    fields: ProductFields,
) -> AppResult<product::Model> {
    let store = selling_store(db, seller).await?;
    let missing = |f: &str| AppError::validation(f, format!("`{f}` is required"));
    let name = text(
        "name",
        fields.name.as_deref().ok_or_else(|| missing("name"))?,
        1,
        120,
        false,
    )?;
    let description = text(
        "description",
        fields.description.as_deref().unwrap_or(""),
        0,
        5000,
        true,
    )?;
    let price = check_price(fields.price.ok_or_else(|| missing("price"))?)?;
    let mut lists = check_lists(&fields)?;
    let variants = match &fields.variants {
        Some(given) => {
            if fields.stock.is_some() || lists.options.is_some() {
                return Err(AppError::validation(
                    "variants",
                    "give either `variants` or `options` and `stock`, not both",
                ));
            }
            let checked = variants::check(given)?;
            let labels: Vec<String> = checked
                .iter()
                .map(|v| v.label.clone())
                .filter(|l| !l.is_empty())
                .collect();
            lists.options = Some(labels);
            checked
        }
        None => {
            let stock = check_stock(fields.stock.ok_or_else(|| missing("stock"))?)?;
            variants::from_options(lists.options.as_deref().unwrap_or_default(), stock)
        }
    };
    let stock: i64 = variants.iter().map(|v| v.stock).sum();
    let category_id = fields.category_id.ok_or_else(|| missing("categoryId"))?;
    require_category(db, category_id).await?;
    let photos = photos::check(
        db,
        seller.id,
        fields.images.as_deref(),
        fields.image_upload_ids.as_deref(),
    )
    .await?;
    let now = Utc::now();
    let txn = begin_write(db).await?;
    let created = product::ActiveModel {
        store_id: Set(store.id),
        category_id: Set(category_id),
        name: Set(name),
        description: Set(description),
        price: Set(price),
        stock: Set(stock),
        gender: Set(fields.gender.unwrap_or(ProductGender::Unisex)),
        colors: Set(to_json(&lists.colors.clone().unwrap_or_default())),
        seasons: Set(to_json(&lists.seasons.clone().unwrap_or_default())),
        fiber_composition: Set(to_json(&lists.fibers.clone().unwrap_or_default())),
        elasticity: Set(fields.elasticity.unwrap_or(Degree::None)),
        transparency: Set(fields.transparency.unwrap_or(Degree::None)),
        fleece: Set(fields.fleece.unwrap_or(false)),
        spec_tags: Set(to_json(&lists.tags.clone().unwrap_or_default())),
        options: Set(to_json(&lists.options.clone().unwrap_or_default())),
        status: Set(ProductStatus::Active),
        rating_sum: Set(0),
        review_count: Set(0),
        rating_avg: Set(0.0),
        wishlist_count: Set(0),
        sold_count: Set(0),
        popularity: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    variants::insert_all(&txn, created.id, &variants, 0).await?;
    write_lists(&txn, created.id, &lists).await?;
    if let Some(photos) = &photos {
        photos::write(&txn, created.id, photos).await?;
    }
    photos::analyse_colours(jobs, &txn, created.id, photos.as_deref(), None).await?;
    inference::enqueue(jobs, &txn, created.id).await?;
    txn.commit().await?;
    jobs.wake();
    events.publish(DomainEvent::ProductChanged {
        product_id: created.id,
    });
    Ok(created)
}

/// The product, if `seller` owns the store it belongs to; else `FORBIDDEN`
/// (or `NOT_FOUND` when there is no such product).
pub(crate) async fn owned_product(
    db: &impl ConnectionTrait,
    seller: &user::Model,
    product_id: i64,
) -> AppResult<product::Model> {
    let product = product::Entity::find_by_id(product_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Product"))?;
    let owner = store::Entity::find_by_id(product.store_id)
        .one(db)
        .await?
        .map(|s| s.owner_id);
    if owner != Some(seller.id) {
        return Err(AppError::forbidden(
            "only the seller who owns this product can change it",
        ));
    }
    Ok(product)
}

/// Updates the given fields of a product its seller owns.
pub async fn update_product(
    db: &DatabaseConnection,
    events: &EventBus,
    jobs: &JobQueue,
    seller: &user::Model,
    product_id: i64,
    fields: ProductFields,
) -> AppResult<product::Model> {
    let product = owned_product(db, seller, product_id).await?;
    let lists = check_lists(&fields)?;
    let photos = photos::check(
        db,
        seller.id,
        fields.images.as_deref(),
        fields.image_upload_ids.as_deref(),
    )
    .await?;
    let mut active = product.clone().into_active_model();
    if let Some(name) = &fields.name {
        active.name = Set(text("name", name, 1, 120, false)?);
    }
    if let Some(description) = &fields.description {
        active.description = Set(text("description", description, 0, 5000, true)?);
    }
    if let Some(price) = fields.price {
        active.price = Set(check_price(price)?);
    }
    if fields.variants.is_some() {
        return Err(AppError::validation(
            "variants",
            "change variants with addProductVariant, updateProductVariant and removeProductVariant",
        ));
    }
    if let Some(category_id) = fields.category_id {
        require_category(db, category_id).await?;
        active.category_id = Set(category_id);
    }
    if let Some(gender) = fields.gender {
        active.gender = Set(gender);
    }
    if let Some(e) = fields.elasticity {
        active.elasticity = Set(e);
    }
    if let Some(t) = fields.transparency {
        active.transparency = Set(t);
    }
    if let Some(f) = fields.fleece {
        active.fleece = Set(f);
    }
    if let Some(c) = &lists.colors {
        active.colors = Set(to_json(c));
    }
    if let Some(s) = &lists.seasons {
        active.seasons = Set(to_json(s));
    }
    if let Some(f) = &lists.fibers {
        active.fiber_composition = Set(to_json(f));
    }
    if let Some(t) = &lists.tags {
        active.spec_tags = Set(to_json(t));
    }
    active.updated_at = Set(Utc::now());
    let txn = begin_write(db).await?;
    let mut updated = active.update(&txn).await?;
    // Options and stock live in the variants; the product mirrors them.
    if let Some(o) = &lists.options {
        variants::sync_options(&txn, product_id, o).await?;
    }
    if let Some(stock) = fields.stock {
        variants::set_single_stock(&txn, product_id, stock).await?;
    }
    if lists.options.is_some() || fields.stock.is_some() {
        updated = product::Entity::find_by_id(product_id)
            .one(&txn)
            .await?
            .ok_or_else(|| AppError::not_found("Product"))?;
    }
    // Before the photos are replaced: it compares the first one.
    let infer = inference::input_changed(&txn, &product, &updated, photos.as_deref()).await?;
    write_lists(&txn, product_id, &lists).await?;
    if let Some(photos) = &photos {
        photos::write(&txn, product_id, photos).await?;
    }
    let analyse =
        photos::analyse_colours(jobs, &txn, product_id, photos.as_deref(), Some(&updated)).await?;
    if infer {
        inference::enqueue(jobs, &txn, product_id).await?;
    }
    let hooked = crate::domain::partner_webhooks::emit_in(
        &txn,
        crate::domain::partner_webhooks::Event::ProductUpdated { product_id },
    )
    .await?;
    txn.commit().await?;
    if analyse || infer || hooked > 0 {
        jobs.wake();
    }
    events.publish(DomainEvent::ProductChanged { product_id });
    Ok(updated)
}

/// Sellers switch their products between ACTIVE and HIDDEN; admins may also
/// BLOCK (and unblock) any product. A blocked product stays blocked for its seller.
pub async fn set_status(
    db: &DatabaseConnection,
    events: &EventBus,
    actor: &user::Model,
    product_id: i64,
    status: ProductStatus,
) -> AppResult<product::Model> {
    let product = if actor.role == Role::Admin {
        product::Entity::find_by_id(product_id)
            .one(db)
            .await?
            .ok_or_else(|| AppError::not_found("Product"))?
    } else {
        let product = owned_product(db, actor, product_id).await?;
        if status == ProductStatus::Blocked {
            return Err(AppError::forbidden("only an admin can block a product"));
        }
        if product.status == ProductStatus::Blocked {
            return Err(AppError::forbidden("this product was blocked by an admin"));
        }
        product
    };
    let mut active = product.into_active_model();
    active.status = Set(status);
    active.updated_at = Set(Utc::now());
    let updated = active.update(db).await?;
    events.publish(DomainEvent::ProductChanged { product_id });
    Ok(updated)
}

/// Whether `viewer` may see `product`: ACTIVE products are public; others
/// only to the owning seller and admins.
pub fn visible_to(
    product: &product::Model,
    store_owner: Option<i64>,
    viewer: Option<&user::Model>,
) -> bool {
    product.status == ProductStatus::Active || managed_by(store_owner, viewer)
}

/// Whether `viewer` manages the products of the store owned by `store_owner`
/// (its seller, admins): they see hidden products and seller figures such as
/// how many custom carts include a product.
pub fn managed_by(store_owner: Option<i64>, viewer: Option<&user::Model>) -> bool {
    viewer.is_some_and(|v| v.role == Role::Admin || Some(v.id) == store_owner)
}

/// True when no product exists at all (a fresh database).
pub async fn is_empty(db: &DatabaseConnection) -> AppResult<bool> {
    Ok(product::Entity::find().one(db).await?.is_none())
}

/// Every category, in taxonomy order.
pub async fn categories(db: &DatabaseConnection) -> AppResult<Vec<category::Model>> {
    Ok(category::Entity::find()
        .order_by_asc(category::Column::Position)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_validation() {
        assert_eq!(
            canonical_colors(&["black".into(), "NAVY".into(), "Black".into()]).unwrap(),
            vec!["Black", "Navy"]
        );
        assert!(canonical_colors(&["ultraviolet".into()]).is_err());
        assert_eq!(
            canonical_seasons(&["summer".into()]).unwrap(),
            vec!["SUMMER"]
        );
        assert!(canonical_seasons(&["monsoon".into()]).is_err());
        let fibers = [
            Fiber {
                fiber: "Cotton".into(),
                percent: 60,
            },
            Fiber {
                fiber: "Polyester".into(),
                percent: 41,
            },
        ];
        assert!(check_fibers(&fibers).is_err());
        assert!(
            check_fibers(&[Fiber {
                fiber: "Silk".into(),
                percent: 0
            }])
            .is_err()
        );
        assert!(check_price(0).is_err());
        assert!(check_price(-5).is_err());
        assert!(check_price(MAX_PRICE + 1).is_err());
        assert!(check_stock(-1).is_err());
    }
}
