//! Plans, quotas and payments (PAY-1 … PAY-4).
//!
//! - Quotas (this module): FREE has 2 generations a month, PRO 200,
//!   ENTERPRISE no limit (the check is skipped). `generateDesign` takes a
//!   unit with one conditional update (`quota_used < limit`) in the
//!   transaction that queues its job, so N concurrent requests with k units
//!   left see exactly k accepted; a generation that ends DEAD gives its
//!   unit back. A period that has ended starts over when next touched (and
//!   the daily reset job rolls the idle ones).
//! - Subscriptions through Stripe Checkout and the billing portal, and the
//!   webhook that applies the provider's events ([`subscriptions`],
//!   [`webhooks`]).
//! - Shop order payments and refunds ([`payments`]).
//! - Reconciliation, the unpaid-order and grace-period sweeps, and the
//!   risk report ([`reconcile`]).
pub mod payments;
pub mod reconcile;
pub mod subscriptions;
pub mod webhooks;

use chrono::{DateTime, Months, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait, OnConflict},
};

use crate::{
    entities::billing_account::{self, Plan},
    error::{AppError, AppResult},
    infra::stripe::{StripeClient, StripeError},
    state::AppState,
};

/// Payments are off: no provider key.
pub fn not_configured() -> AppError {
    AppError::PaymentProvider(
        "payments are not configured on this server (VITRINE_STRIPE_SECRET_KEY)".into(),
    )
}

/// The payment provider's client, or [`not_configured`].
pub fn provider(state: &AppState) -> AppResult<&StripeClient> {
    state.stripe.as_deref().ok_or_else(not_configured)
}

/// A provider failure, as clients see it (the detail is logged).
pub fn provider_error(e: StripeError) -> AppError {
    tracing::warn!(error = %e, "payment provider call failed");
    AppError::PaymentProvider(format!("the payment provider: {e}"))
}

/// The end of a usage period that starts at `start`: a calendar month on.
pub fn month_after(start: DateTime<Utc>) -> DateTime<Utc> {
    start
        .checked_add_months(Months::new(1))
        .unwrap_or(start + chrono::Duration::days(30))
}

/// The user's billing account, created on FREE when there is none.
pub async fn account(
    conn: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> AppResult<billing_account::Model> {
    if let Some(found) = billing_account::Entity::find_by_id(user_id)
        .one(conn)
        .await?
    {
        return Ok(found);
    }
    billing_account::Entity::insert(billing_account::ActiveModel {
        user_id: Set(user_id),
        plan: Set(Plan::Free),
        subscribed_plan: Set(None),
        stripe_customer_id: Set(None),
        stripe_subscription_id: Set(None),
        subscription_status: Set(None),
        cancel_at_period_end: Set(false),
        period_start: Set(now),
        period_end: Set(month_after(now)),
        quota_used: Set(0),
        grace_until: Set(None),
        last_payment_failed_at: Set(None),
        last_payment_succeeded_at: Set(None),
        provider_updated_at: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    })
    // Two first requests at once: one row.
    .on_conflict(
        OnConflict::column(billing_account::Column::UserId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    billing_account::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("billing account {user_id} vanished")))
}

/// `grantPlan` (admins): puts an account on `plan` without a subscription
/// (an ENTERPRISE contract, a gift, a support fix). A provider subscription
/// event later still sets the plan it pays for.
pub async fn grant_plan(
    conn: &impl ConnectionTrait,
    user_id: i64,
    plan: Plan,
    now: DateTime<Utc>,
) -> AppResult<billing_account::Model> {
    crate::entities::user::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("User"))?;
    account(conn, user_id, now).await?;
    billing_account::Entity::update_many()
        .col_expr(billing_account::Column::Plan, Expr::value(plan))
        .col_expr(
            billing_account::Column::GraceUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(billing_account::Column::UpdatedAt, Expr::value(now))
        .filter(billing_account::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    account(conn, user_id, now).await
}

/// What `myUsage` shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Usage {
    pub plan: Plan,
    pub used: i32,
    /// `None`: unlimited.
    pub limit: Option<i32>,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
}

/// The account with its period rolled forward when it has ended.
pub async fn current(
    conn: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> AppResult<billing_account::Model> {
    let found = account(conn, user_id, now).await?;
    if found.period_end > now {
        return Ok(found);
    }
    roll_period(conn, &found, now).await?;
    account(conn, user_id, now).await
}

/// Starts a new period at the first period boundary after `now`'s, with
/// nothing used; conditional on the period still being the one read, so
/// two rollers cannot both reset.
pub async fn roll_period(
    conn: &impl ConnectionTrait,
    found: &billing_account::Model,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let mut start = found.period_end;
    let mut end = month_after(start);
    while end <= now {
        start = end;
        end = month_after(start);
    }
    let rolled = billing_account::Entity::update_many()
        .col_expr(billing_account::Column::PeriodStart, Expr::value(start))
        .col_expr(billing_account::Column::PeriodEnd, Expr::value(end))
        .col_expr(billing_account::Column::QuotaUsed, Expr::value(0))
        .col_expr(billing_account::Column::UpdatedAt, Expr::value(now))
        .filter(billing_account::Column::UserId.eq(found.user_id))
        .filter(billing_account::Column::PeriodEnd.eq(found.period_end))
        .exec(conn)
        .await?;
    Ok(rolled.rows_affected == 1)
}

pub async fn usage(
    conn: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> AppResult<Usage> {
    let found = current(conn, user_id, now).await?;
    Ok(Usage {
        plan: found.plan,
        used: found.quota_used,
        limit: found.plan.monthly_generations(),
        period_start: found.period_start,
        period_end: found.period_end,
    })
}

/// Takes one generation from the user's quota, inside the caller's
/// transaction; `QUOTA_EXCEEDED` when none is left. ENTERPRISE is not
/// counted at all.
pub async fn take_unit(
    conn: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let found = current(conn, user_id, now).await?;
    let Some(limit) = found.plan.monthly_generations() else {
        return Ok(());
    };
    let taken = billing_account::Entity::update_many()
        .col_expr(
            billing_account::Column::QuotaUsed,
            Expr::col(billing_account::Column::QuotaUsed).add(1),
        )
        .col_expr(billing_account::Column::UpdatedAt, Expr::value(now))
        .filter(billing_account::Column::UserId.eq(user_id))
        .filter(billing_account::Column::Plan.eq(found.plan))
        .filter(billing_account::Column::QuotaUsed.lt(limit))
        .exec(conn)
        .await?;
    if taken.rows_affected == 1 {
        return Ok(());
    }
    // Refused: say with the figures as they are now.
    let now_found = account(conn, user_id, now).await?;
    if now_found.plan != found.plan {
        // The plan changed between the read and the update: decide again.
        return Box::pin(take_unit(conn, user_id, now)).await;
    }
    Err(AppError::QuotaExceeded {
        limit: i64::from(limit),
        resets_at: now_found.period_end,
    })
}

/// Gives back the unit a generation took, when it ended DEAD: only within
/// the period it was taken in (`taken_at`), never below zero.
pub async fn give_back(
    conn: &impl ConnectionTrait,
    user_id: i64,
    taken_at: DateTime<Utc>,
) -> AppResult<bool> {
    let given = billing_account::Entity::update_many()
        .col_expr(
            billing_account::Column::QuotaUsed,
            Expr::col(billing_account::Column::QuotaUsed).sub(1),
        )
        .filter(billing_account::Column::UserId.eq(user_id))
        .filter(billing_account::Column::QuotaUsed.gt(0))
        .filter(billing_account::Column::PeriodStart.lte(taken_at))
        .filter(billing_account::Column::Plan.ne(Plan::Enterprise))
        .exec(conn)
        .await?;
    Ok(given.rows_affected == 1)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn periods_are_calendar_months() {
        let jan31 = Utc.with_ymd_and_hms(2026, 1, 31, 12, 0, 0).unwrap();
        assert_eq!(
            month_after(jan31),
            Utc.with_ymd_and_hms(2026, 2, 28, 12, 0, 0).unwrap()
        );
        assert_eq!(Plan::Free.monthly_generations(), Some(2));
        assert_eq!(Plan::Pro.monthly_generations(), Some(200));
        assert_eq!(Plan::Enterprise.monthly_generations(), None);
    }
}
