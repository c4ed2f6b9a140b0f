//! Orders (COM-9). `place` runs in one transaction: prices are re-read, stock
//! is taken with a conditional update (`stock = stock - n WHERE stock >= n`,
//! so it never goes below zero however many buyers race), order and lines are
//! written and the ordered cart lines removed. An idempotency key per buyer
//! makes retries safe: the same key and input return the same order; the
//! same key with another input is `IDEMPOTENCY_KEY_REUSED`.
//!
//! Lines advance PENDING_PAYMENT → PAID → SHIPPED → DELIVERED one step at a
//! time (by the line's seller or an admin); a buyer may cancel until a line
//! has shipped, which restores stock. The order's status summarises its lines.
use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, Query},
};
use serde::Serialize;

use super::{
    carts::{self, check_option, check_quantity},
    custom_carts::{self, CartRef},
};
use crate::{
    db::begin_write,
    domain::realtime::notifications::{self, NewNotification},
    domain::{execute_sql, text},
    entities::notification::{self, NotificationKind},
    entities::{
        cart_item,
        order::{self, OrderSource, OrderStatus, line},
        product::{self, ProductStatus},
        store,
        user::{self, Role},
    },
    error::{AppError, AppResult},
    events::{DomainEvent, EventBus},
    jobs::JobQueue,
};

pub const MAX_LINES: usize = 50;

#[derive(Clone, Debug, Serialize)]
pub struct RequestedLine {
    pub product_id: i64,
    pub option: String,
    pub quantity: i32,
}

#[derive(Clone, Debug)]
pub enum OrderFrom {
    Cart,
    CustomCart(CartRef),
    Lines(Vec<RequestedLine>),
}

#[derive(Clone, Debug, Serialize)]
pub struct Shipping {
    pub recipient: String,
    pub phone: String,
    pub address: String,
    pub memo: String,
}

fn check_shipping(raw: Shipping) -> AppResult<Shipping> {
    let phone = text("phone", &raw.phone, 7, 32, false)?;
    if !phone
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')'))
    {
        return Err(AppError::validation(
            "phone",
            "`phone` may hold digits, spaces and + - ( ) only",
        ));
    }
    Ok(Shipping {
        recipient: text("recipient", &raw.recipient, 1, 60, false)?,
        phone,
        address: text("address", &raw.address, 5, 300, false)?,
        memo: text("memo", &raw.memo, 0, 300, false)?,
    })
}

/// SHA-256 over the normalised request: what "the same input" means.
fn fingerprint(from: &OrderFrom, shipping: &Shipping) -> String {
    #[derive(Serialize)]
    struct Canonical<'a> {
        source: &'a str,
        custom_cart: Option<String>,
        lines: Vec<&'a RequestedLine>,
        shipping: &'a Shipping,
    }
    let (source, custom_cart, lines) = match from {
        OrderFrom::Cart => ("CART", None, Vec::new()),
        OrderFrom::CustomCart(CartRef::Id(id)) => {
            ("CUSTOM_CART", Some(format!("id:{id}")), Vec::new())
        }
        OrderFrom::CustomCart(CartRef::Slug(s)) => {
            ("CUSTOM_CART", Some(format!("slug:{s}")), Vec::new())
        }
        OrderFrom::Lines(lines) => {
            let mut sorted: Vec<&RequestedLine> = lines.iter().collect();
            sorted.sort_by(|a, b| (a.product_id, &a.option).cmp(&(b.product_id, &b.option)));
            ("LINES", None, sorted)
        }
    };
    let canonical = Canonical {
        source,
        custom_cart,
        lines,
        shipping,
    };
    crate::domain::idempotency::fingerprint(&canonical)
}

/// The order a key already produced, if any; errors when the input differs.
async fn replay(
    db: &impl ConnectionTrait,
    buyer_id: i64,
    key: &str,
    fingerprint: &str,
) -> AppResult<Option<order::Model>> {
    let existing = order::Entity::find()
        .filter(order::Column::BuyerId.eq(buyer_id))
        .filter(order::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?;
    match existing {
        Some(o) if o.request_fingerprint == fingerprint => Ok(Some(o)),
        Some(_) => Err(AppError::IdempotencyKeyReused),
        None => Ok(None),
    }
}

/// What to buy, resolved to (product, option, quantity, cart line to clear).
struct Wanted {
    product_id: i64,
    option: String,
    quantity: i32,
    cart_line: Option<i64>,
}

async fn wanted_lines(
    db: &impl ConnectionTrait,
    buyer: &user::Model,
    from: &OrderFrom,
) -> AppResult<(Vec<Wanted>, OrderSource, Option<i64>)> {
    let (wanted, source, custom_cart_id) = match from {
        OrderFrom::Cart => {
            let lines = carts::lines(db, buyer.id).await?;
            let wanted = lines
                .into_iter()
                .map(|l: cart_item::Model| Wanted {
                    product_id: l.product_id,
                    option: l.option_value,
                    quantity: l.quantity,
                    cart_line: Some(l.id),
                })
                .collect();
            (wanted, OrderSource::Cart, None)
        }
        OrderFrom::CustomCart(by) => {
            let cart = custom_carts::find_readable(db, by, Some(buyer))
                .await?
                .ok_or_else(|| AppError::not_found("CustomCart"))?;
            let wanted = custom_carts::items(db, cart.id)
                .await?
                .into_iter()
                .map(|i| Wanted {
                    product_id: i.product_id,
                    option: i.option_value,
                    quantity: i.quantity,
                    cart_line: None,
                })
                .collect();
            (wanted, OrderSource::CustomCart, Some(cart.id))
        }
        OrderFrom::Lines(lines) => {
            let wanted: Vec<Wanted> = lines
                .iter()
                .map(|l| {
                    Ok(Wanted {
                        product_id: l.product_id,
                        option: l.option.clone(),
                        quantity: check_quantity(l.quantity)?,
                        cart_line: None,
                    })
                })
                .collect::<AppResult<_>>()?;
            (wanted, OrderSource::Lines, None)
        }
    };
    if wanted.is_empty() {
        return Err(AppError::validation("input", "there is nothing to order"));
    }
    if wanted.len() > MAX_LINES {
        return Err(AppError::validation(
            "lines",
            format!("an order holds at most {MAX_LINES} lines"),
        ));
    }
    Ok((wanted, source, custom_cart_id))
}

/// Places an order. See the module documentation for the guarantees. The
/// key goes through the shared idempotency mechanism (a concurrent duplicate
/// answers `IN_PROGRESS`, a finished one replays the order) and is also
/// stored on the order itself, unique per buyer, as a second line of defence.
pub async fn place(
    db: &DatabaseConnection,
    events: &EventBus,
    buyer: &user::Model,
    from: OrderFrom,
    shipping: Shipping,
    idempotency_key: &str,
) -> AppResult<order::Model> {
    let key = crate::domain::idempotency::check_key(idempotency_key)?;
    let shipping = check_shipping(shipping)?;
    let print = fingerprint(&from, &shipping);
    let claim = crate::domain::idempotency::IdempotencyKey {
        scope: format!("user:{}", buyer.id),
        operation: "placeOrder",
        key: &key,
        fingerprint: print,
    };
    let order_id: i64 = crate::domain::idempotency::run(db, claim, || async {
        place_once(db, events, buyer, from, shipping, &key)
            .await
            .map(|o| o.id)
    })
    .await?;
    order::Entity::find_by_id(order_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Order"))
}

async fn place_once(
    db: &DatabaseConnection,
    events: &EventBus,
    buyer: &user::Model,
    from: OrderFrom,
    shipping: Shipping,
    key: &str,
) -> AppResult<order::Model> {
    let key = key.to_owned();
    if let OrderFrom::Lines(lines) = &from
        && lines.len() > MAX_LINES
    {
        return Err(AppError::validation(
            "lines",
            format!("an order holds at most {MAX_LINES} lines"),
        ));
    }
    let print = fingerprint(&from, &shipping);
    if let Some(done) = replay(db, buyer.id, &key, &print).await? {
        return Ok(done);
    }

    let txn = begin_write(db).await?;
    let (mut wanted, source, custom_cart_id) = wanted_lines(&txn, buyer, &from).await?;
    // A fixed lock order (by product) keeps concurrent orders from deadlocking.
    wanted.sort_by_key(|w| w.product_id);
    let now = Utc::now();
    let mut lines = Vec::with_capacity(wanted.len());
    for w in &wanted {
        let product = match product::Entity::find_by_id(w.product_id).one(&txn).await? {
            Some(p) if p.status == ProductStatus::Active => p,
            _ => return Err(AppError::not_found("Product")),
        };
        let option = check_option(&product, Some(w.option.as_str()))?;
        let taken = execute_sql(
            &txn,
            "UPDATE products SET stock = stock - ?, sold_count = sold_count + ?, popularity = popularity + ? \
             WHERE id = ? AND stock >= ? AND status = 'ACTIVE'",
            vec![
                w.quantity.into(),
                w.quantity.into(),
                (3 * w.quantity).into(),
                product.id.into(),
                w.quantity.into(),
            ],
        )
        .await?;
        if taken.rows_affected() != 1 {
            return Err(AppError::OutOfStock {
                product_id: product.id,
            });
        }
        let line_total = product.price * i64::from(w.quantity);
        lines.push((product, option, w.quantity, line_total));
    }
    let total: i64 = lines.iter().map(|l| l.3).sum();
    let inserted = order::ActiveModel {
        buyer_id: Set(buyer.id),
        status: Set(OrderStatus::PendingPayment),
        source: Set(source),
        custom_cart_id: Set(custom_cart_id),
        total_amount: Set(total),
        recipient: Set(shipping.recipient.clone()),
        phone: Set(shipping.phone.clone()),
        address: Set(shipping.address.clone()),
        memo: Set(shipping.memo.clone()),
        idempotency_key: Set(key.clone()),
        request_fingerprint: Set(print.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let placed = match inserted {
        Ok(o) => o,
        Err(e)
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            // The same key won a race with us: undo, then answer as a replay.
            txn.rollback().await?;
            return replay(db, buyer.id, &key, &print)
                .await?
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("idempotency key vanished")));
        }
        Err(e) => return Err(e.into()),
    };
    line::Entity::insert_many(lines.iter().map(|(product, option, quantity, line_total)| {
        line::ActiveModel {
            order_id: Set(placed.id),
            product_id: Set(product.id),
            store_id: Set(product.store_id),
            product_name: Set(product.name.clone()),
            option_value: Set(option.clone()),
            unit_price: Set(product.price),
            quantity: Set(*quantity),
            line_total: Set(*line_total),
            status: Set(OrderStatus::PendingPayment),
            updated_at: Set(now),
            ..Default::default()
        }
    }))
    .exec(&txn)
    .await?;
    let cleared: Vec<i64> = wanted.iter().filter_map(|w| w.cart_line).collect();
    if !cleared.is_empty() {
        cart_item::Entity::delete_many()
            .filter(cart_item::Column::Id.is_in(cleared))
            .exec(&txn)
            .await?;
    }
    // Each store's seller learns of the order at once (ORDER_PLACED), then
    // of its payment (ORDER_PAID).
    let mut notes = Vec::new();
    for seller in sellers_of(&txn, placed.id).await? {
        notes.extend(
            notifications::notify(
                &txn,
                NewNotification {
                    recipient_id: seller,
                    kind: NotificationKind::OrderPlaced,
                    actor_id: Some(buyer.id),
                    subject: Some(("Order", placed.id)),
                    data: serde_json::json!({ "total": placed.total_amount }),
                },
            )
            .await?,
        );
    }
    txn.commit().await?;
    notifications::publish(events, notes);
    events.publish(DomainEvent::OrderPlaced {
        order_id: placed.id,
        buyer_id: buyer.id,
    });
    for (product, ..) in &lines {
        events.publish(DomainEvent::ProductChanged {
            product_id: product.id,
        });
    }
    Ok(placed)
}

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
            execute_sql(
                txn,
                "UPDATE products SET stock = stock + ?, sold_count = sold_count - ?, popularity = popularity - ? WHERE id = ?",
                vec![l.quantity.into(), l.quantity.into(), (3 * l.quantity).into(), l.product_id.into()],
            )
            .await?;
        }
    }
    refresh_order_status(txn, found.id).await?;
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

fn next_status(current: OrderStatus) -> Option<OrderStatus> {
    match current {
        OrderStatus::PendingPayment => Some(OrderStatus::Paid),
        OrderStatus::Paid => Some(OrderStatus::Shipped),
        OrderStatus::Shipped => Some(OrderStatus::Delivered),
        OrderStatus::Delivered | OrderStatus::Cancelled => None,
    }
}

/// Moves one line a single step forward; only its store's seller or an admin.
pub async fn advance_line(
    db: &DatabaseConnection,
    events: &EventBus,
    actor: &user::Model,
    line_id: i64,
    to: OrderStatus,
) -> AppResult<line::Model> {
    let txn = begin_write(db).await?;
    let current = line::Entity::find_by_id(line_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("OrderLine"))?;
    if actor.role != Role::Admin {
        let owner = store::Entity::find_by_id(current.store_id)
            .one(&txn)
            .await?
            .map(|s| s.owner_id);
        if owner != Some(actor.id) {
            return Err(AppError::not_found("OrderLine"));
        }
    }
    match next_status(current.status) {
        Some(next) if next == to => {}
        Some(next) => {
            return Err(AppError::validation(
                "status",
                format!("this line can only move to {next:?} next"),
            ));
        }
        None => return Err(AppError::conflict("status", "this line is finished")),
    }
    let moved = line::Entity::update_many()
        .col_expr(line::Column::Status, Expr::value(to))
        .col_expr(line::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(line::Column::Id.eq(line_id))
        .filter(line::Column::Status.eq(current.status))
        .exec(&txn)
        .await?;
    if moved.rows_affected != 1 {
        return Err(AppError::conflict(
            "status",
            "the line changed at the same time; reload it",
        ));
    }
    refresh_order_status(&txn, current.order_id).await?;
    let updated = line::Entity::find_by_id(line_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("OrderLine"))?;
    let buyer_id = order::Entity::find_by_id(current.order_id)
        .one(&txn)
        .await?
        .map(|o| o.buyer_id)
        .unwrap_or_default();
    let notice = notifications::notify(
        &txn,
        NewNotification {
            recipient_id: buyer_id,
            kind: NotificationKind::OrderStatus,
            actor_id: Some(actor.id),
            subject: Some(("Order", current.order_id)),
            data: serde_json::json!({
                "status": sea_orm::ActiveEnum::to_value(&to),
                "orderLineId": line_id,
                "productId": current.product_id,
            }),
        },
    )
    .await?;
    txn.commit().await?;
    notifications::publish(events, notice);
    events.publish(DomainEvent::OrderStatusChanged {
        order_id: current.order_id,
        buyer_id,
        order_line_id: Some(line_id),
        status: format!("{to:?}"),
    });
    Ok(updated)
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
    fn fingerprint_ignores_line_order_but_not_content() {
        let ship = Shipping {
            recipient: "Kim".into(),
            phone: "010-1234-5678".into(),
            address: "Seoul Mapo-gu 1".into(),
            memo: String::new(),
        };
        let a = RequestedLine {
            product_id: 1,
            option: "M".into(),
            quantity: 1,
        };
        let b = RequestedLine {
            product_id: 2,
            option: String::new(),
            quantity: 2,
        };
        let one = fingerprint(&OrderFrom::Lines(vec![a.clone(), b.clone()]), &ship);
        let two = fingerprint(&OrderFrom::Lines(vec![b.clone(), a.clone()]), &ship);
        assert_eq!(one, two);
        let more = RequestedLine { quantity: 3, ..b };
        assert_ne!(one, fingerprint(&OrderFrom::Lines(vec![a, more]), &ship));
        assert_ne!(one, fingerprint(&OrderFrom::Cart, &ship));
    }

    #[test]
    fn keys_and_steps() {
        assert!(check_key("short").is_err());
        assert!(check_key("order-2026-11-21:abc").is_ok());
        assert!(check_key("has space in it").is_err());
        assert_eq!(next_status(OrderStatus::Paid), Some(OrderStatus::Shipped));
        assert_eq!(next_status(OrderStatus::Delivered), None);
    }
}
