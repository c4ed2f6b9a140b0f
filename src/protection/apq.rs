//! Automatic persisted queries (API-1), Apollo's protocol: a client sends
//! `extensions.persistedQuery = {version: 1, sha256Hash}` without the query;
//! an unknown hash answers `PersistedQueryNotFound`
//! (`PERSISTED_QUERY_NOT_FOUND`), the client retries with the query, the
//! server checks the hash and remembers the document. Documents of the
//! frontend manifest are always known.
//!
//! The store is Redis when configured (shared by every instance, 24 h per
//! document) and an in-process LRU otherwise (and while Redis is
//! unreachable); both bound the entries and the document size.
use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
    time::Duration,
};

use sha2::{Digest, Sha256};

/// Largest document remembered (bytes).
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
/// Entries kept by the in-process store.
pub const MAX_LOCAL_ENTRIES: usize = 10_000;
/// How long Redis keeps a document after its last registration.
const REDIS_TTL: Duration = Duration::from_secs(24 * 3600);

pub fn sha256_hex(document: &str) -> String {
    hex::encode(Sha256::digest(document.as_bytes()))
}

#[derive(Default)]
struct Lru {
    map: HashMap<String, String>,
    order: VecDeque<String>,
}

pub struct ApqStore {
    redis: Option<redis::aio::ConnectionManager>,
    prefix: String,
    local: Mutex<Lru>,
}

impl ApqStore {
    pub fn new(redis: Option<redis::aio::ConnectionManager>, prefix: &str) -> Self {
        Self {
            redis,
            prefix: prefix.to_owned(),
            local: Mutex::default(),
        }
    }

    fn key(&self, hash: &str) -> String {
        format!("{}:apq:{hash}", self.prefix)
    }

    /// The document registered under `hash` (hex), if any.
    pub async fn get(&self, hash: &str) -> Option<String> {
        if let Some(conn) = &self.redis {
            let mut conn = conn.clone();
            let found = tokio::time::timeout(
                Duration::from_secs(1),
                redis::cmd("GET")
                    .arg(self.key(hash))
                    .query_async::<Option<String>>(&mut conn),
            )
            .await;
            match found {
                Ok(Ok(Some(doc))) => return Some(doc),
                Ok(Ok(None)) => {}
                _ => tracing::debug!("apq: redis unreachable; using this instance's store"),
            }
        }
        let mut lru = crate::sync::lock(&self.local);
        let doc = lru.map.get(hash).cloned()?;
        lru.order.retain(|h| h != hash);
        lru.order.push_back(hash.to_owned());
        Some(doc)
    }

    /// Remembers `document` under its hash (documents over the size bound
    /// are executed but not remembered).
    pub async fn put(&self, hash: &str, document: &str) {
        if document.len() > MAX_DOCUMENT_BYTES {
            return;
        }
        if let Some(conn) = &self.redis {
            let mut conn = conn.clone();
            let stored = tokio::time::timeout(
                Duration::from_secs(1),
                redis::cmd("SET")
                    .arg(self.key(hash))
                    .arg(document)
                    .arg("EX")
                    .arg(REDIS_TTL.as_secs())
                    .query_async::<()>(&mut conn),
            )
            .await;
            if matches!(stored, Ok(Ok(()))) {
                return;
            }
        }
        let mut lru = crate::sync::lock(&self.local);
        if lru
            .map
            .insert(hash.to_owned(), document.to_owned())
            .is_none()
        {
            lru.order.push_back(hash.to_owned());
        }
        while lru.order.len() > MAX_LOCAL_ENTRIES {
            if let Some(old) = lru.order.pop_front() {
                lru.map.remove(&old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_store_is_bounded() {
        let store = ApqStore::new(None, "t");
        for i in 0..(MAX_LOCAL_ENTRIES + 5) {
            store.put(&format!("h{i}"), "{ __typename }").await;
        }
        assert!(store.get("h0").await.is_none());
        assert!(
            store
                .get(&format!("h{}", MAX_LOCAL_ENTRIES + 4))
                .await
                .is_some()
        );
        store.put("big", &"x".repeat(MAX_DOCUMENT_BYTES + 1)).await;
        assert!(store.get("big").await.is_none());
        assert_eq!(
            sha256_hex("{ __typename }"),
            "7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b"
        );
    }
}
