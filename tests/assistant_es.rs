//! The help assistant's vectors in Elasticsearch (at scale), against the
//! request-checking fake (`search/fake_es.rs`, vectors in
//! `search/fake_es_knn.rs`): the ingestion pushes one document per chunk
//! into `<index>-help` (a strict `dense_vector` mapping), answers rank by
//! its kNN search, and when that search fails they still come, from the
//! in-process scan. On SQLite, and on PostgreSQL with Redis.
mod common;
// Only part of the fake serves these tests.
#[allow(dead_code)]
#[path = "search/fake_es.rs"]
mod fake_es;
#[allow(dead_code)]
#[path = "assistant/support.rs"]
mod support;

use common::{Backend, SignedIn, TestApp};
use fake_es::FakeElasticsearch;
use serde_json::{Value, json};
use support::{ask, follow, ingest_as};
use vitrine::domain::assistant::embed::{OFFLINE_DIM, OfflineEmbedder};

const HELP_INDEX: &str = "vitrine-search-help";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vectors_live_in_elasticsearch_sqlite() {
    vectors_live_in_elasticsearch(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vectors_live_in_elasticsearch_postgres_redis() {
    vectors_live_in_elasticsearch(Backend::Postgres).await;
}

/// Asks `question` and follows the answer to its end: the final message.
async fn answer(app: &TestApp, who: &SignedIn, question: &str) -> Value {
    let asked = ask(app, who, question, None).await;
    follow(app, who, asked["answer"]["id"].as_str().unwrap())
        .await
        .message
}

/// The kNN searches the fake received, in order.
fn knn_searches(es: &fake_es::Running) -> Vec<Value> {
    es.fake
        .requests()
        .iter()
        .filter(|r| r.path == format!("/{HELP_INDEX}/_search"))
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap())
        .filter(|b| b.get("knn").is_some())
        .collect()
}

async fn vectors_live_in_elasticsearch(backend: Backend) {
    let es = FakeElasticsearch::start().await;
    let vars = [
        ("VITRINE_SEARCH_BACKEND", "elasticsearch"),
        ("VITRINE_ELASTICSEARCH_URL", es.url.as_str()),
    ];
    let spawned = match backend {
        Backend::Sqlite => TestApp::spawn_with(backend, &vars).await,
        _ => TestApp::spawn_with_redis(backend, &vars).await,
    };
    let Some(app) = spawned else {
        return;
    };
    let admin = app.user_with_role("ADMIN").await;
    let (corpus, result) = ingest_as(&app, &admin, false).await;
    let chunks = corpus["chunks"].as_u64().unwrap();
    let version = corpus["version"].as_str().unwrap().to_owned();
    assert!(
        result.contains(&format!("{chunks} vectors pushed")),
        "{result}"
    );

    // The index: created with the strict dense_vector mapping, one
    // document per chunk, each of the embedder's dims.
    let created = es
        .fake
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT" && r.path == format!("/{HELP_INDEX}"))
        .expect("the help index is created");
    let created: Value = serde_json::from_str(&created.body).unwrap();
    assert_eq!(
        created["mappings"]["properties"]["embedding"],
        json!({ "type": "dense_vector", "dims": OFFLINE_DIM, "index": true, "similarity": "cosine" })
    );
    assert_eq!(es.fake.vector_dims(HELP_INDEX), Some(OFFLINE_DIM));
    let docs = es.fake.vector_documents(HELP_INDEX);
    assert_eq!(docs.len() as u64, chunks);
    for doc in &docs {
        assert_eq!(doc["corpus_version"], version.as_str());
        assert_eq!(doc["embedding"].as_array().unwrap().len(), OFFLINE_DIM);
        assert!(doc["chunk_id"].is_i64() && doc["doc"].is_string());
    }
    let mut ids: Vec<i64> = docs
        .iter()
        .map(|d| d["chunk_id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len() as u64, chunks, "one document per chunk");

    // A question: ranked with Elasticsearch's kNN hits.
    let ana = app.register("ana-es@example.com", "ana").await;
    let question = "How many AI design generations does the free plan include per month?";
    let message = answer(&app, &ana, question).await;
    assert_eq!(message["status"], "DONE", "{message:#}");
    assert_eq!(message["mode"], "EXTRACTIVE", "{message:#}");
    assert_eq!(message["sources"][0]["doc"], "plans-quotas", "{message:#}");
    assert_eq!(message["sources"][0]["lang"], "en");
    let searches = knn_searches(&es);
    assert_eq!(searches.len(), 1, "{searches:#?}");
    let knn = &searches[0]["knn"];
    assert_eq!(knn["field"], "embedding");
    assert_eq!(
        knn["filter"],
        json!({ "term": { "corpus_version": version } })
    );
    assert_eq!(knn["k"], 30);
    assert_eq!(knn["num_candidates"], 120);
    assert_eq!(searches[0]["_source"], false);
    // The question's own embedding (the offline embedder's).
    let sent: Vec<f32> = knn["query_vector"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    let expected = OfflineEmbedder.vector(question);
    assert_eq!(sent.len(), expected.len());
    assert!(
        sent.iter()
            .zip(&expected)
            .all(|(a, b)| (a - b).abs() < 1e-6)
    );

    // An unchanged corpus pushes nothing; a lost index is pushed again.
    let (_, result) = ingest_as(&app, &admin, false).await;
    assert!(!result.contains("pushed"), "{result}");
    let deleted = app
        .http
        .delete(format!("{}/{HELP_INDEX}", es.url))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    let (_, result) = ingest_as(&app, &admin, false).await;
    assert!(result.contains("vectors pushed"), "{result}");
    assert_eq!(es.fake.vector_documents(HELP_INDEX).len() as u64, chunks);

    // kNN fails (500): the answer still comes, from the in-process scan.
    es.fake.fail_knn(true);
    let message = answer(&app, &ana, "주문을 취소하면 환불은 언제 들어오나요?").await;
    assert_eq!(message["status"], "DONE", "{message:#}");
    assert_eq!(message["mode"], "EXTRACTIVE", "{message:#}");
    assert_eq!(
        message["sources"][0]["doc"], "cancellation-refunds",
        "{message:#}"
    );
    assert_eq!(knn_searches(&es).len(), 2, "the search was tried");
}

/// The fake refuses what Elasticsearch 8 refuses, so the tests above
/// would catch a malformed request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fake_refuses_what_elasticsearch_refuses() {
    let es = FakeElasticsearch::start().await;
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}/{HELP_INDEX}{path}", es.url);
    let send = |method: reqwest::Method, path: &str, body: String, ndjson: bool| {
        http.request(method, url(path))
            .header(
                "content-type",
                if ndjson {
                    "application/x-ndjson"
                } else {
                    "application/json"
                },
            )
            .body(body)
            .send()
    };
    let create = vitrine::infra::search::help_vectors::create_body(3);
    let dynamic = json!({ "mappings": { "properties": create["mappings"]["properties"].clone() } });
    let r = send(reqwest::Method::PUT, "", dynamic.to_string(), false)
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "mappings must be strict");
    let r = send(reqwest::Method::PUT, "", create.to_string(), false)
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // A vector of other dims: that item fails with a 400.
    let bulk = "{\"index\":{\"_id\":\"1\"}}\n{\"chunk_id\":1,\"corpus_version\":\"v\",\"doc\":\"d\",\"lang\":\"en\",\"embedding\":[1,0,0]}\n{\"index\":{\"_id\":\"2\"}}\n{\"chunk_id\":2,\"corpus_version\":\"v\",\"doc\":\"d\",\"lang\":\"en\",\"embedding\":[1,0]}\n";
    let r: Value = send(
        reqwest::Method::POST,
        "/_bulk?refresh=true",
        bulk.into(),
        true,
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(r["errors"], true);
    assert_eq!(r["items"][0]["index"]["status"], 201);
    assert_eq!(r["items"][1]["index"]["status"], 400);
    assert_eq!(es.fake.vector_documents(HELP_INDEX).len(), 1);

    let good = vitrine::infra::search::help_vectors::knn_body("v", &[1.0, 0.0, 0.0], 1);
    let search = |body: Value| send(reqwest::Method::POST, "/_search", body.to_string(), false);
    let r: Value = search(good.clone()).await.unwrap().json().await.unwrap();
    assert_eq!(r["hits"]["hits"][0]["fields"]["chunk_id"], json!([1]));
    assert_eq!(r["hits"]["hits"][0]["_score"], 1.0);
    let other = vitrine::infra::search::help_vectors::knn_body("w", &[1.0, 0.0, 0.0], 1);
    let r: Value = search(other).await.unwrap().json().await.unwrap();
    assert_eq!(r["hits"]["hits"], json!([]), "the filter applies");

    let mut unknown = good.clone();
    unknown["query"] = json!({ "match_all": {} });
    let mut no_candidates = good.clone();
    no_candidates["knn"]
        .as_object_mut()
        .unwrap()
        .remove("num_candidates");
    let mut k_above = good.clone();
    k_above["knn"]["k"] = json!(200);
    let mut wrong_dims = good.clone();
    wrong_dims["knn"]["query_vector"] = json!([1.0, 0.0]);
    let mut zero = good;
    zero["knn"]["query_vector"] = json!([0.0, 0.0, 0.0]);
    for (what, body) in [
        ("an unknown top-level key", unknown),
        ("no num_candidates", no_candidates),
        ("k above num_candidates", k_above),
        ("a query vector of other dims", wrong_dims),
        ("a zero query vector", zero),
    ] {
        let r = search(body).await.unwrap();
        assert_eq!(r.status(), 400, "{what}");
    }
}
