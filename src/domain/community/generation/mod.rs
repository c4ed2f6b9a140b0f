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
pub mod providers;

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

use self::providers::SourceImage;
use super::designs::{self, NewDesign, Source};
use crate::{
    config::ai::ProviderName,
    domain::{
        color::store::{self as colors, Subject},
        idempotency::{self, Begun, IdempotencyKey},
        realtime::notifications::{self, NewNotification},
        uploads::{self, CheckedImage, StoredFiles, check_image, insert_upload},
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
        Backoff, Enqueue, HandlerResult, JobContext, JobKind, JobQueue, KindOptions, Permanent,
        permanent,
    },
    state::AppState,
};

/// Generates one design's image.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GenerateDesign {
    pub design_id: i64,
    /// The `generateDesign` idempotency key this job settles.
    pub idempotency_id: Option<i64>,
    /// The provider the request named, tried first (`gemini`, …).
    #[serde(default)]
    pub provider: Option<String>,
}

impl JobKind for GenerateDesign {
    const KIND: &'static str = "DESIGN_GENERATION";

    fn options() -> KindOptions {
        KindOptions {
            concurrency: 2,
            timeout: Duration::from_secs(300),
            max_attempts: 3,
            // A provider's hiccup (429, 503, a timeout) gets a few seconds.
            backoff: Backoff {
                base: Duration::from_secs(2),
                cap: Duration::from_secs(60),
                jitter: 0.2,
            },
        }
    }
}

/// Queues the generation of `design_id` (created at `created_at`) on `txn`
/// (the one inserting it), taking one unit of the owner's plan (PAY-1) in
/// the same transaction; the unit is counted at the design's creation time,
/// which is what a DEAD generation gives back against.
pub async fn enqueue(
    jobs: &JobQueue,
    txn: &impl ConnectionTrait,
    design_id: i64,
    created_at: chrono::DateTime<Utc>,
    owner_id: i64,
    request: &Requested,
) -> AppResult<i64> {
    crate::domain::billing::take_unit(txn, owner_id, created_at).await?;
    jobs.enqueue(
        txn,
        &GenerateDesign {
            design_id,
            idempotency_id: request.idempotency_id,
            provider: request.provider.map(|p| p.as_str().to_owned()),
        },
        Enqueue {
            owner_id: Some(owner_id),
            active_key: Some(format!("generate:design:{design_id}")),
            ..Enqueue::default()
        },
    )
    .await
}

/// What a generation request asked for, carried to its job.
#[derive(Clone, Copy, Debug, Default)]
pub struct Requested {
    pub idempotency_id: Option<i64>,
    pub provider: Option<ProviderName>,
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
    provider: Option<&'a str>,
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
    provider: Option<ProviderName>,
    idempotency_key: &str,
) -> AppResult<(design::Model, Started)> {
    let key = idempotency::check_key(idempotency_key)?;
    // Bad input is refused before the key is claimed.
    designs::check_style("style", &input.style)?;
    designs::check_room_type("roomType", &input.room_type)?;
    if let Some(name) = provider
        && state
            .config
            .ai
            .provider(name)
            .is_some_and(|p| p.key.is_none())
    {
        return Err(AppError::validation(
            "provider",
            format!(
                "`{}` is not configured on this server (no API key)",
                name.as_str()
            ),
        ));
    }
    let source_print = match &source {
        RequestSource::Image(image) => {
            format!("sha256:{}", hex::encode(Sha256::digest(&image.bytes)))
        }
        RequestSource::Upload(id) => format!("upload:{id}"),
    };
    let visibility = format!("{:?}", input.visibility);
    let fingerprint = idempotency::fingerprint(&Fingerprint {
        provider: provider.map(|p| p.as_str()),
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
                Some(Requested {
                    idempotency_id: Some(claimed),
                    provider,
                }),
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
    let mut found = uploads::usable(db, owner.id, "sourceUploadId", &[id.to_owned()]).await?;
    found
        .pop()
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

/// Moves the design to `status` and tells `jobProgress`.
async fn enter(
    db: &DatabaseConnection,
    ctx: &JobContext,
    design_id: i64,
    status: GenerationStatus,
    fraction: f64,
    message: String,
) -> anyhow::Result<()> {
    set_status(db, design_id, status)
        .await
        .map_err(AppError::into_anyhow)?;
    ctx.progress(fraction, message).await;
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

/// Stage 1's question: the room's architecture, without its furniture.
fn analysis_prompt(design: &design::Model) -> String {
    format!(
        "Describe the architecture of this {} photo for an interior designer: walls, floor, \
         ceiling, windows and doors, where the light comes from, proportions and the main \
         surface colours and materials. Ignore the furniture and objects. Answer in at most \
         120 words.",
        design.room_type.to_lowercase().replace('_', " ")
    )
}

/// Stage 2's prompt, with stage 1's description injected.
fn generation_prompt(design: &design::Model, description: &str) -> String {
    let room = design.room_type.to_lowercase().replace('_', " ");
    let wish = if design.prompt.trim().is_empty() {
        String::new()
    } else {
        format!(" The owner asks for: {}.", design.prompt.trim())
    };
    format!(
        "Redesign this {room} in {} interior style as a photorealistic photo from the same \
         viewpoint. Keep the architecture exactly as it is: {description}.{wish}",
        design.style.to_lowercase()
    )
}

/// What stage 1 and stage 2 produced, and by which tier.
struct Produced {
    image: CheckedImage,
    tier: String,
}

async fn describe_as(db: &DatabaseConnection, design_id: i64, description: &str) -> AppResult<()> {
    design::Entity::update_many()
        .col_expr(
            design::Column::StructureDescription,
            Expr::value(description.to_owned()),
        )
        .filter(design::Column::Id.eq(design_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Runs the chain: the requested provider, then the configured ones up to
/// `offline`. When they all fail, the attempt fails (the job retries with
/// its backoff), except on the last attempt, which goes on to the offline
/// tier and the placeholder so the request ends with an image.
async fn produce(
    state: &AppState,
    ctx: &JobContext,
    job: &GenerateDesign,
    design: &design::Model,
    source: SourceImage,
) -> anyhow::Result<Produced> {
    let db = state.jobs.db();
    let ai = &state.config.ai;
    let requested = job.provider.as_deref().and_then(ProviderName::parse);
    let mut chain: Vec<ProviderName> = Vec::new();
    for name in requested.into_iter().chain(ai.chain.iter().copied()) {
        if !chain.contains(&name) {
            chain.push(name);
        }
    }
    let remote: Vec<ProviderName> = chain
        .iter()
        .copied()
        .take_while(|n| *n != ProviderName::Offline)
        .filter(|n| ai.provider(*n).is_some_and(|p| p.key.is_some()))
        .collect();
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .build()?;
    let mut failures = Vec::new();
    for name in remote {
        let Some(config) = ai.provider(name).cloned() else {
            continue;
        };
        let provider = providers::Provider::new(name, config, http.clone(), ai.timeout);
        enter(
            db,
            ctx,
            design.id,
            GenerationStatus::Analyzing,
            0.1,
            format!("ANALYZING: {} describes the room", name.as_str()),
        )
        .await?;
        let description = match provider.analyze(&source, &analysis_prompt(design)).await {
            Ok(text) => text,
            Err(e) => {
                tracing::warn!(provider = name.as_str(), error = %format!("{e:#}"), "stage 1 failed");
                failures.push(format!("{e:#}"));
                continue;
            }
        };
        describe_as(db, design.id, &description)
            .await
            .map_err(AppError::into_anyhow)?;
        enter(
            db,
            ctx,
            design.id,
            GenerationStatus::Generating,
            0.5,
            format!(
                "GENERATING: {} makes a {} {}",
                name.as_str(),
                design.style,
                design.room_type
            ),
        )
        .await?;
        let generated = provider
            .generate(&source, &generation_prompt(design, &description))
            .await
            .and_then(|bytes| {
                check_image("generatedImage", bytes, MAX_GENERATED_BYTES).map_err(|e| {
                    anyhow::anyhow!("stage 2 answered no usable image: {}", e.message())
                })
            });
        match generated {
            Ok(image) => {
                return Ok(Produced {
                    image,
                    tier: name.as_str().to_owned(),
                });
            }
            Err(e) => {
                tracing::warn!(provider = name.as_str(), error = %format!("{e:#}"), "stage 2 failed");
                failures.push(format!("{e:#}"));
            }
        }
    }
    if !failures.is_empty() && !ctx.is_last_attempt() {
        anyhow::bail!("every provider failed: {}", failures.join("; "));
    }
    // The offline tier, then the placeholder.
    enter(
        db,
        ctx,
        design.id,
        GenerationStatus::Analyzing,
        0.1,
        "ANALYZING: describing the room's architecture".to_owned(),
    )
    .await?;
    let style = design.style.clone();
    let bytes = source.bytes;
    let (description, png, tier) =
        tokio::task::spawn_blocking(move || offline_tiers(&bytes, &style)).await??;
    describe_as(db, design.id, &description)
        .await
        .map_err(AppError::into_anyhow)?;
    enter(
        db,
        ctx,
        design.id,
        GenerationStatus::Generating,
        0.5,
        format!("GENERATING: a {} {}", design.style, design.room_type),
    )
    .await?;
    if !failures.is_empty() {
        alert_admins(
            state,
            design.id,
            &format!(
                "providers failed on the last attempt, served by the {tier} tier: {}",
                failures.join("; ")
            ),
        )
        .await;
    }
    Ok(Produced {
        image: check_image("generatedImage", png, MAX_GENERATED_BYTES)
            .map_err(AppError::into_anyhow)?,
        tier: tier.to_owned(),
    })
}

/// Most bytes a provider's image may have.
const MAX_GENERATED_BYTES: u64 = 20 * 1024 * 1024;

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
    let source = SourceImage {
        content_type: crate::infra::storage::sniff_image(&bytes)
            .map(|(ct, _)| ct)
            .unwrap_or("image/png"),
        bytes,
    };
    let produced = produce(state, ctx, job, &design, source).await?;
    touch().await;
    let (generated, tier) = (produced.image, produced.tier);
    let mut files = StoredFiles::new(state.storage.as_ref());
    let saved = async {
        let row = files.store(design.owner_id, generated).await?;
        let txn = db.begin().await?;
        let stored = insert_upload(&txn, &state.jobs, row).await?;
        design::Entity::update_many()
            .col_expr(
                design::Column::GeneratedUploadId,
                Expr::value(stored.id.clone()),
            )
            .col_expr(
                design::Column::GenerationStatus,
                Expr::value(GenerationStatus::Ready),
            )
            .col_expr(design::Column::Provider, Expr::value(tier.clone()))
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

/// ADMIN_ALERT to every admin (at most 50) about a design's generation.
async fn notify_admins(
    txn: &impl ConnectionTrait,
    design_id: i64,
    message: &str,
) -> AppResult<Vec<crate::entities::notification::Model>> {
    let admins: Vec<i64> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Role.eq(Role::Admin))
        .limit(50)
        .into_tuple()
        .all(txn)
        .await?;
    let mut notes = Vec::new();
    for admin in admins {
        if let Some(n) = notifications::notify(
            txn,
            NewNotification {
                recipient_id: admin,
                kind: NotificationKind::AdminAlert,
                actor_id: None,
                subject: Some(("Design", design_id)),
                data: json!({ "job": GenerateDesign::KIND, "message": message }),
            },
        )
        .await?
        {
            notes.push(n);
        }
    }
    Ok(notes)
}

/// Alerts the admins on its own transaction (logged when that fails).
async fn alert_admins(state: &AppState, design_id: i64, message: &str) {
    let db = state.jobs.db();
    let sent = async {
        let txn = db.begin().await?;
        let notes = notify_admins(&txn, design_id, message).await?;
        txn.commit().await?;
        Ok::<_, AppError>(notes)
    }
    .await;
    match sent {
        Ok(notes) => notifications::publish(&state.events, notes),
        Err(e) => tracing::error!(error = ?e, "could not alert the admins"),
    }
}

/// The last attempt failed: the design is FAILED with `reason`, the key is
/// released (a retry with it may run again), and the admins are alerted.
async fn fail(state: &AppState, job: &GenerateDesign, reason: &str) {
    let db = state.jobs.db();
    let result = async {
        let txn = db.begin().await?;
        let updated = design::Entity::update_many()
            .col_expr(
                design::Column::GenerationStatus,
                Expr::value(GenerationStatus::Failed),
            )
            .col_expr(
                design::Column::GenerationError,
                Expr::value(reason.to_owned()),
            )
            .col_expr(design::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(design::Column::Id.eq(job.design_id))
            .filter(design::Column::GenerationStatus.ne(GenerationStatus::Ready))
            .exec(&txn)
            .await?;
        let mut notes = Vec::new();
        if updated.rows_affected > 0 {
            notes = notify_admins(&txn, job.design_id, reason).await?;
            // A generation that ends DEAD gives its unit back.
            if let Some(found) = design::Entity::find_by_id(job.design_id).one(&txn).await? {
                crate::domain::billing::give_back(&txn, found.owner_id, found.created_at).await?;
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
