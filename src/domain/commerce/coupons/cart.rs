//! The coupon a buyer applied to their cart: choosing and removing it, and
//! what it gives on the cart's lines (or why it gives nothing).
use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::{Inapplicable, LineAmount, check_window, evaluate, find_by_code};
use crate::{
    db::begin_write,
    domain::execute_sql,
    entities::{coupon, coupon_cart_choice, coupon_user_count},
    error::{AppError, AppResult},
};

/// The buyer's live redemptions of a coupon.
async fn used_by(db: &impl ConnectionTrait, coupon_id: i64, user_id: i64) -> AppResult<i32> {
    Ok(coupon_user_count::Entity::find()
        .filter(coupon_user_count::Column::CouponId.eq(coupon_id))
        .filter(coupon_user_count::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .map_or(0, |r| r.redeemed_count))
}

/// The limits as they stand (a read: [`redeem_in`] takes them for real).
async fn check_limits(
    db: &impl ConnectionTrait,
    c: &coupon::Model,
    user_id: i64,
) -> AppResult<Result<(), Inapplicable>> {
    if c.max_redemptions.is_some_and(|max| c.redeemed_count >= max) {
        return Ok(Err(Inapplicable::Exhausted));
    }
    if let Some(per_user) = c.per_user_limit
        && used_by(db, c.id, user_id).await? >= per_user
    {
        return Ok(Err(Inapplicable::UserLimitReached));
    }
    Ok(Ok(()))
}

/// Puts a coupon on the buyer's cart (replacing another). Refused when it
/// cannot apply whatever the cart holds (inactive, outside its window, used
/// up); kept, with the reason shown on the cart, when only the cart's
/// contents stand in the way (minimum spend, no line of its store).
pub async fn apply_to_cart(
    db: &DatabaseConnection,
    user_id: i64,
    code: &str,
) -> AppResult<coupon::Model> {
    let found = find_by_code(db, code)
        .await?
        .ok_or_else(|| AppError::not_found("Coupon"))?;
    check_window(&found, Utc::now()).map_err(Inapplicable::into_error)?;
    check_limits(db, &found, user_id)
        .await?
        .map_err(Inapplicable::into_error)?;
    let now = Utc::now();
    let txn = begin_write(db).await?;
    execute_sql(
        &txn,
        "INSERT INTO coupon_cart_choices (user_id, coupon_id, updated_at) VALUES (?, ?, ?) \
         ON CONFLICT (user_id) DO UPDATE SET coupon_id = excluded.coupon_id, updated_at = excluded.updated_at",
        vec![user_id.into(), found.id.into(), now.into()],
    )
    .await?;
    txn.commit().await?;
    Ok(found)
}

/// Takes the coupon off the buyer's cart; whether there was one.
pub async fn remove_from_cart(db: &impl ConnectionTrait, user_id: i64) -> AppResult<bool> {
    Ok(coupon_cart_choice::Entity::delete_many()
        .filter(coupon_cart_choice::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// The coupon on the buyer's cart, if any.
pub async fn cart_coupon(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> AppResult<Option<coupon::Model>> {
    let Some(choice) = coupon_cart_choice::Entity::find()
        .filter(coupon_cart_choice::Column::UserId.eq(user_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(coupon::Entity::find_by_id(choice.coupon_id).one(db).await?)
}

/// The cart's coupon as the cart shows it.
#[derive(Clone, Debug)]
pub struct CartCoupon {
    pub coupon: coupon::Model,
    /// 0 when it does not apply.
    pub discount: i64,
    pub invalid: Option<Inapplicable>,
}

/// The coupon on the buyer's cart and what it gives on `lines` (the
/// available lines at today's prices).
pub async fn cart_view(
    db: &impl ConnectionTrait,
    user_id: i64,
    lines: &[LineAmount],
) -> AppResult<Option<CartCoupon>> {
    let Some(c) = cart_coupon(db, user_id).await? else {
        return Ok(None);
    };
    let outcome = match check_limits(db, &c, user_id).await? {
        Err(why) => Err(why),
        Ok(()) => evaluate(&c, lines, Utc::now()),
    };
    Ok(Some(match outcome {
        Ok(d) => CartCoupon {
            coupon: c,
            discount: d.total,
            invalid: None,
        },
        Err(why) => CartCoupon {
            coupon: c,
            discount: 0,
            invalid: Some(why),
        },
    }))
}
