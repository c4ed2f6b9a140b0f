//! The in-process domain event bus. Domain functions publish typed events
//! *after* their transaction commits; notifications, search indexing and the
//! recommender subscribe. Delivery is best-effort within this process: anything
//! that must never be lost (a notification, say) is written in the same
//! transaction as its cause, and subscribers treat events as hints to act on
//! committed rows.
use std::sync::Arc;

use tokio::sync::broadcast;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainEvent {
    UserRegistered {
        user_id: i64,
    },
    UserUpdated {
        user_id: i64,
    },
    UserDeleted {
        user_id: i64,
    },
    UserKicked {
        user_id: i64,
        reason: String,
    },
    SessionRevoked {
        user_id: i64,
        session_id: i64,
    },
    /// Every session but one was revoked (a password change).
    OtherSessionsRevoked {
        user_id: i64,
        kept_session_id: i64,
    },
    /// A store application was filed (PENDING).
    StoreApplied {
        store_id: i64,
        owner_id: i64,
    },
    StoreReviewed {
        store_id: i64,
        owner_id: i64,
        approved: bool,
    },
    ProductChanged {
        product_id: i64,
    },
    ShortAdded {
        short_id: i64,
        product_id: i64,
    },
    ReviewCreated {
        review_id: i64,
        product_id: i64,
        store_id: i64,
        user_id: i64,
    },
    OrderPlaced {
        order_id: i64,
        buyer_id: i64,
    },
    OrderStatusChanged {
        order_id: i64,
        buyer_id: i64,
        order_line_id: Option<i64>,
        status: String,
    },
    InquiryAnswered {
        inquiry_id: i64,
        buyer_id: i64,
        store_id: i64,
    },
    /// `target_type` is POST, DESIGN, SHORT or COMMENT; `owner_id` made the target.
    Liked {
        user_id: i64,
        target_type: String,
        target_id: i64,
        owner_id: i64,
    },
    /// A like was removed (`target_type` as in [`DomainEvent::Liked`]).
    Unliked {
        user_id: i64,
        target_type: String,
        target_id: i64,
    },
    Commented {
        comment_id: i64,
        post_id: i64,
        author_id: i64,
        post_author_id: i64,
        parent_author_id: Option<i64>,
    },
    Followed {
        follower_id: i64,
        followee_id: i64,
    },
    /// A comment (and, for a top-level one, its replies) was deleted.
    CommentDeleted {
        comment_id: i64,
        post_id: i64,
    },
    PostCreated {
        post_id: i64,
        author_id: i64,
    },
    PostDeleted {
        post_id: i64,
    },
    DesignCreated {
        design_id: i64,
        owner_id: i64,
    },
    /// A design's derived fields changed (its colours, its generated image).
    DesignChanged {
        design_id: i64,
    },
    /// A stored notification, to push to its recipient.
    NotificationCreated(crate::entities::notification::Model),
    /// A stored chat message, to push to the conversation's subscribers.
    MessageSent(crate::entities::message::Model),
    /// A conversation member started or stopped typing (not stored).
    TypingChanged(crate::realtime::TypingEvent),
    /// One device of `user_id` read something; the user's other devices mirror it.
    DeviceSynced {
        user_id: i64,
        sync: crate::realtime::SyncEvent,
    },
    /// An admin hid content after a report (`target_type` POST, COMMENT,
    /// DESIGN, SHORT, REVIEW or MESSAGE); `post_id` is the post a hidden
    /// post or comment belongs to, whose document and counts changed.
    ContentHidden {
        target_type: String,
        target_id: i64,
        post_id: Option<i64>,
    },
}

#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Arc<DomainEvent>>,
}

/// Events buffered per subscriber before a slow one starts missing events
/// (it is told how many it missed).
const CAPACITY: usize = 4096;

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        Self { sender }
    }

    /// Publishes to every current subscriber; no subscriber is not an error.
    pub fn publish(&self, event: DomainEvent) {
        tracing::debug!(?event, "domain event");
        let _ = self.sender.send(Arc::new(event));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<DomainEvent>> {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_subscriber_sees_events_in_order() {
        let bus = EventBus::new();
        let mut a = bus.subscribe();
        let mut b = bus.subscribe();
        bus.publish(DomainEvent::UserRegistered { user_id: 1 });
        bus.publish(DomainEvent::UserDeleted { user_id: 1 });
        for rx in [&mut a, &mut b] {
            assert_eq!(
                *rx.recv().await.unwrap(),
                DomainEvent::UserRegistered { user_id: 1 }
            );
            assert_eq!(
                *rx.recv().await.unwrap(),
                DomainEvent::UserDeleted { user_id: 1 }
            );
        }
    }
}
