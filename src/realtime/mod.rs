//! The real-time channel (RT-1 … RT-7): the WebSocket protocol server
//! ([`ws`]), GraphQL over SSE ([`sse`]), presence ([`presence`]), the delivery streams subscriptions map
//! ([`delivery`]), the topics events travel on, and the bridge that turns
//! committed domain events into publications.
//!
//! Every topic is scoped so that subscribing to it needs no further
//! filtering: a user's notifications, device-sync and control messages, a
//! conversation's messages and typing, a user's presence, a user's job.
pub mod delivery;
pub mod presence;
pub mod sse;
pub mod ws;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::{
    entities::{message, notification},
    events::DomainEvent,
    infra::{kv::Kv, pubsub::PubSub},
};

/// Inline sizes in bytes of what an idle WebSocket subscriber keeps in this
/// module's types (the real-time benchmark reports them).
#[doc(hidden)]
pub fn footprint() -> Vec<(&'static str, usize)> {
    let mut sizes = ws::footprint();
    sizes.extend(delivery::footprint());
    sizes
}

/// Sleeps until `deadline`, or forever when there is none (a `select!`
/// branch that is off until a deadline exists).
pub async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Topic names. Kept in one place so publishers and subscribers agree.
pub mod topics {
    pub fn notifications(user_id: i64) -> String {
        format!("user:{user_id}:notifications")
    }
    pub fn device_sync(user_id: i64) -> String {
        format!("user:{user_id}:sync")
    }
    /// Kicks and revocations: sockets of the user close with 4403.
    pub fn control(user_id: i64) -> String {
        format!("user:{user_id}:control")
    }
    pub fn job(user_id: i64, job_id: &str) -> String {
        format!("user:{user_id}:job:{job_id}")
    }
    pub fn presence(user_id: i64) -> String {
        format!("presence:{user_id}")
    }
    pub fn messages(conversation_id: i64) -> String {
        format!("conversation:{conversation_id}:messages")
    }
    pub fn typing(conversation_id: i64) -> String {
        format!("conversation:{conversation_id}:typing")
    }
}

/// `deviceSync` payload: what one device did that the user's others mirror.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SyncEvent {
    /// The device that acted; it never receives its own event.
    pub device_id: String,
    pub kind: SyncKind,
    pub notification_ids: Vec<i64>,
    pub all: bool,
    pub conversation_id: Option<i64>,
    /// The user's unread notifications after the change.
    pub unread_notifications: i64,
    /// For CONVERSATION_READ: the conversation's unread messages after it.
    pub unread_messages: Option<i64>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SyncKind {
    NotificationsRead,
    ConversationRead,
}

/// Closes a user's sockets: all of them, those of one session, or all but
/// one session's.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ControlEvent {
    pub session_id: Option<i64>,
    #[serde(default)]
    pub except_session_id: Option<i64>,
    pub reason: String,
}

impl ControlEvent {
    /// Whether a socket of session `session_id` must close.
    pub fn concerns(&self, session_id: i64) -> bool {
        self.session_id.is_none_or(|s| s == session_id)
            && self.except_session_id != Some(session_id)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PresenceEvent {
    pub user_id: i64,
    pub online: bool,
    pub at: chrono::DateTime<chrono::Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TypingEvent {
    pub conversation_id: i64,
    pub user_id: i64,
    pub typing: bool,
}

/// Progress of a long-running job (RT-7), published to its owner.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct JobProgress {
    pub job_id: String,
    /// What the job is (`RECOMMENDER_TRAINING`, `DESIGN_GENERATION`, …).
    pub kind: String,
    pub state: JobState,
    /// 0.0 to 1.0.
    pub progress: f64,
    pub message: Option<String>,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// A job's state, as stored (`jobs.state`) and as published.
pub use crate::entities::job::JobState;

/// The real-time services of one instance.
#[derive(Clone)]
pub struct Realtime {
    pub pubsub: Arc<dyn PubSub>,
    pub presence: Arc<presence::Presence>,
    /// Open GraphQL-over-SSE streams per caller (the stream cap).
    pub sse: sse::StreamSlots,
    /// Flips to `true` when the server starts shutting down: sockets close
    /// with 1001 so the drain does not wait on them.
    shutdown: Arc<watch::Sender<bool>>,
}

impl Realtime {
    pub fn new(
        pubsub: Arc<dyn PubSub>,
        kv: Arc<dyn Kv>,
        key_prefix: &str,
        config: crate::config::RealtimeConfig,
    ) -> Self {
        let presence = presence::Presence::new(kv, pubsub.clone(), key_prefix, config.presence_ttl);
        Self {
            pubsub,
            presence,
            sse: sse::StreamSlots::default(),
            shutdown: Arc::new(watch::channel(false).0),
        }
    }

    pub async fn publish<T: Serialize>(&self, topic: &str, payload: &T) {
        match serde_json::to_string(payload) {
            Ok(text) => self.pubsub.publish(topic, text.into()).await,
            Err(e) => tracing::error!(topic, error = %e, "cannot serialise a publication"),
        }
    }

    /// Publishes a job's progress to its owner's `jobProgress(jobId)`.
    pub async fn job_progress(&self, owner_id: i64, progress: &JobProgress) {
        self.publish(&topics::job(owner_id, &progress.job_id), progress)
            .await;
    }

    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Forwards committed domain events to their topics, in order, until the
    /// bus closes (a background loop owned by `jobs::Background`). Falling
    /// behind the bus means publications were dropped, so replaying
    /// subscribers are told to resync.
    pub async fn bridge(
        self,
        mut rx: tokio::sync::broadcast::Receiver<Arc<crate::events::DomainEvent>>,
        on_lag: impl Fn() + Send + 'static,
    ) {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            match rx.recv().await {
                Ok(event) => self.forward(&event).await,
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "real-time bridge fell behind the event bus");
                    on_lag();
                }
                Err(RecvError::Closed) => break,
            }
        }
    }

    async fn forward(&self, event: &DomainEvent) {
        match event {
            DomainEvent::NotificationCreated(n) => {
                self.publish::<notification::Model>(&topics::notifications(n.recipient_id), n)
                    .await
            }
            DomainEvent::MessageSent(m) => {
                self.publish::<message::Model>(&topics::messages(m.conversation_id), m)
                    .await
            }
            DomainEvent::TypingChanged(t) => {
                self.publish(&topics::typing(t.conversation_id), t).await
            }
            DomainEvent::DeviceSynced { user_id, sync } => {
                self.publish(&topics::device_sync(*user_id), sync).await
            }
            DomainEvent::UserKicked { user_id, reason } => {
                self.publish(
                    &topics::control(*user_id),
                    &ControlEvent {
                        session_id: None,
                        except_session_id: None,
                        reason: format!("kicked: {reason}"),
                    },
                )
                .await
            }
            DomainEvent::UserDeleted { user_id } => {
                self.publish(
                    &topics::control(*user_id),
                    &ControlEvent {
                        session_id: None,
                        except_session_id: None,
                        reason: "account deleted".into(),
                    },
                )
                .await
            }
            DomainEvent::SessionRevoked {
                user_id,
                session_id,
            } => {
                self.publish(
                    &topics::control(*user_id),
                    &ControlEvent {
                        session_id: Some(*session_id),
                        except_session_id: None,
                        reason: "session revoked".into(),
                    },
                )
                .await
            }
            DomainEvent::OtherSessionsRevoked {
                user_id,
                kept_session_id,
            } => {
                self.publish(
                    &topics::control(*user_id),
                    &ControlEvent {
                        session_id: None,
                        except_session_id: Some(*kept_session_id),
                        reason: "password changed".into(),
                    },
                )
                .await
            }
            _ => {}
        }
    }
}
