//! Store-linked partners (issue 22) over HTTP, on SQLite and PostgreSQL: a
//! partner linked to a seller's store (its ERP, its fulfilment service)
//! reads that store's orders with `PartnerStoreOrders` and its API key, and
//! receives signed `order.paid` / `order.shipped` webhooks carrying only its
//! store's lines; partners linked to another store, to none, or whose
//! allow-list does not read orders get nothing, and nobody else reads
//! `partnerStoreOrders`. Reviews are public: a partner allowed
//! `PartnerProductReviews` receives `review.created` and reads reviews.
mod common;
#[path = "partner_webhooks/receiver.rs"]
mod receiver;

use std::time::Duration;

use common::{Backend, SignedIn, TestApp, category_id, code};
use receiver::{Mode, Receiver};
use serde_json::{Value, json};
use vitrine::protection::contract;

const VARS: &[(&str, &str)] = &[("VITRINE_JOBS_POLL_INTERVAL", "100ms")];

macro_rules! on_sqlite_and_postgres_with_vars {
    ($($name:ident),+ $(,)?) => {
        $(
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = TestApp::spawn_with(Backend::Sqlite, VARS).await {
                    super::$name(app).await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = TestApp::spawn_with(Backend::Postgres, VARS).await {
                    super::$name(app).await;
                }
            }
        }
        )+
    };
}

on_sqlite_and_postgres_with_vars!(
    store_partners_get_only_their_store_lines,
    reviews_reach_partners_allowed_to_read_them,
);

const CREATE_PARTNER: &str = "mutation($i: CreatePartnerInput!) { createPartner(input: $i) {
    apiKey partner { id storeId store { id name } } } }";
const SUBSCRIBE: &str =
    "mutation($i: CreatePartnerWebhookInput!) { createPartnerWebhook(input: $i) {
    secret partnerWebhook { id deliverableEvents } } }";
const PLACE: &str = "mutation($i: PlaceOrderInput!, $k: String!) {
    placeOrder(input: $i, idempotencyKey: $k) { id lines { id productName } } }";
const ADVANCE: &str = "mutation($id: ID!, $s: OrderStatus!, $c: Carrier, $t: String) {
    advanceOrderLine(id: $id, status: $s, carrier: $c, trackingNumber: $t) { status } }";

fn manifest_id(name: &str) -> String {
    contract::embedded()
        .operations
        .iter()
        .find(|(_, e)| e.name == name)
        .map(|(id, _)| id.clone())
        .unwrap_or_else(|| panic!("{name} is not in the manifest"))
}

/// A partner allowed `operations` (manifest names), linked to `store`;
/// `(partner id, API key)`.
async fn partner(
    app: &TestApp,
    admin: &SignedIn,
    name: &str,
    operations: &[&str],
    store: Option<&str>,
) -> (String, String) {
    let ids: Vec<String> = operations.iter().map(|o| manifest_id(o)).collect();
    let data = app
        .gql_ok(
            CREATE_PARTNER,
            json!({ "i": { "name": name, "allowedOperations": ids, "storeId": store,
                "rateTier": "STANDARD" } }),
            Some(&admin.access),
        )
        .await;
    let created = &data["createPartner"];
    assert_eq!(created["partner"]["storeId"], json!(store));
    assert_eq!(created["partner"]["store"]["id"], json!(store));
    (
        created["partner"]["id"].as_str().unwrap().to_owned(),
        created["apiKey"].as_str().unwrap().to_owned(),
    )
}

/// A receiver for `events` of `partner_id`, and the subscription's
/// deliverable events.
async fn subscribe(
    app: &TestApp,
    admin: &SignedIn,
    partner_id: &str,
    events: &[&str],
) -> (Receiver, Value) {
    let receiver = Receiver::start(Mode::Accept).await;
    let data = app
        .gql_ok(
            SUBSCRIBE,
            json!({ "i": { "partnerId": partner_id, "url": receiver.url(), "events": events } }),
            Some(&admin.access),
        )
        .await;
    let created = &data["createPartnerWebhook"];
    receiver.set_secret(created["secret"].as_str().unwrap());
    (
        receiver,
        created["partnerWebhook"]["deliverableEvents"].clone(),
    )
}

/// An active product of `seller`'s store.
async fn product(app: &TestApp, seller: &SignedIn, name: &str) -> String {
    let coat = category_id(app, "01outer_01coat").await;
    let data = app
        .gql_ok(
            "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
            json!({ "i": {
                "name": name, "description": "Double-faced wool", "price": 100000, "stock": 40,
                "categoryId": coat, "gender": "FEMALE", "colors": ["black"], "seasons": ["WINTER"],
                "fiberComposition": [{ "fiber": "Wool", "percent": 100 }],
                "elasticity": "NONE", "transparency": "NONE_AT_ALL", "fleece": false,
                "specTags": [], "options": [],
                "images": ["https://cdn.example.com/coat.jpg"]
            } }),
            Some(&seller.access),
        )
        .await;
    data["createProduct"]["id"].as_str().unwrap().to_owned()
}

/// Places one order of one of each product; its line ids, in order.
async fn buy(app: &TestApp, buyer: &SignedIn, products: &[&str], key: &str) -> Vec<String> {
    let lines: Vec<Value> = products
        .iter()
        .map(|p| json!({ "productId": p, "option": "", "quantity": 1 }))
        .collect();
    let shipping = json!({ "recipient": "Kim", "phone": "010-1234-5678", "address": "Seoul Mapo-gu 1", "memo": "" });
    let data = app
        .gql_ok(
            PLACE,
            json!({ "i": { "from": { "lines": lines }, "shipping": shipping }, "k": key }),
            Some(&buyer.access),
        )
        .await;
    data["placeOrder"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn advance(app: &TestApp, seller: &SignedIn, line: &str, status: &str) {
    let (carrier, tracking) = if status == "SHIPPED" {
        (json!("CJ_LOGISTICS"), json!("6841-2345-6789"))
    } else {
        (Value::Null, Value::Null)
    };
    app.gql_ok(
        ADVANCE,
        json!({ "id": line, "s": status, "c": carrier, "t": tracking }),
        Some(&seller.access),
    )
    .await;
}

/// Runs manifest operation `name` with an API key (or none).
async fn run(app: &TestApp, key: Option<&str>, name: &str, variables: Value) -> (u16, Value) {
    let mut req = app
        .http
        .post(app.url("/graphql"))
        .json(&json!({ "documentId": manifest_id(name), "variables": variables }));
    if let Some(key) = key {
        req = req.header("x-api-key", key);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

const ORDER_EVENTS: &[&str] = &["ORDER_PAID", "ORDER_SHIPPED"];

async fn store_partners_get_only_their_store_lines(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let (north, north_store) = app
        .approved_seller(&admin, "North Studio", "111-11-11111")
        .await;
    let (south, south_store) = app
        .approved_seller(&admin, "South Atelier", "222-22-22222")
        .await;
    let (_, east_store) = app
        .approved_seller(&admin, "East Works", "333-33-33333")
        .await;
    let north_coat = product(&app, &north, "North coat").await;
    let south_coat = product(&app, &south, "South coat").await;

    let orders = &["PartnerStoreOrders"];
    let (north_erp, north_key) =
        partner(&app, &admin, "North ERP", orders, Some(&north_store)).await;
    let (south_erp, _) = partner(&app, &admin, "South ERP", orders, Some(&south_store)).await;
    let (east_erp, east_key) = partner(&app, &admin, "East ERP", orders, Some(&east_store)).await;
    // Linked to North, but its allow-list reads products, not orders.
    let (north_feed, _) = partner(
        &app,
        &admin,
        "North feed",
        &["PartnerProducts"],
        Some(&north_store),
    )
    .await;
    // Allowed the operation, linked to no store.
    let (loose, loose_key) = partner(&app, &admin, "Loose", orders, None).await;

    let (north_rx, deliverable) = subscribe(&app, &admin, &north_erp, ORDER_EVENTS).await;
    assert_eq!(deliverable, json!(ORDER_EVENTS));
    let (south_rx, _) = subscribe(&app, &admin, &south_erp, ORDER_EVENTS).await;
    let (east_rx, deliverable) = subscribe(&app, &admin, &east_erp, ORDER_EVENTS).await;
    assert_eq!(deliverable, json!(ORDER_EVENTS));
    let (feed_rx, deliverable) = subscribe(&app, &admin, &north_feed, ORDER_EVENTS).await;
    assert_eq!(deliverable, json!([]));
    let (loose_rx, deliverable) = subscribe(&app, &admin, &loose, ORDER_EVENTS).await;
    assert_eq!(deliverable, json!([]));

    // One order with a line of each store. North's line paid: the order is
    // not PAID yet, nothing is sent; South's line paid: `order.paid`.
    let buyer = app.register("two-stores@example.com", "twostores").await;
    let lines = buy(&app, &buyer, &[&north_coat, &south_coat], "po-two-stores").await;
    let (north_line, south_line) = (lines[0].clone(), lines[1].clone());
    advance(&app, &north, &north_line, "PAID").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(north_rx.received().is_empty());
    advance(&app, &south, &south_line, "PAID").await;

    let got = north_rx.wait_for(1).await;
    assert!(got[0].signature_ok, "{got:#?}");
    let body = &got[0].body;
    assert_eq!(body["type"], "order.paid");
    assert_eq!(body["data"]["storeId"], north_store);
    let sent_lines = body["data"]["lines"].as_array().unwrap();
    assert_eq!(sent_lines.len(), 1, "{body:#}");
    assert_eq!(sent_lines[0]["id"], north_line);
    assert_eq!(sent_lines[0]["storeId"], north_store);
    assert_eq!(body["data"]["subtotalAmount"], 100000);
    assert!(body["data"].get("totalAmount").is_none(), "{body:#}");
    let text = String::from_utf8_lossy(&got[0].raw).to_string();
    assert!(!text.contains("two-stores@example.com") && !text.contains("South"));
    // South's partner gets South's line, under the same event id.
    let south_got = south_rx.wait_for(1).await;
    assert!(south_got[0].signature_ok);
    assert_eq!(south_got[0].event_id, got[0].event_id);
    let south_lines = south_got[0].body["data"]["lines"].as_array().unwrap();
    assert_eq!(south_lines.len(), 1);
    assert_eq!(south_lines[0]["id"], south_line);

    // North ships its line: only North's partner hears of it.
    advance(&app, &north, &north_line, "SHIPPED").await;
    let got = north_rx.wait_for(2).await;
    assert!(got[1].signature_ok);
    let shipped = &got[1].body;
    assert_eq!(shipped["type"], "order.shipped");
    assert_eq!(shipped["data"]["storeId"], north_store);
    assert_eq!(shipped["data"]["line"]["id"], north_line);
    assert_eq!(shipped["data"]["carrier"], "CJ_LOGISTICS");
    assert_eq!(
        shipped["data"]["trackingNumber"], "684123456789",
        "digits kept"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(south_rx.received().len(), 1);
    assert!(east_rx.received().is_empty());
    assert!(feed_rx.received().is_empty());
    assert!(loose_rx.received().is_empty());

    // North's ERP reads the order with its key: North's line only.
    let (status, body) = run(
        &app,
        Some(&north_key),
        "PartnerStoreOrders",
        json!({ "first": 10 }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    let edges = body["data"]["partnerStoreOrders"]["edges"]
        .as_array()
        .unwrap();
    assert_eq!(edges.len(), 1, "{body:#}");
    let order = &edges[0]["node"];
    assert_eq!(order["recipient"], "Kim");
    let order_lines = order["lines"].as_array().unwrap();
    assert_eq!(order_lines.len(), 1);
    assert_eq!(order_lines[0]["id"], north_line);
    assert_eq!(order_lines[0]["status"], "SHIPPED");
    assert_eq!(order_lines[0]["carrier"], "CJ_LOGISTICS");
    assert!(!body.to_string().contains("two-stores@example.com"));
    // Filtered by its lines' status.
    let (_, shipped) = run(
        &app,
        Some(&north_key),
        "PartnerStoreOrders",
        json!({ "first": 10, "status": "SHIPPED" }),
    )
    .await;
    assert_eq!(
        shipped["data"]["partnerStoreOrders"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (_, paid) = run(
        &app,
        Some(&north_key),
        "PartnerStoreOrders",
        json!({ "first": 10, "status": "PAID" }),
    )
    .await;
    assert_eq!(
        paid["data"]["partnerStoreOrders"]["edges"],
        json!([]),
        "{paid}"
    );
    // East has no line in it: no orders.
    let (_, east) = run(&app, Some(&east_key), "PartnerStoreOrders", json!({})).await;
    assert_eq!(
        east["data"]["partnerStoreOrders"]["edges"],
        json!([]),
        "{east}"
    );

    // No linked store: FORBIDDEN; no key: persisted documents run, but the
    // field needs a partner (UNAUTHENTICATED anonymous, FORBIDDEN signed in).
    let (_, body) = run(&app, Some(&loose_key), "PartnerStoreOrders", json!({})).await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    let (_, body) = run(&app, None, "PartnerStoreOrders", json!({})).await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    let text = "query { partnerStoreOrders(first: 5) { edges { node { id } } } }";
    let body = app.gql(text, json!({}), Some(&north.access)).await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    let body = app.gql(text, json!({}), Some(&admin.access)).await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    let body = app.gql(text, json!({}), None).await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");

    // The store must exist.
    let body = app
        .gql(
            CREATE_PARTNER,
            json!({ "i": { "name": "Ghost", "allPartnerOperations": true, "storeId": "U3RvcmU6OTk5OTk" } }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION", "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "storeId",
        "{body}"
    );
}

async fn reviews_reach_partners_allowed_to_read_them(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let (seller, _) = app
        .approved_seller(&admin, "Review Studio", "444-44-44444")
        .await;
    let coat = product(&app, &seller, "Reviewed coat").await;
    let (reviews, reviews_key) = partner(
        &app,
        &admin,
        "Review board",
        &["PartnerProductReviews"],
        None,
    )
    .await;
    let (listing, _) = partner(&app, &admin, "Listing", &["PartnerProducts"], None).await;
    let (reviews_rx, deliverable) = subscribe(&app, &admin, &reviews, &["REVIEW_CREATED"]).await;
    assert_eq!(deliverable, json!(["REVIEW_CREATED"]));
    let (listing_rx, deliverable) = subscribe(&app, &admin, &listing, &["REVIEW_CREATED"]).await;
    assert_eq!(deliverable, json!([]));

    let buyer = app.register("reviewer@example.com", "reviewer").await;
    let line = buy(&app, &buyer, &[&coat], "po-review").await.remove(0);
    for status in ["PAID", "SHIPPED", "DELIVERED"] {
        advance(&app, &seller, &line, status).await;
    }
    let created = app
        .gql_ok(
            "mutation($i: CreateReviewInput!) { createReview(input: $i) { id } }",
            json!({ "i": { "productId": coat, "rating": 5, "body": "Warm and well cut" } }),
            Some(&buyer.access),
        )
        .await;
    let review_id = created["createReview"]["id"].as_str().unwrap();

    let got = reviews_rx.wait_for(1).await;
    assert!(got[0].signature_ok, "{got:#?}");
    assert_eq!(got[0].body["type"], "review.created");
    assert_eq!(got[0].body["data"]["reviewId"], review_id);
    assert_eq!(got[0].body["data"]["productId"], coat);
    assert_eq!(got[0].body["data"]["rating"], 5);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(listing_rx.received().is_empty());

    // It reads the review with its key.
    let (status, body) = run(
        &app,
        Some(&reviews_key),
        "PartnerProductReviews",
        json!({ "id": coat, "first": 5 }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let edges = body["data"]["product"]["reviews"]["edges"]
        .as_array()
        .unwrap();
    assert_eq!(edges.len(), 1, "{body:#}");
    let node = &edges[0]["node"];
    assert_eq!(node["id"], review_id);
    assert_eq!(node["body"], "Warm and well cut");
    assert_eq!(node["author"]["nickname"], "reviewer");
}
