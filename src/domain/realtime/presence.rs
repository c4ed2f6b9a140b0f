//! Who may see whose presence (RT-4): oneself, the users one follows, and
//! the members of one's conversations; never a user of a blocked pair.
use std::collections::HashSet;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::{
    entities::{conversation_member, follow},
    error::{AppError, AppResult},
};

/// Most users one presence query or subscription may name.
pub const MAX_USERS: usize = 100;

/// `Ok` when `viewer_id` may see the presence of every one of `user_ids`;
/// otherwise `FORBIDDEN` naming the first that is not visible.
pub async fn ensure_visible(
    db: &impl ConnectionTrait,
    viewer_id: i64,
    user_ids: &[i64],
) -> AppResult<()> {
    if user_ids.is_empty() || user_ids.len() > MAX_USERS {
        return Err(AppError::validation(
            "userIds",
            format!("`userIds` must name 1 to {MAX_USERS} users"),
        ));
    }
    let wanted: HashSet<i64> = user_ids
        .iter()
        .copied()
        .filter(|u| *u != viewer_id)
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let mut visible: HashSet<i64> = follow::Entity::find()
        .select_only()
        .column(follow::Column::FolloweeId)
        .filter(follow::Column::FollowerId.eq(viewer_id))
        .filter(follow::Column::FolloweeId.is_in(wanted.iter().copied()))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    if visible.len() < wanted.len() {
        let shared: Vec<i64> = conversation_member::Entity::find()
            .select_only()
            .column(conversation_member::Column::UserId)
            .filter(conversation_member::Column::UserId.is_in(wanted.iter().copied()))
            .filter(
                conversation_member::Column::ConversationId.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(conversation_member::Column::ConversationId)
                        .from(conversation_member::Entity)
                        .and_where(conversation_member::Column::UserId.eq(viewer_id))
                        .to_owned(),
                ),
            )
            .into_tuple::<i64>()
            .all(db)
            .await?;
        visible.extend(shared);
    }
    // A blocked pair never sees each other, whatever else they share.
    let hidden = crate::domain::community::blocks::hidden_authors(db, viewer_id).await?;
    visible.retain(|u| !hidden.contains(u));
    match user_ids
        .iter()
        .find(|u| **u != viewer_id && !visible.contains(u))
    {
        None => Ok(()),
        Some(_) => Err(AppError::forbidden(
            "presence is visible only for yourself, users you follow and members of your conversations",
        )),
    }
}
