//! AI room-design generation (COMM-2, the seed's "Multi-Model AI Generation
//! Pipeline"). `generateDesign` stores the source image and the design
//! (QUEUED) and queues a `DESIGN_GENERATION` job in one transaction, then
//! answers at once. The job runs stage 1 (the room's architecture, furniture
//! ignored) and stage 2 (the new image, with stage 1's description injected
//! into the prompt), moving the design QUEUED → ANALYZING → GENERATING →
//! READY (or FAILED after its last attempt), each step on `jobProgress`.
//! READY stores a DESIGN_READY notification for the owner (pushed after the
//! commit) and queues the colour analysis of the new image.
//!
//! Tiers: the offline provider ([`offline`]) is the default and needs no
//! network; when even it cannot run (a source it cannot decode) the static
//! per-style placeholder is the last tier, so a request never ends without
//! an image. Failures of storage or the database retry with the job's
//! backoff; the last one marks the design FAILED with a reason its owner
//! can read and alerts the admins.
//!
//! Idempotency: the key is claimed when the mutation runs and stays
//! IN_PROGRESS until the job ends: the same key and input meanwhile answer
//! `IN_PROGRESS`, afterwards the stored design (no new job); another input
//! with the same key is `IDEMPOTENCY_KEY_REUSED`.
pub mod offline;

use std::{io::Cursor, time::Duration};

use chrono::Utc;
use image::{DynamicImage, ImageFormat, RgbImage};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
    TransactionTrait, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{
    designs::{self, NewDesign, Source},
    media::{CheckedImage, StoredFiles, insert_upload},
};
use crate::{
    domain::{
        color::store::{self as colors, Subject},
        idempotency::{self, Begun, IdempotencyKey},
        realtime::notifications::{self, NewNotification},
    },
    entities::{
        design::{self, GenerationStatus},
        notification::NotificationKind,
        upload,
        user::{self, Role},
    },
    error::{AppError, AppResult},
    events::DomainEvent,
    jobs::{
        Enqueue, HandlerResult, JobContext, JobKind, JobQueue, KindOptions, Permanent, permanent,
    },
    state::AppState,
};

/// Generates one design's image.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GenerateDesign {
    pub design_id: i64,
    /// The `generateDesign` idempotency key this job settles.
    pub idempotency_id: Option<i64>,
}

impl JobKind for GenerateDesign {
    const KIND: &'static str = "DESIGN_GENERATION";

    fn options() -> KindOptions {
        KindOptions {
            concurrency: 2,
            timeout: Duration::from_secs(300),
            max_attempts: 3,
            ..KindOptions::default()
        }
    }
}

/// Queues the generation of `design_id` on `txn` (the one inserting it).
pub async fn enqueue(
    jobs: &JobQueue,
    txn: &impl ConnectionTrait,
    design_id: i64,
    owner_id: i64,
    idempotency_id: Option<i64>,
) -> AppResult<i64> {
    jobs.enqueue(
        txn,
        &GenerateDesign {
            design_id,
            idempotency_id,
        },
        Enqueue {
            owner_id: Some(owner_id),
            active_key: Some(format!("generate:design:{design_id}")),
            ..Enqueue::default()
        },
    )
    .await
}

/// What `generateDesign` answers, and what a replay of its key returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Started {
    pub design_id: i64,
    pub job_id: i64,
}

/// The source image of a generation request.
pub enum RequestSource {
    /// Sent with the request (multipart).
    Image(CheckedImage),
    /// One of the caller's earlier uploads.
    Upload(String),
}

/// What the idempotency fingerprint covers.
#[derive(Serialize)]
struct Fingerprint<'a> {
    title: &'a str,
    prompt: &'a str,
    style: &'a str,
    room_type: &'a str,
    visibility: &'a str,
    source: String,
}

/// `generateDesign`: the design, QUEUED, and its job, at once; on a replay
/// of the key, the design as it is now and the same job.
pub async fn start(
    state: &AppState,
    owner: &user::Model,
    input: NewDesign,
    source: RequestSource,
    idempotency_key: &str,
) -> AppResult<(design::Model, Started)> {
    let key = idempotency::check_key(idempotency_key)?;
    // Bad input is refused before the key is claimed.
    designs::check_style("style", &input.style)?;
    designs::check_room_type("roomType", &input.room_type)?;
    let source_print = match &source {
        RequestSource::Image(image) => {
            format!("sha256:{}", hex::encode(Sha256::digest(&image.bytes)))
        }
        RequestSource::Upload(id) => format!("upload:{id}"),
    };
    let visibility = format!("{:?}", input.visibility);
    let fingerprint = idempotency::fingerprint(&Fingerprint {
        title: &input.title,
        prompt: &input.prompt,
        style: &input.style,
        room_type: &input.room_type,
        visibility: &visibility,
        source: source_print,
    });
    let claim = IdempotencyKey {
        scope: format!("user:{}", owner.id),
        operation: "generateDesign",
        key: &key,
        fingerprint,
    };
    let claimed = match idempotency::begin::<Started>(&state.db, &claim).await? {
        Begun::Replay(started) => {
            let design = design::Entity::find_by_id(started.design_id)
                .one(&state.db)
                .await?
                .ok_or_else(|| AppError::not_found("Design"))?;
            return Ok((design, started));
        }
        Begun::Claimed(id) => id,
    };
    let source = match source {
        RequestSource::Image(image) => Ok(Source::New(image)),
        RequestSource::Upload(id) => own_upload(&state.db, owner, &id).await.map(Source::Stored),
    };
    let inserted = match source {
        Ok(source) => {
            designs::insert(
                &state.db,
                &state.events,
                state.storage.as_ref(),
                &state.jobs,
                owner,
                input,
                source,
                Some(Some(claimed)),
            )
            .await
        }
        Err(e) => Err(e),
    };
    match inserted {
        Ok((created, Some(job_id))) => {
            let started = Started {
                design_id: created.id,
                job_id,
            };
            Ok((created, started))
        }
        Ok((_, None)) => Err(AppError::internal(anyhow::anyhow!("no generation job"))),
        Err(e) => {
            // Nothing was written: the key may be used again.
            if let Err(release) = idempotency::release(&state.db, claimed).await {
                tracing::error!(error = ?release, "could not release an idempotency key");
            }
            Err(e)
        }
    }
}

/// An upload of `owner`'s: NOT_FOUND for unknown ids and other people's.
async fn own_upload(db: &DatabaseConnection, owner: &user::Model, id: &str) -> AppResult<String> {
    upload::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .filter(|u| u.owner_id == owner.id)
        .map(|u| u.id)
        .ok_or_else(|| AppError::not_found("Upload"))
}

/// The job. Settles the idempotency key on success, and on the last
/// failure marks the design FAILED (see the module docs).
pub async fn run(state: &AppState, ctx: &JobContext, job: &GenerateDesign) -> HandlerResult {
    let db = state.jobs.db();
    let outcome = generate(state, ctx, job).await;
    match &outcome {
        Ok(_) => {
            if let Some(id) = job.idempotency_id {
                let started = Started {
                    design_id: job.design_id,
                    job_id: ctx.id,
                };
                idempotency::complete(db, id, &started)
                    .await
                    .map_err(AppError::into_anyhow)?;
            }
        }
        Err(e) => {
            let last = ctx.is_last_attempt() || e.downcast_ref::<Permanent>().is_some();
            if last {
                fail(state, job, &format!("{e:#}")).await;
            }
        }
    }
    outcome
}

async fn set_status(db: &DatabaseConnection, id: i64, status: GenerationStatus) -> AppResult<()> {
    design::Entity::update_many()
        .col_expr(design::Column::GenerationStatus, Expr::value(status))
        .col_expr(design::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(design::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

fn png(image: &RgbImage) -> anyhow::Result<Vec<u8>> {
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image.clone()).write_to(&mut out, ImageFormat::Png)?;
    Ok(out.into_inner())
}

/// Stage 1 and stage 2 of the offline tier, or the placeholder tier when
/// the source cannot be decoded: `(description, png, tier)`.
fn offline_tiers(source: &[u8], style: &str) -> anyhow::Result<(String, Vec<u8>, &'static str)> {
    match image::load_from_memory(source) {
        Ok(image) => {
            let description = offline::describe(&image);
            Ok((
                description,
                png(&offline::generate(&image, style))?,
                "offline",
            ))
        }
        Err(e) => {
            tracing::warn!(error = %e, "source image unreadable; using the placeholder tier");
            Ok((
                format!(
                    "The source image could not be read ({e}); a {style} placeholder was made."
                ),
                png(&offline::placeholder(style))?,
                "placeholder",
            ))
        }
    }
}

async fn generate(state: &AppState, ctx: &JobContext, job: &GenerateDesign) -> HandlerResult {
    let db = state.jobs.db();
    let design = design::Entity::find_by_id(job.design_id)
        .one(db)
        .await
        .map_err(anyhow::Error::from)?
        .ok_or_else(|| permanent(format!("design {} no longer exists", job.design_id)))?;
    if design.generation_status == GenerationStatus::Ready {
        return Ok(format!("design {} was already ready", design.id));
    }
    let touch = || async {
        if let Some(id) = job.idempotency_id
            && let Err(e) = idempotency::touch(db, id).await
        {
            tracing::warn!(error = ?e, "could not refresh an idempotency claim");
        }
    };
    // Stage 1.
    set_status(db, design.id, GenerationStatus::Analyzing)
        .await
        .map_err(AppError::into_anyhow)?;
    ctx.progress(0.1, "ANALYZING: describing the room's architecture")
        .await;
    touch().await;
    let source_id = design
        .source_upload_id
        .clone()
        .ok_or_else(|| permanent("the design has no source image"))?;
    let source = upload::Entity::find_by_id(source_id)
        .one(db)
        .await
        .map_err(anyhow::Error::from)?
        .ok_or_else(|| permanent("the source upload is gone"))?;
    let bytes = state
        .storage
        .get(&source.storage_key)
        .await?
        .ok_or_else(|| {
            permanent(format!(
                "the stored image {} is missing",
                source.storage_key
            ))
        })?;
    let style = design.style.clone();
    let (description, generated, tier) =
        tokio::task::spawn_blocking(move || offline_tiers(&bytes, &style)).await??;
    design::Entity::update_many()
        .col_expr(
            design::Column::StructureDescription,
            Expr::value(description.clone()),
        )
        .filter(design::Column::Id.eq(design.id))
        .exec(db)
        .await
        .map_err(anyhow::Error::from)?;
    // Stage 2: the prompt carries stage 1's description (the offline tier
    // grades the photo itself; HTTP providers send it as text).
    set_status(db, design.id, GenerationStatus::Generating)
        .await
        .map_err(AppError::into_anyhow)?;
    ctx.progress(
        0.5,
        format!("GENERATING: a {} {}", design.style, design.room_type),
    )
    .await;
    touch().await;
    let mut files = StoredFiles::new(state.storage.as_ref());
    let saved = async {
        let row = files
            .store(
                design.owner_id,
                CheckedImage {
                    bytes: generated,
                    content_type: "image/png",
                    extension: "png",
                },
            )
            .await?;
        let txn = db.begin().await?;
        let stored = insert_upload(&txn, row).await?;
        design::Entity::update_many()
            .col_expr(
                design::Column::GeneratedUploadId,
                Expr::value(stored.id.clone()),
            )
            .col_expr(
                design::Column::GenerationStatus,
                Expr::value(GenerationStatus::Ready),
            )
            .col_expr(design::Column::Provider, Expr::value(tier))
            .col_expr(design::Column::GenerationError, Expr::value(None::<String>))
            .col_expr(design::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(design::Column::Id.eq(design.id))
            .exec(&txn)
            .await?;
        let note = notifications::notify(
            &txn,
            NewNotification {
                recipient_id: design.owner_id,
                kind: NotificationKind::DesignReady,
                actor_id: None,
                subject: Some(("Design", design.id)),
                data: json!({ "title": design.title, "provider": tier }),
            },
        )
        .await?;
        colors::enqueue(
            &state.jobs,
            &txn,
            Subject::Design,
            design.id,
            Some(design.owner_id),
        )
        .await?;
        txn.commit().await?;
        Ok::<_, AppError>(note)
    }
    .await;
    let note = match saved {
        Ok(note) => {
            files.commit();
            note
        }
        Err(e) => {
            files.discard().await;
            return Err(e.into_anyhow());
        }
    };
    notifications::publish(&state.events, note);
    state.events.publish(DomainEvent::DesignChanged {
        design_id: design.id,
    });
    state.jobs.wake();
    ctx.progress(1.0, "READY").await;
    Ok(format!("design {} ready ({tier})", design.id))
}

/// The last attempt failed: the design is FAILED with `reason`, the key is
/// released (a retry with it may run again), and the admins are alerted.
async fn fail(state: &AppState, job: &GenerateDesign, reason: &str) {
    let db = state.jobs.db();
    let result = async {
        let txn = db.begin().await?;
        let updated = design::Entity::update_many()
            .col_expr(design::Column::GenerationStatus, Expr::value(GenerationStatus::Failed))
            .col_expr(design::Column::GenerationError, Expr::value(reason.to_owned()))
            .col_expr(design::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(design::Column::Id.eq(job.design_id))
            .filter(design::Column::GenerationStatus.ne(GenerationStatus::Ready))
            .exec(&txn)
            .await?;
        let mut notes = Vec::new();
        if updated.rows_affected > 0 {
            let admins: Vec<i64> = user::Entity::find()
                .select_only()
                .column(user::Column::Id)
                .filter(user::Column::Role.eq(Role::Admin))
                .limit(50)
                .into_tuple()
                .all(&txn)
                .await?;
            for admin in admins {
                if let Some(n) = notifications::notify(
                    &txn,
                    NewNotification {
                        recipient_id: admin,
                        kind: NotificationKind::AdminAlert,
                        actor_id: None,
                        subject: Some(("Design", job.design_id)),
                        data: json!({ "job": GenerateDesign::KIND, "state": "DEAD", "message": reason }),
                    },
                )
                .await?
                {
                    notes.push(n);
                }
            }
        }
        txn.commit().await?;
        Ok::<_, AppError>(notes)
    }
    .await;
    match result {
        Ok(notes) => {
            notifications::publish(&state.events, notes);
            state.events.publish(DomainEvent::DesignChanged {
                design_id: job.design_id,
            });
        }
        Err(e) => {
            tracing::error!(error = ?e, design = job.design_id, "could not mark a design FAILED")
        }
    }
    if let Some(id) = job.idempotency_id
        && let Err(e) = idempotency::release(db, id).await
    {
        tracing::error!(error = ?e, "could not release an idempotency key");
    }
}
