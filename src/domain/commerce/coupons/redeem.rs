//! Redemption inside `placeOrder`'s transaction, its record, and its
//! release when the order is cancelled (see the parent module's docs for
//! why the conditional updates are exact under concurrency).
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};

use super::{
    Discount, Inapplicable, LineAmount, cart_coupon, evaluate, find_by_code, normalise_code,
};
use crate::{
    domain::execute_sql,
    entities::{coupon, coupon_redemption},
    error::{AppError, AppResult},
};

/// A redemption taken inside an order's transaction, to [`record_in`] once
/// the order row exists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redemption {
    pub coupon_id: i64,
    pub discount: Discount,
}

/// Redeems `code` for `buyer_id` on `lines`, inside the order's
/// transaction `txn`: checks window and minimum spend, then takes the total
/// and per-user limits with conditional updates (see the module docs).
/// Any failure is an error, so the caller's transaction rolls back whole.
pub async fn redeem_in(
    txn: &impl ConnectionTrait,
    buyer_id: i64,
    code: &str,
    lines: &[LineAmount],
    now: DateTime<Utc>,
) -> AppResult<Redemption> {
    let c = find_by_code(txn, code)
        .await?
        .ok_or_else(|| AppError::not_found("Coupon"))?;
    let discount = evaluate(&c, lines, now).map_err(Inapplicable::into_error)?;
    let taken = execute_sql(
        txn,
        "UPDATE coupons SET redeemed_count = redeemed_count + 1 \
         WHERE id = ? AND active = ? AND (max_redemptions IS NULL OR redeemed_count < max_redemptions)",
        vec![c.id.into(), true.into()],
    )
    .await?;
    if taken.rows_affected() != 1 {
        return Err(Inapplicable::Exhausted.into_error());
    }
    // The pair's row exists before it is taken from, so that two orders of
    // one buyer both update (and so queue on) the same row.
    execute_sql(
        txn,
        "INSERT INTO coupon_user_counts (coupon_id, user_id, redeemed_count) VALUES (?, ?, 0) \
         ON CONFLICT (coupon_id, user_id) DO NOTHING",
        vec![c.id.into(), buyer_id.into()],
    )
    .await?;
    // Counted without a limit too, so that a limit set later sees the
    // redemptions made before it.
    let mut sql = String::from(
        "UPDATE coupon_user_counts SET redeemed_count = redeemed_count + 1 \
         WHERE coupon_id = ? AND user_id = ?",
    );
    let mut values = vec![c.id.into(), buyer_id.into()];
    if let Some(limit) = c.per_user_limit {
        sql.push_str(" AND redeemed_count < ?");
        values.push(limit.into());
    }
    let per_user = execute_sql(txn, &sql, values).await?;
    if per_user.rows_affected() != 1 {
        return Err(Inapplicable::UserLimitReached.into_error());
    }
    Ok(Redemption {
        coupon_id: c.id,
        discount,
    })
}

/// Writes the redemption of the order `order_id` (same transaction as
/// [`redeem_in`]).
pub async fn record_in(
    txn: &impl ConnectionTrait,
    redemption: &Redemption,
    buyer_id: i64,
    order_id: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    coupon_redemption::ActiveModel {
        coupon_id: Set(redemption.coupon_id),
        user_id: Set(buyer_id),
        order_id: Set(order_id),
        amount: Set(redemption.discount.total),
        created_at: Set(now),
        released_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Gives back the redemption of a cancelled order, once: the row is marked
/// released with a conditional update, and only the call that marked it
/// decrements the counters. Whether there was one to give back.
pub async fn release_in(
    txn: &impl ConnectionTrait,
    order_id: i64,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let Some(r) = coupon_redemption::Entity::find()
        .filter(coupon_redemption::Column::OrderId.eq(order_id))
        .filter(coupon_redemption::Column::ReleasedAt.is_null())
        .one(txn)
        .await?
    else {
        return Ok(false);
    };
    let marked = execute_sql(
        txn,
        "UPDATE coupon_redemptions SET released_at = ? WHERE id = ? AND released_at IS NULL",
        vec![now.into(), r.id.into()],
    )
    .await?;
    if marked.rows_affected() != 1 {
        return Ok(false);
    }
    execute_sql(
        txn,
        "UPDATE coupons SET redeemed_count = redeemed_count - 1 WHERE id = ? AND redeemed_count > 0",
        vec![r.coupon_id.into()],
    )
    .await?;
    execute_sql(
        txn,
        "UPDATE coupon_user_counts SET redeemed_count = redeemed_count - 1 \
         WHERE coupon_id = ? AND user_id = ? AND redeemed_count > 0",
        vec![r.coupon_id.into(), r.user_id.into()],
    )
    .await?;
    Ok(true)
}

/// The coupon code `placeOrder` uses: the one given, else (ordering from
/// the cart) the cart's coupon.
pub async fn code_for_order(
    db: &impl ConnectionTrait,
    buyer_id: i64,
    given: Option<&str>,
    from_cart: bool,
) -> AppResult<Option<String>> {
    if let Some(code) = given.map(str::trim).filter(|c| !c.is_empty()) {
        return Ok(Some(
            normalise_code(code).map_err(|_| AppError::not_found("Coupon"))?,
        ));
    }
    if !from_cart {
        return Ok(None);
    }
    Ok(cart_coupon(db, buyer_id).await?.map(|c| c.code))
}

/// Many coupons by id (for the DataLoader-free edges of orders).
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[i64]) -> AppResult<Vec<coupon::Model>> {
    Ok(coupon::Entity::find()
        .filter(coupon::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// `placeOrder`'s one call before writing the order: the coupon it uses
/// (`given`, else the cart's when ordering the cart) redeemed on `lines`;
/// `None` without a coupon. Fails the order (nothing written) when the
/// coupon is unknown, does not apply, or is used up.
pub async fn redeem_for_order(
    txn: &impl ConnectionTrait,
    buyer_id: i64,
    given: Option<&str>,
    from_cart: bool,
    lines: &[LineAmount],
    now: DateTime<Utc>,
) -> AppResult<Option<Redemption>> {
    let Some(code) = code_for_order(txn, buyer_id, given, from_cart).await? else {
        return Ok(None);
    };
    redeem_in(txn, buyer_id, &code, lines, now).await.map(Some)
}

/// `placeOrder`'s call once the order exists: records the redemption and,
/// for an order of the cart, takes the coupon off the cart with its lines.
pub async fn record_for_order(
    txn: &impl ConnectionTrait,
    redemption: Option<&Redemption>,
    buyer_id: i64,
    order_id: i64,
    from_cart: bool,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Some(r) = redemption else {
        return Ok(());
    };
    record_in(txn, r, buyer_id, order_id, now).await?;
    if from_cart {
        super::remove_from_cart(txn, buyer_id).await?;
    }
    Ok(())
}

/// A coupon code as `placeOrder`'s idempotency fingerprint sees it (trimmed,
/// upper case; empty is none).
pub fn fingerprint_code(given: Option<&str>) -> Option<String> {
    given
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
}
