//! Designs (COMM-1) created from an uploaded source image.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::{ROOM_TYPES, STYLES};
use crate::{
    db::begin_write,
    domain::{
        color::{
            Theme,
            store::{self as colors, ColorMatch, Subject},
        },
        text,
        uploads::{CheckedImage, StoredFiles, insert_upload},
    },
    entities::{
        design::{self, DesignVisibility, GenerationStatus},
        user::{self, Role},
    },
    error::{AppError, AppResult},
    events::{DomainEvent, EventBus},
    infra::storage::Storage,
    jobs::JobQueue,
};

pub struct NewDesign {
    pub title: String,
    pub prompt: String,
    pub style: String,
    pub room_type: String,
    pub visibility: DesignVisibility,
}

pub fn check_style(field: &str, raw: &str) -> AppResult<String> {
    STYLES
        .iter()
        .find(|s| s.eq_ignore_ascii_case(raw.trim()))
        .map(|s| (*s).to_owned())
        .ok_or_else(|| AppError::validation(field, format!("unknown style `{raw}`")))
}

pub fn check_room_type(field: &str, raw: &str) -> AppResult<String> {
    ROOM_TYPES
        .iter()
        .find(|s| s.eq_ignore_ascii_case(raw.trim()))
        .map(|s| (*s).to_owned())
        .ok_or_else(|| AppError::validation(field, format!("unknown room type `{raw}`")))
}

/// Stores the source image and the design, and queues its colour analysis
/// (COMM-3) in the same transaction.
pub async fn create(
    db: &DatabaseConnection,
    events: &EventBus,
    storage: &dyn Storage,
    jobs: &JobQueue,
    owner: &user::Model,
    input: NewDesign,
    source: CheckedImage,
) -> AppResult<design::Model> {
    let (created, _) = insert(
        db,
        events,
        storage,
        jobs,
        owner,
        input,
        Source::New(source),
        None,
    )
    .await?;
    Ok(created)
}

/// Where a design's source image comes from.
pub enum Source {
    /// Received with the request; stored here.
    New(CheckedImage),
    /// An upload the owner stored before (checked by the caller).
    Stored(String),
}

/// Inserts a design and queues its follow-up in the same transaction: the
/// colour analysis of an uploaded design, or, with `generation`, the
/// generation job (COMM-2), whose id is returned.
#[allow(clippy::too_many_arguments)]
pub(super) async fn insert(
    db: &DatabaseConnection,
    events: &EventBus,
    storage: &dyn Storage,
    jobs: &JobQueue,
    owner: &user::Model,
    input: NewDesign,
    source: Source,
    generation: Option<super::generation::Requested>,
) -> AppResult<(design::Model, Option<i64>)> {
    let title = text("title", &input.title, 1, 120, false)?;
    let prompt = text("prompt", &input.prompt, 0, 2000, true)?;
    let style = check_style("style", &input.style)?;
    let room_type = check_room_type("roomType", &input.room_type)?;
    let mut files = StoredFiles::new(storage);
    let result = async {
        let txn = match source {
            Source::New(image) => {
                let upload_row = files.store(owner.id, image).await?;
                let txn = begin_write(db).await?;
                let upload = insert_upload(&txn, jobs, upload_row).await?;
                (txn, upload.id)
            }
            Source::Stored(upload_id) => (begin_write(db).await?, upload_id),
        };
        let (txn, upload_id) = txn;
        let now = Utc::now();
        let created = design::ActiveModel {
            owner_id: Set(owner.id),
            title: Set(title),
            prompt: Set(prompt),
            style: Set(style),
            room_type: Set(room_type),
            source_upload_id: Set(Some(upload_id)),
            visibility: Set(input.visibility),
            generation_status: Set(if generation.is_some() {
                GenerationStatus::Queued
            } else {
                GenerationStatus::Uploaded
            }),
            like_count: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let job = match generation {
            None => {
                colors::enqueue(jobs, &txn, Subject::Design, created.id, Some(owner.id)).await?;
                None
            }
            Some(requested) => Some(
                super::generation::enqueue(
                    jobs,
                    &txn,
                    created.id,
                    created.created_at,
                    owner.id,
                    &requested,
                )
                .await?,
            ),
        };
        txn.commit().await?;
        jobs.wake();
        Ok::<_, AppError>((created, job))
    }
    .await;
    match result {
        Ok((created, job)) => {
            files.commit();
            events.publish(DomainEvent::DesignCreated {
                design_id: created.id,
                owner_id: owner.id,
            });
            Ok((created, job))
        }
        Err(e) => {
            files.discard().await;
            Err(e)
        }
    }
}

/// PUBLIC designs for everyone; PRIVATE ones for their owner and admins.
pub fn visible_to(design: &design::Model, viewer: Option<&user::Model>) -> bool {
    // Hidden by moderation: admins only.
    (design.hidden_at.is_none()
        && (design.visibility == DesignVisibility::Public
            || viewer.is_some_and(|v| v.id == design.owner_id)))
        || viewer.is_some_and(|v| v.role == Role::Admin)
}

pub async fn find_visible(
    db: &impl ConnectionTrait,
    id: i64,
    viewer: Option<&user::Model>,
) -> AppResult<Option<design::Model>> {
    Ok(design::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|d| visible_to(d, viewer)))
}

#[derive(Clone, Debug, Default)]
pub struct DesignFilter {
    pub style: Option<String>,
    pub room_type: Option<String>,
    pub owner_id: Option<i64>,
    /// A COMM-3 mood (`WARM`, …): designs whose analysed theme it is.
    pub theme: Option<Theme>,
}

/// Designs newest first: PUBLIC ones, plus the viewer's own; none by the
/// viewer's `hidden` owners (blocks).
pub async fn list(
    db: &DatabaseConnection,
    filter: &DesignFilter,
    viewer: Option<&user::Model>,
    hidden: &std::collections::HashSet<i64>,
    after_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<design::Model>> {
    let mut visible = Condition::any().add(design::Column::Visibility.eq(DesignVisibility::Public));
    if let Some(v) = viewer {
        visible = visible.add(design::Column::OwnerId.eq(v.id));
    }
    let mut query = design::Entity::find().filter(visible);
    query = query.filter(design::Column::HiddenAt.is_null());
    query = query.filter(super::blocks::not_by(design::Column::OwnerId, hidden));
    if let Some(style) = &filter.style {
        query = query.filter(design::Column::Style.eq(check_style("style", style)?));
    }
    if let Some(room) = &filter.room_type {
        query = query.filter(design::Column::RoomType.eq(check_room_type("roomType", room)?));
    }
    if let Some(owner) = filter.owner_id {
        query = query.filter(design::Column::OwnerId.eq(owner));
    }
    if let Some(theme) = filter.theme {
        query = query.filter(design::Column::ColorTheme.eq(theme.as_str()));
    }
    if let Some(after) = after_id {
        query = query.filter(design::Column::Id.lt(after));
    }
    Ok(query
        .order_by_desc(design::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Designs with a palette colour near `wanted` (COMM-3), nearest first,
/// that `viewer` may see; `after` is the last one's [`colors::rank_key`].
pub async fn by_color(
    db: &DatabaseConnection,
    wanted: [u8; 3],
    viewer: Option<&user::Model>,
    hidden: &std::collections::HashSet<i64>,
    after: Option<(i64, i64)>,
    limit: u64,
) -> AppResult<Vec<(design::Model, ColorMatch)>> {
    let matches = colors::matches(db, Subject::Design, wanted).await?;
    colors::page_of(matches, after, limit, |ids| async move {
        Ok(design::Entity::find()
            .filter(design::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .filter(|d| visible_to(d, viewer) && !hidden.contains(&d.owner_id))
            .map(|d| (d.id, d))
            .collect())
    })
    .await
}
