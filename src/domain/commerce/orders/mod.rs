//! Orders (COM-9, issue 22). [`place`] runs in one transaction: prices are
//! re-read, each variant's stock is taken with a conditional update
//! (`stock = stock - n WHERE stock >= n`, so it never goes below zero however
//! many buyers race), shipping fees charged, the address copied, order and
//! lines written and the ordered cart lines removed. An idempotency key per
//! buyer makes retries safe: the same key and input return the same order;
//! the same key with another input is `IDEMPOTENCY_KEY_REUSED`.
//!
//! Lines advance PENDING_PAYMENT → PAID → SHIPPED (with carrier and
//! tracking number) → DELIVERED one step at a time (by the line's seller or
//! an admin, [`fulfilment`]); a buyer may cancel until a line has shipped,
//! which restores stock. The order's status summarises its lines.
use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, Query},
};

use super::variants;
use crate::{
    db::begin_write,
    domain::realtime::notifications::{self, NewNotification},
    entities::notification::{self, NotificationKind},
    entities::{
        order::{self, OrderStatus, line},
        store,
        user::{self, Role},
    },
    error::{AppError, AppResult},
    events::{DomainEvent, EventBus},
    jobs::JobQueue,
};

pub mod fulfilment;
mod place;

pub use fulfilment::{Shipment, advance_line, tracking_url};
pub use place::{Delivery, MAX_LINES, OrderFrom, RequestedLine, ShipTo, place};

/// The owners of the stores with lines in `order_id`.
pub async fn sellers_of(txn: &impl ConnectionTrait, order_id: i64) -> AppResult<Vec<i64>> {
    let store_ids: BTreeSet<i64> = line::Entity::find()
        .filter(line::Column::OrderId.eq(order_id))
        .select_only()
        .column(line::Column::StoreId)
        .into_tuple::<i64>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    Ok(store::Entity::find()
        .filter(store::Column::Id.is_in(store_ids))
        .all(txn)
        .await?
        .into_iter()
        .map(|s| s.owner_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect())
}

/// The status an order shows: CANCELLED when every line is, otherwise the
/// least advanced status among the lines still live.
pub fn summarise(statuses: &[OrderStatus]) -> OrderStatus {
    statuses
        .iter()
        .copied()
        .filter(|s| *s != OrderStatus::Cancelled)
        .min()
        .unwrap_or(OrderStatus::Cancelled)
}

pub async fn refresh_order_status(
    txn: &impl ConnectionTrait,
    order_id: i64,
) -> AppResult<OrderStatus> {
    let statuses: Vec<OrderStatus> = line::Entity::find()
        .filter(line::Column::OrderId.eq(order_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|l| l.status)
        .collect();
    let status = summarise(&statuses);
    order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(status))
        .col_expr(order::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(order::Column::Id.eq(order_id))
        .exec(txn)
        .await?;
    Ok(status)
}

/// Cancels every line that has not shipped and restores its stock. Buyers
/// cancel their own orders, admins any; an order with a shipped line cannot
/// be cancelled. A paid order's refund is asked for in the same
/// transaction (a REFUND_PAYMENT job).
pub async fn cancel(
    db: &DatabaseConnection,
    events: &EventBus,
    jobs: &JobQueue,
    actor: &user::Model,
    order_id: i64,
) -> AppResult<order::Model> {
    let txn = begin_write(db).await?;
    let found = order::Entity::find_by_id(order_id)
        .one(&txn)
        .await?
        .filter(|o| o.buyer_id == actor.id || actor.role == Role::Admin)
        .ok_or_else(|| AppError::not_found("Order"))?;
    let cancelled = cancel_in(&txn, jobs, &found, Some(actor.id)).await?;
    txn.commit().await?;
    cancelled.publish(events, jobs);
    Ok(cancelled.order)
}

/// What [`cancel_in`] did, to publish once committed.
pub struct Cancelled {
    pub order: order::Model,
    notice: Option<notification::Model>,
    product_ids: Vec<i64>,
    refund_requested: bool,
}

impl Cancelled {
    pub fn publish(&self, events: &EventBus, jobs: &JobQueue) {
        notifications::publish(events, self.notice.clone());
        events.publish(DomainEvent::OrderStatusChanged {
            order_id: self.order.id,
            buyer_id: self.order.buyer_id,
            order_line_id: None,
            status: "CANCELLED".into(),
        });
        for product_id in &self.product_ids {
            events.publish(DomainEvent::ProductChanged {
                product_id: *product_id,
            });
        }
        if self.refund_requested {
            jobs.wake();
        }
    }
}

/// Cancels `found` inside `txn`: by `actor_id`, or by the platform (`None`,
/// an unpaid order past its time).
pub async fn cancel_in(
    txn: &impl ConnectionTrait,
    jobs: &JobQueue,
    found: &order::Model,
    actor_id: Option<i64>,
) -> AppResult<Cancelled> {
    let lines = line::Entity::find()
        .filter(line::Column::OrderId.eq(found.id))
        .all(txn)
        .await?;
    if lines
        .iter()
        .any(|l| matches!(l.status, OrderStatus::Shipped | OrderStatus::Delivered))
    {
        return Err(AppError::conflict(
            "id",
            "an order with shipped lines cannot be cancelled",
        ));
    }
    if lines.iter().all(|l| l.status == OrderStatus::Cancelled) {
        return Err(AppError::conflict("id", "the order is already cancelled"));
    }
    let now = Utc::now();
    for l in &lines {
        // Only the line we move out of a live status gives its stock back.
        let moved = line::Entity::update_many()
            .col_expr(line::Column::Status, Expr::value(OrderStatus::Cancelled))
            .col_expr(line::Column::UpdatedAt, Expr::value(now))
            .filter(line::Column::Id.eq(l.id))
            .filter(line::Column::Status.is_in([OrderStatus::PendingPayment, OrderStatus::Paid]))
            .exec(txn)
            .await?;
        if moved.rows_affected == 1 {
            variants::give_back(txn, l.product_id, l.variant_id, l.quantity).await?;
        }
    }
    refresh_order_status(txn, found.id).await?;
    // The coupon's redemption goes back to the buyer and the coupon's limit.
    crate::domain::commerce::coupons::release_in(txn, found.id, now).await?;
    let refund_requested =
        crate::domain::billing::payments::request_refund(txn, jobs, found.id, now).await?;
    let order = order::Entity::find_by_id(found.id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("Order"))?;
    // An admin or the platform cancelling tells the buyer (buyers know
    // what they did).
    let notice = notifications::notify(
        txn,
        NewNotification {
            recipient_id: found.buyer_id,
            kind: NotificationKind::OrderStatus,
            actor_id,
            subject: Some(("Order", found.id)),
            data: serde_json::json!({ "status": "CANCELLED", "orderLineId": null, "refund": refund_requested }),
        },
    )
    .await?;
    Ok(Cancelled {
        order,
        notice,
        product_ids: lines.iter().map(|l| l.product_id).collect(),
        refund_requested,
    })
}

/// Which lines of an order a reader sees: every line (its buyer, admins) or
/// only one store's (a seller reading an order that mixes stores).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineScope {
    All,
    Store(i64),
}

/// The lines of an order that a reader with `scope` sees, in order.
pub fn visible_lines(scope: LineScope, lines: Vec<line::Model>) -> Vec<line::Model> {
    match scope {
        LineScope::All => lines,
        LineScope::Store(store_id) => lines
            .into_iter()
            .filter(|l| l.store_id == store_id)
            .collect(),
    }
}

/// Order `order_id` as `viewer` may read it, with the lines they see: its
/// buyer and admins read all of it, a seller with lines in it their lines;
/// `None` for anyone else (and for unknown ids), so existence is not revealed.
pub async fn find_for(
    db: &DatabaseConnection,
    viewer: &user::Model,
    order_id: i64,
) -> AppResult<Option<(order::Model, LineScope)>> {
    let Some(found) = order::Entity::find_by_id(order_id).one(db).await? else {
        return Ok(None);
    };
    if found.buyer_id == viewer.id || viewer.role == Role::Admin {
        return Ok(Some((found, LineScope::All)));
    }
    let Some(store) = super::stores::owned_by(db, viewer.id).await? else {
        return Ok(None);
    };
    let has_lines = line::Entity::find()
        .filter(line::Column::OrderId.eq(found.id))
        .filter(line::Column::StoreId.eq(store.id))
        .one(db)
        .await?
        .is_some();
    Ok(has_lines.then_some((found, LineScope::Store(store.id))))
}

/// Which orders [`list`] returns; `None` fields do not narrow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OrderFilter {
    pub buyer_id: Option<i64>,
    /// Orders with at least one line of this store.
    pub store_id: Option<i64>,
}

/// A buyer's orders, a store's, or every order, newest first.
pub async fn list(
    db: &DatabaseConnection,
    filter: OrderFilter,
    after_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<order::Model>> {
    let mut query = order::Entity::find();
    if let Some(buyer) = filter.buyer_id {
        query = query.filter(order::Column::BuyerId.eq(buyer));
    }
    if let Some(store) = filter.store_id {
        let with_store = Query::select()
            .column(line::Column::OrderId)
            .from(line::Entity)
            .and_where(line::Column::StoreId.eq(store))
            .to_owned();
        query = query.filter(order::Column::Id.in_subquery(with_store));
    }
    if let Some(after) = after_id {
        query = query.filter(order::Column::Id.lt(after));
    }
    Ok(query
        .order_by_desc(order::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Lines of many orders at once (for the DataLoader), grouped by order.
pub async fn lines_of(
    db: &impl ConnectionTrait,
    order_ids: &[i64],
) -> AppResult<BTreeMap<i64, Vec<line::Model>>> {
    let rows = line::Entity::find()
        .filter(line::Column::OrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(line::Column::Id)
        .all(db)
        .await?;
    let mut grouped: BTreeMap<i64, Vec<line::Model>> = BTreeMap::new();
    for row in rows {
        grouped.entry(row.order_id).or_default().push(row);
    }
    Ok(grouped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::idempotency::check_key;

    #[test]
    fn order_status_summarises_lines() {
        use OrderStatus::*;
        assert_eq!(summarise(&[Paid, Shipped]), Paid);
        assert_eq!(summarise(&[Delivered, Cancelled]), Delivered);
        assert_eq!(summarise(&[Cancelled, Cancelled]), Cancelled);
        assert_eq!(summarise(&[PendingPayment, Delivered]), PendingPayment);
    }

    #[test]
    fn keys_and_steps() {
        assert!(check_key("short").is_err());
        assert!(check_key("order-2026-11-21:abc").is_ok());
        assert!(check_key("has space in it").is_err());
    }
}
