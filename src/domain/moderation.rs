//! Community safety (issue 22): reports of content and accounts, the admin
//! moderation queue, and what each resolution does.
//!
//! - Anyone signed in reports what they can read (a message only as a
//!   member of its conversation), never their own content or account; one
//!   OPEN report per reporter and target: a second answers CONFLICT (the
//!   database's partial unique index decides under concurrency).
//! - DISMISS closes the one report. HIDE_CONTENT sets the target's
//!   `hidden_at` and resolves every OPEN report on the same target with the
//!   same action. SUSPEND_USER suspends the target's author (or the reported
//!   account) with the existing KICKED state (no sign-in, every session
//!   revoked, tokens refused at once; their content stays up) and, likewise,
//!   resolves every OPEN report on that target.
//! - Every resolved report notifies its reporter (REPORT_RESOLVED); hiding
//!   notifies the author (CONTENT_HIDDEN).
//!
//! Hidden content is gone for everyone but admins, its author included: lists
//! (feed, search, comments, designs, shorts, reviews, messages, recommendations)
//! filter `hidden_at IS NULL`, and reads by id answer as for a deleted row.
//! Counters follow what readers see: a hidden comment (with a top-level
//! comment's replies) leaves its post's `comment_count` and its parent's
//! `reply_count` as a deletion does; a hidden review leaves its product's
//! and store's rating aggregates. Likes on hidden posts, designs and shorts
//! are kept (hiding is reversible by hand, and the rows are still there).
use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};
use serde_json::json;

use crate::{
    db::begin_write,
    domain::{
        accounts,
        community::{designs, posts},
        execute_sql,
        realtime::{chat, notifications},
    },
    entities::{
        comment, design, message,
        notification::NotificationKind,
        post, product,
        report::{self, ReportAction, ReportReason, ReportStatus, ReportTarget},
        review,
        session::RevokedReason,
        short, store,
        user::{self, Role, UserStatus},
    },
    error::{AppError, AppResult},
    events::{DomainEvent, EventBus},
};

/// Longest note on a report or a resolution (characters).
pub const MAX_NOTE_CHARS: usize = 1000;
/// Reports one account may file per hour (charged on the rate limiter).
pub const REPORTS_PER_HOUR: u64 = 30;

/// A report to file.
pub struct NewReport {
    pub target: ReportTarget,
    pub target_id: i64,
    pub reason: ReportReason,
    pub note: Option<String>,
}

/// A trimmed optional note: empty is none, longer than the limit is refused.
fn note(field: &str, raw: Option<&str>) -> AppResult<Option<String>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) if s.chars().count() > MAX_NOTE_CHARS => Err(AppError::validation(
            field,
            format!("`{field}` must be at most {MAX_NOTE_CHARS} characters"),
        )),
        Some(s) => Ok(Some(s.to_owned())),
    }
}

/// The global-id kind of a target (in NOT_FOUND errors and notifications).
pub fn entity_name(target: ReportTarget) -> &'static str {
    match target {
        ReportTarget::Post => "Post",
        ReportTarget::Comment => "Comment",
        ReportTarget::Design => "Design",
        ReportTarget::Short => "Short",
        ReportTarget::Review => "Review",
        ReportTarget::User => "User",
        ReportTarget::Message => "Message",
    }
}

/// The author of a target `reader` may read (the account itself for a USER
/// target); NOT_FOUND when it does not exist, is deleted or hidden, or the
/// reader may not see it.
pub async fn readable_author(
    db: &impl ConnectionTrait,
    reader: &user::Model,
    target: ReportTarget,
    id: i64,
) -> AppResult<i64> {
    let missing = || AppError::not_found(entity_name(target));
    let author = match target {
        ReportTarget::Post => posts::find_live(db, id).await?.map(|p| p.author_id),
        ReportTarget::Comment => {
            match comment::Entity::find_by_id(id)
                .filter(comment::Column::DeletedAt.is_null())
                .filter(comment::Column::HiddenAt.is_null())
                .one(db)
                .await?
            {
                Some(c) if posts::find_live(db, c.post_id).await?.is_some() => Some(c.author_id),
                _ => None,
            }
        }
        ReportTarget::Design => designs::find_visible(db, id, Some(reader))
            .await?
            .filter(|d| d.hidden_at.is_none())
            .map(|d| d.owner_id),
        ReportTarget::Short => match short::Entity::find_by_id(id)
            .filter(short::Column::HiddenAt.is_null())
            .one(db)
            .await?
        {
            Some(s) => {
                let owner = store::Entity::find_by_id(s.store_id)
                    .one(db)
                    .await?
                    .map(|st| st.owner_id);
                let product = product::Entity::find_by_id(s.product_id).one(db).await?;
                crate::domain::commerce::shorts::visible_to(product.as_ref(), owner, Some(reader))
                    .then_some(owner)
                    .flatten()
            }
            None => None,
        },
        ReportTarget::Review => review::Entity::find_by_id(id)
            .filter(review::Column::HiddenAt.is_null())
            .one(db)
            .await?
            .map(|r| r.user_id),
        ReportTarget::User => user::Entity::find_by_id(id)
            .one(db)
            .await?
            .filter(|u| accounts::visible_to(u, Some(reader)))
            .map(|u| u.id),
        ReportTarget::Message => match message::Entity::find_by_id(id)
            .filter(message::Column::HiddenAt.is_null())
            .one(db)
            .await?
        {
            // Only a member of the conversation has read it.
            Some(m) => chat::ensure_member(db, reader.id, m.conversation_id)
                .await
                .ok()
                .map(|()| m.sender_id),
            None => None,
        },
    };
    author.ok_or_else(missing)
}

/// Files a report (any signed-in account). The rate limit is the caller's.
pub async fn report_content(
    db: &DatabaseConnection,
    reporter: &user::Model,
    new: NewReport,
) -> AppResult<report::Model> {
    let note = note("note", new.note.as_deref())?;
    let author = readable_author(db, reporter, new.target, new.target_id).await?;
    if author == reporter.id {
        return Err(AppError::validation(
            "targetId",
            "you cannot report your own content or account",
        ));
    }
    let open = report::Entity::find()
        .filter(report::Column::ReporterId.eq(reporter.id))
        .filter(report::Column::TargetKind.eq(new.target))
        .filter(report::Column::TargetId.eq(new.target_id))
        .filter(report::Column::Status.eq(ReportStatus::Open))
        .count(db)
        .await?;
    let duplicate = || {
        AppError::conflict(
            "targetId",
            "you already have an open report on this; it is being reviewed",
        )
    };
    if open > 0 {
        return Err(duplicate());
    }
    report::ActiveModel {
        reporter_id: Set(reporter.id),
        target_kind: Set(new.target),
        target_id: Set(new.target_id),
        target_user_id: Set(Some(author)),
        reason: Set(new.reason),
        note: Set(note),
        status: Set(ReportStatus::Open),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| match e.sql_err() {
        // A concurrent report by the same reporter got in first.
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => duplicate(),
        _ => e.into(),
    })
}

/// One page of the queue with `status`, oldest first (keyset on id, which
/// grows with `created_at`), each with the number of reports (any status)
/// on its target.
pub async fn list(
    db: &impl ConnectionTrait,
    status: ReportStatus,
    after_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<(report::Model, i64)>> {
    let mut query = report::Entity::find().filter(report::Column::Status.eq(status));
    if let Some(after) = after_id {
        query = query.filter(report::Column::Id.gt(after));
    }
    let rows = query
        .order_by_asc(report::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let counts = target_counts(db, &rows).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let n = counts
                .get(&(r.target_kind, r.target_id))
                .copied()
                .unwrap_or(1);
            (r, n)
        })
        .collect())
}

/// Reports per target of `rows`, in one statement.
async fn target_counts(
    db: &impl ConnectionTrait,
    rows: &[report::Model],
) -> AppResult<HashMap<(ReportTarget, i64), i64>> {
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.target_id).collect();
    let found: Vec<(ReportTarget, i64, i64)> = report::Entity::find()
        .select_only()
        .column(report::Column::TargetKind)
        .column(report::Column::TargetId)
        .expr_as(
            sea_orm::sea_query::Func::count(Expr::col(report::Column::Id)),
            "n",
        )
        .filter(report::Column::TargetId.is_in(ids))
        .group_by(report::Column::TargetKind)
        .group_by(report::Column::TargetId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(found
        .into_iter()
        .map(|(kind, id, n)| ((kind, id), n))
        .collect())
}

/// One report with the count of reports on its target.
pub async fn find(db: &impl ConnectionTrait, id: i64) -> AppResult<(report::Model, i64)> {
    let found = report::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Report"))?;
    let n = target_counts(db, std::slice::from_ref(&found))
        .await?
        .get(&(found.target_kind, found.target_id))
        .copied()
        .unwrap_or(1);
    Ok((found, n))
}

/// Closes report `id` with `action` (admins), doing what the action says,
/// in one transaction with the notifications it causes.
pub async fn resolve(
    db: &DatabaseConnection,
    events: &EventBus,
    admin: &user::Model,
    id: i64,
    action: ReportAction,
    resolution_note: Option<&str>,
) -> AppResult<report::Model> {
    let resolution_note = note("note", resolution_note)?;
    let txn = begin_write(db).await?;
    let found = report::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("Report"))?;
    if found.status != ReportStatus::Open {
        return Err(AppError::conflict("id", "this report is already closed"));
    }
    let now = Utc::now();
    let mut after_commit: Vec<DomainEvent> = Vec::new();
    let mut notices = Vec::new();
    // Which open reports this resolution closes: the one, or all on the target.
    let mut closes = report::Entity::update_many()
        .col_expr(report::Column::Action, Expr::value(action))
        .col_expr(report::Column::ResolvedBy, Expr::value(admin.id))
        .col_expr(report::Column::ResolvedAt, Expr::value(now))
        .col_expr(
            report::Column::ResolutionNote,
            Expr::value(resolution_note.clone()),
        )
        .filter(report::Column::Status.eq(ReportStatus::Open));
    match action {
        ReportAction::Dismiss => {
            closes = closes
                .col_expr(report::Column::Status, Expr::value(ReportStatus::Dismissed))
                .filter(report::Column::Id.eq(found.id));
        }
        ReportAction::HideContent | ReportAction::SuspendUser => {
            closes = closes
                .col_expr(report::Column::Status, Expr::value(ReportStatus::Resolved))
                .filter(report::Column::TargetKind.eq(found.target_kind))
                .filter(report::Column::TargetId.eq(found.target_id));
        }
    }
    // Who hears of the outcome: the reporters of the reports closed now.
    let reporters: Vec<(i64, i64)> = match action {
        ReportAction::Dismiss => vec![(found.id, found.reporter_id)],
        _ => {
            report::Entity::find()
                .select_only()
                .column(report::Column::Id)
                .column(report::Column::ReporterId)
                .filter(report::Column::Status.eq(ReportStatus::Open))
                .filter(report::Column::TargetKind.eq(found.target_kind))
                .filter(report::Column::TargetId.eq(found.target_id))
                .into_tuple()
                .all(&txn)
                .await?
        }
    };
    match action {
        ReportAction::Dismiss => {}
        ReportAction::HideContent => {
            if let Some(event) = hide(&txn, found.target_kind, found.target_id, now).await? {
                after_commit.push(event);
            }
            if let Some(author) = found.target_user_id {
                notices.extend(
                    notifications::notify(
                        &txn,
                        notifications::NewNotification {
                            recipient_id: author,
                            kind: NotificationKind::ContentHidden,
                            actor_id: None,
                            subject: None,
                            data: json!({
                                "targetKind": found.target_kind.to_value(),
                                "targetId": crate::conventions::encode_id(
                                    entity_name(found.target_kind),
                                    found.target_id,
                                ).0,
                                "reason": found.reason.to_value(),
                            }),
                        },
                    )
                    .await?,
                );
            }
        }
        ReportAction::SuspendUser => {
            let target = found
                .target_user_id
                .ok_or_else(|| AppError::not_found("User"))?;
            if let Some(event) = suspend(&txn, admin, target, found.id).await? {
                after_commit.push(event);
            }
        }
    }
    if closes.exec(&txn).await?.rows_affected == 0 {
        // Another admin closed it between our read and this write.
        return Err(AppError::conflict("id", "this report is already closed"));
    }
    for (report_id, reporter) in reporters {
        notices.extend(
            notifications::notify(
                &txn,
                notifications::NewNotification {
                    recipient_id: reporter,
                    kind: NotificationKind::ReportResolved,
                    actor_id: None,
                    subject: Some(("Report", report_id)),
                    data: json!({
                        "action": action.to_value(),
                        "targetKind": found.target_kind.to_value(),
                        "targetId": crate::conventions::encode_id(
                            entity_name(found.target_kind),
                            found.target_id,
                        ).0,
                    }),
                },
            )
            .await?,
        );
    }
    let resolved = report::Entity::find_by_id(found.id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("Report"))?;
    txn.commit().await?;
    tracing::info!(
        admin_id = admin.id,
        report_id = found.id,
        ?action,
        "report resolved"
    );
    for event in after_commit {
        events.publish(event);
    }
    notifications::publish(events, notices);
    Ok(resolved)
}

/// Hides target `id` of `kind` and moves the counters that count it; the
/// event that tells search, feeds and caches. Hiding what is already hidden
/// (or deleted) changes nothing.
async fn hide(
    txn: &impl ConnectionTrait,
    kind: ReportTarget,
    id: i64,
    now: chrono::DateTime<Utc>,
) -> AppResult<Option<DomainEvent>> {
    let hidden = |post_id| {
        Some(DomainEvent::ContentHidden {
            target_type: kind.to_value(),
            target_id: id,
            post_id,
        })
    };
    macro_rules! set_hidden {
        ($entity:ident) => {
            $entity::Entity::update_many()
                .col_expr($entity::Column::HiddenAt, Expr::value(now))
                .filter($entity::Column::Id.eq(id))
                .filter($entity::Column::HiddenAt.is_null())
                .exec(txn)
                .await?
                .rows_affected
        };
    }
    Ok(match kind {
        ReportTarget::User => {
            return Err(AppError::validation(
                "action",
                "an account has no content to hide: use SUSPEND_USER",
            ));
        }
        ReportTarget::Post => (set_hidden!(post) > 0).then(|| hidden(Some(id))).flatten(),
        ReportTarget::Design => (set_hidden!(design) > 0).then(|| hidden(None)).flatten(),
        ReportTarget::Short => (set_hidden!(short) > 0).then(|| hidden(None)).flatten(),
        ReportTarget::Comment => hide_comment(txn, id, now)
            .await?
            .and_then(|p| hidden(Some(p))),
        ReportTarget::Review => {
            let Some(r) = review::Entity::find_by_id(id)
                .filter(review::Column::HiddenAt.is_null())
                .one(txn)
                .await?
            else {
                return Ok(None);
            };
            set_hidden!(review);
            // The aggregates stay the sum and count of the visible reviews.
            execute_sql(
                txn,
                "UPDATE products SET rating_sum = rating_sum - ?, review_count = review_count - 1, \
                 rating_avg = CASE WHEN review_count > 1 THEN (rating_sum - ?) * 1.0 / (review_count - 1) ELSE 0 END \
                 WHERE id = ? AND review_count > 0",
                vec![r.rating.into(), r.rating.into(), r.product_id.into()],
            )
            .await?;
            execute_sql(
                txn,
                "UPDATE stores SET rating_sum = rating_sum - ?, review_count = review_count - 1 \
                 WHERE id = ? AND review_count > 0",
                vec![r.rating.into(), r.store_id.into()],
            )
            .await?;
            hidden(None)
        }
        ReportTarget::Message => {
            let Some(m) = message::Entity::find_by_id(id).one(txn).await? else {
                return Ok(None);
            };
            if set_hidden!(message) == 0 {
                return Ok(None);
            }
            // The conversation's preview falls back to its last visible message.
            execute_sql(
                txn,
                "UPDATE conversations SET last_message_id = \
                 (SELECT MAX(id) FROM messages WHERE conversation_id = ? AND hidden_at IS NULL) \
                 WHERE id = ? AND last_message_id = ?",
                vec![
                    m.conversation_id.into(),
                    m.conversation_id.into(),
                    id.into(),
                ],
            )
            .await?;
            hidden(None)
        }
    })
}

/// Hides a comment (a top-level one with its replies) and takes what was
/// visible out of the counts, as `delete_comment` does; its post's id.
async fn hide_comment(
    txn: &impl ConnectionTrait,
    id: i64,
    now: chrono::DateTime<Utc>,
) -> AppResult<Option<i64>> {
    let Some(found) = comment::Entity::find_by_id(id)
        .filter(comment::Column::HiddenAt.is_null())
        .filter(comment::Column::DeletedAt.is_null())
        .one(txn)
        .await?
    else {
        return Ok(None);
    };
    let hide_where = |cond: comment::Column, value: i64| {
        comment::Entity::update_many()
            .col_expr(comment::Column::HiddenAt, Expr::value(now))
            .filter(cond.eq(value))
            .filter(comment::Column::HiddenAt.is_null())
            .filter(comment::Column::DeletedAt.is_null())
    };
    let mut removed = hide_where(comment::Column::Id, id)
        .exec(txn)
        .await?
        .rows_affected as i64;
    match found.parent_id {
        None => {
            removed += hide_where(comment::Column::ParentId, id)
                .exec(txn)
                .await?
                .rows_affected as i64;
        }
        Some(parent) => {
            execute_sql(
                txn,
                "UPDATE comments SET reply_count = reply_count - 1 WHERE id = ? AND reply_count > 0",
                vec![parent.into()],
            )
            .await?;
        }
    }
    execute_sql(
        txn,
        "UPDATE posts SET comment_count = comment_count - ? WHERE id = ?",
        vec![removed.into(), found.post_id.into()],
    )
    .await?;
    posts::refresh_engagement(txn, found.post_id).await?;
    Ok(Some(found.post_id))
}

/// Suspends account `user_id` (the KICKED state of `kickUser`: no sign-in,
/// every session revoked); the event that closes its live connections.
/// Admins cannot be suspended; an account already kicked or deleted is left
/// as it is.
async fn suspend(
    txn: &impl ConnectionTrait,
    admin: &user::Model,
    user_id: i64,
    report_id: i64,
) -> AppResult<Option<DomainEvent>> {
    let target = user::Entity::find_by_id(user_id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("User"))?;
    if target.role == Role::Admin || target.id == admin.id {
        return Err(AppError::forbidden("admins cannot be suspended"));
    }
    if target.status != UserStatus::Active {
        return Ok(None);
    }
    let reason = format!("suspended after report #{report_id}");
    let mut active: user::ActiveModel = target.into();
    active.status = Set(UserStatus::Kicked);
    active.status_reason = Set(Some(reason.clone()));
    active.updated_at = Set(Utc::now());
    active.update(txn).await?;
    crate::auth::sessions::revoke_all_sessions(txn, user_id, RevokedReason::Kicked, None).await?;
    Ok(Some(DomainEvent::UserKicked { user_id, reason }))
}

/// Whether a hidden row is shown to `viewer`: only to admins.
pub fn shows_hidden(viewer: Option<&user::Model>) -> bool {
    accounts::is_admin(viewer)
}

/// A post by id for an admin, hidden or not (deleted ones stay gone).
pub async fn find_post_for(
    db: &impl ConnectionTrait,
    id: i64,
    viewer: Option<&user::Model>,
) -> AppResult<Option<post::Model>> {
    let mut query = post::Entity::find_by_id(id).filter(post::Column::DeletedAt.is_null());
    if !shows_hidden(viewer) {
        query = query.filter(post::Column::HiddenAt.is_null());
    }
    Ok(query.one(db).await?)
}
