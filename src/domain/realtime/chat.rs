//! Chat (RT-5): direct, group and store-inquiry conversations, messages with
//! cursor history and per-member read markers. Only members read or write;
//! to anyone else a conversation does not exist (`NOT_FOUND`).
use std::collections::{BTreeSet, HashSet};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TryInsertResult,
    sea_query::Expr,
};
use serde_json::json;

use super::notifications::{self, NewNotification};
use crate::{
    db::begin_write,
    domain::community::blocks,
    entities::{
        conversation::{self, ConversationKind},
        conversation_member, inquiry, message,
        notification::{self, NotificationKind},
        store,
        user::{self, UserStatus},
    },
    error::{AppError, AppResult},
    events::{DomainEvent, EventBus},
    realtime::{SyncEvent, SyncKind, TypingEvent},
};

/// Most members of a group conversation, its creator included.
pub const MAX_GROUP_MEMBERS: usize = 100;
/// Longest message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4000;

pub struct StartConversation {
    pub kind: ConversationKind,
    pub member_ids: Vec<i64>,
    pub title: Option<String>,
    pub inquiry_id: Option<i64>,
}

/// Starts a conversation, or returns the existing one for a DIRECT pair or
/// an INQUIRY (so two racing starts end in one conversation).
pub async fn start(
    db: &DatabaseConnection,
    starter: &user::Model,
    input: StartConversation,
) -> AppResult<conversation::Model> {
    let title = input
        .title
        .as_deref()
        .map(|t| crate::domain::text("title", t, 1, 120, false))
        .transpose()?;
    let (members, direct_key, inquiry_id) = match input.kind {
        ConversationKind::Direct => {
            let others: BTreeSet<i64> = input
                .member_ids
                .iter()
                .copied()
                .filter(|id| *id != starter.id)
                .collect();
            if others.len() != 1 || input.inquiry_id.is_some() {
                return Err(AppError::validation(
                    "memberIds",
                    "a DIRECT conversation has exactly one other member",
                ));
            }
            let other = *others.iter().next().expect("one member");
            let key = format!("{}:{}", starter.id.min(other), starter.id.max(other));
            (vec![starter.id, other], Some(key), None)
        }
        ConversationKind::Group => {
            let mut members: BTreeSet<i64> = input.member_ids.iter().copied().collect();
            members.insert(starter.id);
            if members.len() < 2 || members.len() > MAX_GROUP_MEMBERS || input.inquiry_id.is_some()
            {
                return Err(AppError::validation(
                    "memberIds",
                    format!("a GROUP conversation has 2 to {MAX_GROUP_MEMBERS} members"),
                ));
            }
            (members.into_iter().collect(), None, None)
        }
        ConversationKind::Inquiry => {
            let Some(inquiry_id) = input.inquiry_id else {
                return Err(AppError::validation(
                    "inquiryId",
                    "an INQUIRY conversation needs `inquiryId`",
                ));
            };
            if !input.member_ids.is_empty() {
                return Err(AppError::validation(
                    "memberIds",
                    "an INQUIRY conversation's members are the buyer and the store owner",
                ));
            }
            let found = inquiry::Entity::find_by_id(inquiry_id)
                .one(db)
                .await?
                .ok_or_else(|| AppError::not_found("Inquiry"))?;
            let owner = store::Entity::find_by_id(found.store_id)
                .one(db)
                .await?
                .map(|s| s.owner_id)
                .ok_or_else(|| AppError::not_found("Inquiry"))?;
            if starter.id != found.buyer_id && starter.id != owner {
                return Err(AppError::not_found("Inquiry"));
            }
            (vec![found.buyer_id, owner], None, Some(inquiry_id))
        }
    };
    // Everyone else must be an active user.
    let others: Vec<i64> = members
        .iter()
        .copied()
        .filter(|id| *id != starter.id)
        .collect();
    let active = user::Entity::find()
        .filter(user::Column::Id.is_in(others.clone()))
        .filter(user::Column::Status.eq(UserStatus::Active))
        .count(db)
        .await? as usize;
    if active != others.len() {
        return Err(AppError::not_found("User"));
    }
    blocks::ensure_not_blocked(db, starter.id, &others, "cannot start a conversation").await?;

    let txn = begin_write(db).await?;
    if let Some(existing) = existing(&txn, direct_key.as_deref(), inquiry_id).await? {
        txn.commit().await?;
        return Ok(existing);
    }
    let now = Utc::now();
    // The unique index that makes a second identical start a no-op (a group
    // has none: its id never conflicts).
    let conflict = match (&direct_key, inquiry_id) {
        (Some(_), _) => conversation::Column::DirectKey,
        (None, Some(_)) => conversation::Column::InquiryId,
        (None, None) => conversation::Column::Id,
    };
    let inserted = conversation::Entity::insert(conversation::ActiveModel {
        kind: Set(input.kind),
        title: Set(title),
        inquiry_id: Set(inquiry_id),
        direct_key: Set(direct_key.clone()),
        created_by: Set(starter.id),
        created_at: Set(now),
        last_message_id: Set(None),
        activity_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([conflict])
    .exec(&txn)
    .await?;
    let id = match inserted {
        TryInsertResult::Inserted(r) => r.last_insert_id,
        // Lost a race to an identical start: use the winner's.
        _ => {
            let found = existing(&txn, direct_key.as_deref(), inquiry_id)
                .await?
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("conversation vanished")))?;
            txn.commit().await?;
            return Ok(found);
        }
    };
    conversation_member::Entity::insert_many(members.iter().map(|user_id| {
        conversation_member::ActiveModel {
            conversation_id: Set(id),
            user_id: Set(*user_id),
            joined_at: Set(now),
            last_read_message_id: Set(0),
        }
    }))
    .exec(&txn)
    .await?;
    let created = conversation::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("conversation vanished")))?;
    txn.commit().await?;
    Ok(created)
}

async fn existing(
    db: &impl ConnectionTrait,
    direct_key: Option<&str>,
    inquiry_id: Option<i64>,
) -> AppResult<Option<conversation::Model>> {
    let query = match (direct_key, inquiry_id) {
        (Some(key), _) => {
            conversation::Entity::find().filter(conversation::Column::DirectKey.eq(key))
        }
        (None, Some(id)) => {
            conversation::Entity::find().filter(conversation::Column::InquiryId.eq(id))
        }
        (None, None) => return Ok(None),
    };
    Ok(query.one(db).await?)
}

/// The conversation when `user_id` is a member, with their membership.
pub async fn membership(
    db: &impl ConnectionTrait,
    user_id: i64,
    conversation_id: i64,
) -> AppResult<(conversation::Model, conversation_member::Model)> {
    let member = conversation_member::Entity::find_by_id((conversation_id, user_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Conversation"))?;
    let found = conversation::Entity::find_by_id(conversation_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Conversation"))?;
    Ok((found, member))
}

/// Checks membership without loading the conversation (typing, subscriptions).
pub async fn ensure_member(
    db: &impl ConnectionTrait,
    user_id: i64,
    conversation_id: i64,
) -> AppResult<()> {
    let found = conversation_member::Entity::find_by_id((conversation_id, user_id))
        .count(db)
        .await?;
    if found == 0 {
        return Err(AppError::not_found("Conversation"));
    }
    Ok(())
}

pub async fn member_ids(db: &impl ConnectionTrait, conversation_id: i64) -> AppResult<Vec<i64>> {
    Ok(conversation_member::Entity::find()
        .select_only()
        .column(conversation_member::Column::UserId)
        .filter(conversation_member::Column::ConversationId.eq(conversation_id))
        .into_tuple::<i64>()
        .all(db)
        .await?)
}

/// Sends a message: the message, the conversation's activity, the sender's
/// read marker and a MESSAGE notification for every other member, in one
/// transaction; pushed after commit.
pub async fn send_message(
    db: &DatabaseConnection,
    events: &EventBus,
    sender: &user::Model,
    conversation_id: i64,
    body: &str,
) -> AppResult<message::Model> {
    let body = crate::domain::text("body", body, 1, MAX_MESSAGE_CHARS, true)?;
    let txn = begin_write(db).await?;
    let (found, _) = membership(&txn, sender.id, conversation_id).await?;
    // A blocked pair cannot write to each other (a DIRECT or INQUIRY
    // conversation is just the two); in a group the message goes out, and
    // readers hidden from the sender do not see it.
    if found.kind != ConversationKind::Group {
        let members = member_ids(&txn, conversation_id).await?;
        blocks::ensure_not_blocked(&txn, sender.id, &members, "cannot send a message").await?;
    }
    let now = Utc::now();
    let sent = message::ActiveModel {
        conversation_id: Set(conversation_id),
        sender_id: Set(sender.id),
        body: Set(body.clone()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    conversation::Entity::update_many()
        .col_expr(conversation::Column::LastMessageId, Expr::value(sent.id))
        .col_expr(conversation::Column::ActivityAt, Expr::value(now))
        .filter(conversation::Column::Id.eq(conversation_id))
        .exec(&txn)
        .await?;
    conversation_member::Entity::update_many()
        .col_expr(
            conversation_member::Column::LastReadMessageId,
            Expr::value(sent.id),
        )
        .filter(conversation_member::Column::ConversationId.eq(conversation_id))
        .filter(conversation_member::Column::UserId.eq(sender.id))
        .exec(&txn)
        .await?;
    let excerpt: String = body.chars().take(100).collect();
    let mut created = Vec::new();
    for member in member_ids(&txn, conversation_id).await? {
        if member == sender.id {
            continue;
        }
        if let Some(n) = notifications::notify(
            &txn,
            NewNotification {
                recipient_id: member,
                kind: NotificationKind::Message,
                actor_id: Some(sender.id),
                subject: Some(("Conversation", found.id)),
                data: json!({ "messageId": sent.id, "excerpt": excerpt }),
            },
        )
        .await?
        {
            created.push(n);
        }
    }
    txn.commit().await?;
    events.publish(DomainEvent::MessageSent(sent.clone()));
    notifications::publish(events, created);
    Ok(sent)
}

/// A page of messages, newest first, older than `before_id`; none sent by
/// the reader's `hidden` users (blocks).
pub async fn messages(
    db: &impl ConnectionTrait,
    conversation_id: i64,
    hidden: &HashSet<i64>,
    before_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<message::Model>> {
    let mut query = message::Entity::find()
        .filter(message::Column::ConversationId.eq(conversation_id))
        .filter(blocks::not_by(message::Column::SenderId, hidden))
        .filter(message::Column::HiddenAt.is_null())
        .order_by_desc(message::Column::Id)
        .limit(limit);
    if let Some(before) = before_id {
        query = query.filter(message::Column::Id.lt(before));
    }
    Ok(query.all(db).await?)
}

/// The viewer's conversations, most recent activity first, after the
/// `(activity_at, id)` keyset `after`; not the DIRECT and INQUIRY ones
/// (just the two of them) with a user in the viewer's `hidden` set (blocks).
pub async fn list(
    db: &impl ConnectionTrait,
    user_id: i64,
    hidden: &HashSet<i64>,
    after: Option<(chrono::DateTime<Utc>, i64)>,
    limit: u64,
) -> AppResult<Vec<conversation::Model>> {
    let mut query = conversation::Entity::find()
        .filter(
            conversation::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(conversation_member::Column::ConversationId)
                    .from(conversation_member::Entity)
                    .and_where(conversation_member::Column::UserId.eq(user_id))
                    .to_owned(),
            ),
        )
        .order_by_desc(conversation::Column::ActivityAt)
        .order_by_desc(conversation::Column::Id)
        .limit(limit);
    if !hidden.is_empty() {
        query = query.filter(
            sea_orm::Condition::any()
                .add(conversation::Column::Kind.eq(ConversationKind::Group))
                .add(
                    conversation::Column::Id.not_in_subquery(
                        sea_orm::sea_query::Query::select()
                            .column(conversation_member::Column::ConversationId)
                            .from(conversation_member::Entity)
                            .and_where(
                                conversation_member::Column::UserId.is_in(hidden.iter().copied()),
                            )
                            .to_owned(),
                    ),
                ),
        );
    }
    if let Some((at, id)) = after {
        query = query.filter(
            sea_orm::Condition::any()
                .add(conversation::Column::ActivityAt.lt(at))
                .add(
                    sea_orm::Condition::all()
                        .add(conversation::Column::ActivityAt.eq(at))
                        .add(conversation::Column::Id.lt(id)),
                ),
        );
    }
    Ok(query.all(db).await?)
}

/// Moves the viewer's read marker to `up_to` (default: the newest message;
/// never backwards), marks the conversation's MESSAGE notifications read,
/// and, after commit, publishes the device-sync event for the user's other
/// devices.
pub async fn mark_read(
    db: &DatabaseConnection,
    events: &EventBus,
    user_id: i64,
    conversation_id: i64,
    up_to: Option<i64>,
    device_id: &str,
) -> AppResult<()> {
    let device_id = super::device_id(device_id)?;
    let txn = begin_write(db).await?;
    let (found, member) = membership(&txn, user_id, conversation_id).await?;
    let newest = found.last_message_id.unwrap_or(0);
    let target = up_to.unwrap_or(newest).min(newest);
    if target > member.last_read_message_id {
        conversation_member::Entity::update_many()
            .col_expr(
                conversation_member::Column::LastReadMessageId,
                Expr::value(target),
            )
            .filter(conversation_member::Column::ConversationId.eq(conversation_id))
            .filter(conversation_member::Column::UserId.eq(user_id))
            .exec(&txn)
            .await?;
    }
    let read_up_to = target.max(member.last_read_message_id);
    // Read to the end: the conversation's MESSAGE notifications are read too.
    let mut notification_ids = Vec::new();
    if read_up_to >= newest {
        notification_ids = notification::Entity::find()
            .select_only()
            .column(notification::Column::Id)
            .filter(notification::Column::RecipientId.eq(user_id))
            .filter(notification::Column::Kind.eq(NotificationKind::Message))
            .filter(notification::Column::SubjectType.eq("Conversation"))
            .filter(notification::Column::SubjectId.eq(conversation_id))
            .filter(notification::Column::ReadAt.is_null())
            .into_tuple::<i64>()
            .all(&txn)
            .await?;
        if !notification_ids.is_empty() {
            notification::Entity::update_many()
                .col_expr(notification::Column::ReadAt, Expr::value(Utc::now()))
                .filter(notification::Column::Id.is_in(notification_ids.clone()))
                .exec(&txn)
                .await?;
        }
    }
    let unread_messages = unread_in(&txn, user_id, conversation_id, read_up_to).await?;
    let unread_notifications = notifications::unread_count(&txn, user_id).await?;
    txn.commit().await?;
    events.publish(DomainEvent::DeviceSynced {
        user_id,
        sync: SyncEvent {
            device_id,
            kind: SyncKind::ConversationRead,
            notification_ids,
            all: false,
            conversation_id: Some(conversation_id),
            unread_notifications,
            unread_messages: Some(unread_messages),
        },
    });
    Ok(())
}

/// Tells the other members of a conversation that `user_id` is (or stopped)
/// typing. Nothing is stored; a typing state lapses on the subscribers'
/// side ([`crate::realtime::delivery::typing`]).
pub async fn set_typing(
    db: &DatabaseConnection,
    events: &EventBus,
    user_id: i64,
    conversation_id: i64,
    typing: bool,
) -> AppResult<()> {
    ensure_member(db, user_id, conversation_id).await?;
    events.publish(DomainEvent::TypingChanged(TypingEvent {
        conversation_id,
        user_id,
        typing,
    }));
    Ok(())
}

/// Messages from others after the read marker.
pub async fn unread_in(
    db: &impl ConnectionTrait,
    user_id: i64,
    conversation_id: i64,
    last_read: i64,
) -> AppResult<i64> {
    Ok(message::Entity::find()
        .filter(message::Column::ConversationId.eq(conversation_id))
        .filter(message::Column::Id.gt(last_read))
        .filter(message::Column::SenderId.ne(user_id))
        .filter(message::Column::HiddenAt.is_null())
        // Not from a blocked pair's other side: `messages` leaves them out.
        .filter(blocks::not_hidden_from(message::Column::SenderId, user_id))
        .count(db)
        .await? as i64)
}
