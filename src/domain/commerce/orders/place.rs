//! `placeOrder` (COM-9, issue 22) in one transaction: each line's variant
//! is priced (its override or the product's price) and its stock taken with
//! a conditional update, each store's shipping fee is charged (free from its
//! threshold) and split over that store's lines, the address is copied onto
//! the order (from the book, typed in, or the default), order and lines are
//! written and the ordered cart lines removed.
use std::collections::BTreeMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter,
};
use serde::Serialize;

use super::sellers_of;
use crate::{
    db::begin_write,
    domain::commerce::{
        addresses::{self, AddressInput, AddressSnapshot},
        carts::{self, check_option, check_quantity},
        coupons::{self, LineAmount},
        custom_carts::{self, CartRef},
        pricing, variants,
    },
    domain::realtime::notifications::{self, NewNotification},
    domain::text,
    entities::notification::NotificationKind,
    entities::{
        cart_item,
        order::{self, OrderSource, OrderStatus, line},
        product::{self, ProductStatus},
        product_variant, store, user,
    },
    error::{AppError, AppResult},
    events::{DomainEvent, EventBus},
};

pub const MAX_LINES: usize = 50;

#[derive(Clone, Debug, Serialize)]
pub struct RequestedLine {
    pub product_id: i64,
    /// The variant's label ("M", "M / Black"; "" without options).
    pub option: String,
    pub quantity: i32,
}

#[derive(Clone, Debug)]
pub enum OrderFrom {
    Cart,
    CustomCart(CartRef),
    Lines(Vec<RequestedLine>),
}

/// Where an order goes.
#[derive(Clone, Debug, Serialize)]
pub enum ShipTo {
    /// An address of the buyer's book (copied; later edits don't reach the order).
    Saved(i64),
    /// A Korean address typed at checkout.
    Typed {
        recipient: String,
        phone: String,
        postal_code: String,
        road_address: String,
        detail_address: String,
    },
    /// The first release's free-form address (recipient, phone, one line).
    FreeForm {
        recipient: String,
        phone: String,
        address: String,
    },
    /// The buyer's default address.
    Default,
}

/// The address part of `placeOrder`'s input, and the coupon code it
/// redeems (none: the cart's coupon when ordering the cart).
#[derive(Clone, Debug, Serialize)]
pub struct Delivery {
    pub to: ShipTo,
    pub memo: String,
    pub coupon: Option<String>,
}

/// The address as the order keeps it.
struct Destination {
    recipient: String,
    phone: String,
    /// One line for display: "(06236) road address, detail".
    address: String,
    postal_code: String,
    road_address: String,
    detail_address: String,
}

impl From<AddressSnapshot> for Destination {
    fn from(a: AddressSnapshot) -> Self {
        let address = if a.detail_address.is_empty() {
            format!("({}) {}", a.postal_code, a.road_address)
        } else {
            format!(
                "({}) {}, {}",
                a.postal_code, a.road_address, a.detail_address
            )
        };
        Self {
            recipient: a.recipient,
            phone: a.phone,
            address,
            postal_code: a.postal_code,
            road_address: a.road_address,
            detail_address: a.detail_address,
        }
    }
}

fn check_free_form(recipient: &str, phone: &str, address: &str) -> AppResult<Destination> {
    let phone = text("phone", phone, 7, 32, false)?;
    if !phone
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')'))
    {
        return Err(AppError::validation(
            "phone",
            "`phone` may hold digits, spaces and + - ( ) only",
        ));
    }
    Ok(Destination {
        recipient: text("recipient", recipient, 1, 60, false)?,
        phone,
        address: text("address", address, 5, 300, false)?,
        postal_code: String::new(),
        road_address: String::new(),
        detail_address: String::new(),
    })
}

/// Checks what can be checked without the database, before any key is claimed.
fn check_delivery(delivery: &Delivery) -> AppResult<()> {
    text("memo", &delivery.memo, 0, 300, false)?;
    match &delivery.to {
        ShipTo::FreeForm {
            recipient,
            phone,
            address,
        } => check_free_form(recipient, phone, address).map(|_| ()),
        ShipTo::Typed { .. } => typed(&delivery.to).map(|_| ()),
        ShipTo::Saved(_) | ShipTo::Default => Ok(()),
    }
}

fn typed(to: &ShipTo) -> AppResult<Option<AddressSnapshot>> {
    let ShipTo::Typed {
        recipient,
        phone,
        postal_code,
        road_address,
        detail_address,
    } = to
    else {
        return Ok(None);
    };
    addresses::check(AddressInput {
        recipient: recipient.clone(),
        phone: phone.clone(),
        postal_code: postal_code.clone(),
        road_address: road_address.clone(),
        detail_address: detail_address.clone(),
    })
    .map(Some)
}

async fn destination(
    txn: &impl ConnectionTrait,
    buyer_id: i64,
    to: &ShipTo,
) -> AppResult<Destination> {
    Ok(match to {
        ShipTo::Saved(id) => addresses::snapshot_for_order(txn, buyer_id, *id)
            .await?
            .into(),
        ShipTo::Typed { .. } => typed(to)?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("typed address vanished")))?
            .into(),
        ShipTo::FreeForm {
            recipient,
            phone,
            address,
        } => check_free_form(recipient, phone, address)?,
        ShipTo::Default => {
            let found = addresses::default_of(txn, buyer_id).await?.ok_or_else(|| {
                AppError::validation(
                    "addressId",
                    "give an addressId or an address: the address book is empty",
                )
            })?;
            addresses::snapshot_for_order(txn, buyer_id, found.id)
                .await?
                .into()
        }
    })
}

/// SHA-256 over the normalised request: what "the same input" means.
fn fingerprint(from: &OrderFrom, delivery: &Delivery) -> String {
    #[derive(Serialize)]
    struct Canonical<'a> {
        source: &'a str,
        custom_cart: Option<String>,
        lines: Vec<&'a RequestedLine>,
        delivery: &'a Delivery,
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
    let delivery = Delivery {
        coupon: coupons::fingerprint_code(delivery.coupon.as_deref()),
        ..delivery.clone()
    };
    let canonical = Canonical {
        source,
        custom_cart,
        lines,
        delivery: &delivery,
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
    delivery: Delivery,
    idempotency_key: &str,
) -> AppResult<order::Model> {
    let key = crate::domain::idempotency::check_key(idempotency_key)?;
    check_delivery(&delivery)?;
    let print = fingerprint(&from, &delivery);
    let claim = crate::domain::idempotency::IdempotencyKey {
        scope: format!("user:{}", buyer.id),
        operation: "placeOrder",
        key: &key,
        fingerprint: print,
    };
    let order_id: i64 = crate::domain::idempotency::run(db, claim, || async {
        place_once(db, events, buyer, from, delivery, &key)
            .await
            .map(|o| o.id)
    })
    .await?;
    order::Entity::find_by_id(order_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Order"))
}

/// One line, priced, its stock taken.
struct Priced {
    product: product::Model,
    variant: product_variant::Model,
    quantity: i32,
    unit_price: i64,
    line_total: i64,
    shipping_fee: i64,
    discount: i64,
}

async fn place_once(
    db: &DatabaseConnection,
    events: &EventBus,
    buyer: &user::Model,
    from: OrderFrom,
    delivery: Delivery,
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
    let print = fingerprint(&from, &delivery);
    if let Some(done) = replay(db, buyer.id, &key, &print).await? {
        return Ok(done);
    }

    let txn = begin_write(db).await?;
    let (mut wanted, source, custom_cart_id) = wanted_lines(&txn, buyer, &from).await?;
    let to = destination(&txn, buyer.id, &delivery.to).await?;
    // A fixed lock order (by product, then variant) keeps concurrent orders
    // from deadlocking.
    wanted.sort_by(|a, b| (a.product_id, &a.option).cmp(&(b.product_id, &b.option)));
    let now = Utc::now();
    let mut lines: Vec<Priced> = Vec::with_capacity(wanted.len());
    for w in &wanted {
        let product = match product::Entity::find_by_id(w.product_id).one(&txn).await? {
            Some(p) if p.status == ProductStatus::Active => p,
            _ => return Err(AppError::not_found("Product")),
        };
        let option = check_option(&product, Some(w.option.as_str()))?;
        let variant = variants::by_label(&txn, product.id, &option).await?;
        variants::take(&txn, &variant, w.quantity).await?;
        crate::domain::partner_webhooks::stock_low_in(&txn, product.id).await?;
        let unit_price = variant.unit_price(product.price);
        lines.push(Priced {
            line_total: unit_price * i64::from(w.quantity),
            unit_price,
            quantity: w.quantity,
            product,
            variant,
            shipping_fee: 0,
            discount: 0,
        });
    }
    charge_shipping(&txn, &mut lines).await?;
    let from_cart = matches!(from, OrderFrom::Cart);
    let amounts: Vec<LineAmount> = lines
        .iter()
        .map(|l| LineAmount {
            store_id: l.product.store_id,
            line_total: l.line_total,
        })
        .collect();
    let redemption = coupons::redeem_for_order(
        &txn,
        buyer.id,
        delivery.coupon.as_deref(),
        from_cart,
        &amounts,
        now,
    )
    .await?;
    if let Some(r) = &redemption {
        for (l, share) in lines.iter_mut().zip(&r.discount.per_line) {
            l.discount = *share;
        }
    }
    let subtotal: i64 = lines.iter().map(|l| l.line_total).sum();
    let shipping_fee: i64 = lines.iter().map(|l| l.shipping_fee).sum();
    let discount: i64 = lines.iter().map(|l| l.discount).sum();
    let inserted = order::ActiveModel {
        buyer_id: Set(buyer.id),
        status: Set(OrderStatus::PendingPayment),
        source: Set(source),
        custom_cart_id: Set(custom_cart_id),
        total_amount: Set(subtotal - discount + shipping_fee),
        subtotal_amount: Set(subtotal),
        shipping_fee: Set(shipping_fee),
        discount_amount: Set(discount),
        coupon_id: Set(redemption.as_ref().map(|r| r.coupon_id)),
        recipient: Set(to.recipient),
        phone: Set(to.phone),
        address: Set(to.address),
        postal_code: Set(to.postal_code),
        road_address: Set(to.road_address),
        detail_address: Set(to.detail_address),
        memo: Set(text("memo", &delivery.memo, 0, 300, false)?),
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
    line::Entity::insert_many(lines.iter().map(|l| line::ActiveModel {
        order_id: Set(placed.id),
        product_id: Set(l.product.id),
        store_id: Set(l.product.store_id),
        product_name: Set(l.product.name.clone()),
        option_value: Set(l.variant.label.clone()),
        variant_id: Set(Some(l.variant.id)),
        unit_price: Set(l.unit_price),
        quantity: Set(l.quantity),
        line_total: Set(l.line_total),
        discount_amount: Set(l.discount),
        shipping_fee: Set(l.shipping_fee),
        status: Set(OrderStatus::PendingPayment),
        updated_at: Set(now),
        ..Default::default()
    }))
    .exec(&txn)
    .await?;
    coupons::record_for_order(
        &txn,
        redemption.as_ref(),
        buyer.id,
        placed.id,
        from_cart,
        now,
    )
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
    for l in &lines {
        events.publish(DomainEvent::ProductChanged {
            product_id: l.product.id,
        });
    }
    Ok(placed)
}

/// Each store's shipping fee for its lines (free from its threshold), split
/// over those lines in proportion to their totals.
async fn charge_shipping(txn: &impl ConnectionTrait, lines: &mut [Priced]) -> AppResult<()> {
    let mut by_store: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, l) in lines.iter().enumerate() {
        by_store.entry(l.product.store_id).or_default().push(i);
    }
    let stores: BTreeMap<i64, store::Model> = store::Entity::find()
        .filter(store::Column::Id.is_in(by_store.keys().copied()))
        .all(txn)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    for (store_id, idx) in by_store {
        let totals: Vec<i64> = idx.iter().map(|&i| lines[i].line_total).collect();
        let fee = stores
            .get(&store_id)
            .map_or(0, |s| pricing::shipping_fee(s, totals.iter().sum()));
        for (&i, share) in idx.iter().zip(pricing::split_pro_rata(fee, &totals)) {
            lines[i].shipping_fee = share;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_ignores_line_order_but_not_content() {
        let ship = Delivery {
            to: ShipTo::Saved(4),
            memo: String::new(),
            coupon: None,
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
        let more = RequestedLine {
            quantity: 3,
            ..b.clone()
        };
        assert_ne!(
            one,
            fingerprint(&OrderFrom::Lines(vec![a.clone(), more]), &ship)
        );
        assert_ne!(one, fingerprint(&OrderFrom::Cart, &ship));
        let elsewhere = Delivery {
            to: ShipTo::Saved(5),
            memo: String::new(),
            coupon: None,
        };
        let couponed = Delivery {
            coupon: Some(" welcome10 ".into()),
            ..ship.clone()
        };
        let upper = Delivery {
            coupon: Some("WELCOME10".into()),
            ..ship.clone()
        };
        assert_eq!(
            fingerprint(&OrderFrom::Cart, &couponed),
            fingerprint(&OrderFrom::Cart, &upper)
        );
        assert_ne!(
            fingerprint(&OrderFrom::Cart, &couponed),
            fingerprint(&OrderFrom::Cart, &ship)
        );
        assert_ne!(one, fingerprint(&OrderFrom::Lines(vec![a, b]), &elsewhere));
    }

    #[test]
    fn one_line_address() {
        let d: Destination = AddressSnapshot {
            recipient: "김민지".into(),
            phone: "010-1234-5678".into(),
            postal_code: "06236".into(),
            road_address: "서울 강남구 테헤란로 152".into(),
            detail_address: "12층".into(),
        }
        .into();
        assert_eq!(d.address, "(06236) 서울 강남구 테헤란로 152, 12층");
        assert!(check_free_form("Kim", "010-1234-5678", "Seo").is_err());
        assert!(check_free_form("Kim", "call me", "Seoul Mapo-gu 1").is_err());
    }
}
