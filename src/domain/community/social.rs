//! Likes on posts, designs, shorts and comments, and follows (COMM-4). Each
//! like or follow row and the counter it feeds change in one transaction; the
//! unique index makes repeating either a no-op, so counts equal rows however
//! many requests race.
use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TryInsertResult,
};

use super::{designs, posts};
use crate::{
    db::begin_write,
    domain::{
        execute_sql,
        realtime::notifications::{self, NewNotification},
    },
    entities::{
        comment, follow,
        like::{self, LikeTarget},
        notification::NotificationKind,
        product::{self, ProductStatus},
        short,
        user::{self, UserStatus},
    },
    error::{AppError, AppResult},
    events::{DomainEvent, EventBus},
};

fn counter_table(target: LikeTarget) -> &'static str {
    match target {
        LikeTarget::Post => "posts",
        LikeTarget::Design => "designs",
        LikeTarget::Short => "shorts",
        LikeTarget::Comment => "comments",
    }
}

/// The global-id kind of a like target, for notification subjects.
fn subject_kind(target: LikeTarget) -> &'static str {
    match target {
        LikeTarget::Post => "Post",
        LikeTarget::Design => "Design",
        LikeTarget::Short => "Short",
        LikeTarget::Comment => "Comment",
    }
}

fn target_name(target: LikeTarget) -> &'static str {
    match target {
        LikeTarget::Post => "POST",
        LikeTarget::Design => "DESIGN",
        LikeTarget::Short => "SHORT",
        LikeTarget::Comment => "COMMENT",
    }
}

/// The owner of a likeable target the user may see, or `NOT_FOUND`.
async fn target_owner(
    db: &impl ConnectionTrait,
    user: &user::Model,
    target: LikeTarget,
    id: i64,
) -> AppResult<i64> {
    let missing = || {
        AppError::not_found(match target {
            LikeTarget::Post => "Post",
            LikeTarget::Design => "Design",
            LikeTarget::Short => "Short",
            LikeTarget::Comment => "Comment",
        })
    };
    match target {
        LikeTarget::Post => Ok(posts::find_live(db, id)
            .await?
            .ok_or_else(missing)?
            .author_id),
        LikeTarget::Design => Ok(designs::find_visible(db, id, Some(user))
            .await?
            .ok_or_else(missing)?
            .owner_id),
        LikeTarget::Comment => Ok(comment::Entity::find_by_id(id)
            .filter(comment::Column::DeletedAt.is_null())
            .filter(comment::Column::HiddenAt.is_null())
            .one(db)
            .await?
            .ok_or_else(missing)?
            .author_id),
        LikeTarget::Short => {
            let found = short::Entity::find_by_id(id)
                .filter(short::Column::HiddenAt.is_null())
                .one(db)
                .await?
                .ok_or_else(missing)?;
            let on_sale = product::Entity::find_by_id(found.product_id)
                .one(db)
                .await?
                .is_some_and(|p| p.status == ProductStatus::Active);
            if !on_sale {
                return Err(missing());
            }
            let owner = crate::entities::store::Entity::find_by_id(found.store_id)
                .one(db)
                .await?
                .map(|s| s.owner_id)
                .unwrap_or_default();
            Ok(owner)
        }
    }
}

/// Likes a target once; returns its like count afterwards.
pub async fn like(
    db: &DatabaseConnection,
    events: &EventBus,
    user: &user::Model,
    target: LikeTarget,
    id: i64,
) -> AppResult<i64> {
    let txn = begin_write(db).await?;
    let owner = target_owner(&txn, user, target, id).await?;
    let inserted = like::Entity::insert(like::ActiveModel {
        user_id: Set(user.id),
        target_type: Set(target),
        target_id: Set(id),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([
        like::Column::TargetType,
        like::Column::TargetId,
        like::Column::UserId,
    ])
    .exec_without_returning(&txn)
    .await?;
    let fresh = matches!(inserted, TryInsertResult::Inserted(n) if n > 0);
    if fresh {
        let table = counter_table(target);
        execute_sql(
            &txn,
            &format!("UPDATE {table} SET like_count = like_count + 1 WHERE id = ?"),
            vec![id.into()],
        )
        .await?;
        if target == LikeTarget::Post {
            posts::refresh_engagement(&txn, id).await?;
        }
    }
    let notice = if fresh {
        notifications::notify(
            &txn,
            NewNotification {
                recipient_id: owner,
                kind: NotificationKind::Like,
                actor_id: Some(user.id),
                subject: Some((subject_kind(target), id)),
                data: serde_json::json!({ "targetType": target_name(target) }),
            },
        )
        .await?
    } else {
        None
    };
    let count = like_count(&txn, target, id).await?;
    txn.commit().await?;
    notifications::publish(events, notice);
    if fresh {
        events.publish(DomainEvent::Liked {
            user_id: user.id,
            target_type: target_name(target).into(),
            target_id: id,
            owner_id: owner,
        });
    }
    Ok(count)
}

/// Removes a like (a no-op when there is none); returns the count afterwards.
pub async fn unlike(
    db: &DatabaseConnection,
    events: &EventBus,
    user: &user::Model,
    target: LikeTarget,
    id: i64,
) -> AppResult<i64> {
    let txn = begin_write(db).await?;
    let removed = like::Entity::delete_many()
        .filter(like::Column::UserId.eq(user.id))
        .filter(like::Column::TargetType.eq(target))
        .filter(like::Column::TargetId.eq(id))
        .exec(&txn)
        .await?
        .rows_affected;
    if removed == 1 {
        let table = counter_table(target);
        execute_sql(
            &txn,
            &format!("UPDATE {table} SET like_count = like_count - 1 WHERE id = ?"),
            vec![id.into()],
        )
        .await?;
        if target == LikeTarget::Post {
            posts::refresh_engagement(&txn, id).await?;
        }
    }
    let count = like_count(&txn, target, id).await?;
    txn.commit().await?;
    if removed == 1 {
        events.publish(DomainEvent::Unliked {
            user_id: user.id,
            target_type: target_name(target).into(),
            target_id: id,
        });
    }
    Ok(count)
}

async fn like_count(db: &impl ConnectionTrait, target: LikeTarget, id: i64) -> AppResult<i64> {
    let table = counter_table(target);
    let row = db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            db.get_database_backend(),
            crate::domain::placeholders(
                db.get_database_backend(),
                &format!("SELECT like_count FROM {table} WHERE id = ?"),
            ),
            [id.into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => r.try_get("", "like_count")?,
        None => 0,
    })
}

/// Follows an active user (not oneself); repeating is a no-op.
pub async fn follow(
    db: &DatabaseConnection,
    events: &EventBus,
    follower: &user::Model,
    followee_id: i64,
) -> AppResult<user::Model> {
    if followee_id == follower.id {
        return Err(AppError::validation("userId", "you cannot follow yourself"));
    }
    let txn = begin_write(db).await?;
    user::Entity::find_by_id(followee_id)
        .one(&txn)
        .await?
        .filter(|u| u.status == UserStatus::Active)
        .ok_or_else(|| AppError::not_found("User"))?;
    // Locked first, so that a block committed meanwhile is seen here (and
    // a block waiting on us sees this follow and ends it).
    super::blocks::lock_pair(&txn, follower.id, followee_id).await?;
    super::blocks::ensure_not_blocked(&txn, follower.id, &[followee_id], "cannot follow").await?;
    let inserted = follow::Entity::insert(follow::ActiveModel {
        follower_id: Set(follower.id),
        followee_id: Set(followee_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([follow::Column::FollowerId, follow::Column::FolloweeId])
    .exec_without_returning(&txn)
    .await?;
    let fresh = matches!(inserted, TryInsertResult::Inserted(n) if n > 0);
    if fresh {
        execute_sql(
            &txn,
            "UPDATE users SET follower_count = follower_count + 1 WHERE id = ?",
            vec![followee_id.into()],
        )
        .await?;
        execute_sql(
            &txn,
            "UPDATE users SET following_count = following_count + 1 WHERE id = ?",
            vec![follower.id.into()],
        )
        .await?;
    }
    let notice = if fresh {
        notifications::notify(
            &txn,
            NewNotification {
                recipient_id: followee_id,
                kind: NotificationKind::Follow,
                actor_id: Some(follower.id),
                subject: Some(("User", follower.id)),
                data: serde_json::json!({}),
            },
        )
        .await?
    } else {
        None
    };
    let followee = user::Entity::find_by_id(followee_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("User"))?;
    txn.commit().await?;
    notifications::publish(events, notice);
    if fresh {
        events.publish(DomainEvent::Followed {
            follower_id: follower.id,
            followee_id,
        });
    }
    Ok(followee)
}

pub async fn unfollow(
    db: &DatabaseConnection,
    follower: &user::Model,
    followee_id: i64,
) -> AppResult<user::Model> {
    let txn = begin_write(db).await?;
    // The same lock order as `follow` and `blockUser`: no deadlock with them.
    super::blocks::lock_pair(&txn, follower.id, followee_id).await?;
    let removed = follow::Entity::delete_many()
        .filter(follow::Column::FollowerId.eq(follower.id))
        .filter(follow::Column::FolloweeId.eq(followee_id))
        .exec(&txn)
        .await?
        .rows_affected;
    if removed == 1 {
        execute_sql(
            &txn,
            "UPDATE users SET follower_count = follower_count - 1 WHERE id = ?",
            vec![followee_id.into()],
        )
        .await?;
        execute_sql(
            &txn,
            "UPDATE users SET following_count = following_count - 1 WHERE id = ?",
            vec![follower.id.into()],
        )
        .await?;
    }
    let followee = user::Entity::find_by_id(followee_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("User"))?;
    txn.commit().await?;
    Ok(followee)
}

/// Which side of a user's follows to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FollowSide {
    /// Who follows the user.
    Followers,
    /// Whom the user follows.
    Following,
}

/// Follow rows of a user's followers (or of whom they follow), newest first,
/// without the users in the viewer's `hidden` set (blocks).
pub async fn follows(
    db: &DatabaseConnection,
    user_id: i64,
    side: FollowSide,
    hidden: &std::collections::HashSet<i64>,
    after_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<follow::Model>> {
    let mut query = follow::Entity::find().filter(match side {
        FollowSide::Followers => follow::Column::FolloweeId.eq(user_id),
        FollowSide::Following => follow::Column::FollowerId.eq(user_id),
    });
    query = query.filter(match side {
        FollowSide::Followers => super::blocks::not_by(follow::Column::FollowerId, hidden),
        FollowSide::Following => super::blocks::not_by(follow::Column::FolloweeId, hidden),
    });
    if let Some(after) = after_id {
        query = query.filter(follow::Column::Id.lt(after));
    }
    Ok(query
        .order_by_desc(follow::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
