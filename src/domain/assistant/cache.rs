//! The semantic answer cache, in the shared kv (Redis at scale, so every
//! instance reuses every instance's answers): a new first question whose
//! embedding is at least [`SIMILARITY`] similar to a cached one's gets the
//! cached answer. Per corpus version and language, so an ingestion or
//! another language never reuses an answer.
//!
//! Layout: `…:index` holds the newest [`MAX_ENTRIES`] questions' vectors,
//! quantised to one signed byte per dimension; `…:entry:<id>` holds each
//! answer. Both expire after [`TTL`]. Two instances adding at once may drop
//! one of the two index entries: a lost cache entry, never a wrong answer.
use std::time::Duration;

use base64::{Engine, engine::general_purpose::STANDARD_NO_PAD as B64};
use serde::{Deserialize, Serialize};

use super::{
    answer::{Scores, Source},
    embed::{dot, normalize},
};
use crate::infra::kv::Kv;

/// Least cosine similarity for a hit.
pub const SIMILARITY: f32 = 0.95;
/// Cached questions per corpus version and language.
pub const MAX_ENTRIES: usize = 200;
pub const TTL: Duration = Duration::from_secs(24 * 3600);

/// An answer as cached.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CachedAnswer {
    pub question: String,
    pub text: String,
    pub sources: Vec<Source>,
    pub scores: Scores,
    pub offer_inquiry: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct IndexEntry {
    id: String,
    /// Base64 of the quantised vector.
    v: String,
}

fn quantise(v: &[f32]) -> String {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    let scale = if max > 0.0 { 127.0 / max } else { 0.0 };
    let bytes: Vec<u8> = v
        .iter()
        .map(|x| ((x * scale).round() as i8) as u8)
        .collect();
    B64.encode(bytes)
}

fn dequantise(raw: &str) -> Option<Vec<f32>> {
    let bytes = B64.decode(raw).ok()?;
    let mut v: Vec<f32> = bytes.into_iter().map(|b| b as i8 as f32).collect();
    normalize(&mut v);
    Some(v)
}

fn prefix(kv_prefix: &str, version: &str, lang: &str) -> String {
    format!("{kv_prefix}assistant:cache:{version}:{lang}")
}

/// The cached answer most similar to `vector`, if one reaches
/// [`SIMILARITY`], with its similarity.
pub async fn lookup(
    kv: &dyn Kv,
    kv_prefix: &str,
    version: &str,
    lang: &str,
    vector: &[f32],
) -> anyhow::Result<Option<(CachedAnswer, f32)>> {
    let base = prefix(kv_prefix, version, lang);
    let Some(raw) = kv.get_text(&format!("{base}:index")).await? else {
        return Ok(None);
    };
    let entries: Vec<IndexEntry> = serde_json::from_str(&raw).unwrap_or_default();
    let best = entries
        .iter()
        .filter_map(|e| {
            let v = dequantise(&e.v)?;
            (v.len() == vector.len()).then(|| (e, dot(&v, vector)))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let Some((entry, similarity)) = best.filter(|(_, s)| *s >= SIMILARITY) else {
        return Ok(None);
    };
    let Some(raw) = kv.get_text(&format!("{base}:entry:{}", entry.id)).await? else {
        return Ok(None);
    };
    Ok(serde_json::from_str(&raw).ok().map(|a| (a, similarity)))
}

/// Caches `answer` under `vector`.
pub async fn store(
    kv: &dyn Kv,
    kv_prefix: &str,
    version: &str,
    lang: &str,
    vector: &[f32],
    answer: &CachedAnswer,
) -> anyhow::Result<()> {
    let base = prefix(kv_prefix, version, lang);
    let id = uuid::Uuid::new_v4().simple().to_string();
    kv.set_text(
        &format!("{base}:entry:{id}"),
        &serde_json::to_string(answer)?,
        TTL,
    )
    .await?;
    let key = format!("{base}:index");
    let mut entries: Vec<IndexEntry> = match kv.get_text(&key).await? {
        Some(raw) => serde_json::from_str(&raw).unwrap_or_default(),
        None => Vec::new(),
    };
    entries.push(IndexEntry {
        id,
        v: quantise(vector),
    });
    if entries.len() > MAX_ENTRIES {
        let excess = entries.len() - MAX_ENTRIES;
        entries.drain(..excess);
    }
    kv.set_text(&key, &serde_json::to_string(&entries)?, TTL)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{domain::assistant::embed::OfflineEmbedder, infra::kv::MemoryKv};

    fn answer(text: &str) -> CachedAnswer {
        CachedAnswer {
            question: text.into(),
            text: text.into(),
            sources: vec![],
            scores: Scores {
                relevance: 1.0,
                coverage: 1.0,
                completeness: 1.0,
                confidence: 1.0,
            },
            offer_inquiry: false,
        }
    }

    #[tokio::test]
    async fn near_duplicates_hit_and_others_miss() {
        let kv = MemoryKv::default();
        let e = OfflineEmbedder;
        let q = e.vector("How do I get a refund for my order?");
        store(&kv, "t:", "v1", "en", &q, &answer("refund answer"))
            .await
            .unwrap();
        let same = e.vector("how do I get a refund for my order");
        let (hit, similarity) = lookup(&kv, "t:", "v1", "en", &same).await.unwrap().unwrap();
        assert_eq!(hit.text, "refund answer");
        assert!(similarity >= SIMILARITY);
        let other = e.vector("How long are shorts?");
        assert!(
            lookup(&kv, "t:", "v1", "en", &other)
                .await
                .unwrap()
                .is_none()
        );
        // Another corpus version or language shares nothing.
        assert!(
            lookup(&kv, "t:", "v2", "en", &same)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            lookup(&kv, "t:", "v1", "ko", &same)
                .await
                .unwrap()
                .is_none()
        );
    }
}
