//! Notifications (RT-2, RT-3). [`notify`] is called inside the transaction of
//! whatever causes the notification, so a notification exists exactly when
//! its cause committed; the caller publishes the returned rows after commit
//! ([`publish`]). Reading, replay after a cursor, unread counts and marking
//! read live here too.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use serde_json::Value;

use crate::{
    db::begin_write,
    entities::notification::{self, NotificationKind},
    error::{AppError, AppResult},
    events::{DomainEvent, EventBus},
    realtime::{SyncEvent, SyncKind},
};

/// A notification to create.
pub struct NewNotification {
    pub recipient_id: i64,
    pub kind: NotificationKind,
    pub actor_id: Option<i64>,
    /// `("Post", 42)`: the global-id kind and row id it is about.
    pub subject: Option<(&'static str, i64)>,
    pub data: Value,
}

/// Stores a notification inside the caller's transaction. Nobody is notified
/// of their own actions (`None`). A LIKE or FOLLOW repeated after an undo
/// does not notify again while the first one is still unread.
pub async fn notify(
    txn: &impl ConnectionTrait,
    new: NewNotification,
) -> AppResult<Option<notification::Model>> {
    if new.actor_id == Some(new.recipient_id) {
        return Ok(None);
    }
    // Nothing reaches a user from someone either of them blocked (likes,
    // comments, messages in a group, and any mention).
    if let Some(actor) = new.actor_id
        && crate::domain::community::blocks::between(txn, actor, new.recipient_id).await?
    {
        return Ok(None);
    }
    if matches!(new.kind, NotificationKind::Like | NotificationKind::Follow) {
        let mut repeat = notification::Entity::find()
            .filter(notification::Column::RecipientId.eq(new.recipient_id))
            .filter(notification::Column::Kind.eq(new.kind))
            .filter(notification::Column::ActorId.eq(new.actor_id))
            .filter(notification::Column::ReadAt.is_null());
        if let Some((kind, id)) = new.subject {
            repeat = repeat
                .filter(notification::Column::SubjectType.eq(kind))
                .filter(notification::Column::SubjectId.eq(id));
        }
        if repeat.count(txn).await? > 0 {
            return Ok(None);
        }
    }
    let row = notification::ActiveModel {
        recipient_id: Set(new.recipient_id),
        kind: Set(new.kind),
        actor_id: Set(new.actor_id),
        subject_type: Set(new.subject.map(|(k, _)| k.to_owned())),
        subject_id: Set(new.subject.map(|(_, id)| id)),
        data: Set(new.data.to_string()),
        created_at: Set(Utc::now()),
        read_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    // Pushed to the recipient's browsers when no socket of theirs is open
    // (decided by the job when it runs).
    super::web_push::enqueue(txn, &row).await?;
    Ok(Some(row))
}

/// Pushes committed notifications to their recipients.
pub fn publish(events: &EventBus, created: impl IntoIterator<Item = notification::Model>) {
    for n in created {
        events.publish(DomainEvent::NotificationCreated(n));
    }
}

/// Stores and pushes one notification on its own (system notices such as
/// ADMIN_ALERT or DESIGN_READY raised outside another transaction).
pub async fn send(
    db: &DatabaseConnection,
    events: &EventBus,
    new: NewNotification,
) -> AppResult<Option<notification::Model>> {
    let created = notify(db, new).await?;
    publish(events, created.clone());
    Ok(created)
}

/// A page of the user's notifications, newest first, before `before_id`;
/// none from actors in the user's `hidden` set (blocks).
pub async fn list(
    db: &impl ConnectionTrait,
    user_id: i64,
    hidden: &std::collections::HashSet<i64>,
    before_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<notification::Model>> {
    let mut query = notification::Entity::find()
        .filter(notification::Column::RecipientId.eq(user_id))
        .filter(crate::domain::community::blocks::not_by(
            notification::Column::ActorId,
            hidden,
        ))
        .order_by_desc(notification::Column::Id)
        .limit(limit);
    if let Some(before) = before_id {
        query = query.filter(notification::Column::Id.lt(before));
    }
    Ok(query.all(db).await?)
}

/// The user's notifications with ids above `after_id`, oldest first: the
/// replay of `notificationReceived(after:)`.
pub async fn after(
    db: &impl ConnectionTrait,
    user_id: i64,
    after_id: i64,
    limit: u64,
) -> AppResult<Vec<notification::Model>> {
    Ok(notification::Entity::find()
        .filter(notification::Column::RecipientId.eq(user_id))
        .filter(notification::Column::Id.gt(after_id))
        .order_by_asc(notification::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// The newest notification id of the user (0 when none).
pub async fn latest_id(db: &impl ConnectionTrait, user_id: i64) -> AppResult<i64> {
    Ok(notification::Entity::find()
        .select_only()
        .column_as(notification::Column::Id.max(), "max_id")
        .filter(notification::Column::RecipientId.eq(user_id))
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten()
        .unwrap_or(0))
}

/// Unread notifications the user can see (none from a blocked pair's other
/// side, as in [`list`]).
pub async fn unread_count(db: &impl ConnectionTrait, user_id: i64) -> AppResult<i64> {
    Ok(notification::Entity::find()
        .filter(notification::Column::RecipientId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null())
        .filter(crate::domain::community::blocks::not_hidden_from(
            notification::Column::ActorId,
            user_id,
        ))
        .count(db)
        .await? as i64)
}

/// Which notifications to mark read.
pub enum Selection {
    Ids(Vec<i64>),
    All,
}

/// Most ids one `markNotificationsRead` may name.
pub const MAX_MARK_IDS: usize = 500;

/// What [`mark_read`] changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarkedRead {
    /// Notifications that changed from unread to read.
    pub updated: u64,
    /// The user's unread notifications after the change.
    pub unread: i64,
}

/// Marks notifications of `user_id` read and, after commit, publishes the
/// device-sync event (the unread count after the change, read in the same
/// transaction) for the user's other devices. Ids of other users'
/// notifications are refused.
pub async fn mark_read(
    db: &DatabaseConnection,
    events: &EventBus,
    user_id: i64,
    selection: Selection,
    device_id: &str,
) -> AppResult<MarkedRead> {
    let device_id = super::device_id(device_id)?;
    let txn = begin_write(db).await?;
    let now = Utc::now();
    let (updated, ids, all) = match selection {
        Selection::All => {
            let updated = notification::Entity::update_many()
                .col_expr(notification::Column::ReadAt, Expr::value(now))
                .filter(notification::Column::RecipientId.eq(user_id))
                .filter(notification::Column::ReadAt.is_null())
                .exec(&txn)
                .await?
                .rows_affected;
            (updated, Vec::new(), true)
        }
        Selection::Ids(mut ids) => {
            ids.sort_unstable();
            ids.dedup();
            if ids.is_empty() || ids.len() > MAX_MARK_IDS {
                return Err(AppError::validation(
                    "ids",
                    format!("`ids` must name 1 to {MAX_MARK_IDS} notifications"),
                ));
            }
            let owned = notification::Entity::find()
                .filter(notification::Column::Id.is_in(ids.clone()))
                .filter(notification::Column::RecipientId.eq(user_id))
                .count(&txn)
                .await? as usize;
            if owned != ids.len() {
                return Err(AppError::not_found("Notification"));
            }
            let updated = notification::Entity::update_many()
                .col_expr(notification::Column::ReadAt, Expr::value(now))
                .filter(notification::Column::Id.is_in(ids.clone()))
                .filter(notification::Column::ReadAt.is_null())
                .exec(&txn)
                .await?
                .rows_affected;
            (updated, ids, false)
        }
    };
    let unread = unread_count(&txn, user_id).await?;
    txn.commit().await?;
    events.publish(DomainEvent::DeviceSynced {
        user_id,
        sync: SyncEvent {
            device_id,
            kind: SyncKind::NotificationsRead,
            notification_ids: ids,
            all,
            conversation_id: None,
            unread_notifications: unread,
            unread_messages: None,
        },
    });
    Ok(MarkedRead { updated, unread })
}
