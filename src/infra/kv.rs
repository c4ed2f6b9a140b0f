//! The shared key-value store: the few sorted-set operations presence needs
//! (members scored by expiry time), in memory for one instance or in Redis so
//! that every instance sees the same state.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use anyhow::Context as _;

#[async_trait::async_trait]
pub trait Kv: Send + Sync + 'static {
    /// Sets `member`'s score in sorted set `key` and keeps the key for `ttl`.
    async fn zadd(&self, key: &str, member: &str, score: i64, ttl: Duration) -> anyhow::Result<()> {
        self.zadd_many(&[(key.to_owned(), member.to_owned(), score)], ttl)
            .await
    }
    /// [`Kv::zadd`] for many `(key, member, score)` entries in one round trip.
    async fn zadd_many(
        &self,
        entries: &[(String, String, i64)],
        ttl: Duration,
    ) -> anyhow::Result<()>;
    /// Removes `member` from `key`.
    async fn zrem(&self, key: &str, member: &str) -> anyhow::Result<()>;
    /// For each key, how many members score at least `min`.
    async fn zcount_at_least(&self, keys: &[String], min: i64) -> anyhow::Result<Vec<u64>>;
    /// Removes the members of `key` that score below `min` (a sliding
    /// window's old entries).
    async fn zremrange_below(&self, key: &str, min: i64) -> anyhow::Result<()>;
    /// Removes `key`.
    async fn delete(&self, key: &str) -> anyhow::Result<()>;
    fn backend(&self) -> &'static str;
}

/// One instance's store.
#[derive(Clone, Default)]
pub struct MemoryKv {
    sets: Arc<Mutex<HashMap<String, HashMap<String, i64>>>>,
}

#[async_trait::async_trait]
impl Kv for MemoryKv {
    async fn zadd_many(
        &self,
        entries: &[(String, String, i64)],
        _ttl: Duration,
    ) -> anyhow::Result<()> {
        let mut sets = crate::sync::lock(&self.sets);
        for (key, member, score) in entries {
            sets.entry(key.clone())
                .or_default()
                .insert(member.clone(), *score);
        }
        Ok(())
    }

    async fn zrem(&self, key: &str, member: &str) -> anyhow::Result<()> {
        let mut sets = crate::sync::lock(&self.sets);
        if let Some(set) = sets.get_mut(key) {
            set.remove(member);
            if set.is_empty() {
                sets.remove(key);
            }
        }
        Ok(())
    }

    async fn zcount_at_least(&self, keys: &[String], min: i64) -> anyhow::Result<Vec<u64>> {
        let sets = crate::sync::lock(&self.sets);
        Ok(keys
            .iter()
            .map(|k| {
                sets.get(k)
                    .map(|s| s.values().filter(|v| **v >= min).count() as u64)
                    .unwrap_or(0)
            })
            .collect())
    }

    async fn zremrange_below(&self, key: &str, min: i64) -> anyhow::Result<()> {
        let mut sets = crate::sync::lock(&self.sets);
        if let Some(set) = sets.get_mut(key) {
            set.retain(|_, score| *score >= min);
            if set.is_empty() {
                sets.remove(key);
            }
        }
        Ok(())
    }

    async fn delete(&self, key: &str) -> anyhow::Result<()> {
        crate::sync::lock(&self.sets).remove(key);
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "memory"
    }
}

/// Redis sorted sets; every call is bounded by a short timeout so a Redis
/// outage slows nothing down for long.
#[derive(Clone)]
pub struct RedisKv {
    conn: redis::aio::ConnectionManager,
}

const TIMEOUT: Duration = Duration::from_secs(2);

impl RedisKv {
    pub fn new(conn: redis::aio::ConnectionManager) -> Self {
        Self { conn }
    }

    async fn run<T: redis::FromRedisValue>(&self, pipe: &redis::Pipeline) -> anyhow::Result<T> {
        let mut conn = self.conn.clone();
        tokio::time::timeout(TIMEOUT, pipe.query_async::<T>(&mut conn))
            .await
            .context("redis timed out")?
            .context("redis")
    }
}

#[async_trait::async_trait]
impl Kv for RedisKv {
    async fn zadd_many(
        &self,
        entries: &[(String, String, i64)],
        ttl: Duration,
    ) -> anyhow::Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for (key, member, score) in entries {
            pipe.cmd("ZADD")
                .arg(key)
                .arg(*score)
                .arg(member)
                .ignore()
                .cmd("PEXPIRE")
                .arg(key)
                .arg(ttl.as_millis() as u64)
                .ignore();
        }
        self.run::<()>(&pipe).await
    }

    async fn zrem(&self, key: &str, member: &str) -> anyhow::Result<()> {
        let mut pipe = redis::pipe();
        pipe.cmd("ZREM").arg(key).arg(member).ignore();
        self.run::<()>(&pipe).await
    }

    async fn zcount_at_least(&self, keys: &[String], min: i64) -> anyhow::Result<Vec<u64>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for key in keys {
            pipe.cmd("ZCOUNT").arg(key).arg(min).arg("+inf");
        }
        self.run::<Vec<u64>>(&pipe).await
    }

    async fn zremrange_below(&self, key: &str, min: i64) -> anyhow::Result<()> {
        let mut pipe = redis::pipe();
        pipe.cmd("ZREMRANGEBYSCORE")
            .arg(key)
            .arg("-inf")
            .arg(format!("({min}"))
            .ignore();
        self.run::<()>(&pipe).await
    }

    async fn delete(&self, key: &str) -> anyhow::Result<()> {
        let mut pipe = redis::pipe();
        pipe.cmd("DEL").arg(key).ignore();
        self.run::<()>(&pipe).await
    }

    fn backend(&self) -> &'static str {
        "redis"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_sorted_sets() {
        let kv = MemoryKv::default();
        let ttl = Duration::from_secs(1);
        kv.zadd("p:1", "a", 100, ttl).await.unwrap();
        kv.zadd("p:1", "b", 50, ttl).await.unwrap();
        kv.zadd("p:2", "a", 10, ttl).await.unwrap();
        let keys = ["p:1".to_owned(), "p:2".to_owned(), "p:3".to_owned()];
        assert_eq!(kv.zcount_at_least(&keys, 40).await.unwrap(), vec![2, 0, 0]);
        kv.zadd("p:1", "b", 10, ttl).await.unwrap();
        assert_eq!(kv.zcount_at_least(&keys, 40).await.unwrap(), vec![1, 0, 0]);
        kv.zrem("p:1", "a").await.unwrap();
        assert_eq!(kv.zcount_at_least(&keys, 0).await.unwrap(), vec![1, 1, 0]);
    }
}
