//! The client against a tiny scripted server: what goes on the wire, lists,
//! retries and error decoding.
use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri},
    response::IntoResponse,
};
use serde_json::{Value, json};

use super::*;

/// One request the server received.
#[derive(Clone, Debug)]
struct Seen {
    method: Method,
    path: String,
    /// The query string's or the form body's pairs, decoded.
    pairs: Vec<(String, String)>,
    headers: HeaderMap,
}

impl Seen {
    fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

type Answer = Box<dyn Fn(&Seen) -> (u16, Value) + Send + Sync>;

#[derive(Clone, Default)]
struct Script {
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Canned answers in order; the last one repeats.
    answers: Arc<Mutex<VecDeque<Answer>>>,
}

async fn handle(
    State(script): State<Script>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let raw = if method == Method::GET {
        uri.query().unwrap_or("").as_bytes().to_vec()
    } else {
        body.to_vec()
    };
    let seen = Seen {
        method,
        path: uri.path().to_owned(),
        pairs: url::form_urlencoded::parse(&raw).into_owned().collect(),
        headers,
    };
    let (status, body) = {
        let mut answers = script.answers.lock().unwrap();
        if answers.len() > 1 {
            answers.pop_front().unwrap()(&seen)
        } else {
            answers.front().expect("an answer")(&seen)
        }
    };
    script.seen.lock().unwrap().push(seen);
    (StatusCode::from_u16(status).unwrap(), axum::Json(body))
}

async fn serve(answers: Vec<Answer>) -> (StripeClient, Script) {
    let script = Script {
        answers: Arc::new(Mutex::new(answers.into())),
        ..Script::default()
    };
    let app = Router::new().fallback(handle).with_state(script.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = StripeClient::new(&settings(&format!("http://{addr}/")))
        .with_backoff([Duration::from_millis(5), Duration::from_millis(10)]);
    (client, script)
}

fn settings(base_url: &str) -> StripeSettings {
    StripeSettings {
        base_url: base_url.to_owned(),
        secret_key: Secret::new("sk_test_unit"),
        api_version: "2024-06-20".into(),
        price_pro: "price_pro".into(),
        price_enterprise: "price_enterprise".into(),
    }
}

fn fixed(status: u16, body: Value) -> Answer {
    Box::new(move |_| (status, body.clone()))
}

#[test]
fn nested_parameters_use_bracket_notation() {
    let form = checkout_params(&CheckoutRequest {
        customer: "cus_1",
        price: "price_pro",
        user_id: 42,
        plan: "PRO",
        success_url: "https://shop.example/billing?done=1&x=a b",
        cancel_url: "https://shop.example/billing",
    });
    let keys: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "mode",
            "customer",
            "line_items[0][price]",
            "line_items[0][quantity]",
            "client_reference_id",
            "success_url",
            "cancel_url",
            "metadata[user_id]",
            "metadata[plan]",
            "subscription_data[metadata][user_id]",
            "subscription_data[metadata][plan]",
        ]
    );
    let encoded = encode_form(&form);
    assert!(encoded.starts_with("mode=subscription&customer=cus_1&line_items%5B0%5D%5Bprice%5D=price_pro&line_items%5B0%5D%5Bquantity%5D=1&"));
    assert!(
        encoded.contains("success_url=https%3A%2F%2Fshop.example%2Fbilling%3Fdone%3D1%26x%3Da+b&")
    );
    assert!(encoded.ends_with("subscription_data%5Bmetadata%5D%5Bplan%5D=PRO"));
    let decoded: Vec<(String, String)> = url::form_urlencoded::parse(encoded.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(decoded, form);

    let pi = payment_intent_params(&PaymentIntentRequest {
        amount: 15_000,
        currency: "krw",
        order_id: 7,
        buyer_id: 3,
        description: "",
    });
    assert_eq!(
        encode_form(&pi),
        "amount=15000&currency=krw&automatic_payment_methods%5Benabled%5D=true&metadata%5Border_id%5D=7&metadata%5Bbuyer_id%5D=3"
    );
    assert_eq!(segment("sub_1/../x y"), "sub_1%2F..%2Fx%20y");
}

#[tokio::test]
async fn requests_carry_auth_version_key_and_form() {
    let (client, script) = serve(vec![Box::new(|seen: &Seen| {
        (
            200,
            json!({ "id": "cs_test_1", "object": "checkout.session",
                    "url": "https://checkout.stripe.test/c/pay/cs_test_1",
                    "metadata": { "plan": seen.get("metadata[plan]") } }),
        )
    })])
    .await;
    let session = client
        .create_checkout_session(
            &CheckoutRequest {
                customer: "cus_1",
                price: "price_pro",
                user_id: 42,
                plan: "PRO",
                success_url: "https://shop.example/ok",
                cancel_url: "https://shop.example/no",
            },
            "checkout-42-1",
        )
        .await
        .unwrap();
    assert_eq!(session.id, "cs_test_1");
    assert_eq!(session.url, "https://checkout.stripe.test/c/pay/cs_test_1");
    let seen = script.seen.lock().unwrap()[0].clone();
    assert_eq!(seen.method, Method::POST);
    assert_eq!(seen.path, "/v1/checkout/sessions");
    assert_eq!(seen.header("authorization"), Some("Bearer sk_test_unit"));
    assert_eq!(seen.header("stripe-version"), Some("2024-06-20"));
    assert_eq!(seen.header("idempotency-key"), Some("checkout-42-1"));
    assert_eq!(
        seen.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(seen.get("line_items[0][price]"), Some("price_pro"));
    assert_eq!(seen.get("subscription_data[metadata][user_id]"), Some("42"));
    assert_eq!(seen.get("client_reference_id"), Some("42"));
}

#[tokio::test]
async fn lists_follow_starting_after_until_has_more_is_false() {
    // Seven invoices, newest first, served three per page whatever `limit` says.
    let ids: Vec<String> = (1..=7).rev().map(|i| format!("in_{i}")).collect();
    let (client, script) = serve(vec![Box::new(move |seen: &Seen| {
        let start = match seen.get("starting_after") {
            Some(after) => ids.iter().position(|id| id == after).unwrap() + 1,
            None => 0,
        };
        let page: Vec<Value> = ids[start..]
            .iter()
            .take(3)
            .map(|id| json!({ "id": id, "object": "invoice" }))
            .collect();
        let has_more = start + 3 < ids.len();
        (
            200,
            json!({ "object": "list", "url": "/v1/invoices", "has_more": has_more, "data": page }),
        )
    })])
    .await;
    let all = client.list_paid_invoices(1_700_000_000).await.unwrap();
    let got: Vec<&str> = all.iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!(
        got,
        ["in_7", "in_6", "in_5", "in_4", "in_3", "in_2", "in_1"]
    );
    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    let afters: Vec<Option<&str>> = seen.iter().map(|s| s.get("starting_after")).collect();
    assert_eq!(afters, [None, Some("in_5"), Some("in_2")]);
    for s in &seen {
        assert_eq!(s.method, Method::GET);
        assert_eq!(s.path, "/v1/invoices");
        assert_eq!(s.get("limit"), Some("100"));
        assert_eq!(s.get("status"), Some("paid"));
        assert_eq!(s.get("created[gte]"), Some("1700000000"));
        assert_eq!(s.header("idempotency-key"), None);
    }
}

#[tokio::test]
async fn endless_lists_stop_at_the_page_cap() {
    let (client, script) = serve(vec![Box::new(|seen: &Seen| {
        let n: usize = seen
            .get("starting_after")
            .map(|a| a[3..].parse().unwrap())
            .unwrap_or(0);
        let data = json!([{ "id": format!("pi_{}", n + 1) }]);
        (
            200,
            json!({ "object": "list", "has_more": true, "data": data }),
        )
    })])
    .await;
    let err = client.list_payment_intents(0).await.unwrap_err();
    assert!(
        matches!(err, StripeError::Decode(ref m) if m.contains("pages")),
        "{err}"
    );
    assert_eq!(script.seen.lock().unwrap().len(), MAX_PAGES);
}

#[tokio::test]
async fn retryable_failures_are_retried_with_the_same_key() {
    let (client, script) = serve(vec![
        fixed(500, json!({ "error": { "type": "api_error", "message": "boom" } })),
        fixed(429, json!({ "error": { "type": "invalid_request_error", "code": "rate_limit", "message": "slow down" } })),
        fixed(200, json!({ "id": "cus_9", "object": "customer" })),
    ])
    .await;
    let customer = client
        .create_customer("a@b.example", 9, "customer-9")
        .await
        .unwrap();
    assert_eq!(customer, Customer { id: "cus_9".into() });
    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    for s in &seen {
        assert_eq!(s.header("idempotency-key"), Some("customer-9"));
        assert_eq!(s.get("email"), Some("a@b.example"));
        assert_eq!(s.get("metadata[user_id]"), Some("9"));
    }

    // Three failures in a row: the last one is returned.
    let (client, script) = serve(vec![fixed(
        503,
        json!({ "error": { "type": "api_error", "message": "down" } }),
    )])
    .await;
    let err = client
        .create_customer("a@b.example", 9, "k")
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    assert!(matches!(err, StripeError::Api { status: 503, .. }));
    assert_eq!(script.seen.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn request_errors_are_decoded_and_not_retried() {
    let (client, script) = serve(vec![fixed(
        400,
        json!({ "error": { "type": "invalid_request_error", "code": "parameter_unknown",
                "param": "foo", "message": "Received unknown parameter: foo",
                "doc_url": "https://stripe.com/docs/error-codes/parameter-unknown" } }),
    )])
    .await;
    let err = client
        .create_refund("pi_1", Some(500), 7, "refund-7")
        .await
        .unwrap_err();
    assert_eq!(
        err,
        StripeError::Api {
            status: 400,
            kind: "invalid_request_error".into(),
            code: Some("parameter_unknown".into()),
            message: "Received unknown parameter: foo".into(),
            param: Some("foo".into()),
        }
    );
    assert!(!err.is_retryable());
    assert_eq!(err.code(), Some("parameter_unknown"));
    assert_eq!(
        err.to_string(),
        "Stripe 400 invalid_request_error (parameter_unknown): Received unknown parameter: foo [param foo]"
    );
    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].get("reason"), Some("requested_by_customer"));
    assert_eq!(seen[0].get("amount"), Some("500"));
    assert_eq!(seen[0].get("metadata[order_id]"), Some("7"));
}

#[tokio::test]
async fn subscriptions_and_unreachable_servers() {
    let (client, script) = serve(vec![fixed(
        200,
        json!({ "id": "sub_1", "object": "subscription", "status": "active", "customer": "cus_1",
                "cancel_at_period_end": true, "current_period_start": 100,
                "current_period_end": 200, "metadata": { "user_id": "4", "plan": "PRO" } }),
    )])
    .await;
    let sub = client
        .set_cancel_at_period_end("sub_1", true, "cancel-sub_1")
        .await
        .unwrap();
    assert_eq!(
        (
            sub.id.as_str(),
            sub.status.as_str(),
            sub.cancel_at_period_end
        ),
        ("sub_1", "active", true)
    );
    assert_eq!(
        (sub.current_period_start, sub.current_period_end),
        (100, 200)
    );
    assert_eq!(sub.metadata["plan"], "PRO");
    let seen = script.seen.lock().unwrap()[0].clone();
    assert_eq!(seen.path, "/v1/subscriptions/sub_1");
    assert_eq!(seen.get("cancel_at_period_end"), Some("true"));

    // Newer API versions keep the period on the items.
    let basil = Subscription::from_value(json!({ "id": "sub_2", "status": "past_due",
        "items": { "data": [{ "current_period_start": 5, "current_period_end": 6 }] } }))
    .unwrap();
    assert_eq!(
        (basil.current_period_start, basil.current_period_end),
        (5, 6)
    );
    assert!(matches!(
        Subscription::from_value(json!({ "id": "sub_3", "status": "active" })),
        Err(StripeError::Decode(_))
    ));

    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let client = StripeClient::new(&settings(&format!("http://{closed}")))
        .with_backoff([Duration::from_millis(1), Duration::from_millis(1)]);
    let err = client.get("/v1/invoices", &[]).await.unwrap_err();
    assert!(
        matches!(err, StripeError::Transport(_)) && err.is_retryable(),
        "{err}"
    );
}
