//! The Elasticsearch / OpenSearch backend (the `elasticsearch` crate, 8.x
//! API): one index (`VITRINE_ELASTICSEARCH_INDEX`) created from an index
//! template that declares the analysers of [`super::analysis`] with
//! built-in parts; `_bulk` with `refresh=true` (a write is searchable when
//! the call returns); `multi_match` (`most_fields`) inside `function_score`.
//!
//! The request bodies are built by the pure functions below, which the
//! tests' fake server checks field by field.
use std::time::Duration;

use anyhow::Context as _;
use elasticsearch::{
    BulkOperation, BulkParts, CountParts, DeleteByQueryParts, Elasticsearch, SearchParts,
    cluster::ClusterHealthParts,
    http::{
        Url,
        response::Response,
        transport::{SingleNodeConnectionPool, TransportBuilder},
    },
    indices::{
        IndicesCreateParts, IndicesDeleteParts, IndicesExistsParts, IndicesPutIndexTemplateParts,
        IndicesPutMappingParts,
    },
    params::{Conflicts, Refresh},
};
use serde_json::{Value, json};

use super::{
    Audience, Change, DocKind, FacetFilter, Hits, SearchBackend, SearchDoc, SearchRequest,
    SuggestRequest, Suggestion, analysis::MAX_GRAM,
};

pub struct ElasticBackend {
    client: Elasticsearch,
    index: String,
}

/// The index template: settings (analysers) and strict mappings.
pub fn index_template(index: &str) -> Value {
    json!({
        "index_patterns": [index],
        "priority": 100,
        "template": {
            "settings": {
                "number_of_shards": 1,
                "analysis": {
                    "filter": {
                        "vt_english_stemmer": {"type": "stemmer", "language": "porter2"},
                        "vt_edge_ngram": {"type": "edge_ngram", "min_gram": 1, "max_gram": MAX_GRAM}
                    },
                    "analyzer": {
                        "vt_text": {
                            "type": "custom",
                            "tokenizer": "standard",
                            "filter": ["lowercase", "cjk_bigram", "vt_english_stemmer"]
                        },
                        "vt_prefix": {
                            "type": "custom",
                            "tokenizer": "standard",
                            "filter": ["lowercase", "vt_edge_ngram"]
                        },
                        "vt_prefix_search": {
                            "type": "custom",
                            "tokenizer": "standard",
                            "filter": ["lowercase"]
                        }
                    }
                }
            },
            "mappings": {
                "dynamic": "strict",
                "properties": {
                    "kind": {"type": "keyword"},
                    "id": {"type": "long"},
                    "title": {"type": "text", "analyzer": "vt_text"},
                    "body": {"type": "text", "analyzer": "vt_text"},
                    "suggest": {"type": "text", "analyzer": "vt_prefix", "search_analyzer": "vt_prefix_search"},
                    "style": {"type": "keyword"},
                    "room_type": {"type": "keyword"},
                    "theme": {"type": "keyword"},
                    "public": {"type": "boolean"},
                    "owner_id": {"type": "long"},
                    "boost": {"type": "double"},
                    "generation": {"type": "long"},
                    "price": {"type": "long"},
                    "store_id": {"type": "long"},
                    "category_ids": {"type": "long"},
                    "colors": {"type": "keyword"},
                    "gender": {"type": "keyword"},
                    "seasons": {"type": "keyword"}
                }
            }
        }
    })
}

/// A document's `_source`.
pub fn source(doc: &SearchDoc) -> Value {
    let mut v = json!({
        "kind": doc.kind.as_str(),
        "id": doc.id,
        "title": doc.title,
        "body": doc.body,
        "public": doc.public,
        "owner_id": doc.owner_id,
        "boost": doc.boost,
        "generation": doc.generation,
    });
    let map = v.as_object_mut().expect("object");
    if let Some(s) = &doc.suggest {
        map.insert("suggest".into(), json!(s));
    }
    if let Some(s) = &doc.style {
        map.insert("style".into(), json!(s));
    }
    if let Some(r) = &doc.room_type {
        map.insert("room_type".into(), json!(r));
    }
    if let Some(t) = &doc.theme {
        map.insert("theme".into(), json!(t));
    }
    if let Some(p) = &doc.product {
        map.insert("price".into(), json!(p.price));
        map.insert("store_id".into(), json!(p.store_id));
        map.insert("category_ids".into(), json!(p.category_ids));
        map.insert("colors".into(), json!(p.colors));
        map.insert("gender".into(), json!(p.gender));
        map.insert("seasons".into(), json!(p.seasons));
    }
    v
}

fn audience_filter(audience: Audience) -> Option<Value> {
    match audience {
        Audience::All => None,
        Audience::Public => Some(json!({"term": {"public": true}})),
        Audience::User(id) => Some(json!({"bool": {
            "should": [{"term": {"public": true}}, {"term": {"owner_id": id}}],
            "minimum_should_match": 1
        }})),
    }
}

fn facet_filters(f: &FacetFilter) -> Vec<Value> {
    let mut out = Vec::new();
    if f.min_price.is_some() || f.max_price.is_some() {
        let mut range = serde_json::Map::new();
        if let Some(v) = f.min_price {
            range.insert("gte".into(), json!(v));
        }
        if let Some(v) = f.max_price {
            range.insert("lte".into(), json!(v));
        }
        out.push(json!({"range": {"price": range}}));
    }
    if let Some(c) = f.category_id {
        out.push(json!({"term": {"category_ids": c}}));
    }
    if let Some(s) = f.store_id {
        out.push(json!({"term": {"store_id": s}}));
    }
    if !f.colors.is_empty() {
        out.push(json!({"terms": {"colors": f.colors}}));
    }
    if !f.genders.is_empty() {
        out.push(json!({"terms": {"gender": f.genders}}));
    }
    if let Some(s) = &f.season {
        out.push(json!({"term": {"seasons": s}}));
    }
    if let Some(t) = &f.theme {
        out.push(json!({"term": {"theme": t}}));
    }
    out
}

/// The `_search` body of one kind's page.
pub fn search_body(req: &SearchRequest, query: &str) -> Value {
    let mut filter = vec![json!({"term": {"kind": req.kind.as_str()}})];
    filter.extend(audience_filter(req.audience));
    if let Some(f) = &req.filter {
        filter.extend(facet_filters(f));
    }
    if let Some(t) = &req.theme {
        filter.push(json!({"term": {"theme": t}}));
    }
    let mut should = Vec::new();
    if !req.terms.is_empty() {
        should.push(json!({"multi_match": {
            "query": query,
            "type": "most_fields",
            "operator": "or",
            "fields": [format!("title^{}", req.kind.title_weight()), "body^1".to_owned()]
        }}));
    }
    for s in &req.styles {
        should.push(json!({"constant_score": {"filter": {"term": {"style": s}}, "boost": 1.0}}));
    }
    for r in &req.room_types {
        should
            .push(json!({"constant_score": {"filter": {"term": {"room_type": r}}, "boost": 1.0}}));
    }
    let mut functions = vec![json!({"field_value_factor": {"field": "boost", "missing": 1.0}})];
    if !req.styles.is_empty() {
        functions.push(json!({"filter": {"terms": {"style": req.styles}}, "weight": 3.0}));
    }
    if !req.room_types.is_empty() {
        functions.push(json!({"filter": {"terms": {"room_type": req.room_types}}, "weight": 2.0}));
    }
    json!({
        "from": req.offset,
        "size": req.limit,
        "track_total_hits": true,
        "_source": false,
        "sort": [{"_score": "desc"}, {"id": "desc"}],
        "query": {"function_score": {
            "query": {"bool": {"filter": filter, "should": should, "minimum_should_match": 1}},
            "functions": functions,
            "score_mode": "multiply",
            "boost_mode": "multiply"
        }}
    })
}

/// The `_search` body of a suggestion request.
pub fn suggest_body(req: &SuggestRequest) -> Value {
    let kinds: Vec<&str> = req.kinds.iter().map(|k| k.as_str()).collect();
    let mut filter = vec![json!({"terms": {"kind": kinds}})];
    filter.extend(audience_filter(req.audience));
    json!({
        "size": req.limit * 3,
        "_source": ["kind", "id", "suggest"],
        "sort": [{"_score": "desc"}, {"id": "desc"}],
        "query": {"bool": {
            "filter": filter,
            "must": [{"match": {"suggest": {"query": req.prefixes.join(" "), "operator": "and"}}}]
        }}
    })
}

/// The `_bulk` lines of `changes`.
pub fn bulk_lines(changes: &[Change]) -> Vec<BulkOperation<Value>> {
    changes
        .iter()
        .map(|c| match c {
            Change::Upsert(doc) => BulkOperation::index(source(doc))
                .id(doc.kind.key(doc.id))
                .into(),
            Change::Delete(kind, id) => BulkOperation::delete(kind.key(*id)).into(),
        })
        .collect()
}

/// The JSON of a successful response; an error naming `what`, the status
/// and the start of the body otherwise (the help vectors use it too).
pub(super) async fn ok_json(response: Response, what: &str) -> anyhow::Result<Value> {
    let status = response.status_code();
    let body = response.text().await.unwrap_or_default();
    if !status.is_success() {
        let excerpt: String = body.chars().take(500).collect();
        anyhow::bail!("elasticsearch {what}: HTTP {status}: {excerpt}");
    }
    serde_json::from_str(&body).with_context(|| format!("elasticsearch {what}: not JSON"))
}

fn hit_id(hit: &Value) -> Option<(DocKind, i64)> {
    let (kind, id) = hit.get("_id")?.as_str()?.split_once(':')?;
    Some((DocKind::parse(kind)?, id.parse().ok()?))
}

/// The first failed item of a `_bulk` response, if any (`missing_ok`: a
/// 404, deleting what is not there, is no failure).
pub(super) fn bulk_failure(body: &Value, missing_ok: bool) -> Option<Value> {
    if body["errors"].as_bool() != Some(true) {
        return None;
    }
    body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item.as_object()?.values().next())
        .find(|r| {
            let status = r["status"].as_u64().unwrap_or(0);
            status >= 300 && !(missing_ok && status == 404)
        })
        .cloned()
}

/// A client of the cluster at `url` (`VITRINE_ELASTICSEARCH_URL`), 10 s
/// per request.
pub(super) fn client(url: &str) -> anyhow::Result<Elasticsearch> {
    let url = Url::parse(url).context("VITRINE_ELASTICSEARCH_URL: invalid URL")?;
    let transport = TransportBuilder::new(SingleNodeConnectionPool::new(url))
        .timeout(Duration::from_secs(10))
        .build()
        .context("VITRINE_ELASTICSEARCH_URL")?;
    Ok(Elasticsearch::new(transport))
}

impl ElasticBackend {
    /// Connects and makes sure the template and the index exist.
    pub async fn connect(url: &str, index: &str) -> anyhow::Result<Self> {
        let backend = Self {
            client: client(url)?,
            index: index.to_owned(),
        };
        backend
            .ensure_index()
            .await
            .context("VITRINE_ELASTICSEARCH_URL: cannot prepare the search index")?;
        Ok(backend)
    }

    async fn ensure_index(&self) -> anyhow::Result<()> {
        let response = self
            .client
            .indices()
            .put_index_template(IndicesPutIndexTemplateParts::Name(&self.index))
            .body(index_template(&self.index))
            .send()
            .await?;
        ok_json(response, "put index template").await?;
        let exists = self
            .client
            .indices()
            .exists(IndicesExistsParts::Index(&[&self.index]))
            .send()
            .await?;
        if exists.status_code().as_u16() == 404 {
            let response = self
                .client
                .indices()
                .create(IndicesCreateParts::Index(&self.index))
                .send()
                .await?;
            let status = response.status_code();
            let body = response.text().await.unwrap_or_default();
            // Another instance may have created it a moment ago.
            if !status.is_success() && !body.contains("resource_already_exists_exception") {
                anyhow::bail!("elasticsearch create index: HTTP {status}: {body}");
            }
        } else {
            // An index made by an older template learns the fields added
            // since (adding a field to a mapping is allowed in place).
            let properties = index_template(&self.index)["template"]["mappings"].clone();
            let response = self
                .client
                .indices()
                .put_mapping(IndicesPutMappingParts::Index(&[&self.index]))
                .body(properties)
                .send()
                .await?;
            ok_json(response, "put mapping").await?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl SearchBackend for ElasticBackend {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn name(&self) -> &'static str {
        "elasticsearch"
    }

    async fn apply(&self, changes: Vec<Change>, visible_now: bool) -> anyhow::Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let response = self
            .client
            .bulk(BulkParts::Index(&self.index))
            .refresh(if visible_now {
                Refresh::True
            } else {
                Refresh::False
            })
            .body(bulk_lines(&changes))
            .send()
            .await?;
        let body = ok_json(response, "bulk").await?;
        // Deleting what is not there is fine.
        if let Some(failed) = bulk_failure(&body, true) {
            anyhow::bail!("elasticsearch bulk: {failed}");
        }
        Ok(())
    }

    async fn delete_older_than(&self, generation: i64) -> anyhow::Result<()> {
        let response = self
            .client
            .delete_by_query(DeleteByQueryParts::Index(&[&self.index]))
            .refresh(true)
            .conflicts(Conflicts::Proceed)
            .body(json!({"query": {"range": {"generation": {"lt": generation}}}}))
            .send()
            .await?;
        ok_json(response, "delete by query").await?;
        Ok(())
    }

    async fn search(&self, req: &SearchRequest) -> anyhow::Result<Hits> {
        let response = self
            .client
            .search(SearchParts::Index(&[&self.index]))
            .body(search_body(req, &req.query))
            .send()
            .await?;
        let body = ok_json(response, "search").await?;
        let hits = &body["hits"];
        Ok(Hits {
            total: hits["total"]["value"].as_u64().unwrap_or(0),
            ids: hits["hits"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(hit_id)
                .map(|(_, id)| id)
                .collect(),
        })
    }

    async fn suggest(&self, req: &SuggestRequest) -> anyhow::Result<Vec<Suggestion>> {
        if req.prefixes.is_empty() || req.kinds.is_empty() {
            return Ok(Vec::new());
        }
        let response = self
            .client
            .search(SearchParts::Index(&[&self.index]))
            .body(suggest_body(req))
            .send()
            .await?;
        let body = ok_json(response, "suggest").await?;
        let found = body["hits"]["hits"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|hit| {
                let (kind, id) = hit_id(hit)?;
                let text = hit["_source"]["suggest"].as_str()?.to_owned();
                Some(Suggestion { kind, id, text })
            })
            .collect();
        Ok(super::dedupe_suggestions(found, req.limit))
    }

    async fn count(&self) -> anyhow::Result<u64> {
        let response = self
            .client
            .count(CountParts::Index(&[&self.index]))
            .send()
            .await?;
        Ok(ok_json(response, "count").await?["count"]
            .as_u64()
            .unwrap_or(0))
    }

    async fn drop_all(&self) -> anyhow::Result<()> {
        let response = self
            .client
            .indices()
            .delete(IndicesDeleteParts::Index(&[&self.index]))
            .send()
            .await?;
        if response.status_code().as_u16() != 404 {
            ok_json(response, "delete index").await?;
        }
        self.ensure_index().await
    }

    async fn health(&self) -> anyhow::Result<()> {
        let response = self
            .client
            .cluster()
            .health(ClusterHealthParts::Index(&[&self.index]))
            .send()
            .await?;
        let body = ok_json(response, "cluster health").await?;
        match body["status"].as_str() {
            Some("green" | "yellow") => Ok(()),
            other => anyhow::bail!("elasticsearch index health: {other:?}"),
        }
    }
}
