//! The scheduled side of billing (PAY-3, PAY-4):
//! - `BILLING_RECONCILE` (daily): lists the last 48 hours of paid invoices
//!   and PaymentIntents from the provider, to the last page, and applies
//!   each one whose effect is missing through the webhook's own code path
//!   (so a missed webhook is repaired exactly once, and a late webhook after
//!   the repair finds it done); admins get a notice of what it fixed.
//! - `BILLING_GRACE_CHECK` (hourly): accounts whose grace period after a
//!   declined renewal ended fall to FREE; the user is notified and mailed.
//! - `BILLING_USAGE_RESET` (daily): usage periods that ended start over.
//! - [`risk_report`]: subscriptions at risk, for admins.
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, sea_query::Expr};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::webhooks::{self, Event, Receipt};
use crate::{
    domain::{
        mail::{self, Locale, Template},
        realtime::notifications::{self, NewNotification},
    },
    entities::{
        billing_account::{self, Plan},
        billing_invoice,
        notification::NotificationKind,
        payment::{self, PaymentStatus},
        user::{self, Role, UserStatus},
    },
    error::{AppError, AppResult},
    jobs::{JobKind, KindOptions},
    state::AppState,
};

/// How far back reconciliation looks.
pub const WINDOW: Duration = Duration::from_secs(48 * 3600);

fn chore(timeout: u64) -> KindOptions {
    KindOptions {
        concurrency: 1,
        timeout: Duration::from_secs(timeout),
        max_attempts: 3,
        ..KindOptions::default()
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Reconcile {}

impl JobKind for Reconcile {
    const KIND: &'static str = "BILLING_RECONCILE";
    fn options() -> KindOptions {
        chore(900)
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GraceCheck {}

impl JobKind for GraceCheck {
    const KIND: &'static str = "BILLING_GRACE_CHECK";
    fn options() -> KindOptions {
        chore(300)
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ResetUsage {}

impl JobKind for ResetUsage {
    const KIND: &'static str = "BILLING_USAGE_RESET";
    fn options() -> KindOptions {
        chore(300)
    }
}

/// What a reconciliation run repaired.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Repairs {
    pub invoices: Vec<String>,
    pub payments: Vec<String>,
    /// Objects the platform does not know (another system's, or deleted).
    pub skipped: usize,
}

async fn repair(
    state: &AppState,
    kind: &str,
    object: &serde_json::Value,
    fixed: &mut Vec<String>,
    skipped: &mut usize,
) -> AppResult<()> {
    let Some(id) = object["id"].as_str() else {
        *skipped += 1;
        return Ok(());
    };
    let event = Event {
        id: format!("reconcile:{id}"),
        kind: kind.to_owned(),
        created: object["created"].as_i64().unwrap_or(0),
        object: object.clone(),
    };
    match webhooks::apply(state, &event).await {
        Ok(Receipt::Applied { outcome }) if !outcome.contains("already") => {
            tracing::warn!(
                object = id,
                outcome,
                "reconciliation repaired a missed event"
            );
            fixed.push(id.to_owned());
        }
        Ok(_) => {}
        Err(AppError::NotFound { .. } | AppError::Validation { .. }) => *skipped += 1,
        Err(e) => return Err(e),
    }
    Ok(())
}

pub async fn reconcile(state: &AppState, now: DateTime<Utc>) -> AppResult<Repairs> {
    let stripe = super::provider(state)?;
    let since = (now - chrono::Duration::from_std(WINDOW).unwrap_or_default()).timestamp();
    let mut repairs = Repairs::default();
    let invoices = stripe
        .list_paid_invoices(since)
        .await
        .map_err(super::provider_error)?;
    // What is already applied, in one query per list.
    let paid: std::collections::HashSet<String> = billing_invoice::Entity::find()
        .filter(
            billing_invoice::Column::InvoiceId
                .is_in(invoices.iter().filter_map(|i| i["id"].as_str())),
        )
        .filter(billing_invoice::Column::Status.eq("PAID"))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|row| row.invoice_id)
        .collect();
    for invoice in &invoices {
        let Some(id) = invoice["id"].as_str() else {
            continue;
        };
        if !paid.contains(id) {
            repair(
                state,
                "invoice.payment_succeeded",
                invoice,
                &mut repairs.invoices,
                &mut repairs.skipped,
            )
            .await?;
        }
    }
    let intents = stripe
        .list_payment_intents(since)
        .await
        .map_err(super::provider_error)?;
    let succeeded: Vec<&serde_json::Value> = intents
        .iter()
        .filter(|i| i["status"] == "succeeded")
        .collect();
    let ours: std::collections::HashMap<String, payment::Model> = payment::Entity::find()
        .filter(
            payment::Column::PaymentIntentId
                .is_in(succeeded.iter().filter_map(|i| i["id"].as_str())),
        )
        .all(&state.db)
        .await?
        .into_iter()
        .map(|p| (p.payment_intent_id.clone(), p))
        .collect();
    for intent in succeeded {
        let Some(id) = intent["id"].as_str() else {
            continue;
        };
        match ours.get(id) {
            Some(p)
                if matches!(
                    p.status,
                    PaymentStatus::RequiresPayment | PaymentStatus::Failed
                ) =>
            {
                repair(
                    state,
                    "payment_intent.succeeded",
                    intent,
                    &mut repairs.payments,
                    &mut repairs.skipped,
                )
                .await?;
            }
            Some(_) => {}
            None => repairs.skipped += 1,
        }
    }
    tell_admins(state, &repairs, invoices.len(), intents.len()).await?;
    Ok(repairs)
}

async fn tell_admins(
    state: &AppState,
    repairs: &Repairs,
    invoices: usize,
    intents: usize,
) -> AppResult<()> {
    let admins = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin))
        .filter(user::Column::Status.eq(UserStatus::Active))
        .all(&state.db)
        .await?;
    let message = format!(
        "billing reconciliation: {} invoices and {} payments repaired ({} invoices and {} payment intents checked, {} unknown)",
        repairs.invoices.len(),
        repairs.payments.len(),
        invoices,
        intents,
        repairs.skipped
    );
    for admin in admins {
        notifications::send(
            &state.db,
            &state.events,
            NewNotification {
                recipient_id: admin.id,
                kind: NotificationKind::AdminAlert,
                actor_id: None,
                subject: None,
                data: json!({
                    "job": Reconcile::KIND,
                    "message": message,
                    "repairedInvoices": repairs.invoices,
                    "repairedPayments": repairs.payments,
                    "skipped": repairs.skipped,
                }),
            },
        )
        .await?;
    }
    Ok(())
}

/// Accounts past their grace period fall to FREE (the subscription stays:
/// paying restores the plan).
pub async fn restrict_unpaid(state: &AppState, now: DateTime<Utc>) -> AppResult<usize> {
    let db = state.jobs.db();
    let due = billing_account::Entity::find()
        .filter(billing_account::Column::GraceUntil.lte(now))
        .filter(billing_account::Column::Plan.ne(Plan::Free))
        .limit(1000)
        .all(db)
        .await?;
    let mut restricted = 0;
    for account in due {
        let txn = crate::db::begin_write(db).await?;
        let moved = billing_account::Entity::update_many()
            .col_expr(billing_account::Column::Plan, Expr::value(Plan::Free))
            .col_expr(billing_account::Column::UpdatedAt, Expr::value(now))
            .filter(billing_account::Column::UserId.eq(account.user_id))
            .filter(billing_account::Column::GraceUntil.lte(now))
            .filter(billing_account::Column::Plan.ne(Plan::Free))
            .exec(&txn)
            .await?;
        if moved.rows_affected == 0 {
            txn.rollback().await?;
            continue;
        }
        let Some(owner) = user::Entity::find_by_id(account.user_id).one(&txn).await? else {
            txn.rollback().await?;
            continue;
        };
        let plan = account.subscribed_plan.unwrap_or(account.plan);
        mail::enqueue(
            &txn,
            &state.jobs,
            &owner.email,
            Locale::parse(&owner.locale),
            &Template::PlanRestricted {
                plan: plan.as_str().to_owned(),
            },
        )
        .await?;
        let note = notifications::notify(
            &txn,
            NewNotification {
                recipient_id: owner.id,
                kind: NotificationKind::PlanChanged,
                actor_id: None,
                subject: None,
                data: json!({ "plan": "FREE", "reason": "RESTRICTED", "subscribedPlan": plan.as_str() }),
            },
        )
        .await?;
        txn.commit().await?;
        notifications::publish(&state.events, note);
        restricted += 1;
    }
    if restricted > 0 {
        state.jobs.wake();
    }
    Ok(restricted)
}

/// Starts over every usage period that has ended.
pub async fn reset_usage(state: &AppState, now: DateTime<Utc>) -> AppResult<usize> {
    let db = state.jobs.db();
    let ended = billing_account::Entity::find()
        .filter(billing_account::Column::PeriodEnd.lte(now))
        .all(db)
        .await?;
    let mut reset = 0;
    for account in ended {
        if super::roll_period(db, &account, now).await? {
            reset += 1;
        }
    }
    Ok(reset)
}

/// One line of the subscription risk report.
#[derive(Clone, Debug, PartialEq)]
pub struct Risk {
    pub user_id: i64,
    pub plan: Plan,
    pub subscribed_plan: Option<Plan>,
    pub subscription_status: Option<String>,
    pub failures_last_7_days: i64,
    /// `None`: never paid.
    pub days_since_last_success: Option<i64>,
    pub grace_until: Option<DateTime<Utc>>,
    pub score: i64,
}

/// The risk score, 0 to 100 (README "Billing"):
/// `min(100, 25 × failures in the last 7 days + min(days since the last
/// successful payment, 40) (40 when never paid) + 20 when the subscription
/// is past_due or unpaid)`.
pub fn score(failures: i64, days_since_success: Option<i64>, status: Option<&str>) -> i64 {
    let days = days_since_success.unwrap_or(40).clamp(0, 40);
    let overdue = if matches!(status, Some("past_due" | "unpaid")) {
        20
    } else {
        0
    };
    (25 * failures + days + overdue).min(100)
}

/// Every subscribed account, and any with a failed payment in the last 7
/// days, riskiest first.
pub async fn risk_report(state: &AppState, now: DateTime<Utc>) -> AppResult<Vec<Risk>> {
    let week_ago = now - chrono::Duration::days(7);
    let failed: Vec<(i64,)> = billing_invoice::Entity::find()
        .filter(billing_invoice::Column::Status.eq("FAILED"))
        .filter(billing_invoice::Column::RecordedAt.gte(week_ago))
        .select_only()
        .column(billing_invoice::Column::UserId)
        .into_tuple()
        .all(&state.db)
        .await?;
    let failing: Vec<i64> = failed.iter().map(|(u,)| *u).collect();
    let accounts = billing_account::Entity::find()
        .filter(
            Condition::any()
                .add(billing_account::Column::StripeSubscriptionId.is_not_null())
                .add(billing_account::Column::UserId.is_in(failing.clone())),
        )
        .all(&state.db)
        .await?;
    let mut report: Vec<Risk> = accounts
        .into_iter()
        .map(|a| {
            let failures = failing.iter().filter(|u| **u == a.user_id).count() as i64;
            let days = a
                .last_payment_succeeded_at
                .map(|t| (now - t).num_days().max(0));
            Risk {
                user_id: a.user_id,
                plan: a.plan,
                subscribed_plan: a.subscribed_plan,
                score: score(failures, days, a.subscription_status.as_deref()),
                subscription_status: a.subscription_status,
                failures_last_7_days: failures,
                days_since_last_success: days,
                grace_until: a.grace_until,
            }
        })
        .collect();
    report.sort_by(|a, b| b.score.cmp(&a.score).then(a.user_id.cmp(&b.user_id)));
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::score;

    #[test]
    fn the_score_follows_its_formula() {
        assert_eq!(score(0, Some(3), Some("active")), 3);
        assert_eq!(score(1, Some(10), Some("past_due")), 55);
        assert_eq!(score(0, None, Some("active")), 40);
        assert_eq!(score(4, Some(35), Some("unpaid")), 100);
        assert_eq!(score(0, Some(400), None), 40);
    }
}
