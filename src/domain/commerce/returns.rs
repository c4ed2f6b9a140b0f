//! Returns (issue 22). A buyer asks to return a DELIVERED line within
//! [`RETURN_WINDOW_DAYS`] days of delivery, with a reason, a note and up to
//! [`MAX_RETURN_PHOTOS`] photos; one return per line (the whole line). The
//! line's seller (or an admin) approves or rejects it.
//!
//! Approval, in one transaction: the return moves REQUESTED → APPROVED with
//! a conditional update (so two approvals cannot both restore stock), the
//! line's quantity goes back to its variant, and the refund is fixed at what
//! the line cost the buyer (its total, less its share of the coupon
//! discount, plus its share of the shipping fee), capped by what the order's
//! payment still holds after earlier refunds, so no interleaving refunds
//! more than was paid. A REFUND_RETURN job then asks the provider for it
//! (one idempotency key per return); with nothing paid through the platform
//! the return is REFUNDED at once with 0. Buyer and seller are each told of
//! the other's step, and both of the refund.
use std::time::Duration;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use serde::{Deserialize, Serialize};

use super::variants;
use crate::{
    db::begin_write,
    domain::{
        realtime::notifications::{self, NewNotification},
        text, uploads,
    },
    entities::{
        notification::{self, NotificationKind},
        order::{OrderStatus, line},
        order_return::{self, ReturnReason, ReturnStatus},
        payment::{self, PaymentStatus},
        store,
        user::{self, Role},
    },
    error::{AppError, AppResult},
    events::{DomainEvent, EventBus},
    jobs::{JobKind, JobQueue, KindOptions, queue::Enqueue},
    state::AppState,
};

pub const RETURN_WINDOW_DAYS: i64 = 7;
pub const MAX_RETURN_PHOTOS: usize = 5;

/// What a buyer sends with `requestReturn`.
#[derive(Clone, Debug)]
pub struct ReturnRequest {
    pub order_line_id: i64,
    pub reason: ReturnReason,
    pub note: String,
    pub photo_upload_ids: Vec<String>,
}

/// What the line cost its buyer: the most its return refunds.
pub fn line_paid(l: &line::Model) -> i64 {
    (l.line_total - l.discount_amount + l.shipping_fee).max(0)
}

/// Tells `recipient` that return `r` is now `status`.
async fn tell(
    txn: &impl ConnectionTrait,
    recipient: i64,
    actor: Option<i64>,
    r: &order_return::Model,
) -> AppResult<Option<notification::Model>> {
    notifications::notify(
        txn,
        NewNotification {
            recipient_id: recipient,
            kind: NotificationKind::ReturnStatus,
            actor_id: actor,
            subject: Some(("Order", r.order_id)),
            data: serde_json::json!({
                "returnId": r.id,
                "orderLineId": r.order_line_id,
                "status": sea_orm::ActiveEnum::to_value(&r.status),
                "refundAmount": r.refund_amount,
            }),
        },
    )
    .await
}

async fn store_owner(txn: &impl ConnectionTrait, store_id: i64) -> AppResult<i64> {
    store::Entity::find_by_id(store_id)
        .one(txn)
        .await?
        .map(|s| s.owner_id)
        .ok_or_else(|| AppError::not_found("Store"))
}

/// `requestReturn`: the buyer's own DELIVERED line, within the window.
pub async fn request(
    db: &DatabaseConnection,
    events: &EventBus,
    buyer: &user::Model,
    req: ReturnRequest,
) -> AppResult<order_return::Model> {
    let note = text("note", &req.note, 0, 1000, true)?;
    if req.photo_upload_ids.len() > MAX_RETURN_PHOTOS {
        return Err(AppError::validation(
            "photoUploadIds",
            format!("at most {MAX_RETURN_PHOTOS} photos"),
        ));
    }
    let photo_ids = req
        .photo_upload_ids
        .iter()
        .map(|id| uploads::parse_id("photoUploadIds", id))
        .collect::<AppResult<Vec<_>>>()?;
    let photos = uploads::usable(db, buyer.id, "photoUploadIds", &photo_ids).await?;
    let photo_ids: Vec<&str> = photos.iter().map(|u| u.id.as_str()).collect();
    let txn = begin_write(db).await?;
    let found = line::Entity::find_by_id(req.order_line_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("OrderLine"))?;
    let order = crate::entities::order::Entity::find_by_id(found.order_id)
        .one(&txn)
        .await?
        .filter(|o| o.buyer_id == buyer.id)
        .ok_or_else(|| AppError::not_found("OrderLine"))?;
    if found.status != OrderStatus::Delivered {
        return Err(AppError::conflict(
            "orderLineId",
            "only a delivered line can be returned",
        ));
    }
    let delivered = found.delivered_at.unwrap_or(found.updated_at);
    if Utc::now() - delivered > chrono::Duration::days(RETURN_WINDOW_DAYS) {
        return Err(AppError::conflict(
            "orderLineId",
            format!("returns close {RETURN_WINDOW_DAYS} days after delivery"),
        ));
    }
    let now = Utc::now();
    let created = order_return::ActiveModel {
        order_line_id: Set(found.id),
        order_id: Set(order.id),
        buyer_id: Set(buyer.id),
        store_id: Set(found.store_id),
        reason: Set(req.reason),
        note: Set(note),
        photo_upload_ids: Set(serde_json::to_string(&photo_ids).unwrap_or_else(|_| "[]".into())),
        status: Set(ReturnStatus::Requested),
        refund_amount: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            AppError::conflict("orderLineId", "this line's return was already asked for")
        }
        _ => e.into(),
    })?;
    let seller = store_owner(&txn, found.store_id).await?;
    let notice = tell(&txn, seller, Some(buyer.id), &created).await?;
    txn.commit().await?;
    notifications::publish(events, notice);
    Ok(created)
}

/// The return `id` as `actor` may decide it: its store's owner or an admin.
async fn decidable(
    txn: &impl ConnectionTrait,
    actor: &user::Model,
    id: i64,
) -> AppResult<order_return::Model> {
    let found = order_return::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("Return"))?;
    if actor.role != Role::Admin && store_owner(txn, found.store_id).await? != actor.id {
        return Err(AppError::not_found("Return"));
    }
    if found.status != ReturnStatus::Requested {
        return Err(AppError::conflict("id", "this return was already decided"));
    }
    Ok(found)
}

/// Moves `r` from REQUESTED to `to`; false when another decision won.
async fn decide(
    txn: &impl ConnectionTrait,
    r: &order_return::Model,
    actor: &user::Model,
    to: ReturnStatus,
    note: Option<String>,
    refund: i64,
) -> AppResult<bool> {
    let now = Utc::now();
    let moved = order_return::Entity::update_many()
        .col_expr(order_return::Column::Status, Expr::value(to))
        .col_expr(order_return::Column::DecidedBy, Expr::value(Some(actor.id)))
        .col_expr(order_return::Column::DecisionNote, Expr::value(note))
        .col_expr(order_return::Column::DecidedAt, Expr::value(Some(now)))
        .col_expr(order_return::Column::RefundAmount, Expr::value(refund))
        .col_expr(order_return::Column::UpdatedAt, Expr::value(now))
        .filter(order_return::Column::Id.eq(r.id))
        .filter(order_return::Column::Status.eq(ReturnStatus::Requested))
        .exec(txn)
        .await?;
    Ok(moved.rows_affected == 1)
}

/// What the order's payment can still give back: paid − refunds asked
/// (cancellations and earlier returns). 0 without a succeeded payment.
async fn refundable(txn: &impl ConnectionTrait, order_id: i64, except: i64) -> AppResult<i64> {
    let Some(paid) = payment::Entity::find()
        .filter(payment::Column::OrderId.eq(order_id))
        .filter(payment::Column::Status.eq(PaymentStatus::Succeeded))
        .one(txn)
        .await?
    else {
        return Ok(0);
    };
    let promised: i64 = order_return::Entity::find()
        .filter(order_return::Column::OrderId.eq(order_id))
        .filter(order_return::Column::Id.ne(except))
        .filter(
            order_return::Column::Status.is_in([ReturnStatus::Approved, ReturnStatus::Refunded]),
        )
        .select_only()
        .column(order_return::Column::RefundAmount)
        .into_tuple::<i64>()
        .all(txn)
        .await?
        .into_iter()
        .sum();
    Ok((paid.amount - paid.refunded_amount.max(promised)).max(0))
}

/// `approveReturn`: stock back, refund fixed and asked for (see the module).
pub async fn approve(
    db: &DatabaseConnection,
    events: &EventBus,
    jobs: &JobQueue,
    actor: &user::Model,
    id: i64,
    note: Option<String>,
) -> AppResult<order_return::Model> {
    let note = note.map(|n| text("note", &n, 0, 1000, true)).transpose()?;
    let txn = begin_write(db).await?;
    let found = decidable(&txn, actor, id).await?;
    let the_line = line::Entity::find_by_id(found.order_line_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("OrderLine"))?;
    let refund = line_paid(&the_line).min(refundable(&txn, found.order_id, found.id).await?);
    let status = if refund > 0 {
        ReturnStatus::Approved
    } else {
        ReturnStatus::Refunded
    };
    if !decide(&txn, &found, actor, status, note, refund).await? {
        return Err(AppError::conflict("id", "this return was already decided"));
    }
    variants::give_back(
        &txn,
        the_line.product_id,
        the_line.variant_id,
        the_line.quantity,
    )
    .await?;
    if refund > 0 {
        jobs.enqueue(
            &txn,
            &RefundReturn {
                return_id: found.id,
            },
            Enqueue {
                active_key: Some(format!("refund:return:{}", found.id)),
                ..Enqueue::default()
            },
        )
        .await?;
    }
    let decided = order_return::Entity::find_by_id(found.id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("Return"))?;
    let notice = tell(&txn, found.buyer_id, Some(actor.id), &decided).await?;
    txn.commit().await?;
    notifications::publish(events, notice);
    events.publish(DomainEvent::ProductChanged {
        product_id: the_line.product_id,
    });
    if refund > 0 {
        jobs.wake();
    }
    Ok(decided)
}

/// `rejectReturn`, with the seller's reason for the buyer.
pub async fn reject(
    db: &DatabaseConnection,
    events: &EventBus,
    actor: &user::Model,
    id: i64,
    note: String,
) -> AppResult<order_return::Model> {
    let note = text("note", &note, 1, 1000, true)?;
    let txn = begin_write(db).await?;
    let found = decidable(&txn, actor, id).await?;
    if !decide(&txn, &found, actor, ReturnStatus::Rejected, Some(note), 0).await? {
        return Err(AppError::conflict("id", "this return was already decided"));
    }
    let decided = order_return::Entity::find_by_id(found.id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("Return"))?;
    let notice = tell(&txn, found.buyer_id, Some(actor.id), &decided).await?;
    txn.commit().await?;
    notifications::publish(events, notice);
    Ok(decided)
}

/// Asks the provider to refund an approved return.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RefundReturn {
    pub return_id: i64,
}

impl JobKind for RefundReturn {
    const KIND: &'static str = "REFUND_RETURN";
    fn options() -> KindOptions {
        KindOptions {
            concurrency: 2,
            timeout: Duration::from_secs(120),
            max_attempts: 8,
            ..KindOptions::default()
        }
    }
}

pub async fn run_refund(state: &AppState, job: &RefundReturn) -> anyhow::Result<String> {
    let db = state.jobs.db();
    let Some(found) = order_return::Entity::find_by_id(job.return_id)
        .one(db)
        .await?
    else {
        return Ok(format!("return {}: gone", job.return_id));
    };
    if found.status != ReturnStatus::Approved || found.refund_id.is_some() {
        return Ok(format!("return {}: nothing to refund", found.id));
    }
    let paid = payment::Entity::find()
        .filter(payment::Column::OrderId.eq(found.order_id))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("return {}: the order has no payment", found.id))?;
    let stripe = state
        .stripe
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("payments are not configured"))?;
    // The same key on every attempt: one refund, however often retried.
    let refund = stripe
        .create_refund(
            &paid.payment_intent_id,
            Some(found.refund_amount),
            found.order_id,
            &format!("return-{}-refund", found.id),
        )
        .await
        .map_err(|e| anyhow::anyhow!("refund of return {}: {e}", found.id))?;
    let now = Utc::now();
    let txn = begin_write(db).await?;
    let moved = order_return::Entity::update_many()
        .col_expr(
            order_return::Column::Status,
            Expr::value(ReturnStatus::Refunded),
        )
        .col_expr(
            order_return::Column::RefundId,
            Expr::value(Some(refund.id.clone())),
        )
        .col_expr(order_return::Column::RefundedAt, Expr::value(Some(now)))
        .col_expr(order_return::Column::UpdatedAt, Expr::value(now))
        .filter(order_return::Column::Id.eq(found.id))
        .filter(order_return::Column::Status.eq(ReturnStatus::Approved))
        .exec(&txn)
        .await?;
    let mut notes = Vec::new();
    if moved.rows_affected == 1 {
        let done = order_return::Entity::find_by_id(found.id)
            .one(&txn)
            .await?
            .ok_or_else(|| anyhow::anyhow!("return {} vanished", found.id))?;
        let seller = store_owner(&txn, found.store_id)
            .await
            .map_err(AppError::into_anyhow)?;
        for recipient in [found.buyer_id, seller] {
            notes.extend(
                tell(&txn, recipient, None, &done)
                    .await
                    .map_err(AppError::into_anyhow)?,
            );
        }
    }
    txn.commit().await?;
    notifications::publish(&state.events, notes);
    Ok(format!(
        "return {}: refund {} of {} asked",
        found.id, refund.id, refund.amount
    ))
}

/// Which returns [`list`] gives.
#[derive(Clone, Copy, Debug)]
pub enum ReturnsOf {
    Buyer(i64),
    Store(i64),
}

/// A buyer's returns or a store's, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    of: ReturnsOf,
    status: Option<ReturnStatus>,
    after_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<order_return::Model>> {
    let mut q = order_return::Entity::find();
    q = match of {
        ReturnsOf::Buyer(id) => q.filter(order_return::Column::BuyerId.eq(id)),
        ReturnsOf::Store(id) => q.filter(order_return::Column::StoreId.eq(id)),
    };
    if let Some(s) = status {
        q = q.filter(order_return::Column::Status.eq(s));
    }
    if let Some(after) = after_id {
        q = q.filter(order_return::Column::Id.lt(after));
    }
    Ok(q.order_by_desc(order_return::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// The returns of many lines at once (for the DataLoader).
pub async fn of_lines(
    db: &impl ConnectionTrait,
    line_ids: &[i64],
) -> AppResult<Vec<order_return::Model>> {
    Ok(order_return::Entity::find()
        .filter(order_return::Column::OrderLineId.is_in(line_ids.iter().copied()))
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_refunds_what_it_cost() {
        let l = line::Model {
            id: 1,
            order_id: 1,
            product_id: 1,
            store_id: 1,
            product_name: "coat".into(),
            option_value: "M".into(),
            variant_id: Some(1),
            unit_price: 50_000,
            quantity: 2,
            line_total: 100_000,
            discount_amount: 10_000,
            shipping_fee: 1_500,
            status: OrderStatus::Delivered,
            carrier: None,
            tracking_number: None,
            shipped_at: None,
            delivered_at: None,
            updated_at: Utc::now(),
        };
        assert_eq!(line_paid(&l), 91_500);
        let free = line::Model {
            discount_amount: 200_000,
            ..l
        };
        assert_eq!(line_paid(&free), 0);
    }
}
