//! Emitting partner events, inside the transaction of the write that
//! causes them: [`emit_in`] (and [`stock_low_in`]) insert one delivery row
//! per enabled subscription of the event's type whose partner's allow-list
//! may read the data ([`super::scope`]), and enqueue each delivery's job
//! in the same transaction, so a rolled-back write sends nothing and a
//! committed one is delivered even across a restart.
//!
//! The body is `{id, type, created, data}` with an event id (`evt_…`)
//! shared by every subscription it goes to, which receivers de-duplicate
//! on. Payloads carry global ids and what partners could read anyway; never
//! a buyer's name, phone or address. Order events go only to partners
//! linked to a store with lines in the order, and each store's partners get
//! a body with that store's lines alone (and their amounts, not the
//! order's): one body per store, built once.
use chrono::Utc;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde_json::{Value, json};

use super::{EventType, deliver::DeliverPartnerWebhook, scope};
use crate::{
    conventions::encode_id,
    domain::like_contains,
    entities::{
        order::{self, line},
        partner, partner_webhook_delivery as delivery,
        partner_webhook_subscription as subscription,
        product::{self, ProductStatus},
        review,
    },
    error::AppResult,
    jobs::{Enqueue, JobQueue},
};

/// Something that happened, named by its ids; [`emit_in`] reads the rest
/// in the caller's transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Every live line of the order was paid.
    OrderPaid { order_id: i64 },
    /// A seller marked one line SHIPPED.
    OrderShipped { order_line_id: i64 },
    /// A product's fields changed (sent only while it is ACTIVE, the only
    /// state partners can read).
    ProductUpdated { product_id: i64 },
    /// A review was written.
    ReviewCreated { review_id: i64 },
}

impl Event {
    pub fn kind(&self) -> EventType {
        match self {
            Self::OrderPaid { .. } => EventType::OrderPaid,
            Self::OrderShipped { .. } => EventType::OrderShipped,
            Self::ProductUpdated { .. } => EventType::ProductUpdated,
            Self::ReviewCreated { .. } => EventType::ReviewCreated,
        }
    }
}

/// Emits `event` to the partners subscribed to it, inside `txn`. The number
/// of deliveries queued (0 when nobody listens: one cheap query).
pub async fn emit_in(txn: &impl ConnectionTrait, event: Event) -> AppResult<usize> {
    let kind = event.kind();
    let targets = listening(txn, kind, None).await?;
    if targets.is_empty() {
        return Ok(0);
    }
    if matches!(event, Event::OrderPaid { .. } | Event::OrderShipped { .. }) {
        return emit_order_in(txn, event, &targets).await;
    }
    let Some(data) = data_of(txn, event).await? else {
        return Ok(0);
    };
    let subs: Vec<subscription::Model> = targets.into_iter().map(|(s, _)| s).collect();
    queue(txn, kind, &new_event_id(), data, &subs).await
}

/// An order event, to the listening partners linked to a store with lines
/// in it: per store, a body with only that store's lines.
async fn emit_order_in(
    txn: &impl ConnectionTrait,
    event: Event,
    targets: &[(subscription::Model, Option<i64>)],
) -> AppResult<usize> {
    let (order_id, only_line) = match event {
        Event::OrderPaid { order_id } => (order_id, None),
        Event::OrderShipped { order_line_id } => {
            let Some(l) = line::Entity::find_by_id(order_line_id).one(txn).await? else {
                return Ok(0);
            };
            (l.order_id, Some(l))
        }
        _ => return Ok(0),
    };
    let Some(o) = order::Entity::find_by_id(order_id).one(txn).await? else {
        return Ok(0);
    };
    let lines = match only_line {
        Some(l) => vec![l],
        None => {
            line::Entity::find()
                .filter(line::Column::OrderId.eq(order_id))
                .order_by_asc(line::Column::Id)
                .all(txn)
                .await?
        }
    };
    let mut stores: Vec<i64> = targets.iter().filter_map(|(_, store)| *store).collect();
    stores.sort_unstable();
    stores.dedup();
    let event_id = new_event_id();
    let mut queued = 0;
    for store_id in stores {
        let mine: Vec<&line::Model> = lines.iter().filter(|l| l.store_id == store_id).collect();
        let Some(first) = mine.first() else {
            continue;
        };
        let data = match event {
            Event::OrderShipped { .. } => shipped_json(first),
            _ => paid_json(&o, store_id, &mine),
        };
        let subs: Vec<subscription::Model> = targets
            .iter()
            .filter(|(_, store)| *store == Some(store_id))
            .map(|(s, _)| s.clone())
            .collect();
        queued += queue(txn, event.kind(), &event_id, data, &subs).await?;
    }
    Ok(queued)
}

/// `order.paid` for one store: its lines and their amounts.
fn paid_json(o: &order::Model, store_id: i64, lines: &[&line::Model]) -> Value {
    let sum = |f: fn(&line::Model) -> i64| lines.iter().map(|l| f(l)).sum::<i64>();
    json!({
        "orderId": encode_id("Order", o.id).to_string(),
        "storeId": encode_id("Store", store_id).to_string(),
        "status": o.status.to_value(),
        "subtotalAmount": sum(|l| l.line_total),
        "discountAmount": sum(|l| l.discount_amount),
        "shippingFee": sum(|l| l.shipping_fee),
        "paidAmount": sum(paid_amount),
        "currency": "KRW",
        "placedAt": o.created_at,
        "lines": lines.iter().map(|l| line_json(l)).collect::<Vec<_>>(),
    })
}

fn shipped_json(l: &line::Model) -> Value {
    json!({
        "orderId": encode_id("Order", l.order_id).to_string(),
        "storeId": encode_id("Store", l.store_id).to_string(),
        "line": line_json(l),
        "carrier": l.carrier.map(|c| c.to_value()),
        "trackingNumber": l.tracking_number,
        "shippedAt": l.shipped_at,
    })
}

/// What the buyer paid for a line: total − discount share + shipping share.
fn paid_amount(l: &line::Model) -> i64 {
    l.line_total - l.discount_amount + l.shipping_fee
}

fn new_event_id() -> String {
    format!("evt_{}", uuid::Uuid::new_v4().simple())
}

/// An order line moved to `to` (`advance_line`, after the order's status
/// was refreshed): `order.shipped` when it was shipped, `order.paid` when a
/// seller marking it paid (a payment outside Stripe) made the whole order
/// PAID. Stripe payments emit `order.paid` themselves.
pub async fn line_moved_in(
    txn: &impl ConnectionTrait,
    order_line_id: i64,
    to: order::OrderStatus,
) -> AppResult<usize> {
    match to {
        order::OrderStatus::Shipped => emit_in(txn, Event::OrderShipped { order_line_id }).await,
        order::OrderStatus::Paid => {
            let Some(l) = line::Entity::find_by_id(order_line_id).one(txn).await? else {
                return Ok(0);
            };
            let paid = order::Entity::find_by_id(l.order_id)
                .one(txn)
                .await?
                .is_some_and(|o| o.status == order::OrderStatus::Paid);
            if !paid {
                return Ok(0);
            }
            emit_in(
                txn,
                Event::OrderPaid {
                    order_id: l.order_id,
                },
            )
            .await
        }
        _ => Ok(0),
    }
}

/// `stock.low`: called after a sale took stock of `product_id`, in the
/// sale's transaction (which reads its own write, so `remaining` is the
/// product's stock after it, whatever other orders did meanwhile); emitted
/// to the subscriptions whose threshold is at or above `remaining` (each
/// subscription has its own, defaulting to
/// `VITRINE_PARTNER_STOCK_LOW_THRESHOLD`). Emitted on every such sale, so
/// receivers always learn the latest count. The count is the product's
/// total over its variants: the one partners can read (`Product.stock`).
pub async fn stock_low_in(txn: &impl ConnectionTrait, product_id: i64) -> AppResult<usize> {
    let Some(p) = product::Entity::find_by_id(product_id).one(txn).await? else {
        return Ok(0);
    };
    let remaining = p.stock.max(0);
    if remaining > super::MAX_STOCK_LOW_THRESHOLD || p.status != ProductStatus::Active {
        return Ok(0);
    }
    let targets = listening(txn, EventType::StockLow, Some(remaining)).await?;
    if targets.is_empty() {
        return Ok(0);
    }
    let data = json!({
        "productId": encode_id("Product", p.id).to_string(),
        "storeId": encode_id("Store", p.store_id).to_string(),
        "name": p.name,
        "remaining": remaining,
    });
    let subs: Vec<subscription::Model> = targets.into_iter().map(|(s, _)| s).collect();
    queue(txn, EventType::StockLow, &new_event_id(), data, &subs).await
}

/// The enabled subscriptions to `kind` whose partner may receive it, each
/// with its partner's linked store.
async fn listening(
    txn: &impl ConnectionTrait,
    kind: EventType,
    stock_remaining: Option<i64>,
) -> AppResult<Vec<(subscription::Model, Option<i64>)>> {
    let mut query = subscription::Entity::find()
        .filter(subscription::Column::Enabled.eq(true))
        .filter(
            subscription::Column::EventTypes.like(like_contains(&format!("\"{}\"", kind.as_str()))),
        )
        .order_by_asc(subscription::Column::Id);
    if let Some(remaining) = stock_remaining {
        query = query.filter(subscription::Column::StockLowThreshold.gte(remaining));
    }
    let subs = query.all(txn).await?;
    if subs.is_empty() {
        return Ok(Vec::new());
    }
    let mut partner_ids: Vec<i64> = subs.iter().map(|s| s.partner_id).collect();
    partner_ids.sort_unstable();
    partner_ids.dedup();
    let partners = partner::Entity::find()
        .filter(partner::Column::Id.is_in(partner_ids))
        .all(txn)
        .await?;
    Ok(subs
        .into_iter()
        .filter_map(|s| {
            let p = partners.iter().find(|p| p.id == s.partner_id)?;
            (scope::allows(p, kind) && super::event_types(&s).contains(&kind))
                .then_some((s, p.store_id))
        })
        .collect())
}

/// The event's `data` (products and reviews), or `None` when it is not for
/// partners after all (the thing is gone, hidden, or not readable by them).
async fn data_of(txn: &impl ConnectionTrait, event: Event) -> AppResult<Option<Value>> {
    Ok(match event {
        // Per store: `emit_order_in`.
        Event::OrderPaid { .. } | Event::OrderShipped { .. } => None,
        Event::ProductUpdated { product_id } => {
            let Some(p) = product::Entity::find_by_id(product_id).one(txn).await? else {
                return Ok(None);
            };
            if p.status != ProductStatus::Active {
                return Ok(None);
            }
            Some(json!({
                "productId": encode_id("Product", p.id).to_string(),
                "storeId": encode_id("Store", p.store_id).to_string(),
                "name": p.name,
                "price": p.price,
                "inStock": p.stock > 0,
                "updatedAt": p.updated_at,
            }))
        }
        Event::ReviewCreated { review_id } => {
            let Some(r) = review::Entity::find_by_id(review_id).one(txn).await? else {
                return Ok(None);
            };
            if r.hidden_at.is_some() {
                return Ok(None);
            }
            Some(json!({
                "reviewId": encode_id("Review", r.id).to_string(),
                "productId": encode_id("Product", r.product_id).to_string(),
                "storeId": encode_id("Store", r.store_id).to_string(),
                "rating": r.rating,
                "body": r.body,
                "createdAt": r.created_at,
            }))
        }
    })
}

fn line_json(l: &line::Model) -> Value {
    json!({
        "id": encode_id("OrderLine", l.id).to_string(),
        "productId": encode_id("Product", l.product_id).to_string(),
        "storeId": encode_id("Store", l.store_id).to_string(),
        "productName": l.product_name,
        "option": l.option_value,
        "quantity": l.quantity,
        "unitPrice": l.unit_price,
        "lineTotal": l.line_total,
        "discountAmount": l.discount_amount,
        "shippingFee": l.shipping_fee,
        "paidAmount": paid_amount(l),
        "status": l.status.to_value(),
    })
}

/// One delivery row and its job per target, with one event id and body.
async fn queue(
    txn: &impl ConnectionTrait,
    kind: EventType,
    event_id: &str,
    data: Value,
    targets: &[subscription::Model],
) -> AppResult<usize> {
    let now = Utc::now();
    let body = json!({
        "id": event_id,
        "type": kind.as_str(),
        "created": now.timestamp(),
        "data": data,
    })
    .to_string();
    let mut queued = 0;
    for target in targets {
        let row = delivery::ActiveModel {
            subscription_id: sea_orm::Set(target.id),
            event_id: sea_orm::Set(event_id.to_owned()),
            event_type: sea_orm::Set(kind.as_str().to_owned()),
            payload: sea_orm::Set(body.clone()),
            status: sea_orm::Set(delivery::DeliveryStatus::Pending),
            attempts: sea_orm::Set(0),
            first_attempt_at: sea_orm::Set(None),
            last_attempt_at: sea_orm::Set(None),
            next_attempt_at: sea_orm::Set(Some(now)),
            delivered_at: sea_orm::Set(None),
            last_status_code: sea_orm::Set(None),
            last_error: sea_orm::Set(None),
            created_at: sea_orm::Set(now),
            ..Default::default()
        };
        let row = row.insert(txn).await?;
        JobQueue::enqueue_at(
            txn,
            &DeliverPartnerWebhook {
                delivery_id: row.id,
                manual: false,
            },
            Enqueue::default(),
            now,
        )
        .await?;
        queued += 1;
    }
    Ok(queued)
}
