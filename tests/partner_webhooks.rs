//! Partner webhooks (issue 22) over HTTP, on SQLite and PostgreSQL: a local
//! receiver verifies each delivery's `Vitrine-Signature` with the secret
//! shown once and answers 500 the first time, then 200; the delivery is
//! retried, delivered, listed with its attempts and redelivered by hand.
//! A partner whose allow-list cannot read the data gets nothing; a day of
//! failures (on the test's clock) disables a subscription and tells its
//! owner; bad input is refused.
mod common;
#[path = "partner_webhooks/receiver.rs"]
mod receiver;

use std::time::Duration;

use chrono::Utc;
use common::{Backend, SignedIn, TestApp, category_id, code};
use receiver::{Mode, Receiver};
use serde_json::{Value, json};
use vitrine::{
    jobs::{Clock, ManualClock},
    protection::contract,
};

/// Retries come quickly in tests; the 24 h are moved on the clock.
const VARS: &[(&str, &str)] = &[
    ("VITRINE_PARTNER_WEBHOOK_RETRY_DELAYS", "200ms"),
    ("VITRINE_JOBS_POLL_INTERVAL", "100ms"),
];

macro_rules! on_sqlite_and_postgres_with_clock {
    ($($name:ident),+ $(,)?) => {
        $(
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let clock = ManualClock::new(Utc::now());
                if let Some(app) = TestApp::spawn_with_clock(Backend::Sqlite, VARS, clock.clone()).await {
                    super::$name(app, clock).await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let clock = ManualClock::new(Utc::now());
                if let Some(app) = TestApp::spawn_with_clock(Backend::Postgres, VARS, clock.clone()).await {
                    super::$name(app, clock).await;
                }
            }
        }
        )+
    };
}

on_sqlite_and_postgres_with_clock!(
    deliveries_are_signed_retried_listed_and_redelivered,
    allow_lists_limit_what_is_sent,
    a_day_of_failures_disables_the_subscription,
    sales_send_stock_low_but_orders_stay_private,
    bad_input_is_refused,
);

fn manifest_id(name: &str) -> String {
    contract::embedded()
        .operations
        .iter()
        .find(|(_, e)| e.name == name)
        .map(|(id, _)| id.clone())
        .unwrap_or_else(|| panic!("{name} is not in the manifest"))
}

const CREATE_PARTNER: &str =
    "mutation($i: CreatePartnerInput!) { createPartner(input: $i) { partner { id } } }";
const SUBSCRIBE: &str = "mutation($i: CreatePartnerWebhookInput!) { createPartnerWebhook(input: $i) {
    secret partnerWebhook { id partnerId url events deliverableEvents stockLowThreshold enabled } } }";
const UPDATE_HOOK: &str =
    "mutation($i: UpdatePartnerWebhookInput!) { updatePartnerWebhook(input: $i) {
    partnerWebhook { id enabled failingSince disabledAt disabledReason } } }";
const HOOKS: &str = "query($p: ID) { partnerWebhooks(partnerId: $p, first: 10) { edges { node {
    id url events deliverableEvents enabled failingSince disabledAt disabledReason } } } }";
const DELIVERIES: &str =
    "query($s: ID!) { partnerWebhookDeliveries(subscriptionId: $s, first: 20) {
    edges { node { id eventId event payload status attemptCount firstAttemptAt lastAttemptAt
    nextAttemptAt deliveredAt lastStatusCode lastError
    attempts { attemptedAt statusCode error durationMs success manual } } } } }";
const PLACE: &str = "mutation($i: PlaceOrderInput!, $k: String!) {
    placeOrder(input: $i, idempotencyKey: $k) { id lines { id } } }";
const ADVANCE: &str = "mutation($id: ID!, $s: OrderStatus!, $c: Carrier, $t: String) {
    advanceOrderLine(id: $id, status: $s, carrier: $c, trackingNumber: $t) { status carrier } }";
const REDELIVER: &str =
    "mutation($i: RedeliverPartnerWebhookInput!) { redeliverPartnerWebhook(input: $i) {
    delivery { id status } } }";

/// A partner allowed `operations` (manifest names), or every partner one.
async fn partner(app: &TestApp, admin: &SignedIn, name: &str, operations: &[&str]) -> String {
    let input = if operations.is_empty() {
        json!({ "name": name, "allPartnerOperations": true })
    } else {
        let ids: Vec<String> = operations.iter().map(|o| manifest_id(o)).collect();
        json!({ "name": name, "allowedOperations": ids })
    };
    let data = app
        .gql_ok(CREATE_PARTNER, json!({ "i": input }), Some(&admin.access))
        .await;
    data["createPartner"]["partner"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Subscribes `partner_id` to `events`; the subscription and its secret.
async fn subscribe(
    app: &TestApp,
    admin: &SignedIn,
    partner_id: &str,
    url: &str,
    events: &[&str],
) -> (Value, String) {
    let data = app
        .gql_ok(
            SUBSCRIBE,
            json!({ "i": { "partnerId": partner_id, "url": url, "events": events } }),
            Some(&admin.access),
        )
        .await;
    let payload = &data["createPartnerWebhook"];
    (
        payload["partnerWebhook"].clone(),
        payload["secret"].as_str().unwrap().to_owned(),
    )
}

/// A seller's active product; `(seller, product id)`.
async fn product(app: &TestApp, admin: &SignedIn) -> (SignedIn, String) {
    let (seller, _) = app
        .approved_seller(admin, "Hook Studio", "123-45-67890")
        .await;
    let coat = category_id(app, "01outer_01coat").await;
    let data = app
        .gql_ok(
            "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
            json!({ "i": {
                "name": "Wool coat", "description": "Double-faced wool", "price": 289000, "stock": 40,
                "categoryId": coat, "gender": "FEMALE", "colors": ["black"], "seasons": ["WINTER"],
                "fiberComposition": [{ "fiber": "Wool", "percent": 100 }],
                "elasticity": "NONE", "transparency": "NONE_AT_ALL", "fleece": false,
                "specTags": [], "options": [],
                "images": ["https://cdn.example.com/coat.jpg"]
            } }),
            Some(&seller.access),
        )
        .await;
    (
        seller,
        data["createProduct"]["id"].as_str().unwrap().to_owned(),
    )
}

async fn set_price(app: &TestApp, seller: &SignedIn, product_id: &str, price: i64) {
    app.gql_ok(
        "mutation($id: ID!, $i: UpdateProductInput!) { updateProduct(id: $id, input: $i) { price } }",
        json!({ "id": product_id, "i": { "price": price } }),
        Some(&seller.access),
    )
    .await;
}

async fn deliveries(app: &TestApp, admin: &SignedIn, subscription: &str) -> Vec<Value> {
    app.gql_ok(
        DELIVERIES,
        json!({ "s": subscription }),
        Some(&admin.access),
    )
    .await["partnerWebhookDeliveries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// Polls the subscription's deliveries until `done` holds for the newest.
async fn wait_delivery(
    app: &TestApp,
    admin: &SignedIn,
    subscription: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let mut last = Value::Null;
    for _ in 0..200 {
        if let Some(d) = deliveries(app, admin, subscription).await.first() {
            if done(d) {
                return d.clone();
            }
            last = d.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the delivery did not get there: {last:#}");
}

async fn hook(app: &TestApp, admin: &SignedIn, partner_id: &str) -> Value {
    app.gql_ok(HOOKS, json!({ "p": partner_id }), Some(&admin.access))
        .await["partnerWebhooks"]["edges"][0]["node"]
        .clone()
}

async fn deliveries_are_signed_retried_listed_and_redelivered(app: TestApp, _clock: ManualClock) {
    let admin = app.user_with_role("ADMIN").await;
    let receiver = Receiver::start(Mode::FailFirst).await;
    let partner_id = partner(&app, &admin, "Price watch", &[]).await;
    let (sub, secret) = subscribe(
        &app,
        &admin,
        &partner_id,
        &receiver.url(),
        &["PRODUCT_UPDATED", "STOCK_LOW", "ORDER_PAID"],
    )
    .await;
    assert!(
        secret.starts_with("whsec_") && secret.len() > 40,
        "{secret}"
    );
    assert_eq!(sub["enabled"], true);
    assert_eq!(sub["stockLowThreshold"], 5, "the configured default");
    assert_eq!(
        sub["events"],
        json!(["ORDER_PAID", "PRODUCT_UPDATED", "STOCK_LOW"])
    );
    // Every partner operation reads products and their stock; orders only
    // reach partners linked to a store (tests/partner_orders.rs).
    assert_eq!(
        sub["deliverableEvents"],
        json!(["PRODUCT_UPDATED", "STOCK_LOW"])
    );
    receiver.set_secret(&secret);
    let sub_id = sub["id"].as_str().unwrap().to_owned();

    let (seller, product_id) = product(&app, &admin).await;
    set_price(&app, &seller, &product_id, 259000).await;

    // 500 first, then the retry is delivered, signed with the secret.
    let got = receiver.wait_for(2).await;
    assert!(got.iter().all(|r| r.signature_ok), "{got:#?}");
    assert_eq!(got[0].raw, got[1].raw, "every attempt sends the same body");
    let body = &got[1].body;
    assert_eq!(body["type"], "product.updated");
    assert_eq!(body["id"], got[1].event_id);
    assert!(body["id"].as_str().unwrap().starts_with("evt_"));
    assert!(body["created"].is_i64());
    assert_eq!(body["data"]["productId"], product_id);
    assert_eq!(body["data"]["price"], 259000);
    let delivered = wait_delivery(&app, &admin, &sub_id, |d| d["status"] == "DELIVERED").await;
    assert_eq!(delivered["eventId"], got[1].event_id);
    assert_eq!(delivered["event"], "PRODUCT_UPDATED");
    assert_eq!(delivered["attemptCount"], 2);
    assert_eq!(delivered["lastStatusCode"], 200);
    assert!(delivered["lastError"].is_null() && delivered["nextAttemptAt"].is_null());
    assert_eq!(
        serde_json::from_str::<Value>(delivered["payload"].as_str().unwrap()).unwrap(),
        *body
    );
    let attempts = delivered["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{attempts:#?}");
    assert_eq!(attempts[0]["statusCode"], 500);
    assert_eq!(attempts[0]["success"], false);
    assert_eq!(attempts[0]["error"], "HTTP 500");
    assert_eq!(attempts[1]["statusCode"], 200);
    assert_eq!(attempts[1]["success"], true);
    assert!(
        attempts
            .iter()
            .all(|a| a["manual"] == false && a["durationMs"].is_i64())
    );
    // The subscription is healthy again.
    let listed = hook(&app, &admin, &partner_id).await;
    assert!(listed["failingSince"].is_null(), "{listed}");

    // By hand: one more attempt of the same event.
    let again = app
        .gql_ok(
            REDELIVER,
            json!({ "i": { "deliveryId": delivered["id"] } }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(
        again["redeliverPartnerWebhook"]["delivery"]["id"],
        delivered["id"]
    );
    let got = receiver.wait_for(3).await;
    assert_eq!(got[2].event_id, got[1].event_id);
    assert!(got[2].signature_ok);
    let redelivered = wait_delivery(&app, &admin, &sub_id, |d| d["attemptCount"] == 3).await;
    let last = &redelivered["attempts"][2];
    assert_eq!(
        (last["manual"].clone(), last["success"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(redelivered["status"], "DELIVERED");

    // The secret is never readable again; a rotation shows a new one once.
    let rotated = app
        .gql_ok(
            "mutation($i: PartnerWebhookIdInput!) { rotatePartnerWebhookSecret(input: $i) { secret } }",
            json!({ "i": { "id": sub_id } }),
            Some(&admin.access),
        )
        .await;
    let new_secret = rotated["rotatePartnerWebhookSecret"]["secret"]
        .as_str()
        .unwrap();
    assert!(new_secret.starts_with("whsec_") && new_secret != secret);
    let body = app
        .gql(
            "query { partnerWebhooks(first: 1) { edges { node { secret } } } }",
            json!({}),
            Some(&admin.access),
        )
        .await;
    assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");

    // Deleting the subscription takes its log with it.
    app.gql_ok(
        "mutation($i: PartnerWebhookIdInput!) { deletePartnerWebhook(input: $i) { deletedId } }",
        json!({ "i": { "id": sub_id } }),
        Some(&admin.access),
    )
    .await;
    let body = app
        .gql(DELIVERIES, json!({ "s": sub_id }), Some(&admin.access))
        .await;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");
}

async fn allow_lists_limit_what_is_sent(app: TestApp, _clock: ManualClock) {
    let admin = app.user_with_role("ADMIN").await;
    // Reads stores only: no product event may reach it.
    let stores_only = Receiver::start(Mode::FailFirst).await;
    let stores_partner = partner(&app, &admin, "Store index", &["PartnerStores"]).await;
    let (stores_sub, _) = subscribe(
        &app,
        &admin,
        &stores_partner,
        &stores_only.url(),
        &[
            "PRODUCT_UPDATED",
            "STOCK_LOW",
            "ORDER_PAID",
            "ORDER_SHIPPED",
            "REVIEW_CREATED",
        ],
    )
    .await;
    assert_eq!(stores_sub["deliverableEvents"], json!([]));
    // Reads product lists (with `inStock`, not the stock count): product
    // updates, but not stock levels.
    let lists = Receiver::start(Mode::FailFirst).await;
    let lists_partner = partner(&app, &admin, "Catalogue mirror", &["PartnerProducts"]).await;
    let (lists_sub, lists_secret) = subscribe(
        &app,
        &admin,
        &lists_partner,
        &lists.url(),
        &["PRODUCT_UPDATED", "STOCK_LOW"],
    )
    .await;
    assert_eq!(lists_sub["deliverableEvents"], json!(["PRODUCT_UPDATED"]));
    lists.set_secret(&lists_secret);

    let (seller, product_id) = product(&app, &admin).await;
    set_price(&app, &seller, &product_id, 199000).await;
    let got = lists.wait_for(2).await;
    assert_eq!(got[1].body["type"], "product.updated");
    wait_delivery(&app, &admin, lists_sub["id"].as_str().unwrap(), |d| {
        d["status"] == "DELIVERED"
    })
    .await;
    // The other partner's delivery would have been queued in the same
    // transaction: none exists, and nothing arrives.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(stores_only.received().is_empty());
    assert!(
        deliveries(&app, &admin, stores_sub["id"].as_str().unwrap())
            .await
            .is_empty()
    );

    // A hidden product is not readable by partners: no event for it.
    app.gql_ok(
        "mutation($id: ID!) { setProductStatus(id: $id, status: HIDDEN) { status } }",
        json!({ "id": product_id }),
        Some(&seller.access),
    )
    .await;
    set_price(&app, &seller, &product_id, 99000).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        deliveries(&app, &admin, lists_sub["id"].as_str().unwrap())
            .await
            .len(),
        1
    );
}

async fn a_day_of_failures_disables_the_subscription(app: TestApp, clock: ManualClock) {
    let admin = app.user_with_role("ADMIN").await;
    let receiver = Receiver::start(Mode::AlwaysFail).await;
    let partner_id = partner(&app, &admin, "Flaky", &["PartnerProducts"]).await;
    let (sub, secret) = subscribe(
        &app,
        &admin,
        &partner_id,
        &receiver.url(),
        &["PRODUCT_UPDATED"],
    )
    .await;
    receiver.set_secret(&secret);
    let sub_id = sub["id"].as_str().unwrap().to_owned();
    let (seller, product_id) = product(&app, &admin).await;
    set_price(&app, &seller, &product_id, 100000).await;

    // Failing, retried, not given up within the day.
    receiver.wait_for(2).await;
    let pending = wait_delivery(&app, &admin, &sub_id, |d| {
        d["attemptCount"].as_i64() >= Some(2)
    })
    .await;
    assert_eq!(pending["status"], "PENDING");
    assert!(pending["nextAttemptAt"].is_string(), "{pending:#}");
    assert_eq!(pending["lastStatusCode"], 500);
    let failing = hook(&app, &admin, &partner_id).await;
    assert_eq!(failing["enabled"], true);
    assert!(failing["failingSince"].is_string(), "{failing}");

    // A day later the next failure disables it and settles the delivery.
    clock.advance(Duration::from_secs(24 * 3600 + 60));
    let failed = wait_delivery(&app, &admin, &sub_id, |d| d["status"] == "FAILED").await;
    assert!(failed["nextAttemptAt"].is_null());
    let disabled = hook(&app, &admin, &partner_id).await;
    assert_eq!(disabled["enabled"], false, "{disabled}");
    assert!(
        disabled["disabledReason"]
            .as_str()
            .unwrap()
            .contains("24 hours")
    );
    assert_eq!(
        disabled["disabledAt"].as_str().unwrap()[..13],
        clock.now().to_rfc3339()[..13]
    );
    // Nothing more is sent.
    let before = receiver.received().len();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(receiver.received().len(), before);
    // Its owner (the admin who created the partner) was told.
    let notes = app
        .gql_ok(
            "query { notifications(first: 20) { edges { node { kind subjectType data } } } }",
            json!({}),
            Some(&admin.access),
        )
        .await;
    let notice = notes["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .find(|n| n["kind"] == "PARTNER_WEBHOOK_DISABLED")
        .unwrap_or_else(|| panic!("no notice: {notes:#}"))
        .clone();
    assert_eq!(notice["data"]["partnerWebhookId"], sub_id);
    assert_eq!(notice["data"]["url"], receiver.url());

    // Redelivery waits for it to be enabled again; new events are not queued.
    let body = app
        .gql(
            REDELIVER,
            json!({ "i": { "deliveryId": failed["id"] } }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(code(&body), "CONFLICT", "{body}");
    set_price(&app, &seller, &product_id, 90000).await;
    assert_eq!(deliveries(&app, &admin, &sub_id).await.len(), 1);

    // Re-enabled: the failure clock starts over.
    let enabled = app
        .gql_ok(
            UPDATE_HOOK,
            json!({ "i": { "id": sub_id, "enabled": true } }),
            Some(&admin.access),
        )
        .await;
    let enabled = &enabled["updatePartnerWebhook"]["partnerWebhook"];
    assert_eq!(enabled["enabled"], true);
    assert!(enabled["failingSince"].is_null() && enabled["disabledAt"].is_null());
    set_price(&app, &seller, &product_id, 80000).await;
    assert_eq!(deliveries(&app, &admin, &sub_id).await.len(), 2);
}

/// Places an order of `quantity` of `product_id` (its one variant); the
/// order's first line id.
async fn buy(
    app: &TestApp,
    buyer: &SignedIn,
    product_id: &str,
    quantity: i64,
    key: &str,
) -> String {
    let shipping = json!({ "recipient": "Kim", "phone": "010-1234-5678", "address": "Seoul Mapo-gu 1", "memo": "" });
    let data = app
        .gql_ok(
            PLACE,
            json!({ "i": { "from": { "lines": [{ "productId": product_id, "option": "", "quantity": quantity }] },
                "shipping": shipping }, "k": key }),
            Some(&buyer.access),
        )
        .await;
    data["placeOrder"]["lines"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn sales_send_stock_low_but_orders_stay_private(app: TestApp, _clock: ManualClock) {
    let admin = app.user_with_role("ADMIN").await;
    let receiver = Receiver::start(Mode::Accept).await;
    let partner_id = partner(&app, &admin, "Stock watch", &[]).await;
    let data = app
        .gql_ok(
            SUBSCRIBE,
            json!({ "i": { "partnerId": partner_id, "url": receiver.url(), "stockLowThreshold": 37,
                "events": ["STOCK_LOW", "ORDER_PAID", "ORDER_SHIPPED", "REVIEW_CREATED"] } }),
            Some(&admin.access),
        )
        .await;
    let sub = &data["createPartnerWebhook"]["partnerWebhook"];
    assert_eq!(sub["stockLowThreshold"], 37);
    // Every partner operation: reviews and stock, but not orders, which
    // need a linked store.
    assert_eq!(
        sub["deliverableEvents"],
        json!(["REVIEW_CREATED", "STOCK_LOW"])
    );
    receiver.set_secret(data["createPartnerWebhook"]["secret"].as_str().unwrap());
    let sub_id = sub["id"].as_str().unwrap().to_owned();

    // 40 in stock: a sale leaving 38 says nothing, one leaving 36 does.
    let (seller, product_id) = product(&app, &admin).await;
    let buyer = app.register("stock-buyer@example.com", "stockbuyer").await;
    buy(&app, &buyer, &product_id, 2, "pw-order-1").await;
    let line_id = buy(&app, &buyer, &product_id, 2, "pw-order-2").await;
    let got = receiver.wait_for(1).await;
    assert!(got[0].signature_ok, "{got:#?}");
    assert_eq!(got[0].body["type"], "stock.low");
    assert_eq!(got[0].body["data"]["productId"], product_id);
    assert_eq!(got[0].body["data"]["remaining"], 36);
    wait_delivery(&app, &admin, &sub_id, |d| d["status"] == "DELIVERED").await;

    // Paid and shipped (with a carrier): the partner is linked to no store,
    // so order data is not its to read, and nothing is queued.
    let step = |s: &str, c: Value, t: Value| json!({ "id": line_id, "s": s, "c": c, "t": t });
    app.gql_ok(
        ADVANCE,
        step("PAID", Value::Null, Value::Null),
        Some(&seller.access),
    )
    .await;
    let shipped = app
        .gql_ok(
            ADVANCE,
            step("SHIPPED", json!("CJ_LOGISTICS"), json!("6841-2345-6789")),
            Some(&seller.access),
        )
        .await;
    assert_eq!(shipped["advanceOrderLine"]["carrier"], "CJ_LOGISTICS");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 1);
    let listed = deliveries(&app, &admin, &sub_id).await;
    assert_eq!(listed.len(), 1, "{listed:#?}");
    assert_eq!(listed[0]["event"], "STOCK_LOW");
}

async fn bad_input_is_refused(app: TestApp, _clock: ManualClock) {
    let admin = app.user_with_role("ADMIN").await;
    let partner_id = partner(&app, &admin, "Careless", &[]).await;
    let create = |i: Value| {
        let app = &app;
        let admin = &admin;
        async move {
            app.gql(SUBSCRIBE, json!({ "i": i }), Some(&admin.access))
                .await
        }
    };
    for url in [
        "not a url",
        "ftp://hooks.example.com/x",
        "http://hooks.example.com/hook",
        "https://user:pw@hooks.example.com/",
        "",
    ] {
        let body =
            create(json!({ "partnerId": partner_id, "url": url, "events": ["PRODUCT_UPDATED"] }))
                .await;
        assert_eq!(code(&body), "VALIDATION", "{url}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "url", "{body}");
    }
    // An event that does not exist.
    let body = create(json!({ "partnerId": partner_id, "url": "https://hooks.example.com/", "events": ["ORDER_REFUNDED"] }))
        .await;
    assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    let body = create(
        json!({ "partnerId": partner_id, "url": "https://hooks.example.com/", "events": [] }),
    )
    .await;
    assert_eq!(code(&body), "VALIDATION", "{body}");
    let body = create(
        json!({ "partnerId": partner_id, "url": "https://hooks.example.com/",
        "events": ["STOCK_LOW"], "stockLowThreshold": -1 }),
    )
    .await;
    assert_eq!(code(&body), "VALIDATION", "{body}");
    // Admins only.
    let buyer = app.register("curious@example.com", "curious").await;
    let body = app
        .gql(
            SUBSCRIBE,
            json!({ "i": { "partnerId": partner_id, "url": "https://hooks.example.com/", "events": ["PRODUCT_UPDATED"] } }),
            Some(&buyer.access),
        )
        .await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    let body = app.gql(HOOKS, json!({}), Some(&buyer.access)).await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    // Unknown or revoked partners, unknown subscriptions.
    let body = create(json!({ "partnerId": "UGFydG5lcjo5OTk5", "url": "https://hooks.example.com/", "events": ["PRODUCT_UPDATED"] }))
        .await;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");
    app.gql_ok(
        "mutation($id: ID!) { revokePartner(id: $id) { revokedAt } }",
        json!({ "id": partner_id }),
        Some(&admin.access),
    )
    .await;
    let body = create(json!({ "partnerId": partner_id, "url": "https://hooks.example.com/", "events": ["PRODUCT_UPDATED"] }))
        .await;
    assert_eq!(code(&body), "CONFLICT", "{body}");
    let body = app
        .gql(
            DELIVERIES,
            json!({ "s": "UGFydG5lcldlYmhvb2s6OTk5" }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");
    let body = app
        .gql(
            UPDATE_HOOK,
            json!({ "i": { "id": "UGFydG5lcldlYmhvb2s6OTk5", "url": "https://x.example.com/" } }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");
}
