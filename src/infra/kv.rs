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
    /// A cached text value, if present and not expired.
    async fn get_text(&self, key: &str) -> anyhow::Result<Option<String>>;
    /// Stores a text value for `ttl`.
    async fn set_text(&self, key: &str, value: &str, ttl: Duration) -> anyhow::Result<()>;
    /// Adds one to the counter `key` (0 when absent); the new value.
    async fn incr(&self, key: &str) -> anyhow::Result<i64>;
    /// [`Kv::incr`] of a counter that lives for `ttl` from its first
    /// increment (a fixed window's count): atomic, so concurrent callers
    /// never see the same value and the counter never outlives its window.
    async fn incr_with_ttl(&self, key: &str, ttl: Duration) -> anyhow::Result<i64>;
    fn backend(&self) -> &'static str;
}

/// One instance's store.
#[derive(Clone, Default)]
pub struct MemoryKv {
    sets: Arc<Mutex<HashMap<String, HashMap<String, i64>>>>,
    /// Text values with their expiry.
    texts: Arc<Mutex<HashMap<String, Expiring>>>,
}

/// A text value and when it stops being valid (`None`: never).
type Expiring = (String, Option<std::time::Instant>);

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
        crate::sync::lock(&self.texts).remove(key);
        Ok(())
    }

    async fn get_text(&self, key: &str) -> anyhow::Result<Option<String>> {
        let mut texts = crate::sync::lock(&self.texts);
        let now = std::time::Instant::now();
        match texts.get(key) {
            Some((_, Some(until))) if *until <= now => {
                texts.remove(key);
                Ok(None)
            }
            Some((value, _)) => Ok(Some(value.clone())),
            None => Ok(None),
        }
    }

    async fn set_text(&self, key: &str, value: &str, ttl: Duration) -> anyhow::Result<()> {
        let until = std::time::Instant::now().checked_add(ttl);
        let mut texts = crate::sync::lock(&self.texts);
        // Expired entries go when the map is touched, so it cannot grow
        // without bound.
        let now = std::time::Instant::now();
        texts.retain(|_, (_, until)| until.is_none_or(|u| u > now));
        texts.insert(key.to_owned(), (value.to_owned(), until));
        Ok(())
    }

    async fn incr(&self, key: &str) -> anyhow::Result<i64> {
        let mut texts = crate::sync::lock(&self.texts);
        let entry = texts
            .entry(key.to_owned())
            .or_insert_with(|| ("0".to_owned(), None));
        let next = entry.0.parse::<i64>().unwrap_or(0) + 1;
        entry.0 = next.to_string();
        Ok(next)
    }

    async fn incr_with_ttl(&self, key: &str, ttl: Duration) -> anyhow::Result<i64> {
        let now = std::time::Instant::now();
        let mut texts = crate::sync::lock(&self.texts);
        let live = texts
            .get(key)
            .filter(|(_, until)| until.is_none_or(|u| u > now))
            .and_then(|(value, until)| Some((value.parse::<i64>().ok()?, *until)));
        let (next, until) = match live {
            Some((n, until)) => (n + 1, until),
            None => (1, now.checked_add(ttl)),
        };
        texts.insert(key.to_owned(), (next.to_string(), until));
        Ok(next)
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

    async fn get_text(&self, key: &str) -> anyhow::Result<Option<String>> {
        let mut pipe = redis::pipe();
        pipe.cmd("GET").arg(key);
        let (value,): (Option<String>,) = self.run(&pipe).await?;
        Ok(value)
    }

    async fn set_text(&self, key: &str, value: &str, ttl: Duration) -> anyhow::Result<()> {
        let mut pipe = redis::pipe();
        pipe.cmd("SET")
            .arg(key)
            .arg(value)
            .arg("PX")
            .arg(ttl.as_millis().max(1) as u64)
            .ignore();
        self.run::<()>(&pipe).await
    }

    async fn incr(&self, key: &str) -> anyhow::Result<i64> {
        let mut pipe = redis::pipe();
        pipe.cmd("INCR").arg(key);
        let (value,): (i64,) = self.run(&pipe).await?;
        Ok(value)
    }

    async fn incr_with_ttl(&self, key: &str, ttl: Duration) -> anyhow::Result<i64> {
        // One script, so the increment and the expiry are one atomic step
        // (a counter left without an expiry would never reset).
        const SCRIPT: &str = "local n = redis.call('INCR', KEYS[1]) \
            if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end \
            return n";
        let mut pipe = redis::pipe();
        pipe.cmd("EVAL")
            .arg(SCRIPT)
            .arg(1)
            .arg(key)
            .arg(ttl.as_millis().max(1) as u64);
        let (value,): (i64,) = self.run(&pipe).await?;
        Ok(value)
    }

    fn backend(&self) -> &'static str {
        "redis"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_texts_expire_and_count() {
        let kv = MemoryKv::default();
        kv.set_text("a", "x", Duration::from_millis(30))
            .await
            .unwrap();
        assert_eq!(kv.get_text("a").await.unwrap().as_deref(), Some("x"));
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(kv.get_text("a").await.unwrap(), None);
        assert_eq!(kv.incr("n").await.unwrap(), 1);
        assert_eq!(kv.incr("n").await.unwrap(), 2);
        assert_eq!(kv.get_text("n").await.unwrap().as_deref(), Some("2"));
        kv.delete("n").await.unwrap();
        assert_eq!(kv.incr("n").await.unwrap(), 1);
    }

    #[tokio::test]
    async fn memory_windowed_counters_restart_after_their_ttl() {
        let kv = MemoryKv::default();
        let ttl = Duration::from_millis(40);
        assert_eq!(kv.incr_with_ttl("q", ttl).await.unwrap(), 1);
        assert_eq!(kv.incr_with_ttl("q", ttl).await.unwrap(), 2);
        assert_eq!(kv.incr_with_ttl("other", ttl).await.unwrap(), 1);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(kv.get_text("q").await.unwrap(), None);
        assert_eq!(kv.incr_with_ttl("q", ttl).await.unwrap(), 1);
    }

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
