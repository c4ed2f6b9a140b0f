//! Coupons (EXT-4): platform-wide coupons made by admins and store coupons
//! made by a store's seller (discounting only that store's lines), PERCENT
//! (with an optional cap) or FIXED, with a minimum spend on the eligible
//! subtotal, a validity window, and optional total and per-user limits.
//!
//! This module owns the rules, the buyer's cart choice, and the redemption
//! that `placeOrder` performs inside its own transaction:
//! - [`redeem_in`] takes the total limit with a conditional update
//!   (`redeemed_count < max_redemptions`) and the per-user limit from a
//!   counter row per (coupon, user) with a conditional update as well. On
//!   PostgreSQL a second transaction updating the same row waits for the
//!   first and re-checks the condition on the committed value; on SQLite
//!   writers are serialised by `BEGIN IMMEDIATE`. Either way N concurrent
//!   orders redeem a coupon of limit k exactly k times, and a failed
//!   redemption fails the whole order (nothing is written).
//! - [`record_in`] writes the `coupon_redemptions` row once the order exists.
//! - [`release_in`] gives a cancelled order's redemption back (once).
//!
//! The discount is split over the eligible lines pro rata to their totals
//! ([`split`], largest remainder): the shares sum to the discount exactly and
//! no share exceeds its line. A line's share is stored in
//! `order_lines.discount_amount`, and that stored value is all a refund of
//! the line needs: a returned line refunds `line_total - discount_amount +
//! shipping_fee` (`domain::commerce::returns`), and the redemption itself
//! stays used unless the whole order is cancelled.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::{
    db::begin_write,
    domain::text,
    entities::{
        coupon::{self, CouponKind},
        user::{self, Role},
    },
    error::{AppError, AppResult},
};

/// The largest FIXED discount and minimum spend, KRW (100 million).
pub const MAX_AMOUNT: i64 = 100_000_000;

/// Why a coupon does not apply (sent as `extensions.reason`, shown on the
/// cart).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inapplicable {
    /// Deactivated by its creator.
    Inactive,
    /// Before `starts_at`.
    NotStarted,
    /// At or after `ends_at`.
    Expired,
    /// The eligible subtotal is below `min_spend`.
    BelowMinimumSpend,
    /// A store coupon and no line of that store.
    NoEligibleLines,
    /// `max_redemptions` reached.
    Exhausted,
    /// The buyer's `per_user_limit` reached.
    UserLimitReached,
}

impl Inapplicable {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inactive => "INACTIVE",
            Self::NotStarted => "NOT_STARTED",
            Self::Expired => "EXPIRED",
            Self::BelowMinimumSpend => "BELOW_MINIMUM_SPEND",
            Self::NoEligibleLines => "NO_ELIGIBLE_LINES",
            Self::Exhausted => "EXHAUSTED",
            Self::UserLimitReached => "USER_LIMIT_REACHED",
        }
    }

    /// Whether the cart's contents could change the answer (the coupon may
    /// stay on the cart and show the reason).
    pub fn depends_on_cart(self) -> bool {
        matches!(self, Self::BelowMinimumSpend | Self::NoEligibleLines)
    }

    pub fn into_error(self) -> AppError {
        match self {
            Self::Exhausted => AppError::CouponExhausted { scope: "TOTAL" },
            Self::UserLimitReached => AppError::CouponExhausted { scope: "PER_USER" },
            other => AppError::CouponNotApplicable {
                reason: other.as_str(),
            },
        }
    }
}

/// An order or cart line as the coupon sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineAmount {
    pub store_id: i64,
    pub line_total: i64,
}

/// What a coupon gives on some lines: the whole discount and each line's
/// share (0 for lines it does not cover), in the order of the lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discount {
    pub total: i64,
    pub per_line: Vec<i64>,
}

/// The fields of a coupon that [`create`] and [`update`] check together.
#[derive(Clone, Debug)]
pub struct CouponTerms {
    pub kind: CouponKind,
    pub value: i64,
    pub max_discount: Option<i64>,
    pub min_spend: i64,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub max_redemptions: Option<i32>,
    pub per_user_limit: Option<i32>,
}

pub struct NewCoupon {
    pub code: String,
    pub description: Option<String>,
    pub terms: CouponTerms,
}

/// A change to a coupon: `None` keeps a field; `Some(None)` clears an
/// optional one.
#[derive(Clone, Debug, Default)]
pub struct CouponUpdate {
    pub description: Option<String>,
    pub max_discount: Option<Option<i64>>,
    pub min_spend: Option<i64>,
    pub starts_at: Option<Option<DateTime<Utc>>>,
    pub ends_at: Option<Option<DateTime<Utc>>>,
    pub max_redemptions: Option<Option<i32>>,
    pub per_user_limit: Option<Option<i32>>,
    pub active: Option<bool>,
}

/// Upper-cased code of 3 to 32 letters, digits, `-` or `_`.
pub fn normalise_code(raw: &str) -> AppResult<String> {
    let code = raw.trim().to_ascii_uppercase();
    let ok_len = (3..=32).contains(&code.len());
    if !ok_len
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(AppError::validation(
            "code",
            "`code` must be 3 to 32 letters, digits, - or _",
        ));
    }
    Ok(code)
}

/// Checks a coupon's terms (every amount a positive or zero KRW integer).
pub fn check_terms(t: &CouponTerms) -> AppResult<()> {
    match t.kind {
        CouponKind::Percent if !(1..=100).contains(&t.value) => {
            return Err(AppError::validation(
                "value",
                "a percentage must be 1 to 100",
            ));
        }
        CouponKind::Fixed if !(1..=MAX_AMOUNT).contains(&t.value) => {
            return Err(AppError::validation(
                "value",
                format!("a fixed discount must be 1 to {MAX_AMOUNT} KRW"),
            ));
        }
        _ => {}
    }
    if let Some(cap) = t.max_discount {
        if t.kind == CouponKind::Fixed {
            return Err(AppError::validation(
                "maxDiscount",
                "only a percentage coupon takes a maximum discount",
            ));
        }
        if !(1..=MAX_AMOUNT).contains(&cap) {
            return Err(AppError::validation(
                "maxDiscount",
                format!("`maxDiscount` must be 1 to {MAX_AMOUNT} KRW"),
            ));
        }
    }
    if !(0..=MAX_AMOUNT).contains(&t.min_spend) {
        return Err(AppError::validation(
            "minSpend",
            format!("`minSpend` must be 0 to {MAX_AMOUNT} KRW"),
        ));
    }
    if let (Some(start), Some(end)) = (t.starts_at, t.ends_at)
        && end <= start
    {
        return Err(AppError::validation(
            "endsAt",
            "`endsAt` must be after `startsAt`",
        ));
    }
    for (field, limit) in [
        ("maxRedemptions", t.max_redemptions),
        ("perUserLimit", t.per_user_limit),
    ] {
        if limit.is_some_and(|n| n < 1) {
            return Err(AppError::validation(
                field,
                format!("`{field}` must be at least 1"),
            ));
        }
    }
    Ok(())
}

fn terms_of(c: &coupon::Model) -> CouponTerms {
    CouponTerms {
        kind: c.kind,
        value: c.value,
        max_discount: c.max_discount,
        min_spend: c.min_spend,
        starts_at: c.starts_at,
        ends_at: c.ends_at,
        max_redemptions: c.max_redemptions,
        per_user_limit: c.per_user_limit,
    }
}

/// The discount on an eligible subtotal: never more than the subtotal, never
/// negative.
pub fn discount_for(c: &coupon::Model, eligible: i64) -> i64 {
    if eligible <= 0 {
        return 0;
    }
    let raw = match c.kind {
        CouponKind::Percent => {
            let pct = i128::from(c.value.clamp(0, 100));
            let off = (i128::from(eligible) * pct / 100) as i64;
            c.max_discount.map_or(off, |cap| off.min(cap.max(0)))
        }
        CouponKind::Fixed => c.value.max(0),
    };
    raw.clamp(0, eligible)
}

/// Splits `discount` over `weights` pro rata, by largest remainder: the
/// shares sum to `discount` exactly (when it is at most the weights' sum) and
/// no share is above its weight or below zero. Ties go to the earlier line.
pub fn split(discount: i64, weights: &[i64]) -> Vec<i64> {
    let whole: i64 = weights.iter().map(|w| (*w).max(0)).sum();
    if whole == 0 {
        return vec![0; weights.len()];
    }
    crate::domain::commerce::pricing::split_pro_rata(discount.clamp(0, whole), weights)
}

/// Whether `c` is usable at `now` regardless of the lines.
fn check_window(c: &coupon::Model, now: DateTime<Utc>) -> Result<(), Inapplicable> {
    if !c.active {
        return Err(Inapplicable::Inactive);
    }
    if c.starts_at.is_some_and(|s| now < s) {
        return Err(Inapplicable::NotStarted);
    }
    if c.ends_at.is_some_and(|e| now >= e) {
        return Err(Inapplicable::Expired);
    }
    Ok(())
}

/// What `c` gives on `lines` at `now` (limits are not looked at here).
pub fn evaluate(
    c: &coupon::Model,
    lines: &[LineAmount],
    now: DateTime<Utc>,
) -> Result<Discount, Inapplicable> {
    check_window(c, now)?;
    let weights: Vec<i64> = lines
        .iter()
        .map(|l| match c.store_id {
            Some(store) if store != l.store_id => 0,
            _ => l.line_total.max(0),
        })
        .collect();
    let eligible_lines = lines
        .iter()
        .filter(|l| c.store_id.is_none_or(|s| s == l.store_id))
        .count();
    if eligible_lines == 0 {
        return Err(Inapplicable::NoEligibleLines);
    }
    let eligible: i64 = weights.iter().sum();
    if eligible < c.min_spend || eligible == 0 {
        return Err(Inapplicable::BelowMinimumSpend);
    }
    let total = discount_for(c, eligible);
    Ok(Discount {
        total,
        per_line: split(total, &weights),
    })
}

pub async fn find_by_code(
    db: &impl ConnectionTrait,
    code: &str,
) -> AppResult<Option<coupon::Model>> {
    let Ok(code) = normalise_code(code) else {
        return Ok(None);
    };
    Ok(coupon::Entity::find()
        .filter(coupon::Column::Code.eq(code))
        .one(db)
        .await?)
}

/// The store whose coupons `actor` manages: `None` for an admin (platform
/// coupons, and every coupon), the approved store for a seller.
async fn managed_store(db: &impl ConnectionTrait, actor: &user::Model) -> AppResult<Option<i64>> {
    match actor.role {
        Role::Admin => Ok(None),
        Role::Seller => Ok(Some(super::stores::selling_store(db, actor).await?.id)),
        Role::Buyer => Err(AppError::forbidden(
            "only admins and sellers with an approved store make coupons",
        )),
    }
}

/// Whether `actor` may see a coupon's counters and change it.
pub fn manages(c: &coupon::Model, actor: &user::Model, actor_store: Option<i64>) -> bool {
    actor.role == Role::Admin || (c.store_id.is_some() && c.store_id == actor_store)
}

/// An admin makes a platform coupon; a seller a coupon of their store.
pub async fn create(
    db: &DatabaseConnection,
    actor: &user::Model,
    input: NewCoupon,
) -> AppResult<coupon::Model> {
    let code = normalise_code(&input.code)?;
    let description = text(
        "description",
        input.description.as_deref().unwrap_or_default(),
        0,
        200,
        false,
    )?;
    check_terms(&input.terms)?;
    let store_id = managed_store(db, actor).await?;
    let t = input.terms;
    let now = Utc::now();
    coupon::ActiveModel {
        code: Set(code),
        store_id: Set(store_id),
        created_by: Set(actor.id),
        description: Set(description),
        kind: Set(t.kind),
        value: Set(t.value),
        max_discount: Set(t.max_discount),
        min_spend: Set(t.min_spend),
        starts_at: Set(t.starts_at),
        ends_at: Set(t.ends_at),
        max_redemptions: Set(t.max_redemptions),
        per_user_limit: Set(t.per_user_limit),
        redeemed_count: Set(0),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            AppError::conflict("code", "this coupon code is taken")
        }
        _ => e.into(),
    })
}

/// Changes the limits, window, minimum spend, cap or description of a
/// coupon, or (de)activates it: its creator's side (admins: any coupon).
/// Lowering `maxRedemptions` below the redemptions made stops further ones
/// and takes nothing back.
pub async fn update(
    db: &DatabaseConnection,
    actor: &user::Model,
    coupon_id: i64,
    change: CouponUpdate,
) -> AppResult<coupon::Model> {
    let actor_store = managed_store(db, actor).await?;
    let txn = begin_write(db).await?;
    let found = coupon::Entity::find_by_id(coupon_id)
        .one(&txn)
        .await?
        .filter(|c| manages(c, actor, actor_store))
        .ok_or_else(|| AppError::not_found("Coupon"))?;
    let mut terms = terms_of(&found);
    if let Some(v) = change.max_discount {
        terms.max_discount = v;
    }
    if let Some(v) = change.min_spend {
        terms.min_spend = v;
    }
    if let Some(v) = change.starts_at {
        terms.starts_at = v;
    }
    if let Some(v) = change.ends_at {
        terms.ends_at = v;
    }
    if let Some(v) = change.max_redemptions {
        terms.max_redemptions = v;
    }
    if let Some(v) = change.per_user_limit {
        terms.per_user_limit = v;
    }
    check_terms(&terms)?;
    let mut active: coupon::ActiveModel = found.clone().into();
    if let Some(d) = change.description {
        active.description = Set(text("description", &d, 0, 200, false)?);
    }
    if let Some(a) = change.active {
        active.active = Set(a);
    }
    active.max_discount = Set(terms.max_discount);
    active.min_spend = Set(terms.min_spend);
    active.starts_at = Set(terms.starts_at);
    active.ends_at = Set(terms.ends_at);
    active.max_redemptions = Set(terms.max_redemptions);
    active.per_user_limit = Set(terms.per_user_limit);
    active.updated_at = Set(Utc::now());
    // Only the columns above: `redeemed_count` moves with orders meanwhile.
    active.redeemed_count = sea_orm::ActiveValue::NotSet;
    let updated = active.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Coupons `actor` manages, newest first: every coupon for an admin, their
/// store's for a seller.
pub async fn list(
    db: &DatabaseConnection,
    actor: &user::Model,
    after_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<coupon::Model>> {
    let store = managed_store(db, actor).await?;
    let mut query = coupon::Entity::find();
    if let Some(store) = store {
        query = query.filter(coupon::Column::StoreId.eq(store));
    }
    if let Some(after) = after_id {
        query = query.filter(coupon::Column::Id.lt(after));
    }
    Ok(query
        .order_by_desc(coupon::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

mod cart;
mod redeem;
#[cfg(test)]
mod tests;

pub use cart::*;
pub use redeem::*;
