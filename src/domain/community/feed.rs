//! The personalised home feed (COMM-5).
//!
//! Candidates are the live posts of the last 14 days (newest 2,000), minus the
//! viewer's own and what they hid. Each gets
//!
//! `score = (w_b·behaviour + w_s·social + w_t·trending + w_r·recency) · exp(−0.1·hours) · category_weight`
//!
//! - behaviour ∈ [0, 1]: the viewer's affinity for the post's design style,
//!   room type and author, from their likes (3), saves (4), shares (3), dwell
//!   (seconds/20, at most 3), clicks and zooms (1) and views (0.2); each
//!   dimension is divided by its largest value and the three are averaged;
//! - social: 1 when the viewer follows the author;
//! - trending ∈ [0, 1]: `2·likes + 3·comments` of the last 48 hours, divided
//!   by the largest among the candidates;
//! - recency: `1 − hours/168`, floored at 0;
//! - category_weight: `0.8^n` for n hides in the post's category (its design's
//!   style, or GENERAL without a design).
//!
//! A viewer with no follows and no signals (or no account) gets the cold-start
//! feed: `(0.8·trending + 0.2·recency) · exp(−0.1·hours)`.
//!
//! Pages are stable: the first page fixes an `as_of` instant that the cursor
//! carries, and every input (posts, likes, comments, follows, signals, hides)
//! is read as of that instant, so page 2 ranks exactly the same list and
//! continues after the last item of page 1. Items hidden later in the session
//! only drop out; the new category weights apply from the next first page.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};

use crate::{
    config::FeedWeights,
    domain::{execute_sql, placeholders},
    entities::{
        behavior_event, design, feed_hide, follow,
        like::{self, LikeTarget},
        post,
    },
    error::{AppError, AppResult},
};

const CANDIDATE_DAYS: i64 = 14;
const MAX_CANDIDATES: u64 = 2000;
const TRENDING_HOURS: i64 = 48;
const SIGNAL_DAYS: i64 = 30;
pub const HIDE_FACTOR: f64 = 0.8;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FeedCursor {
    /// Milliseconds since the epoch: the feed session's instant.
    pub as_of: i64,
    pub score: f64,
    pub id: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    Following,
    ForYou,
    Trending,
    Recent,
}

#[derive(Clone, Debug)]
pub struct Ranked {
    pub post: post::Model,
    pub score: f64,
    pub reason: Reason,
}

#[derive(Default)]
struct Affinity {
    style: HashMap<String, f64>,
    room: HashMap<String, f64>,
    author: HashMap<i64, f64>,
}

fn normalised(map: &HashMap<impl std::hash::Hash + Eq, f64>) -> f64 {
    map.values().cloned().fold(0.0, f64::max)
}

/// The category a post counts against when hidden.
pub fn category_of(design: Option<&design::Model>) -> String {
    match design {
        Some(d) => format!("style:{}", d.style),
        None => "GENERAL".into(),
    }
}

/// Hides an item from the viewer's feed; repeating is a no-op.
pub async fn hide(
    db: &DatabaseConnection,
    user_id: i64,
    item_type: &str,
    item_id: i64,
) -> AppResult<()> {
    let category = match item_type {
        "POST" => {
            let p = super::posts::find_live(db, item_id)
                .await?
                .ok_or_else(|| AppError::not_found("Post"))?;
            let d = match p.design_id {
                Some(id) => design::Entity::find_by_id(id).one(db).await?,
                None => None,
            };
            category_of(d.as_ref())
        }
        "DESIGN" => {
            let d = design::Entity::find_by_id(item_id)
                .one(db)
                .await?
                .ok_or_else(|| AppError::not_found("Design"))?;
            category_of(Some(&d))
        }
        other => {
            return Err(AppError::validation(
                "itemType",
                format!("cannot hide a `{other}`"),
            ));
        }
    };
    execute_sql(
        db,
        "INSERT INTO feed_hides (user_id, item_type, item_id, category, created_at) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (user_id, item_type, item_id) DO NOTHING",
        vec![user_id.into(), item_type.into(), item_id.into(), category.into(), Utc::now().into()],
    )
    .await?;
    Ok(())
}

fn signal_weight(event_type: &str, value: Option<f64>) -> f64 {
    match event_type {
        "SAVE" => 4.0,
        "SHARE" => 3.0,
        "DWELL" => (value.unwrap_or(0.0) / 20.0).min(3.0),
        "CLICK" | "ZOOM" => 1.0,
        "VIEW" => 0.2,
        _ => 0.0,
    }
}

/// One page of the viewer's home feed, and the session instant. Posts by
/// the viewer's `hidden` authors (blocks, either way) are not candidates.
pub async fn home(
    db: &DatabaseConnection,
    weights: FeedWeights,
    viewer_id: Option<i64>,
    hidden: &HashSet<i64>,
    cursor: Option<&FeedCursor>,
    limit: usize,
) -> AppResult<(Vec<Ranked>, DateTime<Utc>)> {
    let as_of = match cursor {
        Some(c) => DateTime::<Utc>::from_timestamp_millis(c.as_of)
            .ok_or_else(|| AppError::validation("after", "`after` is not a cursor of this feed"))?,
        None => Utc::now(),
    };
    let since = as_of - ChronoDuration::days(CANDIDATE_DAYS);
    let mut candidates = post::Entity::find()
        .filter(post::Column::CreatedAt.lte(as_of))
        .filter(post::Column::CreatedAt.gte(since))
        // Deleted posts never show, even mid-session.
        .filter(post::Column::DeletedAt.is_null())
        // Hidden by moderation: out from the next page on.
        .filter(post::Column::HiddenAt.is_null())
        .order_by_desc(post::Column::CreatedAt)
        .order_by_desc(post::Column::Id)
        .limit(MAX_CANDIDATES)
        .all(db)
        .await?;
    if let Some(me) = viewer_id {
        candidates.retain(|p| p.author_id != me);
    }
    candidates.retain(|p| !hidden.contains(&p.author_id));

    // Hides: every hide removes its item now; weights count hides up to as_of.
    let hides = match viewer_id {
        Some(me) => {
            feed_hide::Entity::find()
                .filter(feed_hide::Column::UserId.eq(me))
                .all(db)
                .await?
        }
        None => Vec::new(),
    };
    let hidden_posts: HashSet<i64> = hides
        .iter()
        .filter(|h| h.item_type == "POST")
        .map(|h| h.item_id)
        .collect();
    let hidden_designs: HashSet<i64> = hides
        .iter()
        .filter(|h| h.item_type == "DESIGN")
        .map(|h| h.item_id)
        .collect();
    let mut category_hides: HashMap<String, i32> = HashMap::new();
    for h in hides.iter().filter(|h| h.created_at <= as_of) {
        *category_hides.entry(h.category.clone()).or_default() += 1;
    }
    candidates.retain(|p| {
        !hidden_posts.contains(&p.id) && !p.design_id.is_some_and(|d| hidden_designs.contains(&d))
    });

    // Designs of the candidates and of the viewer's signals, in one query.
    let (affinity, following) = match viewer_id {
        Some(me) => viewer_signals(db, me, as_of).await?,
        None => (Affinity::default(), HashSet::new()),
    };
    let design_ids: Vec<i64> = candidates.iter().filter_map(|p| p.design_id).collect();
    let designs: HashMap<i64, design::Model> = if design_ids.is_empty() {
        HashMap::new()
    } else {
        design::Entity::find()
            .filter(design::Column::Id.is_in(design_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|d| (d.id, d))
            .collect()
    };

    // Trending: engagement of the last 48 hours before as_of.
    let window = as_of - ChronoDuration::hours(TRENDING_HOURS);
    let mut heat: HashMap<i64, f64> = HashMap::new();
    if !candidates.is_empty() {
        // Only the ids of the window's likes and comments come back, read
        // from covering indexes (no GROUP BY: it would steer SQLite onto the
        // (target, user) index and a scan of every like); counted here.
        for (sql, weight) in [
            (
                "SELECT target_id AS id FROM likes {recent} WHERE target_type = 'POST' AND created_at > ? AND created_at <= ?",
                2.0,
            ),
            (
                "SELECT post_id AS id FROM comments WHERE created_at > ? AND created_at <= ? \
                 AND (deleted_at IS NULL OR deleted_at > ?)",
                3.0,
            ),
        ] {
            let mut values: Vec<sea_orm::Value> = vec![window.into(), as_of.into()];
            if sql.contains("deleted_at") {
                values.push(as_of.into());
            }
            let backend = db.get_database_backend();
            // Without statistics SQLite prefers the (target, user) index and
            // reads every like; name the time index it should range over.
            let hint = if backend == sea_orm::DbBackend::Sqlite {
                "INDEXED BY idx_likes_recent"
            } else {
                ""
            };
            let sql = sql.replace("{recent}", hint);
            let rows = db
                .query_all_raw(sea_orm::Statement::from_sql_and_values(
                    backend,
                    placeholders(backend, &sql),
                    values,
                ))
                .await?;
            for row in rows {
                let id: i64 = row.try_get("", "id")?;
                *heat.entry(id).or_default() += weight;
            }
        }
        let live: HashSet<i64> = candidates.iter().map(|p| p.id).collect();
        heat.retain(|id, _| live.contains(id));
    }
    let max_heat = heat.values().cloned().fold(0.0, f64::max);
    let max_style = normalised(&affinity.style);
    let max_room = normalised(&affinity.room);
    let max_author = normalised(&affinity.author);
    let cold = following.is_empty() && max_style == 0.0 && max_room == 0.0 && max_author == 0.0;

    let mut ranked: Vec<Ranked> = candidates
        .into_iter()
        .map(|p| {
            let d = p.design_id.and_then(|id| designs.get(&id));
            let hours = (as_of - p.created_at).num_milliseconds().max(0) as f64 / 3_600_000.0;
            let decay = (-0.1 * hours).exp();
            let trending = if max_heat > 0.0 {
                heat.get(&p.id).copied().unwrap_or(0.0) / max_heat
            } else {
                0.0
            };
            let recency = (1.0 - hours / 168.0).max(0.0);
            let share = |v: Option<f64>, max: f64| {
                if max > 0.0 {
                    v.unwrap_or(0.0) / max
                } else {
                    0.0
                }
            };
            let behaviour = (share(
                d.and_then(|d| affinity.style.get(&d.style).copied()),
                max_style,
            ) + share(
                d.and_then(|d| affinity.room.get(&d.room_type).copied()),
                max_room,
            ) + share(affinity.author.get(&p.author_id).copied(), max_author))
                / 3.0;
            let social = if following.contains(&p.author_id) {
                1.0
            } else {
                0.0
            };
            let category_weight =
                HIDE_FACTOR.powi(category_hides.get(&category_of(d)).copied().unwrap_or(0));
            let (score, reason) = if cold {
                (
                    (0.8 * trending + 0.2 * recency) * decay,
                    if trending > 0.0 {
                        Reason::Trending
                    } else {
                        Reason::Recent
                    },
                )
            } else {
                let parts = [
                    (weights.behaviour * behaviour, Reason::ForYou),
                    (weights.social * social, Reason::Following),
                    (weights.trending * trending, Reason::Trending),
                    (weights.recency * recency, Reason::Recent),
                ];
                let total: f64 = parts.iter().map(|p| p.0).sum();
                let reason = parts
                    .iter()
                    .max_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|p| p.1)
                    .unwrap_or(Reason::Recent);
                (total * decay * category_weight, reason)
            };
            Ranked {
                score: (score * 1e12).round() / 1e12,
                post: p,
                reason,
            }
        })
        .collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.post.id.cmp(&a.post.id)));
    let start = match cursor {
        None => 0,
        Some(c) => ranked
            .iter()
            .position(|r| r.score < c.score || (r.score == c.score && r.post.id < c.id))
            .unwrap_or(ranked.len()),
    };
    Ok((ranked.into_iter().skip(start).take(limit).collect(), as_of))
}

/// The viewer's affinities and follows, as of `as_of`.
async fn viewer_signals(
    db: &DatabaseConnection,
    me: i64,
    as_of: DateTime<Utc>,
) -> AppResult<(Affinity, HashSet<i64>)> {
    let following: HashSet<i64> = follow::Entity::find()
        .filter(follow::Column::FollowerId.eq(me))
        .filter(follow::Column::CreatedAt.lte(as_of))
        .all(db)
        .await?
        .into_iter()
        .map(|f| f.followee_id)
        .collect();
    let since = as_of - ChronoDuration::days(SIGNAL_DAYS);
    // (target type, id, weight)
    let mut signals: Vec<(&'static str, i64, f64)> = like::Entity::find()
        .filter(like::Column::UserId.eq(me))
        .filter(like::Column::TargetType.is_in([LikeTarget::Post, LikeTarget::Design]))
        .filter(like::Column::CreatedAt.gt(since))
        .filter(like::Column::CreatedAt.lte(as_of))
        .all(db)
        .await?
        .into_iter()
        .map(|l| {
            (
                if l.target_type == LikeTarget::Post {
                    "POST"
                } else {
                    "DESIGN"
                },
                l.target_id,
                3.0,
            )
        })
        .collect();
    for e in behavior_event::Entity::find()
        .filter(behavior_event::Column::UserId.eq(me))
        .filter(behavior_event::Column::TargetType.is_in(["POST", "DESIGN"]))
        .filter(behavior_event::Column::OccurredAt.gt(since))
        .filter(behavior_event::Column::ReceivedAt.lte(as_of))
        .order_by_desc(behavior_event::Column::Id)
        .limit(5000)
        .all(db)
        .await?
    {
        let w = signal_weight(&e.event_type, e.value);
        if w > 0.0 {
            signals.push((
                if e.target_type == "POST" {
                    "POST"
                } else {
                    "DESIGN"
                },
                e.target_id,
                w,
            ));
        }
    }
    let post_ids: Vec<i64> = signals
        .iter()
        .filter(|s| s.0 == "POST")
        .map(|s| s.1)
        .collect();
    let posts: HashMap<i64, post::Model> = if post_ids.is_empty() {
        HashMap::new()
    } else {
        post::Entity::find()
            .filter(post::Column::Id.is_in(post_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect()
    };
    let mut design_ids: Vec<i64> = signals
        .iter()
        .filter(|s| s.0 == "DESIGN")
        .map(|s| s.1)
        .collect();
    design_ids.extend(posts.values().filter_map(|p| p.design_id));
    let designs: HashMap<i64, design::Model> = if design_ids.is_empty() {
        HashMap::new()
    } else {
        design::Entity::find()
            .filter(design::Column::Id.is_in(design_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|d| (d.id, d))
            .collect()
    };
    let mut affinity = Affinity::default();
    for (kind, id, w) in signals {
        let (author, d) = if kind == "POST" {
            match posts.get(&id) {
                Some(p) => (Some(p.author_id), p.design_id.and_then(|d| designs.get(&d))),
                None => continue,
            }
        } else {
            match designs.get(&id) {
                Some(d) => (Some(d.owner_id), Some(d)),
                None => continue,
            }
        };
        if let Some(a) = author.filter(|a| *a != me) {
            *affinity.author.entry(a).or_default() += w;
        }
        if let Some(d) = d {
            *affinity.style.entry(d.style.clone()).or_default() += w;
            *affinity.room.entry(d.room_type.clone()).or_default() += w;
        }
    }
    Ok((affinity, following))
}
