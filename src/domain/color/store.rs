//! Colour analysis meets the database: the `COLOR_ANALYSIS` job, queued in
//! the transaction that stores a design's or product's image, writes the
//! palette and theme on the subject and one `color_swatches` row per
//! palette colour; [`matches`] ranks subjects by their nearest colour.
use std::time::Duration;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use super::{Analysis, MATCH_DISTANCE, Swatch, distance, rgb_to_hsl};
use crate::{
    entities::{color_swatch, design, product, product_image, upload},
    error::AppResult,
    events::{DomainEvent, EventBus},
    infra::storage::{Storage, content_type_of},
    jobs::{Enqueue, JobKind, JobQueue, KindOptions, permanent},
};

/// What was analysed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Subject {
    Design,
    Product,
}

impl Subject {
    pub fn as_str(self) -> &'static str {
        match self {
            Subject::Design => "DESIGN",
            Subject::Product => "PRODUCT",
        }
    }
}

/// Analyses the colours of a subject's image.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AnalyzeColors {
    pub subject: Subject,
    pub id: i64,
}

impl JobKind for AnalyzeColors {
    const KIND: &'static str = "COLOR_ANALYSIS";

    fn options() -> KindOptions {
        KindOptions {
            concurrency: 2,
            timeout: Duration::from_secs(120),
            max_attempts: 3,
            ..KindOptions::default()
        }
    }
}

/// Queues the analysis of `subject` `id` on `conn` (the transaction that
/// stores its image); one queued or running per subject.
pub async fn enqueue(
    queue: &JobQueue,
    conn: &impl ConnectionTrait,
    subject: Subject,
    id: i64,
    owner_id: Option<i64>,
) -> AppResult<()> {
    queue
        .enqueue_if_absent(
            conn,
            &AnalyzeColors { subject, id },
            Enqueue {
                owner_id,
                active_key: Some(format!("colors:{}:{id}", subject.as_str())),
                ..Enqueue::default()
            },
        )
        .await?;
    Ok(())
}

/// The storage key of a stored image URL (`…/files/<key>`), if it is one.
pub fn stored_key(url: &str) -> Option<&str> {
    let key = url.rsplit_once("/files/")?.1;
    (!key.is_empty() && !key.contains('/') && content_type_of(key).is_some()).then_some(key)
}

/// The storage key of the image a subject's colours come from: a design's
/// generated image, else its source; a product's first image when it is a
/// stored file.
async fn image_key(db: &DatabaseConnection, job: &AnalyzeColors) -> AppResult<Option<String>> {
    match job.subject {
        Subject::Design => {
            let Some(d) = design::Entity::find_by_id(job.id).one(db).await? else {
                return Ok(None);
            };
            let Some(upload_id) = d.generated_upload_id.or(d.source_upload_id) else {
                return Ok(None);
            };
            Ok(upload::Entity::find_by_id(upload_id)
                .one(db)
                .await?
                .map(|u| u.storage_key))
        }
        Subject::Product => Ok(product_image::Entity::find()
            .filter(product_image::Column::ProductId.eq(job.id))
            .order_by_asc(product_image::Column::Position)
            .one(db)
            .await?
            .and_then(|image| stored_key(&image.url).map(str::to_owned))),
    }
}

/// The job: decode, analyse, write. An image that cannot be decoded is a
/// permanent failure (no retry helps); a subject without a stored image has
/// nothing to analyse.
pub async fn run(
    db: &DatabaseConnection,
    storage: &dyn Storage,
    events: &EventBus,
    job: &AnalyzeColors,
) -> anyhow::Result<String> {
    let Some(key) = image_key(db, job).await.map_err(|e| e.into_anyhow())? else {
        // Colours of an image it no longer has would mislead a search.
        save(db, events, job, None)
            .await
            .map_err(|e| e.into_anyhow())?;
        return Ok(format!(
            "{} {} has no stored image to analyse",
            job.subject.as_str(),
            job.id
        ));
    };
    let bytes = storage
        .get(&key)
        .await?
        .ok_or_else(|| permanent(format!("the stored image {key} is missing")))?;
    let analysis = tokio::task::spawn_blocking(move || {
        image::load_from_memory(&bytes).map(|image| super::analyze(&image))
    })
    .await?
    .map_err(|e| permanent(format!("the image {key} cannot be decoded: {e}")))?;
    save(db, events, job, analysis.as_ref())
        .await
        .map_err(|e| e.into_anyhow())?;
    Ok(match analysis {
        Some(a) => format!("{} colours, theme {}", a.palette.len(), a.theme.as_str()),
        None => "no colours (the image is all but black or white)".to_owned(),
    })
}

/// Writes the palette and theme on the subject and replaces its swatches,
/// in one transaction; then tells the search index (the theme is a filter).
pub async fn save(
    db: &DatabaseConnection,
    events: &EventBus,
    job: &AnalyzeColors,
    analysis: Option<&Analysis>,
) -> AppResult<()> {
    let palette: Vec<String> = analysis
        .map(|a| a.palette.iter().map(Swatch::hex).collect())
        .unwrap_or_default();
    let palette = serde_json::to_string(&palette).unwrap_or_else(|_| "[]".into());
    let theme = analysis.map(|a| a.theme.as_str().to_owned());
    let txn = db.begin().await?;
    match job.subject {
        Subject::Design => {
            design::Entity::update_many()
                .col_expr(design::Column::Palette, palette.into())
                .col_expr(design::Column::ColorTheme, theme.into())
                .filter(design::Column::Id.eq(job.id))
                .exec(&txn)
                .await?;
        }
        Subject::Product => {
            product::Entity::update_many()
                .col_expr(product::Column::Palette, palette.into())
                .col_expr(product::Column::ColorTheme, theme.into())
                .filter(product::Column::Id.eq(job.id))
                .exec(&txn)
                .await?;
        }
    }
    color_swatch::Entity::delete_many()
        .filter(color_swatch::Column::SubjectType.eq(job.subject.as_str()))
        .filter(color_swatch::Column::SubjectId.eq(job.id))
        .exec(&txn)
        .await?;
    for (rank, swatch) in analysis
        .map(|a| a.palette.as_slice())
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let hsl = swatch.hsl();
        color_swatch::ActiveModel {
            subject_type: Set(job.subject.as_str().to_owned()),
            subject_id: Set(job.id),
            rank: Set(rank as i32),
            hex: Set(swatch.hex()),
            hue: Set(hsl.h),
            saturation: Set(hsl.s),
            lightness: Set(hsl.l),
            share: Set(swatch.share),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    events.publish(match job.subject {
        Subject::Design => DomainEvent::DesignChanged { design_id: job.id },
        Subject::Product => DomainEvent::ProductChanged { product_id: job.id },
    });
    Ok(())
}

/// A subject whose palette holds a colour near the one searched.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColorMatch {
    pub id: i64,
    /// Of its nearest palette colour, [0, [`MATCH_DISTANCE`]].
    pub distance: f64,
}

/// Subjects with a palette colour within [`MATCH_DISTANCE`] of `wanted`,
/// nearest first (ties by id). Rows are narrowed in SQL to the hue,
/// saturation and lightness ranges that distance allows, then ranked here.
pub async fn matches(
    db: &impl ConnectionTrait,
    subject: Subject,
    wanted: [u8; 3],
) -> AppResult<Vec<ColorMatch>> {
    let target = rgb_to_hsl(wanted);
    // Each term alone must stay within the distance: 0.6·(Δh/180)² ≤ d², …
    let max_dh = 180.0 * (MATCH_DISTANCE * MATCH_DISTANCE / 0.6).sqrt();
    let max_dsl = 100.0 * (MATCH_DISTANCE * MATCH_DISTANCE / 0.2).sqrt();
    let (low, high) = (target.h - max_dh, target.h + max_dh);
    let hue = color_swatch::Column::Hue;
    let window = if low < 0.0 {
        Condition::any()
            .add(hue.gte(low + 360.0))
            .add(hue.lte(high))
    } else if high >= 360.0 {
        Condition::any()
            .add(hue.gte(low))
            .add(hue.lte(high - 360.0))
    } else {
        Condition::all().add(hue.between(low, high))
    };
    let rows = color_swatch::Entity::find()
        .filter(color_swatch::Column::SubjectType.eq(subject.as_str()))
        .filter(window)
        .filter(color_swatch::Column::Saturation.between(target.s - max_dsl, target.s + max_dsl))
        .filter(color_swatch::Column::Lightness.between(target.l - max_dsl, target.l + max_dsl))
        .all(db)
        .await?;
    let mut best: std::collections::HashMap<i64, f64> = Default::default();
    for row in rows {
        let d = distance(
            super::Hsl {
                h: row.hue,
                s: row.saturation,
                l: row.lightness,
            },
            target,
        );
        if d <= MATCH_DISTANCE {
            let entry = best.entry(row.subject_id).or_insert(d);
            *entry = entry.min(d);
        }
    }
    let mut found: Vec<ColorMatch> = best
        .into_iter()
        .map(|(id, distance)| ColorMatch { id, distance })
        .collect();
    found.sort_by(|a, b| a.distance.total_cmp(&b.distance).then(a.id.cmp(&b.id)));
    Ok(found)
}

/// A match's place in a ranking, for cursors: the distance in millionths
/// (exact to compare) and the id.
pub fn rank_key(m: &ColorMatch) -> (i64, i64) {
    ((m.distance * 1e6).round() as i64, m.id)
}

/// The page of `matches` after `after` (a [`rank_key`]), in rank order:
/// `load` fetches a chunk of ids and returns those the caller may see (in
/// any order), until `limit` are found.
pub async fn page_of<T, F, Fut>(
    matches: Vec<ColorMatch>,
    after: Option<(i64, i64)>,
    limit: u64,
    mut load: F,
) -> AppResult<Vec<(T, ColorMatch)>>
where
    F: FnMut(Vec<i64>) -> Fut,
    Fut: std::future::Future<Output = AppResult<Vec<(i64, T)>>>,
{
    let ranked: Vec<ColorMatch> = matches
        .into_iter()
        .filter(|m| after.is_none_or(|a| rank_key(m) > a))
        .collect();
    let mut out = Vec::new();
    for chunk in ranked.chunks(200) {
        let mut rows: std::collections::HashMap<i64, T> =
            load(chunk.iter().map(|m| m.id).collect())
                .await?
                .into_iter()
                .collect();
        for m in chunk {
            if let Some(row) = rows.remove(&m.id) {
                out.push((row, *m));
                if out.len() as u64 >= limit {
                    return Ok(out);
                }
            }
        }
    }
    Ok(out)
}
