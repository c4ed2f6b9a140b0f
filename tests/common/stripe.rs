//! A test double of Stripe's REST API, speaking the documented shapes of
//! API version [`API_VERSION`] (subscriptions carry `current_period_*`,
//! invoices carry `subscription`, as before 2025-03-31.basil): customers,
//! Checkout and billing-portal sessions, subscriptions, PaymentIntents,
//! refunds and invoice/PaymentIntent lists, with Stripe's bearer auth,
//! idempotency keys, form-encoded bodies in bracket notation and error
//! shape. It also delivers webhook events signed by Stripe's own Node
//! library (`tests/stripe-client/sign.mjs`), not by code of ours.
mod api;

use std::{
    collections::HashMap,
    io::Write,
    net::SocketAddr,
    path::PathBuf,
    process::Stdio,
    sync::{Arc, Mutex, MutexGuard},
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{Router, http::header};
use rand::{Rng, distr::Alphanumeric};
use serde_json::{Value, json};

/// The only secret key the fake accepts (`Authorization: Bearer …`).
pub const API_KEY: &str = "sk_test_vitrine";
/// The API version whose object shapes the fake renders and puts in events.
pub const API_VERSION: &str = "2024-06-20";
/// A subscription's billing period in the fake: 30 days.
pub const PERIOD: i64 = 30 * 86_400;

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// `prefix_` and `len` random letters and digits, as Stripe's ids look.
pub fn stripe_id(prefix: &str, len: usize) -> String {
    let tail: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect();
    format!("{prefix}_{tail}")
}

fn client_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/stripe-client")
}

/// The `Stripe-Signature` header value that Stripe's Node library
/// (`webhooks.generateTestHeaderString`) makes for this exact body.
pub fn stripe_signature(payload: &str, secret: &str, timestamp: i64) -> String {
    let dir = client_dir();
    super::realtime::npm_ci(&dir, "stripe");
    let mut child = std::process::Command::new("node")
        .arg("sign.mjs")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node must be installed to sign Stripe webhooks");
    let input = json!({ "payload": payload, "secret": secret, "timestamp": timestamp });
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("sign.mjs");
    assert!(out.status.success(), "sign.mjs failed: {:?}", out.status);
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}

/// One request the fake received, whatever it answered.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    /// The form body's pairs in order, decoded (`metadata[order_id]`, `7`).
    pub form: Vec<(String, String)>,
    pub idempotency_key: Option<String>,
    pub stripe_version: Option<String>,
    pub status: u16,
    /// Answered from the idempotency store rather than executed.
    pub replayed: bool,
}

impl Recorded {
    /// The first value of `key` in the form body.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `key` in the query string (`created[gte]`).
    pub fn query_param(&self, key: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    }
}

struct Saved {
    method: String,
    path: String,
    form: Vec<(String, String)>,
    status: u16,
    body: String,
}

#[derive(Default)]
struct Ledger {
    /// Every object by id, with its insertion sequence (the tie-breaker
    /// for lists when `created` is equal).
    objects: HashMap<String, (u64, Value)>,
    seq: u64,
    /// Checkout sessions' line items (price, quantity) and
    /// `subscription_data[metadata]`, which the API does not render.
    checkout: HashMap<String, (Vec<(String, i64)>, Value)>,
    refunded: HashMap<String, i64>,
    idempotency: HashMap<String, Saved>,
    requests: Vec<Recorded>,
    events: Vec<String>,
    /// Failures to answer once, unexecuted: (method, path, status).
    faults: Vec<(String, String, u16)>,
}

impl Ledger {
    fn insert(&mut self, value: Value) -> Value {
        self.seq += 1;
        let id = value["id"].as_str().expect("id").to_owned();
        self.objects.insert(id, (self.seq, value.clone()));
        value
    }

    fn get(&self, id: &str, kind: &str) -> Option<&Value> {
        self.objects
            .get(id)
            .map(|(_, v)| v)
            .filter(|v| v["object"] == kind)
    }

    fn update(&mut self, id: &str, f: impl FnOnce(&mut Value)) -> Value {
        let (_, value) = self
            .objects
            .get_mut(id)
            .unwrap_or_else(|| panic!("fake: no object {id}"));
        f(value);
        value.clone()
    }

    fn subscription(&mut self, customer: &str, price: &str, metadata: Value) -> Value {
        let (id, t) = (stripe_id("sub", 24), now());
        self.insert(json!({
            "id": id, "object": "subscription", "customer": customer, "status": "active",
            "cancel_at_period_end": false, "cancel_at": null, "canceled_at": null,
            "cancellation_details": { "comment": null, "feedback": null, "reason": null },
            "collection_method": "charge_automatically", "created": t, "start_date": t,
            "current_period_start": t, "current_period_end": t + PERIOD, "ended_at": null,
            "items": { "object": "list", "has_more": false, "total_count": 1,
                "url": format!("/v1/subscription_items?subscription={id}"),
                "data": [{ "id": stripe_id("si", 14), "object": "subscription_item",
                    "created": t, "quantity": 1, "subscription": id, "metadata": {},
                    "price": price_object(price) }] },
            "latest_invoice": null, "livemode": false, "metadata": metadata,
        }))
    }
}

fn price_object(id: &str) -> Value {
    json!({ "id": id, "object": "price", "active": true, "currency": "krw", "type": "recurring",
            "recurring": { "interval": "month", "interval_count": 1 }, "livemode": false })
}

type Shared = Arc<Mutex<Ledger>>;

struct Server(tokio::task::JoinHandle<()>);

impl Drop for Server {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The fake, serving on 127.0.0.1 until its last clone is dropped.
#[derive(Clone)]
pub struct FakeStripe {
    addr: SocketAddr,
    ledger: Shared,
    http: reqwest::Client,
    _server: Arc<Server>,
}

impl FakeStripe {
    pub async fn start() -> Self {
        let ledger = Shared::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake Stripe");
        let addr = listener.local_addr().expect("addr");
        let app = Router::new()
            .fallback(api::handle)
            .with_state(ledger.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("fake Stripe server");
        });
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        Self {
            addr,
            ledger,
            http,
            _server: Arc::new(Server(server)),
        }
    }

    /// `http://127.0.0.1:PORT`; the API lives under `{base_url}/v1/…`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn api_key(&self) -> &'static str {
        API_KEY
    }

    fn lock(&self) -> MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// The requests received for `method` and `path` (`"POST", "/v1/refunds"`).
    pub fn requests_to(&self, method: &str, path: &str) -> Vec<Recorded> {
        self.lock()
            .requests
            .iter()
            .filter(|r| r.method == method && r.path == path)
            .cloned()
            .collect()
    }

    /// Answers the next `method` `path` request with `status` and an
    /// `api_error`, before executing it and without saving it under its
    /// idempotency key (as Stripe does for requests that never began
    /// executing), so that a retry with the same key executes.
    pub fn fail_next(&self, method: &str, path: &str, status: u16) {
        let fault = (method.to_owned(), path.to_owned(), status);
        self.lock().faults.push(fault);
    }

    /// An object as the API would render it now.
    pub fn object(&self, id: &str) -> Option<Value> {
        self.lock().objects.get(id).map(|(_, v)| v.clone())
    }

    /// Changes a stored object in place (status, periods, …); panics if absent.
    pub fn update_object(&self, id: &str, f: impl FnOnce(&mut Value)) -> Value {
        self.lock().update(id, f)
    }

    /// Backdates (or postdates) any object's `created`.
    pub fn set_created(&self, id: &str, unix: i64) -> Value {
        self.update_object(id, |v| v["created"] = json!(unix))
    }

    /// An active monthly subscription, as Checkout would create it.
    pub fn create_subscription(&self, customer: &str, price: &str, metadata: Value) -> Value {
        self.lock().subscription(customer, price, metadata)
    }

    /// The customer paid on the Checkout page: the session becomes
    /// `complete`/`paid` and, in subscription mode, gets a subscription for
    /// its first price with its `subscription_data[metadata]`.
    pub fn complete_checkout_session(&self, id: &str) -> Value {
        let mut ledger = self.lock();
        let session = ledger.get(id, "checkout.session").cloned();
        let session = session.unwrap_or_else(|| panic!("fake: no session {id}"));
        let (mut customer, mut subscription) = (session["customer"].clone(), Value::Null);
        if session["mode"] == "subscription" {
            if customer.is_null() {
                let created = json!({ "id": stripe_id("cus", 14), "object": "customer",
                    "created": now(), "email": session["customer_email"], "name": null,
                    "metadata": {}, "livemode": false });
                customer = ledger.insert(created)["id"].clone();
            }
            let (items, metadata) = ledger.checkout[id].clone();
            let customer = customer.as_str().expect("customer");
            subscription = ledger.subscription(customer, &items[0].0, metadata)["id"].clone();
        }
        ledger.update(id, |s| {
            s["status"] = json!("complete");
            s["payment_status"] = json!("paid");
            s["customer"] = customer;
            s["subscription"] = subscription;
        })
    }

    /// The customer's payment succeeded: `succeeded`, fully received, with a charge.
    pub fn succeed_payment_intent(&self, id: &str) -> Value {
        self.update_object(id, |pi| {
            pi["status"] = json!("succeeded");
            pi["amount_received"] = pi["amount"].clone();
            pi["latest_charge"] = json!(stripe_id("ch", 24));
            pi["payment_method"] = json!(stripe_id("pm", 24));
            pi["last_payment_error"] = Value::Null;
        })
    }

    /// The customer's card was declined with `message`.
    pub fn fail_payment_intent(&self, id: &str, message: &str) -> Value {
        self.update_object(id, |pi| {
            let charge = stripe_id("ch", 24);
            pi["status"] = json!("requires_payment_method");
            pi["latest_charge"] = json!(charge);
            pi["last_payment_error"] = json!({ "type": "card_error", "code": "card_declined",
                "decline_code": "generic_decline", "message": message, "charge": charge });
        })
    }

    /// An invoice as Stripe Billing would issue it, for `amount` (KRW): paid
    /// in full when `status` is `paid`, else all of it due. `subscription_cycle`
    /// invoices cover the period that just ended (`period_start/end`) and
    /// bill the next one (`lines.data[0].period`).
    pub fn add_invoice(
        &self,
        customer: &str,
        subscription: Option<&str>,
        amount: i64,
        billing_reason: &str,
        status: &str,
        created: i64,
    ) -> Value {
        let mut ledger = self.lock();
        let price = subscription
            .and_then(|s| ledger.get(s, "subscription"))
            .map(|s| s["items"]["data"][0]["price"].clone());
        let (id, paid) = (stripe_id("in", 24), status == "paid");
        let at = |yes: bool| if yes { json!(created) } else { Value::Null };
        let line = json!({
            "id": stripe_id("il", 24), "object": "line_item", "amount": amount, "currency": "krw",
            "description": null, "quantity": 1, "price": price, "subscription": subscription,
            "type": if subscription.is_some() { "subscription" } else { "invoiceitem" },
            "period": { "start": created, "end": created + PERIOD }, "livemode": false,
        });
        let transitions = json!({
            "finalized_at": at(status != "draft"), "paid_at": at(paid),
            "voided_at": at(status == "void"), "marked_uncollectible_at": at(status == "uncollectible"),
        });
        let cycle = billing_reason == "subscription_cycle";
        ledger.insert(json!({
            "id": id, "object": "invoice", "customer": customer, "subscription": subscription,
            "status": status, "billing_reason": billing_reason, "paid": paid, "total": amount,
            "subtotal": amount, "amount_due": amount, "amount_paid": if paid { amount } else { 0 },
            "amount_remaining": if paid { 0 } else { amount }, "currency": "krw",
            "created": created, "period_start": if cycle { created - PERIOD } else { created },
            "period_end": created, "collection_method": "charge_automatically", "charge": null,
            "payment_intent": null, "number": format!("FAKE-{}", &id[3..11]), "metadata": {},
            "livemode": false, "hosted_invoice_url": format!("https://invoice.stripe.test/i/{id}"),
            "status_transitions": transitions,
            "lines": { "object": "list", "has_more": false, "total_count": 1,
                "url": format!("/v1/invoices/{id}/lines"), "data": [line] },
        }))
    }

    /// A new event envelope around `object`, serialised once: (`evt_…`, raw body).
    pub fn event(&self, event_type: &str, object: Value) -> (String, String) {
        let id = stripe_id("evt", 24);
        let raw = serde_json::to_string(&json!({
            "id": id, "object": "event", "api_version": API_VERSION, "created": now(),
            "data": { "object": object }, "livemode": false, "pending_webhooks": 1,
            "request": { "id": null, "idempotency_key": null }, "type": event_type,
        }))
        .expect("event json");
        self.lock().events.push(raw.clone());
        (id, raw)
    }

    /// Every event built so far, in order.
    pub fn events(&self) -> Vec<Value> {
        self.lock()
            .events
            .iter()
            .map(|raw| serde_json::from_str(raw).expect("event"))
            .collect()
    }

    /// Builds an event, signs its exact body with `secret` at the current
    /// time and POSTs it to `endpoint_url` as Stripe does.
    pub async fn send_event(
        &self,
        endpoint_url: &str,
        secret: &str,
        event_type: &str,
        object: Value,
    ) -> (u16, String) {
        let (_, raw) = self.event(event_type, object);
        let (payload, secret) = (raw.clone(), secret.to_owned());
        let signature =
            tokio::task::spawn_blocking(move || stripe_signature(&payload, &secret, now()))
                .await
                .expect("sign");
        self.send_raw(endpoint_url, &raw, &signature).await
    }

    /// POSTs `raw_body` with `Stripe-Signature: {signature}`, as a delivery.
    pub async fn send_raw(
        &self,
        endpoint_url: &str,
        raw_body: &str,
        signature: &str,
    ) -> (u16, String) {
        let response = self
            .http
            .post(endpoint_url)
            .header("stripe-signature", signature)
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
            .header(
                header::USER_AGENT,
                "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            )
            .body(raw_body.to_owned())
            .send()
            .await
            .expect("deliver webhook");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }
}

/// The webhook signing secret the apps of [`spawn_app`] verify with.
pub const WEBHOOK_SECRET: &str = "whsec_vitrine_test_secret";

/// A test app on `backend` whose payments go to `fake`.
pub async fn spawn_app(backend: super::Backend, fake: &FakeStripe) -> Option<super::TestApp> {
    let base = fake.base_url();
    super::TestApp::spawn_with(
        backend,
        &[
            ("VITRINE_STRIPE_SECRET_KEY", fake.api_key()),
            ("VITRINE_STRIPE_BASE_URL", base.as_str()),
            ("VITRINE_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET),
            ("VITRINE_BILLING_RETURN_URL", "https://shop.example"),
        ],
    )
    .await
}

/// Runs an async test body `(app, fake)` against SQLite and PostgreSQL,
/// each app paying through its own [`FakeStripe`].
#[macro_export]
macro_rules! with_stripe {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                use super::*;
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let fake = common::stripe::FakeStripe::start().await;
                    if let Some(app) = common::stripe::spawn_app(common::Backend::Sqlite, &fake).await {
                        super::$name(app, fake).await;
                    }
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let fake = common::stripe::FakeStripe::start().await;
                    if let Some(app) = common::stripe::spawn_app(common::Backend::Postgres, &fake).await {
                        super::$name(app, fake).await;
                    }
                }
            }
        )+
    };
}

/// Pays the order `order_id` (a global id) as `buyer`: `payOrder`, the
/// fake's PaymentIntent succeeds, and its signed `payment_intent.succeeded`
/// reaches the app's webhook (which must answer 200).
pub async fn pay_order(
    app: &super::TestApp,
    fake: &FakeStripe,
    buyer: &super::SignedIn,
    order_id: &Value,
) {
    let paying = app
        .gql_ok(
            "mutation($id: ID!) { payOrder(orderId: $id) { clientSecret } }",
            json!({ "id": order_id }),
            Some(&buyer.access),
        )
        .await;
    let secret = paying["payOrder"]["clientSecret"].as_str().unwrap();
    let intent = secret.split("_secret_").next().unwrap();
    let object = fake.succeed_payment_intent(intent);
    let (status, body) = fake
        .send_event(
            &app.url("/webhooks/stripe"),
            WEBHOOK_SECRET,
            "payment_intent.succeeded",
            object,
        )
        .await;
    assert_eq!(status, 200, "{body}");
}
