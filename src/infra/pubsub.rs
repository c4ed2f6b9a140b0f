//! Topic pub/sub for real-time delivery (RT-6). [`PubSub`] has two backends:
//! [`MemoryPubSub`], the embedded default, and [`RedisPubSub`], which sends
//! every publication through Redis so that subscribers on every instance get
//! it. Both deliver to local subscribers through one [`LocalHub`].
//!
//! Delivery is at-most-once and may be lost (Redis down, a subscriber too
//! slow): whatever must not be lost is stored first, and subscribers that
//! replay from storage listen to [`PubSub::resyncs`], which ticks whenever a
//! loss may have happened, and re-read what they may have missed.
use std::{
    collections::HashMap,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Duration,
};

use futures::{Stream, StreamExt};
use tokio::sync::{broadcast, watch};
use tokio_stream::wrappers::{BroadcastStream, errors::BroadcastStreamRecvError};

/// A published message: JSON text, shared by every receiver.
pub type Payload = Arc<str>;

/// What a subscriber receives: a message, or word that some were dropped
/// because it fell behind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    Message(Payload),
    Missed(u64),
}

#[async_trait::async_trait]
pub trait PubSub: Send + Sync + 'static {
    /// Sends `payload` to the subscribers of `topic` on every instance.
    /// Never fails: when the shared transport is down the message still
    /// reaches this instance's subscribers, the loss is logged and counted,
    /// and a resync is signalled once the transport is back.
    async fn publish(&self, topic: &str, payload: Payload);
    /// Messages published on `topic` from now on.
    fn subscribe(&self, topic: &str) -> TopicStream;
    /// Ticks whenever deliveries may have been lost.
    fn resyncs(&self) -> watch::Receiver<u64>;
    /// Tells replaying subscribers that deliveries may have been lost.
    fn signal_resync(&self);
    /// `memory` or `redis`, for logs and readiness.
    fn backend(&self) -> &'static str;
}

/// Messages a subscriber may have queued before it starts missing some. Per
/// topic, allocated up front (40 bytes a message): small, because most
/// topics are one user's.
const TOPIC_CAPACITY: usize = 16;

/// The same for a user's notifications and control topics, which every
/// signed-in socket holds (so one user per socket pays for both), which see
/// a few messages at a time, and whose subscribers recover what they miss:
/// notifications replay from storage, a control subscriber closes its socket
/// for the client to re-authenticate.
const USER_TOPIC_CAPACITY: usize = 4;

/// Slots of `topic`'s channel (see [`crate::realtime::topics`]).
fn capacity(topic: &str) -> usize {
    let user_topic = topic.starts_with("user:")
        && (topic.ends_with(":notifications") || topic.ends_with(":control"));
    if user_topic {
        USER_TOPIC_CAPACITY
    } else {
        TOPIC_CAPACITY
    }
}

/// This instance's subscribers, by topic. A topic's channel exists while it
/// has subscribers.
#[derive(Clone)]
pub struct LocalHub {
    topics: Arc<Mutex<HashMap<Arc<str>, broadcast::Sender<Payload>>>>,
    resync: Arc<watch::Sender<u64>>,
}

impl Default for LocalHub {
    fn default() -> Self {
        Self {
            topics: Arc::default(),
            resync: Arc::new(watch::channel(0).0),
        }
    }
}

impl LocalHub {
    /// Hands `payload` to this instance's subscribers of `topic`.
    pub fn deliver(&self, topic: &str, payload: Payload) {
        let sender = crate::sync::lock(&self.topics).get(topic).cloned();
        if let Some(sender) = sender {
            let _ = sender.send(payload);
        }
    }

    pub fn subscribe(&self, topic: &str) -> TopicStream {
        let mut topics = crate::sync::lock(&self.topics);
        let receiver = match topics.get(topic) {
            Some(sender) => sender.subscribe(),
            None => {
                let (sender, receiver) = broadcast::channel(capacity(topic));
                topics.insert(topic.into(), sender);
                receiver
            }
        };
        TopicStream {
            inner: BroadcastStream::new(receiver),
            topic: topic.into(),
            hub: self.clone(),
        }
    }

    /// Signals every replaying subscriber to re-read from storage.
    pub fn signal_resync(&self) {
        self.resync.send_modify(|n| *n += 1);
    }

    pub fn resyncs(&self) -> watch::Receiver<u64> {
        self.resync.subscribe()
    }

    /// Topics with at least one subscriber (tests and metrics).
    pub fn topic_count(&self) -> usize {
        crate::sync::lock(&self.topics).len()
    }

    fn release(&self, topic: &str) {
        let mut topics = crate::sync::lock(&self.topics);
        if topics.get(topic).is_some_and(|s| s.receiver_count() == 0) {
            topics.remove(topic);
        }
    }
}

/// The messages of one topic; unsubscribes when dropped.
pub struct TopicStream {
    inner: BroadcastStream<Payload>,
    topic: Arc<str>,
    hub: LocalHub,
}

impl Stream for TopicStream {
    type Item = Delivery;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Delivery>> {
        self.inner.poll_next_unpin(cx).map(|item| {
            item.map(|r| match r {
                Ok(payload) => Delivery::Message(payload),
                Err(BroadcastStreamRecvError::Lagged(n)) => Delivery::Missed(n),
            })
        })
    }
}

impl Drop for TopicStream {
    fn drop(&mut self) {
        // Our receiver is still alive inside `inner`: swap it out first so
        // the count the hub sees excludes it.
        let (_, empty) = broadcast::channel::<Payload>(1);
        drop(std::mem::replace(
            &mut self.inner,
            BroadcastStream::new(empty),
        ));
        self.hub.release(&self.topic);
    }
}

/// The embedded backend: one process, no network.
#[derive(Clone, Default)]
pub struct MemoryPubSub {
    hub: LocalHub,
}

impl MemoryPubSub {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn hub(&self) -> &LocalHub {
        &self.hub
    }
}

#[async_trait::async_trait]
impl PubSub for MemoryPubSub {
    async fn publish(&self, topic: &str, payload: Payload) {
        self.hub.deliver(topic, payload);
    }

    fn subscribe(&self, topic: &str) -> TopicStream {
        self.hub.subscribe(topic)
    }

    fn resyncs(&self) -> watch::Receiver<u64> {
        self.hub.resyncs()
    }

    fn signal_resync(&self) {
        self.hub.signal_resync();
    }

    fn backend(&self) -> &'static str {
        "memory"
    }
}

/// Redis pub/sub: every publication goes out as `PUBLISH <prefix>:rt:<topic>`;
/// each instance holds one connection subscribed to `<prefix>:rt:*` and hands
/// what arrives to its local subscribers. Every instance receives every
/// message (one pattern subscription, no per-topic bookkeeping); that is the
/// right trade for a fleet of a few instances.
pub struct RedisPubSub {
    hub: LocalHub,
    conn: redis::aio::ConnectionManager,
    prefix: String,
    listener: tokio::task::JoinHandle<()>,
}

impl RedisPubSub {
    /// Connects the listener (waiting for its first subscription, so nothing
    /// published after this returns is missed) and keeps it connected.
    pub async fn connect(
        client: redis::Client,
        conn: redis::aio::ConnectionManager,
        prefix: &str,
    ) -> anyhow::Result<Self> {
        let hub = LocalHub::default();
        let channel_prefix = format!("{prefix}:rt:");
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let listener = tokio::spawn(listen(
            client,
            channel_prefix.clone(),
            hub.clone(),
            ready_tx,
        ));
        match tokio::time::timeout(Duration::from_secs(5), ready_rx).await {
            Ok(Ok(())) => {}
            _ => anyhow::bail!("REDIS_URL: could not subscribe to pub/sub channels"),
        }
        Ok(Self {
            hub,
            conn,
            prefix: channel_prefix,
            listener,
        })
    }
}

impl Drop for RedisPubSub {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

/// Keeps one pattern subscription alive: reconnects with backoff and, after
/// any interruption, signals a resync (messages sent meanwhile are gone).
async fn listen(
    client: redis::Client,
    channel_prefix: String,
    hub: LocalHub,
    ready: tokio::sync::oneshot::Sender<()>,
) {
    let mut ready = Some(ready);
    let mut backoff = Duration::from_millis(100);
    loop {
        let connected = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.psubscribe(format!("{channel_prefix}*")).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        match tokio::time::timeout(Duration::from_secs(3), connected).await {
            Ok(Ok(pubsub)) => {
                backoff = Duration::from_millis(100);
                if let Some(ready) = ready.take() {
                    let _ = ready.send(());
                } else {
                    tracing::info!("redis pub/sub reconnected; subscribers resync from storage");
                    hub.signal_resync();
                }
                let mut messages = pubsub.into_on_message();
                while let Some(msg) = messages.next().await {
                    let Some(topic) = msg.get_channel_name().strip_prefix(&channel_prefix) else {
                        continue;
                    };
                    match std::str::from_utf8(msg.get_payload_bytes()) {
                        Ok(text) => hub.deliver(topic, text.into()),
                        Err(_) => tracing::warn!(topic, "dropping a non-UTF-8 pub/sub message"),
                    }
                }
                tracing::warn!("redis pub/sub connection lost; reconnecting");
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "redis pub/sub: cannot subscribe"),
            Err(_) => tracing::warn!("redis pub/sub: connecting timed out"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

#[async_trait::async_trait]
impl PubSub for RedisPubSub {
    async fn publish(&self, topic: &str, payload: Payload) {
        let mut conn = self.conn.clone();
        let channel = format!("{}{topic}", self.prefix);
        let sent = tokio::time::timeout(
            Duration::from_secs(2),
            redis::cmd("PUBLISH")
                .arg(&channel)
                .arg(payload.as_bytes())
                .query_async::<i64>(&mut conn),
        )
        .await;
        match sent {
            Ok(Ok(_)) => {}
            failed => {
                let error = match failed {
                    Ok(Err(e)) => e.to_string(),
                    _ => "timed out".into(),
                };
                tracing::warn!(topic, %error, "redis publish failed; delivering on this instance only");
                self.hub.deliver(topic, payload);
                // Other instances' subscribers missed it: they resync when
                // their listeners reconnect; ours may have missed earlier ones.
                self.hub.signal_resync();
            }
        }
    }

    fn subscribe(&self, topic: &str) -> TopicStream {
        self.hub.subscribe(topic)
    }

    fn resyncs(&self) -> watch::Receiver<u64> {
        self.hub.resyncs()
    }

    fn signal_resync(&self) {
        self.hub.signal_resync();
    }

    fn backend(&self) -> &'static str {
        "redis"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn subscribers_get_their_topic_only_and_topics_are_released() {
        let bus = MemoryPubSub::new();
        let mut a = bus.subscribe("a");
        let mut a2 = bus.subscribe("a");
        let mut b = bus.subscribe("b");
        bus.publish("a", "1".into()).await;
        bus.publish("b", "2".into()).await;
        assert_eq!(a.next().await, Some(Delivery::Message("1".into())));
        assert_eq!(a2.next().await, Some(Delivery::Message("1".into())));
        assert_eq!(b.next().await, Some(Delivery::Message("2".into())));
        assert_eq!(bus.hub().topic_count(), 2);
        drop(a);
        assert_eq!(bus.hub().topic_count(), 2);
        drop(a2);
        drop(b);
        assert_eq!(bus.hub().topic_count(), 0);
        // Publishing to a topic nobody listens to is fine.
        bus.publish("nobody", "x".into()).await;
    }

    #[tokio::test]
    async fn a_slow_subscriber_is_told_what_it_missed() {
        let bus = MemoryPubSub::new();
        let mut slow = bus.subscribe("t");
        for i in 0..(TOPIC_CAPACITY + 5) {
            bus.publish("t", i.to_string().into()).await;
        }
        assert_eq!(slow.next().await, Some(Delivery::Missed(5)));
        assert_eq!(slow.next().await, Some(Delivery::Message("5".into())));
    }

    #[tokio::test]
    async fn a_users_notifications_and_control_topics_hold_fewer_messages() {
        let bus = MemoryPubSub::new();
        for topic in ["user:7:notifications", "user:7:control"] {
            let mut slow = bus.subscribe(topic);
            for i in 0..(USER_TOPIC_CAPACITY + 2) {
                bus.publish(topic, i.to_string().into()).await;
            }
            assert_eq!(slow.next().await, Some(Delivery::Missed(2)));
            assert_eq!(slow.next().await, Some(Delivery::Message("2".into())));
        }
        assert_eq!(capacity("user:7:sync"), TOPIC_CAPACITY);
        assert_eq!(capacity("conversation:7:messages"), TOPIC_CAPACITY);
    }
}
