//! The help assistant's vectors in Elasticsearch (at scale; by default they
//! are searched exactly in process, see `domain::assistant::index`): one
//! index beside the search's, `<VITRINE_ELASTICSEARCH_INDEX>-help`, with
//! strict mappings and an indexed `dense_vector` (`cosine`), one document
//! per help chunk (`_id` = the chunk id), searched by the top-level `knn`
//! option of `_search` filtered on the corpus version. Elasticsearch 8
//! syntax (OpenSearch calls the field `knn_vector`; there, every call fails
//! and the assistant keeps its in-process scan).
//!
//! The request bodies are built by the pure functions below, which the
//! tests' fake server checks field by field.
use elasticsearch::{
    BulkOperation, BulkParts, CountParts, DeleteByQueryParts, Elasticsearch, SearchParts,
    indices::{IndicesCreateParts, IndicesDeleteParts, IndicesExistsParts, IndicesGetMappingParts},
    params::Conflicts,
};
use serde_json::{Value, json};

use super::elastic::{bulk_failure, ok_json};

/// Documents per `_bulk` request (two lines each: 500 lines).
pub const BULK_DOCS: usize = 250;
/// The fewest candidates a kNN search considers per shard.
pub const MIN_CANDIDATES: usize = 100;

/// One chunk as stored: (chunk id, document slug, language, embedding).
pub type HelpVector = (i64, String, String, Vec<f32>);

/// The help chunks' vectors in Elasticsearch.
pub struct HelpVectors {
    client: Elasticsearch,
    index: String,
}

/// The help index's name beside the search index `base_index`.
pub fn index_name(base_index: &str) -> String {
    format!("{base_index}-help")
}

/// The body that creates the index: strict mappings, the embedding indexed
/// for approximate kNN with cosine similarity.
pub fn create_body(dims: usize) -> Value {
    json!({
        "settings": {"number_of_shards": 1},
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "chunk_id": {"type": "long"},
                "corpus_version": {"type": "keyword"},
                "doc": {"type": "keyword"},
                "lang": {"type": "keyword"},
                "embedding": {
                    "type": "dense_vector",
                    "dims": dims,
                    "index": true,
                    "similarity": "cosine"
                }
            }
        }
    })
}

/// The `dims` of the embedding in a `GET <index>/_mapping` answer.
pub fn mapped_dims(mapping: &Value, index: &str) -> Option<usize> {
    mapping[index]["mappings"]["properties"]["embedding"]["dims"]
        .as_u64()
        .map(|d| d as usize)
}

/// A vector as JSON numbers: each `f32` written with the fewest digits
/// that read back as the same `f32` (`0.6`, not `0.6000000238418579`),
/// which halves the requests' size.
pub fn json_vector(v: &[f32]) -> Vec<f64> {
    v.iter()
        .map(|x| x.to_string().parse().unwrap_or(f64::from(*x)))
        .collect()
}

/// A chunk's `_source`.
pub fn source(version: &str, chunk: &HelpVector) -> Value {
    let (id, doc, lang, embedding) = chunk;
    json!({
        "chunk_id": id,
        "corpus_version": version,
        "doc": doc,
        "lang": lang,
        "embedding": json_vector(embedding),
    })
}

/// The `_bulk` lines that index `chunks` of `version`.
pub fn bulk_lines(version: &str, chunks: &[HelpVector]) -> Vec<BulkOperation<Value>> {
    chunks
        .iter()
        .map(|c| {
            BulkOperation::index(source(version, c))
                .id(c.0.to_string())
                .into()
        })
        .collect()
}

/// The query of the documents of `version`.
pub fn version_query(version: &str) -> Value {
    json!({"term": {"corpus_version": version}})
}

/// The `_count` body of `version`'s documents.
pub fn count_body(version: &str) -> Value {
    json!({"query": version_query(version)})
}

/// The `_delete_by_query` body that removes every other version.
pub fn delete_others_body(version: &str) -> Value {
    json!({"query": {"bool": {"must_not": [version_query(version)]}}})
}

/// The `_search` body of the `k` nearest chunks of `version` to `vector`.
/// `num_candidates` (per shard) is at least [`MIN_CANDIDATES`] and 4k:
/// HNSW is approximate, and wider candidates make its top k the exact one
/// on a corpus of this size.
pub fn knn_body(version: &str, vector: &[f32], k: usize) -> Value {
    json!({
        "size": k,
        "_source": false,
        "fields": ["chunk_id"],
        "knn": {
            "field": "embedding",
            "query_vector": json_vector(vector),
            "k": k,
            "num_candidates": MIN_CANDIDATES.max(4 * k),
            "filter": version_query(version)
        }
    })
}

/// (chunk id, cosine similarity) of each hit of a kNN answer, best first.
/// With `cosine`, Elasticsearch scores `(1 + cosine) / 2`.
pub fn knn_hits(body: &Value) -> Vec<(i64, f32)> {
    body["hits"]["hits"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|hit| {
            let id = hit["fields"]["chunk_id"][0]
                .as_i64()
                .or_else(|| hit["_id"].as_str()?.parse().ok())?;
            let score = hit["_score"].as_f64()? as f32;
            Some((id, 2.0 * score - 1.0))
        })
        .collect()
}

impl HelpVectors {
    /// A client of `<base_index>-help` at `url` (no request is made: the
    /// index is created by [`Self::ensure_index`] once the dimension of
    /// the embeddings is known).
    pub fn connect(url: &str, base_index: &str) -> anyhow::Result<Self> {
        Ok(Self {
            client: super::elastic::client(url)?,
            index: index_name(base_index),
        })
    }

    /// The help vectors of `config`'s search backend: `Some` with
    /// Elasticsearch, `None` with tantivy (the in-process scan).
    pub fn for_config(config: &crate::config::Config) -> anyhow::Result<Option<Self>> {
        match &config.search {
            crate::config::SearchConfig::Tantivy => Ok(None),
            crate::config::SearchConfig::Elasticsearch { url, index } => {
                Self::connect(url.expose(), index).map(Some)
            }
        }
    }

    pub fn index(&self) -> &str {
        &self.index
    }

    /// Creates the index for vectors of `dims` when it is missing, or when
    /// it holds vectors of another dimension (a new embedder: its vectors
    /// could never meet the old ones), which are dropped.
    pub async fn ensure_index(&self, dims: usize) -> anyhow::Result<()> {
        let exists = self
            .client
            .indices()
            .exists(IndicesExistsParts::Index(&[&self.index]))
            .send()
            .await?;
        if exists.status_code().is_success() {
            let response = self
                .client
                .indices()
                .get_mapping(IndicesGetMappingParts::Index(&[&self.index]))
                .send()
                .await?;
            let mapping = ok_json(response, "get mapping").await?;
            if mapped_dims(&mapping, &self.index) == Some(dims) {
                return Ok(());
            }
            tracing::info!(
                index = %self.index,
                dims,
                "the help vectors change dimension; recreating their index"
            );
            let response = self
                .client
                .indices()
                .delete(IndicesDeleteParts::Index(&[&self.index]))
                .send()
                .await?;
            if response.status_code().as_u16() != 404 {
                ok_json(response, "delete index").await?;
            }
        }
        let response = self
            .client
            .indices()
            .create(IndicesCreateParts::Index(&self.index))
            .body(create_body(dims))
            .send()
            .await?;
        let status = response.status_code();
        let body = response.text().await.unwrap_or_default();
        // Another instance may have created it a moment ago.
        if !status.is_success() && !body.contains("resource_already_exists_exception") {
            let excerpt: String = body.chars().take(500).collect();
            anyhow::bail!("elasticsearch help vectors create index: HTTP {status}: {excerpt}");
        }
        Ok(())
    }

    /// Makes the index hold exactly `chunks` of `version`: indexes them
    /// (searchable when this returns), then deletes every other version.
    pub async fn replace(&self, version: &str, chunks: &[HelpVector]) -> anyhow::Result<()> {
        for batch in chunks.chunks(BULK_DOCS) {
            let response = self
                .client
                .bulk(BulkParts::Index(&self.index))
                .refresh(elasticsearch::params::Refresh::True)
                .body(bulk_lines(version, batch))
                .send()
                .await?;
            let body = ok_json(response, "bulk").await?;
            if let Some(failed) = bulk_failure(&body, false) {
                anyhow::bail!("elasticsearch help vectors bulk: {failed}");
            }
        }
        let response = self
            .client
            .delete_by_query(DeleteByQueryParts::Index(&[&self.index]))
            .refresh(true)
            .conflicts(Conflicts::Proceed)
            .body(delete_others_body(version))
            .send()
            .await?;
        ok_json(response, "delete by query").await?;
        Ok(())
    }

    /// Documents of `version`.
    pub async fn count(&self, version: &str) -> anyhow::Result<u64> {
        let response = self
            .client
            .count(CountParts::Index(&[&self.index]))
            .body(count_body(version))
            .send()
            .await?;
        Ok(ok_json(response, "count").await?["count"]
            .as_u64()
            .unwrap_or(0))
    }

    /// The `k` chunks of `version` nearest to `vector`: (chunk id, cosine
    /// similarity), best first.
    pub async fn knn(
        &self,
        version: &str,
        vector: &[f32],
        k: usize,
    ) -> anyhow::Result<Vec<(i64, f32)>> {
        if k == 0 {
            return Ok(Vec::new());
        }
        let response = self
            .client
            .search(SearchParts::Index(&[&self.index]))
            .body(knn_body(version, vector, k))
            .send()
            .await?;
        Ok(knn_hits(&ok_json(response, "knn search").await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_is_strict_with_an_indexed_cosine_vector() {
        assert_eq!(index_name("vitrine-search"), "vitrine-search-help");
        let body = create_body(1024);
        let mappings = &body["mappings"];
        assert_eq!(mappings["dynamic"], "strict");
        assert_eq!(
            mappings["properties"]["embedding"],
            json!({"type": "dense_vector", "dims": 1024, "index": true, "similarity": "cosine"})
        );
        assert_eq!(mappings["properties"]["chunk_id"]["type"], "long");
        for field in ["corpus_version", "doc", "lang"] {
            assert_eq!(mappings["properties"][field]["type"], "keyword", "{field}");
        }
        let mapping = json!({"h": body});
        assert_eq!(mapped_dims(&mapping, "h"), Some(1024));
        assert_eq!(mapped_dims(&mapping, "other"), None);
    }

    #[test]
    fn documents_carry_the_version_and_the_chunk_id() {
        let chunk: HelpVector = (7, "refunds".into(), "ko".into(), vec![0.6, 0.8]);
        assert_eq!(
            source("v1", &chunk),
            json!({
                "chunk_id": 7,
                "corpus_version": "v1",
                "doc": "refunds",
                "lang": "ko",
                "embedding": [0.6, 0.8]
            })
        );
        assert_eq!(bulk_lines("v1", &[chunk.clone(), chunk]).len(), 2);
        assert_eq!(
            count_body("v1"),
            json!({"query": {"term": {"corpus_version": "v1"}}})
        );
        assert_eq!(
            delete_others_body("v1"),
            json!({"query": {"bool": {"must_not": [{"term": {"corpus_version": "v1"}}]}}})
        );
    }

    #[test]
    fn knn_searches_the_version_with_enough_candidates() {
        let body = knn_body("v1", &[0.5, 0.5], 30);
        assert_eq!(
            body,
            json!({
                "size": 30,
                "_source": false,
                "fields": ["chunk_id"],
                "knn": {
                    "field": "embedding",
                    "query_vector": [0.5, 0.5],
                    "k": 30,
                    "num_candidates": 120,
                    "filter": {"term": {"corpus_version": "v1"}}
                }
            })
        );
        assert_eq!(knn_body("v1", &[1.0], 5)["knn"]["num_candidates"], 100);
    }

    #[test]
    fn hits_become_chunk_ids_and_cosines() {
        let answer = json!({"hits": {"hits": [
            {"_id": "12", "_score": 1.0, "fields": {"chunk_id": [12]}},
            {"_id": "3", "_score": 0.75},
            {"_id": "x", "_score": 0.5}
        ]}});
        assert_eq!(knn_hits(&answer), vec![(12, 1.0), (3, 0.5)]);
        assert!(knn_hits(&json!({})).is_empty());
    }

    #[test]
    fn vectors_are_written_short_and_read_back_exactly() {
        let v = [0.6f32, -0.123_456_79, 1e-8, 0.0];
        let written = json_vector(&v);
        assert_eq!(written[0], 0.6);
        let back: Vec<f32> = written.iter().map(|x| *x as f32).collect();
        assert_eq!(back, v);
    }
}
