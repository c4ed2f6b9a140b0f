//! `POST /webhooks/stripe` (PAY-2): the provider's events, trusted only
//! when signed with a configured secret (checked by the transport before
//! this runs), applied exactly once.
//!
//! Each event is recorded by its id in the transaction of its effects: a
//! redelivery finds the id and is acknowledged without a second effect.
//! Subscription state follows the newest event only (`provider_updated_at`):
//! an older event delivered late is recorded and changes nothing. Unknown
//! event types are acknowledged and ignored. An event about a customer,
//! subscription or order this platform does not know, or whose amount does
//! not match, is refused with nothing written (the provider retries it and
//! operators see it in the log).
use chrono::{DateTime, TimeZone, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr,
    sea_query::OnConflict,
};
use serde_json::{Value, json};

use super::{month_after, payments};
use crate::{
    db::begin_write,
    domain::{
        mail::{self, Locale, Template},
        realtime::notifications::{self, NewNotification},
    },
    entities::{
        billing_account::{self, Plan},
        billing_invoice,
        notification::{self, NotificationKind},
        stripe_event, user,
    },
    error::{AppError, AppResult},
    events::DomainEvent,
    state::AppState,
};

/// A parsed provider event.
#[derive(Clone, Debug)]
pub struct Event {
    pub id: String,
    pub kind: String,
    pub created: i64,
    pub object: Value,
}

impl Event {
    /// Reads the documented envelope: `id`, `type`, `created`, `data.object`.
    pub fn parse(body: &[u8]) -> Result<Self, String> {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
        let text = |key: &str| {
            value[key]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("the event has no `{key}`"))
        };
        let id = text("id")?;
        let kind = text("type")?;
        let created = value["created"]
            .as_i64()
            .ok_or("the event has no `created`")?;
        let object = value["data"]["object"].clone();
        if !object.is_object() {
            return Err("the event has no `data.object`".into());
        }
        Ok(Self {
            id,
            kind,
            created,
            object,
        })
    }
}

/// What applying an event did.
#[derive(Default)]
pub struct Applied {
    pub outcome: String,
    pub notes: Vec<notification::Model>,
    pub events: Vec<DomainEvent>,
    pub mail: bool,
}

impl Applied {
    fn said(outcome: impl Into<String>) -> Self {
        Self {
            outcome: outcome.into(),
            ..Self::default()
        }
    }
}

/// The answer to the provider.
#[derive(Debug, PartialEq, Eq)]
pub enum Receipt {
    Applied { outcome: String },
    Duplicate,
}

/// Applies `event` once. Called by the webhook and by reconciliation (with
/// a synthetic id of its own, so a later webhook is not a duplicate of it
/// but finds its effect already there).
pub async fn apply(state: &AppState, event: &Event) -> AppResult<Receipt> {
    let now = state.security.now();
    let txn = begin_write(&state.db).await?;
    let recorded = stripe_event::Entity::insert(stripe_event::ActiveModel {
        id: Set(event.id.clone()),
        kind: Set(event.kind.chars().take(64).collect()),
        created: Set(event.created),
        outcome: Set(String::new()),
        received_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(stripe_event::Column::Id)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if recorded == 0 {
        txn.rollback().await?;
        return Ok(Receipt::Duplicate);
    }
    let applied = match dispatch(state, &txn, event, now).await {
        Ok(applied) => applied,
        Err(e) => {
            txn.rollback().await?;
            return Err(e);
        }
    };
    let outcome: String = applied.outcome.chars().take(200).collect();
    stripe_event::Entity::update_many()
        .col_expr(stripe_event::Column::Outcome, Expr::value(outcome.clone()))
        .filter(stripe_event::Column::Id.eq(&event.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    notifications::publish(&state.events, applied.notes);
    for e in applied.events {
        state.events.publish(e);
    }
    if applied.mail {
        state.jobs.wake();
    }
    state.metrics.count_billing_event(&event.kind, "applied");
    tracing::info!(
        event = event.id,
        kind = event.kind,
        outcome,
        "billing event applied"
    );
    Ok(Receipt::Applied { outcome })
}

async fn dispatch(
    state: &AppState,
    txn: &impl ConnectionTrait,
    event: &Event,
    now: DateTime<Utc>,
) -> AppResult<Applied> {
    let o = &event.object;
    match event.kind.as_str() {
        "checkout.session.completed" => checkout_completed(txn, event, now).await,
        "customer.subscription.created"
        | "customer.subscription.updated"
        | "customer.subscription.deleted" => subscription_changed(state, txn, event, now).await,
        "invoice.payment_succeeded" | "invoice.paid" => invoice_paid(txn, o, now).await,
        "invoice.payment_failed" => invoice_failed(state, txn, o, now).await,
        "payment_intent.succeeded" => payments::intent_succeeded(state, txn, o, now).await,
        "payment_intent.payment_failed" => payments::intent_failed(txn, o, now).await,
        "charge.refunded" => payments::charge_refunded(txn, o, now).await,
        other => Ok(Applied::said(format!("ignored: {other} is not used"))),
    }
}

fn text<'a>(o: &'a Value, key: &str) -> Option<&'a str> {
    o[key].as_str().filter(|s| !s.is_empty())
}

fn unix(secs: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_opt(secs, 0).single()
}

fn unknown(what: &'static str) -> AppError {
    AppError::not_found(what)
}

async fn by_customer(
    txn: &impl ConnectionTrait,
    customer: Option<&str>,
) -> AppResult<billing_account::Model> {
    let customer = customer.ok_or_else(|| AppError::validation("customer", "no customer"))?;
    billing_account::Entity::find()
        .filter(billing_account::Column::StripeCustomerId.eq(customer))
        .one(txn)
        .await?
        .ok_or_else(|| unknown("BillingCustomer"))
}

async fn notify_plan(
    txn: &impl ConnectionTrait,
    user_id: i64,
    kind: NotificationKind,
    data: Value,
) -> AppResult<Vec<notification::Model>> {
    Ok(notifications::notify(
        txn,
        NewNotification {
            recipient_id: user_id,
            kind,
            actor_id: None,
            subject: None,
            data,
        },
    )
    .await?
    .into_iter()
    .collect())
}

/// Tells the user their plan changed (nothing when it did not).
async fn plan_changed(
    txn: &impl ConnectionTrait,
    account: &billing_account::Model,
    plan: Plan,
    reason: &str,
) -> AppResult<Vec<notification::Model>> {
    if plan == account.plan {
        return Ok(Vec::new());
    }
    notify_plan(
        txn,
        account.user_id,
        NotificationKind::PlanChanged,
        json!({ "plan": plan.as_str(), "reason": reason }),
    )
    .await
}

/// A subscription checkout finished: the plan is in force from now, with a
/// fresh period.
async fn checkout_completed(
    txn: &impl ConnectionTrait,
    event: &Event,
    now: DateTime<Utc>,
) -> AppResult<Applied> {
    let o = &event.object;
    if text(o, "mode") != Some("subscription") {
        return Ok(Applied::said("ignored: not a subscription checkout"));
    }
    let account = by_customer(txn, text(o, "customer")).await?;
    let plan = text(&o["metadata"], "plan")
        .and_then(Plan::parse)
        .filter(|p| *p != Plan::Free)
        .ok_or_else(|| AppError::validation("metadata.plan", "no paid plan in the checkout"))?;
    if let Some(user) = text(o, "client_reference_id")
        && user != account.user_id.to_string()
    {
        return Err(AppError::validation(
            "client_reference_id",
            "the checkout's user is not the customer's",
        ));
    }
    if event.created < account.provider_updated_at {
        return Ok(Applied::said("stale: a newer event was applied"));
    }
    let subscription = text(o, "subscription").map(str::to_owned);
    billing_account::Entity::update_many()
        .col_expr(billing_account::Column::Plan, Expr::value(plan))
        .col_expr(
            billing_account::Column::SubscribedPlan,
            Expr::value(Some(plan)),
        )
        .col_expr(
            billing_account::Column::StripeSubscriptionId,
            Expr::value(subscription.clone()),
        )
        .col_expr(
            billing_account::Column::SubscriptionStatus,
            Expr::value(Some("active".to_owned())),
        )
        .col_expr(
            billing_account::Column::CancelAtPeriodEnd,
            Expr::value(false),
        )
        .col_expr(billing_account::Column::PeriodStart, Expr::value(now))
        .col_expr(
            billing_account::Column::PeriodEnd,
            Expr::value(month_after(now)),
        )
        .col_expr(billing_account::Column::QuotaUsed, Expr::value(0))
        .col_expr(
            billing_account::Column::GraceUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            billing_account::Column::ProviderUpdatedAt,
            Expr::value(event.created),
        )
        .col_expr(billing_account::Column::UpdatedAt, Expr::value(now))
        .filter(billing_account::Column::UserId.eq(account.user_id))
        .exec(txn)
        .await?;
    let notes = notify_plan(
        txn,
        account.user_id,
        NotificationKind::PlanChanged,
        json!({ "plan": plan.as_str(), "reason": "SUBSCRIBED" }),
    )
    .await?;
    Ok(Applied {
        outcome: format!("user {} subscribed to {}", account.user_id, plan.as_str()),
        notes,
        ..Applied::default()
    })
}

/// The subscription's state as the provider has it now.
async fn subscription_changed(
    state: &AppState,
    txn: &impl ConnectionTrait,
    event: &Event,
    now: DateTime<Utc>,
) -> AppResult<Applied> {
    let o = &event.object;
    let account = by_customer(txn, text(o, "customer")).await?;
    if event.created < account.provider_updated_at {
        return Ok(Applied::said("stale: a newer event was applied"));
    }
    let status = if event.kind == "customer.subscription.deleted" {
        "canceled"
    } else {
        text(o, "status").unwrap_or("incomplete")
    };
    let price = o["items"]["data"][0]["price"]["id"].as_str();
    let paid_plan = price.and_then(|p| state.config.billing.plan_of_price(p));
    let ended = matches!(status, "canceled" | "unpaid" | "incomplete_expired");
    let live = matches!(status, "active" | "trialing" | "past_due");
    let (plan, subscribed, subscription) = if ended {
        (Plan::Free, None, None)
    } else if live {
        let paid = paid_plan.unwrap_or(account.subscribed_plan.unwrap_or(Plan::Free));
        // Restricted after an unpaid grace period: stays FREE until paid.
        let restricted = account.grace_until.is_some_and(|g| g <= now);
        (
            if restricted { Plan::Free } else { paid },
            Some(paid),
            text(o, "id").map(str::to_owned),
        )
    } else {
        // `incomplete`: the first payment is still being made.
        (
            account.plan,
            account.subscribed_plan,
            account.stripe_subscription_id.clone(),
        )
    };
    let mut update = billing_account::Entity::update_many()
        .col_expr(billing_account::Column::Plan, Expr::value(plan))
        .col_expr(
            billing_account::Column::SubscribedPlan,
            Expr::value(subscribed),
        )
        .col_expr(
            billing_account::Column::StripeSubscriptionId,
            Expr::value(subscription),
        )
        .col_expr(
            billing_account::Column::SubscriptionStatus,
            Expr::value(Some(status.to_owned())),
        )
        .col_expr(
            billing_account::Column::CancelAtPeriodEnd,
            Expr::value(o["cancel_at_period_end"].as_bool().unwrap_or(false)),
        )
        .col_expr(
            billing_account::Column::ProviderUpdatedAt,
            Expr::value(event.created),
        )
        .col_expr(billing_account::Column::UpdatedAt, Expr::value(now));
    if ended {
        update = update.col_expr(
            billing_account::Column::GraceUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        );
    }
    update
        .filter(billing_account::Column::UserId.eq(account.user_id))
        .exec(txn)
        .await?;
    let notes = plan_changed(
        txn,
        &account,
        plan,
        if ended { "CANCELLED" } else { "CHANGED" },
    )
    .await?;
    Ok(Applied {
        outcome: format!(
            "user {}: subscription {status}, plan {}",
            account.user_id,
            plan.as_str()
        ),
        notes,
        ..Applied::default()
    })
}

/// Records an invoice outcome once; false when it was already recorded.
async fn record_invoice(
    txn: &impl ConnectionTrait,
    o: &Value,
    user_id: i64,
    status: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let id = text(o, "id").ok_or_else(|| AppError::validation("id", "the invoice has no id"))?;
    let amount = if status == "PAID" {
        o["amount_paid"].as_i64()
    } else {
        o["amount_due"].as_i64()
    }
    .unwrap_or(0);
    let inserted = billing_invoice::Entity::insert(billing_invoice::ActiveModel {
        invoice_id: Set(id.to_owned()),
        status: Set(status.to_owned()),
        user_id: Set(user_id),
        amount: Set(amount),
        currency: Set(text(o, "currency")
            .unwrap_or("krw")
            .chars()
            .take(8)
            .collect()),
        billing_reason: Set(text(o, "billing_reason")
            .unwrap_or("manual")
            .chars()
            .take(40)
            .collect()),
        created_at: Set(o["created"].as_i64().and_then(unix).unwrap_or(now)),
        recorded_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            billing_invoice::Column::InvoiceId,
            billing_invoice::Column::Status,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(inserted == 1)
}

/// A paid invoice: the grace period ends and a restricted plan comes back;
/// a renewal (`subscription_cycle`) starts the new period with nothing used.
pub async fn invoice_paid(
    txn: &impl ConnectionTrait,
    o: &Value,
    now: DateTime<Utc>,
) -> AppResult<Applied> {
    let account = by_customer(txn, text(o, "customer")).await?;
    if !record_invoice(txn, o, account.user_id, "PAID", now).await? {
        return Ok(Applied::said("already applied"));
    }
    let plan = account.subscribed_plan.unwrap_or(account.plan);
    let mut update = billing_account::Entity::update_many()
        .col_expr(billing_account::Column::Plan, Expr::value(plan))
        .col_expr(
            billing_account::Column::GraceUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            billing_account::Column::LastPaymentSucceededAt,
            Expr::value(Some(now)),
        )
        .col_expr(billing_account::Column::UpdatedAt, Expr::value(now));
    let renewal = text(o, "billing_reason") == Some("subscription_cycle");
    if renewal {
        let line = &o["lines"]["data"][0]["period"];
        let start = line["start"].as_i64().and_then(unix).unwrap_or(now);
        let end = line["end"]
            .as_i64()
            .and_then(unix)
            .unwrap_or_else(|| month_after(start));
        update = update
            .col_expr(billing_account::Column::QuotaUsed, Expr::value(0))
            .col_expr(billing_account::Column::PeriodStart, Expr::value(start))
            .col_expr(billing_account::Column::PeriodEnd, Expr::value(end));
    }
    update
        .filter(billing_account::Column::UserId.eq(account.user_id))
        .exec(txn)
        .await?;
    let notes = plan_changed(txn, &account, plan, "RESTORED").await?;
    Ok(Applied {
        outcome: format!(
            "user {}: invoice paid{}",
            account.user_id,
            if renewal { ", usage reset" } else { "" }
        ),
        notes,
        ..Applied::default()
    })
}

/// A declined renewal: the grace period starts (once), the user is told.
async fn invoice_failed(
    state: &AppState,
    txn: &impl ConnectionTrait,
    o: &Value,
    now: DateTime<Utc>,
) -> AppResult<Applied> {
    let account = by_customer(txn, text(o, "customer")).await?;
    if !record_invoice(txn, o, account.user_id, "FAILED", now).await? {
        return Ok(Applied::said("already applied"));
    }
    let grace = chrono::Duration::from_std(state.config.billing.grace).unwrap_or_default();
    let until = account.grace_until.unwrap_or(now + grace);
    billing_account::Entity::update_many()
        .col_expr(
            billing_account::Column::GraceUntil,
            Expr::value(Some(until)),
        )
        .col_expr(
            billing_account::Column::LastPaymentFailedAt,
            Expr::value(Some(now)),
        )
        .col_expr(billing_account::Column::UpdatedAt, Expr::value(now))
        .filter(billing_account::Column::UserId.eq(account.user_id))
        .exec(txn)
        .await?;
    let plan = account.subscribed_plan.unwrap_or(account.plan);
    let owner = user::Entity::find_by_id(account.user_id)
        .one(txn)
        .await?
        .ok_or_else(|| unknown("User"))?;
    mail::enqueue(
        txn,
        &state.jobs,
        &owner.email,
        Locale::parse(&owner.locale),
        &Template::PaymentFailed {
            plan: plan.as_str().to_owned(),
            until: until.format("%Y-%m-%d %H:%M UTC").to_string(),
        },
    )
    .await?;
    let notes = notify_plan(
        txn,
        account.user_id,
        NotificationKind::PaymentFailed,
        json!({ "plan": plan.as_str(), "graceUntil": until.to_rfc3339(), "invoice": text(o, "id") }),
    )
    .await?;
    Ok(Applied {
        outcome: format!(
            "user {}: renewal declined, grace until {}",
            account.user_id,
            until.to_rfc3339()
        ),
        notes,
        mail: true,
        ..Applied::default()
    })
}
