//! Posts and one-level comments (COMM-4). Counts (comments, replies) and the
//! post's engagement score change in the same transaction as the rows.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};

use super::designs;
use crate::{
    db::begin_write,
    domain::{
        execute_sql, text,
        uploads::{self, CheckedImage, StoredFiles, insert_upload},
    },
    entities::{
        comment, post,
        user::{self, Role},
    },
    error::{AppError, AppResult},
    events::{DomainEvent, EventBus},
    infra::storage::Storage,
    jobs::JobQueue,
};

/// Whether a post is shown to readers (deleted posts are not).
pub fn visible(post: &post::Model) -> bool {
    post.deleted_at.is_none() && post.hidden_at.is_none()
}

pub const MAX_IMAGES: usize = 10;

/// Recomputes a post's engagement score from its current counts, inside the
/// transaction that just changed them.
pub async fn refresh_engagement(txn: &impl ConnectionTrait, post_id: i64) -> AppResult<()> {
    if let Some(p) = post::Entity::find_by_id(post_id).one(txn).await? {
        execute_sql(
            txn,
            "UPDATE posts SET engagement_score = ? WHERE id = ?",
            vec![
                super::engagement_score(p.like_count, p.comment_count).into(),
                post_id.into(),
            ],
        )
        .await?;
    }
    Ok(())
}

/// The images of a new post: sent with it (multipart), then earlier
/// uploads of the author's (`imageUploadIds`), in that order.
#[derive(Default)]
pub struct PostImages {
    pub sent: Vec<CheckedImage>,
    pub upload_ids: Vec<String>,
}

/// A new post.
pub struct NewPost<'a> {
    pub body: &'a str,
    pub design_id: Option<i64>,
    pub images: PostImages,
}

pub async fn create(
    db: &DatabaseConnection,
    events: &EventBus,
    storage: &dyn Storage,
    jobs: &JobQueue,
    author: &user::Model,
    new: NewPost<'_>,
) -> AppResult<post::Model> {
    let NewPost {
        body,
        design_id,
        images,
    } = new;
    let body = text("body", body, 1, 2000, true)?;
    if images.sent.len() + images.upload_ids.len() > MAX_IMAGES {
        return Err(AppError::validation(
            "images",
            format!("at most {MAX_IMAGES} images"),
        ));
    }
    if let Some(id) = design_id
        && designs::find_visible(db, id, Some(author)).await?.is_none()
    {
        return Err(AppError::not_found("Design"));
    }
    let uploaded = uploads::usable(db, author.id, "imageUploadIds", &images.upload_ids).await?;
    let mut files = StoredFiles::new(storage);
    let result = async {
        let mut rows = Vec::with_capacity(images.sent.len());
        for image in images.sent {
            rows.push(files.store(author.id, image).await?);
        }
        let txn = begin_write(db).await?;
        let created = post::ActiveModel {
            author_id: Set(author.id),
            body: Set(body),
            design_id: Set(design_id),
            like_count: Set(0),
            comment_count: Set(0),
            engagement_score: Set(0.0),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let mut ids = Vec::with_capacity(rows.len() + uploaded.len());
        for row in rows {
            ids.push(insert_upload(&txn, jobs, row).await?.id);
        }
        ids.extend(uploaded.into_iter().map(|u| u.id));
        for (position, upload_id) in ids.into_iter().enumerate() {
            post::image::ActiveModel {
                post_id: Set(created.id),
                upload_id: Set(upload_id),
                position: Set(position as i32),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        txn.commit().await?;
        jobs.wake();
        Ok::<_, AppError>(created)
    }
    .await;
    match result {
        Ok(created) => {
            files.commit();
            events.publish(DomainEvent::PostCreated {
                post_id: created.id,
                author_id: author.id,
            });
            Ok(created)
        }
        Err(e) => {
            files.discard().await;
            Err(e)
        }
    }
}

/// A post that has not been deleted.
pub async fn find_live(db: &impl ConnectionTrait, id: i64) -> AppResult<Option<post::Model>> {
    Ok(post::Entity::find_by_id(id)
        .filter(post::Column::DeletedAt.is_null())
        // Hidden by moderation: gone like a deleted post (admins: moderation::find_post_for).
        .filter(post::Column::HiddenAt.is_null())
        .one(db)
        .await?)
}

/// Soft-deletes a post (its author or an admin).
pub async fn delete(
    db: &DatabaseConnection,
    events: &EventBus,
    actor: &user::Model,
    id: i64,
) -> AppResult<()> {
    let found = find_live(db, id)
        .await?
        .ok_or_else(|| AppError::not_found("Post"))?;
    if found.author_id != actor.id && actor.role != Role::Admin {
        return Err(AppError::forbidden(
            "only the author or an admin can delete this post",
        ));
    }
    post::Entity::update_many()
        .col_expr(post::Column::DeletedAt, Expr::value(Utc::now()))
        .filter(post::Column::Id.eq(id))
        .filter(post::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    events.publish(DomainEvent::PostDeleted { post_id: id });
    Ok(())
}

/// Live posts, newest first (of one author when given), without those by
/// the viewer's `hidden` authors (blocks).
pub async fn list(
    db: &DatabaseConnection,
    author_id: Option<i64>,
    hidden: &std::collections::HashSet<i64>,
    after_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<post::Model>> {
    let mut query = post::Entity::find().filter(post::Column::DeletedAt.is_null());
    query = query.filter(post::Column::HiddenAt.is_null());
    query = query.filter(super::blocks::not_by(post::Column::AuthorId, hidden));
    if let Some(a) = author_id {
        query = query.filter(post::Column::AuthorId.eq(a));
    }
    if let Some(after) = after_id {
        query = query.filter(post::Column::Id.lt(after));
    }
    Ok(query
        .order_by_desc(post::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Comments on a post or replies to a comment; replies may not be replied to.
pub async fn add_comment(
    db: &DatabaseConnection,
    events: &EventBus,
    author: &user::Model,
    post_id: i64,
    parent_id: Option<i64>,
    body: &str,
) -> AppResult<comment::Model> {
    let body = text("body", body, 1, 1000, true)?;
    let txn = begin_write(db).await?;
    let target = find_live(&txn, post_id)
        .await?
        .ok_or_else(|| AppError::not_found("Post"))?;
    let parent = match parent_id {
        None => None,
        Some(pid) => {
            let parent = comment::Entity::find_by_id(pid)
                .filter(comment::Column::DeletedAt.is_null())
                .filter(comment::Column::HiddenAt.is_null())
                .one(&txn)
                .await?
                .filter(|c| c.post_id == post_id)
                .ok_or_else(|| AppError::not_found("Comment"))?;
            if parent.parent_id.is_some() {
                return Err(AppError::validation(
                    "parentId",
                    "replies are one level deep: reply to the top comment",
                ));
            }
            Some(parent)
        }
    };
    let created = comment::ActiveModel {
        post_id: Set(post_id),
        author_id: Set(author.id),
        parent_id: Set(parent_id),
        body: Set(body),
        like_count: Set(0),
        reply_count: Set(0),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    execute_sql(
        &txn,
        "UPDATE posts SET comment_count = comment_count + 1 WHERE id = ?",
        vec![post_id.into()],
    )
    .await?;
    if let Some(p) = &parent {
        execute_sql(
            &txn,
            "UPDATE comments SET reply_count = reply_count + 1 WHERE id = ?",
            vec![p.id.into()],
        )
        .await?;
    }
    refresh_engagement(&txn, post_id).await?;
    // The post's author hears of comments, a parent comment's author of
    // replies (once, when that is the same person).
    let excerpt: String = created.body.chars().take(100).collect();
    let mut recipients = vec![target.author_id];
    if let Some(p) = &parent
        && p.author_id != target.author_id
    {
        recipients.push(p.author_id);
    }
    let mut notices = Vec::new();
    for recipient in recipients {
        let notice = crate::domain::realtime::notifications::notify(
            &txn,
            crate::domain::realtime::notifications::NewNotification {
                recipient_id: recipient,
                kind: crate::entities::notification::NotificationKind::Comment,
                actor_id: Some(author.id),
                subject: Some(("Post", post_id)),
                data: serde_json::json!({
                    "commentId": created.id,
                    "reply": parent.is_some(),
                    "excerpt": excerpt,
                }),
            },
        )
        .await?;
        notices.extend(notice);
    }
    txn.commit().await?;
    crate::domain::realtime::notifications::publish(events, notices);
    events.publish(DomainEvent::Commented {
        comment_id: created.id,
        post_id,
        author_id: author.id,
        post_author_id: target.author_id,
        parent_author_id: parent.map(|p| p.author_id),
    });
    Ok(created)
}

/// Soft-deletes a comment (its author, the post's author or an admin); a
/// top-level comment takes its replies with it. Counts drop by what was live.
pub async fn delete_comment(
    db: &DatabaseConnection,
    events: &EventBus,
    actor: &user::Model,
    id: i64,
) -> AppResult<()> {
    let txn = begin_write(db).await?;
    let found = comment::Entity::find_by_id(id)
        .filter(comment::Column::DeletedAt.is_null())
        .filter(comment::Column::HiddenAt.is_null())
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("Comment"))?;
    let post_author = post::Entity::find_by_id(found.post_id)
        .one(&txn)
        .await?
        .map(|p| p.author_id);
    if found.author_id != actor.id && post_author != Some(actor.id) && actor.role != Role::Admin {
        return Err(AppError::forbidden(
            "only the comment's author, the post's author or an admin can delete it",
        ));
    }
    let now = Utc::now();
    let mut removed = comment::Entity::update_many()
        .col_expr(comment::Column::DeletedAt, Expr::value(now))
        .filter(comment::Column::Id.eq(id))
        .filter(comment::Column::DeletedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected as i64;
    if found.parent_id.is_none() {
        removed += comment::Entity::update_many()
            .col_expr(comment::Column::DeletedAt, Expr::value(now))
            .filter(comment::Column::ParentId.eq(id))
            .filter(comment::Column::DeletedAt.is_null())
            // Hidden replies already left the counts.
            .filter(comment::Column::HiddenAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected as i64;
    } else if let Some(parent) = found.parent_id {
        execute_sql(
            &txn,
            "UPDATE comments SET reply_count = reply_count - 1 WHERE id = ?",
            vec![parent.into()],
        )
        .await?;
    }
    execute_sql(
        &txn,
        "UPDATE posts SET comment_count = comment_count - ? WHERE id = ?",
        vec![removed.into(), found.post_id.into()],
    )
    .await?;
    refresh_engagement(&txn, found.post_id).await?;
    txn.commit().await?;
    events.publish(DomainEvent::CommentDeleted {
        comment_id: id,
        post_id: found.post_id,
    });
    Ok(())
}

/// Top-level comments (or the replies of `parent_id`), oldest first,
/// without those by the viewer's `hidden` authors (blocks).
pub async fn comments(
    db: &DatabaseConnection,
    post_id: i64,
    parent_id: Option<i64>,
    hidden: &std::collections::HashSet<i64>,
    after_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<comment::Model>> {
    let mut query = comment::Entity::find()
        .filter(comment::Column::PostId.eq(post_id))
        .filter(comment::Column::DeletedAt.is_null())
        .filter(comment::Column::HiddenAt.is_null());
    query = query.filter(super::blocks::not_by(comment::Column::AuthorId, hidden));
    query = match parent_id {
        Some(p) => query.filter(comment::Column::ParentId.eq(p)),
        None => query.filter(comment::Column::ParentId.is_null()),
    };
    if let Some(after) = after_id {
        query = query.filter(comment::Column::Id.gt(after));
    }
    Ok(query
        .order_by_asc(comment::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
