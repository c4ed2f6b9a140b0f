//! Delivering partner events: the `PARTNER_WEBHOOK_DELIVERY` job makes one
//! signed POST and records it as an attempt.
//!
//! - **Signature**: `Vitrine-Signature: t=<unix>,v1=<hex HMAC-SHA256 of
//!   "<t>.<body>">` with the subscription's secret (the scheme our Stripe
//!   endpoint verifies, from the same code), plus `Vitrine-Event-Id` and
//!   `Vitrine-Event-Type`. No redirects are followed; 10 s timeout.
//! - **Retries**: a 2xx answer delivers. Any other outcome is retried after
//!   `VITRINE_PARTNER_WEBHOOK_RETRY_DELAYS` (1m, 5m, 30m, 2h, then every
//!   6h), each retry a new job, until 24 h after the first attempt; the
//!   last one falls exactly on the 24 h mark, then the delivery is FAILED.
//!   The schedule is ours rather than the queue's backoff because it is
//!   bounded in time, not in attempts; the job's own retries are only for
//!   our side failing (the database).
//! - **Disabling**: a subscription remembers its first failure since its
//!   last success (`failing_since`); when a delivery gives up (its 24 h are
//!   over) and that clock shows 24 h too, so nothing was delivered all day,
//!   the subscription is disabled (one conditional UPDATE, so one notice)
//!   and its owners (the admin who created the partner and the one who
//!   created the subscription) get a PARTNER_WEBHOOK_DISABLED notification.
//!   Its other pending deliveries are settled FAILED when their jobs run;
//!   new events are not queued for it until it is enabled again.
//! - **By hand**: [`redeliver`] queues one more attempt of any delivery
//!   (recorded as `manual`), which does not start a new retry schedule.
//!
//! The schedule's times come from the application's clock
//! (`state.security.now()`), so tests move the 24 h by hand; the queue's
//! run times and the signature's timestamp stay on the wall clock.
use std::{sync::OnceLock, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{
    db::begin_write,
    domain::realtime::notifications::{self, NewNotification},
    entities::{
        notification::NotificationKind,
        partner,
        partner_webhook_delivery::{self as delivery, DeliveryStatus, attempt},
        partner_webhook_subscription as subscription,
    },
    error::{AppError, AppResult},
    infra::stripe::signature,
    jobs::{Enqueue, HandlerResult, JobKind, KindOptions},
    state::AppState,
};

/// How long a delivery is retried, and how long a subscription may fail
/// before it is disabled.
pub const RETRY_WINDOW: chrono::Duration = chrono::Duration::hours(24);
/// Timeout of one POST.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Longest error text kept per attempt.
const MAX_ERROR: usize = 500;

/// One attempt of one delivery.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeliverPartnerWebhook {
    pub delivery_id: i64,
    /// Queued by `redeliverPartnerWebhook`: one attempt, no schedule.
    #[serde(default)]
    pub manual: bool,
}

impl JobKind for DeliverPartnerWebhook {
    const KIND: &'static str = "PARTNER_WEBHOOK_DELIVERY";
    fn options() -> KindOptions {
        KindOptions {
            concurrency: 8,
            // The POST's 10 s and the bookkeeping around it.
            timeout: Duration::from_secs(60),
            max_attempts: 5,
            ..KindOptions::default()
        }
    }
}

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .user_agent(concat!("vitrine-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default()
    })
}

/// What one POST came to.
struct Outcome {
    status: Option<u16>,
    error: Option<String>,
    duration_ms: i64,
}

impl Outcome {
    fn success(&self) -> bool {
        self.error.is_none() && self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

fn clip(text: String) -> String {
    if text.chars().count() <= MAX_ERROR {
        text
    } else {
        text.chars().take(MAX_ERROR).collect()
    }
}

/// POSTs `d`'s body to `url`, signed with `secret` at `at` (wall-clock
/// time: receivers check it against theirs).
async fn post(url: &str, secret: &str, d: &delivery::Model, at: DateTime<Utc>) -> Outcome {
    let body = d.payload.as_bytes().to_vec();
    let header = signature::sign(&body, secret, at.timestamp());
    let started = std::time::Instant::now();
    let sent = client()
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("Vitrine-Signature", header)
        .header("Vitrine-Event-Id", &d.event_id)
        .header("Vitrine-Event-Type", &d.event_type)
        .body(body)
        .send()
        .await;
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    match sent {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let error = (!resp.status().is_success()).then(|| format!("HTTP {status}"));
            Outcome {
                status: Some(status),
                error,
                duration_ms,
            }
        }
        Err(e) => {
            let why = if e.is_timeout() {
                format!("timed out after {} s", TIMEOUT.as_secs())
            } else if e.is_connect() {
                format!("could not connect: {e}")
            } else {
                format!("request failed: {e}")
            };
            Outcome {
                status: None,
                error: Some(clip(why)),
                duration_ms,
            }
        }
    }
}

/// The job: one attempt of one delivery, recorded, then the next one
/// scheduled or the delivery settled.
pub async fn run(state: &AppState, job: &DeliverPartnerWebhook) -> HandlerResult {
    let db = state.jobs.db();
    let Some(d) = delivery::Entity::find_by_id(job.delivery_id)
        .one(db)
        .await?
    else {
        return Ok("the delivery is gone".into());
    };
    if !job.manual && d.status != DeliveryStatus::Pending {
        return Ok(format!("already {:?}", d.status));
    }
    let Some(sub) = subscription::Entity::find_by_id(d.subscription_id)
        .one(db)
        .await?
    else {
        return Ok("the subscription is gone".into());
    };
    let revoked = partner::Entity::find_by_id(sub.partner_id)
        .one(db)
        .await?
        .is_none_or(|p| p.revoked_at.is_some());
    if !sub.enabled || revoked {
        let why = if revoked {
            "the partner's key was revoked"
        } else {
            "the subscription is disabled"
        };
        settle_failed(db, d.id, why)
            .await
            .map_err(AppError::into_anyhow)?;
        return Ok(format!("not sent: {why}"));
    }
    let now = state.security.now();
    let outcome = post(&sub.url, &sub.secret, &d, state.jobs.now()).await;
    // Known names only, so the label set stays bounded.
    let event = super::EventType::parse(&d.event_type).map_or("other", |t| t.as_str());
    state
        .metrics
        .count_partner_webhook_attempt(event, outcome.success());
    let summary = match (&outcome.status, &outcome.error) {
        (_, None) => format!("delivered (HTTP {})", outcome.status.unwrap_or_default()),
        (_, Some(e)) => format!("attempt failed: {e}"),
    };
    record(state, &d, &sub, &outcome, now, job.manual)
        .await
        .map_err(AppError::into_anyhow)?;
    Ok(summary)
}

/// A PENDING delivery that will not be sent.
async fn settle_failed(db: &DatabaseConnection, id: i64, why: &str) -> AppResult<()> {
    delivery::Entity::update_many()
        .col_expr(
            delivery::Column::Status,
            Expr::value(DeliveryStatus::Failed),
        )
        .col_expr(
            delivery::Column::NextAttemptAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(delivery::Column::LastError, Expr::value(why.to_owned()))
        .filter(delivery::Column::Id.eq(id))
        .filter(delivery::Column::Status.eq(DeliveryStatus::Pending))
        .exec(db)
        .await?;
    Ok(())
}

/// Records the attempt and its consequences in one transaction.
async fn record(
    state: &AppState,
    d: &delivery::Model,
    sub: &subscription::Model,
    outcome: &Outcome,
    now: DateTime<Utc>,
    manual: bool,
) -> AppResult<()> {
    let txn = begin_write(state.jobs.db()).await?;
    attempt::ActiveModel {
        delivery_id: Set(d.id),
        attempted_at: Set(now),
        status_code: Set(outcome.status.map(i32::from)),
        error: Set(outcome.error.clone()),
        duration_ms: Set(outcome.duration_ms),
        success: Set(outcome.success()),
        manual: Set(manual),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let first = d.first_attempt_at.unwrap_or(now);
    let mut update = delivery::Entity::update_many()
        .col_expr(
            delivery::Column::Attempts,
            Expr::col(delivery::Column::Attempts).add(1),
        )
        .col_expr(delivery::Column::FirstAttemptAt, Expr::value(Some(first)))
        .col_expr(delivery::Column::LastAttemptAt, Expr::value(Some(now)))
        .col_expr(
            delivery::Column::LastStatusCode,
            Expr::value(outcome.status.map(i32::from)),
        )
        .col_expr(
            delivery::Column::LastError,
            Expr::value(outcome.error.clone()),
        )
        .filter(delivery::Column::Id.eq(d.id));
    let mut notes = Vec::new();
    let mut retry_in = None;
    if outcome.success() {
        update = update
            .col_expr(
                delivery::Column::Status,
                Expr::value(DeliveryStatus::Delivered),
            )
            .col_expr(delivery::Column::DeliveredAt, Expr::value(Some(now)))
            .col_expr(
                delivery::Column::NextAttemptAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            );
        subscription::Entity::update_many()
            .col_expr(
                subscription::Column::FailingSince,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(subscription::Column::Id.eq(sub.id))
            .filter(subscription::Column::FailingSince.is_not_null())
            .exec(&txn)
            .await?;
    } else if manual {
        // A manual attempt starts the failure clock but neither schedules
        // retries nor settles the delivery.
        note_failure(&txn, sub, now).await?;
    } else {
        note_failure(&txn, sub, now).await?;
        let deadline = first + RETRY_WINDOW;
        if now >= deadline {
            // Retried all day: given up. When nothing succeeded since the
            // subscription's first failure either, it is disabled.
            update = update
                .col_expr(
                    delivery::Column::Status,
                    Expr::value(DeliveryStatus::Failed),
                )
                .col_expr(
                    delivery::Column::NextAttemptAt,
                    Expr::value(Option::<DateTime<Utc>>::None),
                );
            if disable_if_failing_all_day(&txn, sub, now).await? {
                notes = notify_owners(&txn, sub, now).await?;
            }
        } else {
            let attempt_no = u32::try_from(d.attempts + 1).unwrap_or(u32::MAX);
            let delay =
                chrono::Duration::from_std(state.config.partner_webhooks.retry_delay(attempt_no))
                    .unwrap_or(chrono::Duration::hours(6));
            // The last retry lands on the 24 h mark exactly, so a
            // subscription that fails all day is judged at that attempt.
            let next = std::cmp::min(now + delay, deadline);
            update = update.col_expr(delivery::Column::NextAttemptAt, Expr::value(Some(next)));
            retry_in = Some(next - now);
        }
    }
    update.exec(&txn).await?;
    if let Some(wait) = retry_in {
        let run_at = state.jobs.now() + wait;
        state
            .jobs
            .enqueue(
                &txn,
                &DeliverPartnerWebhook {
                    delivery_id: d.id,
                    manual: false,
                },
                Enqueue {
                    run_at: Some(run_at),
                    ..Enqueue::default()
                },
            )
            .await?;
    }
    txn.commit().await?;
    notifications::publish(&state.events, notes);
    Ok(())
}

/// Starts the subscription's failure clock unless it is running.
async fn note_failure(
    txn: &impl ConnectionTrait,
    sub: &subscription::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    subscription::Entity::update_many()
        .col_expr(subscription::Column::FailingSince, Expr::value(Some(now)))
        .filter(subscription::Column::Id.eq(sub.id))
        .filter(subscription::Column::FailingSince.is_null())
        .exec(txn)
        .await?;
    Ok(())
}

/// Disables the subscription when its failure clock shows 24 h (nothing
/// delivered since); whether this call disabled it (one conditional
/// UPDATE, so one notice however many deliveries give up at once).
async fn disable_if_failing_all_day(
    txn: &impl ConnectionTrait,
    sub: &subscription::Model,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let reason = format!(
        "every delivery attempt failed for {} hours",
        RETRY_WINDOW.num_hours()
    );
    let disabled = subscription::Entity::update_many()
        .col_expr(subscription::Column::Enabled, Expr::value(false))
        .col_expr(subscription::Column::DisabledAt, Expr::value(Some(now)))
        .col_expr(
            subscription::Column::DisabledReason,
            Expr::value(Some(reason)),
        )
        .col_expr(subscription::Column::UpdatedAt, Expr::value(now))
        .filter(subscription::Column::Id.eq(sub.id))
        .filter(subscription::Column::Enabled.eq(true))
        .filter(subscription::Column::FailingSince.lte(now - RETRY_WINDOW))
        .exec(txn)
        .await?;
    Ok(disabled.rows_affected == 1)
}

async fn notify_owners(
    txn: &impl ConnectionTrait,
    sub: &subscription::Model,
    now: DateTime<Utc>,
) -> AppResult<Vec<crate::entities::notification::Model>> {
    let partner = partner::Entity::find_by_id(sub.partner_id).one(txn).await?;
    let mut owners = vec![sub.created_by];
    if let Some(p) = &partner {
        owners.push(p.created_by);
    }
    owners.sort_unstable();
    owners.dedup();
    let mut notes = Vec::new();
    for owner in owners {
        notes.extend(
            notifications::notify(
                txn,
                NewNotification {
                    recipient_id: owner,
                    kind: NotificationKind::PartnerWebhookDisabled,
                    actor_id: None,
                    subject: Some(("PartnerWebhook", sub.id)),
                    data: json!({
                        "partnerWebhookId": crate::conventions::encode_id("PartnerWebhook", sub.id).to_string(),
                        "partnerId": crate::conventions::encode_id("Partner", sub.partner_id).to_string(),
                        "partnerName": partner.as_ref().map(|p| p.name.clone()),
                        "url": sub.url,
                        "failingSince": sub.failing_since.unwrap_or(now),
                        "message": "every delivery failed for 24 hours; the subscription is disabled until it is enabled again",
                    }),
                },
            )
            .await?,
        );
    }
    Ok(notes)
}

/// Queues one more attempt of delivery `id`, now (of an enabled subscription).
pub async fn redeliver(state: &AppState, id: i64) -> AppResult<delivery::Model> {
    let db = &state.db;
    let d = delivery::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("PartnerWebhookDelivery"))?;
    let sub = super::get(db, d.subscription_id).await?;
    if !sub.enabled {
        return Err(AppError::conflict(
            "deliveryId",
            "the subscription is disabled; enable it first",
        ));
    }
    state
        .jobs
        .enqueue(
            db,
            &DeliverPartnerWebhook {
                delivery_id: d.id,
                manual: true,
            },
            Enqueue::default(),
        )
        .await?;
    state.jobs.wake();
    Ok(d)
}

pub async fn get(db: &DatabaseConnection, id: i64) -> AppResult<delivery::Model> {
    delivery::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("PartnerWebhookDelivery"))
}

/// A subscription's deliveries, newest first, keyset on id.
pub async fn list(
    db: &DatabaseConnection,
    subscription_id: i64,
    after_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<delivery::Model>> {
    let mut query = delivery::Entity::find()
        .filter(delivery::Column::SubscriptionId.eq(subscription_id))
        .order_by_desc(delivery::Column::Id)
        .limit(limit);
    if let Some(after) = after_id {
        query = query.filter(delivery::Column::Id.lt(after));
    }
    Ok(query.all(db).await?)
}

/// Most attempts listed per delivery (the newest).
pub const MAX_LISTED_ATTEMPTS: usize = 50;

/// The attempts of `delivery_ids` in one statement, oldest first per
/// delivery (the newest [`MAX_LISTED_ATTEMPTS`] of each).
pub async fn attempts_of(
    db: &DatabaseConnection,
    delivery_ids: &[i64],
) -> AppResult<std::collections::HashMap<i64, Vec<attempt::Model>>> {
    let mut out: std::collections::HashMap<i64, Vec<attempt::Model>> = Default::default();
    if delivery_ids.is_empty() {
        return Ok(out);
    }
    let rows = attempt::Entity::find()
        .filter(attempt::Column::DeliveryId.is_in(delivery_ids.iter().copied()))
        .order_by_asc(attempt::Column::Id)
        .all(db)
        .await?;
    for row in rows {
        out.entry(row.delivery_id).or_default().push(row);
    }
    for list in out.values_mut() {
        let extra = list.len().saturating_sub(MAX_LISTED_ATTEMPTS);
        list.drain(..extra);
    }
    Ok(out)
}
