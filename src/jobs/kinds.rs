//! The application's job kinds and periodic jobs, wired to the state they
//! need. Each kind's payload type and work live with its domain
//! (`domain::recommendations::TrainRecommender`,
//! `domain::search_index::ReindexSearch`, …); this is the one place that
//! lists them all.
use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{
    kind::{JobKind, KindOptions, Registry},
    queue::Enqueue,
    scheduler::{Periodic, Schedule},
};
use crate::{
    config::Config,
    domain::{
        assistant,
        billing::{
            payments::{self, ExpireUnpaidOrders, RefundPayment},
            reconcile::{self, GraceCheck, Reconcile, ResetUsage},
        },
        color::store::{self as colors, AnalyzeColors},
        commerce::inference::{self as product_inference, InferProduct},
        community::generation::{self, GenerateDesign},
        idempotency,
        mail::{self, SendMail},
        realtime::{
            notifications::{self, NewNotification},
            web_push::{self, DeliverWebPush, Pushers},
        },
        recommendations::{self, TRAINING_KEY, TrainRecommender},
        search_index::{self, ReindexSearch},
        security::{
            anomaly::{self, CheckSignupBurst, CheckSignups},
            monitor::Outlets,
        },
        uploads::{
            direct::{self, ExpireUploads},
            variants::{self, MakeVariants},
        },
    },
    entities::notification::NotificationKind,
    state::AppState,
};

/// Deletes expired idempotency keys (API-5), hourly.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CleanIdempotencyKeys {}

impl JobKind for CleanIdempotencyKeys {
    const KIND: &'static str = "IDEMPOTENCY_CLEANUP";
    fn options() -> KindOptions {
        small_chore()
    }
}

/// Refreshes SQLite's query-planner statistics (`PRAGMA optimize`), hourly
/// (SQLite only; PostgreSQL's autovacuum does this itself).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct OptimizeSqlite {}

impl JobKind for OptimizeSqlite {
    const KIND: &'static str = "SQLITE_OPTIMIZE";
    fn options() -> KindOptions {
        small_chore()
    }
}

/// Deletes finished jobs older than `VITRINE_JOBS_RETENTION`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PurgeJobs {}

impl JobKind for PurgeJobs {
    const KIND: &'static str = "JOBS_PURGE";
    fn options() -> KindOptions {
        small_chore()
    }
}

fn small_chore() -> KindOptions {
    KindOptions {
        concurrency: 1,
        timeout: Duration::from_secs(600),
        max_attempts: 3,
        ..KindOptions::default()
    }
}

/// Every kind this instance runs, with its handler.
pub fn registry(state: &AppState) -> Registry {
    let mut registry = Registry::new();
    let s = state.clone();
    registry.register::<TrainRecommender, _, _>(move |ctx, _job| {
        let s = s.clone();
        async move {
            let outcome =
                recommendations::train(s.jobs.db(), &s.recommender, &s.config.ml, &ctx).await;
            let last = outcome.is_ok()
                || ctx.is_last_attempt()
                || outcome
                    .as_ref()
                    .err()
                    .is_some_and(|e| e.downcast_ref::<super::Permanent>().is_some());
            if let (Some(owner), true) = (ctx.owner_id, last) {
                let message = match &outcome {
                    Ok(version) => format!("model {version} trained and served"),
                    Err(e) => format!("training failed: {e:#}"),
                };
                let state = if outcome.is_ok() { "SUCCEEDED" } else { "DEAD" };
                let sent = notifications::send(
                    s.jobs.db(),
                    &s.events,
                    NewNotification {
                        recipient_id: owner,
                        kind: NotificationKind::AdminAlert,
                        actor_id: None,
                        subject: None,
                        data: json!({
                            "job": TrainRecommender::KIND,
                            "jobId": super::public_id(ctx.id),
                            "state": state,
                            "message": message,
                        }),
                    },
                )
                .await;
                if let Err(e) = sent {
                    tracing::warn!(error = ?e, "could not notify the training job's owner");
                }
            }
            outcome.map(|version| format!("model {version} trained and served"))
        }
    });
    if let Some(indexing) = state.indexing.clone() {
        registry.register::<ReindexSearch, _, _>(move |ctx, _job| {
            let indexing = indexing.clone();
            async move { search_index::reindex_job(&indexing, &ctx).await }
        });
    }
    // Jobs read and write through the queue's own pool, never the
    // requests' (nor their statement counts).
    let (db, storage, events) = (
        state.jobs.db().clone(),
        state.storage.clone(),
        state.events.clone(),
    );
    registry.register::<AnalyzeColors, _, _>(move |_ctx, job| {
        let (db, storage, events) = (db.clone(), storage.clone(), events.clone());
        async move { colors::run(&db, storage.as_ref(), &events, &job).await }
    });
    let s = state.clone();
    registry.register::<InferProduct, _, _>(move |_ctx, job| {
        let s = s.clone();
        async move {
            product_inference::run(s.jobs.db(), s.inference.as_ref(), &s.metrics, &job).await
        }
    });
    let (db, storage) = (state.jobs.db().clone(), state.storage.clone());
    registry.register::<MakeVariants, _, _>(move |_ctx, job| {
        let (db, storage) = (db.clone(), storage.clone());
        async move { variants::run(&db, storage.as_ref(), &job).await }
    });
    let (db, storage) = (state.jobs.db().clone(), state.storage.clone());
    registry.register::<ExpireUploads, _, _>(move |_ctx, _job| {
        let (db, storage) = (db.clone(), storage.clone());
        async move {
            let removed = direct::expire(&db, storage.as_ref())
                .await
                .map_err(crate::error::AppError::into_anyhow)?;
            Ok(format!("{removed} expired uploads removed"))
        }
    });
    let (db, mailer) = (state.jobs.db().clone(), state.mailer.clone());
    registry.register::<SendMail, _, _>(move |ctx, job| {
        let (db, mailer) = (db.clone(), mailer.clone());
        async move { mail::run(&db, mailer.as_ref(), &ctx, &job).await }
    });
    let s = state.clone();
    registry.register::<DeliverWebPush, _, _>(move |ctx, job| {
        let s = s.clone();
        async move {
            let out = Pushers {
                db: s.jobs.db(),
                presence: &s.realtime.presence,
                web_push: &s.web_push,
                metrics: &s.metrics,
            };
            web_push::run(&out, &ctx, &job).await
        }
    });
    let s = state.clone();
    registry.register::<CheckSignups, _, _>(move |_ctx, _job| {
        let s = s.clone();
        async move {
            let out = Outlets {
                db: s.jobs.db(),
                events: &s.events,
                jobs: &s.jobs,
            };
            anomaly::daily(&s.security, &out, s.security.now())
                .await
                .map_err(crate::error::AppError::into_anyhow)
        }
    });
    let s = state.clone();
    registry.register::<CheckSignupBurst, _, _>(move |_ctx, _job| {
        let s = s.clone();
        async move {
            let out = Outlets {
                db: s.jobs.db(),
                events: &s.events,
                jobs: &s.jobs,
            };
            anomaly::burst(&s.security, &out, s.security.now())
                .await
                .map_err(crate::error::AppError::into_anyhow)
        }
    });
    let s = state.clone();
    registry.register::<RefundPayment, _, _>(move |_ctx, job| {
        let s = s.clone();
        async move { payments::run_refund(&s, &job).await }
    });
    let s = state.clone();
    registry.register::<crate::domain::partner_webhooks::DeliverPartnerWebhook, _, _>(
        move |_ctx, job| {
            let s = s.clone();
            async move { crate::domain::partner_webhooks::deliver::run(&s, &job).await }
        },
    );
    let s = state.clone();
    registry.register::<crate::domain::commerce::returns::RefundReturn, _, _>(move |_ctx, job| {
        let s = s.clone();
        async move { crate::domain::commerce::returns::run_refund(&s, &job).await }
    });
    let s = state.clone();
    registry.register::<ExpireUnpaidOrders, _, _>(move |_ctx, _job| {
        let s = s.clone();
        async move {
            let n = payments::expire_unpaid(&s, s.security.now())
                .await
                .map_err(crate::error::AppError::into_anyhow)?;
            Ok(format!("{n} unpaid orders cancelled"))
        }
    });
    let s = state.clone();
    registry.register::<Reconcile, _, _>(move |_ctx, _job| {
        let s = s.clone();
        async move {
            let fixed = reconcile::reconcile(&s, s.security.now())
                .await
                .map_err(crate::error::AppError::into_anyhow)?;
            Ok(format!(
                "{} invoices and {} payments repaired, {} unknown",
                fixed.invoices.len(),
                fixed.payments.len(),
                fixed.skipped
            ))
        }
    });
    let s = state.clone();
    registry.register::<GraceCheck, _, _>(move |_ctx, _job| {
        let s = s.clone();
        async move {
            let n = reconcile::restrict_unpaid(&s, s.security.now())
                .await
                .map_err(crate::error::AppError::into_anyhow)?;
            Ok(format!("{n} accounts restricted to FREE"))
        }
    });
    let s = state.clone();
    registry.register::<ResetUsage, _, _>(move |_ctx, _job| {
        let s = s.clone();
        async move {
            let n = reconcile::reset_usage(&s, s.security.now())
                .await
                .map_err(crate::error::AppError::into_anyhow)?;
            Ok(format!("{n} usage periods started over"))
        }
    });
    let s = state.clone();
    registry.register::<assistant::job::IngestHelp, _, _>(move |ctx, job| {
        let s = s.clone();
        async move { assistant::job::run_ingest(&s, &ctx, &job).await }
    });
    let s = state.clone();
    registry.register::<assistant::job::AnswerQuestion, _, _>(move |ctx, job| {
        let s = s.clone();
        async move { assistant::job::run_answer(&s, &ctx, &job).await }
    });
    let s = state.clone();
    registry.register::<GenerateDesign, _, _>(move |ctx, job| {
        let s = s.clone();
        async move { generation::run(&s, &ctx, &job).await }
    });
    let db = state.jobs.db().clone();
    registry.register::<CleanIdempotencyKeys, _, _>(move |_ctx, _job| {
        let db = db.clone();
        async move {
            let deleted = idempotency::cleanup(&db)
                .await
                .map_err(crate::error::AppError::into_anyhow)?;
            Ok(format!("{deleted} expired idempotency keys deleted"))
        }
    });
    let db = state.jobs.db().clone();
    registry.register::<OptimizeSqlite, _, _>(move |_ctx, _job| {
        let db = db.clone();
        async move {
            // The 0x10002 form: every table, not only those this
            // connection has queried.
            crate::db::optimize(&db, true).await;
            Ok("PRAGMA optimize done".to_owned())
        }
    });
    let queue = state.jobs.clone();
    let retention = state.config.jobs.retention;
    registry.register::<PurgeJobs, _, _>(move |_ctx, _job| {
        let queue = queue.clone();
        async move {
            let before = Utc::now() - chrono::Duration::from_std(retention).unwrap_or_default();
            let deleted = queue
                .purge_finished(before)
                .await
                .map_err(crate::error::AppError::into_anyhow)?;
            Ok(format!("{deleted} finished jobs deleted"))
        }
    });
    registry
}

const HOUR: Duration = Duration::from_secs(3600);

/// The periodic jobs (each period once across all instances).
pub fn periodic(config: &Config, backend: sea_orm::DbBackend) -> Vec<Periodic> {
    let mut out = vec![
        Periodic::new(
            "idempotency-cleanup",
            Schedule::Every(HOUR),
            CleanIdempotencyKeys {},
            None,
        ),
        Periodic::new("jobs-purge", Schedule::Every(6 * HOUR), PurgeJobs {}, None),
        Periodic::new(
            "signup-anomaly",
            Schedule::DailyAt(chrono::NaiveTime::from_hms_opt(0, 10, 0).unwrap_or_default()),
            CheckSignups {},
            None,
        ),
        Periodic::new(
            "signup-burst",
            Schedule::Every(HOUR),
            CheckSignupBurst {},
            None,
        ),
        Periodic::new("billing-grace", Schedule::Every(HOUR), GraceCheck {}, None),
        Periodic::new(
            "billing-usage-reset",
            Schedule::DailyAt(chrono::NaiveTime::from_hms_opt(0, 5, 0).unwrap_or_default()),
            ResetUsage {},
            None,
        ),
        Periodic::new(
            "orders-payment-expiry",
            Schedule::Every(Duration::from_secs(300)),
            ExpireUnpaidOrders {},
            None,
        ),
        Periodic::new(
            "uploads-expiry",
            Schedule::Every(Duration::from_secs(300)),
            ExpireUploads {},
            None,
        ),
    ];
    if config.assistant.auto_ingest {
        out.push(Periodic::new(
            "help-corpus-check",
            Schedule::Every(Duration::from_secs(600)),
            assistant::job::IngestHelp::default(),
            Some(assistant::job::INGEST_KEY.into()),
        ));
    }
    if backend == sea_orm::DbBackend::Sqlite {
        out.push(Periodic::new(
            "sqlite-optimize",
            Schedule::Every(HOUR),
            OptimizeSqlite {},
            None,
        ));
    }
    if config.billing.enabled() {
        out.push(Periodic::new(
            "billing-reconcile",
            Schedule::DailyAt(chrono::NaiveTime::from_hms_opt(3, 0, 0).unwrap_or_default()),
            Reconcile {},
            None,
        ));
    }
    if let Some(at) = config.ml.retrain_at {
        out.push(Periodic::new(
            "recommender-retraining",
            Schedule::DailyAt(at),
            TrainRecommender {},
            Some(TRAINING_KEY.into()),
        ));
    }
    out
}

/// With `VITRINE_ML_TRAIN_ON_START`, queues a first training when there is
/// no model yet but there is activity (once across instances: the training
/// key).
pub async fn train_first_model_if_missing(state: &AppState) {
    if !state.config.ml.train_on_start || state.recommender.current().is_some() {
        return;
    }
    match recommendations::has_activity(state.jobs.db()).await {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            tracing::warn!(error = ?e, "could not read activity");
            return;
        }
    }
    let queued = state
        .jobs
        .enqueue_if_absent(
            state.jobs.db(),
            &TrainRecommender {},
            Enqueue {
                active_key: Some(TRAINING_KEY.into()),
                ..Enqueue::default()
            },
        )
        .await;
    match queued {
        Ok(Some(job)) => {
            state.jobs.wake();
            tracing::info!(job, "no recommender model yet: a first training is queued")
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(error = ?e, "could not queue a first training"),
    }
}
