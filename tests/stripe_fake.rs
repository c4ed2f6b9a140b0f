//! Self-tests of the Stripe test double in `tests/common/stripe.rs`: auth,
//! idempotency, payment and subscription flows, list pagination, and webhook
//! signatures made by Stripe's Node library checked by an HMAC of our own.
mod common;

use std::sync::{Arc, Mutex};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
};
use common::stripe::{API_KEY, API_VERSION, FakeStripe, now, stripe_signature};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

struct Api {
    fake: FakeStripe,
    http: reqwest::Client,
}

impl Api {
    async fn start() -> Self {
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        Self {
            fake: FakeStripe::start().await,
            http,
        }
    }

    async fn post(
        &self,
        path: &str,
        key: Option<&str>,
        form: &[(&str, &str)],
    ) -> (u16, Value, HeaderMap) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.fake.base_url()))
            .bearer_auth(API_KEY)
            .form(form);
        if let Some(key) = key {
            req = req.header("Idempotency-Key", key);
        }
        let res = req.send().await.unwrap();
        let (status, headers) = (res.status().as_u16(), res.headers().clone());
        (status, res.json().await.unwrap(), headers)
    }

    async fn get(&self, path_and_query: &str) -> (u16, Value) {
        let res = self
            .http
            .get(format!("{}{path_and_query}", self.fake.base_url()))
            .bearer_auth(API_KEY)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }
}

fn key() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[tokio::test]
async fn refuses_missing_auth_and_unknown_routes() {
    let api = Api::start().await;
    let url = format!("{}/v1/invoices", api.fake.base_url());
    let res = api.http.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("did not provide an API key")
    );
    let res = api
        .http
        .get(&url)
        .bearer_auth("sk_test_other")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    let (status, body) = api.get("/v1/charges/ch_1").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let (status, body) = api.get("/v1/payment_intents/pi_missing").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("resource_missing"))
    );
    let (status, body, _) = api
        .post("/v1/customers", Some(&key()), &[("emial", "a@b.c")])
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("parameter_unknown"))
    );
}

#[tokio::test]
async fn idempotency_key_replays_and_is_required() {
    let api = Api::start().await;
    let form = [
        ("email", "a@example.com"),
        ("metadata[user_id]", "7"),
        ("metadata[plan]", "pro"),
    ];
    let (status, body, _) = api.post("/v1/customers", None, &form).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["message"], "fake: Idempotency-Key required");

    let k = key();
    let (status, first, headers) = api.post("/v1/customers", Some(&k), &form).await;
    assert_eq!(status, 200);
    assert!(headers.get("idempotent-replayed").is_none());
    assert!(first["id"].as_str().unwrap().starts_with("cus_"));
    assert_eq!(
        (first["object"].as_str(), first["livemode"].as_bool()),
        (Some("customer"), Some(false))
    );
    assert_eq!(first["metadata"], json!({ "user_id": "7", "plan": "pro" }));
    let (status, again, headers) = api.post("/v1/customers", Some(&k), &form).await;
    assert_eq!((status, &again), (200, &first));
    assert_eq!(headers["idempotent-replayed"], "true");
    let (status, body, _) = api
        .post("/v1/customers", Some(&k), &[("email", "other@example.com")])
        .await;
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (400, Some("idempotency_error"))
    );

    let posts = api.fake.requests_to("POST", "/v1/customers");
    assert_eq!(posts.len(), 4);
    assert_eq!(posts[0].idempotency_key, None);
    assert_eq!(posts[1].get("metadata[user_id]"), Some("7"));
    assert_eq!(
        posts[1].form[0],
        ("email".to_owned(), "a@example.com".to_owned())
    );
    assert_eq!(
        posts.iter().map(|r| r.replayed).collect::<Vec<_>>(),
        [false, false, true, false]
    );
    let customers: Vec<_> = api
        .fake
        .requests()
        .iter()
        .filter(|r| r.status == 200 && !r.replayed)
        .cloned()
        .collect();
    assert_eq!(customers.len(), 1, "one customer created");

    // A failure before execution is not saved: the retry with its key runs.
    api.fake.fail_next("POST", "/v1/customers", 500);
    let k = key();
    let (status, body, _) = api.post("/v1/customers", Some(&k), &form).await;
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (500, Some("api_error"))
    );
    let (status, retried, headers) = api.post("/v1/customers", Some(&k), &form).await;
    assert_eq!(status, 200);
    assert!(headers.get("idempotent-replayed").is_none());
    assert_ne!(retried["id"], first["id"]);
}

#[tokio::test]
async fn payment_intents_and_refunds() {
    let api = Api::start().await;
    let (status, body, _) = api
        .post(
            "/v1/payment_intents",
            Some(&key()),
            &[("amount", "12.5"), ("currency", "krw")],
        )
        .await;
    assert_eq!(
        (
            status,
            body["error"]["code"].as_str(),
            body["error"]["param"].as_str()
        ),
        (400, Some("parameter_invalid_integer"), Some("amount"))
    );
    let form = [
        ("amount", "15000"),
        ("currency", "krw"),
        ("metadata[order_id]", "42"),
        ("automatic_payment_methods[enabled]", "true"),
        ("description", "Order 42"),
    ];
    let (status, pi, _) = api.post("/v1/payment_intents", Some(&key()), &form).await;
    assert_eq!(status, 200);
    let id = pi["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("pi_"));
    assert_eq!(pi["status"], "requires_payment_method");
    assert!(
        pi["client_secret"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{id}_secret_"))
    );
    assert_eq!(pi["automatic_payment_methods"]["enabled"], true);
    assert_eq!(pi["metadata"]["order_id"], "42");

    let refund = |amount: Option<&'static str>| {
        let mut form = vec![
            ("payment_intent", id.clone()),
            ("reason", "requested_by_customer".into()),
        ];
        form.extend(amount.map(|a| ("amount", a.to_owned())));
        let api = &api;
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, body, _) = api.post("/v1/refunds", Some(&key()), &form).await;
            (status, body)
        }
    };
    let (status, _) = refund(None).await;
    assert_eq!(status, 400, "nothing to refund before the payment succeeds");
    let failed = api.fake.fail_payment_intent(&id, "Your card was declined.");
    assert_eq!(
        failed["last_payment_error"]["message"],
        "Your card was declined."
    );
    let succeeded = api.fake.succeed_payment_intent(&id);
    assert_eq!(
        (
            succeeded["status"].as_str(),
            succeeded["amount_received"].as_i64()
        ),
        (Some("succeeded"), Some(15000))
    );
    assert!(
        succeeded["latest_charge"]
            .as_str()
            .unwrap()
            .starts_with("ch_")
    );
    assert_eq!(
        api.get(&format!("/v1/payment_intents/{id}")).await.1,
        succeeded
    );

    let (status, partial) = refund(Some("5000")).await;
    assert_eq!(
        (
            status,
            partial["object"].as_str(),
            partial["amount"].as_i64()
        ),
        (200, Some("refund"), Some(5000))
    );
    assert_eq!(
        (partial["status"].as_str(), partial["charge"].clone()),
        (Some("succeeded"), succeeded["latest_charge"].clone())
    );
    let (status, body) = refund(Some("20000")).await;
    assert_eq!(
        (status, body["error"]["param"].as_str()),
        (400, Some("amount"))
    );
    let (status, rest) = refund(None).await;
    assert_eq!((status, rest["amount"].as_i64()), (200, Some(10000)));
    let (status, body) = refund(None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("charge_already_refunded"))
    );
}

#[tokio::test]
async fn checkout_subscription_and_portal() {
    let api = Api::start().await;
    let (_, customer, _) = api
        .post("/v1/customers", Some(&key()), &[("email", "a@example.com")])
        .await;
    let cus = customer["id"].as_str().unwrap();
    let form = [
        ("mode", "subscription"),
        ("customer", cus),
        ("client_reference_id", "user-7"),
        ("line_items[0][price]", "price_pro"),
        ("line_items[0][quantity]", "1"),
        ("success_url", "https://shop.test/ok"),
        ("cancel_url", "https://shop.test/cancel"),
        ("metadata[user_id]", "7"),
        ("subscription_data[metadata][user_id]", "7"),
    ];
    let (status, session, _) = api.post("/v1/checkout/sessions", Some(&key()), &form).await;
    assert_eq!(status, 200);
    let cs = session["id"].as_str().unwrap();
    assert!(cs.starts_with("cs_test_"));
    assert_eq!(
        (session["object"].as_str(), session["status"].as_str()),
        (Some("checkout.session"), Some("open"))
    );
    assert_eq!(
        session["url"],
        format!("https://checkout.stripe.test/c/pay/{cs}")
    );
    let (status, _, _) = api
        .post(
            "/v1/checkout/sessions",
            Some(&key()),
            &[
                ("mode", "subscription"),
                ("customer", "cus_nobody"),
                ("line_items[0][price]", "price_pro"),
            ],
        )
        .await;
    assert_eq!(status, 400);

    let done = api.fake.complete_checkout_session(cs);
    assert_eq!(
        (done["status"].as_str(), done["customer"].as_str()),
        (Some("complete"), Some(cus))
    );
    let sub_id = done["subscription"].as_str().unwrap();
    let (status, sub) = api.get(&format!("/v1/subscriptions/{sub_id}")).await;
    assert_eq!(
        (status, sub["status"].as_str(), sub["customer"].as_str()),
        (200, Some("active"), Some(cus))
    );
    assert_eq!(sub["items"]["data"][0]["price"]["id"], "price_pro");
    assert_eq!(sub["metadata"], json!({ "user_id": "7" }));
    let (status, canceled, _) = api
        .post(
            &format!("/v1/subscriptions/{sub_id}"),
            Some(&key()),
            &[("cancel_at_period_end", "true")],
        )
        .await;
    assert_eq!(
        (status, canceled["cancel_at_period_end"].as_bool()),
        (200, Some(true))
    );
    assert_eq!(canceled["cancel_at"], sub["current_period_end"]);
    let made = api
        .fake
        .create_subscription(cus, "price_basic", json!({ "user_id": "8" }));
    assert_eq!(api.fake.object(made["id"].as_str().unwrap()).unwrap(), made);

    let (status, portal, _) = api
        .post(
            "/v1/billing_portal/sessions",
            Some(&key()),
            &[
                ("customer", cus),
                ("return_url", "https://shop.test/account"),
            ],
        )
        .await;
    assert_eq!(
        (status, portal["object"].as_str()),
        (200, Some("billing_portal.session"))
    );
    assert!(portal["url"].as_str().unwrap().starts_with("https://"));
}

#[tokio::test]
async fn invoices_paginate_to_the_end_newest_first() {
    let api = Api::start().await;
    let base = now() - 86_400;
    let mut made = Vec::new();
    for i in 0..250 {
        // Pairs share a second: the order must still be total and stable.
        let status = if i % 50 == 0 { "open" } else { "paid" };
        made.push(api.fake.add_invoice(
            "cus_a",
            Some("sub_a"),
            9900,
            "subscription_cycle",
            status,
            base + i / 2,
        ));
    }
    let backdated = made[3]["id"].as_str().unwrap().to_owned();
    api.fake.set_created(&backdated, base - 10_000);
    let (status, page) = api.get("/v1/invoices").await;
    assert_eq!(
        (status, page["object"].as_str(), page["url"].as_str()),
        (200, Some("list"), Some("/v1/invoices"))
    );
    assert_eq!(
        (
            page["data"].as_array().unwrap().len(),
            page["has_more"].as_bool()
        ),
        (10, Some(true))
    );
    assert_eq!(page["data"][0]["id"], made[249]["id"]);
    let (status, _) = api.get("/v1/invoices?limit=101").await;
    assert_eq!(status, 400);

    let gte = base + 25;
    let mut seen: Vec<Value> = Vec::new();
    let mut pages = 0;
    loop {
        let mut query = format!("/v1/invoices?limit=100&created%5Bgte%5D={gte}&customer=cus_a");
        if let Some(last) = seen.last() {
            query.push_str(&format!("&starting_after={}", last["id"].as_str().unwrap()));
        }
        let (status, page) = api.get(&query).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        seen.extend(page["data"].as_array().unwrap().iter().cloned());
        if !page["has_more"].as_bool().unwrap() {
            break;
        }
    }
    assert_eq!(pages, 2);
    let want: Vec<&Value> = made
        .iter()
        .rev()
        .filter(|v| v["created"].as_i64().unwrap() >= gte)
        .map(|v| &v["id"])
        .collect();
    assert_eq!(want.len(), 200);
    assert_eq!(seen.iter().map(|v| &v["id"]).collect::<Vec<_>>(), want);
    assert!(
        seen.windows(2)
            .all(|w| w[0]["created"].as_i64() >= w[1]["created"].as_i64())
    );
    let recorded = api.fake.requests().last().unwrap().clone();
    assert_eq!(recorded.query_param("created[gte]"), Some(gte.to_string()));

    let (_, open) = api.get("/v1/invoices?status=open&limit=100").await;
    assert_eq!(open["data"].as_array().unwrap().len(), 5);
    assert!(
        open["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["status"] == "open" && v["status_transitions"]["paid_at"].is_null())
    );
    let (_, old) = api
        .get(&format!("/v1/invoices?created%5Blt%5D={base}"))
        .await;
    assert_eq!(old["data"][0]["id"].as_str(), Some(backdated.as_str()));
    assert_eq!(old["has_more"], false);
    let invoice = &made[249];
    assert_eq!(
        (invoice["object"].as_str(), invoice["subscription"].as_str()),
        (Some("invoice"), Some("sub_a"))
    );
    assert_eq!(invoice["lines"]["data"][0]["amount"], 9900);
}

type Received = Arc<Mutex<Vec<String>>>;

/// A webhook endpoint that verifies `Stripe-Signature` by Stripe's
/// documented scheme, with our own HMAC-SHA256: 200 or 400.
async fn verifying_endpoint(secret: &'static str) -> (String, Received) {
    async fn receive(
        State((secret, received)): State<(&'static str, Received)>,
        headers: HeaderMap,
        body: Bytes,
    ) -> (StatusCode, &'static str) {
        let header = headers
            .get("stripe-signature")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let body = String::from_utf8(body.to_vec()).unwrap();
        let ok = verify(header, &body, secret, 300);
        received.lock().unwrap().push(body);
        if ok {
            (StatusCode::OK, "ok")
        } else {
            (StatusCode::BAD_REQUEST, "bad signature")
        }
    }
    let received = Received::default();
    let app = Router::new()
        .route("/webhooks/stripe", post(receive))
        .with_state((secret, received.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/stripe", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

fn hmac_hex(secret: &str, message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn verify(header: &str, body: &str, secret: &str, tolerance: i64) -> bool {
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1.push(value),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    let expected = hmac_hex(secret, &format!("{t}.{body}"));
    (now() - t).abs() <= tolerance && v1.contains(&expected.as_str())
}

#[tokio::test]
async fn webhooks_are_signed_by_stripes_library() {
    let secret = "whsec_test_vitrine";
    let payload = r#"{"id":"evt_1","object":"event","data":{"object":{"amount":1000}}}"#;
    let header = stripe_signature(payload, secret, 1_700_000_000);
    assert_eq!(
        header,
        format!(
            "t=1700000000,v1={}",
            hmac_hex(secret, &format!("1700000000.{payload}"))
        )
    );

    let fake = FakeStripe::start().await;
    let (url, received) = verifying_endpoint(secret).await;
    let pi =
        json!({ "id": "pi_1", "object": "payment_intent", "amount": 15000, "status": "succeeded" });
    let (status, body) = fake
        .send_event(&url, secret, "payment_intent.succeeded", pi.clone())
        .await;
    assert_eq!((status, body.as_str()), (200, "ok"));
    let events = fake.events();
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert!(event["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(
        (event["object"].as_str(), event["type"].as_str()),
        (Some("event"), Some("payment_intent.succeeded"))
    );
    assert_eq!(
        (event["api_version"].as_str(), event["livemode"].as_bool()),
        (Some(API_VERSION), Some(false))
    );
    assert_eq!(event["data"]["object"], pi);
    assert!(
        event["pending_webhooks"].is_i64()
            && event["request"].is_object()
            && event["created"].is_i64()
    );
    assert_eq!(
        serde_json::from_str::<Value>(&received.lock().unwrap()[0]).unwrap(),
        *event
    );

    // Tampered body, wrong secret, stale timestamp: all refused.
    let (_, raw) = fake.event("payment_intent.succeeded", pi);
    let header = stripe_signature(&raw, secret, now());
    assert_eq!(fake.send_raw(&url, &raw, &header).await.0, 200);
    assert_eq!(
        fake.send_raw(&url, &raw.replace("15000", "1"), &header)
            .await
            .0,
        400
    );
    assert_eq!(
        fake.send_raw(&url, &raw, &stripe_signature(&raw, "whsec_other", now()))
            .await
            .0,
        400
    );
    assert_eq!(
        fake.send_raw(&url, &raw, &stripe_signature(&raw, secret, now() - 600))
            .await
            .0,
        400
    );
    assert_eq!(fake.events().len(), 2);
}
