//! Presence (RT-4): a user is online while any of their sockets is open on
//! any instance. Each instance counts its own sockets per user and keeps one
//! entry per (user, instance) in the shared store: a sorted set
//! `<prefix>:presence:<user>` whose members are instance ids scored by expiry
//! time. A heartbeat refreshes the entries every third of the TTL, so an
//! instance that dies without cleaning up stops counting within one TTL.
//!
//! Transitions publish `presenceChanged`: online when the first socket of a
//! user anywhere opens, offline when the last one closes. An instance that
//! dies takes its offline events with it; `presence(userIds)` is still right
//! once its entries expire.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::Utc;

use super::{PresenceEvent, topics};
use crate::infra::{kv::Kv, pubsub::PubSub};

pub struct Presence {
    kv: Arc<dyn Kv>,
    pubsub: Arc<dyn PubSub>,
    prefix: String,
    instance: String,
    ttl: Duration,
    /// Open sockets per user on this instance.
    local: Mutex<HashMap<i64, usize>>,
    /// Serialises this instance's transitions so a quick close-and-reopen
    /// cannot reorder its store writes.
    transitions: tokio::sync::Mutex<()>,
}

impl Presence {
    pub fn new(kv: Arc<dyn Kv>, pubsub: Arc<dyn PubSub>, prefix: &str, ttl: Duration) -> Arc<Self> {
        let presence = Arc::new(Self {
            kv,
            pubsub,
            prefix: prefix.to_owned(),
            instance: uuid::Uuid::new_v4().simple().to_string(),
            ttl,
            local: Mutex::default(),
            transitions: tokio::sync::Mutex::new(()),
        });
        let weak = Arc::downgrade(&presence);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(ttl / 3);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(presence) = weak.upgrade() else {
                    break;
                };
                presence.heartbeat().await;
            }
        });
        presence
    }

    fn key(&self, user_id: i64) -> String {
        format!("{}:presence:{user_id}", self.prefix)
    }

    fn expiry(&self) -> i64 {
        Utc::now().timestamp_millis() + self.ttl.as_millis() as i64
    }

    /// Counts a socket of `user_id` as open until the guard drops.
    pub async fn connect(self: &Arc<Self>, user_id: i64) -> PresenceGuard {
        let first = {
            let mut local = crate::sync::lock(&self.local);
            let n = local.entry(user_id).or_insert(0);
            *n += 1;
            *n == 1
        };
        if first {
            let _order = self.transitions.lock().await;
            let key = self.key(user_id);
            let before = self.live_entries(&key).await;
            if let Err(e) = self
                .kv
                .zadd(&key, &self.instance, self.expiry(), self.ttl)
                .await
            {
                tracing::warn!(error = %e, "presence store unreachable");
            }
            if before == 0 {
                self.announce(user_id, true).await;
            }
        }
        PresenceGuard {
            presence: self.clone(),
            user_id,
        }
    }

    async fn disconnect(&self, user_id: i64) {
        let last = {
            let mut local = crate::sync::lock(&self.local);
            match local.get_mut(&user_id) {
                Some(n) if *n > 1 => {
                    *n -= 1;
                    false
                }
                Some(_) => {
                    local.remove(&user_id);
                    true
                }
                None => false,
            }
        };
        if !last {
            return;
        }
        let _order = self.transitions.lock().await;
        if self.is_local(user_id) {
            return; // reopened meanwhile
        }
        let key = self.key(user_id);
        if let Err(e) = self.kv.zrem(&key, &self.instance).await {
            tracing::warn!(error = %e, "presence store unreachable");
        }
        let after = self.live_entries(&key).await;
        if after == 0 {
            self.announce(user_id, false).await;
        }
    }

    /// Unexpired instance entries under `key` (0 when the store is
    /// unreachable: this instance then speaks for itself).
    async fn live_entries(&self, key: &str) -> u64 {
        let now = Utc::now().timestamp_millis();
        match self.kv.zcount_at_least(&[key.to_owned()], now).await {
            Ok(counts) => counts.first().copied().unwrap_or(0),
            Err(e) => {
                tracing::warn!(error = %e, "presence store unreachable; using this instance's view");
                0
            }
        }
    }

    fn is_local(&self, user_id: i64) -> bool {
        crate::sync::lock(&self.local).contains_key(&user_id)
    }

    async fn announce(&self, user_id: i64, online: bool) {
        let event = PresenceEvent {
            user_id,
            online,
            at: Utc::now(),
        };
        if let Ok(text) = serde_json::to_string(&event) {
            self.pubsub
                .publish(&topics::presence(user_id), text.into())
                .await;
        }
    }

    /// Refreshes this instance's entry for every user with an open socket, in
    /// one round trip.
    async fn heartbeat(&self) {
        let users: Vec<i64> = crate::sync::lock(&self.local).keys().copied().collect();
        if users.is_empty() {
            return;
        }
        let expiry = self.expiry();
        let entries: Vec<(String, String, i64)> = users
            .iter()
            .map(|u| (self.key(*u), self.instance.clone(), expiry))
            .collect();
        if let Err(e) = self.kv.zadd_many(&entries, self.ttl).await {
            tracing::warn!(error = %e, users = users.len(), "presence heartbeat failed");
        }
    }

    /// Whether each user has an open socket on any instance. With the store
    /// unreachable, this instance's own view.
    pub async fn online(&self, user_ids: &[i64]) -> Vec<bool> {
        let keys: Vec<String> = user_ids.iter().map(|u| self.key(*u)).collect();
        let now = Utc::now().timestamp_millis();
        match self.kv.zcount_at_least(&keys, now).await {
            Ok(counts) => counts.into_iter().map(|c| c > 0).collect(),
            Err(e) => {
                tracing::warn!(error = %e, "presence store unreachable; using this instance's view");
                user_ids.iter().map(|u| self.is_local(*u)).collect()
            }
        }
    }
}

/// One open socket of a signed-in user.
pub struct PresenceGuard {
    presence: Arc<Presence>,
    user_id: i64,
}

impl Drop for PresenceGuard {
    fn drop(&mut self) {
        let presence = self.presence.clone();
        let user_id = self.user_id;
        tokio::spawn(async move { presence.disconnect(user_id).await });
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;
    use crate::infra::{
        kv::MemoryKv,
        pubsub::{Delivery, MemoryPubSub},
    };

    #[tokio::test]
    async fn online_while_any_socket_is_open_with_one_event_per_transition() {
        let pubsub = Arc::new(MemoryPubSub::new());
        let presence = Presence::new(
            Arc::new(MemoryKv::default()),
            pubsub.clone(),
            "t",
            Duration::from_secs(30),
        );
        let mut events = pubsub.subscribe(&topics::presence(7));
        let a = presence.connect(7).await;
        let b = presence.connect(7).await;
        assert_eq!(presence.online(&[7, 8]).await, vec![true, false]);
        drop(a);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(presence.online(&[7]).await, vec![true]);
        drop(b);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(presence.online(&[7]).await, vec![false]);
        let online: Vec<bool> = events
            .by_ref()
            .take(2)
            .map(|d| match d {
                Delivery::Message(p) => serde_json::from_str::<PresenceEvent>(&p).unwrap().online,
                Delivery::Missed(_) => panic!("missed"),
            })
            .collect()
            .await;
        assert_eq!(online, vec![true, false]);
    }
}
