//! Real time over GraphQL (RT-2 … RT-7): notifications with replay, device
//! sync, presence, chat and typing, job progress. The subscriptions map the
//! delivery streams of [`crate::realtime::delivery`] (which own replay,
//! de-duplication and typing expiry) to output types.
use async_graphql::{
    Context, Enum, ID, InputObject, Json, Object, Result, SimpleObject, Subscription,
    connection::{Connection, EmptyFields},
};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};

use super::{
    accounts::User,
    context::{loaders, state, viewer},
    relay::{PageArgs, connection, decode_cursor, decode_id, encode_cursor, encode_id},
};
use crate::{
    auth::RoleGuard,
    domain::community::blocks,
    domain::realtime::{
        chat::{self, StartConversation},
        notifications::{self, Selection},
        presence as presence_rules,
    },
    entities::{conversation as conversation_entity, message as message_entity, notification},
    error::AppError,
    realtime::{JobProgress as JobProgressEvent, PresenceEvent, SyncEvent, TypingEvent, delivery},
};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::notification::NotificationKind")]
pub enum NotificationKind {
    Like,
    Comment,
    Follow,
    OrderStatus,
    InquiryAnswered,
    StoreReviewed,
    Message,
    AdminAlert,
    DesignReady,
    NewSignInLocation,
    OrderPlaced,
    OrderPaid,
    PaymentFailed,
    PlanChanged,
    ReturnStatus,
    PartnerWebhookDisabled,
    ReportResolved,
    ContentHidden,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::conversation::ConversationKind")]
pub enum ConversationKind {
    Direct,
    Group,
    Inquiry,
}

/// A stored notification.
pub struct Notification(pub notification::Model);

#[Object]
impl Notification {
    async fn id(&self) -> ID {
        encode_id("Notification", self.0.id)
    }
    /// Pass to `notificationReceived(after:)` to resume after this one.
    async fn cursor(&self) -> String {
        encode_cursor(&self.0.id)
    }
    async fn kind(&self) -> NotificationKind {
        self.0.kind.into()
    }
    /// Who caused it; null for system notices and deleted accounts.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.actor_id else {
            return Ok(None);
        };
        Ok(loaders(ctx).users.load_one(id).await?.map(User::new))
    }
    /// Global id of what it is about (a Post, Order, Inquiry, Store,
    /// Conversation, User, Design, Short or Comment).
    async fn subject_id(&self) -> Option<ID> {
        match (&self.0.subject_type, self.0.subject_id) {
            (Some(kind), Some(id)) => Some(encode_id(kind, id)),
            _ => None,
        }
    }
    async fn subject_type(&self) -> Option<&str> {
        self.0.subject_type.as_deref()
    }
    /// Kind-specific details: `status` for ORDER_STATUS, `excerpt` for
    /// COMMENT, MESSAGE and INQUIRY_ANSWERED, `approved` for STORE_REVIEWED.
    async fn data(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.data).unwrap_or(serde_json::Value::Null))
    }
    async fn read(&self) -> bool {
        self.0.read_at.is_some()
    }
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.0.read_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(SimpleObject)]
pub struct MarkNotificationsReadPayload {
    /// Notifications that changed from unread to read.
    updated: i32,
    unread_count: i32,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::realtime::SyncKind")]
pub enum SyncKind {
    NotificationsRead,
    ConversationRead,
}

/// What another device of the same user did.
pub struct DeviceSyncEvent(SyncEvent);

#[Object]
impl DeviceSyncEvent {
    async fn kind(&self) -> SyncKind {
        self.0.kind.into()
    }
    /// The device that acted.
    async fn device_id(&self) -> &str {
        &self.0.device_id
    }
    /// Notifications marked read (empty with `all`).
    async fn notification_ids(&self) -> Vec<ID> {
        self.0
            .notification_ids
            .iter()
            .map(|id| encode_id("Notification", *id))
            .collect()
    }
    /// Every notification was marked read.
    async fn all(&self) -> bool {
        self.0.all
    }
    async fn conversation_id(&self) -> Option<ID> {
        self.0
            .conversation_id
            .map(|id| encode_id("Conversation", id))
    }
    /// Unread notifications after the change.
    async fn unread_notification_count(&self) -> i64 {
        self.0.unread_notifications
    }
    /// For CONVERSATION_READ, the conversation's unread messages after it.
    async fn unread_message_count(&self) -> Option<i64> {
        self.0.unread_messages
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Presence {
    user_id: ID,
    online: bool,
    /// When this state was observed (`presence`) or began (`presenceChanged`).
    at: DateTime<Utc>,
    #[graphql(skip)]
    raw_user_id: i64,
}

#[async_graphql::ComplexObject]
impl Presence {
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(loaders(ctx)
            .users
            .load_one(self.raw_user_id)
            .await?
            .map(User::new))
    }
}

impl From<PresenceEvent> for Presence {
    fn from(e: PresenceEvent) -> Self {
        Self {
            user_id: encode_id("User", e.user_id),
            online: e.online,
            at: e.at,
            raw_user_id: e.user_id,
        }
    }
}

pub struct Conversation(pub conversation_entity::Model);

#[Object]
impl Conversation {
    async fn id(&self) -> ID {
        encode_id("Conversation", self.0.id)
    }
    async fn kind(&self) -> ConversationKind {
        self.0.kind.into()
    }
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }
    /// The store inquiry an INQUIRY conversation is about.
    async fn inquiry_id(&self) -> Option<ID> {
        self.0.inquiry_id.map(|id| encode_id("Inquiry", id))
    }
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        let ids = loaders(ctx)
            .conversation_members
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let users = loaders(ctx).users.load_many(ids.iter().copied()).await?;
        Ok(ids
            .iter()
            .filter_map(|id| users.get(id).cloned().map(User::new))
            .collect())
    }
    async fn last_message(&self, ctx: &Context<'_>) -> Result<Option<Message>> {
        let Some(id) = self.0.last_message_id else {
            return Ok(None);
        };
        let hidden = super::blocks::hidden(ctx).await?;
        Ok(loaders(ctx)
            .messages
            .load_one(id)
            .await?
            .filter(|m| !hidden.contains(&m.sender_id))
            .map(Message))
    }
    /// Messages from others the viewer has not read.
    async fn unread_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let viewer = viewer(ctx).await?;
        Ok(loaders(ctx)
            .conversation_unread
            .load_one((self.0.id, viewer.id()))
            .await?
            .unwrap_or(0))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Creation or last message time; `myConversations` is ordered by it.
    async fn activity_at(&self) -> DateTime<Utc> {
        self.0.activity_at
    }
}

pub struct Message(pub message_entity::Model);

#[Object]
impl Message {
    async fn id(&self) -> ID {
        encode_id("Message", self.0.id)
    }
    async fn conversation_id(&self) -> ID {
        encode_id("Conversation", self.0.conversation_id)
    }
    async fn sender(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(loaders(ctx)
            .users
            .load_one(self.0.sender_id)
            .await?
            .map(User::new))
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Typing {
    conversation_id: ID,
    user_id: ID,
    /// False when the member stopped, or 5 s passed without a refresh.
    typing: bool,
    #[graphql(skip)]
    raw_user_id: i64,
}

#[async_graphql::ComplexObject]
impl Typing {
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(loaders(ctx)
            .users
            .load_one(self.raw_user_id)
            .await?
            .map(User::new))
    }
}

impl From<TypingEvent> for Typing {
    fn from(e: TypingEvent) -> Self {
        Self {
            conversation_id: encode_id("Conversation", e.conversation_id),
            user_id: encode_id("User", e.user_id),
            typing: e.typing,
            raw_user_id: e.user_id,
        }
    }
}

/// Where a background job stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::realtime::JobState")]
pub enum JobState {
    /// Waiting for its time or a worker (also after a failed attempt, until
    /// its retry).
    Queued,
    Running,
    Succeeded,
    /// Failed on its last attempt; an admin may retry it.
    Dead,
    /// Cancelled by an admin.
    Cancelled,
}

pub struct JobProgress(JobProgressEvent);

#[Object]
impl JobProgress {
    async fn job_id(&self) -> ID {
        ID(self.0.job_id.clone())
    }
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    async fn state(&self) -> JobState {
        self.0.state.into()
    }
    /// 0 to 1.
    async fn progress(&self) -> f64 {
        self.0.progress
    }
    async fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
}

#[derive(InputObject)]
pub struct StartConversationInput {
    kind: ConversationKind,
    /// The other member (DIRECT) or members (GROUP); empty for INQUIRY.
    #[graphql(default)]
    member_ids: Vec<ID>,
    title: Option<String>,
    /// For INQUIRY: the inquiry (its buyer and the store owner are members).
    inquiry_id: Option<ID>,
}

fn decode_users(field: &str, ids: &[ID]) -> Result<Vec<i64>, AppError> {
    ids.iter().map(|id| decode_id("User", field, id)).collect()
}

#[derive(Default)]
pub struct RealtimeQuery;

#[Object]
impl RealtimeQuery {
    /// The viewer's notifications, newest first.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Notification>> {
        let viewer = viewer(ctx).await?;
        let page = PageArgs::new(first, after)?;
        let rows = notifications::list(
            &state(ctx).db,
            viewer.id(),
            &*super::blocks::hidden(ctx).await?,
            page.after_key()?,
            page.fetch_limit(),
        )
        .await?;
        Ok(connection(&page, rows, EmptyFields, |n| n.id, Notification))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn unread_notification_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let viewer = viewer(ctx).await?;
        Ok(notifications::unread_count(&state(ctx).db, viewer.id()).await?)
    }

    /// Whether each user is online (connected on any instance). Visible for
    /// oneself, followed users and conversation members.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn presence(&self, ctx: &Context<'_>, user_ids: Vec<ID>) -> Result<Vec<Presence>> {
        let viewer = viewer(ctx).await?;
        let ids = decode_users("userIds", &user_ids)?;
        let app = state(ctx);
        presence_rules::ensure_visible(&app.db, viewer.id(), &ids).await?;
        let now = delivery::presence_now(&app.realtime.presence, &ids).await;
        Ok(now.into_iter().map(Presence::from).collect())
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn conversation(&self, ctx: &Context<'_>, id: ID) -> Result<Conversation> {
        let viewer = viewer(ctx).await?;
        let id = decode_id("Conversation", "id", &id)?;
        let (found, _) = chat::membership(&state(ctx).db, viewer.id(), id).await?;
        Ok(Conversation(found))
    }

    /// The viewer's conversations, most recent activity first.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn my_conversations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Conversation>> {
        let viewer = viewer(ctx).await?;
        let page = PageArgs::new(first, after)?;
        let rows = chat::list(
            &state(ctx).db,
            viewer.id(),
            &*super::blocks::hidden(ctx).await?,
            page.after_key()?,
            page.fetch_limit(),
        )
        .await?;
        Ok(connection(
            &page,
            rows,
            EmptyFields,
            |c| (c.activity_at, c.id),
            Conversation,
        ))
    }

    /// A conversation's messages, newest first; `before` is a cursor from a
    /// previous page and continues into older messages.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn messages(
        &self,
        ctx: &Context<'_>,
        conversation_id: ID,
        first: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<String, Message>> {
        let viewer = viewer(ctx).await?;
        let conversation_id = decode_id("Conversation", "conversationId", &conversation_id)?;
        let page = PageArgs::new(first, before)?;
        let db = &state(ctx).db;
        chat::ensure_member(db, viewer.id(), conversation_id).await?;
        let hidden = super::blocks::hidden(ctx).await?;
        let rows = chat::messages(
            db,
            conversation_id,
            &hidden,
            page.after_key()?,
            page.fetch_limit(),
        )
        .await?;
        Ok(connection(&page, rows, EmptyFields, |m| m.id, Message))
    }
}

#[derive(Default)]
pub struct RealtimeMutation;

#[Object]
impl RealtimeMutation {
    /// Marks notifications read (`ids`, or `all: true`) and tells the user's
    /// other devices with one `deviceSync` event (never the sending device).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn mark_notifications_read(
        &self,
        ctx: &Context<'_>,
        ids: Option<Vec<ID>>,
        all: Option<bool>,
        device_id: String,
    ) -> Result<MarkNotificationsReadPayload> {
        let viewer = viewer(ctx).await?;
        let selection = match (ids, all.unwrap_or(false)) {
            (Some(ids), false) => Selection::Ids(
                ids.iter()
                    .map(|id| decode_id("Notification", "ids", id))
                    .collect::<Result<_, _>>()?,
            ),
            (None, true) => Selection::All,
            _ => {
                return Err(AppError::validation("ids", "give either `ids` or `all: true`").into());
            }
        };
        let app = state(ctx);
        let marked =
            notifications::mark_read(&app.db, &app.events, viewer.id(), selection, &device_id)
                .await?;
        Ok(MarkNotificationsReadPayload {
            updated: marked.updated as i32,
            unread_count: marked.unread as i32,
        })
    }

    /// Starts a conversation; a DIRECT pair or an inquiry has one, which is
    /// returned when it exists.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn start_conversation(
        &self,
        ctx: &Context<'_>,
        input: StartConversationInput,
    ) -> Result<Conversation> {
        let viewer = viewer(ctx).await?;
        let member_ids = decode_users("memberIds", &input.member_ids)?;
        let inquiry_id = input
            .inquiry_id
            .as_ref()
            .map(|id| decode_id("Inquiry", "inquiryId", id))
            .transpose()?;
        let created = chat::start(
            &state(ctx).db,
            &viewer.user,
            StartConversation {
                kind: input.kind.into(),
                member_ids,
                title: input.title,
                inquiry_id,
            },
        )
        .await?;
        Ok(Conversation(created))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn send_message(
        &self,
        ctx: &Context<'_>,
        conversation_id: ID,
        body: String,
    ) -> Result<Message> {
        let viewer = viewer(ctx).await?;
        let conversation_id = decode_id("Conversation", "conversationId", &conversation_id)?;
        let app = state(ctx);
        let sent =
            chat::send_message(&app.db, &app.events, &viewer.user, conversation_id, &body).await?;
        Ok(Message(sent))
    }

    /// Moves the viewer's read marker (to `upTo`, default the newest message)
    /// and syncs the user's other devices.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn mark_conversation_read(
        &self,
        ctx: &Context<'_>,
        conversation_id: ID,
        up_to: Option<ID>,
        device_id: String,
    ) -> Result<Conversation> {
        let viewer = viewer(ctx).await?;
        let conversation_id = decode_id("Conversation", "conversationId", &conversation_id)?;
        let up_to = up_to
            .as_ref()
            .map(|id| decode_id("Message", "upTo", id))
            .transpose()?;
        let app = state(ctx);
        chat::mark_read(
            &app.db,
            &app.events,
            viewer.id(),
            conversation_id,
            up_to,
            &device_id,
        )
        .await?;
        let (found, _) = chat::membership(&app.db, viewer.id(), conversation_id).await?;
        Ok(Conversation(found))
    }

    /// Tells the other members the viewer is (or stopped) typing. Nothing is
    /// stored; a typing state lapses after 5 s without another call.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn set_typing(
        &self,
        ctx: &Context<'_>,
        conversation_id: ID,
        typing: bool,
    ) -> Result<bool> {
        let viewer = viewer(ctx).await?;
        let conversation_id = decode_id("Conversation", "conversationId", &conversation_id)?;
        let app = state(ctx);
        chat::set_typing(&app.db, &app.events, viewer.id(), conversation_id, typing).await?;
        Ok(true)
    }
}

#[derive(Default)]
pub struct RealtimeSubscription;

#[Subscription]
// Every await in these resolvers is boxed: async-graphql keeps the setup
// future's (inline) size in each subscription's stream for its whole life,
// so an unboxed database future would cost every idle subscriber kilobytes.
impl RealtimeSubscription {
    /// The viewer's notifications: first every one after `after` (a
    /// `Notification.cursor`; omitted = only new ones), oldest first, then
    /// new ones as they are stored. No gap and no duplicate, also when
    /// notifications arrive during the replay or pushes were lost (Redis
    /// down): the subscription re-reads storage whenever a loss is possible.
    async fn notification_received(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
    ) -> Result<impl Stream<Item = Notification> + use<>> {
        let viewer = Box::pin(viewer(ctx)).await?;
        let app = state(ctx);
        let after_id = after
            .as_deref()
            .map(decode_cursor::<i64>)
            .transpose()
            .map_err(|_| AppError::validation("after", "`after` is not a notification cursor"))?;
        let stored = Box::pin(delivery::notifications(
            app.db.clone(),
            app.realtime.pubsub.as_ref(),
            viewer.id(),
            after_id,
        ))
        .await?;
        // Replayed ones from a blocked pair's other side stay hidden too.
        let hidden = Box::pin(blocks::hidden_authors(&app.db, viewer.id())).await?;
        Ok(stored
            .filter(move |n| {
                futures::future::ready(!n.actor_id.is_some_and(|a| hidden.contains(&a)))
            })
            .map(Notification))
    }

    /// What the viewer's other devices did (read notifications, read a
    /// conversation); never this device's own actions.
    async fn device_sync(
        &self,
        ctx: &Context<'_>,
        device_id: String,
    ) -> Result<impl Stream<Item = DeviceSyncEvent> + use<>> {
        let viewer = Box::pin(viewer(ctx)).await?;
        let device_id = crate::domain::text("deviceId", &device_id, 1, 64, false)?;
        let pubsub = state(ctx).realtime.pubsub.as_ref();
        Ok(delivery::device_sync(pubsub, viewer.id(), device_id).map(DeviceSyncEvent))
    }

    /// Online/offline changes of the given users (oneself, followed users,
    /// conversation members), starting with each one's current state.
    async fn presence_changed(
        &self,
        ctx: &Context<'_>,
        user_ids: Vec<ID>,
    ) -> Result<impl Stream<Item = Presence> + use<>> {
        let viewer = Box::pin(viewer(ctx)).await?;
        let ids = decode_users("userIds", &user_ids)?;
        let app = state(ctx);
        Box::pin(presence_rules::ensure_visible(&app.db, viewer.id(), &ids)).await?;
        let changes = Box::pin(delivery::presence(&app.realtime, &ids)).await;
        Ok(changes.map(Presence::from))
    }

    /// New messages of a conversation the viewer is a member of.
    async fn message_received(
        &self,
        ctx: &Context<'_>,
        conversation_id: ID,
    ) -> Result<impl Stream<Item = Message> + use<>> {
        let viewer = Box::pin(viewer(ctx)).await?;
        let conversation_id = decode_id("Conversation", "conversationId", &conversation_id)?;
        let app = state(ctx);
        let live = delivery::messages(app.realtime.pubsub.as_ref(), conversation_id);
        Box::pin(chat::ensure_member(&app.db, viewer.id(), conversation_id)).await?;
        // Asked per message, not once at subscribe time: a block made while
        // the subscription is open hides the other side's group messages
        // from the next one on (one indexed lookup; a failed one hides).
        let (db, me) = (app.db.clone(), viewer.id());
        Ok(live
            .filter(move |m| {
                let (db, sender) = (db.clone(), m.sender_id);
                async move {
                    sender == me
                        || !Box::pin(blocks::between(&db, me, sender))
                            .await
                            .unwrap_or(true)
                }
            })
            .map(Message))
    }

    /// Other members starting and stopping typing. A member who does not
    /// refresh within 5 s is reported as stopped.
    async fn typing(
        &self,
        ctx: &Context<'_>,
        conversation_id: ID,
    ) -> Result<impl Stream<Item = Typing> + use<>> {
        let viewer = Box::pin(viewer(ctx)).await?;
        let conversation_id = decode_id("Conversation", "conversationId", &conversation_id)?;
        let app = state(ctx);
        let live = delivery::typing(app.realtime.pubsub.as_ref(), conversation_id, viewer.id());
        Box::pin(chat::ensure_member(&app.db, viewer.id(), conversation_id)).await?;
        let hidden = Box::pin(blocks::hidden_authors(&app.db, viewer.id())).await?;
        Ok(live
            .filter(move |t| futures::future::ready(!hidden.contains(&t.user_id)))
            .map(Typing::from))
    }

    /// Progress of one of the viewer's long-running jobs (recommender
    /// training, design generation, …); completes when the job ends.
    async fn job_progress(
        &self,
        ctx: &Context<'_>,
        job_id: ID,
    ) -> Result<impl Stream<Item = JobProgress> + use<>> {
        let viewer = Box::pin(viewer(ctx)).await?;
        let state = state(ctx);
        let stream =
            crate::jobs::watch::watch(&state.jobs, &state.realtime, &viewer.user, &job_id).await?;
        Ok(stream.map(JobProgress))
    }
}
