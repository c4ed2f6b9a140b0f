//! Recommendations (ML-3, ML-5) and the training job (ML-2). Rules only:
//! functions take a connection and the recommender; the job's wiring is in
//! `jobs::kinds`, the serving loop is owned by `jobs::Background`.
//!
//! `recommended`: the served hybrid (`recommender::hybrid`) scores every
//! ACTIVE product from the neighbours of what the viewer recently touched,
//! pushing down the neighbours of what they rejected; when nothing they
//! touched has neighbours in it, the item tower places them by their
//! items' vectors. Minus what they bought, hid or rejected, at most
//! `max_per_store` products of one store per page. A viewer with no usable
//! activity (or no model yet) gets popular products of their gender,
//! favouring categories they touched; anonymous callers get popular ones.
use std::{
    collections::HashSet,
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::Utc;
use recommender::{
    index::{TopKQuery, top_k_of_scores},
    pipeline,
    profile::{Touch, user_vector},
    served::Served,
    tch,
    train::TrainConfig,
};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

use crate::{
    config::MlConfig,
    domain::execute_sql,
    entities::{
        order::{self, OrderStatus},
        product::{self, ProductGender, ProductStatus},
        recommendation_feedback as feedback,
        user::{self, Gender},
    },
    error::{AppError, AppResult},
    jobs::{JobContext, JobKind, JobQueue, KindOptions, permanent},
    ml::{serving::Recommender, source},
};

/// Touches of the viewer read per request (most recent first).
pub const ACTIVITY_LIMIT: u64 = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// From the viewer's activity and the model.
    Personalized,
    /// Cold start: popular in the viewer's gender and categories.
    PopularForYou,
    /// Anonymous: popular everywhere.
    Popular,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reaction {
    /// Never show this product again.
    Hide,
    /// Never show it, and move away from things like it.
    NotInterested,
}

impl Reaction {
    pub fn as_str(self) -> &'static str {
        match self {
            Reaction::Hide => "HIDE",
            Reaction::NotInterested => "NOT_INTERESTED",
        }
    }
}

/// One page of product ids, best first.
#[derive(Clone, Debug)]
pub struct Page {
    pub product_ids: Vec<i64>,
    /// Rank of the first id (0-based).
    pub start: usize,
    pub has_next: bool,
    pub strategy: Strategy,
    pub model_version: Option<String>,
}

/// What the viewer has done, in the index's terms.
struct Viewer {
    touches: Vec<Touch>,
    /// Rows never shown: bought, hidden, not interested.
    exclude: Vec<usize>,
    negatives: Vec<usize>,
    excluded_ids: Vec<i64>,
    touched_ids: Vec<i64>,
}

async fn purchased(db: &DatabaseConnection, user_id: i64) -> AppResult<Vec<i64>> {
    let orders: Vec<i64> = order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .filter(order::Column::BuyerId.eq(user_id))
        .into_tuple()
        .all(db)
        .await?;
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    Ok(order::line::Entity::find()
        .select_only()
        .column(order::line::Column::ProductId)
        .filter(order::line::Column::OrderId.is_in(orders))
        .filter(order::line::Column::Status.ne(OrderStatus::Cancelled))
        .into_tuple()
        .all(db)
        .await?)
}

async fn reactions(db: &DatabaseConnection, user_id: i64) -> AppResult<Vec<feedback::Model>> {
    Ok(feedback::Entity::find()
        .filter(feedback::Column::UserId.eq(user_id))
        .all(db)
        .await?)
}

async fn viewer_profile(
    db: &DatabaseConnection,
    user_id: i64,
    served: Option<&Served>,
) -> AppResult<Viewer> {
    let activity = source::activity(
        db,
        source::ActivityFilter {
            user_id: Some(user_id),
            limit: Some(ACTIVITY_LIMIT),
        },
    )
    .await?;
    let bought = purchased(db, user_id).await?;
    let reactions = reactions(db, user_id).await?;
    let row = |id: i64| served.and_then(|s| s.index.row(id));
    let touches = activity
        .iter()
        .filter_map(|a| {
            Some(Touch {
                row: row(a.product_id)?,
                weight: a.signal.weight(),
                at: a.at.timestamp(),
            })
        })
        .collect();
    let mut excluded_ids: Vec<i64> = bought;
    excluded_ids.extend(reactions.iter().map(|r| r.product_id));
    excluded_ids.sort_unstable();
    excluded_ids.dedup();
    Ok(Viewer {
        touches,
        exclude: excluded_ids.iter().filter_map(|&id| row(id)).collect(),
        negatives: reactions
            .iter()
            .filter(|r| r.reaction == Reaction::NotInterested.as_str())
            .filter_map(|r| row(r.product_id))
            .collect(),
        touched_ids: activity.iter().map(|a| a.product_id).collect(),
        excluded_ids,
    })
}

/// Pages of `page_size` built one after another, each with at most
/// `per_store` products of one store; returns `first` items from rank
/// `start` and whether anything follows.
pub fn diversified_page(
    served: &Served,
    scores: &tch::Tensor,
    exclude: &[usize],
    per_store: usize,
    page_size: usize,
    start: usize,
    first: usize,
) -> (Vec<usize>, bool) {
    let mut shown: Vec<usize> = Vec::with_capacity(start + first);
    let mut excluded: Vec<usize> = exclude.to_vec();
    let take = |k: usize, excluded: &mut Vec<usize>| -> Vec<usize> {
        let rows: Vec<usize> = top_k_of_scores(
            scores.copy(),
            &served.index.groups,
            &TopKQuery {
                k,
                exclude: excluded,
                per_group: Some(per_store),
            },
        )
        .into_iter()
        .map(|(row, _)| row)
        .collect();
        excluded.extend(&rows);
        rows
    };
    while shown.len() < start {
        let page = take(page_size.min(start - shown.len()), &mut excluded);
        if page.is_empty() {
            return (Vec::new(), false);
        }
        shown.extend(page);
    }
    let page = take(first, &mut excluded);
    let unique: HashSet<usize> = excluded.iter().copied().collect();
    let has_next = unique.len() < served.index.len();
    (page, has_next)
}

/// What recommending needs: the database, the served model and its settings.
#[derive(Clone, Copy)]
pub struct Recommending<'a> {
    pub db: &'a DatabaseConnection,
    pub recommender: &'a Recommender,
    pub config: &'a MlConfig,
}

/// What ranks a viewer's page.
enum Scorer {
    /// The hybrid, over (row, weight) of what the viewer touched.
    Hybrid(Vec<(usize, f32)>),
    /// The item tower, by the viewer's vector.
    Tower(tch::Tensor),
}

/// The item tower's scorer: the viewer's vector, when any touch has one.
fn tower(served: &Served, profile: &Viewer, now: i64, config: &MlConfig) -> Option<Scorer> {
    user_vector(
        served.index.vectors(),
        &profile.touches,
        &profile.negatives,
        now,
        config.half_life.as_secs_f64(),
    )
    .map(Scorer::Tower)
}

/// `recommendedProducts`: see the module docs. `after` is (rank, page size)
/// of the last item the client has.
pub async fn recommended(
    state: Recommending<'_>,
    viewer: Option<&user::Model>,
    first: usize,
    after: Option<(usize, usize)>,
) -> AppResult<Page> {
    let start = after.map_or(0, |(rank, _)| rank + 1);
    let page_size = after.map_or(first, |(_, size)| size.max(1));
    let served = state.recommender.current();
    let Some(viewer) = viewer else {
        return popular(state.db, None, &[], &[], start, first).await;
    };
    let profile = viewer_profile(state.db, viewer.id, served.as_deref()).await?;
    // The hybrid ranks when what the viewer touched has neighbours in it;
    // else the item tower places the viewer by their items' vectors.
    let scorer = served.as_ref().and_then(|served| {
        let now = Utc::now().timestamp();
        match &served.hybrid {
            Some(hybrid) => {
                let history =
                    recommender::hybrid::history(&profile.touches, now, hybrid.half_life_days);
                if hybrid.reaches(&history) {
                    Some(Scorer::Hybrid(history))
                } else {
                    tower(served, &profile, now, state.config)
                }
            }
            None => tower(served, &profile, now, state.config),
        }
    });
    let (Some(served), Some(scorer)) = (served, scorer) else {
        return popular(
            state.db,
            Some(viewer),
            &profile.touched_ids,
            &profile.excluded_ids,
            start,
            first,
        )
        .await;
    };
    let per_store = state.config.max_per_store;
    let (rows, has_next) = {
        let served = served.clone();
        tokio::task::spawn_blocking(move || {
            let scores = match (&scorer, &served.hybrid) {
                (Scorer::Hybrid(history), Some(hybrid)) => {
                    hybrid.scores(history, &profile.negatives)
                }
                (Scorer::Tower(vector), _) => served.index.scores(vector),
                // Not built: a hybrid scorer is only chosen when one exists.
                (Scorer::Hybrid(_), None) => return (Vec::new(), false),
            };
            diversified_page(
                &served,
                &scores,
                &profile.exclude,
                per_store,
                page_size,
                start,
                first,
            )
        })
        .await
        .map_err(AppError::internal)?
    };
    Ok(Page {
        product_ids: rows.iter().map(|&r| served.index.ids[r]).collect(),
        start,
        has_next,
        strategy: Strategy::Personalized,
        model_version: Some(served.version.clone()),
    })
}

/// Products whose gender suits the viewer's.
fn gender_condition(viewer: Option<&user::Model>) -> Condition {
    let wanted = match viewer.and_then(|v| v.gender) {
        Some(Gender::Male) => Some(ProductGender::Male),
        Some(Gender::Female) => Some(ProductGender::Female),
        _ => None,
    };
    match wanted {
        Some(g) => Condition::any()
            .add(product::Column::Gender.eq(g))
            .add(product::Column::Gender.eq(ProductGender::Unisex)),
        None => Condition::all(),
    }
}

/// Popular ACTIVE products; with a viewer, of their gender, the categories
/// of what they touched first, excluding what they bought or rejected.
async fn popular(
    db: &DatabaseConnection,
    viewer: Option<&user::Model>,
    touched: &[i64],
    excluded: &[i64],
    start: usize,
    first: usize,
) -> AppResult<Page> {
    let favoured: Vec<i64> = if touched.is_empty() {
        Vec::new()
    } else {
        let mut ids: Vec<i64> = product::Entity::find()
            .select_only()
            .column(product::Column::CategoryId)
            .filter(product::Column::Id.is_in(touched.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let want = (start + first + 1) as u64;
    let base = || {
        product::Entity::find()
            .select_only()
            .column(product::Column::Id)
            .filter(product::Column::Status.eq(ProductStatus::Active))
            .filter(gender_condition(viewer))
            .filter(product::Column::Id.is_not_in(excluded.iter().copied()))
            .order_by_desc(product::Column::Popularity)
            .order_by_desc(product::Column::Id)
            .limit(want)
    };
    let mut ids: Vec<i64> = Vec::new();
    if !favoured.is_empty() {
        ids = base()
            .filter(product::Column::CategoryId.is_in(favoured.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
    }
    if (ids.len() as u64) < want {
        let rest: Vec<i64> = base()
            .filter(product::Column::CategoryId.is_not_in(favoured.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        ids.extend(rest);
    }
    let has_next = ids.len() > start + first;
    Ok(Page {
        product_ids: ids.into_iter().skip(start).take(first).collect(),
        start,
        has_next,
        strategy: if viewer.is_some() {
            Strategy::PopularForYou
        } else {
            Strategy::Popular
        },
        model_version: None,
    })
}

/// `similarProducts`: nearest ACTIVE products to one product's vector (the
/// viewer's hidden and rejected products left out). Without a model, or for
/// a product it cannot place, the most popular of the same category.
pub async fn similar(
    state: Recommending<'_>,
    product: &product::Model,
    viewer: Option<&user::Model>,
    first: usize,
    start: usize,
) -> AppResult<Page> {
    let mut excluded: Vec<i64> = match viewer {
        Some(v) => reactions(state.db, v.id)
            .await?
            .into_iter()
            .map(|r| r.product_id)
            .collect(),
        None => Vec::new(),
    };
    excluded.push(product.id);
    let served = state.recommender.current();
    let placed = served
        .as_ref()
        .and_then(|s| s.index.row(product.id).map(|row| (s.clone(), row)));
    let Some((served, row)) = placed else {
        let mut page = popular(state.db, None, &[product.id], &excluded, start, first).await?;
        page.strategy = Strategy::Popular;
        return Ok(page);
    };
    let exclude: Vec<usize> = excluded
        .iter()
        .filter_map(|&id| served.index.row(id))
        .collect();
    let found = {
        let served = served.clone();
        tokio::task::spawn_blocking(move || {
            let query = TopKQuery {
                k: start + first + 1,
                exclude: &exclude,
                per_group: None,
            };
            served.index.top_k(&served.index.vector(row), &query)
        })
        .await
        .map_err(AppError::internal)?
    };
    Ok(Page {
        has_next: found.len() > start + first,
        product_ids: found
            .into_iter()
            .skip(start)
            .take(first)
            .map(|(r, _)| served.index.ids[r])
            .collect(),
        start,
        strategy: Strategy::Personalized,
        model_version: Some(served.version.clone()),
    })
}

/// Records a reaction (the latest one for a product wins).
pub async fn react(
    db: &DatabaseConnection,
    user_id: i64,
    product_id: i64,
    reaction: Reaction,
) -> AppResult<()> {
    if product::Entity::find_by_id(product_id)
        .one(db)
        .await?
        .is_none()
    {
        return Err(AppError::not_found("product"));
    }
    execute_sql(
        db,
        "INSERT INTO recommendation_feedback (user_id, product_id, reaction, created_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (user_id, product_id) DO UPDATE SET reaction = excluded.reaction, created_at = excluded.created_at",
        vec![user_id.into(), product_id.into(), reaction.as_str().into(), Utc::now().into()],
    )
    .await?;
    Ok(())
}

/// Takes a reaction back; false when there was none.
pub async fn clear_reaction(
    db: &DatabaseConnection,
    user_id: i64,
    product_id: i64,
) -> AppResult<bool> {
    let done = feedback::Entity::delete_many()
        .filter(feedback::Column::UserId.eq(user_id))
        .filter(feedback::Column::ProductId.eq(product_id))
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

/// Trains a new model on the platform's activity (ML-2), a durable job:
/// progress on `jobProgress(jobId)`, the new version served when it ends.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TrainRecommender {}

impl JobKind for TrainRecommender {
    const KIND: &'static str = "RECOMMENDER_TRAINING";

    fn options() -> KindOptions {
        // libtorch or the index writer uses the cores: one at a time.
        KindOptions::long_exclusive(Duration::from_secs(60))
    }
}

/// One training queued or running at a time, across all instances.
pub const TRAINING_KEY: &str = "recommender-training";

/// Queues a training job for `owner_id` (who gets progress and an
/// ADMIN_ALERT); CONFLICT while one is queued or running.
pub async fn start_training(
    queue: &JobQueue,
    db: &DatabaseConnection,
    owner_id: Option<i64>,
) -> AppResult<i64> {
    queue
        .start_exclusive(
            db,
            &TrainRecommender {},
            TRAINING_KEY,
            owner_id,
            "a recommender training job is already queued or running",
        )
        .await
}

/// Whether there is any activity to learn from.
pub async fn has_activity(db: &DatabaseConnection) -> AppResult<bool> {
    Ok(!source::activity(
        db,
        source::ActivityFilter {
            limit: Some(1),
            ..Default::default()
        },
    )
    .await?
    .is_empty())
}

/// The training job's work: read the activity, train and save a version
/// (on a blocking thread, reporting progress), and serve it.
pub async fn train(
    db: &DatabaseConnection,
    recommender: &Recommender,
    config: &MlConfig,
    ctx: &JobContext,
) -> anyhow::Result<String> {
    ctx.progress(0.0, "reading activity").await;
    let (dataset, _) = source::dataset(db).await.map_err(AppError::into_anyhow)?;
    if dataset.interactions.is_empty() {
        return Err(permanent("there is no activity to learn from yet"));
    }
    let train_config = TrainConfig {
        dim: config.dim,
        epochs: config.epochs,
        seed: config.seed,
        ..TrainConfig::default()
    };
    let root = config.dir.clone();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(f64, String)>(16);
    let training = tokio::task::spawn_blocking(move || {
        let mut last = Instant::now() - Duration::from_secs(1);
        pipeline::train_and_save(&dataset, &train_config, &root, &mut |p| {
            if last.elapsed() >= Duration::from_millis(500) || p.done == p.total {
                last = Instant::now();
                let overall = ((p.epoch - 1) as f64 + p.done as f64 / p.total.max(1) as f64)
                    / p.epochs as f64;
                let _ = tx.try_send((
                    overall * 0.95,
                    format!(
                        "epoch {}/{}: loss {:.4}, {:.0} triplets/s",
                        p.epoch, p.epochs, p.loss, p.triplets_per_sec
                    ),
                ));
            }
        })
    });
    while let Some((progress, message)) = rx.recv().await {
        ctx.progress(progress, message).await;
    }
    let meta = training.await??;
    recommender.reload(db).await?;
    Ok(meta.version)
}

/// Loads the current model, if any (before the server takes requests).
pub async fn load_current(recommender: &Recommender, db: &DatabaseConnection, dir: &Path) {
    match recommender.reload(db).await {
        Ok(Some(version)) => tracing::info!(%version, "recommender ready"),
        Ok(None) => tracing::info!(
            dir = %dir.display(),
            "no recommender model yet: recommendations are popular products until one is trained"
        ),
        Err(e) => tracing::error!(
            error = format!("{e:#}"),
            "recommender model could not be loaded"
        ),
    }
}

/// Keeps serving in step (a background loop): a version trained elsewhere
/// is picked up within `reload_interval`, and product changes re-index
/// within a second.
pub async fn keep_serving(
    recommender: Arc<Recommender>,
    db: DatabaseConnection,
    reload_interval: Duration,
    mut events: tokio::sync::broadcast::Receiver<Arc<crate::events::DomainEvent>>,
) {
    let mut tick = tokio::time::interval(reload_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Re-index one second after the first product change seen (a
    // deadline, so a steady stream of other events cannot postpone it).
    let mut reindex_at: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(e) = recommender.reload(&db).await {
                    tracing::warn!(error = format!("{e:#}"), "recommender reload failed");
                }
            }
            event = events.recv() => {
                let changed = match event {
                    Ok(event) => matches!(*event, crate::events::DomainEvent::ProductChanged { .. }),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => true,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                };
                if changed && reindex_at.is_none() {
                    reindex_at = Some(tokio::time::Instant::now() + Duration::from_secs(1));
                }
            }
            _ = crate::realtime::sleep_until(reindex_at) => {
                reindex_at = None;
                if let Err(e) = recommender.refresh_catalogue(&db).await {
                    tracing::warn!(error = format!("{e:#}"), "recommender re-index failed");
                }
            }
        }
    }
}
