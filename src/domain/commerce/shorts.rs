//! Shorts (COM-4): video ads on a product with view and like counts and a
//! sentiment label computed when they are added; a per-product feed and a
//! global feed ranked for the viewer.
use std::collections::HashSet;

use chrono::{Duration as ChronoDuration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

use crate::{
    db::begin_write,
    domain::{execute_sql, text, uploads, url},
    entities::{
        product::{self, ProductStatus},
        short::{self, SentimentLabel, ShortSource},
        short_view, store, wishlist_item,
    },
    error::{AppError, AppResult},
    events::{DomainEvent, EventBus},
    infra::sentiment::SentimentProvider,
};

pub const MAX_DURATION_SECS: i32 = 180;
/// A viewer's repeated views of one short within this window count once.
pub const VIEW_DEDUP_MINUTES: i64 = 30;

pub struct NewShort {
    pub title: String,
    pub description: String,
    pub video_url: String,
    /// An external thumbnail (hosted elsewhere); or `thumbnail_upload_id`.
    pub thumbnail_url: Option<String>,
    /// One of the seller's confirmed uploads (OPS-4).
    pub thumbnail_upload_id: Option<String>,
    pub duration_secs: i32,
    pub source: ShortSource,
}

/// Adds a short to a product the seller owns; labels its sentiment first.
pub async fn add(
    db: &DatabaseConnection,
    events: &EventBus,
    sentiment: &dyn SentimentProvider,
    seller_id: i64,
    product_id: i64,
    input: NewShort,
) -> AppResult<short::Model> {
    let title = text("title", &input.title, 1, 120, false)?;
    let description = text("description", &input.description, 0, 2000, true)?;
    let video_url = url("videoUrl", &input.video_url)?;
    let thumbnail_url = input
        .thumbnail_url
        .as_deref()
        .map(|u| url("thumbnailUrl", u))
        .transpose()?;
    if thumbnail_url.is_some() && input.thumbnail_upload_id.is_some() {
        return Err(AppError::validation(
            "thumbnailUploadId",
            "send at most one of `thumbnailUrl` and `thumbnailUploadId`",
        ));
    }
    let thumbnail_upload = match input.thumbnail_upload_id.as_deref() {
        Some(raw) => {
            let id = uploads::parse_id("thumbnailUploadId", raw)?;
            uploads::usable(db, seller_id, "thumbnailUploadId", &[id])
                .await?
                .pop()
        }
        None => None,
    };
    if !(1..=MAX_DURATION_SECS).contains(&input.duration_secs) {
        return Err(AppError::validation(
            "durationSecs",
            format!("`durationSecs` must be 1 to {MAX_DURATION_SECS}"),
        ));
    }
    let product = product::Entity::find_by_id(product_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Product"))?;
    let owner = store::Entity::find_by_id(product.store_id)
        .one(db)
        .await?
        .map(|s| s.owner_id);
    if owner != Some(seller_id) {
        return Err(AppError::forbidden(
            "only the seller who owns this product can add shorts to it",
        ));
    }
    // The provider may be remote: ask before any transaction is open.
    let verdict = sentiment.analyze(&format!("{title}\n{description}")).await;
    let created = short::ActiveModel {
        product_id: Set(product.id),
        store_id: Set(product.store_id),
        title: Set(title),
        description: Set(description),
        video_url: Set(video_url),
        thumbnail_url: Set(match &thumbnail_upload {
            Some(upload) => Some(uploads::url_of("", &upload.storage_key)),
            None => thumbnail_url,
        }),
        thumbnail_upload_id: Set(thumbnail_upload.map(|u| u.id)),
        duration_secs: Set(input.duration_secs),
        source: Set(input.source),
        view_count: Set(0),
        like_count: Set(0),
        sentiment_label: Set(verdict.label),
        sentiment_score: Set(verdict.score),
        sentiment_provider: Set(verdict.provider),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    events.publish(DomainEvent::ShortAdded {
        short_id: created.id,
        product_id,
    });
    Ok(created)
}

async fn require_visible_short(
    db: &impl ConnectionTrait,
    short_id: i64,
) -> AppResult<short::Model> {
    let found = short::Entity::find_by_id(short_id)
        .filter(short::Column::HiddenAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Short"))?;
    let active = product::Entity::find_by_id(found.product_id)
        .one(db)
        .await?
        .is_some_and(|p| p.status == ProductStatus::Active);
    if !active {
        return Err(AppError::not_found("Short"));
    }
    Ok(found)
}

/// A short by id, or `NOT_FOUND`.
pub async fn find(db: &DatabaseConnection, id: i64) -> AppResult<short::Model> {
    short::Entity::find_by_id(id)
        // Hidden by moderation: gone for everyone.
        .filter(short::Column::HiddenAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Short"))
}

/// Counts a view. Signed-in viewers count once per short per 30 minutes;
/// anonymous views always count. Returns whether this view was counted.
pub async fn record_view(
    db: &DatabaseConnection,
    viewer_id: Option<i64>,
    short_id: i64,
) -> AppResult<bool> {
    require_visible_short(db, short_id).await?;
    let now = Utc::now();
    let txn = begin_write(db).await?;
    if let Some(user_id) = viewer_id {
        let recent = short_view::Entity::find()
            .filter(short_view::Column::UserId.eq(user_id))
            .filter(short_view::Column::ShortId.eq(short_id))
            .filter(
                short_view::Column::ViewedAt.gt(now - ChronoDuration::minutes(VIEW_DEDUP_MINUTES)),
            )
            .one(&txn)
            .await?;
        if recent.is_some() {
            txn.commit().await?;
            return Ok(false);
        }
    }
    short_view::ActiveModel {
        short_id: Set(short_id),
        user_id: Set(viewer_id),
        viewed_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    execute_sql(
        &txn,
        "UPDATE shorts SET view_count = view_count + 1 WHERE id = ?",
        vec![short_id.into()],
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Shorts of one product, newest first, keyset on id; none of the stores
/// of the viewer's `hidden` users (blocks).
pub async fn of_product(
    db: &DatabaseConnection,
    product_id: i64,
    hidden: &HashSet<i64>,
    after_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<short::Model>> {
    list(
        db,
        short::Column::ProductId,
        product_id,
        hidden,
        after_id,
        limit,
    )
    .await
}

/// Shorts of one store (every product of it), newest first, keyset on id;
/// none when the store's owner is in the viewer's `hidden` set.
pub async fn of_store(
    db: &DatabaseConnection,
    store_id: i64,
    hidden: &HashSet<i64>,
    after_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<short::Model>> {
    list(
        db,
        short::Column::StoreId,
        store_id,
        hidden,
        after_id,
        limit,
    )
    .await
}

async fn list(
    db: &DatabaseConnection,
    parent: short::Column,
    parent_id: i64,
    hidden: &HashSet<i64>,
    after_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<short::Model>> {
    let mut query = short::Entity::find().filter(parent.eq(parent_id));
    query = query.filter(short::Column::HiddenAt.is_null());
    query = query.filter(crate::domain::community::blocks::not_in_stores_of(
        short::Column::StoreId,
        hidden,
    ));
    if let Some(after) = after_id {
        query = query.filter(short::Column::Id.lt(after));
    }
    Ok(query
        .order_by_desc(short::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Position in the ranked feed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FeedCursor {
    pub score: f64,
    pub id: i64,
}

/// How many recent shorts the feed ranks.
const FEED_CANDIDATES: u64 = 1000;

/// Feed rank of one short for a viewer:
/// `ln(1 + 2·likes + views/10)` engagement, `+1` when the short's product sits
/// in a category or store of the viewer's wishlist, `+0.5` for positive and
/// `−1` for negative sentiment, all decayed by `exp(−age_hours / 72)`.
/// Whether `viewer` may see `short`: while its product is listed (ACTIVE),
/// everyone; otherwise the product's seller (`store_owner`) and admins.
pub fn visible_to(
    product: Option<&product::Model>,
    store_owner: Option<i64>,
    viewer: Option<&crate::entities::user::Model>,
) -> bool {
    product.is_some_and(|p| p.status == ProductStatus::Active)
        || super::catalog::managed_by(store_owner, viewer)
}

pub fn feed_score(s: &short::Model, affinity: bool, now: chrono::DateTime<Utc>) -> f64 {
    let engagement = (1.0 + 2.0 * s.like_count as f64 + s.view_count as f64 / 10.0).ln();
    let sentiment = match s.sentiment_label {
        SentimentLabel::Positive => 0.5,
        SentimentLabel::Neutral => 0.0,
        SentimentLabel::Negative => -1.0,
    };
    let personal = if affinity { 1.0 } else { 0.0 };
    let age_hours = (now - s.created_at).num_seconds().max(0) as f64 / 3600.0;
    let raw = (1.0 + engagement + sentiment + personal) * (-age_hours / 72.0).exp();
    (raw * 1e9).round() / 1e9
}

/// The global feed: the most recent shorts of ACTIVE products, ranked by
/// [`feed_score`] for the viewer, keyset-paginated on (score, id).
pub async fn feed(
    db: &DatabaseConnection,
    viewer_id: Option<i64>,
    hidden: &HashSet<i64>,
    after: Option<&FeedCursor>,
    limit: u64,
) -> AppResult<Vec<(short::Model, f64)>> {
    let active_products = sea_orm::sea_query::Query::select()
        .column(product::Column::Id)
        .from(product::Entity)
        .and_where(product::Column::Status.eq(ProductStatus::Active))
        .to_owned();
    let candidates = short::Entity::find()
        .filter(Condition::all().add(short::Column::ProductId.in_subquery(active_products)))
        .filter(short::Column::HiddenAt.is_null())
        .filter(crate::domain::community::blocks::not_in_stores_of(
            short::Column::StoreId,
            hidden,
        ))
        .order_by_desc(short::Column::Id)
        .limit(FEED_CANDIDATES)
        .all(db)
        .await?;
    let (categories, stores) = match viewer_id {
        Some(user_id) => wishlist_affinity(db, user_id).await?,
        None => (HashSet::new(), HashSet::new()),
    };
    let product_ids: Vec<i64> = candidates.iter().map(|s| s.product_id).collect();
    let product_categories: std::collections::HashMap<i64, i64> = if categories.is_empty() {
        Default::default()
    } else {
        product::Entity::find()
            .filter(product::Column::Id.is_in(product_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.category_id))
            .collect()
    };
    let now = Utc::now();
    let mut ranked: Vec<(short::Model, f64)> = candidates
        .into_iter()
        .map(|s| {
            let affinity = stores.contains(&s.store_id)
                || product_categories
                    .get(&s.product_id)
                    .is_some_and(|c| categories.contains(c));
            let score = feed_score(&s, affinity, now);
            (s, score)
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.id.cmp(&a.0.id)));
    let start = match after {
        None => 0,
        Some(c) => ranked
            .iter()
            .position(|(s, score)| *score < c.score || (*score == c.score && s.id < c.id))
            .unwrap_or(ranked.len()),
    };
    Ok(ranked
        .into_iter()
        .skip(start)
        .take(limit as usize)
        .collect())
}

/// Categories and stores of the products in the viewer's wishlist.
async fn wishlist_affinity(
    db: &DatabaseConnection,
    user_id: i64,
) -> AppResult<(HashSet<i64>, HashSet<i64>)> {
    let wished = sea_orm::sea_query::Query::select()
        .column(wishlist_item::Column::ProductId)
        .from(wishlist_item::Entity)
        .and_where(wishlist_item::Column::UserId.eq(user_id))
        .to_owned();
    let products = product::Entity::find()
        .filter(product::Column::Id.in_subquery(wished))
        .all(db)
        .await?;
    Ok((
        products.iter().map(|p| p.category_id).collect(),
        products.iter().map(|p| p.store_id).collect(),
    ))
}
