//! The fake Elasticsearch's vector indices (the help assistant's
//! `<index>-help`): an index created with explicit strict mappings and a
//! `dense_vector` field (no template), `_bulk` documents whose vectors must
//! have the declared dims (a 400 item otherwise, as Elasticsearch reports
//! it), `_count` and `_delete_by_query` with a filter, `GET _mapping`, and
//! `_search` with the top-level `knn` option: exact cosine over the
//! documents matching its filter, scored `(1 + cosine) / 2` as
//! Elasticsearch scores `cosine` (its HNSW search is approximate; the fake
//! answers what an exhaustive one would). Request shapes Elasticsearch 8
//! refuses are refused here too: unknown keys, `knn` without `k` or
//! `num_candidates`, `k` above `num_candidates`, `num_candidates` above
//! 10 000, a query vector of other dims or of zero magnitude.
//!
//! Each test binary uses a part of the fake only.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};

use axum::{
    http::{Method, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::{FakeElasticsearch, Inner, es_error, es_ok, only_keys};

/// Elasticsearch's ceiling on `num_candidates`.
const MAX_CANDIDATES: u64 = 10_000;
/// The most dims an indexed `dense_vector` may have (8.11+).
const MAX_DIMS: u64 = 4096;

/// One vector index: its mapped fields and documents.
pub struct VectorIndex {
    /// field → mapping (`{"type": …, …}`).
    properties: serde_json::Map<String, Value>,
    /// The `dense_vector` field and its dims.
    vector_field: String,
    dims: usize,
    docs: BTreeMap<String, Value>,
}

#[derive(Default)]
pub struct VectorIndices {
    indices: HashMap<String, VectorIndex>,
    /// Every `knn` search answers 500 while set.
    fail_knn: bool,
}

impl FakeElasticsearch {
    /// The `_source`s of a vector index, by `_id`.
    pub fn vector_documents(&self, index: &str) -> Vec<Value> {
        let inner = self.inner.lock().unwrap();
        inner
            .vectors
            .indices
            .get(index)
            .map(|i| i.docs.values().cloned().collect())
            .unwrap_or_default()
    }

    /// The dims a vector index was created with.
    pub fn vector_dims(&self, index: &str) -> Option<usize> {
        let inner = self.inner.lock().unwrap();
        inner.vectors.indices.get(index).map(|i| i.dims)
    }

    /// Makes every kNN search fail with a 500 (or succeed again).
    pub fn fail_knn(&self, fail: bool) {
        self.inner.lock().unwrap().vectors.fail_knn = fail;
    }
}

fn bad_request(reason: impl Into<String>) -> Response {
    es_error(
        StatusCode::BAD_REQUEST,
        "illegal_argument_exception",
        reason,
    )
}

/// Checks a `PUT <index>` body with explicit mappings and one indexed
/// `dense_vector` (cosine): the field's name and dims.
fn check_mappings(body: &Value) -> Result<(serde_json::Map<String, Value>, String, usize), String> {
    only_keys(body, &["settings", "mappings"], "create index")?;
    let mappings = &body["mappings"];
    only_keys(mappings, &["dynamic", "properties"], "mappings")?;
    if mappings["dynamic"] != "strict" {
        return Err("the help index's mappings must be strict".into());
    }
    let properties = mappings["properties"]
        .as_object()
        .ok_or("[mappings] properties must be an object")?
        .clone();
    let mut vector = None;
    for (field, mapping) in &properties {
        match mapping["type"].as_str() {
            Some("long" | "keyword") => only_keys(mapping, &["type"], field)?,
            Some("dense_vector") => {
                only_keys(
                    mapping,
                    &["type", "dims", "index", "similarity", "element_type"],
                    field,
                )?;
                let dims = mapping["dims"]
                    .as_u64()
                    .filter(|d| (1..=MAX_DIMS).contains(d))
                    .ok_or(format!("[dims] of [{field}] must be 1 to {MAX_DIMS}"))?;
                if mapping["index"] != true {
                    return Err(format!("[{field}] must be indexed for kNN search"));
                }
                if mapping["similarity"] != "cosine" {
                    return Err(format!("[{field}]: the fake models cosine similarity only"));
                }
                if vector.replace((field.clone(), dims as usize)).is_some() {
                    return Err("one dense_vector field is expected".into());
                }
            }
            other => return Err(format!("[{field}]: unexpected type {other:?}")),
        }
    }
    let (field, dims) = vector.ok_or("no dense_vector field")?;
    Ok((properties, field, dims))
}

/// `/{index}` for vector indices; `None`: not a vector index's request.
pub(super) fn index_route(
    inner: &mut Inner,
    method: &Method,
    index: &str,
    body: &[u8],
) -> Option<Response> {
    let known = inner.vectors.indices.contains_key(index);
    match *method {
        Method::HEAD if known => Some(StatusCode::OK.into_response()),
        Method::DELETE if known => {
            inner.vectors.indices.remove(index);
            Some(es_ok(json!({"acknowledged": true})))
        }
        Method::PUT => {
            // Created with explicit mappings (the search's index comes from
            // its template and is created without a body).
            let body: Value = serde_json::from_slice(body).ok()?;
            body.get("mappings")?;
            if known || inner.indices.contains_key(index) {
                return Some(es_error(
                    StatusCode::BAD_REQUEST,
                    "resource_already_exists_exception",
                    format!("index [{index}] already exists"),
                ));
            }
            Some(match check_mappings(&body) {
                Ok((properties, vector_field, dims)) => {
                    inner.vectors.indices.insert(
                        index.to_owned(),
                        VectorIndex {
                            properties,
                            vector_field,
                            dims,
                            docs: BTreeMap::new(),
                        },
                    );
                    es_ok(
                        json!({"acknowledged": true, "shards_acknowledged": true, "index": index}),
                    )
                }
                Err(reason) => bad_request(reason),
            })
        }
        _ => None,
    }
}

/// `/{index}/{op}` for vector indices; `None`: not a vector index.
pub(super) fn op_route(
    inner: &mut Inner,
    method: &Method,
    index: &str,
    op: &str,
    q: &HashMap<String, String>,
    text: &str,
) -> Option<Response> {
    let fail_knn = inner.vectors.fail_knn;
    let vi = inner.vectors.indices.get_mut(index)?;
    let json = || -> Result<Value, String> {
        if text.is_empty() {
            Ok(json!({}))
        } else {
            serde_json::from_str(text).map_err(|e| e.to_string())
        }
    };
    let result = match (method.as_str(), op) {
        ("GET", "_mapping") => Ok(json!({index: {"mappings": {
            "dynamic": "strict",
            "properties": vi.properties,
        }}})),
        ("POST" | "PUT", "_bulk") => bulk(vi, index, text, q),
        ("POST" | "GET", "_count") => json().and_then(|b| {
            only_keys(&b, &["query"], "count")?;
            let mut n = 0;
            for doc in vi.docs.values() {
                n += usize::from(matches(b.get("query"), doc)?);
            }
            Ok(json!({"count": n}))
        }),
        ("POST", "_delete_by_query") => json().and_then(|b| delete_by_query(vi, &b, q)),
        ("POST" | "GET", "_search") => match json() {
            Ok(b) if b.get("knn").is_some() && fail_knn => {
                return Some(es_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "search_phase_execution_exception",
                    "all shards failed (the test made kNN fail)",
                ));
            }
            Ok(b) => knn_search(vi, index, &b),
            Err(e) => Err(e),
        },
        _ => Err(format!(
            "the fake's vector index does not serve {method} {op}"
        )),
    };
    Some(match result {
        Ok(v) => es_ok(v),
        Err(reason) => es_error(StatusCode::BAD_REQUEST, "parsing_exception", reason),
    })
}

/// Why a document does not fit the strict mappings, if it does not.
fn mapping_error(vi: &VectorIndex, id: &str, source: &Value) -> Option<(String, String)> {
    let Some(fields) = source.as_object() else {
        return Some(("mapper_parsing_exception".into(), "not an object".into()));
    };
    for (field, value) in fields {
        let Some(mapping) = vi.properties.get(field) else {
            return Some((
                "strict_dynamic_mapping_exception".into(),
                format!(
                    "mapping set to strict, dynamic introduction of [{field}] within [_doc] is not allowed"
                ),
            ));
        };
        let ok = match mapping["type"].as_str() {
            Some("long") => value.is_i64(),
            Some("keyword") => value.is_string(),
            _ => true,
        };
        if !ok {
            return Some((
                "document_parsing_exception".into(),
                format!(
                    "failed to parse field [{field}] of type [{}]",
                    mapping["type"]
                ),
            ));
        }
    }
    let vector = fields.get(&vi.vector_field)?;
    let Some(vector) = floats(vector) else {
        return Some((
            "document_parsing_exception".into(),
            format!("[{}] must be an array of numbers", vi.vector_field),
        ));
    };
    if vector.len() != vi.dims {
        return Some((
            "document_parsing_exception".into(),
            format!(
                "The [dense_vector] field [{}] in doc [{id}] has a different number of dimensions [{}] than defined in the mapping [{}]",
                vi.vector_field,
                vector.len(),
                vi.dims
            ),
        ));
    }
    if norm(&vector) == 0.0 {
        return Some((
            "document_parsing_exception".into(),
            "The [cosine] similarity does not support vectors with zero magnitude".into(),
        ));
    }
    None
}

fn bulk(
    vi: &mut VectorIndex,
    index: &str,
    text: &str,
    q: &HashMap<String, String>,
) -> Result<Value, String> {
    if q.get("refresh").map(String::as_str) != Some("true") {
        return Err("the help vectors must be searchable when the bulk returns".into());
    }
    if !text.ends_with('\n') {
        return Err("The bulk request must be terminated by a newline [\\n]".into());
    }
    let mut lines = text.lines();
    let mut items = Vec::new();
    let mut errors = false;
    while let Some(action) = lines.next() {
        let action: Value = serde_json::from_str(action).map_err(|e| e.to_string())?;
        let meta = action
            .get("index")
            .ok_or("the help vectors are only indexed")?;
        only_keys(meta, &["_id"], "index")?;
        let id = meta["_id"].as_str().ok_or("every action needs an _id")?;
        let source: Value = serde_json::from_str(lines.next().ok_or("index without a source")?)
            .map_err(|e| e.to_string())?;
        if let Some((kind, reason)) = mapping_error(vi, id, &source) {
            errors = true;
            items.push(json!({"index": {"_index": index, "_id": id, "status": 400,
                "error": {"type": kind, "reason": reason}}}));
            continue;
        }
        let created = vi.docs.insert(id.to_owned(), source).is_none();
        items.push(json!({"index": {"_index": index, "_id": id,
            "result": if created { "created" } else { "updated" },
            "status": if created { 201 } else { 200 }}}));
    }
    Ok(json!({"took": 1, "errors": errors, "items": items}))
}

fn delete_by_query(
    vi: &mut VectorIndex,
    body: &Value,
    q: &HashMap<String, String>,
) -> Result<Value, String> {
    only_keys(body, &["query"], "delete_by_query")?;
    body.get("query").ok_or("query is missing")?;
    if q.get("refresh").map(String::as_str) != Some("true") {
        return Err("the clean-up must be visible when it returns (refresh)".into());
    }
    let mut doomed = Vec::new();
    for (id, doc) in &vi.docs {
        if matches(body.get("query"), doc)? {
            doomed.push(id.clone());
        }
    }
    for id in &doomed {
        vi.docs.remove(id);
    }
    Ok(json!({"took": 1, "deleted": doomed.len(), "failures": []}))
}

/// Whether `doc` matches a filter (`None`: everything): `match_all`,
/// `term`, `terms`, `bool` with `filter`, `must`, `must_not`, `should`.
fn matches(query: Option<&Value>, doc: &Value) -> Result<bool, String> {
    let Some(query) = query else {
        return Ok(true);
    };
    if let Some(list) = query.as_array() {
        for q in list {
            if !matches(Some(q), doc)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    let obj = query.as_object().ok_or("a query must be an object")?;
    let [(kind, body)] = obj.iter().collect::<Vec<_>>()[..] else {
        return Err("a query has exactly one kind".into());
    };
    let one_field = |what: &str| -> Result<(&String, &Value), String> {
        let fields = body
            .as_object()
            .ok_or(format!("[{what}] expects an object"))?;
        match fields.iter().collect::<Vec<_>>()[..] {
            [(field, value)] => Ok((field, value)),
            _ => Err(format!("[{what}] query doesn't support multiple fields")),
        }
    };
    match kind.as_str() {
        "match_all" => Ok(true),
        "term" => {
            let (field, value) = one_field("term")?;
            let value = value.get("value").unwrap_or(value);
            Ok(&doc[field] == value)
        }
        "terms" => {
            let (field, values) = one_field("terms")?;
            let values = values.as_array().ok_or("[terms] expects an array")?;
            Ok(values.contains(&doc[field]))
        }
        "bool" => {
            only_keys(body, &["filter", "must", "must_not", "should"], "bool")?;
            let list = |k: &str| match &body[k] {
                Value::Null => Vec::new(),
                Value::Array(a) => a.clone(),
                v => vec![v.clone()],
            };
            for q in list("filter").iter().chain(&list("must")) {
                if !matches(Some(q), doc)? {
                    return Ok(false);
                }
            }
            for q in &list("must_not") {
                if matches(Some(q), doc)? {
                    return Ok(false);
                }
            }
            let should = list("should");
            if should.is_empty() {
                return Ok(true);
            }
            for q in &should {
                if matches(Some(q), doc)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        other => Err(format!("the fake does not model [{other}] queries")),
    }
}

fn floats(v: &Value) -> Option<Vec<f64>> {
    v.as_array()?.iter().map(Value::as_f64).collect()
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    dot / (norm(a) * norm(b))
}

/// `_search` with the top-level `knn` option.
fn knn_search(vi: &VectorIndex, index: &str, body: &Value) -> Result<Value, String> {
    only_keys(body, &["size", "_source", "fields", "knn"], "search")?;
    let knn = body
        .get("knn")
        .ok_or("the help index is only searched by knn")?;
    only_keys(
        knn,
        &[
            "field",
            "query_vector",
            "k",
            "num_candidates",
            "filter",
            "similarity",
            "boost",
        ],
        "knn",
    )?;
    if knn["field"] != vi.vector_field.as_str() {
        return Err(format!(
            "[knn] field must be the dense_vector [{}]",
            vi.vector_field
        ));
    }
    let query = floats(&knn["query_vector"]).ok_or("[knn] query_vector must be numbers")?;
    if query.len() != vi.dims {
        return Err(format!(
            "the query vector has a different number of dimensions [{}] than the document vectors [{}]",
            query.len(),
            vi.dims
        ));
    }
    if norm(&query) == 0.0 {
        return Err("The [cosine] similarity does not support vectors with zero magnitude".into());
    }
    let k = knn["k"].as_u64().ok_or("[knn] requires [k]")?;
    let candidates = knn["num_candidates"]
        .as_u64()
        .ok_or("[knn] requires [num_candidates]")?;
    if k == 0 {
        return Err("[k] must be greater than 0".into());
    }
    if candidates < k {
        return Err("[num_candidates] cannot be less than [k]".into());
    }
    if candidates > MAX_CANDIDATES {
        return Err(format!("[num_candidates] cannot exceed [{MAX_CANDIDATES}]"));
    }
    let mut scored: Vec<(f64, &String, &Value)> = Vec::new();
    for (id, doc) in &vi.docs {
        if !matches(knn.get("filter"), doc)? {
            continue;
        }
        let Some(vector) = floats(&doc[&vi.vector_field]) else {
            continue;
        };
        scored.push(((1.0 + cosine(&query, &vector)) / 2.0, id, doc));
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let size = body["size"].as_u64().unwrap_or(10);
    let hits: Vec<Value> = scored
        .into_iter()
        .take(k.min(size) as usize)
        .map(|(score, id, doc)| {
            let mut hit = json!({"_index": index, "_id": id, "_score": score});
            match &body["_source"] {
                Value::Bool(false) => {}
                Value::Array(fields) => {
                    let picked: serde_json::Map<String, Value> = fields
                        .iter()
                        .filter_map(Value::as_str)
                        .filter_map(|f| doc.get(f).map(|v| (f.to_owned(), v.clone())))
                        .collect();
                    hit["_source"] = Value::Object(picked);
                }
                _ => hit["_source"] = doc.clone(),
            }
            if let Some(fields) = body["fields"].as_array() {
                let picked: serde_json::Map<String, Value> = fields
                    .iter()
                    .filter_map(Value::as_str)
                    .filter_map(|f| doc.get(f).map(|v| (f.to_owned(), json!([v]))))
                    .collect();
                hit["fields"] = Value::Object(picked);
            }
            hit
        })
        .collect();
    Ok(json!({
        "took": 1,
        "timed_out": false,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {"total": {"value": hits.len(), "relation": "eq"}, "max_score": null, "hits": hits}
    }))
}
