//! Blocking users (issue 22): `blockUser` / `unblockUser`, the blocker's list,
//! and the rules every other module asks about a pair.
//!
//! Visibility is symmetric: a blocked pair never sees each other's content.
//! A viewer's *hidden set* ([`hidden_authors`]) is whom they blocked plus who
//! blocked them; lists filter authors in it (in SQL with [`not_by`] where
//! they can, so that pages stay full and keyset cursors stay valid). Writes
//! between the pair (follow, conversation, message) are refused with
//! `BLOCKED` ([`ensure_not_blocked`]); notifications from one to the other
//! are not created (`notifications::notify` asks [`between`]).
use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use crate::{
    db::begin_write,
    domain::{execute_sql, placeholders},
    entities::{
        follow, store,
        user::{self, UserStatus},
        user_block,
    },
    error::{AppError, AppResult},
};

/// The users hidden from `viewer_id`: whom they blocked and who blocked
/// them, in one statement (both halves read through their own index).
pub async fn hidden_authors(db: &impl ConnectionTrait, viewer_id: i64) -> AppResult<HashSet<i64>> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            placeholders(
                backend,
                "SELECT blocked_id AS id FROM user_blocks WHERE blocker_id = ? \
                 UNION SELECT blocker_id AS id FROM user_blocks WHERE blocked_id = ?",
            ),
            [viewer_id.into(), viewer_id.into()],
        ))
        .await?;
    rows.into_iter()
        .map(|r| r.try_get::<i64>("", "id").map_err(Into::into))
        .collect()
}

/// Whether one of `a` and `b` blocked the other.
pub async fn between(db: &impl ConnectionTrait, a: i64, b: i64) -> AppResult<bool> {
    if a == b {
        return Ok(false);
    }
    let found = user_block::Entity::find()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(user_block::Column::BlockerId.eq(a))
                        .add(user_block::Column::BlockedId.eq(b)),
                )
                .add(
                    Condition::all()
                        .add(user_block::Column::BlockerId.eq(b))
                        .add(user_block::Column::BlockedId.eq(a)),
                ),
        )
        .count(db)
        .await?;
    Ok(found > 0)
}

/// Whether `user_id` and any of `others` are a blocked pair.
pub async fn any_between(
    db: &impl ConnectionTrait,
    user_id: i64,
    others: &[i64],
) -> AppResult<bool> {
    let others: Vec<i64> = others.iter().copied().filter(|o| *o != user_id).collect();
    if others.is_empty() {
        return Ok(false);
    }
    let found = user_block::Entity::find()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(user_block::Column::BlockerId.eq(user_id))
                        .add(user_block::Column::BlockedId.is_in(others.clone())),
                )
                .add(
                    Condition::all()
                        .add(user_block::Column::BlockedId.eq(user_id))
                        .add(user_block::Column::BlockerId.is_in(others)),
                ),
        )
        .count(db)
        .await?;
    Ok(found > 0)
}

/// Serialises writes about the pair `a`, `b` (a block, a follow) inside the
/// caller's transaction: on PostgreSQL both user rows are locked, lower id
/// first, so that a follow and a block racing each other run one after the
/// other and the follow cannot outlive the block; on SQLite the write
/// transaction (`BEGIN IMMEDIATE`) already runs alone.
pub async fn lock_pair(db: &impl ConnectionTrait, a: i64, b: i64) -> AppResult<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT id FROM users WHERE id IN ($1, $2) ORDER BY id FOR UPDATE",
            [a.min(b).into(), a.max(b).into()],
        ))
        .await?;
    }
    Ok(())
}

/// `BLOCKED` when `user_id` and any of `others` are a blocked pair; `what`
/// names the refused action for the message.
pub async fn ensure_not_blocked(
    db: &impl ConnectionTrait,
    user_id: i64,
    others: &[i64],
    what: &str,
) -> AppResult<()> {
    if any_between(db, user_id, others).await? {
        return Err(AppError::Blocked(format!(
            "{what}: one of you has blocked the other"
        )));
    }
    Ok(())
}

/// Rows whose `column` (an author, owner, sender, actor) is not in
/// `hidden`; no condition at all when `hidden` is empty. A NULL column (a
/// system notification without an actor) is kept.
pub fn not_by(column: impl ColumnTrait, hidden: &HashSet<i64>) -> Condition {
    if hidden.is_empty() {
        return Condition::all();
    }
    Condition::any()
        .add(column.is_null())
        .add(column.is_not_in(hidden.iter().copied()))
}

/// [`not_by`] for counts that do not read the hidden set first (unread
/// badges): rows whose `column` is not a user `viewer_id` blocked or was
/// blocked by, as subqueries; a NULL column is kept.
pub fn not_hidden_from(column: impl ColumnTrait + Copy, viewer_id: i64) -> Condition {
    let side = |mine: user_block::Column, theirs: user_block::Column| {
        column.not_in_subquery(
            sea_orm::sea_query::Query::select()
                .column(theirs)
                .from(user_block::Entity)
                .and_where(mine.eq(viewer_id))
                .to_owned(),
        )
    };
    Condition::any().add(column.is_null()).add(
        Condition::all()
            .add(side(
                user_block::Column::BlockerId,
                user_block::Column::BlockedId,
            ))
            .add(side(
                user_block::Column::BlockedId,
                user_block::Column::BlockerId,
            )),
    )
}

/// Rows whose store `column` (a short's, a review's store) is not a store
/// owned by a user in `hidden`; no condition when `hidden` is empty.
pub fn not_in_stores_of(column: impl ColumnTrait, hidden: &HashSet<i64>) -> Condition {
    if hidden.is_empty() {
        return Condition::all();
    }
    Condition::all().add(
        column.not_in_subquery(
            sea_orm::sea_query::Query::select()
                .column(store::Column::Id)
                .from(store::Entity)
                .and_where(store::Column::OwnerId.is_in(hidden.iter().copied()))
                .to_owned(),
        ),
    )
}

/// A user one may block or unblock: any account that was not deleted.
async fn target(
    db: &impl ConnectionTrait,
    me: &user::Model,
    user_id: i64,
) -> AppResult<user::Model> {
    if user_id == me.id {
        return Err(AppError::validation("userId", "you cannot block yourself"));
    }
    user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .filter(|u| u.status != UserStatus::Deleted)
        .ok_or_else(|| AppError::not_found("User"))
}

/// Removes the follow `follower → followee` if there is one, with both
/// counters (conditional, never below zero), inside the caller's transaction.
async fn end_follow(db: &impl ConnectionTrait, follower: i64, followee: i64) -> AppResult<()> {
    let removed = follow::Entity::delete_many()
        .filter(follow::Column::FollowerId.eq(follower))
        .filter(follow::Column::FolloweeId.eq(followee))
        .exec(db)
        .await?
        .rows_affected;
    if removed > 0 {
        execute_sql(
            db,
            "UPDATE users SET follower_count = follower_count - ? WHERE id = ? AND follower_count >= ?",
            vec![(removed as i64).into(), followee.into(), (removed as i64).into()],
        )
        .await?;
        execute_sql(
            db,
            "UPDATE users SET following_count = following_count - ? WHERE id = ? AND following_count >= ?",
            vec![(removed as i64).into(), follower.into(), (removed as i64).into()],
        )
        .await?;
    }
    Ok(())
}

/// Blocks `user_id` (not oneself; NOT_FOUND for an unknown or deleted
/// account). In the same transaction every follow between the two, either
/// way, ends. Blocking again is a no-op. Returns the blocked user.
pub async fn block(
    db: &DatabaseConnection,
    me: &user::Model,
    user_id: i64,
) -> AppResult<user::Model> {
    let txn = begin_write(db).await?;
    let blocked = target(&txn, me, user_id).await?;
    lock_pair(&txn, me.id, user_id).await?;
    user_block::Entity::insert(user_block::ActiveModel {
        blocker_id: Set(me.id),
        blocked_id: Set(user_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([user_block::Column::BlockerId, user_block::Column::BlockedId])
    .exec_without_returning(&txn)
    .await?;
    // Also on a repeat: a follow that slipped in cannot survive a block.
    end_follow(&txn, me.id, user_id).await?;
    end_follow(&txn, user_id, me.id).await?;
    let blocked = user::Entity::find_by_id(blocked.id)
        .one(&txn)
        .await?
        .unwrap_or(blocked);
    txn.commit().await?;
    Ok(blocked)
}

/// Lifts the caller's block of `user_id` (a no-op when there is none).
/// Follows that the block ended do not come back. Returns the user.
pub async fn unblock(
    db: &DatabaseConnection,
    me: &user::Model,
    user_id: i64,
) -> AppResult<user::Model> {
    let unblocked = target(db, me, user_id).await?;
    user_block::Entity::delete_many()
        .filter(user_block::Column::BlockerId.eq(me.id))
        .filter(user_block::Column::BlockedId.eq(user_id))
        .exec(db)
        .await?;
    Ok(unblocked)
}

/// The caller's blocks, most recent first, before the row id `after_id`.
pub async fn blocked_by(
    db: &impl ConnectionTrait,
    blocker_id: i64,
    after_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<user_block::Model>> {
    let mut query = user_block::Entity::find().filter(user_block::Column::BlockerId.eq(blocker_id));
    if let Some(after) = after_id {
        query = query.filter(user_block::Column::Id.lt(after));
    }
    Ok(query
        .order_by_desc(user_block::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// How many users `blocker_id` has blocked.
pub async fn blocked_count(db: &impl ConnectionTrait, blocker_id: i64) -> AppResult<i64> {
    Ok(user_block::Entity::find()
        .filter(user_block::Column::BlockerId.eq(blocker_id))
        .count(db)
        .await? as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_condition_without_blocks() {
        let none = not_by(follow::Column::FollowerId, &HashSet::new());
        assert!(none.is_empty());
        let some = not_by(follow::Column::FollowerId, &HashSet::from([3]));
        assert!(!some.is_empty());
    }
}
