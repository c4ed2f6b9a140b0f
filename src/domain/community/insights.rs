//! Insights (COMM-7): how confident the recommendations can be, the viewer's
//! style DNA (share of each style among the designs they liked or saved,
//! summing to 1) and concrete actions that would improve both.
use std::collections::{BTreeMap, HashSet};

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::{ROOM_TYPES, STYLES};
use crate::{
    entities::{
        behavior_event, design, follow,
        like::{self, LikeTarget},
        post,
    },
    error::AppResult,
};

#[derive(Clone, Debug, PartialEq)]
pub struct StyleShare {
    pub style: String,
    pub share: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    /// Stable kind a client can switch on.
    pub kind: &'static str,
    pub message: String,
    pub style: Option<String>,
    pub room_type: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Insights {
    /// In [0, 1): `1 − exp(−n/15)` for n = distinct designs liked or saved
    /// plus a fifth of the other signals (views, clicks, dwell, shares).
    pub confidence: f64,
    pub style_dna: Vec<StyleShare>,
    pub actions: Vec<Action>,
    pub designs_considered: usize,
}

pub async fn for_user(db: &DatabaseConnection, user_id: i64) -> AppResult<Insights> {
    let likes = like::Entity::find()
        .filter(like::Column::UserId.eq(user_id))
        .filter(like::Column::TargetType.is_in([LikeTarget::Post, LikeTarget::Design]))
        .all(db)
        .await?;
    let events = behavior_event::Entity::find()
        .filter(behavior_event::Column::UserId.eq(user_id))
        .filter(behavior_event::Column::TargetType.is_in(["POST", "DESIGN"]))
        .all(db)
        .await?;
    let mut liked_posts: Vec<i64> = likes
        .iter()
        .filter(|l| l.target_type == LikeTarget::Post)
        .map(|l| l.target_id)
        .collect();
    let mut design_ids: HashSet<i64> = likes
        .iter()
        .filter(|l| l.target_type == LikeTarget::Design)
        .map(|l| l.target_id)
        .collect();
    let saves = events.iter().filter(|e| e.event_type == "SAVE").count();
    for e in events.iter().filter(|e| e.event_type == "SAVE") {
        if e.target_type == "DESIGN" {
            design_ids.insert(e.target_id);
        } else {
            liked_posts.push(e.target_id);
        }
    }
    if !liked_posts.is_empty() {
        for p in post::Entity::find()
            .filter(post::Column::Id.is_in(liked_posts))
            .all(db)
            .await?
        {
            if let Some(d) = p.design_id {
                design_ids.insert(d);
            }
        }
    }
    let designs = if design_ids.is_empty() {
        Vec::new()
    } else {
        design::Entity::find()
            .filter(design::Column::Id.is_in(design_ids.iter().copied()))
            .all(db)
            .await?
    };
    let mut by_style: BTreeMap<String, usize> = BTreeMap::new();
    let mut rooms_seen: HashSet<String> = HashSet::new();
    for d in &designs {
        *by_style.entry(d.style.clone()).or_default() += 1;
        rooms_seen.insert(d.room_type.clone());
    }
    let total = designs.len();
    let mut style_dna: Vec<StyleShare> = by_style
        .into_iter()
        .map(|(style, n)| StyleShare {
            style,
            share: n as f64 / total as f64,
        })
        .collect();
    style_dna.sort_by(|a, b| b.share.total_cmp(&a.share).then(a.style.cmp(&b.style)));

    let other_signals = events.iter().filter(|e| e.event_type != "SAVE").count();
    let n = total as f64 + other_signals as f64 / 5.0;
    let confidence = ((1.0 - (-n / 15.0).exp()) * 1000.0).round() / 1000.0;
    let following = follow::Entity::find()
        .filter(follow::Column::FollowerId.eq(user_id))
        .all(db)
        .await?
        .len();

    let top = style_dna.first().map(|s| s.style.clone());
    let mut actions = Vec::new();
    if total < 5 {
        actions.push(Action {
            kind: "LIKE_MORE_DESIGNS",
            message: format!(
                "Like or save {} more designs to sharpen your style DNA",
                5 - total
            ),
            style: None,
            room_type: None,
        });
    }
    if following < 3 {
        let message = match &top {
            Some(style) => {
                format!("Follow creators who post {style} designs to fill your feed with them")
            }
            None => "Follow a few creators whose rooms you like".to_owned(),
        };
        actions.push(Action {
            kind: "FOLLOW_CREATORS",
            message,
            style: top.clone(),
            room_type: None,
        });
    }
    if saves == 0 {
        actions.push(Action {
            kind: "SAVE_FAVORITES",
            message: "Save the designs you love: a save counts more than a like".into(),
            style: None,
            room_type: None,
        });
    }
    if let Some(room) = ROOM_TYPES.iter().find(|r| !rooms_seen.contains(**r)) {
        actions.push(Action {
            kind: "EXPLORE_ROOM_TYPE",
            message: format!(
                "Explore {} designs: you have not liked any yet",
                room.to_lowercase().replace('_', " ")
            ),
            style: None,
            room_type: Some((*room).to_owned()),
        });
    }
    if let Some(first) = style_dna.first()
        && first.share > 0.6
        && total >= 3
    {
        let other = STYLES
            .iter()
            .find(|s| **s != first.style)
            .map(|s| (*s).to_owned());
        actions.push(Action {
            kind: "BROADEN_STYLE",
            message: format!(
                "{:.0}% of what you like is {}; try a few {} rooms",
                first.share * 100.0,
                first.style,
                other.clone().unwrap_or_default()
            ),
            style: other,
            room_type: None,
        });
    }
    Ok(Insights {
        confidence,
        style_dna,
        actions,
        designs_considered: total,
    })
}
