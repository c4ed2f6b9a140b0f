//! Reviews (COM-5): only a buyer with a DELIVERED order line of the product,
//! once per product; product and store rating aggregates move in the same
//! transaction, so they are always exactly the sum and count of the rows.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Query,
};

use crate::{
    db::begin_write,
    domain::{execute_sql, text, uploads, url},
    entities::{
        order::{self, OrderStatus},
        product, review,
    },
    error::{AppError, AppResult},
    events::{DomainEvent, EventBus},
};

pub struct NewReview {
    pub rating: i32,
    pub body: String,
    /// External image URLs (hosted elsewhere).
    pub images: Vec<String>,
    /// The buyer's confirmed uploads (OPS-4).
    pub photo_upload_ids: Vec<String>,
}

/// Photos and external images of one review, together.
pub const MAX_REVIEW_IMAGES: usize = 5;

pub async fn create(
    db: &DatabaseConnection,
    events: &EventBus,
    buyer_id: i64,
    product_id: i64,
    input: NewReview,
) -> AppResult<review::Model> {
    if !(1..=5).contains(&input.rating) {
        return Err(AppError::validation("rating", "`rating` must be 1 to 5"));
    }
    let body = text("body", &input.body, 1, 2000, true)?;
    if input.images.len() + input.photo_upload_ids.len() > MAX_REVIEW_IMAGES {
        return Err(AppError::validation(
            "photoUploadIds",
            format!("at most {MAX_REVIEW_IMAGES} photos and images together"),
        ));
    }
    let images: Vec<String> = input
        .images
        .iter()
        .map(|u| url("images", u))
        .collect::<AppResult<_>>()?;
    let photo_ids = input
        .photo_upload_ids
        .iter()
        .map(|id| uploads::parse_id("photoUploadIds", id))
        .collect::<AppResult<Vec<_>>>()?;
    let photos = uploads::usable(db, buyer_id, "photoUploadIds", &photo_ids).await?;
    let photo_ids: Vec<&str> = photos.iter().map(|u| u.id.as_str()).collect();
    let product = product::Entity::find_by_id(product_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Product"))?;
    let txn = begin_write(db).await?;
    let buyer_orders = Query::select()
        .column(order::Column::Id)
        .from(order::Entity)
        .and_where(order::Column::BuyerId.eq(buyer_id))
        .to_owned();
    let delivered = order::line::Entity::find()
        .filter(order::line::Column::ProductId.eq(product_id))
        .filter(order::line::Column::Status.eq(OrderStatus::Delivered))
        .filter(order::line::Column::OrderId.in_subquery(buyer_orders))
        .order_by_asc(order::line::Column::Id)
        .one(&txn)
        .await?
        .ok_or_else(|| {
            AppError::forbidden(
                "only a buyer whose order of this product was delivered can review it",
            )
        })?;
    let already = review::Entity::find()
        .filter(review::Column::UserId.eq(buyer_id))
        .filter(review::Column::ProductId.eq(product_id))
        .one(&txn)
        .await?;
    if already.is_some() {
        return Err(AppError::conflict(
            "productId",
            "you have already reviewed this product",
        ));
    }
    let created = review::ActiveModel {
        product_id: Set(product_id),
        store_id: Set(product.store_id),
        user_id: Set(buyer_id),
        order_line_id: Set(delivered.id),
        rating: Set(input.rating as i16),
        body: Set(body),
        images: Set(serde_json::to_string(&images).unwrap_or_else(|_| "[]".into())),
        photo_upload_ids: Set(Some(
            serde_json::to_string(&photo_ids).unwrap_or_else(|_| "[]".into()),
        )),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            AppError::conflict("productId", "you have already reviewed this product")
        }
        _ => e.into(),
    })?;
    // SET expressions read the row's old values: the average is computed from
    // the same sum and count that are being written.
    execute_sql(
        &txn,
        "UPDATE products SET rating_sum = rating_sum + ?, review_count = review_count + 1, \
         rating_avg = (rating_sum + ?) * 1.0 / (review_count + 1), popularity = popularity + 1 WHERE id = ?",
        vec![input.rating.into(), input.rating.into(), product_id.into()],
    )
    .await?;
    execute_sql(
        &txn,
        "UPDATE stores SET rating_sum = rating_sum + ?, review_count = review_count + 1 WHERE id = ?",
        vec![input.rating.into(), product.store_id.into()],
    )
    .await?;
    crate::domain::partner_webhooks::emit_in(
        &txn,
        crate::domain::partner_webhooks::Event::ReviewCreated {
            review_id: created.id,
        },
    )
    .await?;
    txn.commit().await?;
    events.publish(DomainEvent::ReviewCreated {
        review_id: created.id,
        product_id,
        store_id: product.store_id,
        user_id: buyer_id,
    });
    Ok(created)
}

/// Which reviews [`list`] returns; `None` fields do not narrow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReviewFilter {
    pub product_id: Option<i64>,
    /// Reviews of every product of the store.
    pub store_id: Option<i64>,
}

/// Reviews of a product (or of a whole store), newest first, keyset on id;
/// none by the viewer's `hidden` users (blocks).
pub async fn list(
    db: &DatabaseConnection,
    filter: ReviewFilter,
    hidden: &std::collections::HashSet<i64>,
    after_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<review::Model>> {
    let mut query = review::Entity::find().filter(review::Column::HiddenAt.is_null());
    query = query.filter(crate::domain::community::blocks::not_by(
        review::Column::UserId,
        hidden,
    ));
    if let Some(p) = filter.product_id {
        query = query.filter(review::Column::ProductId.eq(p));
    }
    if let Some(s) = filter.store_id {
        query = query.filter(review::Column::StoreId.eq(s));
    }
    if let Some(after) = after_id {
        query = query.filter(review::Column::Id.lt(after));
    }
    Ok(query
        .order_by_desc(review::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
