//! Inferred product attributes (ML-1, "reinforced features") end to end over
//! the HTTP GraphQL endpoint, on SQLite and PostgreSQL: the
//! `PRODUCT_INFERENCE` job queued with a product's write infers from its
//! Korean description (the offline rules) or asks a local fake
//! OpenAI-compatible server (JSON mode), keeps only taxonomy values, never
//! touches what the seller entered, does not run again for an edit that
//! leaves the text alone, and feeds the recommender's item features where
//! the seller left a field empty.
mod common;

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Json, Router, extract::State, http::HeaderMap, routing::post};
use common::{Backend, SignedIn, TestApp, category_id, code};
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use serde_json::{Value, json};

on_sqlite_and_postgres!(
    korean_description_is_inferred_by_the_rules,
    unchanged_text_is_not_inferred_again,
    the_job_is_enqueued_in_the_write_transaction,
);

const CREATE: &str = "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }";
const UPDATE: &str =
    "mutation($id: ID!, $i: UpdateProductInput!) { updateProduct(id: $id, input: $i) { id } }";
const PRODUCT: &str = "query($id: ID!) { product(id: $id) { name colors seasons specTags
    fiberComposition { fiber percent } category { code }
    inferredAttributes { category { code } colors seasons fibers specTags source model
      droppedCount inferredAt } } }";
const KIND: &str = "PRODUCT_INFERENCE";

async fn seller(app: &TestApp) -> SignedIn {
    let admin = app.user_with_role("ADMIN").await;
    app.approved_seller(&admin, "Hanbok Lab", "123-45-67890")
        .await
        .0
}

async fn create(app: &TestApp, seller: &SignedIn, input: Value) -> String {
    let data = app
        .gql_ok(CREATE, json!({ "i": input }), Some(&seller.access))
        .await;
    data["createProduct"]["id"].as_str().unwrap().to_owned()
}

async fn product(app: &TestApp, id: &str) -> Value {
    app.gql_ok(PRODUCT, json!({ "id": id }), None).await["product"].clone()
}

/// Waits until the product's inference satisfies `done`.
async fn inferred(app: &TestApp, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..150 {
        let p = product(app, id).await;
        if !p["inferredAttributes"].is_null() && done(&p["inferredAttributes"]) {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("product {id} was not inferred: {}", product(app, id).await);
}

/// Inference jobs ever queued (finished ones included).
async fn jobs_queued(app: &TestApp) -> i64 {
    let db = &app.state.db;
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "SELECT COUNT(*) AS n FROM jobs WHERE kind = $1",
        _ => "SELECT COUNT(*) AS n FROM jobs WHERE kind = ?",
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [KIND.into()]))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// Waits until no inference job is queued or running.
async fn settled(app: &TestApp) {
    let db = &app.state.db;
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "SELECT COUNT(*) AS n FROM jobs WHERE kind = $1 AND state IN ('QUEUED', 'RUNNING')"
        }
        _ => "SELECT COUNT(*) AS n FROM jobs WHERE kind = ? AND state IN ('QUEUED', 'RUNNING')",
    };
    for _ in 0..150 {
        let row = db
            .query_one_raw(Statement::from_sql_and_values(backend, sql, [KIND.into()]))
            .await
            .unwrap()
            .unwrap();
        if row.try_get::<i64>("", "n").unwrap() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("inference jobs did not finish");
}

fn coat(category: &str) -> Value {
    json!({
        "name": "겨울 울 코트",
        "description": "따뜻한 빨간색 코트입니다. 겉감 울 80%, 기모 안감.",
        "price": 189000,
        "stock": 10,
        "categoryId": category,
        // The seller says cashmere and tags it; colours and seasons left out.
        "fiberComposition": [{ "fiber": "Cashmere", "percent": 100 }],
        "specTags": ["limited"],
    })
}

fn numeric_id(global: &str) -> i64 {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(global)
        .unwrap();
    String::from_utf8(raw).unwrap()["Product:".len()..]
        .parse()
        .unwrap()
}

async fn korean_description_is_inferred_by_the_rules(app: TestApp) {
    let seller = seller(&app).await;
    let knit = category_id(&app, "02top_04knit").await;
    let id = create(&app, &seller, coat(&knit)).await;
    let p = inferred(&app, &id, |_| true).await;
    let inf = &p["inferredAttributes"];
    assert_eq!(inf["source"], "RULES");
    assert!(inf["model"].is_null());
    assert_eq!(inf["colors"], json!(["Red"]));
    assert_eq!(inf["seasons"], json!(["WINTER"]));
    assert_eq!(inf["fibers"], json!(["wool"]));
    assert_eq!(inf["specTags"], json!(["coat", "fleece"]));
    assert_eq!(inf["category"]["code"], "01outer_01coat");
    assert_eq!(inf["droppedCount"], 0);
    // What the seller entered is untouched.
    assert_eq!(p["colors"], json!([]));
    assert_eq!(p["seasons"], json!([]));
    assert_eq!(p["category"]["code"], "02top_04knit");
    assert_eq!(p["specTags"], json!(["limited"]));
    assert_eq!(
        p["fiberComposition"],
        json!([{ "fiber": "Cashmere", "percent": 100 }])
    );
    // The recommender's features: inferred where the seller left a list
    // empty (colours, seasons), the seller's own where not (fibres, tags).
    let items = vitrine::ml::source::catalog(&app.state.db, true, Some(&[numeric_id(&id)]))
        .await
        .unwrap();
    let features = &items[0].features;
    assert_eq!(features.colors, ["red"]);
    assert_eq!(features.seasons, ["WINTER"]);
    assert_eq!(features.fibers, ["cashmere"]);
    assert_eq!(features.tags[0], "limited");
    assert!(!features.tags.contains(&"coat".to_owned()));
    assert_eq!(features.category, ["02top", "02top_04knit"]);
}

async fn unchanged_text_is_not_inferred_again(app: TestApp) {
    let seller = seller(&app).await;
    let coats = category_id(&app, "01outer_01coat").await;
    let id = create(&app, &seller, coat(&coats)).await;
    let first = inferred(&app, &id, |_| true).await["inferredAttributes"].clone();
    settled(&app).await;
    assert_eq!(jobs_queued(&app).await, 1);
    // Price, stock, colours, and the same name again: no new inference.
    let same = json!({ "price": 99000, "stock": 3, "colors": ["Black"], "name": "겨울 울 코트" });
    app.gql_ok(UPDATE, json!({ "id": id, "i": same }), Some(&seller.access))
        .await;
    settled(&app).await;
    assert_eq!(jobs_queued(&app).await, 1);
    let p = product(&app, &id).await;
    assert_eq!(p["inferredAttributes"]["inferredAt"], first["inferredAt"]);
    assert_eq!(p["colors"], json!(["Black"]));
    // A new description is inferred again.
    let changed = json!({ "description": "Navy linen coat for spring." });
    app.gql_ok(
        UPDATE,
        json!({ "id": id, "i": changed }),
        Some(&seller.access),
    )
    .await;
    assert_eq!(jobs_queued(&app).await, 2);
    let p = inferred(&app, &id, |i| i["colors"] == json!(["Navy"])).await;
    let inf = &p["inferredAttributes"];
    assert_eq!(inf["fibers"], json!(["wool", "linen"]));
    assert_eq!(inf["seasons"], json!(["WINTER", "SPRING_FALL"]));
    assert_ne!(inf["inferredAt"], first["inferredAt"]);
    // So is a new first image.
    let image = json!({ "images": ["https://img.example/coat-2.jpg"] });
    app.gql_ok(
        UPDATE,
        json!({ "id": id, "i": image }),
        Some(&seller.access),
    )
    .await;
    assert_eq!(jobs_queued(&app).await, 3);
}

async fn the_job_is_enqueued_in_the_write_transaction(app: TestApp) {
    let seller = seller(&app).await;
    let coats = category_id(&app, "01outer_01coat").await;
    // A refused write queues nothing.
    let mut bad = coat(&coats);
    bad["colors"] = json!(["Ultraviolet"]);
    let body = app
        .gql(CREATE, json!({ "i": bad }), Some(&seller.access))
        .await;
    assert_eq!(code(&body), "VALIDATION", "{body}");
    assert_eq!(jobs_queued(&app).await, 0);
    // The product and its job commit together...
    let id = create(&app, &seller, coat(&coats)).await;
    assert_eq!(jobs_queued(&app).await, 1);
    // ...and a rolled-back transaction leaves no job.
    let txn = app.state.db.begin().await.unwrap();
    vitrine::domain::commerce::inference::enqueue(&app.state.jobs, &txn, numeric_id(&id))
        .await
        .unwrap();
    txn.rollback().await.unwrap();
    assert_eq!(jobs_queued(&app).await, 1);
    inferred(&app, &id, |_| true).await;
}

/// A local OpenAI-compatible `POST /v1/chat/completions` in JSON mode: it
/// records each request and answers by the product's name.
#[derive(Clone, Default)]
struct FakeLlm {
    requests: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
}

const MODEL: &str = "infer-test-mini";
const KEY: &str = "sk-test-infer";

async fn completions(
    State(fake): State<FakeLlm>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Json<Value> {
    let user = body["messages"][1]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    fake.requests.lock().unwrap().push((headers, body));
    // One valid and one invalid value each time: a colour outside the
    // catalogue, or a category outside the taxonomy.
    let answer = if user.contains("Trench") {
        json!({ "category": "01outer_01coat", "colors": ["Navy", "Ultraviolet"],
                "seasons": ["SPRING_FALL"], "fibers": ["cotton"], "specTags": ["coat", "water-repellent"] })
    } else {
        json!({ "category": "01outer_99cape", "colors": ["Red"], "seasons": ["WINTER"],
                "fibers": ["wool"], "specTags": [] })
    };
    Json(json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": MODEL,
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": answer.to_string(), "refusal": null },
            "finish_reason": "stop",
        }],
    }))
}

async fn start_fake() -> (FakeLlm, SocketAddr) {
    let fake = FakeLlm::default();
    let router = Router::new()
        .route("/v1/chat/completions", post(completions))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (fake, addr)
}

async fn llm_keeps_only_taxonomy_values(backend: Backend) {
    let (fake, addr) = start_fake().await;
    let base = format!("http://{addr}/v1");
    let Some(app) = TestApp::spawn_with(
        backend,
        &[
            ("VITRINE_INFERENCE_BASE_URL", base.as_str()),
            ("VITRINE_INFERENCE_API_KEY", KEY),
            ("VITRINE_INFERENCE_MODEL", MODEL),
        ],
    )
    .await
    else {
        return;
    };
    let seller = seller(&app).await;
    let coats = category_id(&app, "01outer_01coat").await;
    let trench = create(
        &app,
        &seller,
        json!({ "name": "Trench", "description": "가벼운 봄 트렌치", "price": 150000, "stock": 4,
                "categoryId": coats, "images": ["https://img.example/trench.jpg"] }),
    )
    .await;
    let cape = create(
        &app,
        &seller,
        json!({ "name": "Cape", "description": "", "price": 90000, "stock": 4, "categoryId": coats }),
    )
    .await;
    let t = inferred(&app, &trench, |_| true).await["inferredAttributes"].clone();
    assert_eq!(t["source"], "LLM");
    assert_eq!(t["model"], MODEL);
    assert_eq!(t["category"]["code"], "01outer_01coat");
    assert_eq!(t["colors"], json!(["Navy"]));
    assert_eq!(t["seasons"], json!(["SPRING_FALL"]));
    assert_eq!(t["fibers"], json!(["cotton"]));
    assert_eq!(t["specTags"], json!(["coat", "water-repellent"]));
    assert_eq!(t["droppedCount"], 1);
    let c = inferred(&app, &cape, |_| true).await["inferredAttributes"].clone();
    assert!(c["category"].is_null(), "{c}");
    assert_eq!(c["colors"], json!(["Red"]));
    assert_eq!(c["droppedCount"], 1);

    let requests = fake.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    for (headers, body) in &requests {
        assert_eq!(headers["authorization"], format!("Bearer {KEY}").as_str());
        assert_eq!(body["model"], MODEL);
        assert_eq!(body["response_format"], json!({ "type": "json_object" }));
        assert!(body.get("stream").is_none(), "{body}");
        let system = body["messages"][0]["content"].as_str().unwrap();
        for allowed in [
            "JSON",
            "01outer_01coat",
            "SkyBlue",
            "SPRING_FALL",
            "wool",
            "water-repellent",
        ] {
            assert!(system.contains(allowed), "{allowed} missing from {system}");
        }
    }
    let trench_request = requests
        .iter()
        .map(|(_, b)| b["messages"][1]["content"].as_str().unwrap().to_owned())
        .find(|u| u.contains("Trench"))
        .unwrap();
    assert!(
        trench_request.contains("가벼운 봄 트렌치"),
        "{trench_request}"
    );
    assert!(
        trench_request.contains("https://img.example/trench.jpg"),
        "{trench_request}"
    );

    let metrics = app.metrics_text().await;
    let dropped = metrics
        .lines()
        .find(|l| {
            l.starts_with("product_inference_values_total")
                && l.contains("source=\"LLM\"")
                && l.contains("outcome=\"dropped\"")
        })
        .unwrap_or_default();
    assert!(dropped.ends_with(" 2"), "{dropped}");
}

mod llm_keeps_only_taxonomy_values {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::llm_keeps_only_taxonomy_values(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::llm_keeps_only_taxonomy_values(Backend::Postgres).await;
    }
}
