//! Embeddings behind one trait: the offline embedder (the default: no
//! download, Korean and English) and an OpenAI-compatible `/embeddings`.
//!
//! The offline embedder hashes features into [`OFFLINE_DIM`] signed buckets
//! (the hashing trick), weights each by `1 + ln(tf)` and normalises:
//! - the search analysis's terms (stemmed English words, Hangul bigrams),
//!   weight 0.5;
//! - character trigrams of English words longer than four letters, weight
//!   0.25, so "refunded" and "refunding" still share most of their features;
//! - the glossary's concepts ([`super::glossary`]), weight 2: the only
//!   features the two languages share, and what the vector ranking adds to
//!   the keyword one (weighting words lower made hybrid retrieval better
//!   on the evaluation set: the two rankings then disagree usefully).
//!
//! What it can do: find passages that use the question's words or their
//! glossary concepts, in either language, with no model. What it cannot do:
//! know synonyms or paraphrases outside the glossary, word order, or
//! negation; cross-lingual matching only works through glossary concepts.
use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::{glossary::glossary, text::is_hangul};
use crate::infra::{
    llm::{LlmError, OpenAiCompatible},
    search::analysis::text_tokens,
};

/// Dimension of offline vectors.
pub const OFFLINE_DIM: usize = 1024;

#[async_trait::async_trait]
pub trait Embedder: Send + Sync + 'static {
    /// Identifies the vector space: vectors of different names never meet.
    fn name(&self) -> String;
    /// One unit-length vector per text, in order.
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, LlmError>;
}

/// Hashed features (see the module docs).
#[derive(Clone, Copy, Debug, Default)]
pub struct OfflineEmbedder;

fn bucket(feature: &str) -> (usize, f32) {
    let digest = Sha256::digest(feature.as_bytes());
    let n = u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]]);
    let sign = if digest[4] & 1 == 0 { 1.0 } else { -1.0 };
    (n as usize % OFFLINE_DIM, sign)
}

impl OfflineEmbedder {
    /// The vector of one text.
    pub fn vector(&self, text: &str) -> Vec<f32> {
        let mut features: HashMap<String, f32> = HashMap::new();
        let mut add = |f: String, w: f32| *features.entry(f).or_default() += w;
        for token in text_tokens(text) {
            let english = !token.chars().any(is_hangul);
            if english && token.chars().count() >= 5 {
                let chars: Vec<char> = format!("<{token}>").chars().collect();
                for gram in chars.windows(3) {
                    add(format!("g:{}", gram.iter().collect::<String>()), 0.25);
                }
            }
            add(format!("t:{token}"), 0.5);
        }
        for concept in glossary().concepts(text) {
            add(format!("c:{concept}"), 2.0);
        }
        let mut vector = vec![0f32; OFFLINE_DIM];
        for (feature, tf) in features {
            let (i, sign) = bucket(&feature);
            // Sublinear: a word said ten times is not ten times the subject.
            let weight = if tf >= 1.0 { 1.0 + tf.ln() } else { tf };
            vector[i] += sign * weight;
        }
        normalize(&mut vector);
        vector
    }
}

/// Scales a vector to unit length (a zero vector stays zero).
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Dot product: the cosine of two unit vectors.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[async_trait::async_trait]
impl Embedder for OfflineEmbedder {
    fn name(&self) -> String {
        format!("offline-hash-v1/{OFFLINE_DIM}")
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, LlmError> {
        Ok(texts.iter().map(|t| self.vector(t)).collect())
    }
}

/// `/embeddings` of an OpenAI-compatible API.
pub struct OpenAiEmbedder {
    pub client: OpenAiCompatible,
    pub model: String,
}

#[async_trait::async_trait]
impl Embedder for OpenAiEmbedder {
    fn name(&self) -> String {
        format!("openai/{}", self.model)
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, LlmError> {
        let mut vectors = self.client.embed(texts).await?;
        vectors.iter_mut().for_each(|v| normalize(v));
        Ok(vectors)
    }
}

/// Little-endian bytes of a vector, as `help_chunks.embedding` stores it.
pub fn to_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The vector of [`to_bytes`]' output.
pub fn from_bytes(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offline_vectors_are_unit_length_and_deterministic() {
        let e = OfflineEmbedder;
        let a = e.vector("How do I get a refund?");
        assert!((dot(&a, &a) - 1.0).abs() < 1e-4);
        assert_eq!(a, e.vector("How do I get a refund?"));
        assert_eq!(from_bytes(&to_bytes(&a)), a);
    }

    #[test]
    fn related_texts_are_closer_than_unrelated_ones_across_languages() {
        let e = OfflineEmbedder;
        let q = e.vector("How long does a refund take?");
        let ko = e.vector("환불은 결제 수단으로 3~5 영업일 안에 처리됩니다.");
        let other = e.vector("쇼츠 영상은 최대 60초까지 올릴 수 있습니다.");
        assert!(
            dot(&q, &ko) > dot(&q, &other) + 0.1,
            "{} vs {}",
            dot(&q, &ko),
            dot(&q, &other)
        );
    }
}
