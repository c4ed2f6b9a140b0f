//! Delivery streams of the real-time channel (RT-2 … RT-5): what each
//! subscription receives, as streams of domain rows and real-time events that
//! the GraphQL subscriptions only map to their output types. The stream logic
//! lives here: notification replay with de-duplication, typing expiry, the
//! current presence before the changes, dropping a device's own sync events.
//!
//! Every function subscribes to its topic *before* it reads storage (and
//! before the caller checks access), so nothing falls between a replay and
//! the live stream.
use std::{
    collections::{BTreeSet, HashMap},
    time::Duration,
};

use chrono::Utc;
use futures::{Stream, StreamExt};
use sea_orm::DatabaseConnection;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::{
    PresenceEvent, Realtime, SyncEvent, TypingEvent, presence::Presence, sleep_until, topics,
};
use crate::{
    domain::realtime::notifications,
    entities::{message, notification},
    error::AppResult,
    infra::pubsub::{Delivery, PubSub, TopicStream},
};

/// A typing indicator lapses after this long without a refresh.
pub const TYPING_TTL: Duration = Duration::from_secs(5);

/// Rows read per replay statement.
const REPLAY_PAGE: u64 = 100;

/// The messages of `live` decoded as `T`; undecodable ones and word of
/// missed deliveries are dropped (these topics have no replay). Unpin, so
/// that several can be merged with `select_all`.
fn decoded<T: DeserializeOwned>(live: TopicStream) -> impl Stream<Item = T> {
    live.filter_map(|d| {
        futures::future::ready(match d {
            Delivery::Message(p) => serde_json::from_str::<T>(&p).ok(),
            Delivery::Missed(_) => None,
        })
    })
}

/// Ids delivered to one subscription: everything up to `floor`, and the
/// recent ones above it (bounded). A replay re-reads above `floor`.
struct Delivered {
    floor: i64,
    recent: BTreeSet<i64>,
}

const RECENT_IDS: usize = 1024;

impl Delivered {
    fn new(floor: i64) -> Self {
        Self {
            floor,
            recent: BTreeSet::new(),
        }
    }

    /// True the first time `id` is offered.
    fn insert(&mut self, id: i64) -> bool {
        if id <= self.floor || !self.recent.insert(id) {
            return false;
        }
        if self.recent.len() > RECENT_IDS
            && let Some(oldest) = self.recent.pop_first()
        {
            self.floor = oldest;
        }
        true
    }
}

enum Step<T> {
    Live(Option<T>),
    Resync(bool),
}

/// The notifications of `user_id`: first every one after `after` (omitted:
/// only new ones), oldest first, then new ones as they are stored. No gap
/// and no duplicate, also when notifications arrive during the replay or
/// pushes were lost (Redis down): storage is re-read whenever a loss is
/// possible.
pub async fn notifications(
    db: DatabaseConnection,
    pubsub: &dyn PubSub,
    user_id: i64,
    after: Option<i64>,
) -> AppResult<impl Stream<Item = notification::Model> + use<>> {
    // Subscribe first: whatever is stored from here on is either in the
    // replay, on the live stream, or both (deduplicated).
    let mut live = pubsub.subscribe(&topics::notifications(user_id));
    let mut resyncs = pubsub.resyncs();
    resyncs.mark_unchanged();
    let floor = match after {
        Some(id) => id,
        None => Box::pin(notifications::latest_id(&db, user_id)).await?,
    };
    // Rows are boxed while they are yielded: the stream's state, which every
    // idle subscriber keeps, would otherwise hold room for two of them.
    let rows = async_stream::stream! {
        let mut delivered = Delivered::new(floor);
        let mut replay = after.is_some();
        loop {
            if replay {
                replay = false;
                let mut from = delivered.floor;
                loop {
                    // Boxed: a query future is large, and the stream's state
                    // (kept by every idle subscriber) would carry it.
                    let page = match Box::pin(notifications::after(&db, user_id, from, REPLAY_PAGE)).await {
                        Ok(page) => page,
                        Err(_) => {
                            tracing::warn!(user_id, "notification replay failed; retrying on the next resync");
                            break;
                        }
                    };
                    let full = page.len() as u64 == REPLAY_PAGE;
                    for row in page {
                        from = row.id;
                        if delivered.insert(row.id) {
                            yield Box::new(row);
                        }
                    }
                    if !full {
                        break;
                    }
                }
                continue;
            }
            let step = tokio::select! {
                d = live.next() => Step::Live(d),
                changed = resyncs.changed() => Step::Resync(changed.is_ok()),
            };
            match step {
                Step::Live(Some(Delivery::Message(payload))) => {
                    let row = match serde_json::from_str::<notification::Model>(&payload) {
                        Ok(row) if delivered.insert(row.id) => Box::new(row),
                        _ => continue,
                    };
                    drop(payload);
                    yield row;
                }
                Step::Live(Some(Delivery::Missed(_))) | Step::Resync(true) => replay = true,
                Step::Live(None) | Step::Resync(false) => break,
            }
        }
    };
    Ok(rows.map(|row: Box<notification::Model>| *row))
}

/// What the other devices of `user_id` did; never `device_id`'s own events.
pub fn device_sync(
    pubsub: &dyn PubSub,
    user_id: i64,
    device_id: String,
) -> impl Stream<Item = SyncEvent> + use<> {
    decoded::<SyncEvent>(pubsub.subscribe(&topics::device_sync(user_id))).filter(move |e| {
        let other = e.device_id != device_id;
        async move { other }
    })
}

/// The state of each of `user_ids` now.
pub async fn presence_now(presence: &Presence, user_ids: &[i64]) -> Vec<PresenceEvent> {
    let online = presence.online(user_ids).await;
    let at = Utc::now();
    user_ids
        .iter()
        .zip(online)
        .map(|(user_id, online)| PresenceEvent {
            user_id: *user_id,
            online,
            at,
        })
        .collect()
}

/// Each of `user_ids`'s current state, then their online/offline changes.
pub async fn presence(
    realtime: &Realtime,
    user_ids: &[i64],
) -> impl Stream<Item = PresenceEvent> + use<> {
    let streams: Vec<_> = user_ids
        .iter()
        .map(|u| decoded::<PresenceEvent>(realtime.pubsub.subscribe(&topics::presence(*u))))
        .collect();
    let current = Box::pin(presence_now(&realtime.presence, user_ids)).await;
    futures::stream::iter(current).chain(futures::stream::select_all(streams))
}

/// New messages of a conversation.
pub fn messages(
    pubsub: &dyn PubSub,
    conversation_id: i64,
) -> impl Stream<Item = message::Model> + use<> {
    decoded(pubsub.subscribe(&topics::messages(conversation_id)))
}

/// Members other than `me` starting and stopping typing in a conversation.
/// A member who does not refresh within [`TYPING_TTL`] is reported as
/// stopped; a refresh while typing is not reported again.
pub fn typing(
    pubsub: &dyn PubSub,
    conversation_id: i64,
    me: i64,
) -> impl Stream<Item = TypingEvent> + use<> {
    let mut live = pubsub.subscribe(&topics::typing(conversation_id));
    let event = move |user_id, typing| TypingEvent {
        conversation_id,
        user_id,
        typing,
    };
    async_stream::stream! {
        let mut typing_until: HashMap<i64, Instant> = HashMap::new();
        loop {
            let next_expiry = typing_until.values().min().copied();
            let step = tokio::select! {
                d = live.next() => Some(d),
                _ = sleep_until(next_expiry), if next_expiry.is_some() => None,
            };
            match step {
                Some(Some(Delivery::Message(p))) => {
                    let Ok(e) = serde_json::from_str::<TypingEvent>(&p) else { continue };
                    if e.user_id == me {
                        continue;
                    }
                    if e.typing {
                        let started = typing_until
                            .insert(e.user_id, Instant::now() + TYPING_TTL)
                            .is_none();
                        if started {
                            yield event(e.user_id, true);
                        }
                    } else if typing_until.remove(&e.user_id).is_some() {
                        yield event(e.user_id, false);
                    }
                }
                Some(Some(Delivery::Missed(_))) => {}
                Some(None) => break,
                None => {
                    let now = Instant::now();
                    let lapsed: Vec<i64> = typing_until
                        .iter()
                        .filter(|(_, until)| **until <= now)
                        .map(|(user, _)| *user)
                        .collect();
                    for user in lapsed {
                        typing_until.remove(&user);
                        yield event(user, false);
                    }
                }
            }
        }
    }
}

/// Inline sizes in bytes of the delivery streams an idle subscription
/// keeps (for the real-time benchmark's report).
pub(super) fn footprint() -> Vec<(&'static str, usize)> {
    fn notifications_stream<F, S>(
        _: &impl Fn(DatabaseConnection, &'static dyn PubSub, i64, Option<i64>) -> F,
    ) -> usize
    where
        F: std::future::Future<Output = AppResult<S>>,
    {
        std::mem::size_of::<S>()
    }
    vec![(
        "`notificationReceived` delivery stream",
        notifications_stream(&notifications),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivered_ids_are_offered_once() {
        let mut d = Delivered::new(10);
        assert!(!d.insert(10));
        assert!(d.insert(12));
        assert!(d.insert(11));
        assert!(!d.insert(12));
        for id in 13..(13 + RECENT_IDS as i64) {
            assert!(d.insert(id));
        }
        // The oldest fell below the floor and still counts as delivered.
        assert!(!d.insert(11));
        assert!(d.floor >= 11);
    }
}
