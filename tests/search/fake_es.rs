//! A fake Elasticsearch 8 for the search tests: an axum server that speaks
//! the part of the REST API the backend uses (index templates, index
//! create/exists/delete, `_bulk`, `_search`, `_count`, `_delete_by_query`,
//! cluster health), rejects request bodies that a real cluster would reject
//! or that differ from what the backend is meant to send (unknown keys,
//! fields outside the strict mapping, a template without the edge-n-gram
//! analyser, …) with Elasticsearch-shaped errors, and answers searches by
//! evaluating the query DSL it received over the documents it was sent.
//!
//! Scoring: BM25 (k1 1.2, b 0.75, Lucene's idf) per field over this fake's
//! documents, analysed with `vitrine::infra::search::analysis` — the chain
//! the template declares with `standard` + `lowercase` + `cjk_bigram` +
//! `porter2` and `edge_ngram` 1–20. It is a model of Elasticsearch, not
//! Elasticsearch: nothing here has been checked against a live cluster.
//!
//! Vector indices (`dense_vector`, `knn`) live in [`knn`].
use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
};

use axum::{
    Router,
    body::Bytes,
    extract::{Path, Query, State},
    http::{HeaderMap, Method, StatusCode},
    response::{IntoResponse, Response},
    routing::{any, get, put},
};
use serde_json::{Value, json};
use vitrine::infra::search::analysis;

#[path = "fake_es_knn.rs"]
mod knn;

/// One request as received.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub query: HashMap<String, String>,
    pub content_type: String,
    pub body: String,
}

#[derive(Default)]
struct Inner {
    templates: HashMap<String, Value>,
    indices: HashMap<String, BTreeMap<String, Value>>,
    vectors: knn::VectorIndices,
    log: Vec<Received>,
}

#[derive(Clone, Default)]
pub struct FakeElasticsearch {
    inner: Arc<Mutex<Inner>>,
}

pub struct Running {
    pub url: String,
    pub fake: FakeElasticsearch,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn es_error(status: StatusCode, kind: &str, reason: impl Into<String>) -> Response {
    let reason = reason.into();
    (
        status,
        [("x-elastic-product", "Elasticsearch")],
        axum::Json(json!({
            "error": {"root_cause": [{"type": kind, "reason": reason}], "type": kind, "reason": reason},
            "status": status.as_u16()
        })),
    )
        .into_response()
}

fn es_ok(body: Value) -> Response {
    (
        StatusCode::OK,
        [("x-elastic-product", "Elasticsearch")],
        axum::Json(body),
    )
        .into_response()
}

/// Keys of `v` must be among `allowed`.
fn only_keys(v: &Value, allowed: &[&str], what: &str) -> Result<(), String> {
    let obj = v.as_object().ok_or(format!("{what}: expected an object"))?;
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!("[{what}] unknown field [{k}]")),
        None => Ok(()),
    }
}

impl FakeElasticsearch {
    pub async fn start() -> Running {
        let fake = FakeElasticsearch::default();
        let app = Router::new()
            .route("/_index_template/{name}", put(put_template))
            .route("/_cluster/health/{index}", get(health))
            .route("/{index}", any(index_route))
            .route("/{index}/{op}", any(op_route))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Running { url, fake, task }
    }

    pub fn requests(&self) -> Vec<Received> {
        self.inner.lock().unwrap().log.clone()
    }

    pub fn documents(&self, index: &str) -> usize {
        self.inner
            .lock()
            .unwrap()
            .indices
            .get(index)
            .map_or(0, |d| d.len())
    }

    fn record(
        &self,
        method: &Method,
        path: String,
        query: HashMap<String, String>,
        headers: &HeaderMap,
        body: &Bytes,
    ) {
        self.inner.lock().unwrap().log.push(Received {
            method: method.to_string(),
            path,
            query,
            content_type: headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            body: String::from_utf8_lossy(body).into_owned(),
        });
    }
}

/// What the backend's template must declare for the analysis to be what
/// `analysis` implements.
fn check_template(name: &str, t: &Value) -> Result<(), String> {
    only_keys(
        t,
        &["index_patterns", "priority", "template"],
        "index_template",
    )?;
    if t["index_patterns"] != json!([name]) {
        return Err("index_patterns must be exactly the index".into());
    }
    let analysis = &t["template"]["settings"]["analysis"];
    let text = &analysis["analyzer"]["vt_text"];
    if text["tokenizer"] != "standard"
        || text["filter"] != json!(["lowercase", "cjk_bigram", "vt_english_stemmer"])
    {
        return Err(format!("vt_text analyzer unexpected: {text}"));
    }
    if analysis["filter"]["vt_english_stemmer"] != json!({"type": "stemmer", "language": "porter2"})
    {
        return Err("vt_english_stemmer must be the porter2 stemmer".into());
    }
    let edge = &analysis["filter"]["vt_edge_ngram"];
    if edge != &json!({"type": "edge_ngram", "min_gram": 1, "max_gram": analysis::MAX_GRAM}) {
        return Err(format!("vt_edge_ngram unexpected: {edge}"));
    }
    if analysis["analyzer"]["vt_prefix"]["filter"] != json!(["lowercase", "vt_edge_ngram"])
        || analysis["analyzer"]["vt_prefix_search"]["filter"] != json!(["lowercase"])
    {
        return Err("prefix analyzers unexpected".into());
    }
    let mappings = &t["template"]["mappings"];
    if mappings["dynamic"] != "strict" {
        return Err("mappings must be strict".into());
    }
    let props = &mappings["properties"];
    if props["suggest"]
        != json!({"type": "text", "analyzer": "vt_prefix", "search_analyzer": "vt_prefix_search"})
    {
        return Err("suggest must be edge-n-gram indexed and searched unsplit".into());
    }
    for (field, ty) in [
        ("title", "text"),
        ("body", "text"),
        ("kind", "keyword"),
        ("id", "long"),
        ("public", "boolean"),
        ("owner_id", "long"),
        ("boost", "double"),
        ("generation", "long"),
        ("style", "keyword"),
        ("room_type", "keyword"),
        ("price", "long"),
        ("category_ids", "long"),
        ("colors", "keyword"),
        ("gender", "keyword"),
        ("seasons", "keyword"),
        ("store_id", "long"),
    ] {
        if props[field]["type"] != ty {
            return Err(format!("mapping of {field} must be {ty}"));
        }
    }
    Ok(())
}

async fn put_template(
    State(fake): State<FakeElasticsearch>,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.record(
        &Method::PUT,
        format!("/_index_template/{name}"),
        q,
        &headers,
        &body,
    );
    let Ok(template) = serde_json::from_slice::<Value>(&body) else {
        return es_error(
            StatusCode::BAD_REQUEST,
            "parse_exception",
            "request body is required",
        );
    };
    if let Err(reason) = check_template(&name, &template) {
        return es_error(
            StatusCode::BAD_REQUEST,
            "illegal_argument_exception",
            reason,
        );
    }
    fake.inner.lock().unwrap().templates.insert(name, template);
    es_ok(json!({"acknowledged": true}))
}

async fn health(State(fake): State<FakeElasticsearch>, Path(index): Path<String>) -> Response {
    if fake.inner.lock().unwrap().indices.contains_key(&index) {
        es_ok(json!({"cluster_name": "fake", "status": "green", "number_of_nodes": 1}))
    } else {
        es_error(
            StatusCode::REQUEST_TIMEOUT,
            "index_not_found_exception",
            format!("no such index [{index}]"),
        )
    }
}

async fn index_route(
    State(fake): State<FakeElasticsearch>,
    method: Method,
    Path(index): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.record(&method, format!("/{index}"), q, &headers, &body);
    let mut inner = fake.inner.lock().unwrap();
    if let Some(response) = knn::index_route(&mut inner, &method, &index, &body) {
        return response;
    }
    let exists = inner.indices.contains_key(&index);
    match method {
        Method::HEAD => {
            if exists {
                StatusCode::OK.into_response()
            } else {
                StatusCode::NOT_FOUND.into_response()
            }
        }
        Method::PUT => {
            if exists {
                return es_error(
                    StatusCode::BAD_REQUEST,
                    "resource_already_exists_exception",
                    format!("index [{index}] already exists"),
                );
            }
            if !inner.templates.contains_key(&index) {
                return es_error(
                    StatusCode::BAD_REQUEST,
                    "illegal_argument_exception",
                    "no template for this index: mappings would be dynamic",
                );
            }
            inner.indices.insert(index.clone(), BTreeMap::new());
            es_ok(json!({"acknowledged": true, "shards_acknowledged": true, "index": index}))
        }
        Method::DELETE => {
            if inner.indices.remove(&index).is_some() {
                es_ok(json!({"acknowledged": true}))
            } else {
                es_error(
                    StatusCode::NOT_FOUND,
                    "index_not_found_exception",
                    format!("no such index [{index}]"),
                )
            }
        }
        _ => es_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            method.to_string(),
        ),
    }
}

async fn op_route(
    State(fake): State<FakeElasticsearch>,
    method: Method,
    Path((index, op)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.record(
        &method,
        format!("/{index}/{op}"),
        q.clone(),
        &headers,
        &body,
    );
    let mut inner = fake.inner.lock().unwrap();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !body.is_empty() && !matches!(content_type, "application/json" | "application/x-ndjson") {
        return es_error(
            StatusCode::NOT_ACCEPTABLE,
            "media_type_header_exception",
            format!("Content-Type header [{content_type}] is not supported"),
        );
    }
    let text = String::from_utf8_lossy(&body).into_owned();
    if let Some(response) = knn::op_route(&mut inner, &method, &index, &op, &q, &text) {
        return response;
    }
    let Some(docs) = inner.indices.get_mut(&index) else {
        return es_error(
            StatusCode::NOT_FOUND,
            "index_not_found_exception",
            format!("no such index [{index}]"),
        );
    };
    let result = match op.as_str() {
        "_bulk" => bulk(docs, &index, &text, &q),
        "_search" => serde_json::from_str(&text)
            .map_err(|e| e.to_string())
            .and_then(|b| search(docs, &index, &b)),
        "_count" => Ok(json!({"count": docs.len()})),
        // Fields are fixed here (FIELDS); the mapping's new fields are in it.
        "_mapping" if method == Method::PUT => serde_json::from_str::<Value>(&text)
            .map_err(|e| e.to_string())
            .and_then(|b| {
                let unknown = b["properties"]
                    .as_object()
                    .and_then(|p| p.keys().find(|k| !FIELDS.contains(&k.as_str())).cloned());
                match unknown {
                    Some(field) => Err(format!("the fake does not know [{field}]")),
                    None => Ok(json!({"acknowledged": true})),
                }
            }),
        "_delete_by_query" => serde_json::from_str(&text)
            .map_err(|e| e.to_string())
            .and_then(|b| delete_by_query(docs, &b, &q)),
        _ => Err(format!("unsupported endpoint {op}")),
    };
    match result {
        Ok(v) => es_ok(v),
        Err(reason) => es_error(StatusCode::BAD_REQUEST, "parsing_exception", reason),
    }
}

const FIELDS: &[&str] = &[
    "kind",
    "id",
    "title",
    "body",
    "suggest",
    "style",
    "room_type",
    "theme",
    "public",
    "owner_id",
    "boost",
    "generation",
    "price",
    "store_id",
    "category_ids",
    "colors",
    "gender",
    "seasons",
];

fn bulk(
    docs: &mut BTreeMap<String, Value>,
    index: &str,
    text: &str,
    q: &HashMap<String, String>,
) -> Result<Value, String> {
    if !matches!(q.get("refresh").map(String::as_str), Some("true" | "false")) {
        return Err("the backend must say whether a bulk refreshes".into());
    }
    if !text.ends_with('\n') {
        return Err("The bulk request must be terminated by a newline [\\n]".into());
    }
    let mut lines = text.lines();
    let mut items = Vec::new();
    let mut errors = false;
    while let Some(action) = lines.next() {
        let action: Value = serde_json::from_str(action).map_err(|e| e.to_string())?;
        let (op, meta) = action
            .as_object()
            .and_then(|o| o.iter().next())
            .ok_or("empty action")?;
        let id = meta["_id"]
            .as_str()
            .ok_or("every action needs an _id")?
            .to_owned();
        match op.as_str() {
            "index" => {
                let source: Value =
                    serde_json::from_str(lines.next().ok_or("index without a source")?)
                        .map_err(|e| e.to_string())?;
                let unknown = source
                    .as_object()
                    .and_then(|o| o.keys().find(|k| !FIELDS.contains(&k.as_str())).cloned());
                if let Some(field) = unknown {
                    errors = true;
                    items.push(json!({"index": {"_index": index, "_id": id, "status": 400, "error": {
                        "type": "strict_dynamic_mapping_exception",
                        "reason": format!("mapping set to strict, dynamic introduction of [{field}] within [_doc] is not allowed")
                    }}}));
                    continue;
                }
                let created = docs.insert(id.clone(), source).is_none();
                items.push(json!({"index": {"_index": index, "_id": id,
                    "result": if created { "created" } else { "updated" },
                    "status": if created { 201 } else { 200 }}}));
            }
            "delete" => {
                let found = docs.remove(&id).is_some();
                items.push(json!({"delete": {"_index": index, "_id": id,
                    "result": if found { "deleted" } else { "not_found" },
                    "status": if found { 200 } else { 404 }}}));
            }
            other => return Err(format!("unexpected bulk action {other}")),
        }
    }
    Ok(json!({"took": 1, "errors": errors, "items": items}))
}

fn delete_by_query(
    docs: &mut BTreeMap<String, Value>,
    body: &Value,
    q: &HashMap<String, String>,
) -> Result<Value, String> {
    only_keys(body, &["query"], "delete_by_query")?;
    if q.get("conflicts").map(String::as_str) != Some("proceed") {
        return Err("a rebuild's clean-up must proceed on version conflicts".into());
    }
    let stats = Stats::of(docs);
    let doomed: Vec<String> = docs
        .iter()
        .filter(|(_, d)| eval(&body["query"], d, &stats).ok().flatten().is_some())
        .map(|(id, _)| id.clone())
        .collect();
    for id in &doomed {
        docs.remove(id);
    }
    Ok(json!({"took": 1, "deleted": doomed.len(), "failures": []}))
}

/// Per-field BM25 statistics over the index.
struct Stats {
    /// field → (docs with the field, total terms)
    fields: HashMap<String, (f64, f64)>,
    /// (field, term) → document frequency
    df: HashMap<(String, String), f64>,
}

fn analyse(field: &str, text: &str) -> Vec<String> {
    if field == "suggest" {
        analysis::edge_ngrams(text)
    } else {
        analysis::text_tokens(text)
    }
}

impl Stats {
    fn of(docs: &BTreeMap<String, Value>) -> Self {
        let mut s = Stats {
            fields: HashMap::new(),
            df: HashMap::new(),
        };
        for d in docs.values() {
            for field in ["title", "body", "suggest"] {
                let Some(text) = d[field].as_str() else {
                    continue;
                };
                let terms = analyse(field, text);
                if terms.is_empty() {
                    continue;
                }
                let e = s.fields.entry(field.into()).or_default();
                e.0 += 1.0;
                e.1 += terms.len() as f64;
                let mut unique = terms.clone();
                unique.sort();
                unique.dedup();
                for t in unique {
                    *s.df.entry((field.into(), t)).or_default() += 1.0;
                }
            }
        }
        s
    }

    fn bm25(&self, field: &str, terms: &[String], doc: &Value) -> f64 {
        let Some(text) = doc[field].as_str() else {
            return 0.0;
        };
        let doc_terms = analyse(field, text);
        let Some(&(with_field, total)) = self.fields.get(field) else {
            return 0.0;
        };
        let avg = total / with_field;
        let dl = doc_terms.len() as f64;
        terms
            .iter()
            .map(|t| {
                let tf = doc_terms.iter().filter(|d| *d == t).count() as f64;
                if tf == 0.0 {
                    return 0.0;
                }
                let n = self
                    .df
                    .get(&(field.to_owned(), t.clone()))
                    .copied()
                    .unwrap_or(0.0);
                let idf = (1.0 + (with_field - n + 0.5) / (n + 0.5)).ln();
                idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * dl / avg))
            })
            .sum()
    }
}

fn values(doc: &Value, field: &str) -> Vec<Value> {
    match &doc[field] {
        Value::Null => Vec::new(),
        Value::Array(a) => a.clone(),
        v => vec![v.clone()],
    }
}

fn single<'a>(v: &'a Value, what: &str) -> Result<(&'a String, &'a Value), String> {
    let obj = v
        .as_object()
        .ok_or(format!("[{what}] expected an object"))?;
    if obj.len() != 1 {
        return Err(format!("[{what}] query doesn't support multiple fields"));
    }
    Ok(obj.iter().next().expect("one entry"))
}

/// `Ok(None)`: no match; `Ok(Some(score))`: a match.
fn eval(query: &Value, doc: &Value, stats: &Stats) -> Result<Option<f64>, String> {
    let (kind, body) = single(query, "query")?;
    match kind.as_str() {
        "term" => {
            let (field, value) = single(body, "term")?;
            Ok(values(doc, field).contains(value).then_some(1.0))
        }
        "terms" => {
            let (field, wanted) = single(body, "terms")?;
            let wanted = wanted.as_array().ok_or("[terms] expects an array")?;
            let have = values(doc, field);
            Ok(wanted.iter().any(|w| have.contains(w)).then_some(1.0))
        }
        "range" => {
            let (field, bounds) = single(body, "range")?;
            only_keys(bounds, &["gte", "lte", "lt", "gt"], "range")?;
            let have = values(doc, field);
            let ok = have.iter().filter_map(Value::as_f64).any(|v| {
                bounds["gte"].as_f64().is_none_or(|b| v >= b)
                    && bounds["lte"].as_f64().is_none_or(|b| v <= b)
                    && bounds["gt"].as_f64().is_none_or(|b| v > b)
                    && bounds["lt"].as_f64().is_none_or(|b| v < b)
            });
            Ok(ok.then_some(1.0))
        }
        "constant_score" => {
            only_keys(body, &["filter", "boost"], "constant_score")?;
            let boost = body["boost"].as_f64().unwrap_or(1.0);
            Ok(eval(&body["filter"], doc, stats)?.map(|_| boost))
        }
        "bool" => {
            only_keys(
                body,
                &["filter", "must", "should", "minimum_should_match"],
                "bool",
            )?;
            let list = |k: &str| body[k].as_array().cloned().unwrap_or_default();
            for f in list("filter") {
                if eval(&f, doc, stats)?.is_none() {
                    return Ok(None);
                }
            }
            let mut score = 0.0;
            for m in list("must") {
                match eval(&m, doc, stats)? {
                    Some(s) => score += s,
                    None => return Ok(None),
                }
            }
            let should = list("should");
            let default_min = if body.get("filter").is_some() || body.get("must").is_some() {
                0
            } else {
                1
            };
            let min = body["minimum_should_match"].as_u64().unwrap_or(default_min);
            let mut matched = 0;
            for s in should {
                if let Some(v) = eval(&s, doc, stats)? {
                    matched += 1;
                    score += v;
                }
            }
            Ok((matched >= min).then_some(score))
        }
        "multi_match" => {
            only_keys(
                body,
                &["query", "type", "operator", "fields"],
                "multi_match",
            )?;
            if body["type"] != "most_fields" || body["operator"] != "or" {
                return Err("multi_match must be most_fields with operator or".into());
            }
            let terms = analysis::text_tokens(body["query"].as_str().ok_or("[multi_match] query")?);
            let mut score = 0.0;
            for f in body["fields"].as_array().ok_or("[multi_match] fields")? {
                let (field, boost) = f
                    .as_str()
                    .and_then(|f| f.split_once('^'))
                    .ok_or("fields must carry explicit boosts")?;
                let boost: f64 = boost.parse().map_err(|_| "bad boost")?;
                score += boost * stats.bm25(field, &terms, doc);
            }
            Ok((score > 0.0).then_some(score))
        }
        "match" => {
            let (field, m) = single(body, "match")?;
            only_keys(m, &["query", "operator"], "match")?;
            if m["operator"] != "and" {
                return Err("suggestions must match every word".into());
            }
            // The field's search_analyzer: lower-cased words.
            let terms = analysis::prefix_tokens(m["query"].as_str().ok_or("[match] query")?);
            let have = doc[field]
                .as_str()
                .map(|t| analyse(field, t))
                .unwrap_or_default();
            if terms.is_empty() || !terms.iter().all(|t| have.contains(t)) {
                return Ok(None);
            }
            Ok(Some(stats.bm25(field, &terms, doc)))
        }
        "function_score" => {
            only_keys(
                body,
                &["query", "functions", "score_mode", "boost_mode"],
                "function_score",
            )?;
            if body["score_mode"] != "multiply" || body["boost_mode"] != "multiply" {
                return Err("function_score must multiply".into());
            }
            let Some(inner) = eval(&body["query"], doc, stats)? else {
                return Ok(None);
            };
            let mut factor = 1.0;
            for f in body["functions"]
                .as_array()
                .ok_or("[function_score] functions")?
            {
                if let Some(fvf) = f.get("field_value_factor") {
                    only_keys(fvf, &["field", "missing"], "field_value_factor")?;
                    let field = fvf["field"].as_str().ok_or("field_value_factor.field")?;
                    factor *= doc[field]
                        .as_f64()
                        .or(fvf["missing"].as_f64())
                        .unwrap_or(1.0);
                } else {
                    only_keys(f, &["filter", "weight"], "function")?;
                    if eval(&f["filter"], doc, stats)?.is_some() {
                        factor *= f["weight"].as_f64().ok_or("weight")?;
                    }
                }
            }
            Ok(Some(inner * factor))
        }
        other => Err(format!("unknown query [{other}]")),
    }
}

fn search(docs: &BTreeMap<String, Value>, index: &str, body: &Value) -> Result<Value, String> {
    only_keys(
        body,
        &[
            "from",
            "size",
            "track_total_hits",
            "_source",
            "sort",
            "query",
        ],
        "search",
    )?;
    if body["sort"] != json!([{"_score": "desc"}, {"id": "desc"}]) {
        return Err("results must be sorted by score, then id".into());
    }
    let stats = Stats::of(docs);
    let mut hits: Vec<(f64, i64, &String, &Value)> = Vec::new();
    for (id, doc) in docs {
        if let Some(score) = eval(&body["query"], doc, &stats)? {
            hits.push((score, doc["id"].as_i64().unwrap_or(0), id, doc));
        }
    }
    hits.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
    let from = body["from"].as_u64().unwrap_or(0) as usize;
    let size = body["size"].as_u64().unwrap_or(10) as usize;
    if from + size > 10_000 {
        return Err(
            "Result window is too large, from + size must be less than or equal to: [10000]".into(),
        );
    }
    let total = hits.len();
    let page: Vec<Value> = hits
        .into_iter()
        .skip(from)
        .take(size)
        .map(|(score, id_num, id, doc)| {
            let mut hit =
                json!({"_index": index, "_id": id, "_score": score, "sort": [score, id_num]});
            match &body["_source"] {
                Value::Bool(false) => {}
                Value::Array(fields) => {
                    let picked: serde_json::Map<String, Value> = fields
                        .iter()
                        .filter_map(|f| f.as_str())
                        .filter_map(|f| doc.get(f).map(|v| (f.to_owned(), v.clone())))
                        .collect();
                    hit["_source"] = Value::Object(picked);
                }
                _ => hit["_source"] = doc.clone(),
            }
            hit
        })
        .collect();
    Ok(json!({
        "took": 1,
        "timed_out": false,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {"total": {"value": total, "relation": "eq"}, "max_score": null, "hits": page}
    }))
}
